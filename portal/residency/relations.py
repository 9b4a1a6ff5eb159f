"""A14: party and league relations (issue 12 item 6). Plain functions over the models; flush, never commit.

- The relation's transfer (组织关系转接): a letter issued (number, date, validity), reported to
  the receiving organization, the receipt (回执) returned by a deadline in working days
  (``residency.relation_receipt_workdays``), reminded before it and escalated after a grace;
  the transfer back at the term's end. States: :data:`TRANSFER` (compare-and-set, audited A14).
- Organizational life and dues month by month are the ``a14_org_life`` / ``a14_dues``
  obligations: each is an :class:`ObligationRecord` (counted per month by the engine) with its
  details here. The amount due comes from the dues schedule (rule data, its source cited) on
  the month's income (:func:`portal.core.income.monthly_income`; none: a student's rate).
- The lapse alarm: before six consecutive months without organizational life or dues (党章第九条:
  视为自行脱党), the chair and the secretariat are told at ``residency.relation_alarm_months``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from portal.core import audit, clock, obligations
from portal.core.errors import Conflict, DomainError
from portal.core.obligations import FieldError, ObligationRecord, RecordStatus
from portal.core.workdays import NoCalendarData
from portal.core.workflow import Machine, transition
from portal.extensions import db
from portal.residency import operations as ops
from portal.residency.models import Residency, ResidencyStatus
from portal.residency.relations_models import (DUES_LABELS, KIND_LABELS, DuesPayment, OrgLifeRecord, RelationKind,
                                               RelationTransfer, TransferDirection, TransferStatus,
                                               TRANSFER_STATUS_LABELS)
from tenants.models import Membership

ORG_LIFE_KEY = ops.OBLIGATION_PREFIX + "a14_org_life"
DUES_KEY = ops.OBLIGATION_PREFIX + "a14_dues"
STAFF = ops.STAFF
LAPSE_MONTHS = 6  # 党章第九条: 连续六个月不参加党的组织生活、或不交纳党费 … 就被认为是自行脱党
CENT = Decimal("0.01")
PARTY_STATUSES = ("中共党员", "中共预备党员")
LEAGUE_STATUSES = ("共青团员",)


def _cite(article: str) -> str:
    from tenants.rules.registry import article_citation

    return article_citation(article)


TRANSFER = Machine(
    "residency.relation_transfer", subject="relation_transfer", labels=TRANSFER_STATUS_LABELS, noun="该组织关系转接",
    cite=_cite, transitions=[
        transition("issue_letter", "开具介绍信", {TransferStatus.open}, TransferStatus.letter_issued, STAFF, "A14"),
        transition("report", "向接收组织报到", {TransferStatus.letter_issued}, TransferStatus.reported,
                   ("chair", *STAFF), "A14"),
        transition("return_receipt", "回执已返回", {TransferStatus.letter_issued, TransferStatus.reported},
                   TransferStatus.receipt_returned, STAFF, "A14"),
        transition("cancel", "撤销转接", {TransferStatus.open, TransferStatus.letter_issued, TransferStatus.reported},
                   TransferStatus.cancelled, ("secretariat_admin",), "A14", takes_back=True),
    ])


# --- which relations a chair holds ------------------------------------------------------------

_nominations = sa.table("selection_nominations", sa.column("id"), sa.column("political_status"))


def political_status(res: Residency) -> str | None:
    """From the chair's nomination (A5.1); residency imports nothing of selection."""
    return db.session.scalar(sa.select(_nominations.c.political_status)
                             .where(_nominations.c.id == res.chair.nomination_id))


def political_statuses(residencies) -> dict[int, str | None]:
    """Each residency's political status in one statement (the sweeps)."""
    by_nom = {r.chair.nomination_id: r.id for r in residencies}
    if not by_nom:
        return {}
    rows = db.session.execute(sa.select(_nominations.c.id, _nominations.c.political_status)
                              .where(_nominations.c.id.in_(list(by_nom))))
    return {by_nom[nid]: status for nid, status in rows}


