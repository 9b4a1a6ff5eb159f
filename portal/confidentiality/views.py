"""A20 pages under /<tenant>/supervision/: the vault (资料库) and its access log, the pledge
(保密承诺书), the seal register and seal-use requests (用印申请), the term-end handover."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from portal.confidentiality import operations as ops
from portal.confidentiality.models import SEAL_KINDS, HandoverItem, Seal
from portal.core import clock, vault
from portal.core.errors import DomainError, refused
from portal.core.obligations import FieldError
from portal.core.once import once
from portal.core.permissions import require_roles
from portal.extensions import db
from tenants.models import Role

bp = Blueprint("confidentiality", __name__, url_prefix="/<tenant>/supervision", template_folder="templates")

STAFF = (Role.secretariat_admin, Role.secretariat_staff)
MEMBERS = (Role.secretariat_admin, Role.secretariat_staff, Role.department_head, Role.approver, Role.chair)
SEAL_ROLES = (Role.secretariat_admin, Role.secretariat_staff, Role.department_head, Role.approver, Role.chair)


def _user():
    return current_user._get_current_object()


def _roles():
    return g.get("roles", frozenset())


def _refused(exc: DomainError, endpoint: str, **kw):
    return refused(exc, url_for(endpoint, **kw), raise_for=())


def _date(value, field):
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise FieldError("日期格式应为 YYYY-MM-DD", field) from None


def _gate():
    """A chair who has not signed the pledge is sent to it; a chair whose residency ended: 404."""
    why = ops.gate(_user(), _roles())
    if why == "pledge":
        flash("请先阅读并签署保密承诺书，签署后方可进入资料库（第二十条）", "info")
        return redirect(url_for("confidentiality.pledge"), 303)
    if why == "revoked":
        abort(404)
    return None


# --- the vault ------------------------------------------------------------------------------------

@bp.route("/vault/")
@require_roles(*MEMBERS)
def vault_index():
    if (r := _gate()) is not None:
        return r
    level = request.args.get("level") or None
    if level not in vault.CLASSIFICATION_LABELS:
        level = None
    files = ops.materials(_user(), _roles(), classification=level)
    return render_template("confidentiality/vault.html", files=files, level=level,
                           levels=vault.CLASSIFICATION_LABELS, roles=ops.ACCESS_ROLES,
                           can_upload=bool(set(map(str, _roles())) & ops.STAFF),
                           can_log=bool(set(map(str, _roles())) & ops.STAFF))


def _access_form(f):
    roles = [r for r in f.getlist("roles") if r]
    users = [u.strip() for u in (f.get("users") or "").replace("，", ",").split(",") if u.strip()]
    return roles, users


@bp.route("/vault/upload", methods=["POST"])
@require_roles(*STAFF)
@once
def vault_upload():
    f = request.form
    upload = request.files.get("file")
    try:
        vault.check_classification(f.get("classification"))  # A20 first: a 秘密 marking is refused as such
        if upload is None or not upload.filename:
            raise FieldError("请选择要上传的文件", "file")
        roles, users = _access_form(f)
        m = ops.upload_material(upload.read(), upload.filename, title=f.get("title"),
                                classification=f.get("classification"), downloadable=f.get("downloadable") == "1",
                                roles=roles, users=users, actor=_user())
    except DomainError as exc:
        return _refused(exc, "confidentiality.vault_index")
    flash(f"已存入资料库：{m.original_name}（{vault.CLASSIFICATION_LABELS[m.classification.value]}）", "success")
    return redirect(url_for("confidentiality.vault_file", file_id=m.id), 303)


@bp.route("/vault/<int:file_id>")
@require_roles(*MEMBERS)
def vault_file(file_id: int):
    if (r := _gate()) is not None:
        return r
    f, _granted = ops.get_material(file_id, _user(), _roles())
    manage = bool(set(map(str, _roles())) & ops.MANAGERS)
    return render_template("confidentiality/file.html", f=f, manage=manage, levels=vault.CLASSIFICATION_LABELS,
                           roles=ops.ACCESS_ROLES,
                           users=", ".join(e.split(":", 1)[1] for e in f.access or () if e.startswith("user:")))


@bp.route("/vault/<int:file_id>/view")
@require_roles(*MEMBERS)
def vault_view(file_id: int):
    if (r := _gate()) is not None:
        return r
    f, granted = ops.get_material(file_id, _user(), _roles())
    return ops.send_material(f, granted, user=_user(), inline=True)


@bp.route("/vault/<int:file_id>/download")
@require_roles(*MEMBERS)
def vault_download(file_id: int):
    if (r := _gate()) is not None:
        return r
    f, granted = ops.get_material(file_id, _user(), _roles())
    try:
        return ops.send_material(f, granted, user=_user(), inline=False)
    except DomainError as exc:
        if exc.code != "view_only":
            raise
        return _refused(exc, "confidentiality.vault_file", file_id=f.id)


@bp.route("/vault/<int:file_id>/access", methods=["POST"])
@require_roles(Role.secretariat_admin)
@once
def vault_access(file_id: int):
    f, _granted = ops.get_material(file_id, _user(), _roles())
    form = request.form
    try:
        roles, users = _access_form(form)
        ops.set_access(f, classification=form.get("classification"), downloadable=form.get("downloadable") == "1",
                       roles=roles, users=users, actor=_user())
    except DomainError as exc:
        return _refused(exc, "confidentiality.vault_file", file_id=file_id)
    flash("已更新密级和访问范围", "success")
    return redirect(url_for("confidentiality.vault_file", file_id=file_id), 303)


@bp.route("/vault/levels", methods=["POST"])
@require_roles(Role.secretariat_admin)
@once
def vault_levels():
    """A20: levels of many materials from a sheet (文件编号, 密级, 允许下载)."""
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise FieldError("请选择要导入的 Excel 文件", "file")
        n = ops.import_levels(upload.read(), actor=_user(), roles=_roles())
    except DomainError as exc:
        return _refused(exc, "confidentiality.vault_index")
    flash(f"已按表格更新 {n} 份资料的密级", "success")
    return redirect(url_for("confidentiality.vault_index"), 303)


def _log_filters(args) -> dict:
    def num(k):
        v = args.get(k, type=int)
        return v if v and v > 0 else None

    return {"file_id": num("file_id"), "user_id": num("user_id"), "before_id": num("before")}


@bp.route("/vault/log")
@require_roles(*STAFF)
def vault_log():
    filters = _log_filters(request.args)
    rows = ops.read_access_log(actor=_user(), roles=_roles(), **filters)
    users = _names({r.user_id for r in rows})
    files = _files({r.file_id for r in rows})
    return render_template("confidentiality/log.html", rows=rows, users=users, files=files, filters=filters,
                           more=len(rows) == ops.LOG_PAGE)


def _names(ids) -> dict:
    from portal.auth.models import User

    ids = {i for i in ids if i}
    return {u.id: u.name for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}


def _files(ids) -> dict:
    ids = {i for i in ids if i}
    return {f.id: f.original_name for f in db.session.scalars(
        sa.select(vault.StoredFile).where(vault.StoredFile.id.in_(ids)))} if ids else {}


ACTION_LABELS = {"view": "查看", "download": "下载", "export": "导出", "log_read": "查阅访问记录"}


@bp.context_processor
def _labels():
    from tenants.models import ROLE_LABELS

    return {"role_labels": {str(k): v for k, v in ROLE_LABELS.items()}, "action_labels": ACTION_LABELS}


@bp.route("/vault/log.xlsx")
@require_roles(*STAFF)
def vault_log_xlsx():
    from portal.documents.render import SheetSpec, content_disposition, write_xlsx

    filters = _log_filters(request.args)
    rows = ops.read_access_log(actor=_user(), roles=_roles(), limit=500, export=True, **filters)
    users, files = _names({r.user_id for r in rows}), _files({r.file_id for r in rows})
    data = write_xlsx([SheetSpec("资料库访问记录", ["编号", "时间（UTC）", "操作", "文件", "人员", "依据", "地址"],
                                 [[r.id, r.at, ACTION_LABELS.get(r.action, r.action), files.get(r.file_id, ""),
                                   users.get(r.user_id, ""), r.granted_by, r.remote_addr or ""] for r in rows])])
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": content_disposition("资料库访问记录.xlsx"),
                             "Cache-Control": "private, no-store"})


# --- the pledge -----------------------------------------------------------------------------------

@bp.route("/pledges/", methods=["GET", "POST"])
@require_roles(*MEMBERS)
@once
def pledge():
    roles = set(map(str, _roles()))
    version, text = ops.pledge_template()
    if request.method == "POST":
        if "chair" not in roles:
            abort(403)
        if request.form.get("agree") != "1":
            flash("请勾选“本人已阅读并承诺遵守”后签署", "error")
            return redirect(url_for("confidentiality.pledge"), 303)
        try:
            ops.sign_pledge(_user(), version=request.form.get("version", ""))
        except DomainError as exc:
            return _refused(exc, "confidentiality.pledge")
        flash("已签署保密承诺书，资料库已向您开放", "success")
        return redirect(url_for("confidentiality.vault_index"), 303)
    signed = ops.current_pledge(_user()) if "chair" in roles else None
    mine = ops.own_pledges(_user()) if "chair" in roles else []
    everyone = db.session.scalars(ops.pledges_query().limit(500)).all() if roles & ops.STAFF else []
    return render_template("confidentiality/pledge.html", version=version, text=text, signed=signed, mine=mine,
                           everyone=everyone, is_chair="chair" in roles)


# --- seals ----------------------------------------------------------------------------------------

@bp.route("/seals/")
@require_roles(*SEAL_ROLES)
def seals():
    roles = set(map(str, _roles()))
    register = db.session.scalars(sa.select(Seal).order_by(Seal.id)).all()
    requests_ = db.session.scalars(ops.seal_requests_query(_user(), _roles()).limit(200)).all()
    approver_roles = set(ops.rule("confidentiality.seal_use_approver_roles"))
    return render_template("confidentiality/seals.html", seals=register, kinds=SEAL_KINDS,
                           handovers=ops.handovers([s.id for s in register]) if roles & ops.STAFF else {},
                           requests=requests_, uses=ops.uses_of([r.id for r in requests_]),
                           is_staff=bool(roles & ops.STAFF), can_decide=bool(roles & approver_roles),
                           today=clock.today())


@bp.route("/seals/new", methods=["POST"])
@require_roles(Role.secretariat_admin)
@once
def seal_new():
    f = request.form
    try:
        ops.register_seal(name=f.get("name"), kind=f.get("kind"), custodian_name=f.get("custodian_name"), actor=_user())
    except DomainError as exc:
        return _refused(exc, "confidentiality.seals")
    flash("已登记印鉴", "success")
    return redirect(url_for("confidentiality.seals"), 303)


@bp.route("/seals/<int:seal_id>/handover", methods=["POST"])
@require_roles(Role.secretariat_admin)
@once
def seal_handover(seal_id: int):
    seal = db.session.scalar(sa.select(Seal).where(Seal.id == seal_id)) or abort(404)
    f = request.form
    try:
        ops.hand_over_seal(seal, to_name=f.get("to_name"), witness=f.get("witness"),
                           handed_on=_date(f.get("handed_on"), "handed_on") or clock.today(), actor=_user())
    except DomainError as exc:
        return _refused(exc, "confidentiality.seals")
    flash("已记录印鉴交接", "success")
    return redirect(url_for("confidentiality.seals"), 303)


@bp.route("/seals/requests", methods=["POST"])
@require_roles(*SEAL_ROLES)
@once
def seal_request_new():
    f = request.form
    try:
        ops.request_seal_use(seal_id=f.get("seal_id", type=int), title=f.get("title"), copies=f.get("copies"),
                             reason=f.get("reason"), actor=_user())
    except DomainError as exc:
        return _refused(exc, "confidentiality.seals")
    flash("已提交用印申请，待审批", "success")
    return redirect(url_for("confidentiality.seals"), 303)


@bp.route("/seals/requests/<int:req_id>/decide", methods=["POST"])
@require_roles(*SEAL_ROLES)
@once
def seal_request_decide(req_id: int):
    req = ops.get_seal_request(req_id, _user(), _roles())
    try:
        ops.decide_seal_request(req, approve=request.form.get("decision") == "approve", actor=_user(),
                                roles=_roles(), note=request.form.get("note"))
    except DomainError as exc:
        return _refused(exc, "confidentiality.seals")
    flash(f"用印申请{req.status_label}", "success")
    return redirect(url_for("confidentiality.seals"), 303)


@bp.route("/seals/requests/<int:req_id>/use", methods=["POST"])
@require_roles(*STAFF)
@once
def seal_request_use(req_id: int):
    req = ops.get_seal_request(req_id, _user(), _roles())
    try:
        ops.record_seal_use(req, copies=request.form.get("copies"),
                            used_on=_date(request.form.get("used_on"), "used_on"), actor=_user())
    except DomainError as exc:
        return _refused(exc, "confidentiality.seals")
    flash("已登记用印", "success")
    return redirect(url_for("confidentiality.seals"), 303)


# --- the term-end handover ------------------------------------------------------------------------

def _residency(res_id: int):
    from portal.residency.views import get_residency

    return get_residency(res_id)


@bp.route("/handover/")
@require_roles(*STAFF, Role.chair)
def handover():
    from portal.residency import operations as rops
    from portal.residency.models import Residency

    roles = set(map(str, _roles()))
    if roles & ops.STAFF:
        residencies = list(db.session.scalars(sa.select(Residency).order_by(Residency.id.desc()).limit(300)))
    else:
        own = rops.own_residency(_user())
        residencies = [own] if own is not None else []
    items: dict[int, list] = {r.id: [] for r in residencies}
    if items:
        for i in db.session.scalars(sa.select(HandoverItem).where(HandoverItem.residency_id.in_(list(items)))
                                    .order_by(HandoverItem.id)):
            items[i.residency_id].append(i)
    return render_template("confidentiality/handover.html", residencies=residencies, items=items,
                           is_staff=bool(roles & ops.STAFF))


@bp.route("/handover/<int:res_id>/items", methods=["POST"])
@require_roles(*STAFF)
@once
def handover_add(res_id: int):
    res = _residency(res_id)
    try:
        if request.form.get("defaults") == "1":
            ops.ensure_checklist(res, actor=_user())
        else:
            ops.add_handover_item(res, title=request.form.get("title"), actor=_user())
    except DomainError as exc:
        return _refused(exc, "confidentiality.handover")
    flash("已更新交接清单", "success")
    return redirect(url_for("confidentiality.handover"), 303)


@bp.route("/handover/items/<int:handover_item_id>/check", methods=["POST"])
@require_roles(*STAFF)
@once
def handover_check(handover_item_id: int):
    item = db.session.scalar(sa.select(HandoverItem).where(HandoverItem.id == handover_item_id)) or abort(404)
    _residency(item.residency_id)
    try:
        ops.check_off(item, actor=_user(), roles=_roles(), note=request.form.get("note"))
    except DomainError as exc:
        return _refused(exc, "confidentiality.handover")
    flash(f"已确认交接：{item.title}", "success")
    return redirect(url_for("confidentiality.handover"), 303)
