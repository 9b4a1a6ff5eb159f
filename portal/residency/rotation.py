"""A12 post rotation: the tenant's departments, each chair's segments, the planner, and the
department head's reach (A9 talks inside the head's segments). Flush, never commit.

A chair works both in the secretariat and in at least ``residency.rotation_min_departments``
departments, moving every ``residency.rotation_period_months`` (read through the residency's
pinned rules). A segment whose length departs from that period by more than
``residency.rotation_tolerance_days`` carries a reason. Each segment copies its department's
head: the 部门负责同志 who owes the A9 talks inside it and gives an opinion on the A17 appraisal.
A segment that has started is never deleted: it is ended (cut), and every change is audited.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from portal.core import audit, clock
from portal.core.db import any_of
from portal.core.errors import Conflict
from portal.core.obligations import FieldError, add_months
from portal.core.workflow import Machine, transition
from portal.extensions import db
from portal.reference.models import Department, DepartmentKind
from portal.residency.models import ENDED, PlanStatus, Residency, ResidencyStatus, RotationPlan, RotationSegment
from tenants.models import Membership, Role

STAFF = ("secretariat_admin", "secretariat_staff")
KIND_LABELS = {"secretariat": "秘书处", "department": "相关部门"}


def _cite(article: str) -> str:
    from tenants.rules.registry import article_citation

    return article_citation(article)


# --- departments (per-tenant reference data) ---------------------------------------------------

DEPARTMENT = Machine(
    "residency.department", subject="department", attr="active", noun="该部门", cite=_cite,
    labels={True: "在用", False: "已停用"},
    transitions=[
        transition("deactivate", "停用部门", [True], False, STAFF, "A12", audit_action="department.deactivated"),
        transition("activate", "恢复部门", [False], True, STAFF, "A12", audit_action="department.activated"),
    ])


def departments(active_only: bool = False) -> list[Department]:
    stmt = sa.select(Department).order_by(Department.sort, Department.id)
    if active_only:
        stmt = stmt.where(Department.active.is_(True))
    return list(db.session.scalars(stmt))


def get_department(dept_id: int) -> Department | None:
    return db.session.scalar(sa.select(Department).where(Department.id == dept_id))


def _head_user(tenant_id: int, head_user_id):
    """The head must be an active department_head member of this tenant."""
    if head_user_id in (None, ""):
        return None
    try:
        uid = int(head_user_id)
    except (TypeError, ValueError):
        raise FieldError("部门负责同志应为本学联的成员", "head_user_id") from None
    held = db.session.scalar(sa.select(Membership).where(
        Membership.tenant_id == tenant_id, Membership.user_id == uid, Membership.role == Role.department_head,
        Membership.active.is_(True)))
    if held is None:
        raise FieldError("部门负责同志须是本学联角色为“部门负责同志”的成员", "head_user_id")
    return uid


def department_heads(tenant_id: int):
    """Members who may head a department (role department_head), for the form's choices."""
    from portal.auth.models import User

    return list(db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.tenant_id == tenant_id, Membership.role == Role.department_head,
        Membership.active.is_(True)).order_by(User.name, User.id)))


def _dept_fields(tenant_id: int, *, name, kind, head_user_id, sort, exclude_id=None) -> dict:
    name = (name or "").strip()
    if not name:
        raise FieldError("请填写部门名称", "name")
    if len(name) > 60:
        raise FieldError("部门名称不能超过60字", "name")
    try:
        kind = DepartmentKind(kind or "department")
    except ValueError:
        raise FieldError("类别只能是 secretariat（秘书处）或 department（相关部门）", "kind") from None
    try:
        sort = int(sort or 0)
    except (TypeError, ValueError):
        raise FieldError("排序应为整数", "sort") from None
    if not -10000 <= sort <= 10000:
        raise FieldError("排序应在 -10000 至 10000 之间", "sort")
    clash = sa.select(Department.id).where(Department.tenant_id == tenant_id, Department.name == name)
    if exclude_id is not None:
        clash = clash.where(Department.id != exclude_id)
    if db.session.scalar(clash) is not None:
        raise FieldError(f"已有名为「{name}」的部门", "name")
    return {"name": name, "kind": kind, "head_user_id": _head_user(tenant_id, head_user_id), "sort": sort}


