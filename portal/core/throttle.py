"""Login throttling shared by every process: Redis when configured, else the database."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from portal.core.db import utcnow
from portal.core.redis import get_redis
from portal.extensions import db


def _keys(email: str, ip: str) -> list[str]:
    return [f"login:user:{email.strip().lower()}", f"login:ip:{ip}"]


def _limits():
    cfg = current_app.config
    return cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_WINDOW_SECONDS"]


def is_blocked(email: str, ip: str) -> int:
    """Seconds to wait, 0 if the attempt may proceed."""
    max_failures, window = _limits()
    r = get_redis()
    if r is not None:
        worst = 0
        for key in _keys(email, ip):
            limit = max_failures if ":user:" in key else max_failures * 4
            if int(r.get(key) or 0) >= limit:
                worst = max(worst, int(r.ttl(key) or window))
        return worst
    from portal.auth.models import LoginAttempt

    since = utcnow() - dt.timedelta(seconds=window)
    for key in _keys(email, ip):
        limit = max_failures if ":user:" in key else max_failures * 4
        n = db.session.scalar(
            sa.select(sa.func.count()).select_from(LoginAttempt)
            .where(LoginAttempt.key == key, LoginAttempt.at >= since)
        )
        if n >= limit:
            return window
    return 0


def record_failure(email: str, ip: str) -> None:
    _, window = _limits()
    r = get_redis()
    if r is not None:
        pipe = r.pipeline()
        for key in _keys(email, ip):
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
        pipe.execute()
        return
    from portal.auth.models import LoginAttempt

    for key in _keys(email, ip):
        db.session.add(LoginAttempt(key=key))
    # Failures must be kept even though the login request itself "fails".
    db.session.commit()


def clear(email: str) -> None:
    r = get_redis()
    key = _keys(email, "")[0]
    if r is not None:
        r.delete(key)
        return
    from portal.auth.models import LoginAttempt

    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.key == key))
