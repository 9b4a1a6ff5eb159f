"""A19: outside activities — the declaration, pre-approval by the approvers the rules name at
least N working days ahead, lapsing on the working-day calendar, the outcome filed, A11.4."""
from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.core.obligations import ObligationRecord
from portal.extensions import db
from portal.residency.models import Residency
from portal.supervision import operations as ops
from portal.supervision.models import Activity, ActivityStatus, CaseKind, SupervisionCase
from tenants.models import Role
from tests.factories import TenantFactory, member
from tests.factories_residency import cohort
from tests.supervision.helpers import PDF, chair_user, login_user, switch


def _ask(client, w, **over):
    data = {"kind": "event", "capacity": "chair", "title": "全国青年论坛", "organizer": "某青年协会",
            "event_date": "2026-04-27", "artefacts": (io.BytesIO(PDF), "邀请函.pdf")}
    data.update(over)
    return client.post(f"/api/v1/{w.tenant.slug}/supervision/activities", data=data,
                       content_type="multipart/form-data")


def test_A19_declaration_and_requests_refused_late_after_the_event_or_without_artefact(app, client, login_as, session):
    from tenants.rules.operations import set_override

    app.config["FIXED_TODAY"] = "2026-04-13"  # a Monday
    w, (res,) = cohort(1, tenant=TenantFactory())
    with tenant_context(w.tenant.id, db.session):
        set_override(w.tenant, "supervision.activity_lead_workdays", 8, "本省提前8个工作日", w.admin)
    login_as(chair_user(res))
    d1 = client.post(f"/api/v1/{w.tenant.slug}/supervision/declaration")
    d2 = client.post(f"/api/v1/{w.tenant.slug}/supervision/declaration")
    assert d1.status_code == 201 and d2.get_json()["signed_at"] == d1.get_json()["signed_at"]
    assert "不再承担原学生会" in d1.get_json()["text"]
    # 2026-04-22 is 6 working days ahead: under this province's 8, refused with the article
    resp = _ask(client, w, event_date="2026-04-22")
    assert resp.status_code == 422 and "8 个工作日" in resp.get_json()["error"]["details"]["event_date"]
    assert "第十九条" in resp.get_json()["error"]["details"]["event_date"]
    resp = _ask(client, w, event_date="2026-04-10")  # after the event: never approved afterwards
    assert resp.status_code == 422 and "事后不能补批" in resp.get_json()["error"]["details"]["event_date"]
    resp = _ask(client, w, artefacts=None)
    assert resp.status_code == 422 and "邀请函" in resp.get_json()["error"]["details"]["artefacts"]
    resp = _ask(client, w, kind="article", title="青年与时代", organizer="某报社")
    assert resp.status_code == 422 and "outlet" in resp.get_json()["error"]["details"]
    resp = _ask(client, w, event_date="2026-04-27")  # 9 working days ahead
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["status"] == "pending" and body["decide_by"] == "2026-04-24" and body["files"][0]["role"] == "artefact"


