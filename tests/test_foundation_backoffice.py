"""flask-admin, the platform console, error pages, English switch, OpenAPI, pool hygiene."""
import io

import openpyxl
import pytest
import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db
from portal.reference.models import School
from tenants.models import Role, Tenant
from tests.conftest import APP_URL, IS_PG, OWNER_URL
from tests.factories import SchoolFactory, TenantFactory, UserFactory, member


def test_admin_lists_edits_and_exports_formula_safe_A2(client, login_as, session):
    t = TenantFactory()
    admin = member(t)
    school = SchoolFactory(tenant=t, name="=HYPERLINK(\"http://x\")大学")
    other = SchoolFactory(name="他省秘密大学")
    login_as(admin)
    listing = client.get(f"/{t.slug}/admin/admin_schools/").get_data(as_text=True)
    assert "HYPERLINK" in listing and "他省秘密大学" not in listing
    csv = client.get(f"/{t.slug}/admin/admin_schools/export/csv/").get_data(as_text=True)
    assert "'=HYPERLINK" in csv and "他省秘密大学" not in csv
    xlsx = client.get(f"/{t.slug}/admin/admin_schools/export/xlsx/")
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" and str(c.value).startswith("'") for c in cells)
    # edit through the admin, audited (the token with CSRF on: tests/test_admin_browser.py)
    url = f"/{t.slug}/admin/admin_schools/edit/?id={school.id}"
    data = {"code": school.code, "name": "改名大学", "province": "44", "active": "y"}
    resp = client.post(url, data={**data, "csrf_token": admin_csrf(client, url)})
    assert resp.status_code == 302
    with tenant_context(t.id, db.session):
        assert db.session.get(School, school.id).name == "改名大学"
    page = client.get(f"/{t.slug}/audit/?action=admin.").get_data(as_text=True)
    assert "admin.schools.updated" in page
    # another tenant's id: not found, not changed
    client.post(f"/{t.slug}/admin/admin_schools/delete/", data={"id": str(other.id)})
    with tenant_context(other.tenant_id, db.session):
        assert db.session.get(School, other.id) is not None


def admin_csrf(client, url):
    import re

    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    return found.group(1) if found else ""  # none rendered while the suite runs with CSRF off


def test_admin_relationship_dropdowns_are_scoped(client, login_as, session):
    t = TenantFactory()
    admin = member(t)
    SchoolFactory(tenant=t, name="本省甲校")
    SchoolFactory(name="外省乙校")
    login_as(admin)
    page = client.get(f"/{t.slug}/admin/admin_unions/new/").get_data(as_text=True)
    assert "本省甲校" in page and "外省乙校" not in page


def test_admin_is_for_secretariat_admins_only(client, login_as, session):
    t = TenantFactory()
    login_as(member(t, Role.secretariat_staff))
    assert client.get(f"/{t.slug}/admin/admin_schools/").status_code == 403


def test_platform_operator_onboards_a_provincial_federation_A22(client, login_as, session):
    op = UserFactory(is_platform_operator=True)
    login_as(op)
    national = Tenant.query.filter_by(kind="national").first() if False else None  # noqa: F841
    from tests.factories import NationalTenantFactory

    NationalTenantFactory()
    db.session.commit()
    resp = client.post("/platform/tenants", data={
        "slug": "zj", "name": "浙江省学生联合会", "short_name": "浙江省学联", "province_code": "33",
        "version": "2024", "admin_email": "first@zj.cn", "admin_name": "首位管理员"})
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "/platform/invite/" in body
    link = body.split("/platform/invite/")[1].split("<")[0].strip()
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "zj"))
    assert tenant.parent_id is not None and tenant.adopted_version_id is not None
    # the invited administrator sets a password and lands in the new tenant
    client.post("/logout")
    resp = client.post(f"/platform/invite/{link}", data={"password": "a new long password", "confirm": "a new long password"})
    assert resp.status_code == 302
    assert client.get("/zj/rules/").status_code == 200
    # the link works once
    client.post("/logout")
    resp = client.post(f"/platform/invite/{link}", data={"password": "another long password", "confirm": "another long password"})
    assert resp.status_code == 400