def kinds_for(res: Residency, status: str | None = None) -> list[RelationKind]:
    status = (status if status is not None else political_status(res)) or ""
    if status in PARTY_STATUSES:
        return [RelationKind.party]
    if status in LEAGUE_STATUSES:
        return [RelationKind.league]
    return []


def dues_kind(res: Residency) -> RelationKind | None:
    kinds = kinds_for(res)
    return kinds[0] if kinds else None


# --- transfers --------------------------------------------------------------------------------

def transfers_of(res: Residency) -> list[RelationTransfer]:
    return list(db.session.scalars(sa.select(RelationTransfer).where(RelationTransfer.residency_id == res.id)
                                   .order_by(RelationTransfer.direction.desc(), RelationTransfer.kind)))


def get_transfer(transfer_id: int) -> RelationTransfer | None:
    return db.session.scalar(sa.select(RelationTransfer).where(RelationTransfer.id == transfer_id))


def open_transfer(res: Residency, kind, direction, *, actor, from_org=None, to_org=None) -> RelationTransfer:
    """One transfer per chair, kind and direction; a second call returns the first."""
    try:
        kind, direction = RelationKind(kind), TransferDirection(direction)
    except ValueError:
        raise FieldError("组织关系类别应为 party（党组织关系）或 league（团组织关系），方向应为 outbound 或 back",
                         "kind") from None
    found = db.session.scalar(sa.select(RelationTransfer).where(
        RelationTransfer.residency_id == res.id, RelationTransfer.kind == kind,
        RelationTransfer.direction == direction))
    if found is not None:
        return found
    for name, value in (("from_org", from_org), ("to_org", to_org)):
        if value and len(value.strip()) > 120:
            raise FieldError("组织名称不能超过120字", name)
    t = RelationTransfer(tenant_id=res.tenant_id, residency_id=res.id, kind=kind, direction=direction,
                         status=TransferStatus.open, from_org=(from_org or "").strip() or None,
                         to_org=(to_org or "").strip() or None)
    try:
        with db.session.begin_nested():
            db.session.add(t)
            db.session.flush()
    except sa.exc.IntegrityError:  # a concurrent call opened it first
        return db.session.scalar(sa.select(RelationTransfer).where(
            RelationTransfer.residency_id == res.id, RelationTransfer.kind == kind,
            RelationTransfer.direction == direction))
    audit.record("relation_transfer.opened", "relation_transfer", t.id, actor=actor, article="A14",
                 after={"residency_id": res.id, "kind": kind.value, "direction": direction.value})
    return t


def open_outbound(res: Residency, *, actor) -> list[RelationTransfer]:
    """On appointment: the chair's relation moves to the organization of the residency."""
    return [open_transfer(res, k, TransferDirection.outbound, actor=actor, from_org=res.school.name)
            for k in kinds_for(res)]


def open_back(res: Residency, *, actor) -> list[RelationTransfer]:
    """At the term's end: each relation transferred out goes back to the school."""
    out = []
    for t in transfers_of(res):
        if t.direction == TransferDirection.outbound and t.status != TransferStatus.cancelled:
            out.append(open_transfer(res, t.kind, TransferDirection.back, actor=actor, from_org=t.to_org,
                                     to_org=t.from_org or res.school.name))
    return out


def on_chair_appointed(chair, **kw):
    res = db.session.scalar(sa.select(Residency).where(Residency.chair_id == chair.id))
    if res is not None:
        open_outbound(res, actor=kw.get("actor"))


def on_residency_ended(res, **kw):
    open_back(res, actor=kw.get("actor"))


def _date_field(value, name: str, label: str) -> dt.date:
    if value is None:
        raise FieldError(f"请填写{label}", name)
    return value


def _roles_for(t: RelationTransfer, actor, roles):
    return ops.roles_toward(t.residency, actor, roles)


