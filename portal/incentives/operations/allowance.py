"""A15 (第十五条): the monthly allowance. Rates by date and degree level, runs by month.

Money is ``Decimal`` throughout. Proration: a rate period's amount is
``monthly amount × days in residence inside the period ÷ days in the month``, rounded to the fen
(0.01 yuan) with ROUND_HALF_UP, once per line (a chair's month is the sum of its lines, one line per
rate period inside the month). Days in residence run from the term's start to its end, or to the
day of removal / departure (``Residency.ended_on``), both ends included.
"""
from __future__ import annotations

import calendar as _cal
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa

from portal.core import audit, clock
from portal.core.db import utcnow
from portal.core.errors import Conflict, DomainError
from portal.core.obligations import FieldError
from portal.core.workflow import Machine, Refusal, transition
from portal.extensions import db
from portal.incentives.models import (DEGREE_LEVELS, AllowanceLine, AllowanceRate, AllowanceRun,
                                      NationalAllowanceRate, RUN_STATUS_LABELS, RunKind, RunStatus)
from portal.residency.models import Residency, ResidencyStatus
from tenants.models import Tenant

FEN = Decimal("0.01")
ARTICLE = "A15"
CITATION = "第十五条"
ADMIN = ("secretariat_admin",)


def fen(x: Decimal) -> Decimal:
    """Round to the fen, half up (0.005 → 0.01)."""
    return Decimal(x).quantize(FEN, rounding=ROUND_HALF_UP)


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def month_end(d: dt.date) -> dt.date:
    return d.replace(day=_cal.monthrange(d.year, d.month)[1])


def parse_month(value) -> dt.date:
    if isinstance(value, dt.date):
        return month_start(value)
    try:
        y, m = str(value or "").strip()[:7].split("-")
        return dt.date(int(y), int(m), 1)
    except (ValueError, TypeError):
        raise FieldError("月份格式应为 YYYY-MM", "month") from None


# --- rates ---------------------------------------------------------------------------------

def degree_of(text: str | None) -> str | None:
    """本科生 → 本科, 硕士研究生 → 硕士, 博士研究生 → 博士 (the nomination's 学历层次)."""
    for level in DEGREE_LEVELS:
        if text and text.strip().startswith(level):
            return level
    return None


def _rate_model(tenant: Tenant):
    return NationalAllowanceRate if tenant.is_national else AllowanceRate


def own_rates(tenant: Tenant) -> list:
    """The rows this tenant keeps: the national table for the national federation, its own
    overrides for a province."""
    model = _rate_model(tenant)
    return list(db.session.scalars(sa.select(model).order_by(model.degree_level, model.effective_on)))


def national_rates() -> list[NationalAllowanceRate]:
    return list(db.session.scalars(sa.select(NationalAllowanceRate).order_by(
        NationalAllowanceRate.degree_level, NationalAllowanceRate.effective_on)))


def effective_rates(tenant: Tenant) -> dict[str, list]:
    """Per degree level, the dated rows that apply: the tenant's own rows for a level it defines
    (a province's override), else the national rows (adopted by reference)."""
    national = national_rates()
    own = [] if tenant.is_national else own_rates(tenant)
    out: dict[str, list] = {}
    for level in DEGREE_LEVELS:
        mine = [r for r in own if r.degree_level == level]
        out[level] = mine or [r for r in national if r.degree_level == level]
    return out