def _dept_json(d: Department) -> dict:
    return {"name": d.name, "kind": d.kind.value, "head_user_id": d.head_user_id, "sort": d.sort,
            "active": d.active}


def add_department(tenant, *, name, kind="department", head_user_id=None, sort=0, actor) -> Department:
    fields = _dept_fields(tenant.id, name=name, kind=kind, head_user_id=head_user_id, sort=sort)
    d = Department(tenant_id=tenant.id, active=True, **fields)
    db.session.add(d)
    db.session.flush()
    audit.record("department.added", "department", d.id, actor=actor, article="A12", after=_dept_json(d))
    return d


def change_department(d: Department, *, name, kind, head_user_id, sort, actor) -> Department:
    """A new head applies to segments made from now on; each segment keeps the head it named."""
    fields = _dept_fields(d.tenant_id, name=name, kind=kind, head_user_id=head_user_id, sort=sort, exclude_id=d.id)
    before = _dept_json(d)
    for k, v in fields.items():
        setattr(d, k, v)
    db.session.flush()
    audit.record("department.changed", "department", d.id, actor=actor, article="A12", before=before,
                 after=_dept_json(d))
    return d


def set_department_active(d: Department, active: bool, *, actor, roles) -> Department:
    return DEPARTMENT.apply(d, "activate" if active else "deactivate", actor=actor, roles=roles)


# --- segments ----------------------------------------------------------------------------------

def segments_of(res_ids) -> dict[int, list[RotationSegment]]:
    """Each residency's segments in order, in one statement."""
    ids = list(res_ids)
    out: dict[int, list[RotationSegment]] = {i: [] for i in ids}
    if not ids:
        return out
    for s in db.session.scalars(sa.select(RotationSegment).where(any_of(RotationSegment.residency_id, ids))
                                .order_by(RotationSegment.starts_on, RotationSegment.id)):
        out[s.residency_id].append(s)
    return out


def history(res: Residency) -> list[RotationSegment]:
    return segments_of([res.id])[res.id]


def covering(segs, day: dt.date) -> RotationSegment | None:
    return next((s for s in segs if s.starts_on <= day <= s.ends_on), None)


def get_segment(seg_id: int) -> RotationSegment | None:
    return db.session.scalar(sa.select(RotationSegment).where(RotationSegment.id == seg_id))


def expected_end(res: Residency, starts_on: dt.date) -> dt.date:
    months = int(res.rule("residency.rotation_period_months"))
    return min(add_months(starts_on, months) - dt.timedelta(days=1), res.term_end)


def deviates(res: Residency, starts_on: dt.date, ends_on: dt.date) -> bool:
    """A12 "原则上每半年": a length off the rotation period by more than the tolerance. The term's
    last stretch, shorter than a period because the term ends, is not a departure."""
    tolerance = int(res.rule("residency.rotation_tolerance_days"))
    months = int(res.rule("residency.rotation_period_months"))
    full = add_months(starts_on, months) - dt.timedelta(days=1)
    if ends_on == res.term_end and ends_on <= full:
        return False
    return abs((ends_on - full).days) > tolerance


def _segment_json(s: RotationSegment) -> dict:
    return {"residency_id": s.residency_id, "department_id": s.department_id, "post": s.post,
            "starts_on": s.starts_on, "ends_on": s.ends_on, "head_user_id": s.head_user_id,
            "deviation_reason": s.deviation_reason}


