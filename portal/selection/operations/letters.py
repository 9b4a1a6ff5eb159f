"""A6.1: invitation letters to the schools, their numbers, sending (one or all) and delivery."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import audit
from portal.core.concurrency import compare_and_set, lock_row
from portal.core.db import utcnow
# A6.1: a school without a liaison receives the letter by fax, post or in person (shared with A18/A21).
from portal.core.delivery import DELIVERY_METHODS, beijing_to_utc, manual_delivery, record_by_hand  # noqa: F401
from portal.core.errors import Conflict, DomainError
from portal.core.numbering import year_of_issue_number
from portal.extensions import db
from portal.reference.models import School
from portal.selection import outbox, workflow
from portal.selection.models import Invitation, Route, SelectionCycle
from tenants.rules.registry import article_citation

from portal.selection.operations.common import _liaisons, _today


def _check_invitable(cycle: SelectionCycle, ids: set[int]) -> None:
    if cycle.status not in workflow.NOMINATING:
        raise Conflict(f"选拔已进入「{cycle.status_label}」阶段，不能再发函（{article_citation('A6.1')}）")
    if not ids:
        raise DomainError("请至少选择一所学校")
    found = db.session.scalar(sa.select(sa.func.count()).select_from(School).where(School.id.in_(ids)))
    if found != len(ids):
        raise DomainError("所选学校中有不属于本学联的学校")


def invite_schools(cycle: SelectionCycle, school_ids, route: Route, *, actor) -> list[Invitation]:
    ids = {int(i) for i in school_ids}
    _check_invitable(cycle, ids)
    schools = db.session.scalars(sa.select(School).where(School.id.in_(ids))).all()
    existing = set(db.session.scalars(sa.select(Invitation.school_id).where(Invitation.cycle_id == cycle.id)))
    created = []
    for s in sorted(schools, key=lambda s: s.code):
        if s.id in existing:
            continue
        inv = Invitation(tenant_id=cycle.tenant_id, cycle_id=cycle.id, school_id=s.id, route=route)
        db.session.add(inv)
        created.append(inv)
    db.session.flush()
    # One batch of audit records: a province's or the nation's schools are thousands.
    audit.record_many([audit.Entry("invitation.created", "invitation", inv.id, article="A6.1",
                                   after={"school_id": inv.school_id, "route": route.value}) for inv in created],
                      actor=actor)
    return created


INVITE_SCHOOLS = "selection.invite_schools"


INVITE_INLINE = 200  # A6.1: more schools than this (a province, the nation) are invited by a job


def cycle_job(cycle: SelectionCycle, kind: str):
    """The latest background job of this kind for the cycle (its page shows the progress)."""
    from portal.jobs.models import JobRecord

    return db.session.scalar(sa.select(JobRecord).where(
        JobRecord.subject == f"selection_cycle:{cycle.id}", JobRecord.kind == kind)
        .order_by(JobRecord.id.desc()).limit(1))


def _active(job) -> bool:
    from portal.jobs.models import JobStatus

    return job is not None and job.status in (JobStatus.queued, JobStatus.started, JobStatus.retrying)


def invite_many(cycle: SelectionCycle, school_ids, route: Route, *, actor, send: bool = False):
    """Invite schools (A6.1): a few at once, many (a province's thousands) in a background job
    with progress, so the request answers at once. Returns ``(created, job, started)``: the
    invitations made now (None when a job makes them) and the job, if any; a job already
    inviting for this cycle is returned rather than a second one started."""
    from portal.jobs import enqueue

    ids = {int(i) for i in school_ids}
    if len(ids) <= INVITE_INLINE:
        created = invite_schools(cycle, ids, route, actor=actor)
        job = None
        if send and created:
            job, _started = send_all_invitations(cycle, actor=actor, invitation_ids=[i.id for i in created])
        return created, job, job is not None
    _check_invitable(cycle, ids)  # refused at once, in the request, not later in the job
    lock_row(SelectionCycle, cycle.id)
    running = cycle_job(cycle, INVITE_SCHOOLS)
    if _active(running):
        return None, running, False
    job = enqueue("portal.selection.jobs.invite_schools", cycle.id, getattr(actor, "id", None), sorted(ids),
                  route.value, send, queue="default", tenant_id=cycle.tenant_id, kind=INVITE_SCHOOLS,
                  label=f"添加学校（{len(ids)} 所）", created_by=None if isinstance(actor, str) else actor,
                  subject=f"selection_cycle:{cycle.id}")
    audit.record("invitation.bulk_invite_started", "selection_cycle", cycle.id, actor=actor, article="A6.1",
                 after={"job_id": job.id, "schools": len(ids), "route": route.value, "send": send})
    return None, job, True


LETTER_SERIES = "selection.invitation_letter"
LETTER_NUMBER = "学联驻〔{year}〕{n}号"  # the year is the calendar year of issue


def _numbered_so_far(prefix: str) -> int:
    """The highest letter number under ``prefix`` already given (a counter created for a
    year whose letters were numbered before the counter existed continues after them)."""
    top = 0
    for number in db.session.scalars(sa.select(Invitation.letter_number).where(
            Invitation.letter_number.like(f"{prefix}%"))):
        digits = number[len(prefix):].removesuffix("号")
        if digits.isdigit():
            top = max(top, int(digits))
    return top


def send_invitation(inv: Invitation, *, actor) -> Invitation:
    """Generate the letter (DOCX + PDF) and notify the school's liaisons (A6.1).

    Once per letter: the send claims the row (``sent_at`` from NULL, compare-and-set), so a
    second click, a rival send or a retried job finds it sent and changes nothing (no second
    number, document or audit record). The number comes from the tenant's counter."""
    cycle = inv.cycle
    if inv.sent_at is not None or not compare_and_set(inv, "sent_at", None, utcnow()):
        db.session.refresh(inv)
        return inv
    if inv.letter_number is None:
        inv.letter_number = year_of_issue_number(LETTER_SERIES, LETTER_NUMBER, issued_on=_today(),
                                                 numbered_before=_numbered_so_far)
    requested_by = None if isinstance(actor, str) else actor
    for fmt in ("docx", "pdf"):
        doc = outbox.request_document(
            cycle.tenant_id, kind="selection.invitation_letter", fmt=fmt,
            builder="portal.selection.documents.invitation_letter",
            params={"invitation_id": inv.id, "issued_on": _today().isoformat()},
            filename=f"{inv.school.name}-驻会执行主席人选推荐函.{fmt}", requested_by=requested_by)
        setattr(inv, f"{fmt}_document_id", outbox.document_id(doc))
    db.session.flush()
    for m in _liaisons(inv.school_id):
        outbox.notify(cycle.tenant_id, template_key="selection.invitation_letter",
                      context={"school": inv.school.name, "cycle": cycle.title, "letter_number": inv.letter_number,
                               "due": _due(cycle)},
                      recipient_user_id=m.user_id, related_type="invitation", related_id=inv.id,
                      dedupe_key=f"invitation:{inv.id}:{m.user_id}")
    audit.record("invitation.sent", "invitation", inv.id, actor=actor, article="A6.1",
                 after={"letter_number": inv.letter_number, "school_id": inv.school_id})
    return inv


SEND_LETTERS = "selection.send_invitations"


def letters_job(cycle: SelectionCycle):
    """The latest job sending this cycle's letters (its page shows the progress), or None."""
    return cycle_job(cycle, SEND_LETTERS)


def send_all_invitations(cycle: SelectionCycle, *, actor, invitation_ids: list[int] | None = None):
    """Send every unsent letter of the cycle in a background job with progress (A6.1).

    Returns (job, started): a job already sending this cycle's letters is returned rather
    than a second one started (two clicks, two staff members: one job)."""
    from portal.jobs import enqueue

    lock_row(SelectionCycle, cycle.id)
    running = letters_job(cycle) if invitation_ids is None else None
    if _active(running):
        return running, False
    pending = sa.select(sa.func.count()).select_from(Invitation).where(
        Invitation.cycle_id == cycle.id, Invitation.sent_at.is_(None))
    if invitation_ids is not None:
        pending = pending.where(Invitation.id.in_([int(i) for i in invitation_ids]))
    n = db.session.scalar(pending)
    if not n:
        raise Conflict("没有未发出的推荐函")
    job = enqueue("portal.selection.jobs.send_invitations", cycle.id, getattr(actor, "id", None), invitation_ids,
                  queue="default", tenant_id=cycle.tenant_id, kind=SEND_LETTERS,
                  label=f"发出推荐函（{n} 封）", created_by=None if isinstance(actor, str) else actor,
                  subject=f"selection_cycle:{cycle.id}")
    audit.record("invitation.bulk_send_started", "selection_cycle", cycle.id, actor=actor, article="A6.1",
                 after={"job_id": job.id, "letters": n})
    return job, True


def _due(cycle) -> str | None:
    step = cycle.step("nominations")
    return step.due_on.isoformat() if step and step.due_on else None


def mark_invitation(inv: Invitation, what: str, *, actor) -> Invitation:
    """Delivery tracking: delivered / opened / acknowledged (A6.1)."""
    field = {"delivered": "delivered_at", "opened": "opened_at", "acknowledged": "acknowledged_at"}[what]
    if inv.sent_at is None:
        raise Conflict("推荐函尚未发出")
    # Once: a second click (or the page opened in two tabs) finds the mark set and records nothing.
    if getattr(inv, field) is None and compare_and_set(inv, field, None, utcnow()):
        if what == "acknowledged":
            inv.acknowledged_by_id = getattr(actor, "id", None)
            inv.opened_at = inv.opened_at or inv.acknowledged_at
        db.session.flush()
        audit.record(f"invitation.{what}", "invitation", inv.id, actor=actor, article="A6.1")
    return inv


def invitation_delivered(related_id, sent_at: dt.datetime) -> None:
    """A6.1: the first notification of the letter went out to the school: 送达.

    Called by the notification job in the transaction that marks the message sent."""
    inv = db.session.get(Invitation, int(related_id))
    if inv is None or inv.delivered_at is not None or not compare_and_set(inv, "delivered_at", None, sent_at):
        return
    inv.delivery_method = "email"
    db.session.flush()
    audit.record("invitation.delivered", "invitation", inv.id, actor="通知服务", article="A6.1",
                 after={"delivered_at": sent_at, "school_id": inv.school_id, "method": "email"})


def record_manual_delivery(inv: Invitation, method: str, delivered_at: dt.datetime, handed_by: str,
                           received_by: str, note: str | None = None, *, actor) -> Invitation:
    """Record by hand that the letter reached the school: how, when, by whom, to whom.

    ``delivered_at`` is naive UTC. Only once: a compare-and-set on an undelivered letter.
    """
    values = record_by_hand(inv, method, delivered_at, handed_by, received_by, note, actor=actor,
                            sent_at=inv.sent_at, what="推荐函", not_sent=Conflict("推荐函尚未发出，发出后才能登记送达"),
                            already=Conflict("该推荐函已登记送达"))
    handed_by, received_by, note = values["handed_by"], values["received_by"], values["note"]
    audit.record("invitation.delivered", "invitation", inv.id, actor=actor, article="A6.1",
                 after={"delivered_at": delivered_at, "school_id": inv.school_id, "method": method,
                        "handed_by": handed_by, "received_by": received_by, "note": note or None})
    return inv


def allow_extra_nominees(inv: Invitation, extra: int, reason: str, *, actor) -> Invitation:
    """A6.2: 'generally 2' — more only with a recorded reason."""
    reason = (reason or "").strip()
    if extra < 0 or extra > 10:
        raise DomainError("增加的推荐人数应在 0 到 10 之间")
    if extra > 0 and not reason:
        raise DomainError(f"超过规定人数推荐须记录理由（{article_citation('A6.2')}）", field="reason")
    before = {"extra": inv.extra_nominees, "reason": inv.extra_reason}
    inv.extra_nominees, inv.extra_reason = extra, reason or None
    db.session.flush()
    audit.record("invitation.extra_nominees", "invitation", inv.id, actor=actor, article="A6.2",
                 before=before, after={"extra": extra, "reason": reason})
    return inv


def nominee_limit(inv: Invitation) -> int:
    return inv.cycle.rule("selection.nominees_per_school") + inv.extra_nominees