def issue_letter(t: RelationTransfer, *, letter_no, letter_date, validity_days=None, to_org=None, actor, roles,
                 today: dt.date | None = None) -> RelationTransfer:
    """The letter (介绍信): its number, date and validity; the receipt's deadline is counted from
    its date on the official calendar (``residency.relation_receipt_workdays``)."""
    from portal.core.calendar import calendar

    today = today or clock.today()
    res = t.residency
    letter_no = (letter_no or "").strip()
    if not letter_no:
        raise FieldError("请填写介绍信编号", "letter_no")
    if len(letter_no) > 60:
        raise FieldError("介绍信编号不能超过60字", "letter_no")
    letter_date = _date_field(letter_date, "letter_date", "开具日期")
    if letter_date > today:
        raise FieldError(f"开具日期 {letter_date.isoformat()} 晚于今天", "letter_date")
    if validity_days in (None, ""):
        validity_days = int(res.rule("residency.relation_letter_validity_days"))
    try:
        validity_days = int(validity_days)
    except (TypeError, ValueError):
        raise FieldError("有效期应为天数", "validity_days") from None
    if not 1 <= validity_days <= 365:
        raise FieldError("有效期应在1至365天之间", "validity_days")
    to_org = (to_org or "").strip() or t.to_org
    if not to_org:
        raise FieldError("请填写接收组织", "to_org")
    if len(to_org) > 120:
        raise FieldError("接收组织不能超过120字", "to_org")
    try:
        due = calendar().add_workdays(letter_date, int(res.rule("residency.relation_receipt_workdays")))
    except NoCalendarData as exc:  # the deadline is never guessed (Monday to Friday)
        raise DomainError(str(exc), status=409, code="no_calendar") from None
    TRANSFER.apply(t, "issue_letter", actor=actor, roles=_roles_for(t, actor, roles))
    before = {"letter_no": t.letter_no, "letter_date": t.letter_date}
    t.letter_no, t.letter_date, t.validity_days, t.to_org, t.receipt_due = letter_no, letter_date, validity_days, \
        to_org, due
    db.session.flush()
    audit.record("relation_transfer.letter", "relation_transfer", t.id, actor=actor, article="A14", before=before,
                 after={"letter_no": letter_no, "letter_date": letter_date, "validity_days": validity_days,
                        "to_org": to_org, "receipt_due": due})
    return t


def report(t: RelationTransfer, *, reported_on, actor, roles, today: dt.date | None = None) -> RelationTransfer:
    today = today or clock.today()
    reported_on = _date_field(reported_on, "reported_on", "报到日期")
    if reported_on > today:
        raise FieldError(f"报到日期 {reported_on.isoformat()} 晚于今天", "reported_on")
    if t.letter_date and reported_on < t.letter_date:
        raise FieldError("报到日期早于介绍信开具日期", "reported_on")
    TRANSFER.apply(t, "report", actor=actor, roles=_roles_for(t, actor, roles))
    t.reported_on = reported_on
    db.session.flush()
    audit.record("relation_transfer.reported_on", "relation_transfer", t.id, actor=actor, article="A14",
                 after={"reported_on": reported_on})
    return t


def return_receipt(t: RelationTransfer, *, receipt_on, actor, roles, today: dt.date | None = None) -> RelationTransfer:
    today = today or clock.today()
    receipt_on = _date_field(receipt_on, "receipt_on", "回执返回日期")
    if receipt_on > today:
        raise FieldError(f"回执返回日期 {receipt_on.isoformat()} 晚于今天", "receipt_on")
    if t.letter_date and receipt_on < t.letter_date:
        raise FieldError("回执返回日期早于介绍信开具日期", "receipt_on")
    TRANSFER.apply(t, "return_receipt", actor=actor, roles=_roles_for(t, actor, roles))
    t.receipt_on = receipt_on
    db.session.flush()
    audit.record("relation_transfer.receipt_on", "relation_transfer", t.id, actor=actor, article="A14",
                 after={"receipt_on": receipt_on, "late": bool(t.receipt_due and receipt_on > t.receipt_due)})
    return t


