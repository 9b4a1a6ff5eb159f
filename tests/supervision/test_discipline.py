"""A21: discipline — the ladder from the rules, the hearing, 责令检讨 with its working-day
deadline, 劝退 ending the residency and notifying the school; every step audited; the record."""
from __future__ import annotations

import io

import sqlalchemy as sa

from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.extensions import db
from portal.residency.models import Residency, ResidencyStatus
from tenants.models import Role
from tests.factories import TenantFactory, member
from tests.factories_residency import cohort
from tests.supervision.helpers import IN_TERM, PDF, chair_user, login_user, switch


def _heard(client, w, res, login_as, title="迟到早退"):
    base = f"/api/v1/{w.tenant.slug}/supervision"
    case = client.post(f"{base}/cases", data={"residency_id": res.id, "kind": "discipline", "title": title,
                                              "facts": "多次无故缺席例会"}, content_type="multipart/form-data").get_json()
    client.post(f"{base}/cases/{case['id']}/hear")
    switch(client, login_as, chair_user(res))
    client.post(f"{base}/cases/{case['id']}/statement", data={"statement": "确有其事，愿意改正"},
                content_type="multipart/form-data")
    switch(client, login_as, w.admin)
    return case, base


def test_A21_a_measure_outside_the_ladder_is_refused_under_a_provinces_ladder(app, client, login_as, session):
    from tenants.rules.operations import set_override

    app.config["FIXED_TODAY"] = IN_TERM
    w, (res,) = cohort(1, tenant=TenantFactory())
    with tenant_context(w.tenant.id, db.session):
        set_override(w.tenant, "supervision.disciplinary_measures", ["批评教育", "劝退"], "本省不设责令检讨", w.admin)
    login_as(w.admin)
    case, base = _heard(client, w, res, login_as)
    resp = client.post(f"{base}/cases/{case['id']}/measure", json={"measure": "责令检讨", "reason": "情节一般"})
    body = resp.get_json()["error"]
    assert resp.status_code == 422 and "第二十一条" in body["details"]["measure"] and "批评教育、劝退" in body["details"]["measure"]
    resp = client.post(f"{base}/cases/{case['id']}/measure", json={"measure": "批评教育", "reason": "初次违反，态度较好"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "closed"
    assert resp.get_json()["measure"] == "批评教育"


def test_A21_self_criticism_by_the_working_day_deadline_returned_then_accepted(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2026-04-30"  # before the Labour Day holiday (1–5 May 2026)
    w, (res,) = cohort(1)
    login_as(w.admin)
    case, base = _heard(client, w, res, login_as)
    # no measure without its reason
    assert client.post(f"{base}/cases/{case['id']}/measure", json={"measure": "责令检讨", "reason": ""}).status_code == 422
    case = client.post(f"{base}/cases/{case['id']}/measure", json={"measure": "责令检讨", "reason": "情节较重"}).get_json()
    # 5 working days from Thursday 30 April over the holiday (1–5 May off, Saturday 9 May worked)
    assert case["status"] == "awaiting_self_criticism" and case["self_criticism_due"] == "2026-05-11"
    switch(client, login_as, chair_user(res))
    assert client.post(f"{base}/cases/{case['id']}/self-criticism", data={},
                       content_type="multipart/form-data").status_code == 422
    resp = client.post(f"{base}/cases/{case['id']}/self-criticism", data={"files": (io.BytesIO(PDF), "检讨书.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 200 and resp.get_json()["status"] == "self_criticism_filed"
    assert client.post(f"{base}/cases/{case['id']}/self-criticism/review", json={"decision": "accept"}).status_code == 403
    switch(client, login_as, w.admin)
    resp = client.post(f"{base}/cases/{case['id']}/self-criticism/review", json={"decision": "return"})
    assert resp.status_code == 422  # a return says what to change
    resp = client.post(f"{base}/cases/{case['id']}/self-criticism/review",
                       json={"decision": "return", "note": "请深刻剖析原因"})
    assert resp.get_json()["status"] == "awaiting_self_criticism"
    app.config["FIXED_TODAY"] = "2026-05-25"  # past the new deadline
    switch(client, login_as, chair_user(res))
    resp = client.post(f"{base}/cases/{case['id']}/self-criticism", data={"files": (io.BytesIO(PDF), "检讨书.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "self_criticism_late"
    app.config["FIXED_TODAY"] = "2026-05-06"
    client.post(f"{base}/cases/{case['id']}/self-criticism", data={"files": (io.BytesIO(PDF), "检讨书2.pdf")},
                content_type="multipart/form-data")
    switch(client, login_as, w.admin)
    resp = client.post(f"{base}/cases/{case['id']}/self-criticism/review", json={"decision": "accept"})
    assert resp.get_json()["status"] == "closed"
    with tenant_context(w.tenant.id, db.session):
        actions = list(db.session.scalars(sa.select(AuditRecord.action).where(
            AuditRecord.object_type == "supervision_case", AuditRecord.object_id == str(case["id"]))
            .order_by(AuditRecord.seq)))
        articles = set(db.session.scalars(sa.select(AuditRecord.article).where(
            AuditRecord.object_type == "supervision_case", AuditRecord.object_id == str(case["id"]))))
    assert actions == ["supervision_case.opened", "supervision_case.hear", "supervision_case.file_statement",
                       "supervision_case.order_self_criticism", "supervision_case.file_self_criticism",
                       "supervision_case.return_self_criticism", "supervision_case.file_self_criticism",
                       "supervision_case.accept_self_criticism"]
    assert articles == {"A21"}
    # the A17 record: the measure under 不足与改进, tied to the case
    from portal.core.record import gather

    with tenant_context(w.tenant.id, db.session):
        facts, _gaps = gather(db.session.get(Residency, res.id))
    mine = [f for f in facts if f.article == "A21"]
    assert mine and mine[0].section == "improve" and "责令检讨" in mine[0].text
    assert mine[0].refs[0].object_id == case["id"]


def test_A21_persuasion_to_leave_ends_the_residency_and_notifies_the_school(app, client, login_as, session):
    app.config["FIXED_TODAY"] = IN_TERM
    w, (res,) = cohort(1)
    liaison = login_user(member(w.tenant, Role.school_liaison, school_id=res.school_id))
    login_as(w.admin)
    case, base = _heard(client, w, res, login_as, title="严重违反工作纪律")
    case = client.post(f"{base}/cases/{case['id']}/measure", json={"measure": "劝退", "reason": "屡教不改"}).get_json()
    assert case["status"] == "closed" and case["measure"] == "劝退" and case["notice_number"]
    assert case["delivery"] == "待送达"  # answered before the commit; the outbox sends after it
    assert client.get(f"{base}/cases/{case['id']}").get_json()["delivery"] == "已送达"
    with tenant_context(w.tenant.id, db.session):
        r = db.session.get(Residency, res.id)
        db.session.refresh(r)
        assert r.status == ResidencyStatus.left and r.end_reason.startswith("劝退")
    switch(client, login_as, liaison)
    got = client.get(f"/{w.tenant.slug}/supervision/cases/{case['id']}/notice.docx")
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(got.data)).paragraphs)
    assert "劝退" in text and res.chair.name in text and "第二十一条" in text and "第十八条" not in text


def test_A21_the_self_criticism_deadline_follows_the_provinces_rule(app, client, login_as, session):
    from tenants.rules.operations import set_override

    app.config["FIXED_TODAY"] = IN_TERM  # Monday 16 March 2026
    w, (res,) = cohort(1, tenant=TenantFactory())
    with tenant_context(w.tenant.id, db.session):
        set_override(w.tenant, "supervision.self_criticism_workdays", 2, "本省两个工作日", w.admin)
    login_as(w.admin)
    case, base = _heard(client, w, res, login_as)
    case = client.post(f"{base}/cases/{case['id']}/measure", json={"measure": "责令检讨", "reason": "情节较重"}).get_json()
    assert case["self_criticism_due"] == "2026-03-18"
