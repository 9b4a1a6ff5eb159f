"""A15 (第十五条): a dormitory bed for the year and the welfare of the CYL central staff."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import audit, clock
from portal.core.errors import Conflict, DomainError
from portal.core.obligations import FieldError
from portal.extensions import db
from portal.incentives.models import Bed, BedAssignment, WelfareGrant
from portal.residency.models import Residency, ResidencyStatus

ARTICLE = "A15"


def _text(value, field, label, limit) -> str:
    value = (value or "").strip()
    if not value:
        raise FieldError(f"请填写{label}", field)
    if len(value) > limit:
        raise FieldError(f"{label}不能超过{limit}字", field)
    return value


def add_bed(tenant, *, building, room, bed, actor) -> Bed:
    building = _text(building, "building", "楼栋", 60)
    room = _text(room, "room", "房间号", 20)
    label = _text(bed, "bed", "床位号", 10)
    if db.session.scalar(sa.select(Bed).where(Bed.building == building, Bed.room == room, Bed.bed == label)):
        raise Conflict(f"床位「{building} {room} 室 {label} 床」已登记", code="bed_exists")
    b = Bed(tenant_id=tenant.id, building=building, room=room, bed=label)
    db.session.add(b)
    db.session.flush()
    audit.record("incentives.bed_added", "incentive_bed", b.id, actor=actor, article=ARTICLE,
                 after={"building": building, "room": room, "bed": label})
    return b


def beds() -> list[Bed]:
    return list(db.session.scalars(sa.select(Bed).order_by(Bed.building, Bed.room, Bed.bed)))


def get_bed(bed_id: int) -> Bed | None:
    return db.session.scalar(sa.select(Bed).where(Bed.id == bed_id))


def _overlapping(stmt, starts_on, ends_on):
    last = sa.case((BedAssignment.released_on.is_not(None) & (BedAssignment.released_on < BedAssignment.ends_on),
                    BedAssignment.released_on), else_=BedAssignment.ends_on)
    return stmt.where(BedAssignment.starts_on <= ends_on, last >= starts_on,
                      # a bed released before it was first slept in holds no night
                      sa.or_(BedAssignment.released_on.is_(None), BedAssignment.released_on >= BedAssignment.starts_on))


def assign_bed(res: Residency, bed: Bed, *, starts_on: dt.date | None, ends_on: dt.date | None, actor) -> BedAssignment:
    """A15: a bed from a date to a date inside the term (by default the whole remaining term);
    a bed or a chair already holding one on any of those nights: 409."""
    if res.status != ResidencyStatus.in_residence:
        raise Conflict(f"{res.chair.name}状态为「{res.status_label}」，不能分配床位", code="not_in_residence")
    if not bed.active:
        raise Conflict("该床位已停用", code="bed_inactive")
    starts_on = starts_on or max(res.term_start, clock.today())
    ends_on = ends_on or res.term_end
    if starts_on < res.term_start or ends_on > res.term_end:
        raise FieldError(f"住宿期间应在驻会期间 {res.term_start.isoformat()} 至 {res.term_end.isoformat()} 之内", "ends_on")
    if ends_on < starts_on:
        raise FieldError("截止日期不能早于开始日期", "ends_on")
    # Serialize assignments of this bed (two secretaries at once must not both win).
    from portal.core.concurrency import lock_row

    lock_row(Bed, bed.id)
    clash = db.session.scalar(_overlapping(sa.select(BedAssignment).where(BedAssignment.bed_id == bed.id),
                                           starts_on, ends_on).limit(1))
    if clash is not None:
        raise Conflict(f"床位「{bed.label}」在 {clash.starts_on.isoformat()} 至 {clash.last_day.isoformat()} 已分配给"
                       f"{clash.residency.chair.name}，与所选日期重叠", code="bed_taken")
    mine = db.session.scalar(_overlapping(sa.select(BedAssignment).where(BedAssignment.residency_id == res.id),
                                          starts_on, ends_on).limit(1))
    if mine is not None:
        raise Conflict(f"{res.chair.name}在 {mine.starts_on.isoformat()} 至 {mine.last_day.isoformat()} 已有床位"
                       f"「{mine.bed.label}」，与所选日期重叠", code="chair_housed")
    a = BedAssignment(tenant_id=res.tenant_id, bed_id=bed.id, residency_id=res.id, starts_on=starts_on,
                      ends_on=ends_on, assigned_by_id=getattr(actor, "id", None))
    db.session.add(a)
    db.session.flush()
    audit.record("incentives.bed_assigned", "incentive_bed_assignment", a.id, actor=actor, article=ARTICLE,
                 after={"residency_id": res.id, "bed": bed.label, "starts_on": starts_on, "ends_on": ends_on})
    return a


def release(a: BedAssignment, *, on: dt.date, reason: str, actor) -> BedAssignment:
    """End an assignment early (the row stays, as history)."""
    if a.released_on is not None and a.released_on <= on:
        return a
    if on >= a.ends_on:
        return a
    before = {"released_on": a.released_on}
    a.released_on = max(on, a.starts_on - dt.timedelta(days=1))
    a.release_reason = reason[:200]
    db.session.flush()
    audit.record("incentives.bed_released", "incentive_bed_assignment", a.id, actor=actor, article=ARTICLE,
                 before=before, after={"released_on": a.released_on, "reason": a.release_reason})
    return a


def on_residency_ended(res, *, status, ended_on, actor=None, **kw):
    """``residency.ended`` (A18 removal, A21, an early end): release the chair's bed from the day
    after the last day in residence. Inside the ending transaction; flushes, never commits."""
    reason = {"removed": "取消驻会资格", "left": "离会"}.get(status, "驻会期满")
    for a in db.session.scalars(sa.select(BedAssignment).where(BedAssignment.residency_id == res.id)):
        if a.last_day > ended_on:
            release(a, on=ended_on, reason=reason, actor=actor)


def assignments_of(res: Residency) -> list[BedAssignment]:
    return list(db.session.scalars(sa.select(BedAssignment).where(BedAssignment.residency_id == res.id)
                                   .order_by(BedAssignment.starts_on)))


def occupancy(on: dt.date | None = None) -> list[tuple[Bed, BedAssignment | None]]:
    """Every bed and who holds it on ``on`` (a released or ended assignment frees it)."""
    on = on or clock.today()
    held = {a.bed_id: a for a in db.session.scalars(_overlapping(sa.select(BedAssignment), on, on))}
    return [(b, held.get(b.id)) for b in beds()]


def history() -> list[BedAssignment]:
    return list(db.session.scalars(sa.select(BedAssignment).order_by(BedAssignment.starts_on.desc(),
                                                                     BedAssignment.id.desc())))


# --- welfare (工会福利) -------------------------------------------------------------------

def give_welfare(res: Residency, *, item: str, given_on: dt.date | None, note: str | None, actor) -> WelfareGrant:
    """A15: one item of the welfare list (``incentives.welfare_items``, as the cycle pins it)."""
    items = list(res.rule("incentives.welfare_items"))
    item = (item or "").strip()
    if item not in items:
        raise FieldError(f"福利项目只能是：{'、'.join(items)}", "item")
    given_on = given_on or clock.today()
    if not res.term_start <= given_on <= (res.ended_on or res.term_end):
        raise FieldError("发放日期应在驻会期间", "given_on")
    note = (note or "").strip() or None
    if note and len(note) > 200:
        raise FieldError("备注不能超过200字", "note")
    g = WelfareGrant(tenant_id=res.tenant_id, residency_id=res.id, item=item, given_on=given_on, note=note,
                     given_by_id=getattr(actor, "id", None))
    db.session.add(g)
    db.session.flush()
    audit.record("incentives.welfare_given", "incentive_welfare_grant", g.id, actor=actor, article=ARTICLE,
                 after={"residency_id": res.id, "item": item, "given_on": given_on})
    return g


def welfare_of(res: Residency) -> list[WelfareGrant]:
    return list(db.session.scalars(sa.select(WelfareGrant).where(WelfareGrant.residency_id == res.id)
                                   .order_by(WelfareGrant.given_on, WelfareGrant.id)))


def get_assignment(aid: int) -> BedAssignment | None:
    a = db.session.scalar(sa.select(BedAssignment).where(BedAssignment.id == aid))
    if a is None:
        raise DomainError("找不到该住宿记录", status=404)
    return a
