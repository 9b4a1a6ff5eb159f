"""Counters shared by every process, for throttles: Redis when it answers, else the database.

Each operation is one atomic step, so a burst of simultaneous requests can never all read
"below the limit" before any of them records itself:

- Redis: one Lua script per call (``INCR`` and ``EXPIRE`` together, ``SADD`` with ``SCARD``,
  ``SET NX EX``);
- the database: one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` per key (PostgreSQL
  locks the row, SQLite the file), committed at once so the count survives the request's
  own rollback and no lock is held while the caller goes on to hash a password.

When ``REDIS_URL`` is set but Redis does not answer, the counters move to the database for
a few seconds at a time (never unthrottled, never a 500). Counts kept in Redis before the
outage are not carried over: the database window starts afresh.

The throttle's Redis client has short socket timeouts of its own, so an unreachable Redis
costs a fraction of a second, not the RQ client's blocking defaults.

Flask-Limiter was considered: its storage has no shared SQL fallback (only per-process
memory) and no distinct-member count, which the account lock needs (portal/core/throttle.py).
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import utcnow
from portal.extensions import db

log = logging.getLogger(__name__)

DOWN_SECONDS = 10.0  # after a Redis error, use the database for this long before retrying


class ThrottleCounter(db.Model):
    """A counter, a member of a set (``grp``) or a held value, expiring at ``expires_at``."""

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(sa.String(400), primary_key=True)
    grp: Mapped[str | None] = mapped_column(sa.String(300), nullable=True, index=True)
    count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    value: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, nullable=False, index=True)


# --- Redis ----------------------------------------------------------------------------------

_HIT = """
local out = {}
for i, k in ipairs(KEYS) do
  local window = tonumber(ARGV[i])
  local n = redis.call('INCR', k)
  local ttl = redis.call('TTL', k)
  if ttl < 0 then redis.call('EXPIRE', k, window); ttl = window end
  out[#out + 1] = n
  out[#out + 1] = ttl
end
return out
"""
_ADD_MEMBER = """
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2])) end
return redis.call('SCARD', KEYS[1])
"""
_UNDO = """
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""

_clients: dict[str, object] = {}
_down_until: dict[str, float] = {}
_lock = threading.Lock()


def _redis():
    """The throttle's Redis client, or None (not configured, or down a moment ago)."""
    url = current_app.config.get("REDIS_URL")
    if not url or _down_until.get(url, 0.0) > time.monotonic():
        return None
    with _lock:
        client = _clients.get(url)
        if client is None:
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=3.0,
                                          retry_on_timeout=False)
            _clients[url] = client
    return client


def _redis_failed(exc: Exception) -> None:
    url = current_app.config.get("REDIS_URL")
    _down_until[url] = time.monotonic() + DOWN_SECONDS
    log.warning("throttle: Redis at %s unreachable (%s); counting in the database", url, exc)


def _run(redis_op, db_op):
    r = _redis()
    if r is not None:
        import redis

        try:
            return redis_op(r)
        except redis.RedisError as exc:
            _redis_failed(exc)
    result = db_op()
    db.session.commit()  # the count outlives the request's rollback (a refused login is a 4xx)
    return result


# --- the database -------------------------------------------------------------------------

def _upsert():
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _seconds_left(expires_at: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((expires_at - now).total_seconds() + 0.999))


def _db_hit(keys: list[tuple[str, int]]) -> list[tuple[int, int]]:
    T = ThrottleCounter.__table__
    now = utcnow()
    insert = _upsert()
    out = []
    for key, window in keys:
        expired = T.c.expires_at <= now
        stmt = insert(T).values(key=key, count=1, expires_at=now + dt.timedelta(seconds=window))
        stmt = stmt.on_conflict_do_update(index_elements=[T.c.key], set_={
            "count": sa.case((expired, 1), else_=T.c.count + 1),
            "expires_at": sa.case((expired, stmt.excluded.expires_at), else_=T.c.expires_at),
        }).returning(T.c.count, T.c.expires_at)
        count, expires_at = db.session.execute(stmt).one()
        out.append((count, _seconds_left(expires_at, now)))
    if random.random() < 0.01:  # keep the table small: drop what expired a day ago
        db.session.execute(sa.delete(T).where(T.c.expires_at < now - dt.timedelta(days=1)))
    return out


