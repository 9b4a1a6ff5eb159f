from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import TooManyRequests

from portal.auth import operations
from portal.auth.forms import ChangePasswordForm, LoginForm, TokenForm
from portal.auth.models import ApiToken
from portal.core import throttle
from portal.core.errors import DomainError
from portal.extensions import db

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email, ip = form.email.data, request.remote_addr or "-"
        wait = throttle.is_blocked(email, ip)
        if wait:
            exc = TooManyRequests(description=f"登录失败次数过多，请 {max(1, wait // 60)} 分钟后再试")
            exc.retry_after = wait
            raise exc
        user = operations.find_user(email)
        if user is None or not user.check_password(form.password.data) or not user.active:
            throttle.record_failure(email, ip)
            flash("邮箱或密码不正确，或账号已停用", "error")
            return render_template("auth/login.html", form=form), 200
        throttle.clear(email)
        session.clear()
        login_user(user)
        return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    current_user.end_all_sessions()  # A logout ends this user's sessions everywhere
    logout_user()
    session.clear()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    tenants = operations.tenants_of(current_user._get_current_object())
    if len(tenants) == 1 and not current_user.is_platform_operator:
        return redirect(url_for("dashboard.index", tenant=tenants[0].slug))
    return render_template("auth/home.html", tenants=tenants)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            operations.change_password(current_user._get_current_object(), form.current.data,
                                       form.new.data)
        except DomainError as exc:
            form.current.errors.append(exc.message)
            return render_template("auth/password.html", form=form), 400
        login_user(current_user._get_current_object())  # this session continues with the new token
        flash("密码已修改，其他设备上的登录已全部失效", "success")
        return redirect(url_for("auth.home"))
    return render_template("auth/password.html", form=form)


tenant_bp = Blueprint("account", __name__, url_prefix="/<tenant>/account", template_folder="templates")


@tenant_bp.route("/tokens", methods=["GET", "POST"])
def tokens():
    form = TokenForm()
    raw = None
    if form.validate_on_submit():
        _token, raw = operations.issue_token(current_user._get_current_object(), form.name.data,
                                             current_user._get_current_object())
        flash("令牌已生成，请立即复制保存，它只显示这一次", "success")
    items = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template("auth/tokens.html", form=form, tokens=items, raw=raw)


@tenant_bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    operations.revoke_token(token, current_user._get_current_object())
    flash("令牌已吊销", "info")
    return redirect(url_for("account.tokens"))


@bp.route("/lang/<code>")
def set_language(code: str):
    if code in ("zh_Hans_CN", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))


