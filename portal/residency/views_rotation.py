"""Chapter 3 pages for A12 and A13: departments, the rotation plan and segments, the working
groups, and the department head's desk (on the residency blueprint)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from portal.core import clock
from portal.core.errors import DomainError, refused
from portal.core.once import once
from portal.core.permissions import require_roles
from portal.extensions import db
from portal.residency import groups as wg
from portal.residency import operations as ops
from portal.residency import rotation
from portal.residency.models import PLAN_STATUS_LABELS, Residency, ResidencyStatus
from portal.residency.views import _date, _roles, _user, bp, get_residency
from tenants.models import Role

STAFF_ROLES = (Role.secretariat_admin, Role.secretariat_staff)


def _refuse(exc: DomainError, to: str):
    return refused(exc, to)


# --- departments ---------------------------------------------------------------------------------

@bp.route("/departments")
@require_roles(*STAFF_ROLES)
def departments():
    """A12: the secretariat and the departments chairs work in, with their heads."""
    return render_template("residency/departments.html", departments=rotation.departments(),
                           heads=rotation.department_heads(g.tenant.id), kinds=rotation.KIND_LABELS)


@bp.route("/departments", methods=["POST"])
@require_roles(Role.secretariat_admin)
@once
def add_department():
    f = request.form
    try:
        d = rotation.add_department(g.tenant, name=f.get("name"), kind=f.get("kind"),
                                    head_user_id=f.get("head_user_id"), sort=f.get("sort"), actor=_user())
    except DomainError as exc:
        return _refuse(exc, url_for("residency.departments"))
    flash(f"已添加：{d.name}", "success")
    return redirect(url_for("residency.departments"), 303)


def _department(dept_id: int):
    d = rotation.get_department(dept_id)
    if d is None:
        abort(404)
    return d


@bp.route("/departments/<int:dept_id>", methods=["POST"])
@require_roles(Role.secretariat_admin)
@once
def edit_department(dept_id: int):
    d = _department(dept_id)
    f = request.form
    try:
        rotation.change_department(d, name=f.get("name"), kind=f.get("kind"), head_user_id=f.get("head_user_id"),
                                   sort=f.get("sort"), actor=_user())
    except DomainError as exc:
        return _refuse(exc, url_for("residency.departments"))
    flash(f"已保存：{d.name}", "success")
    return redirect(url_for("residency.departments"), 303)


@bp.route("/departments/<int:dept_id>/active", methods=["POST"])
@require_roles(Role.secretariat_admin)
@once
def department_active(dept_id: int):
    d = _department(dept_id)
    try:
        rotation.set_department_active(d, request.form.get("active") == "1", actor=_user(), roles=_roles())
    except DomainError as exc:
        return _refuse(exc, url_for("residency.departments"))
    flash(f"{d.name}：{'已恢复' if d.active else '已停用'}", "success")
    return redirect(url_for("residency.departments"), 303)


# --- rotation -----------------------------------------------------------------------------------

def _cohort_arg() -> str | None:
    cohorts = ops.cohorts()
    cohort = (request.values.get("cohort") or "").strip()[:9]
    return cohort if cohort in cohorts else (cohorts[0] if cohorts else None)


@bp.route("/rotation")
@require_roles(*STAFF_ROLES)
def rotation_plan():
    """A12: the cohort's rotation, chair by chair (the segments recorded, the proposal waiting)."""
    cohort = _cohort_arg()
    residencies = list(db.session.scalars(ops.roster_query(cohort=cohort))) if cohort else []
    segs = rotation.segments_of([r.id for r in residencies])
    plan = rotation.latest_plan(cohort) if cohort else None
    return render_template("residency/rotation.html", cohort=cohort, cohorts=ops.cohorts(), residencies=residencies,
                           segments=segs, plan=plan, plan_labels=PLAN_STATUS_LABELS, today=clock.today(),
                           departments=rotation.departments(), period=_period(residencies))


