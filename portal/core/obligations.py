"""Obligations with minimum counts (issue 11, item 4): declared as rule data, computed per subject.

A feature (residency: a chair's year, A9–A14) declares its duties as ``obligation`` rules in the
ruleset (``tenants/rules/registry.py``, values in ``national_2024.json``, overridable by a
province). Each names its article, label, minimum count (a floor), period (the term, each
rotation segment, each month, every N months), who records it, who accepts it, the evidence it
needs, and its due, reminder and escalation offsets in working days (the official calendar,
``portal.core.calendar``).

Nothing about periods or due dates is stored: they are computed from the subject's own dates
each time, so a term cut short recomputes them. What is stored is each fulfilment record
(:class:`ObligationRecord`): submitted, then accepted or returned for changes by the role the
rule names (a rule naming no reviewer accepts on recording). The subject's feature turns
:func:`alerts` into reminders and escalations (once each: the outbox's dedupe key).

This module knows no feature: a subject is its dates, its type and id, and a rule reader.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core import audit
from portal.core.db import StrEnum, TenantScoped, any_of, enum_column, utcnow
from portal.core.errors import Conflict, DomainError
from portal.core.workdays import NoCalendarData
from portal.extensions import db

ROLE_LABELS = {"chair": "驻会执行主席", "department_head": "部门负责同志", "secretariat_admin": "秘书处管理员",
               "secretariat_staff": "秘书处工作人员"}
PERIOD_LABELS = {"term": "驻会期间", "segment": "每个轮岗阶段", "month": "每月", "months": "每{n}个月"}
EVIDENCE_TYPES = ("pdf", "jpg", "png")
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


class RecordStatus(StrEnum):
    submitted = "submitted"
    accepted = "accepted"
    returned = "returned"


RECORD_STATUS_LABELS = {"submitted": "待确认", "accepted": "已确认", "returned": "已退回修改"}


class ObligationRecord(TenantScoped, db.Model):
    """One fulfilment of one obligation by one subject (a report, a talk, a month's dues)."""

    __tablename__ = "obligation_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    subject_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    obligation_key: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    occurred_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    content: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    evidence_name: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    # The evidence in the vault (its type judged by content, hashed, access-listed, logged).
    file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vault_files.id", ondelete="SET NULL"),
                                                nullable=True, index=True)
    # Where evidence stored before the vault lay (kept for rows migration 0018 could not adopt).
    evidence_stored: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    evidence_type: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    evidence_size: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    evidence_sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    status: Mapped[RecordStatus] = enum_column(RecordStatus, nullable=False, default=RecordStatus.submitted)
    recorded_role: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    review_note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    recorded_by = relationship("User", foreign_keys=[recorded_by_id], lazy="joined")
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id], lazy="joined")

    __table_args__ = (sa.Index("ix_obligation_records_subject", "tenant_id", "subject_type", "subject_id"),)

    @property
    def status_label(self) -> str:
        return RECORD_STATUS_LABELS[self.status.value]

    @property
    def counts(self) -> bool:
        return self.status != RecordStatus.returned


