"""A6.5: the approving body's consent to the proposed list, on the shared approvals engine.

The body is named by the rule ``selection.approving_body`` (「共青团中央书记处」 nationally, a
province's own choice), read from the cycle's pinned rules. One open request per cycle: the
first proposal files it, later ones join it, and the list decided is the one proposed when
the decision lands (recorded on the request's payload). The decision — with its document
number, date and scan; a refusal with its reason — is taken in the approver's queue
(``portal/approvals``) or on the cycle page, and ``portal.selection.workflow`` applies it to
the nominees in the same transaction.
"""
from __future__ import annotations

import sqlalchemy as sa

from portal.core import approvals, audit
from portal.core.approvals import ApprovalRequest, ApprovalStatus, Kind
from portal.extensions import db
from portal.selection.models import Nomination, NominationStatus as S, SelectionCycle

SUBJECT = "selection_cycle"


def _cycle_url(req: ApprovalRequest) -> str:
    from flask import url_for

    return url_for("selection.cycle", cycle_id=req.subject_id)


KIND = approvals.register_kind(Kind(key="selection.proposed_list", label="驻会执行主席拟任人选",
                                    body_rule_key="selection.approving_body", article="A6.5",
                                    subject_url=_cycle_url))


def proposed_ids(cycle: SelectionCycle) -> list[int]:
    return list(db.session.scalars(sa.select(Nomination.id).where(
        Nomination.cycle_id == cycle.id, Nomination.status == S.proposed).order_by(Nomination.rank, Nomination.id)))


def pending_request(cycle: SelectionCycle) -> ApprovalRequest | None:
    return approvals.open_request(KIND.key, SUBJECT, cycle.id)


def requests_of(cycle: SelectionCycle) -> list[ApprovalRequest]:
    """Every A6.5 request of the cycle, latest first (the cycle page's history)."""
    return list(db.session.scalars(sa.select(ApprovalRequest).where(
        ApprovalRequest.kind == KIND.key, ApprovalRequest.subject_type == SUBJECT,
        ApprovalRequest.subject_id == cycle.id).order_by(ApprovalRequest.id.desc())))


def ask(cycle: SelectionCycle, *, actor) -> ApprovalRequest:
    """File the request for the body's consent, or return the open one (the list joins it)."""
    from tenants.models import Tenant

    tenant = db.session.get(Tenant, cycle.tenant_id)
    return approvals.request(
        tenant, KIND.key, subject_type=SUBJECT, subject_id=cycle.id, rules=cycle.rule, actor=actor,
        title=f"{cycle.title}：拟任人选名单"[:200],
        summary=f"名额 {cycle.quota} 名。经审查考察、笔试面试和综合排名，秘书处提出拟任人选，报请同意后公示。",
        payload={"nomination_ids": proposed_ids(cycle)})


def withdraw_if_empty(cycle: SelectionCycle, *, actor, reason: str) -> None:
    """An open request with nobody left on the list is withdrawn (with the reason given)."""
    req = pending_request(cycle)
    if req is not None and not proposed_ids(cycle):
        approvals.withdraw(req, actor=actor, reason=reason or "拟任人选已全部退回")


def record_decision(cycle: SelectionCycle, req: ApprovalRequest, nomination_ids: list[int], *, actor) -> None:
    """The list the decision covered, on the request and in the cycle's audit trail."""
    req.payload = {**(req.payload or {}), "nomination_ids": nomination_ids}
    db.session.flush()
    audit.record("cycle.approval", "selection_cycle", cycle.id, actor=actor, article="A6.5",
                 after={"body": req.body_name, "approved": req.status == ApprovalStatus.approved,
                        "nominations": nomination_ids, "approval_request_id": req.id,
                        "document_number": req.document_number, "reason": req.reason})
