"""A4 and A23: opening a cycle with its rules pinned, its stages, deadlines, and the rotation roster."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, ROUND_HALF_UP

import sqlalchemy as sa

from portal.core import audit
from portal.core.calendar import calendar
from portal.core.concurrency import lock_row
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from portal.reference.models import PresidiumMembership, School, StudentUnion
from portal.selection import workflow
from portal.selection.models import CycleStatus, CycleStep, RotationEntry, SelectionCycle
from tenants.models import Tenant
from tenants.rules.operations import effective_rules
from tenants.rules.registry import article_citation

from portal.selection.operations.common import _today


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


def advance_cycle(cycle: SelectionCycle, name: str, *, actor) -> bool:
    """Move the cycle into the stage its procedure has reached (declared in ``workflow.CYCLE``);
    a cycle already there or past it stays as it is."""
    return workflow.CYCLE.advance(cycle, name, actor=actor)


def _exams_begin(cycle_id: int, *, actor) -> None:
    # A6.4: the cycle enters the exam stage with its first score or panel.
    advance_cycle(db.session.get(SelectionCycle, cycle_id), "begin_exams", actor=actor)


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