def add_rate(tenant: Tenant, *, effective_on, degree_level, monthly_amount, source, actor):
    """A15: a dated rate; refused without its source document, or on a date a row of the same
    level already holds (a rate is in force from its date until the next row's)."""
    if degree_level not in DEGREE_LEVELS:
        raise FieldError(f"学历层次只能是：{'、'.join(DEGREE_LEVELS)}", "degree_level")
    if not isinstance(effective_on, dt.date):
        raise FieldError("请填写生效日期", "effective_on")
    try:
        amount = Decimal(str(monthly_amount).strip())
        if not amount.is_finite():
            raise InvalidOperation
    except (InvalidOperation, TypeError, ValueError):
        raise FieldError("月补贴金额应为数字（元）", "monthly_amount") from None
    if amount < 0 or amount > Decimal("100000"):
        raise FieldError("月补贴金额应在 0 至 100000 元之间", "monthly_amount")
    if amount != fen(amount):
        raise FieldError("月补贴金额最多保留到分（两位小数）", "monthly_amount")
    source = (source or "").strip()
    if not source:
        raise FieldError("请填写标准依据的文件（如 人薪发〔1990〕20号）", "source")
    if len(source) > 200:
        raise FieldError("依据文件不能超过200字", "source")
    model = _rate_model(tenant)
    clash = db.session.scalar(sa.select(model).where(model.degree_level == degree_level,
                                                     model.effective_on == effective_on))
    if clash is not None:
        raise Conflict(f"{degree_level}已有 {effective_on.isoformat()} 起执行的标准（{clash.monthly_amount} 元，"
                       f"{clash.source}），同一学历层次同一日期只能有一条标准；如需更正请先删除原标准",
                       code="rate_overlap")
    kw = {} if tenant.is_national else {"tenant_id": tenant.id}
    rate = model(effective_on=effective_on, degree_level=degree_level, monthly_amount=amount, source=source,
                 created_by_id=getattr(actor, "id", None), **kw)
    db.session.add(rate)
    db.session.flush()
    audit.record("allowance.rate_added", "allowance_rate", rate.id, actor=actor, article=ARTICLE, tenant_id=tenant.id,
                 after={"scope": rate.scope, "effective_on": effective_on, "degree_level": degree_level,
                        "monthly_amount": str(amount), "source": source})
    return rate


def delete_rate(tenant: Tenant, rate_id: int, *, actor) -> None:
    """A rate no locked or approved run has used may be taken back; a used one stays (history)."""
    model = _rate_model(tenant)
    rate = db.session.scalar(sa.select(model).where(model.id == rate_id))
    if rate is None:
        raise DomainError("找不到该补贴标准", status=404)
    used = db.session.scalar(sa.select(sa.func.count()).select_from(AllowanceLine).where(
        AllowanceLine.rate_scope == rate.scope, AllowanceLine.rate_id == rate.id))
    if used:
        raise Conflict("该标准已用于补贴发放，不能删除；请新增一条自新日期起执行的标准", code="rate_used")
    db.session.delete(rate)
    audit.record("allowance.rate_deleted", "allowance_rate", rate_id, actor=actor, article=ARTICLE,
                 tenant_id=tenant.id, before={"scope": rate.scope, "effective_on": rate.effective_on,
                                              "degree_level": rate.degree_level,
                                              "monthly_amount": str(rate.monthly_amount)})
    db.session.flush()


def comparison(tenant: Tenant) -> dict:
    """For the rules comparison page (A22): per level the national rows and the tenant's own."""
    from portal.documents.templating import effective_templates_of
    from portal.incentives.documents import APPRAISAL, CERTIFICATE, SUSPENSION_LETTER

    national = national_rates()
    own = [] if tenant.is_national else own_rates(tenant)
    return {"levels": {level: {"national": [r for r in national if r.degree_level == level],
                               "own": [r for r in own if r.degree_level == level]} for level in DEGREE_LEVELS},
            "templates": effective_templates_of(tenant.id, (SUSPENSION_LETTER, CERTIFICATE, APPRAISAL))}


def rate_version(rate) -> str:
    return f"{rate.scope}:{rate.degree_level}:{rate.effective_on.isoformat()}#{rate.id}"


# --- computing a month ---------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    residency_id: int
    name: str
    school: str
    degree_level: str
    period_start: dt.date
    period_end: dt.date
    days: int
    month_days: int
    monthly_amount: Decimal
    amount: Decimal
    rate: object
    ended_reason: str | None