def cancel(t: RelationTransfer, *, note, actor, roles) -> RelationTransfer:
    return TRANSFER.apply(t, "cancel", actor=actor, roles=_roles_for(t, actor, roles), note=note)


def receipts_pending_query():
    """The secretariat's list: letters issued whose receipt has not come back, oldest deadline first."""
    return (sa.select(RelationTransfer)
            .where(RelationTransfer.status.in_([TransferStatus.letter_issued, TransferStatus.reported]))
            .order_by(RelationTransfer.receipt_due, RelationTransfer.id))


# --- the dues schedule --------------------------------------------------------------------------

def _brackets(value) -> list[tuple[Decimal | None, Decimal]]:
    out = []
    for item in value:
        upper, _, pct = str(item).partition(":")
        out.append((None if upper.strip() == "*" else Decimal(upper.strip()), Decimal(pct.strip())))
    return out


@dataclass(frozen=True)
class DuesDue:
    amount: Decimal
    basis: str
    income: Decimal | None


def dues_due(res: Residency, kind: RelationKind, month: dt.date) -> DuesDue:
    """The month's amount due: the student rate without income, else the bracket's percentage of
    the whole monthly income (中组发〔2008〕3号 第二条: the rate applies to the whole income)."""
    from portal.core.income import monthly_income

    kind = RelationKind(kind)
    prefix = f"residency.dues.{kind.value}"
    income = monthly_income(res, month)
    if income is None or income <= 0:
        amount = Decimal(str(res.rule(f"{prefix}_student_yuan"))).quantize(CENT, ROUND_HALF_UP)
        return DuesDue(amount, f"无收入（学生），每月{amount}元", None)
    for upper, pct in _brackets(res.rule(f"{prefix}_brackets")):
        if upper is None or income <= upper:
            amount = (income * pct / 100).quantize(CENT, ROUND_HALF_UP)
            return DuesDue(amount, f"月收入{income}元 × {pct}%", income)
    raise DomainError("党（团）费交纳比例未覆盖该收入，请检查规则", status=409)


def _month_end(d: dt.date) -> dt.date:
    return obligations.add_months(d.replace(day=1), 1) - dt.timedelta(days=1)


def _money(value, name: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, AttributeError):
        raise FieldError(f"{label}应为金额（元）", name) from None
    if not amount.is_finite() or amount <= 0:
        raise FieldError(f"{label}应大于0", name)
    if amount > 100000:
        raise FieldError(f"{label}不能超过100000元", name)
    if amount != amount.quantize(CENT):
        raise FieldError(f"{label}最多保留两位小数", name)
    return amount


