"""Chapter 2 business logic: plain functions over the models; flush, audit, never commit.

Every rule value is read from the cycle's pinned snapshot (``cycle.rule(key)``, A23).
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple
import hashlib
import os
import random
import secrets
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from flask import current_app
from sqlalchemy.orm import lazyload

from portal.core import audit, clock
from portal.core.calendar import calendar
from portal.core.concurrency import compare_and_set, lock_row
from portal.core.numbering import next_number
from portal.core.signals import chair_appointed
from portal.core.db import check_tenant_write, utcnow
from portal.core.errors import Conflict, DomainError
from portal.core.idcard import IdNumberError, mask_id_number, validate_id_number
from portal.extensions import db
from portal.reference.models import PresidiumMembership, School, StudentUnion
from portal.selection import outbox, workflow
from portal.selection.access import NominationScope, scope_for
from portal.selection.models import (
    DEGREE_LEVELS, GENDERS, POLITICAL_STATUS_ALIASES, POLITICAL_STATUSES, PRESIDIUM_POSITIONS, Approval, Chair, CheckResult,
    CycleStatus, CycleStep, Disqualification, EligibilityCheck, InterviewPanel, InterviewScore, Invitation,
    Nomination, NominationAttachment, NominationStatus as S, Objection, ObjectionStatus, PanelConflict,
    Panelist, PublicNotice, Review, ReviewLevel, RotationEntry, Route, SelectionCycle,
)
from tenants.models import Membership, Role, Tenant
from tenants.rules.operations import effective_rules
from tenants.rules.registry import article_citation, parse_weights

COUNTED = (S.draft, S.withdrawn, S.disqualified)  # statuses NOT counted against the A6.2 limit


def _today() -> dt.date:
    return clock.today()


# --- cycles (A4, A23) ------------------------------------------------------------------------

def open_cycle(tenant: Tenant, academic_year: str, *, actor, quota: int | None = None,
               opened_on: dt.date | None = None, title: str | None = None) -> SelectionCycle:
    """Open a cycle with the tenant's effective rules pinned (A23) and its timeline (A6)."""
    import re

    academic_year = (academic_year or "").strip()
    m = re.fullmatch(r"(\d{4})-(\d{4})", academic_year)
    if not m or int(m.group(2)) != int(m.group(1)) + 1:
        raise DomainError("学年格式应为「2026-2027」", field="academic_year")
    if db.session.scalar(sa.select(SelectionCycle.id).where(SelectionCycle.academic_year == academic_year)):
        raise Conflict(f"{academic_year} 学年的选拔已经创建")
    rules = effective_rules(tenant)
    snapshot = rules.snapshot()
    # A22/A23: pin the local overrides beside the version, so "2024" never hides them.
    overrides = {r.rule.key: {"value": r.value, "national_value": r.national_value, "reason": r.reason}
                 for r in rules if r.overridden}
    quota = snapshot["selection.default_quota"] if quota in (None, "") else int(quota)
    if quota < 1 or quota > 100:
        raise DomainError("名额应在 1 到 100 之间", field="quota")
    # A4: rotation and selection combined; the rotation share is a rule.
    rotation = int((Decimal(quota) * Decimal(snapshot["selection.rotation_share_percent"]) / 100)
                   .to_integral_value(ROUND_HALF_UP))
    opened_on = opened_on or _today()
    cycle = SelectionCycle(
        tenant_id=tenant.id, academic_year=academic_year,
        title=title or f"{snapshot['federation.name']}{academic_year}学年驻会执行主席选拔",
        quota=quota, rotation_quota=rotation, selection_quota=quota - rotation,
        status=CycleStatus.open, opened_on=opened_on, rules_version=rules.version.code,
        rules_snapshot=snapshot, rules_overrides=overrides, created_by_id=getattr(actor, "id", None),
    )
    db.session.add(cycle)
    db.session.flush()
    cal = calendar()
    # A6.2: the nomination window is a period of N working days that opens on the day the
    # letters go out (that day counts), like a 公示期; reminders count "N working days before".
    due = cal.period_end(opened_on, snapshot["selection.nomination_window_workdays"])
    steps = [
        ("invitations", "发函培养（A6.1）", "A6.1", opened_on, None),
        ("nominations", "学校推荐与校内公示", "A6.2", opened_on, due),
        ("review", "资格审查和考察", "A6.3", None, None),
        ("exam", "笔试和面试", "A6.4", None, None),
        ("decision", "研究决定与审批", "A6.5", None, None),
        ("notice", "公示", "A6.5", None, None),
        ("appointment", "确认任用", "A6.5", None, None),
    ]
    for i, (key, label, art, start, end) in enumerate(steps):
        cycle.steps.append(CycleStep(tenant_id=tenant.id, position=i, key=key, label=label.split("（")[0],
                                     article=art, starts_on=start, due_on=end))
    db.session.flush()
    audit.record("cycle.opened", "selection_cycle", cycle.id, actor=actor, article="A4",
                 after={"academic_year": academic_year, "quota": quota, "rotation": rotation,
                        "rules_version": rules.version.code, "nomination_due": due.isoformat(),
                        "rules_overrides": {k: o["value"] for k, o in overrides.items()}})
    return cycle


def set_cycle_status(cycle: SelectionCycle, status: CycleStatus, *, actor) -> None:
    before = cycle.status
    if not compare_and_set(cycle, "status", before, status):
        db.session.refresh(cycle)
        raise Conflict(f"选拔的阶段已被他人改为「{cycle.status_label}」，请刷新后重试", code="stale_state")
    before = before.value
    audit.record("cycle.status", "selection_cycle", cycle.id, actor=actor, before={"status": before},
                 after={"status": status.value}, article="A6")


def set_deadline(cycle: SelectionCycle, key: str, due_on: dt.date, *, actor) -> CycleStep:
    step = cycle.step(key)
    if step is None:
        raise DomainError("没有这个环节")
    before = step.due_on
    step.due_on = due_on
    db.session.flush()
    audit.record("cycle.deadline", "selection_cycle", cycle.id, actor=actor, before={key: before},
                 after={key: due_on}, article=step.article)
    return step


# --- rotation roster (A4) --------------------------------------------------------------------

def ensure_rotation_roster(tenant: Tenant, *, on: dt.date, actor=None) -> list[RotationEntry]:
    """Add every presidium member organization (valid on ``on``) missing from the roster."""
    have = set(db.session.scalars(sa.select(RotationEntry.union_id)))
    pos = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(RotationEntry.position), 0)))
    members = db.session.scalars(
        sa.select(PresidiumMembership).join(StudentUnion).join(School)
        .order_by(School.province_code, School.code, StudentUnion.kind)).all()
    added = []
    for m in members:
        if m.union_id in have or not m.valid_on(on):
            continue
        pos += 1
        e = RotationEntry(tenant_id=tenant.id, union_id=m.union_id, position=pos, times_served=0)
        db.session.add(e)
        have.add(m.union_id)
        added.append(e)
    db.session.flush()
    if added:
        audit.record("rotation.roster_extended", "rotation", None, actor=actor, article="A4",
                     after={"added_unions": [e.union_id for e in added]})
    return added


TURN_ORDER = (RotationEntry.last_served_year.is_not(None), RotationEntry.last_served_year, RotationEntry.position)


def rotation_due(n: int, on: dt.date | None = None) -> list[RotationEntry]:
    """Whose turn it is: never served first, then longest since serving, then roster order.

    With ``on``, organizations no longer on the presidium that day are passed over (A4, A5.2)."""
    stmt = sa.select(RotationEntry).order_by(*TURN_ORDER)
    if on is not None:
        stmt = stmt.where(sa.exists().where(
            PresidiumMembership.union_id == RotationEntry.union_id, PresidiumMembership.term_start <= on,
            sa.or_(PresidiumMembership.term_end.is_(None), PresidiumMembership.term_end >= on)))
    return list(db.session.scalars(stmt.limit(n)))


def rotation_roster() -> list[RotationEntry]:
    """The whole roster in turn order (A4)."""
    return list(db.session.scalars(sa.select(RotationEntry).order_by(*TURN_ORDER)))


def move_rotation_entry(entry: RotationEntry, direction: str, *, actor) -> RotationEntry:
    """Swap an organization with its neighbour in the turn order (A4).

    Organizations that served take their turn by the year they last served; the roster
    order decides only among those that served in the same year (or never)."""
    if direction not in ("up", "down"):
        raise DomainError("只能上移或下移")
    roster = rotation_roster()
    i = next(k for k, e in enumerate(roster) if e.id == entry.id)
    j = i - 1 if direction == "up" else i + 1
    if j < 0 or j >= len(roster):
        raise Conflict("已经在名册的" + ("最前" if direction == "up" else "最后"))
    other = roster[j]
    if other.last_served_year != entry.last_served_year:
        raise Conflict(f"轮值顺序先按上次轮值学年排列（{article_citation('A4')}），"
                       f"只能在同一学年轮值过（或均未轮值）的组织之间调整先后")
    before = {"position": entry.position, "swapped_with": other.union_id}
    entry.position, other.position = other.position, entry.position
    db.session.flush()
    audit.record("rotation.reordered", "rotation", entry.id, actor=actor, article="A4",
                 before=before, after={"position": entry.position, "union_id": entry.union_id,
                                      "other_union_id": other.union_id, "other_position": other.position})
    return entry


def _valid_year(year: str) -> str:
    import re

    year = (year or "").strip()
    m = re.fullmatch(r"(\d{4})-(\d{4})", year)
    if not m or int(m.group(2)) != int(m.group(1)) + 1:
        raise DomainError("学年格式应为「2024-2025」", field="academic_year")
    return year


def _set_served_years(entry: RotationEntry, years: list[str]) -> None:
    entry.served_years = sorted(set(years))
    entry.last_served_year = entry.served_years[-1] if entry.served_years else None
    entry.times_served = len(entry.served_years)