def _period(residencies) -> int | None:
    return int(residencies[0].rule("residency.rotation_period_months")) if residencies else None


@bp.route("/rotation/plans", methods=["POST"])
@require_roles(*STAFF_ROLES)
@once
def propose_plan():
    cohort = (request.form.get("cohort") or "").strip()[:9]
    try:
        plan = rotation.save_proposal(g.tenant, cohort, actor=_user(), roles=_roles())
    except DomainError as exc:
        return _refuse(exc, url_for("residency.rotation_plan", cohort=cohort))
    flash("已生成轮岗方案，请核对后采用", "success")
    return redirect(url_for("residency.plan", plan_id=plan.id), 303)


def _plan(plan_id: int):
    plan = rotation.get_plan(plan_id)
    if plan is None:
        abort(404)
    return plan


@bp.route("/rotation/plans/<int:plan_id>")
@require_roles(*STAFF_ROLES)
def plan(plan_id: int):
    p = _plan(plan_id)
    rows = rotation.plan_rows(p)
    by_res: dict[int, list] = {}
    for r in rows:
        by_res.setdefault(r.residency.id, []).append(r)
    return render_template("residency/plan.html", plan=p, by_res=by_res, plan_labels=PLAN_STATUS_LABELS,
                           deviates=rotation.deviates)


@bp.route("/rotation/plans/<int:plan_id>/accept", methods=["POST"])
@require_roles(*STAFF_ROLES)
@once
def accept_plan(plan_id: int):
    p = _plan(plan_id)
    try:
        made = rotation.accept(p, actor=_user(), roles=_roles())
    except DomainError as exc:
        return _refuse(exc, url_for("residency.plan", plan_id=plan_id))
    flash(f"已采用轮岗方案：{len(made)} 个轮岗阶段", "success")
    return redirect(url_for("residency.rotation_plan", cohort=p.cohort), 303)


@bp.route("/rotation/plans/<int:plan_id>/discard", methods=["POST"])
@require_roles(*STAFF_ROLES)
@once
def discard_plan(plan_id: int):
    p = _plan(plan_id)
    try:
        rotation.PLAN.apply(p, "discard", actor=_user(), roles=_roles())
    except DomainError as exc:
        return _refuse(exc, url_for("residency.plan", plan_id=plan_id))
    flash("已作废该方案", "success")
    return redirect(url_for("residency.rotation_plan", cohort=p.cohort), 303)


def _segment(seg_id: int):
    seg = rotation.get_segment(seg_id)
    if seg is None:
        abort(404)
    get_residency(seg.residency_id)
    return seg


def _segment_form(res: Residency, seg=None, status: int = 200):
    return render_template("residency/segment.html", res=res, seg=seg, departments=rotation.departments(True),
                           history=rotation.history(res), today=clock.today(),
                           period=int(res.rule("residency.rotation_period_months")),
                           tolerance=int(res.rule("residency.rotation_tolerance_days"))), status


@bp.route("/<int:res_id>/segments", methods=["GET", "POST"])
@require_roles(*STAFF_ROLES)
@once
def add_segment(res_id: int):
    res = get_residency(res_id)
    if request.method == "GET":
        return _segment_form(res)
    f = request.form
    try:
        rotation.add_segment(res, department_id=f.get("department_id"), post=f.get("post"),
                             starts_on=_date(f.get("starts_on"), "starts_on"),
                             ends_on=_date(f.get("ends_on"), "ends_on"),
                             deviation_reason=f.get("deviation_reason"), actor=_user())
    except DomainError as exc:
        db.session.rollback()
        g._no_commit = True
        if exc.status == 403:
            raise
        flash(exc.message, "error")
        return _segment_form(res, status=422)
    flash("已添加轮岗阶段", "success")
    return redirect(url_for("residency.profile", res_id=res.id), 303)


