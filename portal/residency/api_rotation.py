"""JSON for A12 and A13 under /api/v1/<tenant>/residency/...: departments, rotation plans and
segments, working groups, and the department head's desk (thin: schema in, operation, schema out)."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from flask import abort, g, jsonify
from flask_login import current_user

from portal.api.schemas import Body, Id, Out, operation, text
from portal.core import clock
from portal.core.permissions import require_roles
from portal.extensions import db
from portal.residency import groups as wg
from portal.residency import operations as ops
from portal.residency import rotation
from portal.residency.api import api_bp
from portal.residency.views import get_residency
from tenants.models import Role

STAFF_ROLES = (Role.secretariat_admin, Role.secretariat_staff)


def _actor():
    return current_user._get_current_object()


def _roles():
    return g.get("roles", frozenset())


# --- departments ---------------------------------------------------------------------------------

class ResidencyDepartmentIn(Body):
    name: text(max_len=60)
    kind: Literal["secretariat", "department"] = "department"
    head_user_id: Id | None = None
    sort: int = 0


class ResidencyDepartmentActiveIn(Body):
    active: bool


class ResidencyDepartmentOut(Out):
    id: int
    name: str
    kind: str
    head_user_id: int | None = None
    head_name: str | None = None
    active: bool
    sort: int


class ResidencyDepartmentList(Out):
    items: list[ResidencyDepartmentOut]


def department_json(d) -> dict:
    return {"id": d.id, "name": d.name, "kind": d.kind.value, "head_user_id": d.head_user_id,
            "head_name": d.head.name if d.head else None, "active": d.active, "sort": d.sort}


def _department(dept_id: int):
    d = rotation.get_department(dept_id)
    if d is None:
        abort(404)
    return d


@api_bp.get("/departments")
@require_roles(*STAFF_ROLES)
@operation(responses={200: ResidencyDepartmentList})
def api_departments():
    """秘书处和相关部门及其负责同志（A12）"""
    return jsonify({"items": [department_json(d) for d in rotation.departments()]})


@api_bp.post("/departments")
@require_roles(Role.secretariat_admin)
@operation(body=ResidencyDepartmentIn, responses={201: ResidencyDepartmentOut})
def api_add_department(body: ResidencyDepartmentIn):
    """添加部门（A12）"""
    d = rotation.add_department(g.tenant, name=body.name, kind=body.kind, head_user_id=body.head_user_id,
                                sort=body.sort, actor=_actor())
    return jsonify(department_json(d)), 201


@api_bp.put("/departments/<int:dept_id>")
@require_roles(Role.secretariat_admin)
@operation(body=ResidencyDepartmentIn, responses={200: ResidencyDepartmentOut})
def api_edit_department(dept_id: int, body: ResidencyDepartmentIn):
    """修改部门（A12）"""
    d = rotation.change_department(_department(dept_id), name=body.name, kind=body.kind,
                                   head_user_id=body.head_user_id, sort=body.sort, actor=_actor())
    return jsonify(department_json(d))


@api_bp.post("/departments/<int:dept_id>/active")
@require_roles(Role.secretariat_admin)
@operation(body=ResidencyDepartmentActiveIn, responses={200: ResidencyDepartmentOut})
def api_department_active(dept_id: int, body: ResidencyDepartmentActiveIn):
    """停用或恢复部门（A12）"""
    d = rotation.set_department_active(_department(dept_id), body.active, actor=_actor(), roles=_roles())
    return jsonify(department_json(d))


# --- rotation -----------------------------------------------------------------------------------

class RotationSegmentIn(Body):
    department_id: Id
    post: text(max_len=60) | None = None
    starts_on: dt.date
    ends_on: dt.date
    deviation_reason: text(max_len=2000) | None = None


class RotationSegmentEndIn(Body):
    ends_on: dt.date
    deviation_reason: text(max_len=2000) | None = None


class RotationSegmentOut(Out):
    id: int
    residency_id: int
    department_id: int
    department: str
    kind: str
    post: str
    starts_on: dt.date
    ends_on: dt.date
    head_user_id: int | None = None
    deviation_reason: str | None = None


class ChairPostHistoryOut(Out):
    residency_id: int
    name: str
    current_post: str | None = None
    segments: list[RotationSegmentOut]


class CohortRotationOut(Out):
    cohort: str | None = None
    period_months: int | None = None
    chairs: list[ChairPostHistoryOut]
    plan_id: int | None = None
    plan_status: str | None = None


class CohortQuery(Body):
    cohort: text(max_len=9) | None = None


class RotationPlanIn(Body):
    cohort: text(max_len=9)


class RotationPlanRowOut(Out):
    residency_id: int
    department_id: int
    post: str
    starts_on: dt.date
    ends_on: dt.date


class RotationPlanOut(Out):
    id: int
    cohort: str
    status: str
    period_months: int
    rows: list[RotationPlanRowOut]


def segment_json(s) -> dict:
    return {"id": s.id, "residency_id": s.residency_id, "department_id": s.department_id,
            "department": s.department.name, "kind": s.department.kind.value, "post": s.post,
            "starts_on": s.starts_on.isoformat(), "ends_on": s.ends_on.isoformat(), "head_user_id": s.head_user_id,
            "deviation_reason": s.deviation_reason}


def plan_json(p) -> dict:
    return {"id": p.id, "cohort": p.cohort, "status": p.status.value, "period_months": p.period_months,
            "rows": p.rows}


@api_bp.get("/rotation")
@require_roles(*STAFF_ROLES)
@operation(query=CohortQuery, responses={200: CohortRotationOut})
def api_rotation(query: CohortQuery):
    """一届驻会执行主席的轮岗安排（A12）"""
    cohorts = ops.cohorts()
    cohort = query.cohort if query.cohort in cohorts else (cohorts[0] if cohorts else None)
    residencies = list(db.session.scalars(ops.roster_query(cohort=cohort))) if cohort else []
    segs = rotation.segments_of([r.id for r in residencies])
    today = clock.today()
    plan = rotation.latest_plan(cohort) if cohort else None
    return jsonify({"cohort": cohort,
                    "period_months": int(residencies[0].rule("residency.rotation_period_months")) if residencies
                    else None,
                    "chairs": [{"residency_id": r.id, "name": r.chair.name,
                                "current_post": rotation.current_post(r, segs[r.id], today),
                                "segments": [segment_json(s) for s in segs[r.id]]} for r in residencies],
                    "plan_id": plan.id if plan else None, "plan_status": plan.status.value if plan else None})


@api_bp.post("/rotation/plans")
@require_roles(*STAFF_ROLES)
@operation(body=RotationPlanIn, responses={201: RotationPlanOut})
def api_propose(body: RotationPlanIn):
    """生成轮岗方案（预览，尚未采用）（A12）"""
    return jsonify(plan_json(rotation.save_proposal(g.tenant, body.cohort, actor=_actor(), roles=_roles()))), 201


def _plan(plan_id: int):
    p = rotation.get_plan(plan_id)
    if p is None:
        abort(404)
    return p


@api_bp.get("/rotation/plans/<int:plan_id>")
@require_roles(*STAFF_ROLES)
@operation(responses={200: RotationPlanOut})
def api_plan(plan_id: int):
    """轮岗方案（A12）"""
    return jsonify(plan_json(_plan(plan_id)))


@api_bp.post("/rotation/plans/<int:plan_id>/accept")
@require_roles(*STAFF_ROLES)
@operation(responses={200: RotationPlanOut})
def api_accept(plan_id: int):
    """采用轮岗方案：生成各轮岗阶段（只生效一次）（A12）"""
    p = _plan(plan_id)
    rotation.accept(p, actor=_actor(), roles=_roles())
    return jsonify(plan_json(p))


@api_bp.get("/residencies/<int:res_id>/segments")
@require_roles(*STAFF_ROLES, Role.department_head, Role.chair)
@operation(responses={200: ChairPostHistoryOut})
def api_segments(res_id: int):
    """一名驻会执行主席的岗位经历（A12）"""
    res = get_residency(res_id)
    segs = rotation.history(res)
    return jsonify({"residency_id": res.id, "name": res.chair.name, "current_post": rotation.current_post(res, segs),
                    "segments": [segment_json(s) for s in segs]})


@api_bp.post("/residencies/<int:res_id>/segments")
@require_roles(*STAFF_ROLES)
@operation(body=RotationSegmentIn, responses={201: RotationSegmentOut})
def api_add_segment(res_id: int, body: RotationSegmentIn):
    """新增轮岗阶段（A12）"""
    seg = rotation.add_segment(get_residency(res_id), department_id=body.department_id, post=body.post,
                               starts_on=body.starts_on, ends_on=body.ends_on,
                               deviation_reason=body.deviation_reason, actor=_actor())
    return jsonify(segment_json(seg)), 201


def _segment(seg_id: int):
    seg = rotation.get_segment(seg_id)
    if seg is None:
        abort(404)
    get_residency(seg.residency_id)
    return seg


@api_bp.put("/segments/<int:seg_id>")
@require_roles(*STAFF_ROLES)
@operation(body=RotationSegmentIn, responses={200: RotationSegmentOut})
def api_change_segment(seg_id: int, body: RotationSegmentIn):
    """修改轮岗阶段（已开始的阶段不能改部门和开始日期）（A12）"""
    seg = rotation.change_segment(_segment(seg_id), department_id=body.department_id, post=body.post,
                                  starts_on=body.starts_on, ends_on=body.ends_on,
                                  deviation_reason=body.deviation_reason, actor=_actor())
    return jsonify(segment_json(seg))


@api_bp.post("/segments/<int:seg_id>/end")
@require_roles(*STAFF_ROLES)
@operation(body=RotationSegmentEndIn, responses={200: RotationSegmentOut})
def api_end_segment(seg_id: int, body: RotationSegmentEndIn):
    """提前结束轮岗阶段（A12）"""
    seg = rotation.end_segment(_segment(seg_id), ends_on=body.ends_on, deviation_reason=body.deviation_reason,
                               actor=_actor())
    return jsonify(segment_json(seg))


@api_bp.delete("/segments/<int:seg_id>")
@require_roles(*STAFF_ROLES)
@operation(responses={204: None})
def api_remove_segment(seg_id: int):
    """删除尚未开始的轮岗阶段（A12）"""
    rotation.remove_segment(_segment(seg_id), actor=_actor())
    return "", 204


# --- working groups (A13) --------------------------------------------------------------------------

class WorkingGroupLeadsIn(Body):
    residency_ids: list[Id]


class WorkingGroupMembersIn(Body):
    union_ids: list[Id]


class WorkingGroupActivityIn(Body):
    held_on: dt.date
    title: text(max_len=200)
    outcome: text(max_len=20000)
    union_ids: list[Id] = []


class WorkingGroupActivityOut(Out):
    id: int
    held_on: dt.date
    title: str
    outcome: str
    union_ids: list[int]


class WorkingGroupOut(Out):
    id: int
    cohort: str
    name: str
    lead_residency_ids: list[int]
    leads: list[str]
    member_union_ids: list[int]
    members: list[str]
    activities: list[WorkingGroupActivityOut]


class WorkingGroupList(Out):
    cohort: str | None = None
    items: list[WorkingGroupOut]


def activity_json(a) -> dict:
    return {"id": a.id, "held_on": a.held_on.isoformat(), "title": a.title, "outcome": a.outcome,
            "union_ids": [p.union_id for p in a.participants]}


def group_json(grp, acts) -> dict:
    return {"id": grp.id, "cohort": grp.cohort, "name": grp.name,
            "lead_residency_ids": [lead.residency_id for lead in grp.leads],
            "leads": [lead.residency.chair.name for lead in grp.leads],
            "member_union_ids": [m.union_id for m in grp.members], "members": [m.union.name for m in grp.members],
            "activities": [activity_json(a) for a in acts]}


def _one_group(grp):
    """One group's answer, with its activities (the single-group endpoints)."""
    return jsonify(group_json(grp, wg.activities_of([grp.id])[grp.id]))