def mark_rotation_served(entry: RotationEntry, academic_year: str, *, actor, note: str | None = None) -> RotationEntry:
    """Record that the organization sent a chair by rotation in ``academic_year`` (A4)."""
    year = _valid_year(academic_year)
    lock_row(RotationEntry, entry.id)  # two staff recording the same year: one record
    if year in entry.years:
        raise Conflict(f"{entry.union.name}已记录于 {year} 学年轮值")
    before = {"served_years": entry.years}
    _set_served_years(entry, entry.years + [year])
    db.session.flush()
    audit.record("rotation.served", "rotation", entry.id, actor=actor, article="A4", before=before,
                 after={"union_id": entry.union_id, "served_years": entry.served_years, "note": note})
    return entry


def unmark_rotation_served(entry: RotationEntry, academic_year: str, *, actor) -> RotationEntry:
    """Correct a wrongly recorded rotation year (A4); the audit keeps the old value."""
    year = _valid_year(academic_year)
    lock_row(RotationEntry, entry.id)
    if year not in entry.years:
        raise Conflict(f"{entry.union.name}没有 {year} 学年的轮值记录")
    before = {"served_years": entry.years}
    _set_served_years(entry, [y for y in entry.years if y != year])
    db.session.flush()
    audit.record("rotation.served_removed", "rotation", entry.id, actor=actor, article="A4", before=before,
                 after={"union_id": entry.union_id, "served_years": entry.served_years})
    return entry


# --- invitations (A6.1) ----------------------------------------------------------------------

def _check_invitable(cycle: SelectionCycle, ids: set[int]) -> None:
    if cycle.status != CycleStatus.open:
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


LETTER_SERIES = "selection.invitation_letter:{year}"


def _letter_prefix(cycle: SelectionCycle) -> str:
    return f"学联驻〔{cycle.academic_year[:4]}〕"


