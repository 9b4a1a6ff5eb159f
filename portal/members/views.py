"""Members page (秘书处管理员): invite, resend, change role, disable; the same in the API."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from portal.api.common import api_blueprint
from portal.api.schemas import Body, Id, InvalidFields, Out, operation, text
from portal.core.errors import DomainError
from portal.core.permissions import ROLE_ADMIN, require_roles
from portal.extensions import db
from portal.members import operations as ops
from portal.members.models import MemberInvitation
from portal.reference.models import Province, School
from portal.core.clock import utc_iso
from tenants.models import ROLE_LABELS, Membership

bp = Blueprint("members", __name__, url_prefix="/<tenant>/members", template_folder="templates")
api_bp = api_blueprint("members_api", __name__, "/api/v1/<tenant>/members")
public_bp = Blueprint("members_public", __name__, url_prefix="/join", template_folder="templates")

PER_PAGE = 50


def _actor():
    return current_user._get_current_object()


def _membership_or_404(membership_id: int) -> Membership:
    m = db.session.scalar(sa.select(Membership).where(Membership.id == membership_id))
    if m is None:
        abort(404)
    return m


def _invitation_or_404(invitation_id: int) -> MemberInvitation:
    inv = db.session.scalar(sa.select(MemberInvitation).where(MemberInvitation.id == invitation_id))
    if inv is None:
        abort(404)
    return inv


def _page(status: int = 200, **extra):
    role, state, q = request.args.get("role") or "", request.args.get("status") or "", (request.args.get("q") or "")
    pagination = db.paginate(ops.members_query(role, state, q.strip()), page=max(1, request.args.get("page", 1, type=int)),
                             per_page=PER_PAGE, error_out=False)
    invitations = ops.latest_invitations(pagination.items)
    ctx = dict(pagination=pagination, invitations=invitations, role=role, status=state, q=q, roles=ops.INVITABLE, ROLE_LABELS=ROLE_LABELS,
               schools=db.session.scalars(sa.select(School).where(School.active.is_(True))
                                          .order_by(School.province_code, School.code)).all(),
               provinces=db.session.scalars(sa.select(Province).order_by(Province.code)).all(),
               without_liaison=ops.schools_without_liaison(), problems=None, form={})
    ctx.update(extra)
    return render_template("members/index.html", **ctx), status


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    db.session.rollback()
    g._no_commit = True
    flash(exc.message, "error")
    return _page(exc.status if exc.status >= 400 else 400, form=request.form.to_dict())


@bp.route("/")
@require_roles(*ROLE_ADMIN)
def index():
    return _page()[0]


@bp.route("/invite", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def invite():
    f = request.form
    who, problems = ops.clean_invitee(f.get("name"), f.get("email"), f.get("role"), f.get("school_id"),
                                      f.get("province_code"))
    if problems:
        g._no_commit = True
        for p in problems:
            flash(p.message, "error")
        return _page(422, form=f.to_dict())
    ops.invite(g.tenant, who, actor=_actor())
    flash(f"已邀请 {who.name}（{who.email}）担任{ROLE_LABELS[who.role]}，邀请邮件已发出", "success")
    return redirect(url_for("members.index")), 303


@bp.route("/liaisons", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def invite_liaisons():
    """The schools without a liaison, each with a name and an email typed beside it."""
    f = request.form
    invitees, problems = [], []
    ids = f.getlist("school_id")[:ops.MAX_IMPORT_ROWS]
    for n, sid in enumerate(ids, start=1):
        name, email = (f.get(f"name_{sid}") or "").strip(), (f.get(f"email_{sid}") or "").strip()
        if not name and not email:
            continue
        who, bad = ops.clean_invitee(name, email, "school_liaison", sid, row=n)
        problems += bad
        if who:
            invitees.append(who)
    if not invitees and not problems:
        flash("请至少为一所学校填写联络员的姓名和邮箱", "error")
        g._no_commit = True
        return _page(422)
    return _invite_all(invitees, problems, f"已邀请 {len(invitees)} 位学校联络员，邀请邮件已发出")


def _invite_all(invitees, problems, done: str):
    """Invite everyone, or (any problem, read or found while inviting) nobody, listing them all."""
    if not problems:
        problems = ops.invite_many(g.tenant, invitees, actor=_actor()).problems
    if problems:
        g._no_commit = True
        return _page(422, problems=problems)
    flash(done, "success")
    return redirect(url_for("members.index")), 303


@bp.route("/import", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def import_file():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择成员名单（.xlsx）", "error")
        g._no_commit = True
        return _page(400)
    invitees, problems = ops.read_invitees(upload.read())
    return _invite_all(invitees, problems, f"已按名单邀请 {len(invitees)} 人，邀请邮件已发出")


@bp.route("/import/template.xlsx")
@require_roles(*ROLE_ADMIN)
def import_template():
    from portal.documents.render import SheetSpec, content_disposition, write_xlsx

    data = write_xlsx([SheetSpec(title=ops.IMPORT_SHEET, headers=ops.IMPORT_HEADERS, rows=ops.template_rows())])
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": content_disposition("成员名单模板.xlsx")})


@bp.route("/<int:membership_id>/role", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def change_role(membership_id: int):
    m = _membership_or_404(membership_id)
    f = request.form
    ops.change_role(m, f.get("role"), actor=_actor(), school_id=f.get("school_id"),
                    province_code=f.get("province_code"))
    flash(f"已将 {m.user.email} 的角色改为{ROLE_LABELS[m.role]}", "success")
    return redirect(url_for("members.index")), 303


@bp.route("/<int:membership_id>/active", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def set_active(membership_id: int):
    m = _membership_or_404(membership_id)
    active = request.form.get("active") == "1"
    ops.set_active(m, active, actor=_actor())
    flash(f"已{'启用' if active else '停用'} {m.user.email} 的{ROLE_LABELS[m.role]}角色", "success")
    return redirect(url_for("members.index")), 303


@bp.route("/invitations/<int:invitation_id>/resend", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def resend(invitation_id: int):
    inv = ops.resend(_invitation_or_404(invitation_id), actor=_actor())
    flash(f"已重新发送邀请给 {inv.user.email}（第 {inv.sent_count} 次），之前的链接已失效", "success")
    return redirect(url_for("members.index")), 303


# --- accepting (no login; the link is the credential) ------------------------------------------


@public_bp.route("/<token>", methods=["GET", "POST"])
def accept(token: str):
    needs = ops.needs_password(token)
    if request.method == "POST":
        if needs and request.form.get("password") != request.form.get("confirm"):
            flash("两次输入的密码不一致", "error")
            return render_template("members/accept.html", needs_password=needs), 400
        try:
            inv, user = ops.accept(token, request.form.get("password"))
        except DomainError as exc:
            db.session.rollback()
            g._no_commit = True
            flash(exc.message, "error")
            return render_template("members/accept.html", needs_password=needs), 400
        if needs:
            login_user(user)
            flash("密码已设置，欢迎使用", "success")
            return redirect(url_for("auth.home")), 303
        flash("已接受邀请，请登录", "success")
        return redirect(url_for("auth.login")), 303
    if needs is None:
        return render_template("members/accept.html", needs_password=None, invalid=True), 404
    return render_template("members/accept.html", needs_password=needs)


# --- API ------------------------------------------------------------------------------------


class InvitationOut(Out):
    id: int
    sent_count: int
    last_sent_at: str
    accepted_at: str | None


class MemberOut(Out):
    id: int
    name: str
    email: str
    role: str
    role_label: str
    school_id: int | None
    province_code: str | None
    active: bool
    invitation: InvitationOut | None


class MemberPage(Out):
    items: list[MemberOut]
    total: int
    page: int


class MembersQuery(Body):
    role: text(max_len=40) | None = None
    status: text(max_len=20) | None = None
    q: text(max_len=80) | None = None
    page: int = 1


class InviteIn(Body):
    name: text(max_len=ops.MAX_NAME) = ""
    email: text(max_len=ops.MAX_EMAIL) = ""
    role: text(max_len=40) = ""
    school_id: Id | None = None
    province_code: text(max_len=2) | None = None


class RoleIn(Body):
    role: text(max_len=40)
    school_id: Id | None = None
    province_code: text(max_len=2) | None = None


class ActiveIn(Body):
    active: bool


def member_json(m: Membership, inv: MemberInvitation | None) -> dict:
    return {"id": m.id, "name": m.user.name, "email": m.user.email, "role": m.role.value,
            "role_label": ROLE_LABELS[m.role], "school_id": m.school_id, "province_code": m.province_code,
            "active": m.active,
            "invitation": None if inv is None else {
                "id": inv.id, "sent_count": inv.sent_count, "last_sent_at": utc_iso(inv.last_sent_at),
                "accepted_at": utc_iso(inv.accepted_at)}}


@api_bp.get("")
@require_roles(*ROLE_ADMIN)
@operation(query=MembersQuery, responses={200: MemberPage})
def api_list(query: MembersQuery):
    page = max(1, query.page)
    p = db.paginate(ops.members_query(query.role, query.status, (query.q or "").strip()),
                    page=page, per_page=PER_PAGE, error_out=False)
    invitations = ops.latest_invitations(p.items)
    return jsonify({"items": [member_json(m, invitations.get(m.id)) for m in p.items], "total": p.total,
                    "page": page})


def _refuse(problems):
    details = {}
    for p in problems:
        details.setdefault(p.column or "body", p.message)
    raise InvalidFields(problems[0].message, details=details)


@api_bp.post("")
@require_roles(*ROLE_ADMIN)
@operation(body=InviteIn, responses={201: MemberOut})
def api_invite(body: InviteIn):
    who, problems = ops.clean_invitee(body.name, body.email, body.role, body.school_id, body.province_code)
    if problems:
        _refuse(problems)
    inv = ops.invite(g.tenant, who, actor=_actor())
    return jsonify(member_json(inv.membership, inv)), 201


@api_bp.post("/<int:membership_id>/role")
@require_roles(*ROLE_ADMIN)
@operation(body=RoleIn, responses={200: MemberOut})
def api_change_role(membership_id: int, body: RoleIn):
    m = ops.change_role(_membership_or_404(membership_id), body.role, actor=_actor(),
                        school_id=body.school_id, province_code=body.province_code)
    return jsonify(member_json(m, None))


@api_bp.post("/<int:membership_id>/active")
@require_roles(*ROLE_ADMIN)
@operation(body=ActiveIn, responses={200: MemberOut})
def api_set_active(membership_id: int, body: ActiveIn):
    m = ops.set_active(_membership_or_404(membership_id), body.active, actor=_actor())
    return jsonify(member_json(m, None))


@api_bp.post("/invitations/<int:invitation_id>/resend")
@require_roles(*ROLE_ADMIN)
@operation(responses={200: MemberOut})
def api_resend(invitation_id: int):
    inv = ops.resend(_invitation_or_404(invitation_id), actor=_actor())
    return jsonify(member_json(inv.membership, inv))