def last_day_in_residence(res) -> dt.date:
    """The term's end, or the day of removal / departure (A18: paid to the day of removal)."""
    if res.ended_on is not None:
        return res.ended_on
    return res.term_end


@dataclass(frozen=True)
class Stay:
    """What the month's computation reads of one residency (one row of one statement)."""

    id: int
    name: str
    school: str
    term_start: dt.date
    term_end: dt.date
    ended_on: dt.date | None
    status: ResidencyStatus
    degree_text: str | None


@dataclass(frozen=True)
class RateRow:
    """A rate row as the computation reads it (national or the tenant's own)."""

    scope: str
    id: int
    degree_level: str
    effective_on: dt.date
    monthly_amount: Decimal
    source: str


def compute_lines(res, degree_level: str, month: dt.date, rates: dict[str, list]) -> list[Line]:
    """The month's lines for one chair (a :class:`Stay` or a Residency): one per rate period
    inside the days in residence."""
    first, last = month_start(month), month_end(month)
    start, end = max(first, res.term_start), min(last, last_day_in_residence(res))
    if start > end:
        return []
    name = res.name if isinstance(res, Stay) else res.chair.name
    school = res.school if isinstance(res, Stay) else res.school.name
    rows = rates.get(degree_level) or []  # in date order
    if not rows or rows[0].effective_on > end:
        raise FieldError(f"{name}（{degree_level}）在 {start.isoformat()} 没有适用的补贴标准，请先录入标准", "rates")
    month_days = (last - first).days + 1
    out = []
    for i, rate in enumerate(rows):
        r_from = rate.effective_on
        r_to = rows[i + 1].effective_on - dt.timedelta(days=1) if i + 1 < len(rows) else dt.date.max
        a, b = max(start, r_from), min(end, r_to)
        if a > b:
            continue
        days = (b - a).days + 1
        amount = fen(Decimal(rate.monthly_amount) * days / month_days)
        reason = res.status.value if res.ended_on is not None and b == res.ended_on else None
        out.append(Line(res.id, name, school, degree_level, a, b, days, month_days,
                        Decimal(rate.monthly_amount), amount, rate, reason))
    if out and out[0].period_start > start:  # days before the first rate: no standard for them
        raise FieldError(f"{name}（{degree_level}）在 {start.isoformat()} 没有适用的补贴标准，请先录入标准", "rates")
    return out


def _in_month(month: dt.date):
    first, last = month_start(month), month_end(month)
    end = sa.func.coalesce(Residency.ended_on, Residency.term_end)
    return (Residency.term_start <= last, end >= first)


def count_in_month(month: dt.date) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Residency).where(*_in_month(month)))


def chairs_in_month(month: dt.date) -> list[Residency]:
    """Every chair in residence for at least one day of the month (removed ones to their day)."""
    return list(db.session.scalars(sa.select(Residency).where(*_in_month(month)).order_by(Residency.id)))


def stays_in_month(month: dt.date) -> list[Stay]:
    """The same chairs as :func:`chairs_in_month`, with their names, schools and degree levels,
    in one statement (no residency objects, no rules snapshots)."""
    from portal.reference.models import School
    from portal.residency.models import Chair
    from portal.selection.models import Nomination

    q = (sa.select(Residency.id, Chair.name, School.name, Residency.term_start, Residency.term_end,
                   Residency.ended_on, Residency.status, Nomination.degree_level)
         .join(Chair, Chair.id == Residency.chair_id).join(School, School.id == Residency.school_id)
         .outerjoin(Nomination, Nomination.id == Chair.nomination_id)
         .where(*_in_month(month)).order_by(Residency.id))
    return [Stay(*row) for row in db.session.execute(q)]