def _numbered_so_far(cycle: SelectionCycle) -> int:
    """The highest letter number of the cycle's year already given (a counter created for a
    year whose letters were numbered before the counter existed continues after them)."""
    prefix = _letter_prefix(cycle)
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
        n = next_number(LETTER_SERIES.format(year=cycle.academic_year[:4]),
                        start_after=lambda: _numbered_so_far(cycle))
        inv.letter_number = f"{_letter_prefix(cycle)}{n}号"
    requested_by = None if isinstance(actor, str) else actor
    for fmt in ("docx", "pdf"):
        doc = outbox.request_document(
            cycle.tenant_id, kind="selection.invitation_letter", fmt=fmt,
            builder="portal.selection.documents.invitation_letter", params={"invitation_id": inv.id},
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


def _liaisons(school_id: int) -> list[Membership]:
    return list(db.session.scalars(sa.select(Membership).where(
        Membership.role == Role.school_liaison, Membership.school_id == school_id, Membership.active.is_(True))))


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


# A6.1: a school without a liaison account receives the letter by other means.
DELIVERY_METHODS = {"fax": "传真", "post": "邮寄", "in_person": "当面送达"}


def beijing_to_utc(value: str) -> dt.datetime:
    """A Beijing date and time as typed (``YYYY-MM-DDTHH:MM`` or a bare date) to naive UTC."""
    text = (value or "").strip()
    try:
        local = dt.datetime.fromisoformat(text) if "T" in text or " " in text else \
            dt.datetime.combine(dt.date.fromisoformat(text), dt.time(12, 0))
    except ValueError:
        raise DomainError(f"送达时间格式应为 YYYY-MM-DD HH:MM，收到「{text[:40]}」", field="delivered_at") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=clock.BEIJING)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def record_manual_delivery(inv: Invitation, method: str, delivered_at: dt.datetime, handed_by: str,
                           received_by: str, note: str | None = None, *, actor) -> Invitation:
    """Record by hand that the letter reached the school: how, when, by whom, to whom.

    ``delivered_at`` is naive UTC. Only once: a compare-and-set on an undelivered letter.
    """
    if inv.sent_at is None:
        raise Conflict("推荐函尚未发出，发出后才能登记送达")
    if method not in DELIVERY_METHODS:
        raise DomainError("请选择送达方式：" + "、".join(DELIVERY_METHODS.values()), field="method")
    handed_by, received_by, note = (handed_by or "").strip(), (received_by or "").strip(), (note or "").strip()
    if not handed_by or len(handed_by) > 60:
        raise DomainError("请填写送达人（不超过60字）", field="handed_by")
    if not received_by or len(received_by) > 60:
        raise DomainError("请填写学校签收人（不超过60字）", field="received_by")
    if len(note) > 200:
        raise DomainError("备注不能超过200字", field="note")
    if delivered_at > utcnow() + dt.timedelta(minutes=5):
        raise DomainError("送达时间不能晚于现在", field="delivered_at")
    if delivered_at < inv.sent_at - dt.timedelta(days=1):
        raise DomainError("送达时间不能早于推荐函发出的时间", field="delivered_at")
    text = f"{DELIVERY_METHODS[method]}；送达人：{handed_by}；签收人：{received_by}" + (f"；{note}" if note else "")
    changed = db.session.execute(
        sa.update(Invitation).where(Invitation.id == inv.id, Invitation.delivered_at.is_(None))
        .values(delivered_at=delivered_at, delivery_method=method, delivery_note=text[:400],
                delivery_recorded_by_id=getattr(actor, "id", None))
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict("该推荐函已登记送达")
    db.session.refresh(inv)
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


# --- nominations (A6.2) ----------------------------------------------------------------------

FIELDS = [
    # key, Chinese label, kind, extra
    ("name", "姓名", "text", 40), ("gender", "性别", "choice", GENDERS), ("ethnicity", "民族", "text", 20),
    ("birth_date", "出生日期", "date", None), ("id_number", "身份证号", "id", None),
    ("political_status", "政治面貌", "choice", POLITICAL_STATUSES), ("union", "所在学生组织", "union", None),
    ("presidium_position", "主席团职务", "choice", PRESIDIUM_POSITIONS),
    ("elected_on", "当选日期", "date", None), ("degree_level", "学历层次", "choice", DEGREE_LEVELS),
    ("major", "专业", "text", 80), ("grade_rank", "成绩排名", "int", None),
    ("grade_cohort", "专业人数", "int", None), ("baoyan_eligible", "是否符合保研条件", "bool", None),
    ("languages", "外语水平", "text", 200), ("computer_skills", "计算机水平", "text", 200),
    ("discipline_record", "违纪违法记录", "optional_text", 2000), ("phone", "联系电话", "phone", None),
    ("email", "电子邮箱", "email", None), ("publicity_start", "校内公示开始日期", "date", "day"),
    ("publicity_end", "校内公示结束日期", "date", "day"),  # "day": a month alone (2026年11月) is refused
]
LABELS = {k: label for k, label, _, _ in FIELDS}
# The nominee form's sections (the 推荐表's own grouping); every field belongs to one.
FIELD_SECTIONS = [
    ("基本信息", ("name", "gender", "ethnicity", "birth_date", "id_number", "political_status")),
    ("学生组织任职", ("union", "presidium_position", "elected_on")),
    ("学业与能力", ("degree_level", "major", "grade_rank", "grade_cohort", "baoyan_eligible", "languages",
                  "computer_skills")),
    ("品行与联系方式", ("discipline_record", "phone", "email")),
    ("校内公示（第六条第（二）项）", ("publicity_start", "publicity_end")),
]
OPTIONAL_FIELDS = frozenset({"discipline_record"})
CHOICE_ALIASES = {POLITICAL_STATUSES: POLITICAL_STATUS_ALIASES}
# Fields whose other ways of writing are read as the canonical value; the reading is shown back.
READ_AS_FIELDS = frozenset({"phone", "political_status"})


class UnionRef(NamedTuple):
    """What validating a row needs of a union: its id."""

    id: int


def school_unions(school_id: int) -> dict[str, UnionRef]:
    """The school's unions by kind (学生会, 研究生会): ids only, which is all validation needs."""
    return {kind.value: UnionRef(union_id) for kind, union_id in db.session.execute(
        sa.select(StudentUnion.kind, StudentUnion.id).where(StudentUnion.school_id == school_id))}


def _parse_field(kind: str, extra, raw):
    """One nominee field of a cell-independent kind (not the ID number, not the union)."""
    from portal.core.uploads import (
        parse_date_cell, parse_enum_cell, parse_int_cell, parse_phone_cell, parse_text_cell,
    )

    if kind == "text":
        return parse_text_cell(raw, extra)
    if kind == "optional_text":
        v = parse_text_cell(raw, extra, required=False, allow_newlines=True)
        return None if v in (None, "无", "否", "没有") else v
    if kind == "choice":
        return parse_enum_cell(raw, extra, aliases=CHOICE_ALIASES.get(extra))
    if kind == "date":
        return parse_date_cell(raw, min_year=1950, max_year=2100, require_day=extra == "day")
    if kind == "int":
        return parse_int_cell(raw, min_value=1, max_value=100000)
    if kind == "bool":
        return raw if isinstance(raw, bool) else parse_enum_cell(raw, {"是": True, "否": False})
    if kind == "phone":
        return parse_phone_cell(raw)
    if kind == "email":
        v = parse_text_cell(raw, 200)
        if "@" not in v or v.startswith("@") or "." not in v.split("@")[-1]:
            from portal.core.uploads import UploadError

            raise UploadError(f"「{v}」不是有效的电子邮箱", "bad_value")
        return v
    raise AssertionError(kind)  # pragma: no cover - FIELDS names only the kinds above


class NomineeCleaner:
    """Validates nominees for one cycle (A6.2). The cycle's pinned rules and the working-day
    calendar are read once, and a cell value a column has already seen is not parsed again: a
    workbook's genders, ethnicities, dates and majors repeat row after row."""

    MEMO_KINDS = frozenset({"text", "optional_text", "choice", "date", "int", "bool"})

    def __init__(self, cycle: SelectionCycle):
        self.opened_on = cycle.opened_on
        self.publicity_days = cycle.rule("selection.school_publicity_min_workdays")
        self.calendar = calendar()
        self._memo: dict[tuple, tuple[bool, object]] = {}
        self._workdays: dict[tuple[dt.date, dt.date], int] = {}
        self.read_as: dict[str, tuple[str, str]] = {}  # the last row's {field: (as written, as read)}

    @staticmethod
    def _parse(kind: str, extra, raw) -> tuple[bool, object]:
        """(True, value) or (False, the Chinese error)."""
        try:
            return True, _parse_field(kind, extra, raw)
        except ValueError as exc:  # UploadError is a ValueError
            return False, getattr(exc, "message", None) or str(exc)

    def clean(self, data: dict, unions: dict, *, by_label: bool = False) -> tuple[dict, dict[str, str]]:
        """(clean values, {field: Chinese error}); ``data`` keyed by field, or by the
        workbook's Chinese header with ``by_label``."""
        from portal.core.uploads import UploadError, parse_enum_cell

        out, errors, id_info = {}, {}, None
        memo, get, parse, memo_kinds = self._memo, data.get, self._parse, self.MEMO_KINDS
        self.read_as = read_as = {}
        for key, label, kind, extra in FIELDS:
            raw = get(label) if by_label else get(key)
            if kind in memo_kinds:
                try:  # the class is in the key too: 1, 1.0 and True are equal keys
                    ok, value = memo[key, raw.__class__, raw]
                except KeyError:
                    ok, value = memo[key, raw.__class__, raw] = parse(kind, extra, raw)
                except TypeError:  # an unhashable value (a list in a JSON body): parsed, not kept
                    ok, value = parse(kind, extra, raw)
            elif kind == "id":
                try:
                    if raw in (None, ""):
                        raise IdNumberError("身份证号不能为空", code="empty")
                    id_info = validate_id_number(raw)
                    ok, value = True, id_info.number
                except IdNumberError as exc:
                    ok, value = False, exc.message
            elif kind == "union":
                try:
                    v = parse_enum_cell(raw, sorted(unions) or ["学生会", "研究生会"])
                    if v not in unions:
                        raise UploadError(f"本校没有登记「{v}」", "bad_choice")
                    ok, value, key = True, unions[v].id, "union_id"
                except UploadError as exc:
                    ok, value = False, exc.message
            else:
                ok, value = parse(kind, extra, raw)
            if ok:
                out[key] = value
                if key in READ_AS_FIELDS and isinstance(raw, str) and raw.strip() != value:
                    read_as[key] = (raw.strip(), value)
            else:
                errors[key] = value
        if not errors:
            self._check_row(out, id_info, errors)
        return out, errors

    def _check_row(self, out: dict, id_info, errors: dict) -> None:
        if out["grade_rank"] > out["grade_cohort"]:
            errors["grade_rank"] = "成绩排名不能大于专业人数"
        if out["publicity_end"] < out["publicity_start"]:
            errors["publicity_end"] = "校内公示结束日期不能早于开始日期"
        if id_info.birth_date != out["birth_date"]:
            errors["birth_date"] = f"出生日期与身份证号不一致（身份证号为 {id_info.birth_date:%Y-%m-%d}）"
        if out["elected_on"] > self.opened_on:
            errors["elected_on"] = "当选日期不能晚于本次选拔开始日期"
        if errors:
            return
        # A6.2: school publicity at least N working days (the rule, pinned).
        span = out["publicity_start"], out["publicity_end"]
        got = self._workdays.get(span)
        if got is None:
            got = self._workdays[span] = self.calendar.period_workdays(*span)  # first day counts
        if got < self.publicity_days:
            errors["publicity_end"] = (f"校内公示仅 {got} 个工作日，至少应为 {self.publicity_days} 个工作日"
                                       f"（{article_citation('A6.2')}）")


def clean_nomination(inv: Invitation, data: dict, *, unions: dict[str, UnionRef] | None = None
                     ) -> tuple[dict, dict[str, str]]:
    """Validate one nominee's fields; returns (clean values, {field: Chinese error}). A whole
    sheet goes through one ``NomineeCleaner`` instead."""
    return NomineeCleaner(inv.cycle).clean(data, school_unions(inv.school_id) if unions is None else unions)


def _check_open_for_nominations(inv: Invitation, today: dt.date) -> None:
    _check_cycle_open(inv.cycle, today)


def _check_cycle_open(cycle: SelectionCycle, today: dt.date) -> None:
    if cycle.status != CycleStatus.open:
        raise Conflict(f"推荐已结束（选拔处于「{cycle.status_label}」阶段）")
    step = cycle.step("nominations")
    if step and step.due_on and today > step.due_on:
        raise Conflict(f"推荐材料报送已于{step.due_on:%Y年%m月%d日}截止（{article_citation('A6.2')}）",
                       code="deadline_passed")


def create_nomination(inv: Invitation, values: dict, *, actor, source: str = "web",
                      today: dt.date | None = None) -> Nomination:
    _check_open_for_nominations(inv, today or _today())
    return _create_nominations(inv, [values], actor=actor, source=source)[0]


def _create_nominations(inv: Invitation, rows: list[dict], *, actor, source: str) -> list[Nomination]:
    """Drafts for one school: one duplicate check, one batched INSERT, one batch of audit records."""
    if not rows:
        return []
    taken = set(db.session.scalars(sa.select(Nomination.id_number).where(
        Nomination.cycle_id == inv.cycle_id, Nomination.id_number.in_([r["id_number"] for r in rows]),
        Nomination.status != S.withdrawn)))
    dup = next((r for r in rows if r["id_number"] in taken), None)
    if dup is not None:
        who = f"{dup['name']}（身份证号 {mask_id_number(dup['id_number'])}）" if len(rows) > 1 else "该身份证号"
        raise Conflict(f"{who}已在本次选拔中被推荐", field="id_number")
    # One executemany, then the new rows read back: ORM inserts with RETURNING go row by row on SQLite.
    now = utcnow()
    records = [dict(values, tenant_id=inv.tenant_id, cycle_id=inv.cycle_id, invitation_id=inv.id,
                    school_id=inv.school_id, route=inv.route, status=S.draft, source=source, created_at=now,
                    updated_at=now) for values in rows]
    check_tenant_write(inv.tenant_id, "Nomination", model=Nomination, rows=records)
    db.session.execute(sa.insert(Nomination), records)
    noms = list(db.session.scalars(sa.select(Nomination).where(
        Nomination.cycle_id == inv.cycle_id, Nomination.id_number.in_([r["id_number"] for r in rows]))
        .order_by(Nomination.id).options(lazyload(Nomination.school), lazyload(Nomination.union))))  # in the session
    audit.record_many([audit.Entry("nomination.created", "nomination", n.id, article="A6.2",
                                   after={"name": n.name, "school_id": n.school_id, "source": source,
                                          "id_number": n.masked_id}) for n in noms], actor=actor)
    return noms


def update_nomination(nom: Nomination, values: dict, *, actor) -> Nomination:
    if nom.status != S.draft:
        raise Conflict("只有草稿可以修改；已报送的材料如需更正请联系秘书处")
    before = {k: audit._jsonable(getattr(nom, k)) for k in values}
    for k, v in values.items():
        setattr(nom, k, v)
    db.session.flush()
    audit.record("nomination.updated", "nomination", nom.id, actor=actor, article="A6.2",
                 before={k: v for k, v in before.items() if k != "id_number"},
                 after={k: audit._jsonable(v) for k, v in values.items() if k != "id_number"})
    return nom


def replace_drafts(inv: Invitation, rows: list[dict], *, actor, today: dt.date | None = None) -> list[Nomination]:
    """A re-upload replaces the school's drafts (submitted nominations stay)."""
    _check_open_for_nominations(inv, today or _today())
    draft_ids = list(db.session.scalars(sa.select(Nomination.id).where(Nomination.invitation_id == inv.id,
                                                                      Nomination.status == S.draft)))
    if draft_ids:
        # A few set-wise DELETEs: the ORM's cascade would load each draft's checks, reviews and
        # attachments one draft at a time (600 statements for a 200-row re-upload). These are the
        # children it cascades to; the foreign keys cascade too on PostgreSQL, not on SQLite.
        for child in (EligibilityCheck, Review, NominationAttachment):
            db.session.execute(sa.delete(child).where(child.nomination_id.in_(draft_ids)))
        db.session.execute(sa.delete(Nomination).where(Nomination.id.in_(draft_ids)))
        audit.record("nomination.drafts_replaced", "invitation", inv.id, actor=actor, article="A6.2",
                     before={"draft_ids": draft_ids})
    return _create_nominations(inv, rows, actor=actor, source="xlsx")


# --- the secretariat's import of a whole cycle (A6.2) --------------------------------------------

class InvitationRef(NamedTuple):
    """What validating and storing a workbook row needs of an invitation (no ORM object: a
    national cycle has 3,000 of them, and a row reads four of these values)."""

    id: int
    school_id: int
    route: str
    extra_nominees: int
    school_name: str


def cycle_invitations_by_code(cycle_id: int) -> dict[str, InvitationRef]:
    """The cycle's invitations by the school's 学校标识码 (one statement, the school joined)."""
    return {code: InvitationRef(i, sid, route, extra or 0, name) for i, sid, route, extra, code, name in db.session.execute(
        sa.select(Invitation.id, Invitation.school_id, Invitation.route, Invitation.extra_nominees, School.code,
                  School.name).join(School, School.id == Invitation.school_id).where(Invitation.cycle_id == cycle_id))}


def unions_by_school(school_ids) -> dict[int, dict[str, UnionRef]]:
    """``school_unions`` for many schools in one statement (ids only: a sheet validates
    against them, nationally 6,000 unions, so no ORM objects are built)."""
    out: dict[int, dict[str, UnionRef]] = {}
    ids = set(school_ids)
    rows = db.session.execute(sa.select(StudentUnion.school_id, StudentUnion.kind, StudentUnion.id))
    for school_id, kind, union_id in rows:
        if school_id in ids:
            out.setdefault(school_id, {})[kind.value] = UnionRef(union_id)
    return out


def cycle_id_numbers(cycle_id: int) -> set[str]:
    """Every ID number in the cycle, withdrawn ones included (one nomination per person per cycle)."""
    return set(db.session.scalars(sa.select(Nomination.id_number).where(Nomination.cycle_id == cycle_id)))


def counted_by_invitation(cycle_id: int) -> dict[int, int]:
    """Per school, the nominations that take a place under the A6.2 limit (drafts included:
    they are waiting to be submitted)."""
    return dict(db.session.execute(
        sa.select(Nomination.invitation_id, sa.func.count()).where(
            Nomination.cycle_id == cycle_id, Nomination.status.not_in([S.withdrawn, S.disqualified]))
        .group_by(Nomination.invitation_id)).all())


def import_cycle_nominations(cycle: SelectionCycle, rows: list[tuple[InvitationRef, dict]], extras: dict, *, actor,
                             filename: str | None = None, today: dt.date | None = None) -> list[int]:
    """Store a validated secretariat workbook (``xlsx.parse_cycle_upload``): the schools' extra
    places with their reasons (A6.2), the drafts in one executemany, and one audit record per
    nomination plus one for the import, in one batch. Returns the new ids in row order."""
    from portal.core.uploads import safe_filename

    _check_cycle_open(cycle, today or _today())
    if not rows:
        return []
    entries = []
    for ref, extra, reason in extras.values():
        inv = db.session.get(Invitation, ref.id)
        before = {"extra": inv.extra_nominees, "reason": inv.extra_reason}
        inv.extra_nominees, inv.extra_reason = extra, reason
        entries.append(audit.Entry("invitation.extra_nominees", "invitation", inv.id, article="A6.2",
                                   before=before, after={"extra": extra, "reason": reason}))
    # A Core executemany on the table: the ids come back by a query below, so the ORM's bulk
    # bookkeeping (a third of the import's time at 10,000 rows) buys nothing here.
    # One timestamp for the batch, given: a column default would be called twice per row.
    now = utcnow()
    records = [dict(values, tenant_id=cycle.tenant_id, cycle_id=cycle.id, invitation_id=inv.id,
                    school_id=inv.school_id, route=inv.route, status=S.draft, source="xlsx", created_at=now,
                    updated_at=now) for inv, values in rows]
    check_tenant_write(cycle.tenant_id, "Nomination", model=Nomination, rows=records)
    db.session.execute(Nomination.__table__.insert(), records)
    new = {v["id_number"] for _, v in rows}
    id_of = {idn: i for i, idn in db.session.execute(
        sa.select(Nomination.id, Nomination.id_number).where(Nomination.cycle_id == cycle.id)) if idn in new}
    ids = [id_of[v["id_number"]] for _, v in rows]
    entries += [audit.Entry("nomination.created", "nomination", nid, article="A6.2",
                            after={"name": v["name"], "school_id": inv.school_id, "source": "secretariat_xlsx",
                                   "id_number": mask_id_number(v["id_number"])})
                for nid, (inv, v) in zip(ids, rows)]
    entries.append(audit.Entry("nomination.imported", "cycle", cycle.id, article="A6.2",
                               after={"rows": len(rows), "schools": len({inv.id for inv, _ in rows}),
                                      "extra_places": sorted(extras), "filename": safe_filename(filename)}))
    audit.record_many(entries, actor=actor)
    return ids


def lock_invitation(inv_id: int) -> Invitation:
    """Serialize submissions for one school in one cycle (A6.2 limit).

    PostgreSQL: SELECT ... FOR UPDATE on the school's per-cycle row. SQLite: the UPDATE takes
    the database write lock before we count, so the count below sees every committed rival.
    """
    bind = db.session.connection()
    if bind.dialect.name == "postgresql":
        from sqlalchemy.orm import lazyload

        inv = db.session.scalar(sa.select(Invitation).where(Invitation.id == inv_id)
                                .options(lazyload("*")).with_for_update(of=Invitation)
                                .execution_options(populate_existing=True))
        inv.submissions += 1
        db.session.flush()
    else:
        db.session.execute(sa.update(Invitation).where(Invitation.id == inv_id)
                           .values(submissions=Invitation.submissions + 1)
                           .execution_options(synchronize_session=False))
        inv = db.session.scalar(sa.select(Invitation).where(Invitation.id == inv_id)
                                .execution_options(populate_existing=True))
    return inv


def submit_nomination(nom: Nomination, *, actor, roles, today: dt.date | None = None,
                      reason: str | None = None) -> Nomination:
    """Submit a draft; never more than the rules' number per school (A6.2)."""
    today = today or _today()
    inv = lock_invitation(nom.invitation_id)
    _check_open_for_nominations(inv, today)
    # Re-read the nomination under the lock (another tab may have submitted it).
    db.session.refresh(nom)
    counted = db.session.scalar(sa.select(sa.func.count()).select_from(Nomination).where(
        Nomination.invitation_id == inv.id, Nomination.status.not_in(COUNTED)))
    limit = nominee_limit(inv)
    if nom.status == S.draft and counted >= limit:
        raise Conflict(f"{inv.school.name}已报送 {counted} 名人选，达到规定的 {limit} 名上限；"
                       f"如确需多推荐，须由秘书处记录理由后增加名额（{article_citation('A6.2')}）",
                       code="nominee_limit")
    workflow.apply(nom, "submit", actor=actor, roles=roles, ctx={"cycle": inv.cycle, "today": today},
                   note=reason)
    nom.submitted_at = utcnow()
    nom.submitted_by_id = getattr(actor, "id", None)
    db.session.flush()
    return nom


def withdraw_nomination(nom: Nomination, *, actor, roles, reason: str) -> Nomination:
    return workflow.apply(nom, "withdraw", actor=actor, roles=roles, note=reason)


# --- attachments -----------------------------------------------------------------------------

def store_attachment(nom: Nomination, kind: str, filename: str, data: bytes, *, actor) -> NominationAttachment:
    """Checked by content (PDF/JPG/PNG), stored under a generated name; the original name kept,
    cleaned (no control characters, base name only, extension following the content). Only a
    draft takes attachments (A6.2: what was submitted is what the secretariat reviews). The row is
    flushed before the file is written, and a rollback removes the file."""
    from portal.core.transactions import write_file
    from portal.core.uploads import attachment_filename, sniff_attachment

    if kind not in ("photo", "publicity", "evidence"):
        raise DomainError("附件类型无效", field="kind")
    status = db.session.execute(sa.select(Nomination.status).where(Nomination.id == nom.id)
                                .with_for_update()).scalar_one()
    if status != S.draft:
        raise Conflict("推荐已报送，不能再上传附件；如需补充材料请联系秘书处")
    allowed = ("jpg", "png") if kind == "photo" else ("pdf", "jpg", "png")
    try:
        ftype = sniff_attachment(data, allowed, max_size=current_app.config.get("MAX_CONTENT_LENGTH"))
    except ValueError as exc:
        raise DomainError(getattr(exc, "message", str(exc)), field="file") from None
    stored = f"{uuid.uuid4().hex}.{ftype}"
    original = attachment_filename(filename, ftype)
    att = NominationAttachment(tenant_id=nom.tenant_id, nomination_id=nom.id, kind=kind, original_name=original,
                               stored_name=stored, file_type=ftype, size=len(data),
                               sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=getattr(actor, "id", None))
    db.session.add(att)
    db.session.flush()
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    write_file(os.path.join(folder, stored), data)
    audit.record("nomination.attachment", "nomination", nom.id, actor=actor, article="A6.2",
                 after={"kind": kind, "name": original, "sha256": att.sha256})
    return att


def attachment_path(att: NominationAttachment) -> str:
    return os.path.join(current_app.config["UPLOAD_FOLDER"], att.stored_name)


# --- eligibility (A5) ------------------------------------------------------------------------

ITEM_LABELS = {
    "A5.1": "政治面貌与群众基础", "A5.2": "主席团成员团体及其主席团成员身份", "A5.3": "学习成绩、品行与能力（保研优先）",
    "A5.4": "写作、组织协调、外语和计算机能力", "A5.5": "遵守工作人员守则，无违纪违法记录",
}


def _set_check(nom, item, result, reason, *, automatic, evidence=None, actor=None) -> EligibilityCheck:
    c = db.session.scalar(sa.select(EligibilityCheck).where(EligibilityCheck.nomination_id == nom.id,
                                                            EligibilityCheck.item == item))
    before = {"result": c.result.value, "reason": c.reason} if c else None
    if c is None:
        c = EligibilityCheck(tenant_id=nom.tenant_id, nomination_id=nom.id, item=item, automatic=automatic,
                             result=result, reason=reason)
        db.session.add(c)
    c.automatic, c.result, c.reason, c.evidence = automatic, result, reason, evidence
    c.checked_by_id, c.checked_at = getattr(actor, "id", None), utcnow()
    db.session.flush()
    audit.record("eligibility.checked", "nomination", nom.id, actor=actor, article=item, before=before,
                 after={"item": item, "result": result.value, "reason": reason})
    return c


def presidium_warning(school_id: int, on: dt.date | None = None) -> str | None:
    """A5.2 said at entry rather than after 报送: the school's student organizations that have
    no presidium term running on ``on`` (a nominee from them would fail the check), or None."""
    on = on or _today()
    unions = db.session.scalars(sa.select(StudentUnion).where(StudentUnion.school_id == school_id)
                                .order_by(StudentUnion.id)).all()
    terms: dict[int, list[PresidiumMembership]] = {}
    for t in db.session.scalars(sa.select(PresidiumMembership).where(
            PresidiumMembership.union_id.in_([u.id for u in unions]))):
        terms.setdefault(t.union_id, []).append(t)
    lapsed = []
    for u in unions:
        mine = terms.get(u.id, [])
        if any(t.valid_on(on) for t in mine):
            continue
        last = max(mine, key=lambda t: t.term_start) if mine else None
        lapsed.append(f"{u.name}的主席团成员团体任期（{last.term_label}）至{last.term_end:%Y-%m-%d}已届满"
                      if last and last.term_end else f"{u.name}不是本学联主席团成员团体")
    if not lapsed:
        return None
    return (f"{'；'.join(lapsed)}。由其推荐的人选将不能通过资格条件核查（{article_citation('A5.2')}），"
            f"请推荐有效任期内的主席团成员团体的主席团成员，或先请秘书处更新主席团名册。")


def run_eligibility(nom: Nomination, cycle: SelectionCycle, *, actor) -> list[EligibilityCheck]:
    """Automatic checks A5.1, A5.2, A5.5; A5.3/A5.4 wait for an attestation with evidence."""
    if nom.status != S.submitted:
        raise Conflict("只有已报送的人选可以进行资格条件核查（第五条）")
    allowed = cycle.rule("selection.eligible_political_statuses")
    if nom.political_status in allowed:
        _set_check(nom, "A5.1", CheckResult.passed, f"政治面貌为{nom.political_status}，符合条件", automatic=True, actor=actor)
    else:
        _set_check(nom, "A5.1", CheckResult.failed,
                   f"政治面貌为{nom.political_status}，不在规定范围（{'、'.join(allowed)}）内", automatic=True, actor=actor)
    # A5.2: the union sits on this federation's presidium on the cycle date, and the nominee
    # is on that union's presidium, elected by its congress.
    union = db.session.get(StudentUnion, nom.union_id)
    terms = db.session.scalars(sa.select(PresidiumMembership).where(PresidiumMembership.union_id == nom.union_id)).all()
    on = cycle.opened_on
    valid = [t for t in terms if t.valid_on(on)]
    if union is None or union.school_id != nom.school_id:
        _set_check(nom, "A5.2", CheckResult.failed, "所填学生组织不属于推荐学校", automatic=True, actor=actor)
    elif not valid:
        last = max(terms, key=lambda t: t.term_start) if terms else None
        why = (f"{union.name}的主席团成员团体任期（{last.term_label}）至{last.term_end:%Y-%m-%d}已届满"
               if last and last.term_end else f"{union.name}不是本学联主席团成员团体")
        _set_check(nom, "A5.2", CheckResult.failed, f"{why}，于{on:%Y-%m-%d}无有效任期", automatic=True, actor=actor)
    elif nom.presidium_position not in PRESIDIUM_POSITIONS or nom.elected_on > on:
        _set_check(nom, "A5.2", CheckResult.failed, "未提供经学生（研究生）代表大会选举产生的主席团职务",
                   automatic=True, actor=actor)
    else:
        t = valid[0]
        _set_check(nom, "A5.2", CheckResult.passed,
                   f"{union.name}为主席团成员团体（{t.term_label}），本人于{nom.elected_on:%Y-%m-%d}经代表大会当选"
                   f"{nom.presidium_position}", automatic=True, actor=actor)
    if nom.discipline_record:
        _set_check(nom, "A5.5", CheckResult.failed, f"有违纪违法记录：{nom.discipline_record}", automatic=True, actor=actor)
    else:
        _set_check(nom, "A5.5", CheckResult.passed, "学校报送材料载明无违纪违法记录", automatic=True, actor=actor)
    existing = _check_map(nom)
    for item in ("A5.3", "A5.4"):
        if item not in existing:
            _set_check(nom, item, CheckResult.pending, "待秘书处核实并上传证明材料", automatic=False, actor=actor)
    return list(_check_map(nom).values())


def _check_map(nom) -> dict[str, EligibilityCheck]:
    return {c.item: c for c in db.session.scalars(sa.select(EligibilityCheck).where(
        EligibilityCheck.nomination_id == nom.id).order_by(EligibilityCheck.item))}


def attest(nom: Nomination, item: str, passed: bool, evidence: str, *, actor) -> EligibilityCheck:
    """A5.3 / A5.4 are judged by a person with evidence (保研 is a preference, not required)."""
    if item not in ("A5.3", "A5.4"):
        raise DomainError("只有第五条第（三）项、第（四）项需要人工核实")
    evidence = (evidence or "").strip()
    if not evidence:
        raise DomainError("请填写核实依据（证明材料）", field="evidence")
    if nom.status != S.submitted:
        raise Conflict("只有已报送、尚未确认资格的人选可以核实资格条件")
    reason = "经核实符合条件" if passed else "经核实不符合条件"
    return _set_check(nom, item, CheckResult.passed if passed else CheckResult.failed, reason,
                      automatic=False, evidence=evidence, actor=actor)


# --- review (A6.3) ---------------------------------------------------------------------------

def reviewer_scope(memberships) -> tuple[bool, set[str]]:
    """(is national secretariat, provinces a provincial reviewer may see): the provinces come
    from the one visibility rule (``access.scope_for``)."""
    staff = any(m.role in workflow.STAFF for m in memberships)
    return staff, set(scope_for([m for m in memberships if m.role == Role.provincial_reviewer]).provinces)


def sign_review(nom: Nomination, level: ReviewLevel, *, qualified: bool, notes: str, report: str,
                actor, memberships) -> Review:
    staff, provinces = reviewer_scope(memberships)
    cycle = db.session.get(SelectionCycle, nom.cycle_id)
    level = ReviewLevel(level)
    if level == ReviewLevel.provincial and nom.school.province_code not in provinces and not staff:
        raise DomainError(f"只能审查本省的人选（{article_citation('A6.3')}）", status=403)
    if level == ReviewLevel.provincial and not provinces and staff:
        pass  # the secretariat may record the partner secretariat's signed opinion on its behalf
    if level == ReviewLevel.national and not staff:
        raise DomainError(f"{cycle.review_body(level)}签署意见须由秘书处人员完成", status=403)
    if nom.status != S.under_review:
        raise Conflict(f"该人选当前状态为「{nom.status_label}」，不能签署审查考察意见（{article_citation('A6.3')}）")
    notes, report = (notes or "").strip(), (report or "").strip()
    if not notes or not report:
        raise DomainError("请填写资格审查意见和考察报告")
    r = db.session.scalar(sa.select(Review).where(Review.nomination_id == nom.id, Review.level == level))
    if r is None:
        r = Review(tenant_id=nom.tenant_id, nomination_id=nom.id, level=level, qualified=qualified,
                   qualification_notes=notes, inspection_report=report)
        db.session.add(r)
    r.qualified, r.qualification_notes, r.inspection_report = qualified, notes, report
    r.reviewer_id, r.signed_at = getattr(actor, "id", None), utcnow()
    db.session.flush()
    audit.record("review.signed", "nomination", nom.id, actor=actor, article="A6.3",
                 after={"level": level.value, "qualified": qualified})
    return r


# --- exam and interview (A6.4) ---------------------------------------------------------------

def _score(value, label) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except Exception:
        raise DomainError(f"{label}应为 0–100 的数字，收到「{value}」") from None
    if not d.is_finite() or d < 0 or d > 100:
        raise DomainError(f"{label}应在 0 到 100 之间")
    return d.quantize(Decimal("0.01"))


def exam_score_refusal(nom: Nomination) -> str | None:
    """Why no written-exam score can be recorded for ``nom`` now, or None (A6.4 after A6.3)."""
    if nom.status == S.reviewed:
        return None
    if nom.status in (S.draft, S.submitted, S.eligibility_checked, S.under_review):
        return f"该人选尚未完成资格审查和考察（{article_citation('A6.3')}），不能录入笔试成绩"
    return f"该人选当前状态为「{nom.status_label}」，不能录入笔试成绩"


def enter_exam_score(nom: Nomination, score, *, actor) -> Nomination:
    refusal = exam_score_refusal(nom)
    if refusal:
        raise Conflict(refusal, code="bad_state")
    before = nom.exam_score
    nom.exam_score = _score(score, "笔试成绩")
    db.session.flush()
    audit.record("exam.score", "nomination", nom.id, actor=actor, article="A6.4",
                 before={"exam_score": before}, after={"exam_score": nom.exam_score})
    return nom


def add_panelist(cycle, *, name, affiliation, school_id=None, province_code=None, user_id=None, actor) -> Panelist:
    p = Panelist(tenant_id=cycle.tenant_id, cycle_id=cycle.id, name=name.strip(), affiliation=affiliation.strip(),
                 school_id=school_id, province_code=province_code, user_id=user_id)
    db.session.add(p)
    db.session.flush()
    audit.record("panel.panelist_added", "panelist", p.id, actor=actor, article="A6.4",
                 after={"name": p.name, "affiliation": p.affiliation})
    return p


def declare_conflict(panelist: Panelist, nom: Nomination, reason: str, *, actor) -> PanelConflict:
    """A panelist's declared conflict of interest with a candidate (A6.4, A7).

    Before the draw it keeps the panelist off that candidate's panel; after it, the
    panelist is recused from scoring the candidate and any score already given is struck."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请说明回避理由（如师生、同乡、亲属关系）", field="reason")
    if panelist.cycle_id != nom.cycle_id:
        raise DomainError("评委与人选不属于同一次选拔")
    if db.session.scalar(sa.select(PanelConflict.id).where(PanelConflict.panelist_id == panelist.id,
                                                           PanelConflict.nomination_id == nom.id)):
        raise Conflict(f"{panelist.name}已申报对{nom.name}回避")
    c = PanelConflict(tenant_id=panelist.tenant_id, panelist_id=panelist.id, nomination_id=nom.id,
                      reason=reason[:200])
    db.session.add(c)
    db.session.flush()
    audit.record("panel.conflict_declared", "panelist", panelist.id, actor=actor, article="A6.4/A7",
                 after={"nomination_id": nom.id, "reason": c.reason})
    struck = db.session.scalar(sa.select(InterviewScore).where(InterviewScore.nomination_id == nom.id,
                                                               InterviewScore.panelist_id == panelist.id))
    if struck is not None:
        if nom.status != S.reviewed:
            raise Conflict(f"{nom.name}的面试成绩已经确定（{nom.status_label}），不能再撤销评分")
        db.session.delete(struck)
        db.session.flush()
        audit.record("interview.score_struck", "nomination", nom.id, actor=actor, article="A6.4/A7",
                     before={"panelist_id": panelist.id, "score": struck.score}, after={"reason": c.reason})
        _aggregate_interview(nom, actor=actor)
    return c


def conflicts_of(cycle_id: int) -> list[PanelConflict]:
    return list(db.session.scalars(
        sa.select(PanelConflict).join(Panelist, Panelist.id == PanelConflict.panelist_id)
        .where(Panelist.cycle_id == cycle_id).order_by(PanelConflict.id)))


def draw_panel(cycle: SelectionCycle, name: str, nominations: list[Nomination], *, actor,
               seed: str | None = None, scheduled_on: dt.date | None = None) -> InterviewPanel:
    """Draw the panel by lot from the pool, excluding conflicts (same school or province as a
    candidate, declared conflicts); the seed and the draw are recorded (A6.4, A7)."""
    size = cycle.rule("selection.interview_panel_size")
    if not nominations:
        raise DomainError("请选择本组面试的人选")
    if any(n.status != S.reviewed for n in nominations):
        raise Conflict(f"只有已完成审查考察的人选可以安排面试（{article_citation('A6.3')}）")
    pool = db.session.scalars(sa.select(Panelist).where(Panelist.cycle_id == cycle.id,
                                                        Panelist.panel_id.is_(None)).order_by(Panelist.id)).all()
    schools = {n.school_id for n in nominations}
    provinces = {n.school.province_code for n in nominations}
    declared = set(db.session.scalars(sa.select(PanelConflict.panelist_id).where(
        PanelConflict.nomination_id.in_([n.id for n in nominations]))))
    excluded, eligible = [], []
    for p in pool:
        why = ("同校回避" if p.school_id in schools else "同省回避" if p.province_code in provinces
               else "申报回避" if p.id in declared else None)
        (excluded if why else eligible).append((p, why))
    if len(eligible) < size:
        raise Conflict(f"回避后可抽取的评委只有 {len(eligible)} 名，少于规定的 {size} 名"
                       f"（{article_citation('A6.4')}），请补充评委库")
    seed = seed or secrets.token_hex(8)
    rng = random.Random(seed)
    chosen = rng.sample([p for p, _ in eligible], size)
    panel = InterviewPanel(tenant_id=cycle.tenant_id, cycle_id=cycle.id, name=name, scheduled_on=scheduled_on,
                           draw_seed=seed, drawn_at=utcnow(),
                           draw_record={"pool": [p.id for p in pool], "eligible": [p.id for p, _ in eligible],
                                        "excluded": [{"id": p.id, "why": w} for p, w in excluded],
                                        "chosen": [p.id for p in chosen], "size": size,
                                        "method": "random.Random(seed).sample(eligible ordered by id, size)"})
    db.session.add(panel)
    db.session.flush()
    for p in chosen:
        p.panel_id = panel.id
    for n in nominations:
        n.panel_id = panel.id
    db.session.flush()
    audit.record("panel.drawn", "interview_panel", panel.id, actor=actor, article="A6.4",
                 after=panel.draw_record | {"seed": seed, "nominations": [n.id for n in nominations]})
    return panel


def rubric(cycle: SelectionCycle) -> list[tuple[str, int]]:
    """The interview rubric pinned with the cycle's rules: (item, weight %) (A6.4, A23)."""
    return parse_weights(cycle.rule("selection.interview_rubric"))


@dataclass
class SheetRow:
    panelist: Panelist
    recused: str | None              # the declared reason, when the panelist is recused
    score: InterviewScore | None


def score_sheet(nom: Nomination) -> list[SheetRow]:
    """The candidate's interview sheet: every member of the panel, recused or with a score."""
    if nom.panel_id is None:
        return []
    members = db.session.scalars(sa.select(Panelist).where(Panelist.panel_id == nom.panel_id)
                                 .order_by(Panelist.id)).all()
    recused = dict(db.session.execute(sa.select(PanelConflict.panelist_id, PanelConflict.reason).where(
        PanelConflict.nomination_id == nom.id)).all())
    scores = {s.panelist_id: s for s in db.session.scalars(
        sa.select(InterviewScore).where(InterviewScore.nomination_id == nom.id))}
    return [SheetRow(p, recused.get(p.id), scores.get(p.id)) for p in members]


def record_interview_scores(nom: Nomination, scores: dict, *, actor) -> Nomination:
    """Panelists' scores for one candidate (A6.4).

    ``scores`` maps a panel member's id to ``{rubric item: score}`` (weighted by the cycle's
    pinned rubric) or to the panelist's total. Sheets may arrive one by one; the interview
    score is the mean over the members not recused, set once every one of them has scored."""
    if nom.status != S.reviewed:
        raise Conflict(f"该人选尚未完成资格审查和考察（{article_citation('A6.3')}），不能录入面试成绩"
                       if nom.status in (S.draft, S.submitted, S.eligibility_checked, S.under_review)
                       else f"该人选当前状态为「{nom.status_label}」，不能录入面试成绩", code="bad_state")
    if nom.panel_id is None:
        raise Conflict(f"该人选尚未分配面试小组（{article_citation('A6.4')}）")
    if not scores:
        raise DomainError("请至少录入一位评委的评分")
    sheet = {row.panelist.id: row for row in score_sheet(nom)}
    items = rubric(db.session.get(SelectionCycle, nom.cycle_id))
    entered = {}
    for pid, value in scores.items():
        row = sheet.get(int(pid))
        if row is None:
            raise DomainError("只能录入本面试小组评委的评分")
        if row.recused:
            raise Conflict(f"{row.panelist.name}已申报回避（{row.recused}），不能为该人选评分"
                           f"（{article_citation('A7')}）", code="recused")
        if isinstance(value, dict):
            missing = [label for label, _ in items if value.get(label) in (None, "")]
            if missing:
                raise DomainError(f"{row.panelist.name}的评分缺少：{'、'.join(missing)}")
            unknown = set(value) - {label for label, _ in items}
            if unknown:
                raise DomainError(f"评分维度「{'、'.join(sorted(unknown))}」不在本次选拔的评分标准中")
            parts = {label: _score(value[label], f"{row.panelist.name}的「{label}」评分") for label, _ in items}
            total = sum(parts[label] * w for label, w in items) / 100
            entered[row.panelist.id] = (total.quantize(Decimal("0.01")), {k: str(v) for k, v in parts.items()})
        else:
            entered[row.panelist.id] = (_score(value, f"{row.panelist.name}的评分"), None)
    for pid, (total, parts) in entered.items():
        old = sheet[pid].score
        before = {"score": old.score, "criteria": old.criteria} if old else None
        if old is None:
            old = InterviewScore(tenant_id=nom.tenant_id, nomination_id=nom.id, panelist_id=pid, score=total)
            db.session.add(old)
        old.score, old.criteria = total, parts
        db.session.flush()
        audit.record("interview.panelist_score", "nomination", nom.id, actor=actor, article="A6.4",
                     before=before, after={"panelist_id": pid, "score": total, "criteria": parts,
                                           "rubric": [f"{label}:{w}" for label, w in items]})
    return _aggregate_interview(nom, actor=actor)


def _aggregate_interview(nom: Nomination, *, actor) -> Nomination:
    rows = [r for r in score_sheet(nom) if not r.recused]
    if not rows:
        raise Conflict(f"本组评委均已回避，请为该人选重新抽取评委（{article_citation('A6.4')}）")
    done = [Decimal(r.score.score) for r in rows if r.score is not None]
    before = nom.interview_score
    nom.interview_score = (sum(done) / len(done)).quantize(Decimal("0.01")) if len(done) == len(rows) else None
    db.session.flush()
    if nom.interview_score != before:
        audit.record("interview.score", "nomination", nom.id, actor=actor, article="A6.4",
                     before={"interview_score": before},
                     after={"interview_score": nom.interview_score, "panelists": len(done),
                            "method": "未回避评委加权评分的平均值"})
    return nom


def set_interview_score(nom: Nomination, score, *, actor) -> Nomination:
    """Direct entry of the panel's aggregated interview score (import)."""
    if nom.status != S.reviewed:
        raise Conflict(f"该人选尚未完成资格审查和考察（{article_citation('A6.3')}），不能录入面试成绩", code="bad_state")
    nom.interview_score = _score(score, "面试成绩")
    db.session.flush()
    audit.record("interview.score", "nomination", nom.id, actor=actor, article="A6.4",
                 after={"interview_score": nom.interview_score})
    return nom


def rank_key(cycle: SelectionCycle):
    """Sort key: total desc; then 保研 preference (A5.3) and the stated tie-break (A6.4)."""
    prefer = cycle.rule("selection.baoyan_preference")
    tie = cycle.rule("selection.tie_break")

    def key(n: Nomination):
        b = 0 if (prefer and n.baoyan_eligible and n.degree_level == "本科生") else 1
        parts = {"exam_then_baoyan": (-n.exam_score, b), "interview_then_baoyan": (-n.interview_score, b),
                 "baoyan_then_exam": (b, -n.exam_score)}[tie]
        return (-n.total_score, *parts, n.id)

    return key


def rank_cycle(cycle: SelectionCycle, *, actor, roles) -> list[Nomination]:
    """Weighted total (weights from the rules), ranking, and the examined → ranked step."""
    noms = db.session.scalars(sa.select(Nomination).where(
        Nomination.cycle_id == cycle.id, Nomination.status.in_([S.reviewed, S.examined, S.ranked]))).all()
    w = Decimal(cycle.rule("selection.exam_weight_percent")) / 100
    ready = []
    for n in noms:
        if n.status == S.reviewed:
            if n.exam_score is None or n.interview_score is None:
                continue
            workflow.apply(n, "record_exam", actor=actor, roles=roles)
        n.total_score = (Decimal(n.exam_score) * w + Decimal(n.interview_score) * (1 - w)).quantize(Decimal("0.001"))
        ready.append(n)
    if not ready:
        raise Conflict(f"没有已录入笔试和面试成绩的人选（{article_citation('A6.4')}）")
    ready.sort(key=rank_key(cycle))
    for i, n in enumerate(ready, 1):
        n.rank = i
    db.session.flush()
    for n in ready:
        if n.status == S.examined:
            workflow.apply(n, "rank", actor=actor, roles=roles)
    audit.record("cycle.ranked", "selection_cycle", cycle.id, actor=actor, article="A6.4",
                 after={"weights": {"exam": str(w), "interview": str(1 - w)},
                        "tie_break": cycle.rule("selection.tie_break"),
                        "baoyan_preference": cycle.rule("selection.baoyan_preference"),
                        "ranking": [[n.id, str(n.total_score)] for n in ready]})
    if cycle.status in (CycleStatus.open, CycleStatus.reviewing, CycleStatus.examining):
        set_cycle_status(cycle, CycleStatus.deciding, actor=actor)
    return ready


# --- decision, approval, notice (A6.5) -------------------------------------------------------

def _cycle_noms(cycle, ids=None, status=None) -> list[Nomination]:
    stmt = sa.select(Nomination).where(Nomination.cycle_id == cycle.id).order_by(Nomination.rank, Nomination.id)
    if ids is not None:
        stmt = stmt.where(Nomination.id.in_([int(i) for i in ids]))
    if status is not None:
        stmt = stmt.where(Nomination.status == status)
    return list(db.session.scalars(stmt))


def propose(cycle: SelectionCycle, ids, *, actor, roles) -> list[Nomination]:
    # A4: the quota is counted and filled under the cycle's row lock, so two staff members
    # proposing at the same moment cannot both fit into the last place.
    lock_row(SelectionCycle, cycle.id)
    noms = _cycle_noms(cycle, ids)
    if not noms or len(noms) != len(set(int(i) for i in ids)):
        raise DomainError("请选择拟任人选")
    already = len(_cycle_noms(cycle, status=S.proposed)) + len(_cycle_noms(cycle, status=S.approved)) \
        + len(_cycle_noms(cycle, status=S.publicized)) + len(_cycle_noms(cycle, status=S.appointed))
    if already + len(noms) > cycle.quota:
        raise Conflict(f"拟任人选不能超过本学年名额 {cycle.quota} 名（{article_citation('A4')}）")
    for n in noms:
        workflow.apply(n, "propose", actor=actor, roles=roles)
    return noms


def decide(cycle: SelectionCycle, approved: bool, note: str | None, *, actor, roles) -> Approval:
    """The approving body named in the rules consents (or returns the list) (A6.5)."""
    lock_row(SelectionCycle, cycle.id)  # one decision at a time on the cycle's list
    noms = _cycle_noms(cycle, status=S.proposed)
    if not noms:
        raise Conflict("没有待审批的拟任人选")
    if not approved and not (note or "").strip():
        raise DomainError("退回须说明理由", field="note")
    for n in noms:
        workflow.apply(n, "approve" if approved else "unpropose", actor=actor, roles=roles, note=note)
    a = Approval(tenant_id=cycle.tenant_id, cycle_id=cycle.id, approving_body=cycle.rule("selection.approving_body"),
                 approved=approved, note=(note or "").strip() or None, nomination_ids=[n.id for n in noms],
                 decided_by_id=getattr(actor, "id", None))
    db.session.add(a)
    db.session.flush()
    audit.record("cycle.approval", "selection_cycle", cycle.id, actor=actor, article="A6.5",
                 after={"body": a.approving_body, "approved": approved, "nominations": a.nomination_ids})
    return a


def current_notice(cycle: SelectionCycle) -> PublicNotice | None:
    return db.session.scalar(sa.select(PublicNotice).where(PublicNotice.cycle_id == cycle.id)
                             .order_by(PublicNotice.id.desc()).limit(1))


def cycle_notices(cycle: SelectionCycle) -> list[PublicNotice]:
    """The cycle's notices, latest first (a leftover candidate approved later has its own)."""
    return list(db.session.scalars(sa.select(PublicNotice).where(PublicNotice.cycle_id == cycle.id)
                                   .order_by(PublicNotice.id.desc())))


def open_notice(cycle: SelectionCycle, *, actor, roles, starts_on: dt.date | None = None,
                today: dt.date | None = None) -> PublicNotice:
    """Publicize the approved list for at least N working days on the website (A6.5).

    The notice starts no earlier than the day it is published: a window already partly past
    would be shorter than N working days for anyone reading it."""
    today = today or _today()
    lock_row(SelectionCycle, cycle.id)  # one notice at a time for the cycle's approved list
    noms = _cycle_noms(cycle, status=S.approved)
    if not noms:
        raise Conflict(f"没有经{cycle.rule('selection.approving_body')}同意的人选，不能公示（{article_citation('A6.5')}）")
    starts_on = starts_on or today
    if starts_on < today:
        raise DomainError(f"公示开始日期（{starts_on:%Y年%m月%d日}）不能早于发布当日（{today:%Y年%m月%d日}）"
                          f"（{article_citation('A6.5')}）", field="starts_on", code="notice_backdated")
    n_days = cycle.rule("selection.public_notice_min_workdays")
    ends_on = calendar().period_end(starts_on, n_days)
    website = cycle.rule("federation.website_name")
    fed = cycle.rule("federation.name")
    body = (f"根据《全国学联驻会执行主席管理办法（试行）》，经{cycle.rule('selection.approving_body')}同意，"
            f"现将{fed}{cycle.academic_year}学年驻会执行主席拟任人选予以公示。公示期为"
            f"{starts_on:%Y年%m月%d日}至{ends_on:%Y年%m月%d日}（{n_days}个工作日）。"
            f"如有异议，请在公示期内通过本页面反映。")
    notice = PublicNotice(tenant_id=cycle.tenant_id, cycle_id=cycle.id,
                          title=f"{fed}{cycle.academic_year}学年驻会执行主席拟任人选公示", body=body,
                          website_name=website, starts_on=starts_on, ends_on=ends_on, min_workdays=n_days,
                          nomination_ids=[n.id for n in noms])
    db.session.add(notice)
    db.session.flush()
    for n in noms:
        workflow.apply(n, "publicize", actor=actor, roles=roles, ctx={"notice": notice})
    doc = outbox.request_document(cycle.tenant_id, kind="selection.public_notice", fmt="pdf",
                                  builder="portal.selection.documents.public_notice",
                                  params={"notice_id": notice.id}, filename=f"{notice.title}.pdf",
                                  requested_by=None if isinstance(actor, str) else actor)
    notice.pdf_document_id = outbox.document_id(doc)
    set_cycle_status(cycle, CycleStatus.publicizing, actor=actor)
    audit.record("notice.opened", "public_notice", notice.id, actor=actor, article="A6.5",
                 after={"starts_on": starts_on, "ends_on": ends_on, "workdays": n_days,
                        "nominations": notice.nomination_ids})
    return notice


def objection_for_form(notice: PublicNotice, form_token: str | None) -> Objection | None:
    """The objection an earlier post of the same form made, if any."""
    if not form_token:
        return None
    return db.session.scalar(sa.select(Objection).where(
        Objection.tenant_id == notice.tenant_id, Objection.form_token == form_token))


def submit_objection(notice: PublicNotice, content: str, *, contact: str | None = None,
                     nomination_id: int | None = None, today: dt.date | None = None,
                     form_token: str | None = None) -> Objection:
    """Record a public objection and tell the staff (A6.5). With ``form_token`` (the public
    form's one-time id) a second post of the same form returns the first objection and
    notifies nobody again, even when both posts arrive at once (a unique constraint)."""
    earlier = objection_for_form(notice, form_token)
    if earlier is not None:
        return earlier
    today = today or _today()
    if not notice.is_open(today):
        raise Conflict(f"公示期为{notice.starts_on:%Y年%m月%d日}至{notice.ends_on:%Y年%m月%d日}，当前不在公示期内，"
                       f"不能提交异议（{article_citation('A6.5')}）")
    content = (content or "").strip()
    if len(content) < 10:
        raise DomainError("请具体说明异议内容（至少 10 个字）", field="content")
    if len(content) > 5000:
        raise DomainError("异议内容不能超过 5000 字", field="content")
    if nomination_id is not None and int(nomination_id) not in (notice.nomination_ids or []):
        raise DomainError("所选人选不在本次公示名单中", field="nomination_id")
    o = Objection(tenant_id=notice.tenant_id, notice_id=notice.id,
                  nomination_id=int(nomination_id) if nomination_id else None, content=content,
                  contact=((contact or "").strip()[:200] or None), form_token=form_token)
    try:
        with db.session.begin_nested():
            db.session.add(o)
    except IntegrityError:  # the same form, posted at the same moment, won the token
        winner = objection_for_form(notice, form_token)
        if winner is None:
            raise
        return winner
    audit.record("objection.received", "objection", o.id, actor="公众（匿名）", article="A6.5",
                 after={"notice_id": notice.id, "nomination_id": o.nomination_id})
    for m in db.session.scalars(sa.select(Membership).where(Membership.role.in_(list(workflow.STAFF)),
                                                            Membership.active.is_(True))):
        outbox.notify(notice.tenant_id, template_key="selection.objection_received",
                      context={"notice": notice.title, "objection_id": o.id}, recipient_user_id=m.user_id,
                      related_type="objection", related_id=o.id, dedupe_key=f"objection:{o.id}:{m.user_id}",
                      channels=("inbox",))
    return o


def resolve_objection(o: Objection, upheld: bool, outcome: str, *, actor) -> Objection:
    outcome = (outcome or "").strip()
    if not outcome:
        raise DomainError("请填写核查结论", field="outcome")
    if o.status != ObjectionStatus.received:
        raise Conflict("该异议已经处理")
    if not compare_and_set(o, "status", ObjectionStatus.received,
                           ObjectionStatus.upheld if upheld else ObjectionStatus.rejected):
        raise Conflict("该异议已由他人处理，请刷新后查看")
    o.outcome, o.handled_by_id, o.handled_at = outcome, getattr(actor, "id", None), utcnow()
    db.session.flush()
    audit.record("objection.resolved", "objection", o.id, actor=actor, article="A6.5",
                 after={"status": o.status.value, "outcome": outcome})
    return o


def _add_months(d: dt.date, months: int) -> dt.date:
    import calendar as pycal

    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, pycal.monthrange(year, month)[1]))