def test_A19_decided_by_the_roles_the_rules_name_never_automatically(app, client, login_as, session):
    from tenants.rules.operations import set_override

    app.config["FIXED_TODAY"] = "2026-04-13"
    w, (res, other) = cohort(2, tenant=TenantFactory())
    approver = login_user(member(w.tenant, Role.approver))
    with tenant_context(w.tenant.id, db.session):
        set_override(w.tenant, "supervision.activity_approver_roles", ["approver"], "团省委审批", w.admin)
    login_as(chair_user(res))
    act = _ask(client, w).get_json()
    base = f"/api/v1/{w.tenant.slug}/supervision/activities/{act['id']}"
    switch(client, login_as, chair_user(other))
    assert client.get(base).status_code == 404  # another chair's request
    switch(client, login_as, w.admin)
    resp = client.post(f"{base}/decide", json={"decision": "approve"})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "not_an_approver"
    switch(client, login_as, approver)
    assert client.post(f"{base}/decide", json={"decision": "refuse"}).status_code == 422  # a refusal says why
    resp = client.post(f"{base}/decide", json={"decision": "approve", "note": "同意"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "approved"
    assert client.post(f"{base}/decide", json={"decision": "approve"}).status_code == 409  # once
    reg = client.get(f"/api/v1/{w.tenant.slug}/supervision/register").get_json()
    assert [a["id"] for a in reg["items"]] == [act["id"]]


def test_A19_undecided_requests_lapse_on_the_working_day_calendar(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2026-04-20"
    w, (res,) = cohort(1)
    login_as(chair_user(res))
    # the event on Wednesday 6 May, after the Labour Day holiday (1–5 May): decide by Thursday 30 April
    act = _ask(client, w, event_date="2026-05-06").get_json()
    assert act["decide_by"] == "2026-04-30"
    db.session.commit()
    assert act["id"] not in ops.lapse_overdue(dt.date(2026, 4, 30))
    with tenant_context(w.tenant.id, db.session):
        assert db.session.get(Activity, act["id"]).status == ActivityStatus.pending
    assert act["id"] in ops.lapse_overdue(dt.date(2026, 5, 2))  # a holiday, four days before the event
    with tenant_context(w.tenant.id, db.session):
        a = db.session.get(Activity, act["id"])
        db.session.refresh(a)
        assert a.status == ActivityStatus.lapsed
    assert act["id"] not in ops.lapse_overdue(dt.date(2026, 5, 3))  # once
    app.config["FIXED_TODAY"] = "2026-04-30"
    switch(client, login_as, w.admin)
    resp = client.post(f"/api/v1/{w.tenant.slug}/supervision/activities/{act['id']}/decide", json={"decision": "approve"})
    assert resp.status_code == 409  # lapsed: nothing to decide


def test_A19_A11_4_an_exchange_files_its_report_and_feeds_the_record(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2026-04-13"
    w, (res,) = cohort(1)
    login_as(chair_user(res))
    act = _ask(client, w, exchange="1", title="对港青年交流营").get_json()
    base = f"/api/v1/{w.tenant.slug}/supervision/activities/{act['id']}"
    switch(client, login_as, w.admin)
    client.post(f"{base}/decide", json={"decision": "approve"})
    switch(client, login_as, chair_user(res))
    resp = client.post(f"{base}/outcome", data={"link": "https://example.cn/news/1"}, content_type="multipart/form-data")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "event_not_yet"
    app.config["FIXED_TODAY"] = "2026-04-28"
    resp = client.post(f"{base}/outcome", data={"link": "https://example.cn/news/1"}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "report" in resp.get_json()["error"]["details"]  # A11.4 成果报告
    resp = client.post(f"{base}/outcome", data={"link": "https://example.cn/news/1", "note": "交流顺利",
                                                "report": (io.BytesIO(PDF), "成果报告.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 200 and resp.get_json()["status"] == "filed"
    rec_id = resp.get_json()["obligation_record_id"]
    with tenant_context(w.tenant.id, db.session):
        rec = db.session.get(ObligationRecord, rec_id)
        assert rec.obligation_key == "residency.obligation.a11_4_exchange" and rec.subject_id == res.id
        assert rec.evidence_type == "pdf" and rec.occurred_on == dt.date(2026, 4, 27)
        from portal.core.record import gather

        facts, _ = gather(db.session.get(Residency, res.id))
    mine = [f for f in facts if f.article == "A19"]
    assert len(mine) == 1 and "对港青年交流营" in mine[0].text and mine[0].refs[0].object_id == act["id"]


def test_A19_an_activity_found_without_approval_opens_a_disciplinary_case(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2026-04-13"
    w, (res,) = cohort(1)
    login_as(w.admin)
    resp = client.post(f"/api/v1/{w.tenant.slug}/supervision/activities/unapproved", data={
        "residency_id": res.id, "kind": "interview", "title": "接受某网站采访", "event_date": "2026-04-08",
        "facts": "未经批准以驻会执行主席名义接受采访"}, content_type="multipart/form-data")
    assert resp.status_code == 201
    case = resp.get_json()
    assert case["kind"] == "discipline" and case["status"] == "open" and "未经批准接受采访" in case["title"]
    with tenant_context(w.tenant.id, db.session):
        c = db.session.get(SupervisionCase, case["id"])
        assert c.kind == CaseKind.discipline and db.session.get(Activity, c.activity_id).status == ActivityStatus.unapproved
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 1