def _check(res: Residency, *, department_id, post, starts_on, ends_on, deviation_reason, exclude_id=None,
           others=None) -> tuple[Department, str, str | None]:
    """Every field, before anything is written; ``others`` are the chair's other segments."""
    if department_id in (None, ""):
        raise FieldError("请选择部门", "department_id")
    try:
        dept = db.session.scalar(sa.select(Department).where(Department.id == int(department_id),
                                                             Department.tenant_id == res.tenant_id))
    except (TypeError, ValueError):
        dept = None
    if dept is None:
        raise FieldError("部门不存在", "department_id")
    if not dept.active:
        raise FieldError(f"「{dept.name}」已停用", "department_id")
    post = (post or "").strip() or dept.name
    if len(post) > 60:
        raise FieldError("岗位不能超过60字", "post")
    if starts_on is None:
        raise FieldError("请填写开始日期", "starts_on")
    if ends_on is None:
        raise FieldError("请填写结束日期", "ends_on")
    if not res.term_start <= starts_on <= res.term_end:
        raise FieldError(f"开始日期 {starts_on.isoformat()} 不在任期（{res.term_start.isoformat()} 至 "
                         f"{res.term_end.isoformat()}）内", "starts_on")
    if not res.term_start <= ends_on <= res.term_end:
        raise FieldError(f"结束日期 {ends_on.isoformat()} 不在任期（{res.term_start.isoformat()} 至 "
                         f"{res.term_end.isoformat()}）内", "ends_on")
    if ends_on < starts_on:
        raise FieldError("结束日期不能早于开始日期", "ends_on")
    if others is None:
        others = history(res)
    for o in others:
        if o.id != exclude_id and o.starts_on <= ends_on and starts_on <= o.ends_on:
            raise FieldError(f"与已有的轮岗阶段「{o.department.name}」（{o.starts_on.isoformat()} 至 "
                             f"{o.ends_on.isoformat()}）重叠", "starts_on")
    reason = (deviation_reason or "").strip() or None
    if reason and len(reason) > 2000:
        raise FieldError("理由不能超过2000字", "deviation_reason")
    if deviates(res, starts_on, ends_on) and not reason:
        months = int(res.rule("residency.rotation_period_months"))
        raise FieldError(f"该阶段 {starts_on.isoformat()} 至 {ends_on.isoformat()} 与轮岗周期（{months}个月，"
                         f"{_cite('A12')}“原则上每半年轮岗1次”）不符，须说明理由", "deviation_reason")
    return dept, post, reason


def add_segment(res: Residency, *, department_id, post=None, starts_on, ends_on, deviation_reason=None,
                actor) -> RotationSegment:
    if res.status in ENDED:
        raise Conflict("该驻会已结束，不能再安排轮岗")
    dept, post, reason = _check(res, department_id=department_id, post=post, starts_on=starts_on, ends_on=ends_on,
                                deviation_reason=deviation_reason)
    seg = RotationSegment(tenant_id=res.tenant_id, residency_id=res.id, department_id=dept.id, post=post,
                          starts_on=starts_on, ends_on=ends_on, head_user_id=dept.head_user_id,
                          deviation_reason=reason, created_by_id=getattr(actor, "id", None))
    db.session.add(seg)
    db.session.flush()
    audit.record("rotation.segment_added", "residency", res.id, actor=actor, article="A12",
                 after={"segment_id": seg.id, **_segment_json(seg)})
    return seg