def confirm_appointments(cycle: SelectionCycle, *, actor, roles, term_start: dt.date | None = None,
                         today: dt.date | None = None) -> list[Chair]:
    """After the window closed and no objection upheld: create each chair's record (A6.5)."""
    today = today or _today()
    lock_row(SelectionCycle, cycle.id)
    noms = _cycle_noms(cycle, status=S.publicized)
    if not noms:
        raise Conflict("没有处于公示中的人选")
    # A6.5: each candidate is judged by their OWN notice (a leftover candidate approved later
    # was publicized by a later one): its full window run, its objections settled.
    ctx = {"notices": cycle_notices(cycle), "today": today}
    blocked = {}
    for n in noms:
        reason = workflow._g_appoint(n, ctx)
        if reason:
            blocked[n.id] = reason
    # A candidate whose notice is still running (or has objections unresolved) waits; if that
    # leaves no one to appoint, say why. An upheld objection only excludes its candidate.
    waiting = [r for r in blocked.values() if "公示期满" in r or "尚未核查" in r or "尚未公示" in r]
    if waiting and len(blocked) == len(noms):
        raise Conflict(waiting[0], code="guard_failed")
    months = cycle.rule("residency.term_months")
    start = term_start or today
    chairs = []
    for n in noms:
        if n.id in blocked:
            continue
        workflow.apply(n, "appoint", actor=actor, roles=roles, ctx=ctx)
        c = Chair(tenant_id=cycle.tenant_id, cycle_id=cycle.id, nomination_id=n.id, school_id=n.school_id,
                  name=n.name, term_start=start, term_end=_add_months(start, months) - dt.timedelta(days=1))
        db.session.add(c)
        chairs.append(c)
        _mark_rotation_served(cycle, n, actor=actor)
    db.session.flush()
    for c, n in zip(chairs, [n for n in noms if n.id not in blocked]):
        audit.record("chair.appointed", "chair", c.id, actor=actor, article="A6.5",
                     after={"nomination_id": n.id, "name": c.name, "term_start": c.term_start, "term_end": c.term_end})
        chair_appointed.send(c, cycle=cycle, nomination=n, actor=actor)
        for m in _liaisons(n.school_id):
            outbox.notify(cycle.tenant_id, template_key="selection.appointment",
                          context={"name": n.name, "school": n.school.name, "term_start": c.term_start.isoformat(),
                                   "term_end": c.term_end.isoformat()},
                          recipient_user_id=m.user_id, related_type="chair", related_id=c.id,
                          dedupe_key=f"appointment:{c.id}:{m.user_id}")
    if not _cycle_noms(cycle, status=S.publicized):
        set_cycle_status(cycle, CycleStatus.closed, actor=actor)
        step = cycle.step("appointment")
        if step:
            step.done_at = utcnow()
    return chairs


