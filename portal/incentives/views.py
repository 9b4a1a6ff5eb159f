"""Chapter 4 pages: allowance rates and runs (A15), beds and welfare (A15), schooling (A16),
the Young Marxist program and the work appraisal (A17)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import clock
from portal.core.delivery import DELIVERY_METHODS
from portal.core.errors import DomainError, refused
from portal.core.obligations import FieldError
from portal.core.once import once
from portal.core.permissions import require_roles
from portal.extensions import db
from portal.incentives.models import AllowanceRun, DEGREE_LEVELS, RunStatus
from portal.incentives.operations import allowance, appraisal, housing, schooling, ymp
from portal.residency import operations as rops
from portal.residency.models import Residency, ResidencyStatus
from tenants.models import Role

bp = Blueprint("incentives", __name__, url_prefix="/<tenant>/incentives", template_folder="templates")

STAFF = (Role.secretariat_admin, Role.secretariat_staff)
VIEW = (*STAFF, Role.department_head, Role.chair)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _user():
    return current_user._get_current_object()


def _roles():
    return g.get("roles", frozenset())


def _date(value, field) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise FieldError(f"日期格式应为 YYYY-MM-DD，收到「{str(value)[:20]}」", field) from None


def get_residency(res_id: int) -> Residency:
    """A chair of this tenant the viewer may see (a chair: only their own; else 404)."""
    res = db.session.scalar(sa.select(Residency).where(Residency.id == res_id))
    if res is None or not rops.may_view(res, _user(), _roles()):
        abort(404)
    return res


def roles_toward(res: Residency) -> set[str]:
    return rops.roles_toward(res, _user(), _roles())


def _refused(exc: DomainError, back: str):
    return refused(exc, back)


def _act(back: str, ok: str, fn):
    try:
        fn()
    except DomainError as exc:
        return _refused(exc, back)
    flash(ok, "success")
    return redirect(back, 303)


def _download(data: bytes, mime: str, name: str) -> Response:
    from portal.documents.render import content_disposition

    return Response(data, mimetype=mime, headers={"Content-Disposition": content_disposition(name)})


# --- overview ------------------------------------------------------------------------------

@bp.route("/")
@require_roles(*STAFF, Role.department_head)
def index():
    runs = list(db.session.scalars(sa.select(AllowanceRun).order_by(AllowanceRun.month.desc(), AllowanceRun.seq)
                                   .limit(60)))
    chairs = list(db.session.scalars(rops.roster_query().limit(500)))
    return render_template("incentives/index.html", runs=runs, chairs=chairs, today=clock.today(),
                           this_month=clock.today().replace(day=1))


# --- rates (A15) ---------------------------------------------------------------------------

@bp.route("/rates", methods=["GET", "POST"])
@require_roles(*STAFF)
@once
def rates():
    back = url_for("incentives.rates")
    if request.method == "POST":
        if Role.secretariat_admin not in _roles():
            abort(403)
        f = request.form
        return _act(back, "已录入补贴标准", lambda: allowance.add_rate(
            g.tenant, effective_on=_date(f.get("effective_on"), "effective_on"), degree_level=f.get("degree_level"),
            monthly_amount=f.get("monthly_amount"), source=f.get("source"), actor=_user()))
    return render_template("incentives/rates.html", own=allowance.own_rates(g.tenant),
                           national=allowance.national_rates(), effective=allowance.effective_rates(g.tenant),
                           levels=DEGREE_LEVELS)


@bp.route("/rates/<int:rate_id>/delete", methods=["POST"])
@require_roles(Role.secretariat_admin)
@once
def delete_rate(rate_id: int):
    return _act(url_for("incentives.rates"), "已删除该补贴标准",
                lambda: allowance.delete_rate(g.tenant, rate_id, actor=_user()))


# --- runs (A15) ----------------------------------------------------------------------------

def _run(run_id: int) -> AllowanceRun:
    run = allowance.get_run(run_id)
    if run is None:
        abort(404)
    return run


@bp.route("/runs", methods=["POST"])
@require_roles(Role.secretariat_admin, Role.secretariat_staff)
@once
def start_run():
    try:
        run = allowance.start_run(g.tenant, request.form.get("month"), actor=_user())
    except DomainError as exc:
        return _refused(exc, url_for("incentives.index"))
    flash(f"{run.month:%Y年%m月}补贴发放表已计算" if run.computed_at else "补贴计算已在后台进行", "success")
    return redirect(url_for("incentives.run", run_id=run.id), 303)


@bp.route("/runs/<int:run_id>")
@require_roles(*STAFF)
def run(run_id: int):
    r = _run(run_id)
    return render_template("incentives/run.html", run=r, lines=allowance.run_lines(r),
                           actions=allowance.RUN.allowed(r, _roles()), RunStatus=RunStatus)


@bp.route("/runs/<int:run_id>/<any(approve, lock, return):action>", methods=["POST"])
@require_roles(Role.secretariat_admin)
@once
def run_action(run_id: int, action: str):
    r = _run(run_id)
    back = url_for("incentives.run", run_id=r.id)
    fn = {"approve": lambda: allowance.approve_run(r, actor=_user(), roles=_roles()),
          "lock": lambda: allowance.lock_run(r, actor=_user(), roles=_roles()),
          "return": lambda: allowance.return_run(r, actor=_user(), roles=_roles(), note=request.form.get("note"))}
    return _act(back, "已更新补贴发放表状态", fn[action])


@bp.route("/runs/<int:run_id>/adjust", methods=["POST"])
@require_roles(Role.secretariat_admin)
@once
def adjust(run_id: int):
    r = _run(run_id)
    try:
        new = allowance.start_adjusting_run(g.tenant, r, actor=_user(), note=request.form.get("note"))
    except DomainError as exc:
        return _refused(exc, url_for("incentives.run", run_id=r.id))
    flash("已创建调整发放", "success")
    return redirect(url_for("incentives.run", run_id=new.id), 303)


@bp.route("/runs/<int:run_id>.xlsx")
@require_roles(*STAFF)
def run_xlsx(run_id: int):
    r = _run(run_id)
    return _download(allowance.export_xlsx(r), XLSX, f"驻会执行主席补贴-{r.month:%Y-%m}-{r.seq}.xlsx")


@bp.route("/runs/<int:run_id>.pdf")
@require_roles(*STAFF)
def run_pdf(run_id: int):
    from portal.documents.render import render_pdf

    r = _run(run_id)
    return _download(render_pdf(allowance.summary_spec(r, g.tenant)), "application/pdf",
                     f"驻会执行主席补贴汇总-{r.month:%Y-%m}-{r.seq}.pdf")


# --- beds (A15) ----------------------------------------------------------------------------

@bp.route("/beds", methods=["GET", "POST"])
@require_roles(*STAFF)
@once
def beds():
    back = url_for("incentives.beds")
    if request.method == "POST":
        f = request.form
        return _act(back, "已登记床位", lambda: housing.add_bed(g.tenant, building=f.get("building"), room=f.get("room"),
                                                            bed=f.get("bed"), actor=_user()))
    on = _date(request.args.get("on"), "on") if request.args.get("on") else clock.today()
    chairs = list(db.session.scalars(sa.select(Residency).where(Residency.status == ResidencyStatus.in_residence)
                                     .order_by(Residency.id)))
    return render_template("incentives/beds.html", occupancy=housing.occupancy(on), on=on, history=housing.history(),
                           chairs=chairs)


@bp.route("/beds/assign", methods=["POST"])
@require_roles(*STAFF)
@once
def assign_bed():
    f = request.form
    back = url_for("incentives.beds")

    def go():
        res = get_residency(int(f.get("residency_id") or 0))
        bed = housing.get_bed(int(f.get("bed_id") or 0))
        if bed is None:
            abort(404)
        housing.assign_bed(res, bed, starts_on=_date(f.get("starts_on"), "starts_on"),
                           ends_on=_date(f.get("ends_on"), "ends_on"), actor=_user())
    return _act(back, "已分配床位", go)


# --- one chair: welfare, schooling, YMP, appraisal -----------------------------------------

@bp.route("/chairs/<int:res_id>")
@require_roles(*VIEW)
def chair(res_id: int):
    res = get_residency(res_id)
    return _chair_page(res)


@bp.route("/me")
@require_roles(Role.chair)
def mine():
    res = rops.own_residency(_user())
    if res is None:
        return render_template("incentives/chair.html", res=None)
    return _chair_page(res)


def _chair_page(res: Residency):
    held = roles_toward(res)
    appr = appraisal.current(res)
    return render_template(
        "incentives/chair.html", res=res, held=held, staff=bool(held & {"secretariat_admin", "secretariat_staff"}),
        beds=housing.assignments_of(res), welfare=housing.welfare_of(res),
        welfare_items=res.rule("incentives.welfare_items"), schooling=schooling.schooling_of(res),
        certificate_block=schooling.certificate_ready(res), ymp=ymp.of(res), ymp_form=ymp.form(res),
        ymp_warnings=ymp.warnings(res), appraisal=appr, versions=appraisal.versions(res),
        departments=appraisal.departments_of(res), missing=appraisal.missing_opinions(appr) if appr else [],
        conclusions=res.rule("incentives.appraisal_conclusions"), sections=appraisal.SECTION_LABELS,
        by_section=appraisal.refs_index(appr) if appr else {}, today=clock.today(),
        term_ended=appraisal.term_ended(res), paid=_paid(res), delivery_methods=DELIVERY_METHODS,
        now_local=clock.now().strftime("%Y-%m-%dT%H:%M"), letter=schooling.letter_of(res))


def _paid(res: Residency):
    from portal.incentives.models import AllowanceLine

    return db.session.execute(
        sa.select(AllowanceRun.month, sa.func.sum(AllowanceLine.amount)).join(AllowanceLine)
        .where(AllowanceLine.residency_id == res.id, AllowanceRun.status == RunStatus.locked)
        .group_by(AllowanceRun.month).order_by(AllowanceRun.month)).all()


def _chair_back(res: Residency) -> str:
    if roles_toward(res) == {"chair"}:
        return url_for("incentives.mine")
    return url_for("incentives.chair", res_id=res.id)


@bp.route("/chairs/<int:res_id>/welfare", methods=["POST"])
@require_roles(*STAFF)
@once
def welfare(res_id: int):
    res = get_residency(res_id)
    f = request.form
    return _act(_chair_back(res), "已登记福利发放", lambda: housing.give_welfare(
        res, item=f.get("item"), given_on=_date(f.get("given_on"), "given_on"), note=f.get("note"), actor=_user()))


@bp.route("/chairs/<int:res_id>/schooling", methods=["POST"])
@require_roles(*STAFF)
@once
def record_schooling(res_id: int):
    res = get_residency(res_id)
    f = request.form
    upload = request.files.get("evidence")
    evidence = (upload.filename, upload.read()) if upload is not None and upload.filename else None
    return _act(_chair_back(res), "已登记休学情况", lambda: schooling.record_schooling(
        res, status=f.get("status", ""), approval_ref=f.get("approval_ref"), evidence=evidence,
        reason=f.get("reason"), actor=_user()))


@bp.route("/chairs/<int:res_id>/<any(suspension_letter, certificate):doc>.<any(docx, pdf):fmt>")
@require_roles(*VIEW)
def schooling_doc(res_id: int, doc: str, fmt: str):
    from portal.documents.templating import render_kind
    from portal.incentives.documents import CERTIFICATE, SUSPENSION_LETTER

    res = get_residency(res_id)
    held = roles_toward(res)
    if doc == "suspension_letter" and not held & {"secretariat_admin", "secretariat_staff"}:
        abort(404)
    try:
        if doc == "suspension_letter":
            ctx, key, label = schooling.suspension_letter_context(res, actor=_user()), SUSPENSION_LETTER, "商请休学函"
        else:
            ctx, key, label = schooling.certificate_context(res, actor=_user()), CERTIFICATE, "驻会证明"
        data = render_kind(res.tenant_id, key, ctx, fmt)
    except DomainError as exc:
        return _refused(exc, _chair_back(res))
    return _download(data, DOCX if fmt == "docx" else "application/pdf", f"{label}-{res.chair.name}.{fmt}")


@bp.route("/chairs/<int:res_id>/schooling/evidence")
@require_roles(*STAFF)
def schooling_evidence(res_id: int):
    from portal.core import vault

    res = get_residency(res_id)
    s = schooling.schooling_of(res)
    if s is None or s.approval_file_id is None:
        abort(404)
    return vault.send(db.session.get(vault.StoredFile, s.approval_file_id), user=_user(), roles=_roles())


@bp.route("/chairs/<int:res_id>/ymp", methods=["POST"])
@require_roles(*STAFF)
@once
def ymp_recommend(res_id: int):
    res = get_residency(res_id)
    return _act(_chair_back(res), "已推荐", lambda: ymp.recommend(res, reason=request.form.get("reason"), actor=_user()))


@bp.route("/chairs/<int:res_id>/ymp/<any(admit, complete):action>", methods=["POST"])
@require_roles(*STAFF)
@once
def ymp_action(res_id: int, action: str):
    res = get_residency(res_id)
    rec = ymp.of(res)
    if rec is None:
        abort(404)
    return _act(_chair_back(res), "已更新培养工程状态", lambda: ymp.advance(rec, action, actor=_user(), roles=_roles()))


@bp.route("/chairs/<int:res_id>/appraisal", methods=["POST"])
@require_roles(*STAFF)
@once
def appraisal_draft(res_id: int):
    res = get_residency(res_id)
    return _act(_chair_back(res), "已根据驻会记录起草工作鉴定", lambda: appraisal.draft(res, actor=_user()))


def _appr(appr_id: int):
    a = appraisal.get(appr_id)
    if a is None:
        abort(404)
    get_residency(a.residency_id)
    return a


@bp.route("/appraisals/<int:appr_id>/<any(summary, opinion, conclude, issue, send, correct):step>", methods=["POST"])
@require_roles(*VIEW)
@once
def appraisal_step(appr_id: int, step: str):
    a = _appr(appr_id)
    res = a.residency
    f = request.form
    held = roles_toward(res)
    fns = {
        "summary": lambda: appraisal.submit_summary(a, f.get("self_summary"), actor=_user(), roles=held),
        "opinion": lambda: appraisal.give_opinion(a, int(f.get("department_id") or 0), f.get("opinion"),
                                                  actor=_user(), roles=held),
        "conclude": lambda: appraisal.conclude(a, f.get("conclusion", ""), f.get("conclusion_note"), actor=_user(),
                                               roles=held),
        "issue": lambda: appraisal.issue(a, actor=_user(), roles=held),
        "send": lambda: appraisal.send(a, actor=_user(), roles=held),
        "correct": lambda: appraisal.correct(a, reason=f.get("reason"), actor=_user()),
    }
    if step == "correct" and Role.secretariat_admin not in _roles():
        abort(403)
    return _act(_chair_back(res), "已保存", fns[step])


@bp.route("/appraisals/<int:appr_id>/delivery", methods=["POST"])
@require_roles(*STAFF)
@once
def appraisal_delivery(appr_id: int):
    """A17: the delivery of the appraisal sent to the school, recorded by hand (传真、邮寄、当面送达)."""
    from portal.core.delivery import beijing_to_utc

    a = _appr(appr_id)
    f = request.form
    return _act(_chair_back(a.residency), "已登记工作鉴定送达", lambda: appraisal.record_manual_delivery(
        a, f.get("method", ""), beijing_to_utc(f.get("delivered_at")), f.get("handed_by", ""),
        f.get("received_by", ""), f.get("note"), actor=_user()))


@bp.route("/appraisals/<int:appr_id>.<any(docx, pdf):fmt>")
@require_roles(*VIEW)
def appraisal_file(appr_id: int, fmt: str):
    from portal.core import vault

    a = _appr(appr_id)
    fid = a.docx_file_id if fmt == "docx" else a.pdf_file_id
    if fid is None:
        abort(404)
    return vault.send(db.session.get(vault.StoredFile, fid), user=_user(), roles=roles_toward(a.residency),
                      grant="incentives.appraisal")
