"""Accounts: sign-in checks, password changes, disabling, API tokens."""
from __future__ import annotations

import secrets

import sqlalchemy as sa

from portal.auth.models import ApiToken, User, hash_token
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import DomainError
from portal.extensions import db


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower()))


def create_user(email: str, name: str, password: str | None, *, platform_operator: bool = False) -> User:
    """A new account; ``password=None`` makes an invited one (see User.password_set_at)."""
    if find_user(email):
        raise DomainError(f"邮箱 {email} 已被注册", status=409)
    user = User(email=email.strip().lower(), name=name, is_platform_operator=platform_operator)
    if password is None:
        user.set_random_password()
    else:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def tenants_of(user: User):
    """The tenants where ``user`` holds an active membership (read per tenant: RLS)."""
    from portal.core.db import tenant_context
    from tenants.models import Membership, Tenant

    found = []
    for tenant in db.session.scalars(sa.select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.id)):
        with tenant_context(tenant.id, db.session):
            if db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(
                    Membership.user_id == user.id, Membership.active.is_(True))):
                found.append(tenant)
    return found


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise DomainError("当前密码不正确", field="current")
    user.set_password(new)
    user.end_all_sessions()  # every other session ends; the caller re-logs this one
    db.session.flush()
    from portal.core.db import tenant_context

    for tenant in tenants_of(user):
        with tenant_context(tenant.id, db.session):
            audit.record("user.password_changed", "user", user.id, actor=user)


def set_user_active(user: User, active: bool, actor) -> None:
    """Disable (or re-enable) an account; disabling ends its sessions everywhere."""
    from portal.core.db import tenant_context

    before = user.active
    user.active = active
    if not active:
        user.end_all_sessions()
    db.session.flush()
    for tenant in tenants_of(user):
        with tenant_context(tenant.id, db.session):
            audit.record("user.disabled" if not active else "user.enabled", "user", user.id, actor=actor,
                         before={"active": before}, after={"active": active})


def issue_token(user: User, name: str, actor) -> tuple[ApiToken, str]:
    raw = "pt_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(raw))
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.issued", "api_token", token.id, actor=actor, after={"name": name})
    return token, raw


def revoke_token(token: ApiToken, actor) -> None:
    token.revoked = True
    db.session.flush()
    audit.record("api_token.revoked", "api_token", token.id, actor=actor)


def user_for_token(raw: str) -> User | None:
    """Tokens are tenant-owned: only the current tenant's tokens match."""
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_token(raw), ApiToken.revoked.is_(False))
    )
    if token is None or not token.user.active:
        return None
    token.last_used_at = utcnow()
    return token.user