def _mark_rotation_served(cycle, nom: Nomination, *, actor) -> None:
    if nom.route != Route.rotation:
        return
    e = db.session.scalar(sa.select(RotationEntry).where(RotationEntry.union_id == nom.union_id))
    if e is not None and cycle.academic_year not in e.years:
        mark_rotation_served(e, cycle.academic_year, actor=actor, note=f"{nom.name}经公示确认任用")


# --- integrity (A7) --------------------------------------------------------------------------

def disqualify(nom: Nomination, reason: str, evidence: str, *, actor, roles) -> Disqualification:
    """At any stage, with reason and evidence; the school is notified; the slot per the rules."""
    reason, evidence = (reason or "").strip(), (evidence or "").strip()
    if not reason:
        raise DomainError("请填写取消资格的理由", field="reason")
    if not evidence:
        raise DomainError(f"取消资格须有证据（{article_citation('A7')}）", field="evidence")
    cycle = db.session.get(SelectionCycle, nom.cycle_id)
    stage = nom.status.value
    held_slot = nom.status in (S.proposed, S.approved, S.publicized)
    if held_slot:
        lock_row(SelectionCycle, cycle.id)  # the backfill fills the place under the quota lock (A4)
    workflow.apply(nom, "disqualify", actor=actor, roles=roles, note=reason)
    policy = cycle.rule("selection.disqualification_slot")
    replacement = None
    if held_slot and policy == "backfill_next":
        replacement = db.session.scalar(sa.select(Nomination).where(
            Nomination.cycle_id == cycle.id, Nomination.status == S.ranked).order_by(Nomination.rank).limit(1))
        if replacement is not None:
            workflow.apply(replacement, "propose", actor=actor, roles=workflow.SYSTEM,
                           note=f"递补（{nom.name}被取消资格）")
    d = Disqualification(tenant_id=nom.tenant_id, nomination_id=nom.id, stage=stage, reason=reason,
                         evidence=evidence, slot_action=policy if held_slot else "none",
                         replacement_id=replacement.id if replacement else None,
                         decided_by_id=getattr(actor, "id", None))
    db.session.add(d)
    db.session.flush()
    audit.record("nomination.disqualification", "nomination", nom.id, actor=actor, article="A7",
                 after={"stage": stage, "reason": reason, "evidence": evidence, "slot": d.slot_action,
                        "replacement_id": d.replacement_id})
    for m in _liaisons(nom.school_id):
        outbox.notify(nom.tenant_id, template_key="selection.disqualification",
                      context={"name": nom.name, "school": nom.school.name, "reason": reason},
                      recipient_user_id=m.user_id, related_type="nomination", related_id=nom.id,
                      dedupe_key=f"disqualification:{nom.id}:{m.user_id}")
    return d