# --- the operations -------------------------------------------------------------------------

def hit(*keys: tuple[str, int]) -> list[tuple[int, int]]:
    """Count one event on each ``(key, window_seconds)``; returns ``(count, seconds_left)``
    per key, this event included. The first event of a key opens its window."""
    keys = list(keys)

    def on_redis(r):
        flat = r.eval(_HIT, len(keys), *[k for k, _ in keys], *[w for _, w in keys])
        return [(int(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2)]

    return _run(on_redis, lambda: _db_hit(keys))


def undo(key: str) -> None:
    """Take back one event counted on ``key`` (a request that turned out to be fine)."""
    T = ThrottleCounter.__table__

    def on_db():
        db.session.execute(sa.update(T).where(T.c.key == key, T.c.count > 0)
                           .values(count=T.c.count - 1))

    _run(lambda r: r.eval(_UNDO, 1, key), on_db)


def add_member(set_key: str, member: str, window: int) -> int:
    """Put ``member`` in the set ``set_key`` (the set's window opens with its first member);
    returns how many distinct members it holds."""
    T = ThrottleCounter.__table__

    def on_db():
        now = utcnow()
        insert = _upsert()
        stmt = insert(T).values(key=f"{set_key}|{member}", grp=set_key, count=1,
                                expires_at=now + dt.timedelta(seconds=window))
        stmt = stmt.on_conflict_do_update(index_elements=[T.c.key], set_={
            "count": T.c.count + 1,
            "expires_at": sa.case((T.c.expires_at <= now, stmt.excluded.expires_at), else_=T.c.expires_at),
        })
        db.session.execute(stmt)
        return db.session.scalar(sa.select(sa.func.count()).select_from(T).where(
            T.c.grp == set_key, T.c.expires_at > now))

    return _run(lambda r: int(r.eval(_ADD_MEMBER, 1, set_key, member, window)), on_db)


def hold(key: str, value: str, seconds: int) -> bool:
    """Set ``key`` to ``value`` for ``seconds`` unless it is already held; True if this call set it."""
    T = ThrottleCounter.__table__

    def on_db():
        now = utcnow()
        insert = _upsert()
        stmt = insert(T).values(key=key, count=0, value=value, expires_at=now + dt.timedelta(seconds=seconds))
        stmt = stmt.on_conflict_do_update(
            index_elements=[T.c.key],
            set_={"value": stmt.excluded.value, "expires_at": stmt.excluded.expires_at},
            where=T.c.expires_at <= now,
        ).returning(T.c.key)
        return db.session.execute(stmt).first() is not None

    return _run(lambda r: bool(r.set(key, value, nx=True, ex=seconds)), on_db)


def held(key: str) -> tuple[str, int] | None:
    """``(value, seconds_left)`` of a held key, or None."""
    T = ThrottleCounter.__table__

    def on_redis(r):
        pipe = r.pipeline()
        pipe.get(key)
        pipe.ttl(key)
        value, ttl = pipe.execute()
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else value, max(1, int(ttl))

    def on_db():
        now = utcnow()
        row = db.session.execute(sa.select(T.c.value, T.c.expires_at).where(
            T.c.key == key, T.c.expires_at > now)).first()
        return None if row is None else (row.value, _seconds_left(row.expires_at, now))

    return _run(on_redis, on_db)


def clear(*keys: str) -> None:
    """Forget counters, sets and held values."""
    T = ThrottleCounter.__table__

    def on_db():
        db.session.execute(sa.delete(T).where(sa.or_(T.c.key.in_(keys), T.c.grp.in_(keys))))

    _run(lambda r: r.delete(*keys), on_db)