def rate_rows(tenant: Tenant) -> dict[str, list[RateRow]]:
    """:func:`effective_rates` as plain rows, national and own in one statement."""
    nat = NationalAllowanceRate
    cols = lambda m, scope: (sa.literal(scope).label("scope"), m.id, m.degree_level, m.effective_on,  # noqa: E731
                             m.monthly_amount, m.source)
    q = sa.select(*cols(nat, "national"))
    if not tenant.is_national:
        q = q.union_all(sa.select(*cols(AllowanceRate, "own")))
    rows = [RateRow(*r) for r in db.session.execute(q)]
    out: dict[str, list[RateRow]] = {}
    for level in DEGREE_LEVELS:
        mine = sorted((r for r in rows if r.degree_level == level and r.scope == "own"), key=lambda r: r.effective_on)
        out[level] = mine or sorted((r for r in rows if r.degree_level == level and r.scope == "national"),
                                    key=lambda r: r.effective_on)
    return out


def degree_levels(residencies) -> dict[int, str]:
    """Each chair's degree level, from the nomination's 学历层次 (one statement)."""
    from portal.residency.models import Chair
    from portal.selection.models import Nomination

    ids = [r.chair_id for r in residencies]
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Chair.id, Nomination.degree_level).join(
        Nomination, Nomination.id == Chair.nomination_id).where(Chair.id.in_(ids))).all()
    by_chair = {cid: degree_of(level) for cid, level in rows}
    return {r.id: by_chair.get(r.chair_id) for r in residencies}


def compute_month(tenant: Tenant, month: dt.date, progress=None) -> list[Line]:
    """Set-wise: one statement for the rates, one for the chairs, the lines computed in Python."""
    rates = rate_rows(tenant)
    stays = stays_in_month(month)
    out: list[Line] = []
    for n, stay in enumerate(stays):
        level = degree_of(stay.degree_text)
        if level is None:
            raise FieldError(f"{stay.name}的学历层次无法识别（应为本科、硕士或博士），不能计算补贴", "degree_level")
        out.extend(compute_lines(stay, level, month, rates))
        if progress is not None and n % 200 == 0:
            progress(n / max(1, len(stays)), f"已计算 {n}/{len(stays)} 人")
    return out


# --- runs ---------------------------------------------------------------------------------

RUN = Machine(
    "incentives.allowance_run", subject="allowance_run", noun="该补贴发放表", labels=RUN_STATUS_LABELS,
    transitions=[
        transition("approve", "审核通过", [RunStatus.draft], RunStatus.approved, ADMIN, ARTICLE,
                   guards=[lambda run, ctx: None if run.computed_at else
                           Refusal("not_computed", "补贴发放表尚未计算完成，请稍候")]),
        transition("return", "退回重算", [RunStatus.approved], RunStatus.draft, ADMIN, ARTICLE, takes_back=True),
        transition("lock", "锁定", [RunStatus.approved], RunStatus.locked, ADMIN, ARTICLE),
    ])


def runs_for_month(month: dt.date) -> list[AllowanceRun]:
    return list(db.session.scalars(sa.select(AllowanceRun).where(AllowanceRun.month == month_start(month))
                                   .order_by(AllowanceRun.seq)))


def get_run(run_id: int) -> AllowanceRun | None:
    return db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.id == run_id))


def run_lines(run: AllowanceRun) -> list[AllowanceLine]:
    return list(db.session.scalars(sa.select(AllowanceLine).where(AllowanceLine.run_id == run.id)
                                   .order_by(AllowanceLine.residency_id, AllowanceLine.period_start,
                                             AllowanceLine.id)))


def start_run(tenant: Tenant, month, *, actor, inline: bool | None = None) -> AllowanceRun:
    """A15: the month's regular run (draft). A month whose run is approved or locked is refused
    (409): a correction of a locked month is an adjusting run. A draft is recomputed."""
    month = parse_month(month)
    runs = runs_for_month(month)
    regular = next((r for r in runs if r.kind == RunKind.regular), None)
    if regular is not None and regular.status != RunStatus.draft:
        raise Conflict(f"{month:%Y年%m月}的补贴发放表状态为「{regular.status_label}」，不能重新计算；"
                       f"如需更正，请创建调整发放（{CITATION}）", code="month_locked")
    if regular is None:
        regular = AllowanceRun(tenant_id=tenant.id, month=month, kind=RunKind.regular, seq=1,
                               status=RunStatus.draft, created_by_id=getattr(actor, "id", None))
        db.session.add(regular)
        db.session.flush()
        started = [audit.Entry("allowance.run_started", "allowance_run", regular.id, after={"month": month, "kind": "regular"},
                               article=ARTICLE)]
    else:
        started = []
    return _compute_or_enqueue(tenant, regular, actor=actor, inline=inline, started=started)