# --- queries ---------------------------------------------------------------------------------

def nominations_query(cycle_id: int, *, scope: NominationScope, status=None, province=None, school_id=None,
                      route=None, q=None):
    """The nomination list: one statement per page (school, union eager-joined; no N+1). The
    school is an outer join: every nomination has one (a NOT NULL foreign key), so the rows are
    the same, and the databases drop the join from the count where no school column is used.
    ``scope`` is the viewer's visibility (A6.3): required, so no list forgets it."""
    stmt = (sa.select(Nomination).outerjoin(School, School.id == Nomination.school_id)
            .where(Nomination.cycle_id == cycle_id, scope.clause())
            .order_by(School.province_code, School.code, Nomination.id))
    if status:
        stmt = stmt.where(Nomination.status == status)
    if province:
        stmt = stmt.where(School.province_code == province)
    if school_id:
        stmt = stmt.where(Nomination.school_id == int(school_id))
    if route:
        stmt = stmt.where(Nomination.route == route)
    if q:
        stmt = stmt.where(sa.or_(Nomination.name.contains(q), School.name.contains(q)))
    return stmt


@dataclass
class NominationPage:
    """One page of the nomination list, shaped like Flask-SQLAlchemy's Pagination for the pager."""
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def nominations_page(stmt, page: int, per_page: int) -> NominationPage:
    """A page of ``nominations_query`` by deferred join: the count and the page's ids from the
    filtered, ordered ids alone (no eager joins over the whole cycle), then only those rows with
    their school and union. Three statements at any page size or cycle size."""
    ids_stmt = stmt.with_only_columns(Nomination.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ids_stmt.order_by(None).subquery()))
    ids = list(db.session.scalars(ids_stmt.limit(per_page).offset((page - 1) * per_page)))
    items = []
    if ids:
        by_id = {n.id: n for n in db.session.scalars(sa.select(Nomination).where(Nomination.id.in_(ids)))}
        items = [by_id[i] for i in ids]
    return NominationPage(items, total, page, per_page)