def test_platform_console_is_operator_only(client, login_as, session):
    t = TenantFactory()
    login_as(member(t))
    assert client.get("/platform/").status_code == 403
    assert client.post("/platform/tenants", data={"slug": "x"}).status_code == 403


def test_platform_rejects_bad_tenant_input(client, login_as, session):
    from tests.factories import NationalTenantFactory

    NationalTenantFactory()
    login_as(UserFactory(is_platform_operator=True))
    resp = client.post("/platform/tenants", data={"slug": "API", "name": "x", "short_name": "x",
                                                  "province_code": "33", "admin_email": "a@b.cn"},
                       follow_redirects=True)
    assert "标识只能由小写字母" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Tenant).where(Tenant.slug == "api")) == 0


def test_flask_tenants_create_command(app, session):
    from tests.factories import NationalTenantFactory

    NationalTenantFactory()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=[
        "tenants", "create", "hn", "--name", "湖南省学生联合会", "--short-name", "湖南省学联",
        "--province", "43", "--admin-email", "admin@hn.cn"])
    assert result.exit_code == 0, result.output
    assert "管理员邀请链接" in result.output
    result = app.test_cli_runner().invoke(args=[
        "tenants", "create", "hn", "--name", "x", "--short-name", "x", "--province", "43",
        "--admin-email", "admin@hn.cn"])
    assert result.exit_code != 0 and "已被使用" in result.output


def test_chinese_error_pages_and_json_errors(client, login_as, session):
    t = TenantFactory()
    login_as(member(t))
    resp = client.get(f"/{t.slug}/schools/999999")
    assert resp.status_code == 404 and "页面不存在" in resp.get_data(as_text=True)
    resp = client.get(f"/api/v1/{t.slug}/schools/999999")
    assert resp.status_code == 404 and resp.json["error"]["message"]
    resp = client.put(f"/api/v1/{t.slug}/rules/selection.default_quota", data="not json",
                      content_type="application/json")
    assert resp.status_code == 400 and resp.json["error"]["message"] == "请求体应为 JSON 对象"
    resp = client.get("/api/v1/workdays/add/2031-01-01/3")
    assert resp.status_code == 422 and "2031" in resp.json["error"]["message"]
    resp = client.get("/api/v1/workdays/add/not-a-date/3")
    assert resp.status_code == 400 and "YYYY-MM-DD" in resp.json["error"]["message"]


def test_english_switch(client, login_as, session):
    t = TenantFactory()
    login_as(member(t))
    assert "本省规则与全国规则对照" in client.get(f"/{t.slug}/rules/").get_data(as_text=True)
    client.get(f"/lang/en?next=/{t.slug}/rules/")
    page = client.get(f"/{t.slug}/rules/").get_data(as_text=True)
    assert "Local rules compared with national rules" in page and 'lang="en"' in page


def test_openapi_matches_the_url_map(app, client, session):
    spec = client.get("/api/v1/openapi.json").json
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "static":
            path = rule.rule
            import re

            path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", path)
            for m in rule.methods - {"HEAD", "OPTIONS"}:
                routed.add((path, m.lower()))
    documented = {(p, m) for p, ops in spec["paths"].items() for m in ops}
    assert routed == documented
    assert "/api/v1/{tenant}/rules" in spec["paths"]


def test_workdays_api_and_cli(app, client, session):
    assert client.get("/api/v1/workdays/add/2025-09-29/5").json["end"] == "2025-10-13"
    assert client.get("/api/v1/workdays/is-workday/2025-09-28").json["is_workday"] is True  # 调休
    result = app.test_cli_runner().invoke(args=["workdays", "add", "2025-09-29", "5"])
    assert result.output.strip() == "2025-10-13"