def start_adjusting_run(tenant: Tenant, corrects: AllowanceRun, *, actor, note: str | None,
                        inline: bool | None = None) -> AllowanceRun:
    """A correction of a locked month: a new run naming the one it corrects, holding only the
    differences between what the record now gives and what the month's locked runs paid."""
    if corrects.status != RunStatus.locked:
        raise Conflict("只能对已锁定的补贴发放表创建调整发放；未锁定的可直接退回重算", code="not_locked")
    note = (note or "").strip()
    if not note:
        raise FieldError("请说明调整原因", "note")
    runs = runs_for_month(corrects.month)
    if any(r.status != RunStatus.locked for r in runs):
        raise Conflict("该月已有未锁定的调整发放，请先处理", code="open_adjustment")
    run = AllowanceRun(tenant_id=tenant.id, month=corrects.month, kind=RunKind.adjusting, corrects_id=corrects.id,
                       seq=max(r.seq for r in runs) + 1, status=RunStatus.draft, note=note[:2000],
                       created_by_id=getattr(actor, "id", None))
    db.session.add(run)
    db.session.flush()
    started = [audit.Entry("allowance.adjusting_run_started", "allowance_run", run.id, article=ARTICLE,
                           after={"month": run.month, "corrects_id": corrects.id, "note": run.note})]
    return _compute_or_enqueue(tenant, run, actor=actor, inline=inline, started=started)


JOB_THRESHOLD = 300  # chairs: above this the run is computed by a background job with progress


def _compute_or_enqueue(tenant, run, *, actor, inline, started=()):
    """Compute now (the run's creation and its computation audited together: one append to the
    chain) or in a background job (the creation audited now)."""
    if inline is None:
        inline = count_in_month(run.month) <= JOB_THRESHOLD
    if inline:
        compute_run(tenant, run, actor=actor, started=started)
        return run
    if started:
        audit.record_many(list(started), actor=actor)
    from portal.jobs.operations import enqueue

    rec = enqueue("portal.incentives.jobs.compute_allowance_run", run.id, tenant_id=tenant.id,
                  label=f"{run.month:%Y年%m月}驻会执行主席补贴计算", kind="allowance_run", created_by=actor,
                  subject=f"allowance_run:{run.id}")
    run.job_id = rec.id
    run.computed_at = None
    db.session.flush()
    return run


def paid_so_far(month: dt.date, exclude_run_id: int | None = None) -> dict[int, Decimal]:
    """Per residency, what the month's locked runs paid."""
    rows = db.session.execute(
        sa.select(AllowanceLine.residency_id, sa.func.sum(AllowanceLine.amount))
        .join(AllowanceRun, AllowanceRun.id == AllowanceLine.run_id)
        .where(AllowanceRun.month == month, AllowanceRun.status == RunStatus.locked,
               AllowanceRun.id != (exclude_run_id or 0))
        .group_by(AllowanceLine.residency_id)).all()
    return {rid: Decimal(total) for rid, total in rows}


