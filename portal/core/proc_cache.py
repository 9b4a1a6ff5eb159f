"""Per-process caches of what changes rarely (issue 10 item 4): the tenant by slug, the
effective rules by version and overrides.

Each cache lives on the app (``app.extensions``), so two apps in one process (the tests, the
bench) never share entries. Invalidation, in this process: a flush that writes a watched model
(``watch(Tenant, "tenants")``) clears that cache at once, and again when the transaction rolls
back (an entry built from rolled-back state is dropped). Across processes each cache either
checks a cheap stamp read in the same request (the rules) or keeps an entry only
``TENANT_CACHE_SECONDS`` (the tenant; default 5 s, 0 turns it off).
"""
from __future__ import annotations

import threading
import time

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

_WATCHED: dict[type, str] = {}
_LOCK = threading.Lock()
_KEY = "portal.proc_cache"


def watch(model: type, name: str) -> None:
    """Clear cache ``name`` whenever a flush writes a ``model`` row (or its transaction rolls back)."""
    _WATCHED[model] = name


def _caches(app=None) -> dict[str, dict]:
    app = app or current_app._get_current_object()
    caches = app.extensions.get(_KEY)
    if caches is None:
        with _LOCK:
            caches = app.extensions.setdefault(_KEY, {})
    return caches


def cache(name: str) -> dict:
    return _caches().setdefault(name, {})


def clear(name: str | None = None) -> None:
    """Forget cache ``name`` (or every cache) of the current app, and this request's copy
    (``g._proc_<name>``)."""
    from flask import g

    for n in ([name] if name else list(_caches())):
        g.pop(f"_proc_{n}", None)
    caches = _caches()
    if name is None:
        for c in caches.values():
            c.clear()
    elif name in caches:
        caches[name].clear()


def get(name: str, key, ttl: float | None = None):
    entry = cache(name).get(key)
    if entry is None:
        return None
    value, stored = entry
    if ttl is not None and time.monotonic() - stored > ttl:
        cache(name).pop(key, None)
        return None
    return value


def put(name: str, key, value) -> None:
    cache(name)[key] = (value, time.monotonic())


def remember(name: str, key, build):
    """``build()``, kept in cache ``name`` for ``TENANT_CACHE_SECONDS`` (0: not kept). Not kept
    while the session holds unflushed changes (what it built may not be what is stored)."""
    from portal.extensions import db

    ttl = float(current_app.config.get("TENANT_CACHE_SECONDS", 5) or 0)
    if ttl > 0:
        hit = get(name, key, ttl)
        if hit is not None:
            return hit[0]
    value = build()
    if ttl > 0 and not (db.session.new or db.session.dirty or db.session.deleted):
        put(name, key, (value,))
    return value


def _touched(session) -> set[str]:
    names = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        name = _WATCHED.get(type(obj))
        if name is not None:
            names.add(name)
    return names


@event.listens_for(Session, "before_flush")
def _before_flush(session, flush_context, instances):
    names = _touched(session)
    if not names:
        return
    session.info.setdefault(_KEY, set()).update(names)
    try:
        for name in names:
            clear(name)
    except RuntimeError:  # no app context: nothing cached to clear
        pass


@event.listens_for(Session, "after_flush_postexec")
def _after_flush(session, flush_context):
    # cleared again after the flush: a concurrent reader in this process may have cached the
    # pre-flush state between before_flush and now
    for name in session.info.get(_KEY, ()):
        try:
            clear(name)
        except RuntimeError:
            pass


def _end(session, *args):
    names = session.info.pop(_KEY, None)
    if names:
        try:
            for name in names:
                clear(name)
        except RuntimeError:
            pass


event.listen(Session, "after_commit", _end)
event.listen(Session, "after_soft_rollback", _end)


@event.listens_for(Session, "after_transaction_end")
def _transaction_end(session, transaction):
    # a session closed (or removed) with its writes neither committed nor rolled back by name:
    # what was cached from them goes too
    if transaction.parent is None:
        _end(session)


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state):
    # ``session.execute(update(Tenant)...)`` writes without a flush
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    name = _WATCHED.get(mapper.class_) if mapper is not None else None
    if name is not None:
        state.session.info.setdefault(_KEY, set()).add(name)
        try:
            clear(name)
        except RuntimeError:
            pass
