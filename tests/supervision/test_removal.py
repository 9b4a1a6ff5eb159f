"""A18: removal of a chair's status — case, hearing, the approving body's decision, the cascade
in one transaction, the notice to the sending school (delivered like the A6.1 letters)."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from portal.core import approvals
from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.core.errors import Conflict
from portal.core.signals import residency_ended
from portal.extensions import db
from portal.notifications.models import Notification
from portal.residency.models import Residency, ResidencyStatus
from portal.supervision import operations as ops
from portal.supervision.models import Activity, ActivityStatus, CaseStatus, SupervisionCase
from tenants.models import Role
from tests.factories import member
from tests.factories_residency import cohort
from tests.supervision.helpers import IN_TERM, PDF, chair_user, login_user, pdf, switch

GROUND = "违纪违法"


def _setup(app, n=2, tenant=None):
    app.config["FIXED_TODAY"] = IN_TERM
    w, residencies = cohort(n, tenant=tenant)
    approver = login_user(member(w.tenant, Role.approver))
    liaison = login_user(member(w.tenant, Role.school_liaison, school_id=residencies[0].school_id))
    return w, residencies, approver, liaison


def _open(client, w, res):
    resp = client.post(f"/api/v1/{w.tenant.slug}/supervision/cases", data={
        "residency_id": res.id, "kind": "removal", "ground": GROUND, "title": "违反廉洁纪律",
        "facts": "经查，收受他人财物。", "evidence": pdf()}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_A18_removal_from_case_to_notice_delivered(app, client, login_as, session):
    w, (res, other), approver, liaison = _setup(app)
    login_as(w.admin)
    base = f"/api/v1/{w.tenant.slug}/supervision"
    case = _open(client, w, res)
    assert case["status"] == "open" and case["ground"] == GROUND and case["files"][0]["role"] == "evidence"
    # A18: no notice before the approval is recorded — refused with the reason and the article
    resp = client.post(f"{base}/cases/{case['id']}/notice")
    assert resp.status_code == 409 and "第十八条" in resp.get_json()["error"]["message"]
    assert resp.get_json()["error"]["code"] == "not_approved"
    case = client.post(f"{base}/cases/{case['id']}/hear").get_json()
    assert case["status"] == "hearing" and case["statement_due"] == "2026-03-23"  # 5 working days on
    # the chair is heard; another chair cannot even see the case
    switch(client, login_as, chair_user(other))
    assert client.get(f"{base}/cases/{case['id']}").status_code == 404
    assert client.post(f"{base}/cases/{case['id']}/statement", data={"statement": "x"}).status_code == 404
    assert client.get(f"{base}/cases").get_json()["total"] == 0
    switch(client, login_as, chair_user(res))
    assert client.get(f"{base}/cases").get_json()["total"] == 1
    resp = client.post(f"{base}/cases/{case['id']}/statement", data={"statement": "本人申辩如下……"},
                       content_type="multipart/form-data")
    assert resp.status_code == 200 and resp.get_json()["status"] == "heard"
    switch(client, login_as, w.admin)
    case = client.post(f"{base}/cases/{case['id']}/request-approval").get_json()
    assert case["status"] == "awaiting_approval" and case["approving_body"] == "共青团中央书记处"
    req_id = case["approval_request_id"]
    # the approver decides in the approvals queue, with the decision's number, date and scan
    switch(client, login_as, approver)
    assert client.get(f"{base}/cases/{case['id']}").status_code == 200  # addressed to the approver
    resp = client.post(f"/{w.tenant.slug}/approvals/{req_id}/decide", data={
        "decision": "approve", "document_number": "中青办发〔2026〕8号", "decision_date": IN_TERM,
        "scan": (PDF and __import__("io").BytesIO(PDF), "批复.pdf")}, content_type="multipart/form-data")
    assert resp.status_code == 303
    switch(client, login_as, w.admin)
    case = client.get(f"{base}/cases/{case['id']}").get_json()
    assert case["status"] == "notified" and case["decision_number"] == "中青办发〔2026〕8号"
    assert case["notice_number"] == "学联驻通〔2026〕1号"
    with tenant_context(w.tenant.id, db.session):
        r = db.session.get(Residency, res.id)
        db.session.refresh(r)
        assert r.status == ResidencyStatus.removed and r.ended_on == dt.date(2026, 3, 16)
        assert r.term_end == dt.date(2026, 3, 16)  # obligations recompute from the new end
        note = db.session.scalar(sa.select(Notification).where(Notification.related_type == "supervision_notice"))
        assert note.recipient_user_id == liaison.id
    # the outbox delivered it (eager jobs): 已送达, as the A6.1 letters
    assert case["delivery"] == "已送达"
    # the notice is the chair's real record, from the tenant's template
    from tests.test_documents_jobs import _pdftext  # noqa: F401  (pdftotext helper)
    switch(client, login_as, liaison)
    got = client.get(f"/{w.tenant.slug}/supervision/cases/{case['id']}/notice.docx")
    assert got.status_code == 200
    import io
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(got.data)).paragraphs)
    assert res.chair.name in text and res.school.name in text and "中青办发〔2026〕8号" in text
    assert "共青团中央书记处" in text and GROUND in text and "第十八条" in text and "某某" not in text
    # the liaison sees the notice, never the case itself
    assert client.get(f"{base}/cases/{case['id']}").status_code == 403


def test_A18_refusal_needs_a_reason_and_keeps_the_residency(app, client, login_as, session):
    w, (res, _), approver, _l = _setup(app)
    login_as(w.admin)
    base = f"/api/v1/{w.tenant.slug}/supervision"
    case = _open(client, w, res)
    client.post(f"{base}/cases/{case['id']}/hear")
    app.config["FIXED_TODAY"] = "2026-03-24"  # the statement period has run out
    resp = client.post(f"{base}/cases/{case['id']}/close-hearing")
    assert resp.status_code == 200 and resp.get_json()["status"] == "heard"
    case = client.post(f"{base}/cases/{case['id']}/request-approval").get_json()
    switch(client, login_as, approver)
    resp = client.post(f"/api/v1/{w.tenant.slug}/approvals/{case['approval_request_id']}/decide",
                       json={"decision": "refuse"})
    assert resp.status_code == 400 and "理由" in resp.get_json()["error"]["message"]
    resp = client.post(f"/api/v1/{w.tenant.slug}/approvals/{case['approval_request_id']}/decide",
                       json={"decision": "refuse", "reason": "事实不清，请补充调查"})
    assert resp.status_code == 200
    switch(client, login_as, w.admin)
    case = client.get(f"{base}/cases/{case['id']}").get_json()
    assert case["status"] == "refused"
    assert client.post(f"{base}/cases/{case['id']}/notice").status_code == 409
    with tenant_context(w.tenant.id, db.session):
        assert db.session.get(Residency, res.id).status == ResidencyStatus.in_residence


def test_A18_a_chair_cannot_make_their_statement_after_the_deadline(app, client, login_as, session):
    w, (res, _), _a, _l = _setup(app)
    login_as(w.admin)
    base = f"/api/v1/{w.tenant.slug}/supervision"
    case = _open(client, w, res)
    client.post(f"{base}/cases/{case['id']}/hear")
    # the deadline is 5 working days on the official calendar: Monday 16 → Monday 23 March
    assert client.post(f"{base}/cases/{case['id']}/close-hearing").status_code == 409  # still running
    app.config["FIXED_TODAY"] = "2026-03-24"
    switch(client, login_as, chair_user(res))
    resp = client.post(f"{base}/cases/{case['id']}/statement", data={"statement": "迟交"},
                       content_type="multipart/form-data")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "statement_late"


def test_A18_ground_not_in_the_rules_is_refused(app, client, login_as, session):
    w, (res, _), _a, _l = _setup(app)
    login_as(w.admin)
    resp = client.post(f"/api/v1/{w.tenant.slug}/supervision/cases", data={
        "residency_id": res.id, "kind": "removal", "ground": "表现一般", "title": "t", "facts": "f"},
        content_type="multipart/form-data")
    assert resp.status_code == 422 and "第十八条" in resp.get_json()["error"]["details"]["ground"]
    with tenant_context(w.tenant.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SupervisionCase)) == 0


def _to_approval(w, res, approver):
    with tenant_context(w.tenant.id, db.session):
        case = ops.open_case(res, "removal", actor=w.admin, title="违反廉洁纪律", facts="经查属实", ground=GROUND)
        ops.hear(case, actor=w.admin, roles={Role.secretariat_admin})
        case.statement_due = dt.date(2026, 3, 1)
        ops.close_hearing(case, actor=w.admin, roles={Role.secretariat_admin})
        act = Activity(tenant_id=w.tenant.id, residency_id=res.id, kind="event", capacity="chair", title="论坛",
                       organizer="某协会", event_date=dt.date(2026, 4, 1), status=ActivityStatus.pending,
                       requested_on=dt.date(2026, 3, 10), decide_by=dt.date(2026, 3, 31))
        db.session.add(act)
        db.session.flush()
        req = ops.request_approval(case, actor=w.admin, roles={Role.secretariat_admin})
    db.session.commit()
    return case, req, act


def test_A18_the_cascade_is_one_transaction_a_receiver_failing_midway_undoes_all(app, client, login_as, session):
    """A receiver of residency.ended (after the residency's update) refuses: the decision, the
    residency's end, the closed requests, the notice and the cascade's audit rows are all undone."""
    w, (res, _), approver, _l = _setup(app)
    case, req, act = _to_approval(w, res, approver)
    with tenant_context(w.tenant.id, db.session):
        audits_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditRecord))

    def refuse(sender, **kw):
        assert sender.status == ResidencyStatus.removed  # the residency row was already updated
        raise Conflict("床位系统暂不可用", code="receiver_failed")

    residency_ended.connect(refuse)
    try:
        login_as(approver)
        resp = client.post(f"/api/v1/{w.tenant.slug}/approvals/{req.id}/decide", json={
            "decision": "approve", "document_number": "中青办发〔2026〕9号", "decision_date": IN_TERM})
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "receiver_failed"
        # and an unexpected crash at the operation level, rolled back by its owner
        with tenant_context(w.tenant.id, db.session):
            r = db.session.get(approvals.ApprovalRequest, req.id)
            with pytest.raises(Conflict):
                approvals.decide(r, True, actor=approver, document_number="中青办发〔2026〕9号",
                                 decision_date=dt.date(2026, 3, 16))
        db.session.rollback()
    finally:
        residency_ended.disconnect(refuse)
    with tenant_context(w.tenant.id, db.session):
        assert db.session.get(Residency, res.id).status == ResidencyStatus.in_residence
        assert db.session.get(SupervisionCase, case.id).status == CaseStatus.awaiting_approval
        assert db.session.get(approvals.ApprovalRequest, req.id).status == approvals.ApprovalStatus.pending
        assert db.session.get(Activity, act.id).status == ActivityStatus.pending
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.related_type == "supervision_notice")) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditRecord)) == audits_before
    # without the failing receiver the same decision goes through whole
    resp = client.post(f"/api/v1/{w.tenant.slug}/approvals/{req.id}/decide", json={
        "decision": "approve", "document_number": "中青办发〔2026〕9号", "decision_date": IN_TERM})
    assert resp.status_code == 200
    with tenant_context(w.tenant.id, db.session):
        assert db.session.get(Residency, res.id).status == ResidencyStatus.removed
        assert db.session.get(Activity, act.id).status == ActivityStatus.closed
        assert db.session.get(SupervisionCase, case.id).status == CaseStatus.notified


def test_A18_A22_a_province_asks_its_own_approving_body(app, client, login_as, session):
    from tenants.rules.operations import set_override
    from tests.factories import TenantFactory

    tenant = TenantFactory()
    w, (res, _), approver, _l = _setup(app, tenant=tenant)
    with tenant_context(w.tenant.id, db.session):
        set_override(w.tenant, "selection.approving_body", "共青团广东省委", "参照执行", w.admin)
        set_override(w.tenant, "supervision.statement_workdays", 3, "本省三个工作日", w.admin)
        set_override(w.tenant, "supervision.removal_grounds", ["违纪违法", "学术不端"], "本省情形", w.admin)
    login_as(w.admin)
    base = f"/api/v1/{w.tenant.slug}/supervision"
    resp = client.post(f"{base}/cases", data={"residency_id": res.id, "kind": "removal", "ground": "严重违背公序良俗",
                                              "title": "t", "facts": "f"}, content_type="multipart/form-data")
    assert resp.status_code == 422  # not a ground of this province
    case = client.post(f"{base}/cases", data={"residency_id": res.id, "kind": "removal", "ground": "学术不端",
                                              "title": "论文抄袭", "facts": "经学校学术委员会认定"},
                       content_type="multipart/form-data").get_json()
    case = client.post(f"{base}/cases/{case['id']}/hear").get_json()
    assert case["statement_due"] == "2026-03-19"  # 3 working days (the province's rule)
    app.config["FIXED_TODAY"] = "2026-03-20"
    client.post(f"{base}/cases/{case['id']}/close-hearing")
    case = client.post(f"{base}/cases/{case['id']}/request-approval").get_json()
    assert case["approving_body"] == "共青团广东省委"
    with tenant_context(w.tenant.id, db.session):
        assert db.session.get(approvals.ApprovalRequest, case["approval_request_id"]).body_name == "共青团广东省委"


def test_A18_A15_A20_an_approved_removal_releases_the_bed_and_closes_the_vault_in_its_transaction(
        app, client, login_as, session):
    """The whole cascade of an approved removal, across chapters (each hears residency.ended in
    the deciding transaction): the residency ends on the day, the chair's bed is released from
    that day (A15), and the chair's vault access is revoked (A20)."""
    from portal.confidentiality.models import VaultRevocation
    from portal.incentives.models import BedAssignment
    from portal.incentives.operations import housing

    w, (res, _), approver, _l = _setup(app)
    user = chair_user(res)
    with tenant_context(w.tenant.id, db.session):
        bed = housing.add_bed(w.tenant, building="团中央宿舍1号楼", room="301", bed="1", actor=w.admin)
        assignment = housing.assign_bed(res, bed, starts_on=None, ends_on=None, actor=w.admin)
        term_end = assignment.ends_on
    db.session.commit()
    case, req, _act = _to_approval(w, res, approver)
    login_as(approver)
    resp = client.post(f"/api/v1/{w.tenant.slug}/approvals/{req.id}/decide", json={
        "decision": "approve", "document_number": "中青办发〔2026〕9号", "decision_date": IN_TERM})
    assert resp.status_code == 200, resp.get_json()
    with tenant_context(w.tenant.id, db.session):
        db.session.expire_all()
        ended = db.session.get(Residency, res.id)
        assert ended.status == ResidencyStatus.removed
        a = db.session.get(BedAssignment, assignment.id)
        assert a.released_on == ended.ended_on < term_end and a.release_reason == "取消驻会资格"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(VaultRevocation)
                                 .where(VaultRevocation.user_id == user.id)) == 1
        actions = set(db.session.scalars(sa.select(AuditRecord.action)))
    assert {"residency.ended", "incentives.bed_released"} <= actions