def compute_run(tenant: Tenant, run: AllowanceRun, *, actor, progress=None, started=()) -> AllowanceRun:
    """(Re)compute a draft run's lines. Only a draft is ever written."""
    if run.status != RunStatus.draft:
        raise Conflict(f"补贴发放表状态为「{run.status_label}」，不能重新计算", code="month_locked")
    lines = compute_month(tenant, run.month, progress)
    db.session.execute(sa.delete(AllowanceLine).where(AllowanceLine.run_id == run.id)
                       .execution_options(synchronize_session=False))
    rows = []
    if run.kind == RunKind.regular:
        for ln in lines:
            rows.append(_line_row(run, ln))
    else:
        # An adjusting run: per chair, the difference between the record now and what was paid.
        paid = paid_so_far(run.month)
        now: dict[int, list[Line]] = {}
        for ln in lines:
            now.setdefault(ln.residency_id, []).append(ln)
        for rid in sorted(set(now) | set(paid)):
            due = sum((ln.amount for ln in now.get(rid, [])), Decimal("0"))
            diff = due - paid.get(rid, Decimal("0"))
            if diff == 0:
                continue
            if rid in now:
                for ln in now[rid]:
                    rows.append(_line_row(run, ln))
                rows.append({"tenant_id": run.tenant_id, "run_id": run.id, "residency_id": rid,
                             "name": now[rid][0].name, "school": now[rid][0].school,
                             "degree_level": now[rid][0].degree_level, "days": 0,
                             "month_days": now[rid][0].month_days, "amount": -paid.get(rid, Decimal("0")),
                             "note": "冲减已发放金额"})
            else:
                res = db.session.get(Residency, rid)
                rows.append({"tenant_id": run.tenant_id, "run_id": run.id, "residency_id": rid,
                             "name": res.chair.name, "school": res.school.name, "degree_level": "",
                             "days": 0, "month_days": (month_end(run.month) - run.month).days + 1,
                             "amount": -paid[rid], "note": "本月不在驻会期间，冲减已发放金额"})
    if rows:
        db.session.execute(sa.insert(AllowanceLine), rows)
    run.total = sum((Decimal(r["amount"]) for r in rows), Decimal("0"))
    run.chairs = len({r["residency_id"] for r in rows})
    run.computed_at = utcnow()
    db.session.flush()
    audit.record_many([*started, audit.Entry(
        "allowance.run_computed", "allowance_run", run.id, article=ARTICLE,
        after={"month": run.month, "kind": run.kind.value, "lines": len(rows), "chairs": run.chairs,
               "total": str(run.total)})], actor=actor)
    return run


def _line_row(run, ln: Line) -> dict:
    return {"tenant_id": run.tenant_id, "run_id": run.id, "residency_id": ln.residency_id, "name": ln.name,
            "school": ln.school, "degree_level": ln.degree_level, "period_start": ln.period_start,
            "period_end": ln.period_end, "days": ln.days, "month_days": ln.month_days,
            "monthly_amount": ln.monthly_amount, "amount": ln.amount, "rate_scope": ln.rate.scope,
            "rate_id": ln.rate.id, "rate_version": rate_version(ln.rate), "rate_source": ln.rate.source,
            "ended_reason": ln.ended_reason}


def approve_run(run: AllowanceRun, *, actor, roles) -> AllowanceRun:
    return RUN.apply(run, "approve", actor=actor, roles=roles)


def return_run(run: AllowanceRun, *, actor, roles, note) -> AllowanceRun:
    return RUN.apply(run, "return", actor=actor, roles=roles, note=note)


def lock_run(run: AllowanceRun, *, actor, roles) -> AllowanceRun:
    RUN.apply(run, "lock", actor=actor, roles=roles)
    run.locked_by_id = getattr(actor, "id", None)
    db.session.flush()
    return run


# --- income (A14 dues are by bracket on it) --------------------------------------------------

def monthly_income(res: Residency, month: dt.date) -> Decimal | None:
    """The allowance paid for ``month`` by its approved or locked runs, or None if none."""
    total = db.session.scalar(
        sa.select(sa.func.sum(AllowanceLine.amount)).join(AllowanceRun, AllowanceRun.id == AllowanceLine.run_id)
        .where(AllowanceLine.residency_id == res.id, AllowanceRun.month == month_start(month),
               AllowanceRun.status.in_([RunStatus.approved, RunStatus.locked])))
    return None if total is None else Decimal(total)


