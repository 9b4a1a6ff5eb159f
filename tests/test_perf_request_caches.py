"""Issue 10 item 4: the fixed cost of a request. The tenant by slug and the effective rules are
cached per process; what one request changes, the next one sees (A22 overrides, a renamed or
deactivated federation), and what another process changes is seen too (the rules at once,
by their stamp; the tenant within TENANT_CACHE_SECONDS)."""
import time

import sqlalchemy as sa

from portal.extensions import db
from tenants.models import Tenant
from tenants.rules.models import RuleOverride
from tests.conftest import count_queries
from tests.factories import TenantFactory, member


def _rules_json(client, t):
    data = client.get(f"/api/v1/{t.slug}/rules").json
    return {r["key"]: r for r in data["rules"]}


def _tenant_lookups(statements):
    return [s for s in statements if "FROM tenants" in s and "tenants.slug =" in s and "tenants.name" in s]  # (not the test client's own id look-up)


def test_A22_an_override_set_in_one_request_is_seen_by_the_next(client, login_as, session):
    t = TenantFactory()
    admin = member(t)
    login_as(admin)
    assert _rules_json(client, t)["selection.default_quota"]["value"] == 6  # national, now cached
    page = client.get(f"/{t.slug}/rules/").get_data(as_text=True)
    assert "本地覆盖" not in page
    resp = client.post(f"/{t.slug}/rules/selection.default_quota/override", data={"value": "4", "reason": "本省名额"})
    assert resp.status_code == 302
    rule = _rules_json(client, t)["selection.default_quota"]
    assert rule["value"] == 4 and rule["source"] == "override"
    assert "本地覆盖" in client.get(f"/{t.slug}/rules/").get_data(as_text=True)
    resp = client.post(f"/{t.slug}/rules/selection.default_quota/override", data={"action": "clear"})
    assert resp.status_code == 302
    rule = _rules_json(client, t)["selection.default_quota"]
    assert rule["value"] == 6 and rule["source"] == "national"


def test_A22_an_override_written_by_another_process_is_seen_at_once(client, login_as, session):
    """No event of this process sees the write (a bare connection statement): the stamp does."""
    t = TenantFactory()
    admin = member(t)
    login_as(admin)
    assert _rules_json(client, t)["selection.default_quota"]["value"] == 6
    from portal.core.db import tenant_context

    with tenant_context(t.id, db.session):
        db.session.connection().execute(sa.insert(RuleOverride.__table__).values(
            tenant_id=t.id, key="selection.default_quota", value=5, reason="另一进程写入",
            created_at=sa.func.current_timestamp(), updated_at=sa.func.current_timestamp()))
    db.session.commit()
    rule = _rules_json(client, t)["selection.default_quota"]
    assert rule["value"] == 5 and rule["reason"] == "另一进程写入"


def test_the_second_request_reads_neither_tenant_nor_rule_rows(client, login_as, session):
    t = TenantFactory()
    admin = member(t)
    login_as(admin)
    client.get(f"/{t.slug}/rules/")
    with count_queries() as q:
        assert client.get(f"/{t.slug}/rules/").status_code == 200
    assert not _tenant_lookups(q.statements)
    assert not [s for s in q.statements if "FROM rule_values" in s or "FROM rule_overrides" in s and "count(" not in s]
    # and the tenant isolation still happens per transaction (RLS on PostgreSQL)
    if db.engine.dialect.name == "postgresql":
        assert any("set_config" in s.lower() for s in q.statements)


def test_a_renamed_tenant_is_seen_by_the_next_request(client, login_as, session):
    t = TenantFactory(name="旧名称学生联合会")
    admin = member(t)
    login_as(admin)
    assert "旧名称学生联合会" in client.get(f"/{t.slug}/").get_data(as_text=True)
    t.name = "新名称学生联合会"
    db.session.commit()
    body = client.get(f"/{t.slug}/").get_data(as_text=True)
    assert "新名称学生联合会" in body and "旧名称学生联合会" not in body


def test_a_deactivated_tenant_is_gone_for_the_next_request(client, login_as, session):
    t = TenantFactory()
    admin = member(t)
    login_as(admin)
    assert client.get(f"/{t.slug}/").status_code == 200
    db.session.execute(sa.update(Tenant).where(Tenant.id == t.id).values(active=False))
    db.session.commit()
    db.session.expunge_all()
    assert client.get(f"/{t.slug}/").status_code == 404


def test_another_process_rename_is_seen_within_the_cache_lifetime(app, client, login_as, session):
    t = TenantFactory(name="甲学生联合会")
    admin = member(t)
    login_as(admin)
    old = app.config.get("TENANT_CACHE_SECONDS", 5)
    app.config["TENANT_CACHE_SECONDS"] = 0.2
    try:
        assert "甲学生联合会" in client.get(f"/{t.slug}/").get_data(as_text=True)
        db.session.connection().execute(sa.update(Tenant.__table__).where(Tenant.__table__.c.id == t.id)
                                        .values(name="乙学生联合会"))
        db.session.commit()
        db.session.expunge_all()
        assert "甲学生联合会" in client.get(f"/{t.slug}/").get_data(as_text=True)  # cached, as documented
        time.sleep(0.3)
        assert "乙学生联合会" in client.get(f"/{t.slug}/").get_data(as_text=True)
    finally:
        app.config["TENANT_CACHE_SECONDS"] = old


def test_A22_the_rules_page_shows_another_process_override_at_once_in_each_language(client, login_as, session):
    """The rules table is rendered once per effective rules and kept: a change seen by the rules'
    stamp (a bare statement, as another process writes) gives a new table at once, and the kept
    Chinese table is never served to an English request (or back)."""
    t = TenantFactory()
    admin = member(t)
    login_as(admin)
    url = f"/{t.slug}/rules/"
    zh = client.get(url).get_data(as_text=True)
    assert "另一进程写入" not in zh and "本地覆盖" not in zh
    en = client.get(url + "?lang=en").get_data(as_text=True)
    assert "National rules" in en and "本地覆盖" not in en
    from portal.core.db import tenant_context

    with tenant_context(t.id, db.session):
        db.session.connection().execute(sa.insert(RuleOverride.__table__).values(
            tenant_id=t.id, key="selection.default_quota", value=5, reason="另一进程写入",
            created_at=sa.func.current_timestamp(), updated_at=sa.func.current_timestamp()))
    db.session.commit()
    en = client.get(url).get_data(as_text=True)  # still English (the session keeps ?lang=)
    assert "另一进程写入" in en and "Local override" in en and "本地覆盖" not in en
    zh = client.get(url + "?lang=zh_Hans_CN").get_data(as_text=True)
    assert "另一进程写入" in zh and "本地覆盖" in zh
    # the override form carries this session's CSRF token, never the kept table's placeholder
    assert "\x00" not in zh and 'name="csrf_token" value=""' not in zh
