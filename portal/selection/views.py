"""Selection pages: parse, check access, call an operation, render (A4-A7)."""
from __future__ import annotations

import datetime as dt
import os
import re
import uuid

import sqlalchemy as sa
from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import clock
from portal.core.errors import DomainError
from portal.core.once import once
from portal.core.redirects import safe_target
from portal.core.permissions import ROLE_STAFF, require_roles
from portal.extensions import db
from portal.reference.models import School
from portal.reference.operations import province_names
from portal.selection import lists  # noqa: F401  (counts cached per cycle are dropped on change)
from portal.selection import operations as ops
from portal.selection import stages, workflow
from portal.selection.access import NominationScope, may_open_cycle_page, scope_for
from portal.selection.models import (
    Chair, CycleStatus, EligibilityCheck, InterviewPanel, Invitation, Nomination, NominationAttachment,
    NominationStatus, Objection, ObjectionStatus, PanelConflict, Panelist, PIPELINE, PublicNotice, ROUTE_LABELS, Review, ReviewLevel, RotationEntry, Route, SelectionCycle,
    STATUS_LABELS,
)
from portal.core.uploads import uploaded_filename
from portal.selection.xlsx import SHEET, build_template, parse_cycle_upload, parse_upload
from tenants.context import membership_for
from tenants.models import Membership, Role

bp = Blueprint("selection", __name__, url_prefix="/<tenant>/selection", template_folder="templates")
PER_PAGE = 50
STAGE_PAGE = 20  # the first page of each stage's own list on the cycle page; the rest on the list
ALL_ROLES = tuple(Role)


def actor():
    return current_user._get_current_object()


def is_staff() -> bool:
    return bool(g.roles & set(ROLE_STAFF))


def get_cycle(cycle_id: int) -> SelectionCycle:
    return db.get_or_404(SelectionCycle, cycle_id)


def scope() -> NominationScope:
    """The viewer's nomination visibility (A6.3): the one rule for pages, lists, counts, exports
    and the API (``portal.selection.access``)."""
    return scope_for(g.memberships)


def liaison_school() -> int | None:
    m = membership_for(Role.school_liaison)
    return m.school_id if m else None


def get_nomination(nom_id: int) -> Nomination:
    nom = db.get_or_404(Nomination, nom_id)
    if not scope().allows(nom):
        abort(404)
    return nom


def get_invitation(inv_id: int, *, write=False) -> Invitation:
    inv = db.get_or_404(Invitation, inv_id)
    if is_staff():
        return inv
    if liaison_school() == inv.school_id:
        return inv
    abort(404)


def _done(msg: str, to: str):
    flash(msg, "success")
    return redirect(to)


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    # Forms: show the Chinese reason on the page we came from; nothing is committed.
    db.session.rollback()
    g._no_commit = True
    back = safe_target(request.referrer)  # a Referer is user-supplied too
    if request.method == "POST" and back and exc.status in (400, 409):
        flash(exc.message, "error")
        return redirect(back), 303
    from portal.core.errors import error_response

    return error_response(exc.status, exc.message, exc.code)


# --- cycles ----------------------------------------------------------------------------------

@bp.route("/")
@require_roles(*ALL_ROLES)
def index():
    cycles = db.session.scalars(sa.select(SelectionCycle).order_by(SelectionCycle.academic_year.desc())).all()
    invitations = []
    school_id = liaison_school()
    if school_id:
        invitations = db.session.scalars(sa.select(Invitation).where(Invitation.school_id == school_id)
                                         .order_by(Invitation.id.desc())).all()
    from tenants.rules.operations import effective_rules

    return render_template("selection/index.html", cycles=cycles, invitations=invitations,
                           default_quota=effective_rules(g.tenant)["selection.default_quota"],
                           next_year=stages.next_free_year((c.academic_year for c in cycles), clock.today()))