@dataclass
class Funnel:
    by_status: dict
    by_province: list
    by_route: dict


def funnel(cycle: SelectionCycle, scope: NominationScope) -> Funnel:
    """Counts by status, province and route over the nominations ``scope`` may see (A6.3)."""
    seen = sa.and_(Nomination.cycle_id == cycle.id, scope.clause())
    rows = db.session.execute(sa.select(Nomination.status, sa.func.count()).where(seen)
                              .group_by(Nomination.status)).all()
    by_status = {s: 0 for s in S}
    for s, c in rows:
        by_status[s] = c
    prov = db.session.execute(
        sa.select(School.province_code, sa.func.count()).select_from(Nomination)
        .join(School, School.id == Nomination.school_id)
        .where(seen, Nomination.status.not_in([S.draft]))
        .group_by(School.province_code).order_by(sa.func.count().desc(), School.province_code)).all()
    route = dict(db.session.execute(sa.select(Nomination.route, sa.func.count()).where(
        seen, Nomination.status.not_in([S.draft])).group_by(Nomination.route)).all())
    return Funnel(by_status, prov, route)


def ranked_list(cycle: SelectionCycle, scope: NominationScope) -> list[Nomination]:
    """The cycle's ranking (A6.4), as far as ``scope`` may see it."""
    return list(db.session.scalars(sa.select(Nomination).where(
        Nomination.cycle_id == cycle.id, Nomination.rank.is_not(None), scope.clause()).order_by(Nomination.rank)))


def invitation_for_liaison(cycle_id: int, membership) -> Invitation | None:
    if membership is None or membership.school_id is None:
        return None
    return db.session.scalar(sa.select(Invitation).where(Invitation.cycle_id == cycle_id,
                                                         Invitation.school_id == membership.school_id))