def change_segment(seg: RotationSegment, *, department_id, post, starts_on, ends_on, deviation_reason, actor,
                   today: dt.date | None = None) -> RotationSegment:
    """A segment not yet started may change in every field; one that has started keeps its
    department, start and head (the history), and may change its post, end and reason."""
    today = today or clock.today()
    res = seg.residency
    started = seg.starts_on <= today
    try:
        wanted = int(department_id or 0)
    except (TypeError, ValueError):
        raise FieldError("部门不存在", "department_id") from None
    if started and wanted != seg.department_id:
        raise FieldError("该阶段已开始，不能更改部门：请结束本阶段并新增阶段", "department_id")
    if started and starts_on != seg.starts_on:
        raise FieldError("该阶段已开始，不能更改开始日期", "starts_on")
    floor = min(seg.ends_on, today - dt.timedelta(days=1))
    if started and ends_on is not None and ends_on < floor:
        raise FieldError(f"结束日期不能早于 {floor.isoformat()}：已过去的轮岗经历不能改写", "ends_on")
    dept, post, reason = _check(res, department_id=department_id, post=post, starts_on=starts_on, ends_on=ends_on,
                                deviation_reason=deviation_reason, exclude_id=seg.id)
    before = _segment_json(seg)
    seg.department_id, seg.post, seg.starts_on, seg.ends_on, seg.deviation_reason = (
        dept.id, post, starts_on, ends_on, reason)
    if not started:
        seg.head_user_id = dept.head_user_id
    db.session.flush()
    db.session.refresh(seg, ["department"])
    audit.record("rotation.segment_changed", "residency", res.id, actor=actor, article="A12",
                 before={"segment_id": seg.id, **before}, after={"segment_id": seg.id, **_segment_json(seg)})
    return seg


def end_segment(seg: RotationSegment, *, ends_on: dt.date, deviation_reason=None, actor,
                today: dt.date | None = None) -> RotationSegment:
    """Cut a segment short (the chair moves early); never before its start nor into the past."""
    today = today or clock.today()
    if ends_on is None:
        raise FieldError("请填写结束日期", "ends_on")
    if ends_on >= seg.ends_on:
        raise FieldError(f"结束日期应早于原定的 {seg.ends_on.isoformat()}", "ends_on")
    if ends_on < seg.starts_on:
        raise FieldError(f"结束日期不能早于该阶段的开始日期 {seg.starts_on.isoformat()}", "ends_on")
    return change_segment(seg, department_id=seg.department_id, post=seg.post, starts_on=seg.starts_on,
                          ends_on=ends_on, deviation_reason=deviation_reason or seg.deviation_reason, actor=actor,
                          today=today)


def remove_segment(seg: RotationSegment, *, actor, today: dt.date | None = None) -> None:
    """Only a segment that has not started may be removed (a started one is ended instead)."""
    today = today or clock.today()
    if seg.starts_on <= today:
        raise Conflict("该阶段已开始，不能删除：请结束本阶段")
    before = _segment_json(seg)
    res_id, seg_id = seg.residency_id, seg.id
    db.session.delete(seg)
    db.session.flush()
    audit.record("rotation.segment_removed", "residency", res_id, actor=actor, article="A12",
                 before={"segment_id": seg_id, **before})


def on_residency_ended(res, *, ended_on: dt.date, actor=None, **_kw) -> None:
    """A term cut short (A18, A21) cuts the open segment at the last day and removes the
    segments that had not begun (audited)."""
    for seg in history(res):
        if seg.starts_on > ended_on:
            before = _segment_json(seg)
            sid = seg.id
            db.session.delete(seg)
            db.session.flush()
            audit.record("rotation.segment_removed", "residency", res.id, actor=actor, article="A12",
                         before={"segment_id": sid, **before}, after={"reason": "驻会结束"})
        elif seg.ends_on > ended_on:
            before = _segment_json(seg)
            seg.ends_on = ended_on
            db.session.flush()
            audit.record("rotation.segment_cut", "residency", res.id, actor=actor, article="A12",
                         before={"segment_id": seg.id, **before}, after={"segment_id": seg.id, "ends_on": ended_on})


def current_post(res: Residency, segs=None, today: dt.date | None = None) -> str | None:
    """``Residency.post`` as of today: the segment covering today, else the recorded post."""
    today = today or clock.today()
    segs = history(res) if segs is None else segs
    seg = covering(segs, today)
    if seg is None:
        return res.post
    return seg.post if seg.post == seg.department.name else f"{seg.department.name} · {seg.post}"