@api_bp.get("/groups")
@require_roles(*STAFF_ROLES)
@operation(query=CohortQuery, responses={200: WorkingGroupList})
def api_groups(query: CohortQuery):
    """一届的工作小组：牵头的驻会执行主席、成员单位、活动（A13）"""
    cohorts = ops.cohorts()
    cohort = query.cohort if query.cohort in cohorts else (cohorts[0] if cohorts else None)
    found = wg.ensure_groups(g.tenant, cohort) if cohort else []
    acts = wg.activities_of([x.id for x in found])
    return jsonify({"cohort": cohort, "items": [group_json(x, acts[x.id]) for x in found]})


def _group(group_id: int):
    grp = wg.get_group(group_id)
    if grp is None:
        abort(404)
    return grp


@api_bp.get("/groups/<int:group_id>")
@require_roles(*STAFF_ROLES)
@operation(responses={200: WorkingGroupOut})
def api_group(group_id: int):
    """一个工作小组（A13）"""
    grp = _group(group_id)
    return _one_group(grp)


@api_bp.put("/groups/<int:group_id>/leads")
@require_roles(*STAFF_ROLES)
@operation(body=WorkingGroupLeadsIn, responses={200: WorkingGroupOut})
def api_group_leads(group_id: int, body: WorkingGroupLeadsIn):
    """设定牵头的驻会执行主席（A13）"""
    grp = wg.set_leads(_group(group_id), body.residency_ids, actor=_actor())
    return _one_group(grp)


