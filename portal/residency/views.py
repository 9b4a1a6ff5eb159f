"""Chapter 3 pages: the roster (驻会执行主席名册), each chair's profile, 我的驻会, records."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import (Blueprint, Response, abort, flash, g, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user

from portal.core import clock, obligations
from portal.core.errors import DomainError, refused
from portal.core.once import once
from portal.core.permissions import require_roles
from portal.extensions import db
from portal.reference.models import Province
from portal.residency import operations as ops
from portal.residency.models import STATUS_LABELS, Residency
from tenants.models import Role

bp = Blueprint("residency", __name__, url_prefix="/<tenant>/residency", template_folder="templates")

ROSTER_ROLES = (Role.secretariat_admin, Role.secretariat_staff, Role.department_head)
VIEW_ROLES = (*ROSTER_ROLES, Role.chair)
PER_PAGE = 100


def _user():
    return current_user._get_current_object()


def _roles():
    return g.get("roles", frozenset())


def get_residency(res_id: int) -> Residency:
    """A residency of this tenant the viewer may see: staff and department heads any, a chair
    only their own (404 otherwise: another chair's record is not confirmed to exist)."""
    res = db.session.scalar(sa.select(Residency).where(Residency.id == res_id))
    if res is None or not ops.may_view(res, _user(), _roles()):
        abort(404)
    return res


def roster_scope() -> dict:
    """A department head sees only the chairs who are or were in the head's departments (A9,
    A12): the list, its count and the export alike; staff see every chair."""
    roles = set(map(str, _roles()))
    if roles & set(ops.STAFF):
        return {}
    return {"head_user_id": getattr(_user(), "id", None) or 0}


def roster_filters(args) -> dict:
    status = args.get("status") or None
    if status and status not in STATUS_LABELS:
        status = None
    province = (args.get("province") or "").strip()[:2] or None
    cohort = (args.get("cohort") or "").strip()[:9] or None
    return {"cohort": cohort, "status": status, "province": province}


@bp.route("/")
@require_roles(*ROSTER_ROLES)
def roster():
    filters = roster_filters(request.args)
    stmt = ops.roster_query(**filters, **roster_scope()).options(ops.snapshot_deferred())
    page = db.paginate(stmt, page=max(1, request.args.get("page", 1, type=int)), per_page=PER_PAGE, error_out=False)
    rows = ops.roster(list(page.items))
    provinces = db.session.scalars(sa.select(Province).order_by(Province.code)).all()
    return render_template("residency/roster.html", rows=rows, pagination=page, filters=filters,
                           cohorts=ops.cohorts(), provinces=provinces, statuses=STATUS_LABELS,
                           today=clock.today())


ROSTER_HEADERS = ["届别", "姓名", "学校", "省份", "岗位", "工作小组", "任期开始", "任期结束", "状态",
                  "已完成（截至今日应完成）", "应完成", "下一期限", "下一事项", "逾期事项"]


@bp.route("/roster.xlsx")
@require_roles(*ROSTER_ROLES)
def roster_xlsx():
    from portal.documents.render import SheetSpec, content_disposition, write_xlsx

    filters = roster_filters(request.args)
    stmt = ops.roster_query(**filters, **roster_scope()).options(ops.snapshot_deferred())
    rows = [[r.cohort, r.chair.name, r.school.name, r.school.province_code, s.post or "", r.working_group or "",
             r.term_start, r.term_end, r.status_label, s.met, s.required,
             s.next_due[0] if s.next_due else None, s.next_due[1].label if s.next_due else "",
             "；".join(f"{spec.label}（{p.due.isoformat()}）" for spec, p in s.overdue)]
            for s in ops.roster(list(db.session.scalars(stmt))) for r in (s.residency,)]
    data = write_xlsx([SheetSpec("驻会执行主席名册", ROSTER_HEADERS, rows)])
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": content_disposition("驻会执行主席名册.xlsx")})


@bp.route("/me")
@require_roles(Role.chair)
def mine():
    res = ops.own_residency(_user())
    if res is None:
        return render_template("residency/mine.html", res=None, summary=None)
    today = clock.today()
    summary = ops.summarize(res, ops.statuses(res, today), today)
    return render_template("residency/mine.html", res=res, summary=summary, today=today,
                           recordable=_recordable(res), record_status=obligations.RECORD_STATUS_LABELS,
                           **_rotation_view(res, today), **_talk_view(res, summary))


def _rotation_view(res: Residency, today) -> dict:
    """A12 post history and A13 group, for the profile and 我的驻会."""
    from portal.residency import groups as wg
    from portal.residency import rotation

    segs = rotation.history(res)
    return {"segments": segs, "current_post": rotation.current_post(res, segs, today),
            "current_segment": rotation.covering(segs, today), "led_group": wg.led_by(res)}


def _talk_view(res: Residency, summary) -> dict:
    """Which records' content this viewer may not read (A9 talks), and each talk's details."""
    records = [r for st in summary.statuses for r in st.records]
    readers = ops.talk_readers()
    hidden = {r.id for r in records if not ops.may_read(r, res, _user(), readers)}
    return {"hidden": hidden, "talks": ops.talks_by_record(r.id for r in records if r.id not in hidden)}


def _recordable(res: Residency) -> list:
    mine = ops.roles_toward(res, _user(), _roles())
    return [s for s in ops.specs_for(res) if set(s.recorded_by) & mine]


def _reviewable(res: Residency) -> set[str]:
    mine = ops.roles_toward(res, _user(), _roles())
    return {s.key for s in ops.specs_for(res) if set(s.reviewed_by) & mine}


@bp.route("/<int:res_id>")
@require_roles(*VIEW_ROLES)
def profile(res_id: int):
    res = get_residency(res_id)
    today = clock.today()
    summary = ops.summarize(res, ops.statuses(res, today), today)
    return render_template("residency/profile.html", res=res, summary=summary, today=today,
                           recordable=_recordable(res), reviewable=_reviewable(res),
                           groups=list(res.rule("residency.working_groups")),
                           may_manage=bool(set(map(str, _roles())) & set(ops.STAFF)), meetings=ops.meetings_of(res),
                           **_rotation_view(res, today), **_talk_view(res, summary))


def _date(value, field="occurred_on") -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise obligations.FieldError(f"日期格式应为 YYYY-MM-DD，收到「{str(value)[:20]}」", field) from None


def _back_url(res: Residency) -> str:
    if ops.roles_toward(res, _user(), _roles()) == {"chair"}:
        return url_for("residency.mine")
    return url_for("residency.profile", res_id=res.id)


def _back(res: Residency):
    return redirect(_back_url(res), 303)


def _refused(res: Residency, exc: DomainError):
    return refused(exc, _back_url(res))


@bp.route("/<int:res_id>/records", methods=["POST"])
@require_roles(*VIEW_ROLES)
@once
def add_record(res_id: int):
    res = get_residency(res_id)
    f = request.form
    upload = request.files.get("evidence")
    evidence = (upload.filename, upload.read()) if upload is not None and upload.filename else None
    try:
        if f.get("obligation") in ops.DETAILED_KEYS:  # A14 dues and meetings have their own forms
            raise obligations.FieldError("党（团）费和组织生活请在“党团组织关系”中记录", "obligation")
        if f.get("obligation") == ops.TALK_KEY:
            rec = ops.record_talk(res, actor=_user(), roles=_roles(), occurred_on=_date(f.get("occurred_on")),
                                  place=f.get("place"), topic=f.get("topic"), content=f.get("content"),
                                  others_present=f.get("others_present"), follow_up=f.get("follow_up"))
        else:
            rec = ops.record(res, f.get("obligation", ""), actor=_user(), roles=_roles(),
                             occurred_on=_date(f.get("occurred_on")), title=f.get("title"),
                             content=f.get("content"), evidence=evidence)
    except DomainError as exc:
        return _refused(res, exc)
    flash(f"已记录：{rec.title}（{rec.status_label}）", "success")
    return _back(res)


@bp.route("/records/<int:rec_id>/review", methods=["POST"])
@require_roles(*ROSTER_ROLES)
@once
def review_record(rec_id: int):
    rec = ops.get_record(rec_id)
    if rec is None:
        abort(404)
    res = get_residency(rec.subject_id)
    try:
        ops.review(rec, request.form.get("decision") == "accept", actor=_user(), roles=_roles(),
                   note=request.form.get("note"))
    except DomainError as exc:
        return _refused(res, exc)
    flash(f"已{rec.status_label}：{rec.title}", "success")
    return _back(res)


@bp.route("/records/<int:rec_id>/evidence")
@require_roles(*VIEW_ROLES)
def evidence(rec_id: int):
    rec = ops.get_record(rec_id)
    if rec is None or not obligations.has_evidence(rec):
        abort(404)
    res = get_residency(rec.subject_id)  # the viewer may see this chair's record
    if not ops.may_read(rec, res, _user()):
        abort(404)
    if rec.file_id:
        from portal.core import vault

        return vault.send(db.session.get(vault.StoredFile, rec.file_id), user=_user(), roles=g.get("roles", ()),
                          download_name=rec.evidence_name, grant="residency:record")
    mime = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}[rec.evidence_type]
    return send_file(obligations.evidence_path(rec.evidence_stored), mimetype=mime, as_attachment=True,
                     download_name=rec.evidence_name or f"evidence.{rec.evidence_type}")