# --- the planner and the plan (proposed, previewed, accepted once) -----------------------------

PLAN = Machine(
    "residency.rotation_plan", subject="rotation_plan", noun="该轮岗方案", cite=_cite,
    labels={PlanStatus.proposed: "待确认", PlanStatus.accepted: "已采用", PlanStatus.discarded: "已作废"},
    transitions=[
        transition("accept", "采用轮岗方案", [PlanStatus.proposed], PlanStatus.accepted, STAFF, "A12",
                   audit_action="rotation.plan_accepted"),
        transition("discard", "作废轮岗方案", [PlanStatus.proposed], PlanStatus.discarded, STAFF, "A12",
                   audit_action="rotation.plan_discarded"),
    ])


@dataclass
class _Probe:
    """A planned segment, for the overlap check before anything is written."""

    id: int | None
    starts_on: dt.date
    ends_on: dt.date
    department: Department


@dataclass
class PlanRow:
    residency: Residency
    department: Department
    post: str
    starts_on: dt.date
    ends_on: dt.date


def _stretches(res: Residency, start: dt.date) -> list[tuple[dt.date, dt.date]]:
    months = int(res.rule("residency.rotation_period_months"))
    out, k = [], 0
    while (s := add_months(start, k * months)) <= res.term_end:
        out.append((s, min(add_months(start, (k + 1) * months) - dt.timedelta(days=1), res.term_end)))
        k += 1
    # a remainder shorter than the tolerance joins the stretch before it (no one-week posts)
    tolerance = int(res.rule("residency.rotation_tolerance_days"))
    if len(out) > 1 and (out[-1][1] - out[-1][0]).days < tolerance:
        out[-2:] = [(out[-2][0], out[-1][1])]
    return out


def propose(cohort: str) -> tuple[list[PlanRow], list[Residency]]:
    """A12: a plan for the cohort's chairs in residence who have no segment yet: each works in
    the secretariat and in at least ``residency.rotation_min_departments`` departments, moving
    every ``residency.rotation_period_months``; chairs alternate where they start (half in the
    secretariat, half in a department) and departments are filled evenly. Returns the rows and
    the chairs left out (they already have segments)."""
    depts = departments(active_only=True)
    secretariats = [d for d in depts if d.kind == DepartmentKind.secretariat]
    others = [d for d in depts if d.kind == DepartmentKind.department]
    if not secretariats:
        raise FieldError("请先在部门设置中添加秘书处（类别：秘书处）", "departments")
    if not others:
        raise FieldError("请先在部门设置中添加至少一个相关部门", "departments")
    residencies = list(db.session.scalars(sa.select(Residency).where(
        Residency.cohort == cohort, Residency.status == ResidencyStatus.in_residence).order_by(Residency.id)))
    if not residencies:
        raise FieldError(f"{cohort} 届没有驻会中的驻会执行主席", "cohort")
    existing = segments_of([r.id for r in residencies])
    rows: list[PlanRow] = []
    skipped = [r for r in residencies if existing[r.id]]
    load = {d.id: 0 for d in others}
    sec_load = {d.id: 0 for d in secretariats}
    for i, res in enumerate(r for r in residencies if not existing[r.id]):
        need = int(res.rule("residency.rotation_min_departments"))
        stretches = _stretches(res, res.term_start)
        # alternate, half the chairs starting in the secretariat; then make room for the
        # departments the rule asks for, keeping one stretch in the secretariat
        kinds = ["S" if (k + i) % 2 == 0 else "D" for k in range(len(stretches))]
        while kinds.count("D") < need and kinds.count("S") > 1:
            kinds[max(j for j, x in enumerate(kinds) if x == "S")] = "D"
        visited: set[int] = set()
        for (s, e), kind in zip(stretches, kinds):
            if kind == "S":
                d = min(secretariats, key=lambda x: (sec_load[x.id], x.sort, x.id))
                sec_load[d.id] += 1
            else:
                fresh = [x for x in others if x.id not in visited] or others
                d = min(fresh, key=lambda x: (load[x.id], x.sort, x.id))
                load[d.id] += 1
                visited.add(d.id)
            rows.append(PlanRow(res, d, d.name, s, e))
    return rows, skipped