def record_dues(res: Residency, *, month, amount_paid, paid_on, actor, roles, note=None,
                today: dt.date | None = None) -> DuesPayment:
    """One month's dues, recorded by the chair or the secretariat (the ``a14_dues`` rule names
    who), confirmed by the role it names. The month's obligation record is dated inside the
    month (so the engine counts it there) even when paid late; on time / in full are computed."""
    today = today or clock.today()
    kind = dues_kind(res)
    if kind is None:
        raise FieldError("该驻会执行主席的政治面貌无须交纳党（团）费", "month")
    if month is None:
        raise FieldError("请选择月份", "month")
    month = month.replace(day=1)
    first, last = max(month, res.term_start), min(_month_end(month), res.term_end)
    if first > last:
        raise FieldError(f"{month.year}年{month.month}月不在驻会期间", "month")
    if first > today:
        raise FieldError(f"{month.year}年{month.month}月尚未开始", "month")
    amount = _money(amount_paid, "amount_paid", "实缴金额")
    paid_on = _date_field(paid_on, "paid_on", "缴纳日期")
    if paid_on > today:
        raise FieldError(f"缴纳日期 {paid_on.isoformat()} 晚于今天", "paid_on")
    exists = db.session.scalar(sa.select(DuesPayment.id).where(
        DuesPayment.residency_id == res.id, DuesPayment.kind == kind, DuesPayment.month == month))
    if exists is not None:
        raise Conflict(f"{month.year}年{month.month}月的{DUES_LABELS[kind.value]}已记录", code="dues_recorded")
    due = dues_due(res, kind, month)
    occurred = min(max(paid_on, first), last, today)
    label = f"{month.year}年{month.month}月{DUES_LABELS[kind.value]}"
    rec = ops.record(res, DUES_KEY, actor=actor, roles=roles, occurred_on=occurred, title=label,
                     content=(note or "").strip() or None, today=today)
    pay = DuesPayment(tenant_id=res.tenant_id, residency_id=res.id, record_id=rec.id, kind=kind, month=month,
                      income=due.income, basis=due.basis, amount_due=due.amount, amount_paid=amount, paid_on=paid_on)
    db.session.add(pay)
    db.session.flush()
    audit.record("relation.dues", "residency", res.id, actor=actor, article="A14",
                 after={"record_id": rec.id, "kind": kind.value, "month": month, "amount_due": str(due.amount),
                        "amount_paid": str(amount), "paid_on": paid_on, "on_time": pay.on_time,
                        "in_full": pay.in_full})
    return pay


def record_org_life(res: Residency, *, attended_on, organization, topic, content=None, actor, roles,
                    today: dt.date | None = None) -> OrgLifeRecord:
    """One organizational life meeting attended (date, organization, topic)."""
    kind = dues_kind(res) or RelationKind.league
    organization, topic = (organization or "").strip(), (topic or "").strip()
    if not organization:
        raise FieldError("请填写组织名称", "organization")
    if len(organization) > 120:
        raise FieldError("组织名称不能超过120字", "organization")
    if not topic:
        raise FieldError("请填写组织生活主题", "topic")
    if len(topic) > 200:
        raise FieldError("组织生活主题不能超过200字", "topic")
    if attended_on is None:
        raise FieldError("请填写日期", "attended_on")
    rec = ops.record(res, ORG_LIFE_KEY, actor=actor, roles=roles, occurred_on=attended_on, title=topic,
                     content=content, today=today)
    row = OrgLifeRecord(tenant_id=res.tenant_id, residency_id=res.id, record_id=rec.id, kind=kind,
                        attended_on=attended_on, organization=organization, topic=topic)
    db.session.add(row)
    db.session.flush()
    audit.record("relation.org_life", "residency", res.id, actor=actor, article="A14",
                 after={"record_id": rec.id, "attended_on": attended_on, "organization": organization, "topic": topic})
    return row


# --- month by month -----------------------------------------------------------------------------

@dataclass
class MonthRow:
    month: dt.date
    closed: bool                          # the month has ended
    due: DuesDue | None
    payment: DuesPayment | None
    payment_record: ObligationRecord | None
    org_life: list = field(default_factory=list)  # (OrgLifeRecord, ObligationRecord)

    @property
    def on_time(self) -> bool | None:
        return self.payment.on_time if self.payment else None

    @property
    def in_full(self) -> bool | None:
        return self.payment.in_full if self.payment else None

    @property
    def dues_ok(self) -> bool:
        return bool(self.payment and self.payment.on_time and self.payment.in_full
                    and self.payment_record is not None and self.payment_record.counts)

    @property
    def attended(self) -> bool:
        return any(rec.counts for _row, rec in self.org_life)


@dataclass
class Loaded:
    """A14's rows of many residencies, each table read once (the sweeps)."""
    records: dict
    pays: dict
    lives: dict


