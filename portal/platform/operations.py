"""The platform operator's work: onboarding a federation's first administrator (A22).

Creating the tenant itself is the tenant layer's (``tenants.operations.create_tenant``); the
account and its one-time link to set a password belong to auth, so they live here, above both.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.auth.models import User
from portal.auth.operations import create_user, find_user
from portal.core.errors import DomainError
from portal.extensions import db
from tenants.models import Role, Tenant
from tenants.operations import grant_role

INVITE_MAX_AGE = 7 * 24 * 3600


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="invite")


def invite_admin(tenant: Tenant, email: str, name: str, actor=None) -> tuple[object, str]:
    """Create (or reuse) the account and return a one-time link to set its password."""
    email = (email or "").strip().lower()
    if "@" not in email:
        raise DomainError("请填写有效的管理员邮箱", field="admin_email")
    user = find_user(email)
    if user is None:
        user = create_user(email, name or email, None)
    grant_role(tenant, user, Role.secretariat_admin, actor=actor)
    token = _serializer().dumps({"uid": user.id, "st": user.session_token})
    return user, token


def accept_invite(token: str, password: str):
    try:
        data = _serializer().loads(token, max_age=INVITE_MAX_AGE)
    except SignatureExpired:
        raise DomainError("邀请链接已过期，请联系平台运营方重新邀请") from None
    except BadSignature:
        raise DomainError("邀请链接无效") from None
    user = db.session.get(User, data["uid"])
    if user is None or user.session_token != data["st"]:
        raise DomainError("邀请链接已被使用")
    if len(password or "") < 10:
        raise DomainError("密码至少10个字符", field="password")
    user.set_password(password)
    user.end_all_sessions()  # the link works once
    db.session.flush()
    return user