def _row_json(r: PlanRow) -> dict:
    return {"residency_id": r.residency.id, "department_id": r.department.id, "post": r.post,
            "starts_on": r.starts_on.isoformat(), "ends_on": r.ends_on.isoformat()}


def save_proposal(tenant, cohort: str, *, actor, roles) -> RotationPlan:
    """Run the planner and keep its rows as a proposal to preview; an older proposal for the
    same cohort is discarded."""
    cohort = (cohort or "").strip()[:9]
    if not cohort:
        raise FieldError("请选择届别", "cohort")
    rows, _skipped = propose(cohort)
    if not rows:
        raise FieldError(f"{cohort} 届的驻会执行主席都已有轮岗安排", "cohort")
    for old in db.session.scalars(sa.select(RotationPlan).where(RotationPlan.cohort == cohort,
                                                                RotationPlan.status == PlanStatus.proposed)):
        PLAN.apply(old, "discard", actor=actor, roles=roles, note="已重新生成方案")
    residencies = {r.residency.id: r.residency for r in rows}
    months = int(next(iter(residencies.values())).rule("residency.rotation_period_months"))
    plan = RotationPlan(tenant_id=tenant.id, cohort=cohort, status=PlanStatus.proposed, period_months=months,
                        rows=[_row_json(r) for r in rows], proposed_by_id=getattr(actor, "id", None))
    db.session.add(plan)
    db.session.flush()
    audit.record("rotation.plan_proposed", "rotation_plan", plan.id, actor=actor, article="A12",
                 after={"cohort": cohort, "rows": len(rows), "period_months": months})
    return plan


def plan_rows(plan: RotationPlan) -> list[PlanRow]:
    """The proposal's rows with their residencies and departments (for the preview)."""
    res_ids = {r["residency_id"] for r in plan.rows}
    dept_ids = {r["department_id"] for r in plan.rows}
    res = {r.id: r for r in db.session.scalars(sa.select(Residency).where(Residency.id.in_(res_ids)))}
    depts = {d.id: d for d in db.session.scalars(sa.select(Department).where(Department.id.in_(dept_ids)))}
    out = []
    for r in plan.rows:
        if r["residency_id"] in res and r["department_id"] in depts:
            out.append(PlanRow(res[r["residency_id"]], depts[r["department_id"]], r["post"],
                               dt.date.fromisoformat(r["starts_on"]), dt.date.fromisoformat(r["ends_on"])))
    return out


