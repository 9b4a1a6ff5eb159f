"""Accounts: sign-in checks, password changes, disabling, API tokens, unlock links."""
from __future__ import annotations

import logging
import secrets

import sqlalchemy as sa
from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.auth.models import ApiToken, User, check_password_of, hash_token
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import DomainError
from portal.extensions import db


log = logging.getLogger(__name__)


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this address and password, else None, in the same time either way."""
    user = find_user(email) if len(email or "") <= 200 else None
    ok = check_password_of(user, password or "")
    return user if ok and user is not None and user.active else None


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


def _revoke_all_tokens(user: User) -> dict[int, int]:
    """Revoke the user's API tokens in every tenant (tokens are tenant-owned: RLS); returns
    {tenant_id: how many}."""
    from portal.core.db import tenant_context
    from tenants.models import Tenant

    revoked = {}
    for tid in db.session.scalars(sa.select(Tenant.id).order_by(Tenant.id)).all():
        with tenant_context(tid, db.session):
            n = db.session.execute(sa.update(ApiToken).where(
                ApiToken.tenant_id == tid, ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
                .values(revoked=True).execution_options(synchronize_session="fetch")).rowcount
            if n:
                revoked[tid] = n
    return revoked


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise DomainError("当前密码不正确", field="current")
    user.set_password(new)
    user.end_all_sessions()  # every other session ends; the caller re-logs this one
    db.session.flush()
    # A token issued under the old password is as stolen as the old password: revoke them all.
    revoked = _revoke_all_tokens(user)
    from portal.core.db import tenant_context

    for tenant in tenants_of(user):
        with tenant_context(tenant.id, db.session):
            audit.record("user.password_changed", "user", user.id, actor=user,
                         after={"api_tokens_revoked": revoked.get(tenant.id, 0)})


def set_user_active(user: User, active: bool, actor) -> None:
    """Disable (or re-enable) an account; disabling ends its sessions everywhere."""
    from portal.core.db import tenant_context

    before = user.active
    user.active = active
    revoked = {}
    if not active:
        user.end_all_sessions()
        revoked = _revoke_all_tokens(user)  # re-enabling must not bring old tokens back
    db.session.flush()
    for tenant in tenants_of(user):
        with tenant_context(tenant.id, db.session):
            audit.record("user.disabled" if not active else "user.enabled", "user", user.id, actor=actor,
                         before={"active": before},
                         after={"active": active} | ({"api_tokens_revoked": revoked.get(tenant.id, 0)}
                                                     if not active else {}))


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


# --- the account lock's unlock link (portal/core/throttle.py) ----------------------------------

def _unlock_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="login-unlock")


def unlock_token(user: User, lock_id: str) -> str:
    return _unlock_signer().dumps({"u": user.id, "l": lock_id})


def mail_unlock_link(user: User, lock_id: str) -> bool:
    """Tell the owner of a locked account, with a link that lifts the lock: the
    ``account_locked`` signal, which the notifications feature mails through the outbox of the
    first tenant the owner belongs to. False when nobody was told (no tenant, e.g. the platform
    operator, or no receiver): the lock then simply runs out."""
    from portal.core.db import tenant_context
    from portal.core.signals import account_locked

    tenants = tenants_of(user)
    minutes = max(1, current_app.config["LOGIN_ACCOUNT_LOCK_SECONDS"] // 60)
    for tenant in tenants:
        with tenant_context(tenant.id, db.session):
            audit.record("user.login_locked", "user", user.id,
                         after={"reason": "failures from many IPs", "minutes": minutes})
    if not tenants:
        log.warning("account %s locked; no tenant to mail the unlock link through", user.id)
        return False
    link = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/") + url_for(
        "auth.unlock", token=unlock_token(user, lock_id))
    told = account_locked.send(user, tenant_id=tenants[0].id, lock_url=link, minutes=minutes,
                               dedupe_key=f"login-unlock:{user.id}:{lock_id}")
    return bool(told)


def unlock_with_token(token: str, ip: str | None) -> User:
    """Lift the lock the link was mailed for; the link works once (a later lock has a new id)."""
    from portal.core import throttle
    from portal.core.db import tenant_context

    max_age = current_app.config["LOGIN_ACCOUNT_LOCK_SECONDS"]
    try:
        data = _unlock_signer().loads(token, max_age=max_age)
        user = db.session.get(User, int(data["u"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        user = None
    if user is None or throttle.lock_id(user.email) != data.get("l"):
        raise DomainError("解锁链接无效或已过期；账号锁定到期后会自动解除", status=400)
    throttle.unlock(user.email, ip)
    for tenant in tenants_of(user):
        with tenant_context(tenant.id, db.session):
            audit.record("user.login_unlocked", "user", user.id, actor=user)
    return user