# --- declarations ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ObligationSpec:
    key: str
    article: str
    label: str
    period: str
    min_count: int
    recorded_by: tuple[str, ...]
    reviewed_by: tuple[str, ...]
    evidence: str
    evidence_required: bool
    every_months: int | None = None
    anchor: str = "end"
    due_workdays: int = 0
    due_months_before_end: int = 0
    remind_workdays: int = 10
    escalate_workdays: int = 5
    citation: str = ""  # 「第九条」: given by the caller, who reads the rule registry
    # The name of a set of the subject's stretches (``Subject.stretches``) the periods run
    # inside: A9's talks fall due every N months inside each rotation segment in a department.
    within: str | None = None

    def __hash__(self) -> int:
        # computed once: every period look-up (the roster's 100 chairs x 20 obligations, a sweep's
        # thousands) hashes the spec, and the generated hash walks all sixteen fields each time
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", h)
        return h

    @classmethod
    def from_rule(cls, key: str, article: str, value: dict, rule: Callable[[str], Any],
                  citation: str = "") -> "ObligationSpec":
        """``value`` is the rule's (effective or pinned) value; ``rule`` reads the other rules it
        names (a count or an interval kept as its own rule, e.g. A9's reports and talks)."""
        minimum = int(value["min_count"])
        if value.get("min_count_rule"):
            minimum = max(minimum, int(rule(value["min_count_rule"])))  # a floor: the stricter wins
        every = value.get("every_months")
        if value.get("every_months_rule"):
            every = int(rule(value["every_months_rule"]))
        return cls(key=key, article=article, label=value["label"], period=value["period"], min_count=minimum,
                   recorded_by=tuple(value["recorded_by"]), reviewed_by=tuple(value.get("reviewed_by") or ()),
                   evidence=value.get("evidence") or "", evidence_required=bool(value.get("evidence_required")),
                   every_months=int(every) if every else None, anchor=value.get("anchor", "end"),
                   due_workdays=int(value.get("due_workdays", 0)),
                   due_months_before_end=int(value.get("due_months_before_end", 0)),
                   remind_workdays=int(value.get("remind_workdays", 10)),
                   escalate_workdays=int(value.get("escalate_workdays", 5)), citation=citation or article,
                   within=value.get("within") or None)

    @property
    def period_label(self) -> str:
        return PERIOD_LABELS[self.period].format(n=self.every_months)

    @property
    def recorder_label(self) -> str:
        return "、".join(ROLE_LABELS.get(r, r) for r in self.recorded_by)

    @property
    def reviewer_label(self) -> str:
        return "、".join(ROLE_LABELS.get(r, r) for r in self.reviewed_by) or "无需确认"


@dataclass(frozen=True)
class Subject:
    """What an obligation is owed by: its dates and, for "segment" periods, its segments."""

    tenant_id: int
    type: str
    id: int
    start: dt.date
    end: dt.date
    segments: tuple[tuple[dt.date, dt.date], ...] = ()
    # Named sets of stretches for specs declared ``within`` one (a set absent: the whole term;
    # a set present but empty: nothing falls due).
    stretches: dict[str, tuple[tuple[dt.date, dt.date], ...]] = field(default_factory=dict)


# --- periods and due dates ---------------------------------------------------------------------

def add_months(d: dt.date, n: int) -> dt.date:
    month = d.month - 1 + n
    year, month = d.year + month // 12, month % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last))


def _month_end(d: dt.date) -> dt.date:
    return add_months(d.replace(day=1), 1) - dt.timedelta(days=1)


def period_bounds(spec: ObligationSpec, subject: Subject) -> list[tuple[dt.date, dt.date]]:
    """The periods of ``spec`` over ``subject``'s term. Pure in its inputs, so memoized on them:
    a cohort's chairs share their terms, a sweep or a roster computes each shape once."""
    within = None
    if spec.period != "segment" and spec.within and spec.within in subject.stretches:
        within = tuple(sorted(subject.stretches[spec.within]))
    segments = subject.segments if spec.period == "segment" else ()
    return list(_bounds(spec, subject.start, subject.end, segments, within))


@functools.lru_cache(maxsize=16384)
def _bounds(spec: ObligationSpec, start: dt.date, end: dt.date, segments: tuple, within: tuple | None) -> tuple:
    if spec.period == "segment":
        segs = [(max(s, start), min(e, end)) for s, e in segments if s <= end and e >= start]
        return tuple(segs or [(start, end)])
    if within is not None:
        out = []
        for s, e in within:
            if s <= end and e >= start:
                out.extend(_periods_in(spec, max(s, start), min(e, end)))
        return tuple(out)
    return tuple(_periods_in(spec, start, end))