def load(residencies) -> Loaded:
    ids = [r.id for r in residencies]
    recs = obligations.records_for(ops.SUBJECT_TYPE, ids)
    pays: dict[int, list] = {i: [] for i in ids}
    lives: dict[int, list] = {i: [] for i in ids}
    if ids:
        for p in db.session.scalars(sa.select(DuesPayment).where(DuesPayment.residency_id.in_(ids))):
            pays[p.residency_id].append(p)
        for row in db.session.scalars(sa.select(OrgLifeRecord).where(OrgLifeRecord.residency_id.in_(ids))
                                      .order_by(OrgLifeRecord.attended_on)):
            lives[row.residency_id].append(row)
    return Loaded(recs, pays, lives)


def months(res: Residency, today: dt.date | None = None, *, with_due: bool = True, loaded: Loaded | None = None,
           kind: RelationKind | None = None) -> list[MonthRow]:
    """Every month of the term begun by ``today``: dues due, paid, on time, in full; meetings."""
    today = today or clock.today()
    if loaded is None:
        loaded = load([res])
        kind = dues_kind(res)
    recs = {r.id: r for r in loaded.records[res.id]}
    pays = {p.month: p for p in loaded.pays[res.id]}
    lives: dict[dt.date, list] = {}
    for row in loaded.lives[res.id]:
        if row.record_id in recs:
            lives.setdefault(row.attended_on.replace(day=1), []).append((row, recs[row.record_id]))
    out = []
    m = res.term_start.replace(day=1)
    while m <= min(today, res.term_end):
        p = pays.get(m)
        out.append(MonthRow(m, min(_month_end(m), res.term_end) < today,
                            dues_due(res, kind, m) if (with_due and kind) else None, p,
                            recs.get(p.record_id) if p else None, lives.get(m, [])))
        m = obligations.add_months(m, 1)
    return out


def lapse_streaks(rows: list[MonthRow]) -> dict[str, tuple[dt.date, int]]:
    """The current run of closed months without organizational life / without dues paid:
    {"org_life": (first month, length), "dues": (...)}; a run needs one missing closed month."""
    out = {}
    for what, ok in (("org_life", lambda r: r.attended), ("dues", lambda r: r.payment is not None
                                                            and r.payment_record is not None
                                                            and r.payment_record.counts)):
        n, start = 0, None
        for r in rows:
            if not r.closed:
                continue
            if ok(r):
                n, start = 0, None
            else:
                n, start = n + 1, start or r.month
        if n:
            out[what] = (start, n)
    return out


# --- reminders: the receipt, the transfer back, the lapse alarm --------------------------------

def _staff_ids(by_role, roles=STAFF) -> tuple[int, ...]:
    return tuple(dict.fromkeys(u for r in roles for u in by_role.get(r, [])))


def _by_role() -> dict[str, list[int]]:
    return ops.members_by_role()  # once per tenant in a sweep


def _transfer_context(t: RelationTransfer) -> dict:
    return {"name": t.residency.chair.name, "kind": t.kind_label, "direction": t.direction_label,
            "letter_no": t.letter_no or "", "to_org": t.to_org or "", "due": t.receipt_due.isoformat(),
            "article": _cite("A14")}


def _pending_receipts() -> list[RelationTransfer]:
    """The letters awaiting their receipt (once per tenant in a sweep, for both reminders)."""
    from portal.notifications.reminders import sweep_cache

    cache = sweep_cache()
    if "residency.pending_receipts" not in cache:
        ops.in_residence_now()  # their residencies come from the identity map (no second read)
        cache["residency.pending_receipts"] = list(db.session.scalars(
            receipts_pending_query().options(lazyload(RelationTransfer.residency))))
    return cache["residency.pending_receipts"]


