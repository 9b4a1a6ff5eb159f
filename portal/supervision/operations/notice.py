"""The notice (通报) to the sending school's party committee (A18 removal, A21 劝退).

Generated from the tenant's template (``portal.documents.templating``, kind
``supervision.school_notice``) with the chair's real data, numbered in the year of issue, sent
through the outbox to the school's liaisons, and tracked like the A6.1 letters
(``portal.core.delivery``): 待送达 until the message goes out (the outbox's sent hook) or a member
of the secretariat records the delivery by hand.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import audit
from portal.core.concurrency import compare_and_set
from portal.core.db import utcnow
from portal.core.delivery import record_by_hand
from portal.core.errors import Conflict
from portal.core.numbering import year_of_issue_number
from portal.core.workflow import SYSTEM
from portal.extensions import db
from portal.supervision.models import CaseKind, CaseStatus, SupervisionCase
from portal.supervision.operations.common import rule, today
from portal.supervision.workflow import REMOVAL
from tenants.models import Membership, Role
from tenants.rules.registry import article_citation

SERIES = "supervision.school_notice"
NUMBER = "学联驻通〔{year}〕{n}号"
RELATED = "supervision_notice"
KIND = "supervision.school_notice"


def _numbered_so_far(prefix: str) -> int:
    top = 0
    for number in db.session.scalars(sa.select(SupervisionCase.notice_number).where(
            SupervisionCase.notice_number.like(f"{prefix}%"))):
        digits = number[len(prefix):].removesuffix("号")
        if digits.isdigit():
            top = max(top, int(digits))
    return top


def liaisons(school_id: int) -> list[Membership]:
    return list(db.session.scalars(sa.select(Membership).where(
        Membership.role == Role.school_liaison, Membership.school_id == school_id, Membership.active.is_(True))))


def send_notice(case: SupervisionCase, *, actor) -> SupervisionCase:
    """Generate and send the notice. A18: only once the approval is recorded — the removal's
    workflow has no way from any other state to 已通报."""
    if case.kind == CaseKind.removal:
        if case.status != CaseStatus.approved:
            if case.status == CaseStatus.notified:
                return case
            raise Conflict(f"须经{case.approving_body or '审批机关'}批准取消驻会资格后，方可通报派出学校党委"
                           f"（{article_citation('A18')}）；该案件当前为「{case.status_label}」", code="not_approved")
        if not rule(case.tenant_id, "supervision.removal_notify_school"):
            return case
        REMOVAL.apply(case, "notify", actor=actor, roles=SYSTEM)
    elif case.measure != "劝退":
        raise Conflict(f"只有劝退须通报派出学校（{article_citation('A21')}）", code="no_notice")
    if case.notice_sent_at is not None or not compare_and_set(case, "notice_sent_at", None, utcnow()):
        return case
    issued = today()
    case.notice_number = year_of_issue_number(SERIES, NUMBER, issued_on=issued, numbered_before=_numbered_so_far)
    from portal.documents.operations import request_document

    res = case.residency
    requested_by = None if isinstance(actor, str) else actor
    for fmt in ("docx", "pdf"):
        doc = request_document(case.tenant_id, kind=KIND, fmt=fmt, builder="portal.supervision.documents.school_notice",
                               params={"case_id": case.id, "issued_on": issued.isoformat()},
                               filename=f"{res.school.name}-关于{res.chair.name}的通报.{fmt}", requested_by=requested_by)
        setattr(case, f"notice_{fmt}_document_id", doc.id)
    db.session.flush()
    from portal.notifications.operations import notify

    for m in liaisons(res.school_id):
        notify(case.tenant_id, template_key="supervision.school_notice",
               context={"school": res.school.name, "name": res.chair.name, "notice_number": case.notice_number,
                        "what": "取消驻会资格" if case.kind == CaseKind.removal else "劝退"},
               recipient_user_id=m.user_id, related_type=RELATED, related_id=case.id,
               dedupe_key=f"supervision-notice:{case.id}:{m.user_id}")
    audit.record("supervision_case.notice_sent", "supervision_case", case.id, actor=actor, article=case.article,
                 after={"notice_number": case.notice_number, "school_id": res.school_id,
                        "liaisons": len(liaisons(res.school_id))})
    return case


def notice_delivered(related_id, sent_at: dt.datetime) -> None:
    """The first message of the notice went out to the school: 已送达 (the outbox's sent hook)."""
    case = db.session.get(SupervisionCase, int(related_id))
    if case is None or case.notice_delivered_at is not None or not compare_and_set(
            case, "notice_delivered_at", None, sent_at):
        return
    case.delivery_method = "email"
    db.session.flush()
    audit.record("supervision_case.notice_delivered", "supervision_case", case.id, actor="通知服务",
                 article=case.article, after={"delivered_at": sent_at, "method": "email"})


def record_manual_delivery(case: SupervisionCase, method: str, delivered_at: dt.datetime, handed_by: str,
                           received_by: str, note: str | None = None, *, actor) -> SupervisionCase:
    """By hand (a school without a liaison): how, when, by whom, to whom; once."""
    values = record_by_hand(case, method, delivered_at, handed_by, received_by, note, actor=actor,
                            sent_at=case.notice_sent_at, what="通报", delivered_column="notice_delivered_at",
                            not_sent=Conflict("通报尚未发出，发出后才能登记送达", code="not_sent"),
                            already=Conflict("该通报已登记送达", code="already_delivered"))
    audit.record("supervision_case.notice_delivered", "supervision_case", case.id, actor=actor, article=case.article,
                 after={"delivered_at": delivered_at, **values})
    return case
