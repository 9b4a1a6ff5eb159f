"""Items 6 and 7: who sees what (A18, A19, A21) on the pages and in the API, and the OpenAPI document."""
from __future__ import annotations

import datetime as dt

from portal.core.db import tenant_context
from portal.extensions import db
from portal.reference.models import Department
from portal.residency.models import RotationSegment
from portal.supervision import operations as ops
from tenants.models import Role
from tests.factories import member
from tests.factories_residency import cohort
from tests.supervision.helpers import IN_TERM, chair_user, login_user, switch


def _world(app):
    app.config["FIXED_TODAY"] = IN_TERM
    w, (a, b) = cohort(2)
    head = login_user(member(w.tenant, Role.department_head))
    other_head = login_user(member(w.tenant, Role.department_head))
    approver = login_user(member(w.tenant, Role.approver))
    with tenant_context(w.tenant.id, db.session):
        dept = Department(tenant_id=w.tenant.id, name="团中央学校部", head_user_id=head.id)
        db.session.add(dept)
        db.session.flush()
        db.session.add(RotationSegment(tenant_id=w.tenant.id, residency_id=a.id, department_id=dept.id, post="干事",
                                       starts_on=a.term_start, ends_on=dt.date(2026, 2, 28), head_user_id=head.id))
        ca = ops.open_case(a, "discipline", actor=w.admin, title="甲的案件", facts="f")
        cb = ops.open_case(b, "removal", actor=w.admin, title="乙的案件", facts="f", ground="违纪违法")
    return w, a, b, head, other_head, approver, ca, cb


def test_A18_A21_each_role_sees_only_what_concerns_it(app, client, login_as, session):
    w, a, b, head, other_head, approver, ca, cb = _world(app)
    slug = w.tenant.slug
    api = f"/api/v1/{slug}/supervision/cases"
    login_as(head)  # heads a department where chair a works
    assert [c["id"] for c in client.get(api).get_json()["items"]] == [ca.id]
    assert client.get(f"{api}/{cb.id}").status_code == 404
    assert client.post(f"{api}/{ca.id}/hear").status_code == 403  # sees, does not act
    page = client.get(f"/{slug}/supervision/").get_data(as_text=True)
    assert "甲的案件" in page and "乙的案件" not in page
    switch(client, login_as, other_head)
    assert client.get(api).get_json()["total"] == 0
    switch(client, login_as, approver)  # nothing addressed to the approver yet
    assert client.get(api).get_json()["total"] == 0
    switch(client, login_as, w.admin)
    with tenant_context(w.tenant.id, db.session):
        ops.hear(cb, actor=w.admin, roles={Role.secretariat_admin})
        cb.statement_due = dt.date(2026, 3, 1)
        ops.close_hearing(cb, actor=w.admin, roles={Role.secretariat_admin})
        ops.request_approval(cb, actor=w.admin, roles={Role.secretariat_admin})
    switch(client, login_as, approver)
    assert [c["id"] for c in client.get(api).get_json()["items"]] == [cb.id]
    page = client.get(f"/{slug}/supervision/cases/{cb.id}").get_data(as_text=True)
    assert "乙的案件" in page and "共青团中央书记处" in page
    # a chair: their own case only; another chair's is a 404 on the page, the API and its files
    switch(client, login_as, chair_user(a))
    assert client.get(f"/{slug}/supervision/cases/{ca.id}").status_code == 200
    assert client.get(f"/{slug}/supervision/cases/{cb.id}").status_code == 404
    assert client.get(f"{api}/{cb.id}").status_code == 404
    assert client.post(f"{api}/{cb.id}/statement", data={"statement": "x"}).status_code == 404
    # the public sees nothing
    client.post("/logout")
    assert client.get(f"/{slug}/supervision/").status_code == 302
    assert client.get(f"/{slug}/supervision/cases/{ca.id}").status_code == 302
    assert client.get(api).status_code in (401, 403, 404)


def test_A19_pages_render_in_chinese_and_english(app, client, login_as, session):
    w, a, b, *_ = _world(app)
    login_as(chair_user(a))
    zh = client.get(f"/{w.tenant.slug}/supervision/activities").get_data(as_text=True)
    assert "对外活动报批" in zh and "签署承诺书" in zh and "第十九条" in zh
    en = client.get(f"/{w.tenant.slug}/supervision/activities", query_string={"lang": "en"}).get_data(as_text=True)
    assert "Outside activities" in en and "Sign the declaration" in en and "签署承诺书" not in en
    switch(client, login_as, w.admin)
    html = client.get(f"/{w.tenant.slug}/supervision/").get_data(as_text=True)
    assert "甲的案件" in html and "乙的案件" in html and "立案" in html


def test_A18_A19_A21_every_step_is_in_the_openapi_document(app, client, session):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    mine = {p for p in paths if "/supervision/" in p}
    for tail in ("cases", "cases/{case_id}", "cases/{case_id}/hear", "cases/{case_id}/statement",
                 "cases/{case_id}/request-approval", "cases/{case_id}/notice", "cases/{case_id}/delivery",
                 "cases/{case_id}/measure", "cases/{case_id}/self-criticism", "cases/{case_id}/self-criticism/review",
                 "activities", "activities/{activity_id}", "activities/{activity_id}/decide",
                 "activities/{activity_id}/outcome", "activities/unapproved", "declaration", "register"):
        assert any(p.endswith(f"/supervision/{tail}") for p in mine), tail