@bp.route("/segments/<int:seg_id>", methods=["GET", "POST"])
@require_roles(*STAFF_ROLES)
@once
def edit_segment(seg_id: int):
    seg = _segment(seg_id)
    res = seg.residency
    if request.method == "GET":
        return _segment_form(res, seg)
    f = request.form
    try:
        if f.get("action") == "end":
            rotation.end_segment(seg, ends_on=_date(f.get("ends_on"), "ends_on"),
                                 deviation_reason=f.get("deviation_reason"), actor=_user())
        elif f.get("action") == "remove":
            rotation.remove_segment(seg, actor=_user())
        else:
            rotation.change_segment(seg, department_id=f.get("department_id"), post=f.get("post"),
                                    starts_on=_date(f.get("starts_on"), "starts_on"),
                                    ends_on=_date(f.get("ends_on"), "ends_on"),
                                    deviation_reason=f.get("deviation_reason"), actor=_user())
    except DomainError as exc:
        db.session.rollback()
        g._no_commit = True
        if exc.status == 403:
            raise
        flash(exc.message, "error")
        return _segment_form(res, rotation.get_segment(seg_id), status=422)
    flash("已保存轮岗阶段", "success")
    return redirect(url_for("residency.profile", res_id=res.id), 303)


# --- working groups (A13) --------------------------------------------------------------------------

@bp.route("/groups")
@require_roles(*STAFF_ROLES)
def groups():
    cohort = _cohort_arg()
    found = wg.ensure_groups(g.tenant, cohort) if cohort else []
    return render_template("residency/groups.html", cohort=cohort, cohorts=ops.cohorts(), groups=found,
                           activities=wg.activities_of([x.id for x in found]))


def _group(group_id: int):
    grp = wg.get_group(group_id)
    if grp is None:
        abort(404)
    return grp


@bp.route("/groups/<int:group_id>")
@require_roles(*STAFF_ROLES)
def group(group_id: int):
    grp = _group(group_id)
    chairs = list(db.session.scalars(ops.roster_query(cohort=grp.cohort, status=ResidencyStatus.in_residence.value)))
    return render_template("residency/group.html", group=grp, chairs=chairs, unions=wg.presidium_unions(),
                           activities=wg.activities_of([grp.id])[grp.id], today=clock.today())


def _group_post(group_id: int, fn, done: str):
    grp = _group(group_id)
    try:
        fn(grp)
    except DomainError as exc:
        return _refuse(exc, url_for("residency.group", group_id=grp.id))
    flash(done, "success")
    return redirect(url_for("residency.group", group_id=grp.id), 303)


@bp.route("/groups/<int:group_id>/leads", methods=["POST"])
@require_roles(*STAFF_ROLES)
@once
def group_leads(group_id: int):
    return _group_post(group_id, lambda grp: wg.set_leads(grp, request.form.getlist("residency_ids"), actor=_user()),
                       "已保存牵头的驻会执行主席")


@bp.route("/groups/<int:group_id>/members", methods=["POST"])
@require_roles(*STAFF_ROLES)
@once
def group_members(group_id: int):
    return _group_post(group_id, lambda grp: wg.set_members(grp, request.form.getlist("union_ids"), actor=_user()),
                       "已保存小组成员单位")


@bp.route("/groups/<int:group_id>/activities", methods=["POST"])
@require_roles(*STAFF_ROLES)
@once
def group_activity(group_id: int):
    f = request.form
    return _group_post(group_id, lambda grp: wg.record_activity(
        grp, held_on=_date(f.get("held_on"), "held_on"), title=f.get("title"), outcome=f.get("outcome"),
        union_ids=f.getlist("union_ids"), actor=_user()), "已记录小组活动")


# --- the department head's desk ----------------------------------------------------------------------

@bp.route("/department")
@require_roles(Role.department_head)
def head_desk():
    """A9/A12: the head's chairs now in the department, the talks due, records to confirm."""
    from portal.residency.desk import desk

    today = clock.today()
    return render_template("residency/desk.html", desk=desk(_user(), today), today=today)