@bp.route("/cycles", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def create_cycle():
    f = request.form
    opened = _date(f.get("opened_on")) or clock.today()
    cycle = ops.open_cycle(g.tenant, f.get("academic_year", ""), actor=actor(), quota=f.get("quota") or None,
                           opened_on=opened)
    return _done(_("选拔已创建，规则版本已固定"), url_for("selection.cycle", cycle_id=cycle.id))


def _choice(enum_cls, value, field: str, label: str):
    """A form's choice as its enum member; an unknown value is a clear 400, not a 500."""
    try:
        return enum_cls(value)
    except ValueError:
        allowed = "、".join(m.value for m in enum_cls)
        raise DomainError(f"{label}「{str(value)[:40]}」无效，应为：{allowed}", field=field) from None


def _date(v):
    if not v:
        return None
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        raise DomainError(f"日期格式应为 YYYY-MM-DD，收到「{v}」") from None


@bp.route("/cycles/<int:cycle_id>")
@require_roles(*ALL_ROLES)
def cycle(cycle_id: int):
    """The cycle by stage: the steps with their dates and states, the current stage open with
    the first page of its own list, earlier ones as summaries (counts), and only the actions the
    workflow allows now (``portal.selection.stages``). A constant number of statements, however
    many nominations and letters: every list is a first page, every number a grouped count."""
    c = get_cycle(cycle_id)
    if not may_open_cycle_page(g.roles):
        return redirect(url_for("selection.index"))
    seen = scope()
    staff = is_staff()
    f = ops.funnel(c, seen)
    letters = _letters_summary(c, seen)
    today = clock.today()
    steps = stages.stages(c, f.by_status, g.roles, invitations=letters["total"], unsent=letters["unsent"], today=today)
    shown = {s.key for s in steps if s.current or s.state == "open"}
    provinces = province_names()
    ctx = {}
    if "invitations" in shown:
        invs = db.session.scalars(sa.select(Invitation).where(
            Invitation.cycle_id == c.id, seen.clause(Invitation.school_id))
            .order_by(Invitation.id).limit(PER_PAGE)).all()
        # A6.1: a letter is 送达 once its notification reaches a liaison; schools without one wait
        ctx["invitations"] = invs
        ctx["reachable"] = set(db.session.scalars(sa.select(Membership.school_id).where(
            Membership.role == Role.school_liaison, Membership.active.is_(True),
            Membership.school_id.in_([i.school_id for i in invs])))) if invs else set()
        actions = next(s.actions for s in steps if s.key == "invitations")
        ctx["rotation_due"] = ops.rotation_due(c.rotation_quota, on=c.opened_on) if "invite" in actions else []
        ctx["letters_job"] = ops.letters_job(c) if staff else None
        ctx["invite_job"] = ops.cycle_job(c, ops.INVITE_SCHOOLS) if staff else None
    for key in ("nominations", "review", "exam", "notice"):
        if key in shown:
            ctx[f"{key}_noms"] = ops.stage_nominations(c, seen, stages.statuses(key), per_page=STAGE_PAGE)
    if "decision" in shown or ("exam" in shown and f.by_status.get(NominationStatus.ranked)):
        ctx["ranked"] = ops.stage_nominations(c, seen, stages.statuses("decision") | {NominationStatus.approved},
                                              per_page=PER_PAGE, order="rank")
    # each label translated once, not once per row
    ctx["status_t"] = {k: _(v) for k, v in STATUS_LABELS.items()}
    ctx["route_t"] = {k: _(v) for k, v in ROUTE_LABELS.items()}
    if "exam" in shown and staff:
        ctx["panels"] = db.session.scalars(sa.select(InterviewPanel).where(InterviewPanel.cycle_id == c.id)
                                           .order_by(InterviewPanel.id).limit(PER_PAGE)).all()
        pool = db.session.scalars(sa.select(Panelist).where(Panelist.cycle_id == c.id)
                                  .order_by(Panelist.id).limit(500)).all()
        ctx["pool"] = {p.id: p for p in pool}
        conflicts = db.session.scalars(sa.select(PanelConflict).join(Panelist, Panelist.id == PanelConflict.panelist_id)
                                       .where(Panelist.cycle_id == c.id).order_by(PanelConflict.id)
                                       .limit(PER_PAGE)).all()
        ctx["conflicts"] = conflicts
        ctx["conflict_names"] = dict(db.session.execute(sa.select(Nomination.id, Nomination.name).where(
            Nomination.id.in_([x.nomination_id for x in conflicts]))).all()) if conflicts else {}
    notice = ops.current_notice(c) if ({"notice", "appointment"} & shown or c.status == CycleStatus.closed) else None
    ctx["notice"] = notice
    if notice and staff and {"notice", "appointment"} & shown:
        ctx["objections"] = db.session.scalars(sa.select(Objection).where(Objection.notice_id == notice.id)
                                               .order_by(Objection.status != ObjectionStatus.received, Objection.id)
                                               .limit(PER_PAGE)).all()
    if "decision" in shown:  # A6.5: the consent asked of the approving body (portal.core.approvals)
        ctx["consent"] = ops.consent_request(c)
    if "appointment" in shown or "notice" in shown:
        ctx["chairs"] = db.session.scalars(sa.select(Chair).where(Chair.cycle_id == c.id, seen.clause(Chair.school_id))
                                           .order_by(Chair.id).limit(PER_PAGE)).all()
    return render_template("selection/cycle.html", cycle=c, f=f, letters=letters, steps=steps, shown=shown,
                           provinces=provinces, PIPELINE=PIPELINE, STATUS_LABELS=STATUS_LABELS, today=today,
                           per_page=STAGE_PAGE, **ctx)


def _letters_summary(c: SelectionCycle, seen: NominationScope) -> dict:
    """The letters of the cycle as counts (A6.1), in one grouped statement."""
    def n(cond):
        return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)

    row = db.session.execute(sa.select(
        sa.func.count(Invitation.id), n(Invitation.sent_at.is_(None)), n(Invitation.delivered_at.is_not(None)),
        n(Invitation.acknowledged_at.is_not(None))).where(
        Invitation.cycle_id == c.id, seen.clause(Invitation.school_id))).one()
    total, unsent, delivered, acknowledged = (int(x or 0) for x in row)
    return {"total": total, "unsent": unsent, "sent": total - unsent, "delivered": delivered,
            "acknowledged": acknowledged}