def accept(plan: RotationPlan, *, actor, roles) -> list[RotationSegment]:
    """Accept a proposal: its segments are made in this transaction, once (a second accept finds
    the plan accepted and makes nothing). Every row is checked again first (a chair given a
    segment since, a department deactivated since): a failing row refuses the whole plan."""
    if plan.status != PlanStatus.proposed:  # said first; the compare-and-set below still decides
        raise Conflict(f"该轮岗方案{PLAN.label(plan.status)}，未重复生成轮岗阶段", code="bad_state")
    rows = plan_rows(plan)
    if len(rows) != len(plan.rows):
        raise Conflict("方案中的驻会执行主席或部门已不存在，请重新生成方案")
    existing = segments_of({r.residency.id for r in rows})
    pending: dict[int, list] = {}
    for r in rows:
        if r.residency.status in ENDED:
            raise Conflict(f"{r.residency.chair.name}的驻会已结束，请重新生成方案")
        _check(r.residency, department_id=r.department.id, post=r.post, starts_on=r.starts_on, ends_on=r.ends_on,
               deviation_reason="按轮岗方案" if deviates(r.residency, r.starts_on, r.ends_on) else None,
               others=existing[r.residency.id] + pending.get(r.residency.id, []))
        pending.setdefault(r.residency.id, []).append(_Probe(None, r.starts_on, r.ends_on, r.department))
    PLAN.apply(plan, "accept", actor=actor, roles=roles)
    plan.decided_by_id = getattr(actor, "id", None)
    made = []
    for r in rows:
        reason = None
        if deviates(r.residency, r.starts_on, r.ends_on):
            reason = f"按轮岗方案（第 {plan.id} 号）安排"
        seg = RotationSegment(tenant_id=plan.tenant_id, residency_id=r.residency.id, department_id=r.department.id,
                              post=r.post, starts_on=r.starts_on, ends_on=r.ends_on,
                              head_user_id=r.department.head_user_id, deviation_reason=reason,
                              created_by_id=getattr(actor, "id", None))
        db.session.add(seg)
        made.append(seg)
    db.session.flush()
    for seg in made:
        audit.record("rotation.segment_added", "residency", seg.residency_id, actor=actor, article="A12",
                     after={"segment_id": seg.id, "plan_id": plan.id, **_segment_json(seg)})
    return made


def get_plan(plan_id: int) -> RotationPlan | None:
    return db.session.scalar(sa.select(RotationPlan).where(RotationPlan.id == plan_id))


def latest_plan(cohort: str) -> RotationPlan | None:
    return db.session.scalar(sa.select(RotationPlan).where(RotationPlan.cohort == cohort)
                             .order_by(RotationPlan.id.desc()).limit(1))


# --- the department head's reach ---------------------------------------------------------------

def head_residency_ids(user_id: int):
    """The residencies a head may see: chairs who are or were in a segment the head owes talks
    in, or in a department the head now heads (a subquery, for lists and counts alike)."""
    return (sa.select(RotationSegment.residency_id)
            .join(Department, Department.id == RotationSegment.department_id)
            .where(sa.or_(RotationSegment.head_user_id == user_id, Department.head_user_id == user_id)))


def heads_segment(seg: RotationSegment, user_id) -> bool:
    return user_id is not None and user_id in (seg.head_user_id, seg.department.head_user_id)


def talk_stretches(res: Residency, segs) -> tuple[tuple[dt.date, dt.date], ...] | None:
    """A9 under ``residency.talk_segments``: the stretches the talks fall due in (None: the
    whole term, as before any plan is recorded)."""
    mode = res.rule("residency.talk_segments")
    if mode == "term" or not segs:
        return None
    return tuple((s.starts_on, s.ends_on) for s in segs
                 if mode == "all_posts" or s.department.kind == DepartmentKind.department)


def check_talk_recorder(res: Residency, actor, occurred_on: dt.date | None) -> None:
    """A9: a talk is held by the head of the department the chair works in on that day (the
    segment covering the date). Before any segment is recorded, any department head may."""
    if occurred_on is None:
        return
    segs = history(res)
    if not segs:
        return
    seg = covering(segs, occurred_on)
    uid = getattr(actor, "id", None)
    name = res.chair.name
    if seg is None:
        raise FieldError(f"{occurred_on.isoformat()} {name}不在任何轮岗阶段内，无法确定谈话的部门负责同志", "occurred_on")
    mode = res.rule("residency.talk_segments")
    if mode == "departments" and seg.department.kind == DepartmentKind.secretariat:
        raise FieldError(f"{occurred_on.isoformat()} {name}在「{seg.department.name}」工作，"
                         f"谈心谈话由所在相关部门的负责同志进行（{_cite('A9')}）", "occurred_on")
    if not heads_segment(seg, uid):
        raise FieldError(f"{occurred_on.isoformat()} {name}在「{seg.department.name}」工作，"
                         f"谈心谈话应由该部门的负责同志记录（{_cite('A9')}）", "occurred_on")

