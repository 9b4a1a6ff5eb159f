"""The residency pages and API (A8): the roster, a chair's profile, 我的驻会, records by role."""
from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.core.obligations import ObligationRecord
from portal.extensions import db
from portal.residency import operations as rops
from tenants.models import Role
from tests.factories import PASSWORD, member
from tests.factories_residency import cohort

IN_TERM = "2026-03-16"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _chair(res):
    from portal.auth.models import User

    u = db.session.get(User, res.chair.user_id)
    u.set_password(PASSWORD)
    u.password_set_at = dt.datetime(2026, 1, 1)
    return u


def _count_records(tenant_id):
    with tenant_context(tenant_id, db.session):
        return db.session.scalar(sa.select(sa.func.count()).select_from(ObligationRecord))


def test_A8_roster_lists_each_chair_with_obligations_and_exports_xlsx(app, client, login_as, session):
    app.config["FIXED_TODAY"] = IN_TERM
    w, (a, b) = cohort(2)
    with tenant_context(w.tenant.id, db.session):
        rops.set_post(a, post="全国学联秘书处", working_group="宣传思想小组", actor=w.admin)
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/residency/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "驻会执行主席名册" in html and a.chair.name in html and b.chair.name in html
    assert "宣传思想小组" in html and "全国学联秘书处" in html
    assert html.count('class="badge red"') == 2                # both chairs have overdue items
    province = a.school.province_code
    one = client.get(f"/{w.tenant.slug}/residency/", query_string={"province": province}).get_data(as_text=True)
    assert a.chair.name in one and b.chair.name not in one  # world() alternates provinces
    x = client.get(f"/{w.tenant.slug}/residency/roster.xlsx", query_string={"cohort": a.cohort})
    assert x.status_code == 200 and x.mimetype.endswith("spreadsheetml.sheet")
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(x.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("届别", "姓名", "学校") and {r[1] for r in rows[1:]} == {a.chair.name, b.chair.name}
    api = client.get(f"/api/v1/{w.tenant.slug}/residency/residencies").get_json()
    assert api["total"] == 2
    item = next(i for i in api["items"] if i["id"] == a.id)
    assert item["post"] == "全国学联秘书处" and item["required"] > 0 and item["overdue"]


def test_A8_a_chair_sees_my_residency_and_records_with_evidence(app, client, login_as, session):
    app.config["FIXED_TODAY"] = IN_TERM
    w, (res, other) = cohort(2)
    chair = _chair(res)
    login_as(chair)
    home = client.get(f"/{w.tenant.slug}/")      # the chair lands on 我的驻会
    assert home.status_code == 302 and home.headers["Location"].endswith(f"/{w.tenant.slug}/residency/me")
    html = client.get(f"/{w.tenant.slug}/residency/me").get_data(as_text=True)
    assert "我的驻会" in html and "2025年9月1日" in html and "向团中央书记处汇报思想、学习和工作情况" in html
    assert client.get(f"/{w.tenant.slug}/residency/").status_code == 403          # not the roster
    assert client.get(f"/{w.tenant.slug}/residency/{other.id}").status_code == 404  # not another chair
    resp = client.post(f"/{w.tenant.slug}/residency/{res.id}/records", data={
        "obligation": "residency.obligation.a10_2_course", "occurred_on": "2026-03-10", "title": "研学心得",
        "evidence": (io.BytesIO(PDF), "心得.pdf")}, content_type="multipart/form-data")
    assert resp.status_code == 303
    (rec,) = db.session.scalars(sa.select(ObligationRecord)).all()
    assert rec.recorded_role == "chair" and rec.evidence_type == "pdf"
    got = client.get(f"/{w.tenant.slug}/residency/records/{rec.id}/evidence")
    assert got.status_code == 200 and got.data == PDF
    # outside the term: refused with the field, nothing saved
    resp = client.post(f"/api/v1/{w.tenant.slug}/residency/residencies/{res.id}/records", data={
        "obligation": "residency.obligation.a9_report", "occurred_on": "2026-09-02", "title": "汇报"},
        content_type="multipart/form-data")
    assert resp.status_code == 422 and "occurred_on" in resp.get_json()["error"]["details"]
    # a talk is the department head's: 403
    resp = client.post(f"/api/v1/{w.tenant.slug}/residency/residencies/{res.id}/records", data={
        "obligation": "residency.obligation.a9_talk", "occurred_on": "2026-03-10", "title": "谈话"},
        content_type="multipart/form-data")
    assert resp.status_code == 403
    # a chair cannot accept their own record
    resp = client.post(f"/api/v1/{w.tenant.slug}/residency/records/{rec.id}/review", json={"decision": "accept"})
    assert resp.status_code == 403
    assert _count_records(w.tenant.id) == 1
    me = client.get(f"/api/v1/{w.tenant.slug}/residency/me").get_json()
    assert me["id"] == res.id and any(o["key"].endswith("a14_dues") for o in me["obligations"])


def test_A8_secretariat_returns_a_record_and_the_chair_sees_why(app, client, login_as, session):
    app.config["FIXED_TODAY"] = IN_TERM
    w, (res,) = cohort(1)
    chair = _chair(res)
    with tenant_context(w.tenant.id, db.session):
        rec = rops.record(res, "a9_report", actor=chair, roles={Role.chair}, occurred_on=dt.date(2026, 3, 2),
                          title="第一次汇报", today=dt.date(2026, 3, 16))
    login_as(w.admin)
    resp = client.post(f"/api/v1/{w.tenant.slug}/residency/records/{rec.id}/review", json={"decision": "return"})
    assert resp.status_code == 422 and "note" in resp.get_json()["error"]["details"]
    resp = client.post(f"/api/v1/{w.tenant.slug}/residency/records/{rec.id}/review",
                       json={"decision": "return", "note": "请补充学习体会"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "returned"
    html = client.get(f"/{w.tenant.slug}/residency/{res.id}").get_data(as_text=True)
    assert "第一次汇报" in html and "第九条" in html and "请补充学习体会" in html
    client.get("/logout")
    login_as(chair)
    mine = client.get(f"/{w.tenant.slug}/residency/me").get_data(as_text=True)
    assert "退回修改" in mine and "请补充学习体会" in mine


def test_A9_department_head_records_a_talk_on_the_profile_page(app, client, login_as, session):
    from tests.residency.rotation_helpers import departments, halves

    app.config["FIXED_TODAY"] = IN_TERM
    w, (res,) = cohort(1)
    sec, (dept, _other), (head, _other_head) = departments(w)
    halves(w, res, sec, dept)        # A12: in the head's department from March
    login_as(head)
    page = client.get(f"/{w.tenant.slug}/residency/{res.id}").get_data(as_text=True)
    assert 'value="residency.obligation.a9_talk"' in page and 'value="residency.obligation.a9_report"' not in page
    assert 'id="talk-form"' in page
    resp = client.post(f"/{w.tenant.slug}/residency/{res.id}/records", data={
        "obligation": "residency.obligation.a9_talk", "occurred_on": "2026-03-12", "place": "会议室"})
    assert resp.status_code == 303 and _count_records(w.tenant.id) == 0   # the topic is missing
    resp = client.post(f"/{w.tenant.slug}/residency/{res.id}/records", data={
        "obligation": "residency.obligation.a9_talk", "occurred_on": "2026-03-12", "place": "会议室",
        "topic": "驻会以来的收获", "content": "谈了学习和工作安排"})
    assert resp.status_code == 303
    (rec,) = db.session.scalars(sa.select(ObligationRecord)).all()
    assert rec.recorded_role == "department_head" and rec.status.value == "accepted"
    resp = client.post(f"/{w.tenant.slug}/residency/{res.id}/records", data={
        "obligation": "residency.obligation.a9_report", "occurred_on": "2026-03-12", "title": "代写汇报"})
    assert resp.status_code == 403
    assert _count_records(w.tenant.id) == 1


def test_A8_demo_cohort_in_residence_and_the_demo_chair_lands_on_my_residency(app, client, session):
    from portal.demo import DEMO_PASSWORD, load_demo
    from portal.residency.models import Residency
    from tenants.models import Tenant

    load_demo()
    acsf = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "acsf"))
    with tenant_context(acsf.id, db.session):
        rows = rops.roster(list(db.session.scalars(sa.select(Residency))))
    assert len(rows) >= 3
    assert any(s.overdue for s in rows) and any(s.met for s in rows) and any(s.next_due for s in rows)
    resp = client.post("/login", data={"email": "chair@acsf.demo.cn", "password": DEMO_PASSWORD},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "我的驻会" in html and "退回修改" in html and "下一项" in html