@pytest.mark.postgres
def test_pooled_connection_reused_after_tenant_request_sees_nothing(app):
    """set_config(..., true) ends with the transaction: a reused connection with no tenant
    set sees no tenant-owned rows, even right after serving tenant A."""
    owner = sa.create_engine(OWNER_URL)
    with owner.begin() as c:
        tid = c.execute(sa.text(
            "INSERT INTO tenants (slug, name, short_name, kind, active, created_at) "
            "VALUES ('pool-a', '连接池甲', '甲', 'national', true, now()) RETURNING id")).scalar()
        c.execute(sa.text("INSERT INTO schools (tenant_id, code, name, province_code, active, created_at) "
                          "VALUES (:t, '9990001', '池中学校', '11', true, now())"), {"t": tid})
    engine = sa.create_engine(APP_URL, pool_size=1, max_overflow=0)
    try:
        with app.app_context():
            from sqlalchemy.orm import sessionmaker

            from portal.core.db import TenantSession

            maker = sessionmaker(bind=engine, class_=TenantSession, db=db)
            s = maker()
            with tenant_context(tid, s):
                assert s.scalar(sa.select(sa.func.count()).select_from(School)) == 1
                served = s.connection().connection.dbapi_connection
                s.commit()
            s.close()
        with engine.connect() as raw:
            assert raw.connection.dbapi_connection is served  # the very same pooled connection
            assert raw.execute(sa.text("SELECT count(*) FROM schools")).scalar() == 0
            assert raw.execute(sa.text("SELECT current_setting('app.tenant_id', true)")).scalar() in ("", None)
        assert engine.pool.checkedout() == 0 and engine.pool.size() == 1
    finally:
        engine.dispose()
        with owner.begin() as c:
            c.execute(sa.text("DELETE FROM schools WHERE tenant_id = :t"), {"t": tid})
            c.execute(sa.text("DELETE FROM audit_records WHERE tenant_id = :t"), {"t": tid})
            c.execute(sa.text("DELETE FROM tenants WHERE id = :t"), {"t": tid})
        owner.dispose()


def test_admin_ajax_lookup_is_scoped_A2(client, login_as, session):
    from tests.factories import UnionFactory

    t = TenantFactory()
    admin = member(t)
    mine = UnionFactory(school=SchoolFactory(tenant=t, name="甲校"), tenant=t)
    theirs = UnionFactory(school=SchoolFactory(name="乙校"))
    login_as(admin)
    resp = client.get(f"/{t.slug}/admin/admin_presidium/ajax/lookup/?name=union&query=校")
    names = [item[1] for item in resp.json]
    assert mine.name in names and theirs.name not in names
    # a POST naming another tenant's union id is refused
    token = admin_csrf(client, f"/{t.slug}/admin/admin_presidium/new/")
    client.post(f"/{t.slug}/admin/admin_presidium/new/", data={
        "csrf_token": token, "union": str(theirs.id), "term_label": "x", "term_start": "2024-01-01"})
    from portal.reference.models import PresidiumMembership

    with tenant_context(theirs.tenant_id, db.session):
        assert db.session.query(PresidiumMembership).count() == 0
    with tenant_context(t.id, db.session):
        assert db.session.query(PresidiumMembership).count() == 0


def test_operator_disables_a_user_and_ends_sessions(app, client, login_as, session):
    t = TenantFactory()
    victim = member(t)
    other = app.test_client()
    other.post("/login", data={"email": victim.email, "password": "correct horse battery"})
    assert other.get(f"/{t.slug}/").status_code == 200
    op = UserFactory(is_platform_operator=True)
    login_as(op)
    assert victim.email in client.get(f"/platform/users?q={victim.email}").get_data(as_text=True)
    resp = client.post(f"/platform/users/{victim.id}/active", data={"active": "0"})
    assert resp.status_code == 302
    assert other.get(f"/{t.slug}/").status_code == 302
    with tenant_context(t.id, db.session):
        from portal.core.audit import AuditRecord

        assert db.session.query(AuditRecord).filter_by(action="user.disabled").count() == 1
