"""Chapter 5 pages: cases (A18 removal, A21 discipline) and outside activities (A19)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import clock
from portal.core.delivery import DELIVERY_METHODS, beijing_to_utc
from portal.core.errors import DomainError, refused
from portal.core.obligations import FieldError
from portal.core.once import once
from portal.core.permissions import require_roles
from portal.extensions import db
from portal.residency.models import Residency, ResidencyStatus
from portal.supervision import operations as ops
from portal.supervision.models import (ACTIVITY_ARTEFACTS, ACTIVITY_KIND_LABELS, Activity, SupervisionCase,
                                       SupervisionFile)
from portal.supervision.workflow import ACTIVITY, machine_for
from tenants.models import Role

bp = Blueprint("supervision", __name__, url_prefix="/<tenant>/supervision", template_folder="templates")

STAFF = (Role.secretariat_admin, Role.secretariat_staff)
VIEWERS = (*STAFF, Role.department_head, Role.approver, Role.chair)
PER_PAGE = 50


def _user():
    return current_user._get_current_object()


def _roles():
    return g.get("roles", frozenset())


def _is_staff() -> bool:
    return bool(set(map(str, _roles())) & {"secretariat_admin", "secretariat_staff"})


def get_case(case_id: int) -> SupervisionCase:
    """A case this viewer may see; another chair's (or another tenant's) is a 404."""
    case = ops.get_case(case_id, _user(), _roles())
    if case is None:
        abort(404)
    return case


def get_activity(activity_id: int) -> Activity:
    act = db.session.scalar(ops.visible_activities(_user(), _roles()).where(Activity.id == activity_id))
    if act is None:
        abort(404)
    return act


def get_residency(res_id) -> Residency:
    ok = str(res_id).isdigit() and 0 < int(res_id) < 2**31
    res = db.session.scalar(sa.select(Residency).where(Residency.id == int(res_id))) if ok else None
    if res is None:
        raise FieldError("请选择驻会执行主席", "residency_id")
    return res


def date_arg(value, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise FieldError(f"日期格式应为 YYYY-MM-DD，收到「{str(value)[:20]}」", field) from None


def uploads(name: str):
    return [(f.filename, f.read()) for f in request.files.getlist(name) if f is not None and f.filename]


def _refused(exc: DomainError, back: str):
    return refused(exc, back, raise_for=(403, 404))


def _case_back(case) -> str:
    return url_for("supervision.case", case_id=case.id)


# --- cases ------------------------------------------------------------------------------------

@bp.route("/")
@require_roles(*VIEWERS)
def index():
    page = db.paginate(ops.visible_cases(_user(), _roles()), page=max(1, request.args.get("page", 1, type=int)),
                       per_page=PER_PAGE, error_out=False)
    chairs = list(db.session.scalars(sa.select(Residency).where(Residency.status == ResidencyStatus.in_residence)
                                     .order_by(Residency.id))) if _is_staff() else []
    return render_template("supervision/index.html", pagination=page, chairs=chairs, is_staff=_is_staff(),
                           grounds=list(ops.rule(g.tenant.id, "supervision.removal_grounds")),
                           measures=list(ops.rule(g.tenant.id, "supervision.disciplinary_measures")))


@bp.route("/cases", methods=["POST"])
@require_roles(*STAFF)
@once
def open_case():
    f = request.form
    try:
        res = get_residency(f.get("residency_id"))
        case = ops.open_case(res, f.get("kind", ""), actor=_user(), title=f.get("title"), facts=f.get("facts"),
                             ground=f.get("ground"), occurred_on=date_arg(f.get("occurred_on"), "occurred_on"),
                             evidence=uploads("evidence"))
    except DomainError as exc:
        return _refused(exc, url_for("supervision.index"))
    flash(f"已立案：{case.title}", "success")
    return redirect(_case_back(case), 303)


@bp.route("/cases/<int:case_id>")
@require_roles(*VIEWERS)
def case(case_id: int):
    c = get_case(case_id)
    from portal.core.approvals import ApprovalRequest

    req = db.session.get(ApprovalRequest, c.approval_request_id) if c.approval_request_id else None
    mine = ops.roles_toward(c.residency, _user(), _roles())
    offered = {t.name for t in machine_for(c).allowed(c, mine)}
    return render_template("supervision/case.html", case=c, req=req, files=ops.files_of(case_id=c.id),
                           offered=offered, mine=mine, is_staff=_is_staff(), delivery_methods=DELIVERY_METHODS,
                           measures=list(ops.rule(c.tenant_id, "supervision.disciplinary_measures")),
                           now_local=clock.now().strftime("%Y-%m-%dT%H:%M"), today=clock.today())


def _case_step(case_id: int, do, done: str):
    c = get_case(case_id)
    try:
        do(c)
    except DomainError as exc:
        return _refused(exc, _case_back(c))
    flash(done, "success")
    return redirect(_case_back(c), 303)


@bp.route("/cases/<int:case_id>/hear", methods=["POST"])
@require_roles(*STAFF)
@once
def hear(case_id: int):
    return _case_step(case_id, lambda c: ops.hear(c, actor=_user(), roles=_roles()), "已告知本人并开始申辩期")


@bp.route("/cases/<int:case_id>/statement", methods=["POST"])
@require_roles(Role.chair)
@once
def statement(case_id: int):
    return _case_step(case_id, lambda c: ops.file_statement(c, actor=_user(), roles=_roles(),
                                                            statement=request.form.get("statement"),
                                                            files=uploads("files")), "已提交申辩")


@bp.route("/cases/<int:case_id>/close-hearing", methods=["POST"])
@require_roles(*STAFF)
@once
def close_hearing(case_id: int):
    return _case_step(case_id, lambda c: ops.close_hearing(c, actor=_user(), roles=_roles()), "申辩期已结束")


@bp.route("/cases/<int:case_id>/evidence", methods=["POST"])
@require_roles(*STAFF)
@once
def evidence(case_id: int):
    return _case_step(case_id, lambda c: ops.add_evidence(c, uploads("evidence"), actor=_user()), "已补充证据材料")


@bp.route("/cases/<int:case_id>/request-approval", methods=["POST"])
@require_roles(*STAFF)
@once
def request_approval(case_id: int):
    return _case_step(case_id, lambda c: ops.request_approval(c, actor=_user(), roles=_roles()), "已报请审批机关审批")


@bp.route("/cases/<int:case_id>/notice", methods=["POST"])
@require_roles(*STAFF)
@once
def notice(case_id: int):
    return _case_step(case_id, lambda c: ops.send_notice(c, actor=_user()), "已通报派出学校党委")


@bp.route("/cases/<int:case_id>/delivery", methods=["POST"])
@require_roles(*STAFF)
@once
def delivery(case_id: int):
    f = request.form
    return _case_step(case_id, lambda c: ops.record_manual_delivery(
        c, f.get("method", ""), beijing_to_utc(f.get("delivered_at", "")), f.get("handed_by", ""),
        f.get("received_by", ""), f.get("note"), actor=_user()), "已登记通报送达")


@bp.route("/cases/<int:case_id>/measure", methods=["POST"])
@require_roles(*STAFF)
@once
def measure(case_id: int):
    f = request.form
    return _case_step(case_id, lambda c: ops.decide_measure(c, actor=_user(), roles=_roles(),
                                                            measure=f.get("measure", ""), reason=f.get("reason")),
                      "已作出处置")


@bp.route("/cases/<int:case_id>/self-criticism", methods=["POST"])
@require_roles(Role.chair)
@once
def self_criticism(case_id: int):
    return _case_step(case_id, lambda c: ops.file_self_criticism(c, actor=_user(), roles=_roles(),
                                                                 files=uploads("files")), "已提交检讨书")


@bp.route("/cases/<int:case_id>/self-criticism/review", methods=["POST"])
@require_roles(*STAFF)
@once
def review_self_criticism(case_id: int):
    f = request.form
    return _case_step(case_id, lambda c: ops.review_self_criticism(c, f.get("decision") == "accept", actor=_user(),
                                                                   roles=_roles(), note=f.get("note")),
                      "已处理检讨书")


@bp.route("/cases/<int:case_id>/withdraw", methods=["POST"])
@require_roles(*STAFF)
@once
def withdraw(case_id: int):
    return _case_step(case_id, lambda c: ops.withdraw(c, actor=_user(), roles=_roles(),
                                                      reason=request.form.get("reason", "")), "已撤销立案")


@bp.route("/files/<int:file_id>")
@require_roles(*VIEWERS)
def file(file_id: int):
    """A case's or an activity's file, for whoever may see its case or activity (logged by the vault)."""
    from portal.core import vault

    row = db.session.scalar(sa.select(SupervisionFile).where(SupervisionFile.id == file_id))
    if row is None:
        abort(404)
    if row.case_id is not None:
        get_case(row.case_id)
    else:
        get_activity(row.activity_id)
    return vault.send(row.file, user=current_user, roles=_roles(), grant="supervision.file")


@bp.route("/cases/<int:case_id>/notice.<fmt>")
@require_roles(*STAFF, Role.school_liaison, Role.chair, Role.approver, Role.department_head)
def notice_document(case_id: int, fmt: str):
    """The notice: for whoever sees the case, and for the liaison of the school it is addressed to."""
    from portal.documents.models import GeneratedDocument
    from portal.documents.views import send_document
    from tenants.context import membership_for

    c = ops.get_case(case_id, _user(), _roles())
    if c is None:
        m = membership_for(Role.school_liaison)
        c = db.session.scalar(sa.select(SupervisionCase).where(SupervisionCase.id == case_id))
        if c is None or m is None or c.residency.school_id != m.school_id or c.notice_sent_at is None:
            abort(404)
    doc_id = {"pdf": c.notice_pdf_document_id, "docx": c.notice_docx_document_id}.get(fmt)
    doc = db.session.get(GeneratedDocument, doc_id) if doc_id else None
    if doc is None:
        abort(404)
    return send_document(doc, grant="supervision.notice")


# --- outside activities (A19) -------------------------------------------------------------------

@bp.route("/activities")
@require_roles(*VIEWERS)
def activities():
    from portal.residency.operations import own_residency

    page = db.paginate(ops.visible_activities(_user(), _roles()), page=max(1, request.args.get("page", 1, type=int)),
                       per_page=PER_PAGE, error_out=False)
    res = own_residency(_user()) if Role.chair in _roles() else None
    register = list(db.session.scalars(ops.register_query().where(
        Activity.id.in_(ops.visible_activities(_user(), _roles()).with_only_columns(Activity.id))).limit(200)))
    chairs = list(db.session.scalars(sa.select(Residency).where(Residency.status == ResidencyStatus.in_residence)
                                     .order_by(Residency.id))) if _is_staff() else []
    return render_template("supervision/activities.html", pagination=page, res=res, register=register,
                           declaration=ops.declaration_of(res) if res else None,
                           declaration_text=ops.declaration_text(g.tenant.id), kinds=ACTIVITY_KIND_LABELS,
                           artefacts=ACTIVITY_ARTEFACTS, chairs=chairs, is_staff=_is_staff(),
                           lead=ops.rule(g.tenant.id, "supervision.activity_lead_workdays"))


@bp.route("/declaration", methods=["POST"])
@require_roles(Role.chair)
@once
def declaration():
    from portal.residency.operations import own_residency

    res = own_residency(_user())
    if res is None:
        abort(404)
    try:
        ops.sign_declaration(res, actor=_user(), roles=_roles())
    except DomainError as exc:
        return _refused(exc, url_for("supervision.activities"))
    flash("已签署承诺书", "success")
    return redirect(url_for("supervision.activities"), 303)


@bp.route("/activities", methods=["POST"])
@require_roles(Role.chair)
@once
def request_activity():
    from portal.residency.operations import own_residency

    res = own_residency(_user())
    if res is None:
        abort(404)
    f = request.form
    try:
        act = ops.request_activity(res, actor=_user(), roles=_roles(), kind=f.get("kind", ""),
                                   capacity=f.get("capacity", ""), title=f.get("title"), organizer=f.get("organizer"),
                                   outlet=f.get("outlet"), description=f.get("description"),
                                   event_date=date_arg(f.get("event_date"), "event_date"),
                                   exchange=f.get("exchange") in ("1", "on", "true"), artefacts=uploads("artefacts"))
    except DomainError as exc:
        return _refused(exc, url_for("supervision.activities"))
    flash(f"已提交报批：{act.title}", "success")
    return redirect(url_for("supervision.activity", activity_id=act.id), 303)


@bp.route("/activities/unapproved", methods=["POST"])
@require_roles(*STAFF)
@once
def report_unapproved():
    f = request.form
    try:
        res = get_residency(f.get("residency_id"))
        _act, case = ops.report_unapproved(res, actor=_user(), kind=f.get("kind", ""), title=f.get("title"),
                                           event_date=date_arg(f.get("event_date"), "event_date"),
                                           facts=f.get("facts"), organizer=f.get("organizer"),
                                           capacity=f.get("capacity") or "chair", evidence=uploads("evidence"))
    except DomainError as exc:
        return _refused(exc, url_for("supervision.activities"))
    flash("已登记未经批准的活动，并立案处置", "success")
    return redirect(_case_back(case), 303)


@bp.route("/activities/<int:activity_id>")
@require_roles(*VIEWERS)
def activity(activity_id: int):
    act = get_activity(activity_id)
    mine = ops.roles_toward(act.residency, _user(), _roles())
    return render_template("supervision/activity.html", act=act, files=ops.files_of(activity_id=act.id),
                           may_decide=ops.may_decide(act, _roles()) and act.status.value == "pending",
                           offered={t.name for t in ACTIVITY.allowed(act, mine)}, today=clock.today())


@bp.route("/activities/<int:activity_id>/decide", methods=["POST"])
@require_roles(*STAFF, Role.approver)
@once
def decide_activity(activity_id: int):
    act = get_activity(activity_id)
    try:
        ops.decide_activity(act, request.form.get("decision") == "approve", actor=_user(), roles=_roles(),
                            note=request.form.get("note"))
    except DomainError as exc:
        return _refused(exc, url_for("supervision.activity", activity_id=act.id))
    flash(f"状态已更新为「{act.status_label}」", "success")
    return redirect(url_for("supervision.activity", activity_id=act.id), 303)


@bp.route("/activities/<int:activity_id>/outcome", methods=["POST"])
@require_roles(Role.chair)
@once
def outcome(activity_id: int):
    act = get_activity(activity_id)
    report = uploads("report")
    try:
        ops.file_outcome(act, actor=_user(), roles=_roles(), link=request.form.get("link"),
                         note=request.form.get("note"), clippings=uploads("clippings"),
                         report=report[0] if report else None)
    except DomainError as exc:
        return _refused(exc, url_for("supervision.activity", activity_id=act.id))
    flash("已报备活动结果", "success")
    return redirect(url_for("supervision.activity", activity_id=act.id), 303)


__all__ = ["bp"]
