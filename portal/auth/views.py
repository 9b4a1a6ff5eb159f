from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import TooManyRequests

from portal.auth import operations
from portal.auth.forms import ChangePasswordForm, LoginForm, TokenForm
from portal.auth.models import ApiToken
from portal.core import throttle
from portal.core.redirects import redirect_back
from portal.core.errors import DomainError
from portal.extensions import db

bp = Blueprint("auth", __name__, template_folder="templates")


def _client_ip() -> str:
    return request.remote_addr or "-"  # the proxy's hop is resolved by ProxyFix (PROXY_FIX_X_FOR)


def _too_many(refusal: throttle.Refusal):
    minutes = max(1, (refusal.wait + 59) // 60)
    if refusal.account_locked:
        text = _("该账号因多处登录失败已临时锁定，请 %(n)s 分钟后再试；账号本人可使用邮件中的解锁链接立即解除。", n=minutes)
    else:
        text = _("登录失败次数过多，请 %(n)s 分钟后再试", n=minutes)
    exc = TooManyRequests(description=text)
    exc.retry_after = refusal.wait
    return exc


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email, ip = form.email.data, _client_ip()
        # Counted before the password is checked, in one atomic step (portal/core/throttle.py).
        refusal = throttle.begin_attempt(email, ip)
        if refusal:
            raise _too_many(refusal)
        user = operations.authenticate(email, form.password.data)
        if user is None:
            new_lock = throttle.failed(email, ip)
            if new_lock:
                owner = operations.find_user(email) if len(email) <= 200 else None
                if owner is not None:
                    operations.mail_unlock_link(owner, new_lock)
            flash(_("邮箱或密码不正确，或账号已停用"), "error")
            return render_template("auth/login.html", form=form), 200
        throttle.succeeded(email, ip)
        session.clear()
        login_user(user)
        return redirect_back(request.args.get("next"), url_for("auth.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/login/unlock/<token>", methods=["GET", "POST"])
def unlock(token: str):
    """The owner's link from the lock mail: a page with one button (a mail scanner's GET
    changes nothing), the POST lifts the lock."""
    if request.method == "POST":
        try:
            operations.unlock_with_token(token, _client_ip())
        except DomainError as exc:
            g._no_commit = True
            return render_template("auth/unlock.html", token=token, error=exc.message), 400
        flash(_("账号已解锁，请重新登录"), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/unlock.html", token=token, error=None)


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
    return redirect_back(request.args.get("next"), url_for("auth.home"))