def _periods_in(spec: ObligationSpec, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    if spec.period in ("term", "segment"):
        return [(start, end)]
    out = []
    if spec.period == "month":
        s = start
        while s <= end:
            out.append((s, min(_month_end(s), end)))
            s = _month_end(s) + dt.timedelta(days=1)
        return out
    n, k = spec.every_months or 1, 0
    while (s := add_months(start, k * n)) <= end:
        out.append((s, min(add_months(start, (k + 1) * n) - dt.timedelta(days=1), end)))
        k += 1
    return out


def _workday_on_or_before(cal, d: dt.date) -> dt.date:
    return d if cal.is_workday(d) else cal.add_workdays(d, -1)


def due_date(spec: ObligationSpec, start: dt.date, end: dt.date, cal) -> dt.date:
    """The period's due date on the official calendar: ``due_workdays`` working days after its
    start (anchor "start"), or before its end (less ``due_months_before_end`` whole months: A9's
    report is due before the term's last month); never before the period's first working day."""
    first = cal.add_workdays(start, 0)
    if spec.anchor == "start":
        due = cal.add_workdays(start, spec.due_workdays) if spec.due_workdays else first
    else:
        ref = end
        if spec.due_months_before_end:
            ref = add_months(end + dt.timedelta(days=1), -spec.due_months_before_end) - dt.timedelta(days=1)
        due = _workday_on_or_before(cal, ref)
        if spec.due_workdays:
            due = cal.add_workdays(due, -spec.due_workdays)
    return max(due, first)


@dataclass
class PeriodStatus:
    index: int
    start: dt.date
    end: dt.date
    due: dt.date | None          # None: the calendar lacks ``missing_year``
    remind_from: dt.date | None
    escalate_on: dt.date | None
    required: int
    missing_year: int | None = None
    done: int = 0        # submitted or accepted (not returned)
    accepted: int = 0
    returned: int = 0
    state: str = "upcoming"  # met | submitted | due | overdue | upcoming | future | no_calendar

    @property
    def met(self) -> bool:
        return self.state in ("met", "submitted")


STATE_LABELS = {"met": "已完成", "submitted": "待确认", "due": "即将到期", "overdue": "已逾期", "upcoming": "进行中",
                "future": "未开始", "no_calendar": "工作日安排未导入"}


@dataclass
class ObligationStatus:
    spec: ObligationSpec
    periods: list[PeriodStatus]
    records: list[ObligationRecord] = field(default_factory=list)

    @property
    def required(self) -> int:
        return sum(p.required for p in self.periods)

    @property
    def done(self) -> int:
        return sum(min(p.done, p.required) for p in self.periods)

    @property
    def accepted(self) -> int:
        return sum(min(p.accepted, p.required) for p in self.periods)

    @property
    def overdue(self) -> list[PeriodStatus]:
        return [p for p in self.periods if p.state == "overdue"]

    @property
    def next_open(self) -> PeriodStatus | None:
        return next((p for p in self.periods if not p.met and p.state not in ("overdue", "no_calendar")), None)

    @property
    def returned_records(self) -> list[ObligationRecord]:
        return [r for r in self.records if r.status == RecordStatus.returned]


def _period_dates(spec: ObligationSpec, s: dt.date, e: dt.date, cal):
    """(due, remind_from, escalate_on), or the missing year; memoized on the calendar object
    (one per request or job, dropped when a year is imported): a sweep over thousands of chairs
    with the same term computes each period's dates once."""
    cache = cal.__dict__.setdefault("_obligation_dates", {})
    key = (spec, s, e)
    found = cache.get(key)
    if found is None:
        try:
            due = due_date(spec, s, e, cal)
            found = (due, cal.add_workdays(due, -spec.remind_workdays) if spec.remind_workdays else due,
                     cal.add_workdays(due, max(1, spec.escalate_workdays)))
        except NoCalendarData as exc:
            found = exc.year
        cache[key] = found
    return found


def compute(subject: Subject, specs: Iterable[ObligationSpec], records: Iterable[ObligationRecord],
            today: dt.date, cal=None) -> list[ObligationStatus]:
    """Every obligation of ``subject``, period by period, as of ``today``."""
    if cal is None:
        from portal.core.calendar import calendar

        cal = calendar()
    by_key: dict[str, list[ObligationRecord]] = {}
    for r in records:
        by_key.setdefault(r.obligation_key, []).append(r)
    out = []
    for spec in specs:
        periods = []
        recs = sorted(by_key.get(spec.key, []), key=lambda r: (r.occurred_on, r.id or 0))
        for i, (s, e) in enumerate(period_bounds(spec, subject)):
            dates = _period_dates(spec, s, e, cal)
            if isinstance(dates, int):
                # A year without the State Council's notice: no due date is guessed (never Monday
                # to Friday); the period shows which year is missing and sends nothing.
                p = PeriodStatus(index=i, start=s, end=e, due=None, remind_from=None, escalate_on=None,
                                 required=spec.min_count, missing_year=dates)
            else:
                p = PeriodStatus(index=i, start=s, end=e, due=dates[0], remind_from=dates[1], escalate_on=dates[2],
                                 required=spec.min_count)
            for r in recs:
                if s <= r.occurred_on <= e:
                    p.done += r.counts
                    p.accepted += r.status == RecordStatus.accepted
                    p.returned += r.status == RecordStatus.returned
            if p.accepted >= p.required:
                p.state = "met"
            elif p.done >= p.required:
                p.state = "submitted"
            elif p.due is None:
                p.state = "no_calendar"
            elif today > p.due:
                p.state = "overdue"
            elif today >= p.remind_from:
                p.state = "due"
            elif today < s:
                p.state = "future"
            periods.append(p)
        out.append(ObligationStatus(spec, periods, recs))
    return out


@dataclass(frozen=True)
class Alert:
    """A reminder (before the due date, to whoever records it) or an escalation (after the grace
    period, to the secretariat); the feature sends it through the reminders machinery."""

    kind: str  # remind | escalate
    spec: ObligationSpec
    period: PeriodStatus
    fires_from: dt.date

    @property
    def related_id(self) -> str:
        return f"{self.spec.key}:{self.period.index}"


def alerts(statuses: Iterable[ObligationStatus], today: dt.date) -> list[Alert]:
    out = []
    for st in statuses:
        for p in st.periods:
            if p.done >= p.required or p.due is None:
                continue
            if p.remind_from <= today <= p.due:
                out.append(Alert("remind", st.spec, p, p.remind_from))
            if today >= p.escalate_on:
                out.append(Alert("escalate", st.spec, p, p.escalate_on))
    return out


# --- records -----------------------------------------------------------------------------------

def records_for(subject_type: str, subject_ids: Iterable[int]) -> dict[int, list[ObligationRecord]]:
    """Every record of these subjects, in one statement."""
    ids = list(subject_ids)
    found: dict[int, list[ObligationRecord]] = {i: [] for i in ids}
    if not ids:
        return found
    for r in db.session.scalars(sa.select(ObligationRecord).where(
            ObligationRecord.subject_type == subject_type, any_of(ObligationRecord.subject_id, ids))
            .order_by(ObligationRecord.occurred_on, ObligationRecord.id)):
        found[r.subject_id].append(r)
    return found


class FieldError(DomainError):
    """A field's value refused: 422 with the field named (``details``), nothing written."""

    status = 422
    code = "invalid_fields"

    def __init__(self, message: str, field: str):
        super().__init__(message, field=field, details={field: message})


class WrongRole(DomainError):
    status = 403
    code = "wrong_role"


def submit(subject: Subject, spec: ObligationSpec, *, actor, roles: Iterable[str], occurred_on: dt.date | None,
           title: str | None, content: str | None = None, evidence: tuple[str, bytes] | None = None,
           today: dt.date) -> ObligationRecord:
    """Record one fulfilment; ``roles`` are the actor's roles toward this subject (the chair of
    this residency is "chair"). Checked before anything is written."""
    role = next((r for r in spec.recorded_by if r in set(map(str, roles))), None)
    if role is None:
        raise WrongRole(f"「{spec.label}」由{spec.recorder_label}记录（{spec.citation or spec.article}）")
    title = (title or "").strip()
    if not title:
        raise FieldError("请填写标题", "title")
    if len(title) > 200:
        raise FieldError("标题不能超过200字", "title")
    if content is not None and len(content) > 20000:
        raise FieldError("内容不能超过20000字", "content")
    if occurred_on is None:
        raise FieldError("请填写日期", "occurred_on")
    if not subject.start <= occurred_on <= subject.end:
        raise FieldError(f"日期 {occurred_on.isoformat()} 不在驻会期间（{subject.start.isoformat()} 至 "
                          f"{subject.end.isoformat()}）内", "occurred_on")
    if occurred_on > today:
        raise FieldError(f"日期 {occurred_on.isoformat()} 晚于今天，不能记录尚未发生的事项", "occurred_on")
    if spec.evidence_required and evidence is None:
        raise FieldError(f"「{spec.label}」须上传{spec.evidence}", "evidence")
    accepted = not spec.reviewed_by
    rec = ObligationRecord(tenant_id=subject.tenant_id, subject_type=subject.type, subject_id=subject.id,
                           obligation_key=spec.key, occurred_on=occurred_on, title=title,
                           content=(content or "").strip() or None, recorded_role=role,
                           recorded_by_id=getattr(actor, "id", None), recorded_at=utcnow(),
                           status=RecordStatus.accepted if accepted else RecordStatus.submitted,
                           reviewed_by_id=getattr(actor, "id", None) if accepted else None,
                           reviewed_at=utcnow() if accepted else None)
    file_data = _check_evidence(evidence) if evidence is not None else None
    db.session.add(rec)
    db.session.flush()
    if file_data is not None:
        _store_evidence(rec, *file_data)
    audit.record("obligation.recorded", subject.type, subject.id, actor=actor, article=spec.article,
                 after={"record_id": rec.id, "obligation": spec.key, "occurred_on": occurred_on, "title": title,
                        "role": role, "status": rec.status.value, "evidence_sha256": rec.evidence_sha256})
    return rec


def review(record: ObligationRecord, spec: ObligationSpec, accept: bool, *, actor, roles: Iterable[str],
           note: str | None = None) -> ObligationRecord:
    """Accept, or return for changes (with what to change), by the role the rule names."""
    from portal.core.concurrency import compare_and_set

    if not set(spec.reviewed_by) & set(map(str, roles)):
        raise WrongRole(f"「{spec.label}」由{spec.reviewer_label}确认（{spec.citation or spec.article}）")
    note = (note or "").strip() or None
    if not accept and not note:
        raise FieldError("退回修改须说明需要修改的内容", "note")
    if note and len(note) > 2000:
        raise FieldError("意见不能超过2000字", "note")
    to = RecordStatus.accepted if accept else RecordStatus.returned
    if not compare_and_set(record, "status", RecordStatus.submitted, to, reviewed_by_id=getattr(actor, "id", None),
                           reviewed_at=utcnow(), review_note=note):
        raise Conflict("该记录已被处理（可能已被他人确认或退回），请刷新页面")
    audit.record(f"obligation.{to.value}", record.subject_type, record.subject_id, actor=actor,
                 article=spec.article, before={"record_id": record.id, "status": "submitted"},
                 after={"record_id": record.id, "status": to.value, "note": note})
    return record


def _check_evidence(evidence: tuple[str, bytes]) -> tuple[str, bytes, str]:
    from flask import current_app

    from portal.core.uploads import UploadError, attachment_filename, sniff_attachment

    filename, data = evidence
    limit = min(MAX_EVIDENCE_BYTES, current_app.config.get("MAX_CONTENT_LENGTH") or MAX_EVIDENCE_BYTES)
    try:
        ftype = sniff_attachment(data, EVIDENCE_TYPES, max_size=limit)
    except UploadError as exc:
        raise FieldError(getattr(exc, "message", str(exc)), "evidence") from None
    return attachment_filename(filename, ftype), data, ftype


EVIDENCE_PURPOSE = "obligation.evidence"
# Readable through the vault's own list by the recorder and the secretariat; the features that
# show a subject's record grant their own readers (the residency's may_read) when they send it.
EVIDENCE_ACCESS = ("owner", "role:secretariat_admin", "role:secretariat_staff")


def _store_evidence(rec: ObligationRecord, name: str, data: bytes, ftype: str) -> None:
    """Kept in the vault: the row now, the bytes once the transaction commits."""
    from portal.core import vault

    f = vault.store(rec.tenant_id, data, filename=name, purpose=EVIDENCE_PURPOSE, allowed=EVIDENCE_TYPES,
                    stored_by=rec.recorded_by_id, access=EVIDENCE_ACCESS, max_size=MAX_EVIDENCE_BYTES, name=name)
    rec.file_id, rec.evidence_name, rec.evidence_type = f.id, name, ftype
    rec.evidence_size, rec.evidence_sha256 = f.size, f.sha256
    db.session.flush()


def has_evidence(rec: ObligationRecord) -> bool:
    return bool(rec.file_id or rec.evidence_stored)


def evidence_path(stored: str) -> str:
    """A legacy evidence file's path (before the vault)."""
    import os

    from flask import current_app

    return os.path.join(current_app.config["UPLOAD_FOLDER"], stored)


def _register_referrer() -> None:
    from portal.core import vault

    vault.register_referrer(vault.Referrer(EVIDENCE_PURPOSE, "obligation_records", on_lost="null"))


_register_referrer()