@bp.route("/<int:res_id>/post", methods=["POST"])
@require_roles(Role.secretariat_admin, Role.secretariat_staff)
@once
def set_post(res_id: int):
    res = get_residency(res_id)
    try:
        ops.set_post(res, post=request.form.get("post"), working_group=request.form.get("working_group"),
                     actor=_user())
    except DomainError as exc:
        return _refused(res, exc)
    flash("已保存岗位和工作小组", "success")
    return _back(res)


@bp.route("/<int:res_id>/end", methods=["POST"])
@require_roles(Role.secretariat_admin)
@once
def end(res_id: int):
    res = get_residency(res_id)
    try:
        ops.end_residency(res, request.form.get("status", ""), ended_on=_date(request.form.get("ended_on"), "ended_on")
                          or clock.today(), reason=request.form.get("reason"), actor=_user())
    except DomainError as exc:
        return _refused(res, exc)
    flash(f"驻会已结束：{res.status_label}", "success")
    return _back(res)


@bp.route("/talk-readers", methods=["POST"])
@require_roles(Role.secretariat_admin)
@once
def add_talk_reader():
    """A9: designate a secretariat officer who may read talk content."""
    from portal.auth.operations import find_user

    user = find_user((request.form.get("email") or "").strip().lower())
    try:
        if user is None:
            raise obligations.FieldError("找不到该邮箱对应的用户", "email")
        ops.designate_talk_reader(g.tenant, user, actor=_user())
    except DomainError as exc:
        return refused(exc, url_for("residency.roster"), raise_for=())
    flash(f"已指定 {user.name} 可查阅谈心谈话内容", "success")
    return redirect(url_for("residency.roster"), 303)


@bp.route("/meetings", methods=["GET", "POST"])
@require_roles(Role.secretariat_admin, Role.secretariat_staff)
@once
def meetings():
    """A9: meetings between the leaders and the chairs (date, place, leaders, chairs present, minutes)."""
    if request.method == "POST":
        f = request.form
        try:
            ops.record_meeting(held_on=_date(f.get("held_on"), "held_on"), place=f.get("place"),
                               leaders=f.get("leaders"), minutes=f.get("minutes"),
                               residency_ids=[int(i) for i in f.getlist("residency_ids") if str(i).isdigit()],
                               actor=_user())
        except DomainError as exc:
            return refused(exc, url_for("residency.meetings"), raise_for=())
        flash("已记录座谈", "success")
        return redirect(url_for("residency.meetings"), 303)
    page = db.paginate(ops.meetings_query(), page=max(1, request.args.get("page", 1, type=int)), per_page=50,
                       error_out=False)
    chairs = list(db.session.scalars(ops.roster_query(status="in_residence")))
    return render_template("residency/meetings.html", pagination=page, chairs=chairs)