def receipt_deadlines(tenant):
    """Before each receipt's deadline, to the secretariat (and the chair)."""
    from portal.core.calendar import calendar
    from portal.notifications.reminders import Deadline

    cal, by_role, out = calendar(), _by_role(), []
    for t in _pending_receipts():
        if t.receipt_due is None:
            continue
        users = _staff_ids(by_role) + ((t.residency.chair.user_id,) if t.residency.chair.user_id else ())
        if not users:
            continue
        lead = int(t.residency.rule("residency.relation_receipt_remind_workdays"))
        try:
            start = cal.add_workdays(t.receipt_due, -lead) if lead else t.receipt_due
        except NoCalendarData:
            continue
        out.append(Deadline(t.receipt_due, "relation_transfer", f"{t.id}:receipt", _transfer_context(t),
                            user_ids=tuple(dict.fromkeys(users)), fires_from=start, until=t.receipt_due))
    return out


def receipt_escalations(tenant):
    """A receipt still missing ``residency.relation_receipt_escalate_workdays`` after its deadline
    goes to the secretariat's administrators."""
    from portal.core.calendar import calendar
    from portal.notifications.reminders import Deadline

    cal, by_role = calendar(), _by_role()
    admins = _staff_ids(by_role, ("secretariat_admin",))
    if not admins:
        return []
    out = []
    for t in _pending_receipts():
        if t.receipt_due is None:
            continue
        try:
            on = cal.add_workdays(t.receipt_due, int(t.residency.rule("residency.relation_receipt_escalate_workdays")))
        except NoCalendarData:
            continue
        out.append(Deadline(on, "relation_transfer", f"{t.id}:receipt", _transfer_context(t), user_ids=admins,
                            fires_from=on))
    return out


def back_transfer_deadlines(tenant):
    """N working days before the term's end the transfer back opens (once: an existing one is
    returned), and the secretariat is told once."""
    from portal.core.calendar import calendar
    from portal.notifications.reminders import Deadline

    cal, today, by_role = calendar(), clock.today(), _by_role()
    staff = _staff_ids(by_role)
    out = []
    for res in ops.in_residence_now():
        if res.term_end < today:
            continue
        try:
            opens = cal.add_workdays(res.term_end, -int(res.rule("residency.relation_return_workdays_before_end")))
        except NoCalendarData:  # no day is guessed for a year without the State Council's notice
            continue
        if today < opens:
            continue
        for t in open_back(res, actor=None):
            if staff:
                out.append(Deadline(res.term_end, "relation_transfer", f"{t.id}:back",
                                    {"name": res.chair.name, "kind": t.kind_label, "due": res.term_end.isoformat(),
                                     "article": _cite("A14")}, user_ids=staff, fires_from=opens))
    return out


def lapse_deadlines(tenant):
    """A run of ``residency.relation_alarm_months`` closed months without organizational life or
    dues: the chair and the secretariat are told once per run (the run's first month is in the
    dedupe key), well before the sixth month."""
    from portal.notifications.reminders import Deadline

    today, by_role = clock.today(), _by_role()
    staff = _staff_ids(by_role)
    residencies = ops.in_residence_now()
    statuses, loaded = political_statuses(residencies), load(residencies)
    out = []
    for res in residencies:
        kinds = kinds_for(res, statuses.get(res.id) or "")
        if not kinds:
            continue
        alarm = int(res.rule("residency.relation_alarm_months"))
        rows = months(res, today, with_due=False, loaded=loaded, kind=kinds[0])
        for what, (start, n) in lapse_streaks(rows).items():
            if n < alarm:
                continue
            lapse_on = _month_end(obligations.add_months(start, LAPSE_MONTHS - 1))
            users = staff + ((res.chair.user_id,) if res.chair.user_id else ())
            label = "参加组织生活" if what == "org_life" else "交纳党（团）费"
            out.append(Deadline(lapse_on, "relation_lapse", f"{res.id}:{what}:{start.isoformat()}",
                                {"name": res.chair.name, "what": label, "months": n, "since": start.isoformat(),
                                 "lapse_on": lapse_on.isoformat(), "article": _cite("A14")},
                                user_ids=tuple(dict.fromkeys(users)), fires_from=start))
    return out
