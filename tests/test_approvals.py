"""Approval requests to a higher body (issue 11, item 2): one model and flow, the body named by a
rule, compare-and-set decisions, a reason on refusal, number/date/scan on approval, a queue with a
badge, notifications, and the decision delivered to the subject's feature in the same transaction."""
from __future__ import annotations

import datetime as dt
import io
import pytest
import sqlalchemy as sa

from portal.core import approvals, clock
from portal.core.approvals import ApprovalRequest, ApprovalStatus, Kind
from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from portal.notifications.models import Notification
from tenants.models import Role
from tests.factories import TenantFactory, member

TEST_KIND = approvals.register_kind(Kind(key="test.thing", label="测试事项", body_rule_key="selection.approving_body",
                                         article="A6.5"))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture()
def fed(session):
    tenant = TenantFactory()
    admin = member(tenant)
    approver = member(tenant, Role.approver)
    return tenant, admin, approver


def _ask(tenant, admin, subject_id=1, rules=None):
    with tenant_context(tenant.id, db.session):
        return approvals.request(tenant, "test.thing", subject_type="thing", subject_id=subject_id,
                                 title="测试事项一", actor=admin,
                                 rules=rules or {"selection.approving_body": "共青团测试省委"})


def test_request_names_the_body_from_the_rule_and_is_not_doubled(fed):
    tenant, admin, approver = fed
    req = _ask(tenant, admin)
    assert req.body_name == "共青团测试省委" and req.status == ApprovalStatus.pending
    again = _ask(tenant, admin, rules={"selection.approving_body": "别的机关"})
    assert again.id == req.id  # one open request per subject
    with tenant_context(tenant.id, db.session):
        mails = db.session.scalars(sa.select(Notification).where(
            Notification.template_key == "approvals.requested")).all()
        actions = db.session.scalars(sa.select(AuditRecord.action).where(
            AuditRecord.action == "approval.requested")).all()
    assert [m.recipient_user_id for m in mails] == [approver.id]
    assert actions == ["approval.requested"]


def test_refusal_needs_a_reason_and_approval_its_number_and_date(fed):
    tenant, admin, approver = fed
    req = _ask(tenant, admin)
    with tenant_context(tenant.id, db.session):
        with pytest.raises(DomainError, match="理由"):
            approvals.decide(req, False, actor=approver)
        with pytest.raises(DomainError, match="文号"):
            approvals.decide(req, True, actor=approver, decision_date=dt.date(2026, 3, 1))
        with pytest.raises(DomainError, match="日期"):
            approvals.decide(req, True, actor=approver, document_number="中青发〔2026〕1号")
        with pytest.raises(DomainError, match="不晚于今天"):
            approvals.decide(req, True, actor=approver, document_number="中青发〔2026〕1号",
                             decision_date=dt.date(2099, 1, 1))
        assert req.status == ApprovalStatus.pending


def test_decision_is_delivered_once_to_the_subject_handler(fed):
    tenant, admin, approver = fed
    seen = []

    def handler(sender, request, actor):
        seen.append((request.id, request.status.value))

    approvals.approval_decided.connect(handler, sender="test.thing")
    try:
        req = _ask(tenant, admin)
        with tenant_context(tenant.id, db.session):
            approvals.decide(req, True, actor=approver, document_number="中青发〔2026〕1号",
                             decision_date=clock.today(), scan=("批复.pdf", PDF))
            assert req.scan_sha256 and req.scan_type == "application/pdf"
            with pytest.raises(Conflict):
                approvals.decide(req, False, actor=approver, reason="再点一次")
    finally:
        approvals.approval_decided.disconnect(handler, sender="test.thing")
    assert seen == [(req.id, "approved")]
    with tenant_context(tenant.id, db.session):
        rec = db.session.scalars(sa.select(AuditRecord).where(AuditRecord.action == "approval.approved")).one()
    assert rec.after["document_number"] == "中青发〔2026〕1号"


def test_scan_is_judged_by_content(fed):
    tenant, admin, approver = fed
    req = _ask(tenant, admin)
    with tenant_context(tenant.id, db.session):
        with pytest.raises(DomainError, match="扫描件"):
            approvals.decide(req, True, actor=approver, document_number="x号", decision_date=clock.today(),
                             scan=("批复.pdf", b"MZ\x90\x00not a pdf"))
        assert db.session.get(ApprovalRequest, req.id).status == ApprovalStatus.pending


def test_queue_page_badge_and_decision_through_the_web(client, login_as, fed):
    tenant, admin, approver = fed
    req = _ask(tenant, admin)
    rid = req.id
    db.session.commit()
    login_as(approver)
    page = client.get(f"/{tenant.slug}/approvals/").get_data(as_text=True)
    assert "测试事项一" in page and "共青团测试省委" in page
    assert 'class="badge" title="待办">1<' in page
    resp = client.post(f"/{tenant.slug}/approvals/{rid}/decide", data={"decision": "refuse"})
    assert resp.status_code == 400 and "理由" in resp.get_data(as_text=True)
    resp = client.post(f"/{tenant.slug}/approvals/{rid}/decide",
                       data={"decision": "approve", "document_number": "中青办〔2026〕8号",
                             "decision_date": clock.today().isoformat(), "scan": (io.BytesIO(PDF), "批复.pdf")})
    assert resp.status_code == 303
    with tenant_context(tenant.id, db.session):
        req = db.session.get(ApprovalRequest, rid)
        db.session.refresh(req)
        assert req.status == ApprovalStatus.approved and req.decided_by_id == approver.id
        note = db.session.scalars(sa.select(Notification).where(
            Notification.template_key == "approvals.decided")).one()
        assert note.recipient_user_id == admin.id
    page = client.get(f"/{tenant.slug}/approvals/").get_data(as_text=True)
    assert 'title="待办"' not in page


def test_only_the_deciding_role_decides_and_tenants_stay_apart(client, login_as, fed):
    tenant, admin, approver = fed
    req = _ask(tenant, admin)
    rid = req.id
    db.session.commit()
    login_as(admin)  # the secretariat sees its request but cannot decide it
    assert client.get(f"/{tenant.slug}/approvals/{rid}").status_code == 200
    assert client.post(f"/api/v1/{tenant.slug}/approvals/{rid}/decide",
                       json={"decision": "approve", "document_number": "1号",
                             "decision_date": clock.today().isoformat()}).status_code == 403
    client.get("/logout")
    other = TenantFactory()
    login_as(member(other, Role.approver))
    assert client.get(f"/{other.slug}/approvals/{rid}").status_code == 404
    assert client.post(f"/api/v1/{other.slug}/approvals/{rid}/decide",
                       json={"decision": "refuse", "reason": "x"}).status_code == 404
    client.get("/logout")
    login_as(member(tenant, Role.chair))
    assert client.get(f"/{tenant.slug}/approvals/").status_code == 403


def test_api_decides_with_field_errors(client, login_as, fed):
    tenant, admin, approver = fed
    req = _ask(tenant, admin)
    rid = req.id
    db.session.commit()
    login_as(approver)
    base = f"/api/v1/{tenant.slug}/approvals"
    assert client.post(f"{base}/{rid}/decide", json={"decision": "maybe"}).status_code == 422
    resp = client.post(f"{base}/{rid}/decide", json={"decision": "refuse", "reason": "材料不全"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "refused"
    assert client.get(f"{base}?status=refused").get_json()["total"] == 1
    assert client.post(f"{base}/{rid}/decide", json={"decision": "refuse", "reason": "x"}).status_code == 409