# --- exports -------------------------------------------------------------------------------

XLSX_HEADERS = ["序号", "姓名", "学校", "学历层次", "起始日期", "截止日期", "驻会天数", "当月天数", "月标准（元）",
                "金额（元）", "标准版本", "标准依据", "条款", "备注"]


_EXPORT_COLUMNS = (AllowanceLine.name, AllowanceLine.school, AllowanceLine.degree_level, AllowanceLine.period_start,
                   AllowanceLine.period_end, AllowanceLine.days, AllowanceLine.month_days,
                   AllowanceLine.monthly_amount, AllowanceLine.amount, AllowanceLine.rate_version,
                   AllowanceLine.rate_source, AllowanceLine.ended_reason, AllowanceLine.note)


def export_xlsx(run: AllowanceRun) -> bytes:
    """The run for finance: every cell a value, none a formula (text beginning with = + - @ is
    made literal by ``portal.core.sheets.cell_value``); amounts as numbers with two decimals,
    dates as dates. The lines are read as plain columns in one statement and the sheet written
    directly by ``portal.core.xlsx`` (every tenant's run is exported every month)."""
    import io

    from portal.core.xlsx import MONEY, Sheet, write_workbook

    q = (sa.select(*_EXPORT_COLUMNS).where(AllowanceLine.run_id == run.id)
         .order_by(AllowanceLine.residency_id, AllowanceLine.period_start, AllowanceLine.id))
    rows = [[f"{run.month:%Y年%m月}驻会执行主席补贴发放表（{run.kind_label}，{run.status_label}）"], XLSX_HEADERS]
    for n, (name, school, level, start, end, days, mdays, monthly, amount, version, source, ended, note) in \
            enumerate(db.session.execute(q), 1):
        rows.append([n, name, school, level, start, end, days, mdays, monthly, amount, version or "", source or "",
                     CITATION, _note(ended, end, note)])
    rows.append(["合计", "", "", "", "", "", "", "", "", run.total])
    buf = io.BytesIO()
    write_workbook(buf, [Sheet(f"{run.month:%Y年%m月}补贴", rows, kinds={8: MONEY, 9: MONEY})])
    return buf.getvalue()


def _note(ended_reason, period_end, note) -> str:
    parts = []
    if ended_reason == "removed":
        parts.append(f"取消驻会资格，发放至 {period_end.isoformat()}")
    elif ended_reason == "left":
        parts.append(f"离会，发放至 {period_end.isoformat()}")
    if note:
        parts.append(note)
    return "；".join(parts)


def _line_note(ln: AllowanceLine) -> str:
    return _note(ln.ended_reason, ln.period_end, ln.note)


def summary_spec(run: AllowanceRun, tenant: Tenant):
    from portal.documents.render import DocumentSpec, TableSpec
    from tenants.rules.operations import effective_rules

    lines = run_lines(run)
    federation = effective_rules(tenant)["federation.name"]
    rows = [[ln.name, ln.school, ln.degree_level, str(ln.days), f"{ln.amount:.2f}", ln.rate_version or "",
             _line_note(ln)] for ln in lines]
    corrects = f"，更正第 {run.corrects_id} 号发放表" if run.corrects_id else ""
    return DocumentSpec(
        title=f"{run.month:%Y年%m月}驻会执行主席补贴发放汇总（{run.kind_label}）",
        paragraphs=[f"依据《全国学联驻会执行主席管理办法（试行）》{CITATION}，按驻会天数折算本月补贴{corrects}。"
                    f"共 {run.chairs} 人，合计 {run.total:.2f} 元。状态：{run.status_label}。",
                    *( [f"调整原因：{run.note}"] if run.note else [])],
        tables=[TableSpec(["姓名", "学校", "学历层次", "天数", "金额（元）", "标准版本", "备注"], rows)],
        signature=f"{federation}秘书处", date=clock.today())