@api_bp.put("/groups/<int:group_id>/members")
@require_roles(*STAFF_ROLES)
@operation(body=WorkingGroupMembersIn, responses={200: WorkingGroupOut})
def api_group_members(group_id: int, body: WorkingGroupMembersIn):
    """设定小组成员单位（从主席团成员团体中选择）（A13）"""
    grp = wg.set_members(_group(group_id), body.union_ids, actor=_actor())
    return _one_group(grp)


@api_bp.post("/groups/<int:group_id>/activities")
@require_roles(*STAFF_ROLES)
@operation(body=WorkingGroupActivityIn, responses={201: WorkingGroupActivityOut})
def api_group_activity(group_id: int, body: WorkingGroupActivityIn):
    """记录小组活动（A13）"""
    a = wg.record_activity(_group(group_id), held_on=body.held_on, title=body.title, outcome=body.outcome,
                           union_ids=body.union_ids, actor=_actor())
    return jsonify(activity_json(a)), 201


# --- the department head's desk --------------------------------------------------------------------

class HeadDeskChairOut(Out):
    residency_id: int
    name: str
    department: str
    post: str
    starts_on: dt.date
    ends_on: dt.date


class HeadDeskTalkOut(Out):
    residency_id: int
    name: str
    department: str
    start: dt.date
    end: dt.date
    due: dt.date | None = None
    state: str


class HeadDeskOut(Out):
    current: list[HeadDeskChairOut]
    talks_due: list[HeadDeskTalkOut]
    to_confirm: list[int]


@api_bp.get("/department")
@require_roles(Role.department_head)
@operation(responses={200: HeadDeskOut})
def api_desk():
    """部门工作台：本部门驻会执行主席、应进行的谈心谈话、待确认的记录（A9、A12）"""
    from portal.residency.desk import desk

    d = desk(_actor())
    return jsonify({
        "current": [{"residency_id": r.id, "name": r.chair.name, "department": s.department.name, "post": s.post,
                     "starts_on": s.starts_on.isoformat(), "ends_on": s.ends_on.isoformat()} for r, s in d.current],
        "talks_due": [{"residency_id": t.residency.id, "name": t.residency.chair.name,
                       "department": t.segment.department.name, "start": t.period.start.isoformat(),
                       "end": t.period.end.isoformat(), "due": t.period.due.isoformat() if t.period.due else None,
                       "state": t.period.state} for t in d.talks_due],
        "to_confirm": [rec.id for _r, rec in d.to_confirm]})