@bp.route("/cycles/<int:cycle_id>/letters")
@require_roles(*ALL_ROLES)
def invitations_list(cycle_id: int):
    """All the cycle's letters, paged (the cycle page shows the first page)."""
    c = get_cycle(cycle_id)
    if not may_open_cycle_page(g.roles):
        return redirect(url_for("selection.index"))
    seen = scope()
    stmt = sa.select(Invitation).where(Invitation.cycle_id == c.id, seen.clause(Invitation.school_id))
    total = _letters_summary(c, seen)["total"]
    page = max(1, request.args.get("page", 1, type=int))
    items = db.session.scalars(stmt.order_by(Invitation.id).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    reachable = set(db.session.scalars(sa.select(Membership.school_id).where(
        Membership.role == Role.school_liaison, Membership.active.is_(True),
        Membership.school_id.in_([i.school_id for i in items])))) if items else set()
    return render_template("selection/letters.html", cycle=c, invitations=items, reachable=reachable,
                           pagination=ops.NominationPage(items, total, page, PER_PAGE))


@bp.route("/cycles/<int:cycle_id>/invitations", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def invite(cycle_id: int):
    c = get_cycle(cycle_id)
    mode = request.form.get("mode")
    route = Route.rotation if mode == "rotation" else _choice(Route, request.form.get("route") or "selection",
                                                              "route", "途径")
    if mode == "rotation":
        ops.ensure_rotation_roster(g.tenant, on=c.opened_on, actor=actor())
        ids = {e.union.school_id for e in ops.rotation_due(c.rotation_quota, on=c.opened_on)}
    elif mode == "province":
        ids = set(db.session.scalars(sa.select(School.id).where(School.province_code == request.form.get("province"))))
    else:
        ids = {int(i) for i in request.form.getlist("school_id") if i.isdigit()}
        codes = [x for x in re.split(r"[\s,，、;；]+", request.form.get("school_codes", "")) if x]
        if codes:
            found = dict(db.session.execute(sa.select(School.code, School.id).where(School.code.in_(codes))).all())
            unknown = [x for x in codes if x not in found]
            if unknown:
                raise DomainError(f"未找到学校代码：{'、'.join(unknown[:10])}", field="school_codes")
            ids |= set(found.values())
    created, job, started = ops.invite_many(c, ids, route, actor=actor())
    if created is not None:
        return _done(_("已添加 %(n)s 所学校", n=len(created)), url_for("selection.cycle", cycle_id=c.id))
    # A6.1: a province's thousands of schools are added by a background job; the page shows it.
    flash(_("正在后台添加 %(n)s 所学校，进度见本页", n=len(ids)) if started
          else _("学校正在后台添加中，未重复提交"), "success" if started else "info")
    return redirect(url_for("selection.cycle", cycle_id=c.id, _anchor="invite-job"))


@bp.route("/invitations/<int:inv_id>/send", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def send_invitation(inv_id: int):
    inv = get_invitation(inv_id)
    if inv.sent_at is not None:
        flash(_("推荐函已发出（%(number)s），未重复发送", number=inv.letter_number), "info")
        return redirect(url_for("selection.cycle", cycle_id=inv.cycle_id))
    ops.send_invitation(inv, actor=actor())
    return _done(_("已向%(school)s发出推荐函（%(number)s）", school=inv.school.name, number=inv.letter_number),
                 url_for("selection.cycle", cycle_id=inv.cycle_id))


@bp.route("/cycles/<int:cycle_id>/send-all", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def send_all(cycle_id: int):
    # A6.1: thousands of letters are a background job; the page answers at once and shows progress.
    c = get_cycle(cycle_id)
    job, started = ops.send_all_invitations(c, actor=actor())
    msg = (_("正在后台发出推荐函，进度见本页") if started
           else _("推荐函正在后台发出中，未重复提交"))
    flash(msg, "success" if started else "info")
    return redirect(url_for("selection.cycle", cycle_id=c.id, _anchor="letters"))


@bp.route("/cycles/<int:cycle_id>/jobs/<int:job_id>")
@require_roles(*ROLE_STAFF)
def job_progress(cycle_id: int, job_id: int):
    """The progress of one of the cycle's background jobs (polled by the cycle page)."""
    from flask import jsonify

    from portal.jobs.models import JobRecord

    c = get_cycle(cycle_id)
    job = db.get_or_404(JobRecord, job_id)
    if job.subject != f"selection_cycle:{c.id}":
        abort(404)
    return jsonify({"id": job.id, "status": job.status.value, "status_label": _(job.status_label),
                    "progress": job.progress, "message": job.message})


@bp.route("/invitations/<int:inv_id>/acknowledge", methods=["POST"])
@require_roles(Role.school_liaison, *ROLE_STAFF)
@once
def acknowledge(inv_id: int):
    inv = get_invitation(inv_id)
    ops.mark_invitation(inv, "acknowledged", actor=actor())
    return _done(_("已确认收到推荐函"), url_for("selection.invitation", inv_id=inv.id))


@bp.route("/invitations/<int:inv_id>/delivery", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def delivery(inv_id: int):
    """A6.1: the letter reached a school without a liaison by fax, post or in person."""
    inv = get_invitation(inv_id)
    f = request.form
    ops.record_manual_delivery(inv, f.get("method", ""), ops.beijing_to_utc(f.get("delivered_at", "")),
                               f.get("handed_by", ""), f.get("received_by", ""), f.get("note"), actor=actor())
    return _done(_("已登记推荐函送达"), url_for("selection.invitation", inv_id=inv.id))


@bp.route("/invitations/<int:inv_id>/letter.<fmt>")
@require_roles(Role.school_liaison, *ROLE_STAFF)
def letter(inv_id: int, fmt: str):
    inv = get_invitation(inv_id)  # staff, or the liaison of the school addressed (A6.1)
    doc_id = {"pdf": inv.pdf_document_id, "docx": inv.docx_document_id}.get(fmt)
    if doc_id is None:
        abort(404)
    from portal.documents.models import GeneratedDocument
    from portal.documents.views import send_document

    doc = db.session.get(GeneratedDocument, doc_id)
    if doc is None:
        abort(404)
    return send_document(doc, grant="selection.letter")  # the school addressed, checked above


@bp.route("/invitations/<int:inv_id>/extra", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def extra(inv_id: int):
    inv = get_invitation(inv_id)
    ops.allow_extra_nominees(inv, request.form.get("extra", 0, type=int), request.form.get("reason", ""), actor=actor())
    return _done(_("已记录增加推荐人数的理由"), url_for("selection.invitation", inv_id=inv.id))


@bp.route("/invitations/<int:inv_id>")
@require_roles(Role.school_liaison, *ROLE_STAFF)
def invitation(inv_id: int):
    inv = get_invitation(inv_id)
    noms = db.session.scalars(sa.select(Nomination).where(Nomination.invitation_id == inv.id).order_by(Nomination.id)).all()
    if inv.opened_at is None and liaison_school() == inv.school_id and inv.sent_at:
        ops.mark_invitation(inv, "opened", actor=actor())
    from portal.documents.models import GeneratedDocument

    ids = [i for i in (inv.pdf_document_id, inv.docx_document_id) if i]
    docs = {d.id: d for d in db.session.scalars(sa.select(GeneratedDocument).where(GeneratedDocument.id.in_(ids)))}
    return render_template("selection/invitation.html", inv=inv, noms=noms, limit=ops.nominee_limit(inv),
                           presidium_warning=ops.presidium_warning(inv.school_id, on=inv.cycle.opened_on),
                           delivery_methods=ops.DELIVERY_METHODS, now_local=clock.now().strftime("%Y-%m-%dT%H:%M"),
                           cycle=inv.cycle, letters=[(fmt, docs.get(i)) for fmt, i in
                                                     (("pdf", inv.pdf_document_id), ("docx", inv.docx_document_id))
                                                     if i])


# --- nominations (A6.2) ----------------------------------------------------------------------

@bp.route("/invitations/<int:inv_id>/nominations/new", methods=["GET", "POST"])
@require_roles(Role.school_liaison, *ROLE_STAFF)
@once
def new_nomination(inv_id: int):
    inv = get_invitation(inv_id)
    errors, data = {}, {}
    if request.method == "POST":
        data = request.form.to_dict()
        cleaner = ops.NomineeCleaner(inv.cycle)
        values, errors = cleaner.clean(data, ops.school_unions(inv.school_id))
        if not errors:
            nom = ops.create_nomination(inv, values, actor=actor())
            _flash_read_as([{"column": ops.LABELS[k], "written": w, "read": v} for k, (w, v) in cleaner.read_as.items()])
            photo = request.files.get("photo")
            if photo and photo.filename:
                ops.store_attachment(nom, "photo", uploaded_filename(photo), photo.read(), actor=actor())
            return _done(_("已保存为草稿，确认无误后请报送"), url_for("selection.nomination", nom_id=nom.id))
        g._no_commit = True
    return render_template("selection/nomination_form.html", inv=inv, errors=errors, data=data,
                           by_key={k: (label, kind, extra) for k, label, kind, extra in ops.FIELDS},
                           sections=ops.FIELD_SECTIONS, optional=ops.OPTIONAL_FIELDS, labels=ops.LABELS,
                           presidium_warning=ops.presidium_warning(inv.school_id, on=inv.cycle.opened_on),
                           unions=[u.kind.value for u in _unions(inv.school_id)]), (400 if errors else 200)


def _unions(school_id):
    from portal.reference.models import StudentUnion

    return db.session.scalars(sa.select(StudentUnion).where(StudentUnion.school_id == school_id)).all()


@bp.route("/invitations/<int:inv_id>/template.xlsx")
@require_roles(Role.school_liaison, *ROLE_STAFF)
def xlsx_template(inv_id: int):
    inv = get_invitation(inv_id)
    from portal.documents.render import content_disposition

    data = build_template(inv, [u.kind.value for u in _unions(inv.school_id)])
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": content_disposition(f"{inv.school.name}-推荐人选模板.xlsx")})


READ_AS_SHOWN = 20


def _flash_read_as(read_as: list[dict]) -> None:
    """Say what was normalised (+86 138 0013 8000 → 13800138000, 党员 → 中共党员), so the school sees
    what was stored."""
    if not read_as:
        return
    items = "；".join(_("%(where)s「%(column)s」%(written)s → %(read)s",
                        where=_("第%(row)s行", row=e["row"]) if e.get("row") else "", column=_(e["column"]),
                        written=e["written"], read=e["read"]) for e in read_as[:READ_AS_SHOWN])
    more = _("（另有 %(n)s 处）", n=len(read_as) - READ_AS_SHOWN) if len(read_as) > READ_AS_SHOWN else ""
    flash(_("以下内容已按规范写法读取：%(items)s%(more)s", items=items, more=more), "info")


def _errors_dir() -> str:
    d = os.path.join(current_app.config["UPLOAD_FOLDER"], "import-errors")
    os.makedirs(d, exist_ok=True)
    return d


@bp.route("/invitations/<int:inv_id>/upload", methods=["POST"])
@require_roles(Role.school_liaison, *ROLE_STAFF)
@once
def upload(inv_id: int):
    inv = get_invitation(inv_id)
    result = upload_nominations(inv)
    if result["errors"]:
        g._no_commit = True
        return render_template("selection/upload_result.html", inv=inv, result=result), 422
    _flash_read_as(result["read_as"])
    return _done(_("已导入 %(n)s 名人选（草稿），原有草稿已替换", n=result["created"]), url_for("selection.invitation", inv_id=inv.id))


def _uploaded_workbook() -> tuple[str, bytes]:
    f = request.files.get("file")
    if f is None or not f.filename:
        raise DomainError("请选择要上传的 .xlsx 文件", code="missing_file")
    return uploaded_filename(f), f.read()


def _file_refused(exc) -> dict:
    return {"errors": [{"row": exc.row, "column": exc.column, "message": exc.message}], "created": 0,
            "error_file": None}


def _rows_refused(data: bytes, errors: list[dict], stem: str) -> dict:
    """Nothing is stored; keep a copy of the file with the errors marked for download."""
    from portal.core.uploads import mark_errors_xlsx

    token = uuid.uuid4().hex
    try:
        marked = mark_errors_xlsx(data, SHEET, [(e["row"], e["column"], e["message"]) for e in errors])
        with open(os.path.join(_errors_dir(), f"{stem}-{token}.xlsx"), "wb") as fh:
            fh.write(marked)
    except Exception:  # the report on the page is enough
        token = None
    return {"errors": errors, "created": 0, "error_file": token}


def _error_file(stem: str, token: str, download_name: str):
    """The error-marked copy ``_rows_refused`` kept under ``stem`` (the tenant and the object, so
    a token never reaches another tenant's or another object's file)."""
    if not re.fullmatch(r"[0-9a-f]{32}", token):
        abort(404)
    path = os.path.join(_errors_dir(), f"{stem}-{token}.xlsx")
    if not os.path.exists(path):
        abort(404)
    return send_file(path, as_attachment=True, download_name=download_name)


def upload_nominations(inv: Invitation) -> dict:
    """Validate every row; store nothing unless the whole file is clean (A6.2)."""
    from portal.core.uploads import UploadError

    _name, data = _uploaded_workbook()
    read_as: list[dict] = []
    try:
        rows, errors = parse_upload(inv, data, read_as)
    except UploadError as exc:
        return _file_refused(exc)
    if errors:
        return _rows_refused(data, errors, f"{inv.tenant_id}-{inv.id}")
    created = ops.replace_drafts(inv, rows, actor=actor())
    return {"errors": [], "created": len(created), "error_file": None, "ids": [n.id for n in created],
            "read_as": read_as}


@bp.route("/invitations/<int:inv_id>/upload-errors/<token>.xlsx")
@require_roles(Role.school_liaison, *ROLE_STAFF)
def upload_errors(inv_id: int, token: str):
    inv = get_invitation(inv_id)
    return _error_file(f"{inv.tenant_id}-{inv.id}", token, "推荐人选-错误标注.xlsx")


@bp.route("/cycles/<int:cycle_id>/nominations/import", methods=["GET", "POST"])
@require_roles(Role.secretariat_admin)
@once
def cycle_import(cycle_id: int):
    c = get_cycle(cycle_id)
    if request.method == "GET":
        return render_template("selection/cycle_import.html", cycle=c, result=None)
    result = import_cycle_workbook(c)
    if result["errors"]:
        g._no_commit = True
        return render_template("selection/cycle_import.html", cycle=c, result=result), 422
    _flash_read_as(result["read_as"])
    return _done(_("已导入 %(n)s 名人选（草稿）", n=result["created"]), url_for("selection.cycle", cycle_id=c.id))


def import_cycle_workbook(c: SelectionCycle) -> dict:
    """The secretariat's workbook for the whole cycle: every row valid or nothing stored (A6.2)."""
    from portal.core.uploads import UploadError

    filename, data = _uploaded_workbook()
    read_as: list[dict] = []
    try:
        rows, errors, extras = parse_cycle_upload(c, data, read_as)
    except UploadError as exc:
        return _file_refused(exc)
    if errors:
        return _rows_refused(data, errors, f"{c.tenant_id}-cycle{c.id}")
    ids = ops.import_cycle_nominations(c, rows, extras, actor=actor(), filename=filename)
    return {"errors": [], "created": len(ids), "error_file": None, "ids": ids, "read_as": read_as}


@bp.route("/cycles/<int:cycle_id>/import-errors/<token>.xlsx")
@require_roles(Role.secretariat_admin)
def cycle_import_errors(cycle_id: int, token: str):
    c = get_cycle(cycle_id)
    return _error_file(f"{c.tenant_id}-cycle{c.id}", token, "推荐人选汇总-错误标注.xlsx")


@bp.route("/cycles/<int:cycle_id>/nominations")
@require_roles(*ALL_ROLES)
def nominations(cycle_id: int):
    c = get_cycle(cycle_id)
    seen = scope()
    if not seen.sees_any:
        abort(403)
    a = request.args
    status = a.get("status") if a.get("status") in NominationStatus.__members__ else None
    stage = a.get("stage") if a.get("stage") in stages.INDEX else None
    if stage and not status:
        status = sorted(stages.statuses(stage))  # one stage's own list (the cycle page links here)
    page = max(1, a.get("page", 1, type=int))
    p = ops.nominations_list(c, scope=seen, status=status, province=a.get("province") or None,
                             route=a.get("route") if a.get("route") in ("rotation", "selection") else None,
                             q=(a.get("q") or "").strip() or None, cursor=a.get("cursor") or None,
                             page=page, per_page=PER_PAGE, with_union=False)
    names = province_names()
    shown = sorted(c for c in names if not seen.is_provincial or c in seen.provinces)
    return render_template("selection/nominations.html", cycle=c, pagination=p, STATUS_LABELS=STATUS_LABELS,
                           stage=stage, stage_label=stages.LABELS.get(stage),
                           status_t={k: _(v) for k, v in STATUS_LABELS.items()},
                           route_t={k: _(v) for k, v in ROUTE_LABELS.items()},
                           provinces=[{"code": code, "name": names[code]} for code in shown])


@bp.route("/nominations/<int:nom_id>")
@require_roles(*ALL_ROLES)
def nomination(nom_id: int):
    nom = get_nomination(nom_id)
    c = get_cycle(nom.cycle_id)
    checks = db.session.scalars(sa.select(EligibilityCheck).where(EligibilityCheck.nomination_id == nom.id)
                                .order_by(EligibilityCheck.item)).all()
    reviews = db.session.scalars(sa.select(Review).where(Review.nomination_id == nom.id)).all()
    atts = db.session.scalars(sa.select(NominationAttachment).where(NominationAttachment.nomination_id == nom.id)).all()
    staff = is_staff()
    return render_template("selection/nomination.html", nom=nom, cycle=c, checks=checks, reviews=reviews,
                           atts=atts, transitions=workflow.offered(nom, g.roles), item_labels=ops.ITEM_LABELS,
                           sheet=ops.score_sheet(nom) if staff else [], rubric=ops.rubric(c),
                           is_liaison=liaison_school() == nom.school_id)


@bp.route("/nominations/<int:nom_id>/submit", methods=["POST"])
@require_roles(Role.school_liaison, *ROLE_STAFF)
@once
def submit(nom_id: int):
    nom = get_nomination(nom_id)
    ops.submit_nomination(nom, actor=actor(), roles=g.roles)
    return _done(_("已报送"), url_for("selection.nomination", nom_id=nom.id))


@bp.route("/nominations/<int:nom_id>/attachments", methods=["POST"])
@require_roles(Role.school_liaison, *ROLE_STAFF)
@once
def add_attachment(nom_id: int):
    nom = get_nomination(nom_id)
    f = request.files.get("file")
    if f is None or not f.filename:
        raise DomainError("请选择文件")
    ops.store_attachment(nom, request.form.get("kind", "evidence"), uploaded_filename(f), f.read(), actor=actor())
    return _done(_("附件已上传"), url_for("selection.nomination", nom_id=nom.id))


@bp.route("/attachments/<int:att_id>")
@require_roles(*ALL_ROLES)
def attachment(att_id: int):
    att = db.get_or_404(NominationAttachment, att_id)
    get_nomination(att.nomination_id)  # which nominations this user sees (portal/selection/access.py)
    from portal.core import vault
    from portal.core.uploads import attachment_filename

    f = db.session.get(vault.StoredFile, att.file_id) if att.file_id else None
    # The vault checks its access list and logs the download; the name follows the content type
    # (rows stored before names were cleaned included).
    return vault.send(f, user=current_user, roles=g.roles,
                      download_name=attachment_filename(att.original_name, att.file_type))


@bp.route("/nominations/<int:nom_id>/transition/<name>", methods=["POST"])
@require_roles(*ALL_ROLES)
@once
def transition(nom_id: int, name: str):
    t = workflow.NOMINATION.generic(name)  # the declared allowlist: anything else is not here
    if t is None:
        abort(404)
    nom = get_nomination(nom_id)
    workflow.apply(nom, name, actor=actor(), roles=g.roles, note=request.form.get("note"))
    done = "已" + t.label  # e.g. 已确认资格条件; en_glossary has each
    return _done(_(done), url_for("selection.nomination", nom_id=nom.id))


@bp.route("/nominations/<int:nom_id>/eligibility", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def eligibility(nom_id: int):
    nom = get_nomination(nom_id)
    ops.run_eligibility(nom, get_cycle(nom.cycle_id), actor=actor())
    return _done(_("已完成自动核查"), url_for("selection.nomination", nom_id=nom.id))


@bp.route("/nominations/<int:nom_id>/attest", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def attest(nom_id: int):
    nom = get_nomination(nom_id)
    ops.attest(nom, request.form.get("item", ""), request.form.get("passed") == "1", request.form.get("evidence", ""),
               actor=actor())
    return _done(_("已记录核实结果"), url_for("selection.nomination", nom_id=nom.id))


@bp.route("/nominations/<int:nom_id>/review", methods=["POST"])
@require_roles(Role.provincial_reviewer, *ROLE_STAFF)
@once
def review(nom_id: int):
    nom = get_nomination(nom_id)
    level = _choice(ReviewLevel, request.form.get("level", "national"), "level", "审查层级")
    ops.sign_review(nom, level, qualified=request.form.get("qualified") == "1", notes=request.form.get("notes", ""),
                    report=request.form.get("report", ""), actor=actor(), memberships=g.memberships)
    return _done(_("已签署审查考察意见"), url_for("selection.nomination", nom_id=nom.id))


@bp.route("/nominations/<int:nom_id>/scores", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def scores(nom_id: int):
    nom = get_nomination(nom_id)
    if request.form.get("exam_score"):
        ops.enter_exam_score(nom, request.form["exam_score"], actor=actor())
    if request.form.get("interview_score"):
        ops.set_interview_score(nom, request.form["interview_score"], actor=actor())
    return _done(_("成绩已录入"), url_for("selection.nomination", nom_id=nom.id))


@bp.route("/nominations/<int:nom_id>/interview-scores", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def interview_scores(nom_id: int):
    nom = get_nomination(nom_id)
    items = ops.rubric(get_cycle(nom.cycle_id))
    scores = {}
    for row in ops.score_sheet(nom):
        if row.recused:
            continue
        values = {label: request.form.get(f"score-{row.panelist.id}-{i}", "").strip() for i, (label, _weight) in enumerate(items)}
        if any(values.values()):  # a panelist's sheet left blank waits for later
            scores[row.panelist.id] = values
    ops.record_interview_scores(nom, scores, actor=actor())
    msg = (_("面试评分已保存，面试成绩已按评委平均计算") if nom.interview_score is not None
           else _("面试评分已保存，尚有评委未评分"))
    return _done(msg, url_for("selection.nomination", nom_id=nom.id))


@bp.route("/nominations/<int:nom_id>/disqualify", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def disqualify(nom_id: int):
    nom = get_nomination(nom_id)
    ops.disqualify(nom, request.form.get("reason", ""), request.form.get("evidence", ""), actor=actor(), roles=g.roles)
    return _done(_("已取消该人选资格，并通知推荐学校"), url_for("selection.nomination", nom_id=nom.id))


# --- exam, decision, notice (A6.4, A6.5) -----------------------------------------------------

@bp.route("/cycles/<int:cycle_id>/panelists", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def add_panelist(cycle_id: int):
    c = get_cycle(cycle_id)
    f = request.form
    if not f.get("name") or not f.get("affiliation"):
        raise DomainError("请填写评委姓名和单位")
    ops.add_panelist(c, name=f["name"], affiliation=f["affiliation"], school_id=f.get("school_id", type=int),
                     province_code=f.get("province_code") or None, actor=actor())
    return _done(_("已加入评委库"), url_for("selection.cycle", cycle_id=c.id))


@bp.route("/cycles/<int:cycle_id>/conflicts", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def declare_conflict(cycle_id: int):
    c = get_cycle(cycle_id)
    panelist = db.session.scalar(sa.select(Panelist).where(
        Panelist.id == (request.form.get("panelist_id", type=int) or 0), Panelist.cycle_id == c.id))
    nom = db.session.scalar(sa.select(Nomination).where(
        Nomination.id == (request.form.get("nomination_id", type=int) or 0), Nomination.cycle_id == c.id))
    if panelist is None or nom is None:
        raise DomainError("请选择本次选拔的评委和人选")
    ops.declare_conflict(panelist, nom, request.form.get("reason", ""), actor=actor())
    return _done(_("已记录%(panelist)s对%(nominee)s的回避申报", panelist=panelist.name, nominee=nom.name), url_for("selection.cycle", cycle_id=c.id))


@bp.route("/cycles/<int:cycle_id>/panels", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def draw_panel(cycle_id: int):
    c = get_cycle(cycle_id)
    noms = db.session.scalars(sa.select(Nomination).where(Nomination.cycle_id == c.id,
                                                          Nomination.status == NominationStatus.reviewed,
                                                          Nomination.panel_id.is_(None))).all()
    panel = ops.draw_panel(c, request.form.get("name") or "面试组", noms, actor=actor(),
                           seed=(request.form.get("seed") or "").strip() or None)
    return _done(_("已抽取评委（随机种子 %(seed)s）", seed=panel.draw_seed), url_for("selection.cycle", cycle_id=c.id))


@bp.route("/cycles/<int:cycle_id>/rank", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def rank(cycle_id: int):
    c = get_cycle(cycle_id)
    ranked = ops.rank_cycle(c, actor=actor(), roles=g.roles)
    return _done(_("已计算 %(n)s 名人选的综合成绩和排名", n=len(ranked)), url_for("selection.cycle", cycle_id=c.id))


@bp.route("/cycles/<int:cycle_id>/propose", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def propose(cycle_id: int):
    c = get_cycle(cycle_id)
    ops.propose(c, request.form.getlist("nomination_id"), actor=actor(), roles=g.roles)
    return _done(_("已提交拟任人选，待审批"), url_for("selection.cycle", cycle_id=c.id))


@bp.route("/cycles/<int:cycle_id>/decide", methods=["POST"])
@require_roles(Role.approver)
@once
def decide(cycle_id: int):
    c = get_cycle(cycle_id)
    upload = request.files.get("scan")
    scan = (uploaded_filename(upload), upload.read()) if upload is not None and upload.filename else None
    ops.decide(c, request.form.get("approved") == "1", request.form.get("note"), actor=actor(), roles=g.roles,
               document_number=request.form.get("document_number"),
               decision_date=_date(request.form.get("decision_date")), scan=scan)
    return _done(_("审批意见已记录"), url_for("selection.cycle", cycle_id=c.id))


@bp.route("/cycles/<int:cycle_id>/notice", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def open_notice(cycle_id: int):
    c = get_cycle(cycle_id)
    n = ops.open_notice(c, actor=actor(), roles=g.roles, starts_on=_date(request.form.get("starts_on")))
    return _done(_("公示已发布，至%(date)s结束", date=f"{n.ends_on:%Y年%m月%d日}"), url_for("selection.cycle", cycle_id=c.id))


@bp.route("/objections/<int:obj_id>/resolve", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def resolve(obj_id: int):
    o = db.get_or_404(Objection, obj_id)
    ops.resolve_objection(o, request.form.get("upheld") == "1", request.form.get("outcome", ""), actor=actor())
    notice = db.session.get(PublicNotice, o.notice_id)
    return _done(_("异议核查结论已记录"), url_for("selection.cycle", cycle_id=notice.cycle_id))


@bp.route("/cycles/<int:cycle_id>/confirm", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def confirm(cycle_id: int):
    c = get_cycle(cycle_id)
    chairs = ops.confirm_appointments(c, actor=actor(), roles=g.roles, term_start=_date(request.form.get("term_start")))
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Nomination).where(
        Nomination.cycle_id == c.id, Nomination.status == NominationStatus.publicized))
    if waiting:  # A6.5: their own notice is still running, or its objections are not settled
        flash(_("另有 %(n)s 名人选的公示期尚未届满或异议尚未处理，暂不任用", n=waiting), "info")
    return _done(_("已确认任用 %(n)s 名驻会执行主席", n=len(chairs)), url_for("selection.cycle", cycle_id=c.id))


@bp.route("/cycles/<int:cycle_id>/export", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def export(cycle_id: int):
    """The cycle's XLSX export is a documents job: the page answers at once, the file is written
    in the background with progress (streamed, memory flat) and listed on the documents page."""
    c = get_cycle(cycle_id)
    from portal.selection import documents as docs
    from portal.selection.outbox import request_document

    doc = request_document(g.tenant.id, kind=docs.EXPORT_KIND, fmt="xlsx",
                           builder="portal.selection.documents.nominations_export",
                           params={"cycle_id": c.id, "scope": docs.scope_params(scope())},
                           filename=f"{c.title}-推荐人选与成绩.xlsx", requested_by=actor())
    flash(_("正在后台生成「%(name)s」，进度见文件列表，完成后可下载", name=doc.filename), "success")
    return redirect(url_for("documents.index")), 303


# --- rotation roster (A4) --------------------------------------------------------------------

def get_entry(entry_id: int) -> RotationEntry:
    return db.get_or_404(RotationEntry, entry_id)


@bp.route("/rotation")
@require_roles(*ROLE_STAFF)
def rotation():
    roster = ops.rotation_roster()
    latest = db.session.scalar(sa.select(SelectionCycle).order_by(SelectionCycle.academic_year.desc()).limit(1))
    on = latest.opened_on if latest else clock.today()
    due = {e.id for e in ops.rotation_due(latest.rotation_quota, on=on)} if latest else set()
    from portal.reference.models import PresidiumMembership

    members = db.session.scalars(sa.select(PresidiumMembership).where(
        PresidiumMembership.union_id.in_([e.union_id for e in roster]))).all()
    current = {m.union_id for m in members if m.valid_on(on)}
    return render_template("selection/rotation.html", roster=roster, due=due, current=current, latest=latest,
                           on=on, provinces=province_names())


@bp.route("/rotation/sync", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def rotation_sync():
    added = ops.ensure_rotation_roster(g.tenant, on=clock.today(), actor=actor())
    return _done(_("已将 %(n)s 个主席团成员团体补入轮值名册", n=len(added)), url_for("selection.rotation"))


@bp.route("/rotation/<int:entry_id>/move", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def rotation_move(entry_id: int):
    e = ops.move_rotation_entry(get_entry(entry_id), request.form.get("direction", ""), actor=actor())
    return _done(_("已调整%(name)s的轮值顺序", name=e.union.name), url_for("selection.rotation"))


@bp.route("/rotation/<int:entry_id>/served", methods=["POST"])
@require_roles(*ROLE_STAFF)
@once
def rotation_served(entry_id: int):
    e = get_entry(entry_id)
    year = request.form.get("academic_year", "")
    if request.form.get("action") == "remove":
        ops.unmark_rotation_served(e, year, actor=actor())
        return _done(_("已删除%(name)s的 %(year)s 学年轮值记录", name=e.union.name, year=year.strip()), url_for("selection.rotation"))
    ops.mark_rotation_served(e, year, actor=actor(), note=request.form.get("note") or None)
    return _done(_("已记录%(name)s于 %(year)s 学年轮值", name=e.union.name, year=year.strip()), url_for("selection.rotation"))
