from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from portal.core.errors import DomainError
from portal.core.permissions import operator_required
from portal.extensions import db
from portal.reference.models import Province
from portal.platform import operations as onboarding
from tenants import operations
from tenants.models import Tenant, TenantKind
from tenants.rules.models import RulesetVersion

bp = Blueprint("platform", __name__, url_prefix="/platform", template_folder="templates")


@bp.route("/")
@operator_required
def index():
    tenants = db.session.scalars(sa.select(Tenant).order_by(Tenant.id)).all()
    versions = db.session.scalars(sa.select(RulesetVersion).order_by(RulesetVersion.id)).all()
    provinces = db.session.scalars(sa.select(Province).order_by(Province.code)).all()
    return render_template("platform/index.html", tenants=tenants, versions=versions,
                           provinces=provinces, invite_link=None)


@bp.route("/tenants", methods=["POST"])
@operator_required
def create_tenant():
    f = request.form
    actor = current_user._get_current_object()
    try:
        tenant = operations.create_tenant(
            slug=f.get("slug", ""), name=f.get("name", ""), short_name=f.get("short_name", ""),
            kind=TenantKind.provincial, province_code=f.get("province_code") or None,
            version_code=f.get("version") or None, actor=actor)
        _user, token = onboarding.invite_admin(tenant, f.get("admin_email", ""), f.get("admin_name", ""),
                                               actor=actor)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("platform.index")), 303
    link = url_for("platform.accept_invite", token=token, _external=True)
    flash(f"已创建「{tenant.name}」，管理员邀请链接已生成", "success")
    tenants = db.session.scalars(sa.select(Tenant).order_by(Tenant.id)).all()
    versions = db.session.scalars(sa.select(RulesetVersion).order_by(RulesetVersion.id)).all()
    provinces = db.session.scalars(sa.select(Province).order_by(Province.code)).all()
    return render_template("platform/index.html", tenants=tenants, versions=versions,
                           provinces=provinces, invite_link=link)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    if request.method == "POST":
        if request.form.get("password") != request.form.get("confirm"):
            flash("两次输入的密码不一致", "error")
            return render_template("platform/invite.html"), 400
        try:
            user = onboarding.accept_invite(token, request.form.get("password", ""))
        except DomainError as exc:
            flash(exc.message, "error")
            return render_template("platform/invite.html"), 400
        login_user(user)
        flash("密码已设置，欢迎使用", "success")
        return redirect(url_for("auth.home"))
    return render_template("platform/invite.html")


@bp.route("/users")
@operator_required
def users():
    from portal.auth.models import User

    q = (request.args.get("q") or "").strip()
    stmt = sa.select(User).order_by(User.id)
    if q:
        stmt = stmt.where(sa.or_(User.email.contains(q), User.name.contains(q)))
    page = db.paginate(stmt, page=max(1, request.args.get("page", 1, type=int)), per_page=50, error_out=False)
    return render_template("platform/users.html", pagination=page, q=q)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@operator_required
def set_active(user_id: int):
    from portal.auth.models import User
    from portal.auth.operations import set_user_active

    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        flash("不能停用自己的账号", "error")
        return redirect(url_for("platform.users")), 303
    active = request.form.get("active") == "1"
    set_user_active(user, active, current_user._get_current_object())
    flash(f"已{'启用' if active else '停用'} {user.email}，其所有登录会话已结束" if not active else f"已启用 {user.email}", "success")
    return redirect(url_for("platform.users"))
