"""Lists that don't scan the cycle: keyset pages and cached counts for the nomination lists.

* **Keyset pages.** The list's order is (province, school code, id) across the school join; the
  indexes ``ix_schools_tenant_province_code`` and ``ix_selection_nominations_cycle_school_id``
  let the database walk it instead of sorting the cycle. A deep page is asked for by the cursor
  of the previous page's last row (``?cursor=``), never by an offset: the cost of page 2,000 is
  the cost of page 1. The cursor is opaque (base64url JSON of the row's sort key), and a cursor
  that does not decode is a clear 400/422, never a 500.
* **Counts.** An exact count of a filtered list reads every matching row. It is cached per
  tenant, cycle and filter (Redis when configured, else in the process) under a generation
  that any write to a nomination bumps, when written and again after commit (ORM flushes, bulk
  inserts, deletes and compare-and-set updates alike), so a count is never stale past a change.
"""
from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Join

from portal.core.errors import DomainError
from portal.extensions import db
from portal.reference.models import School
from portal.selection.models import Nomination


# --- cursors ---------------------------------------------------------------------------------

def encode_cursor(key: tuple) -> str:
    raw = json.dumps(list(key), ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int = 3) -> tuple:
    """The sort key a cursor carries; a cursor that is not ours is a 400 on the ``cursor`` field."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
        if not isinstance(key, list) or len(key) != arity or not isinstance(key[-1], int) \
                or isinstance(key[-1], bool) or not 0 <= key[-1] < 2 ** 62 \
                or not all(isinstance(k, str) and len(k) <= 200 for k in key[:-1]):
            raise ValueError(cursor)
        return tuple(key)
    except (ValueError, TypeError, UnicodeDecodeError):
        raise DomainError("分页游标无效，请从第一页重新打开列表", field="cursor", code="bad_cursor") from None


# --- keyset pages ----------------------------------------------------------------------------

@dataclass
class KeysetPage:
    """One page of a list walked by its order, with the cursor of the next page (or None), and
    the list's total (cached, see ``cached_count``) so the pager can say "1–50 of 10,000"."""
    items: list
    total: int
    per_page: int
    cursor: str | None
    next_cursor: str | None
    first: int  # the position of the page's first row (1-based), when known; else 0

    # Shaped like the page-number pager's object, so templates can share the summary.
    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_prev(self) -> bool:
        return self.cursor is not None


START_KEY = ("", "", 0)


class WalkJoin(Join):
    """schools ⋈ nominations walked schools first, in the list's order. PostgreSQL plans it by
    its statistics; SQLite gets ``CROSS JOIN``, its way of fixing the outer table: its sampled
    statistics otherwise pick, at 100,000 nominations, reading the whole cycle by its cycle
    index and sorting it (200 ms) over walking the schools' index (under 1 ms)."""

    inherit_cache = True


@compiles(WalkJoin, "sqlite")
def _cross_join(join, compiler, **kw):
    kw.pop("asfrom", None)
    return (f"{join.left._compiler_dispatch(compiler, asfrom=True, **kw)} CROSS JOIN "
            f"{join.right._compiler_dispatch(compiler, asfrom=True, **kw)} ON {join.onclause._compiler_dispatch(compiler, **kw)}")


def school_walk():
    """The FROM of a list walked in school order (the school's tenant is the nomination's)."""
    return WalkJoin(School, Nomination, sa.and_(School.id == Nomination.school_id,
                                                School.tenant_id == Nomination.tenant_id))


def page_rows(ids, with_union: bool = True):
    """The page's nominations by id, with their school (and union, unless the page does not show
    it: then it is left to a lazy load, not raised, since the option stays on the instances for
    the rest of the session and a later page of the same request may need it)."""
    from sqlalchemy.orm import lazyload

    stmt = sa.select(Nomination).where(Nomination.id.in_(ids))
    return stmt if with_union else stmt.options(lazyload(Nomination.union))


def nominations_keyset(stmt, *, cursor: str | None, per_page: int, total: int,
                       with_union: bool = True) -> KeysetPage:
    """A page of ``ops.nominations_query(...)`` after ``cursor`` (the previous page's last row):
    the page's ids by the index order, then only those rows with their school and union; two
    statements at any depth."""
    key_cols = (School.province_code, School.code, Nomination.id)
    ids_stmt = stmt.with_only_columns(*key_cols)
    # Page 1 starts after a key below every row (codes are NOT NULL strings, ids positive): the
    # same range condition as a deep page, so the planner walks the schools' index in list order
    # there too, instead of reading the whole cycle by its cycle index and sorting it.
    ids_stmt = ids_stmt.where(sa.tuple_(*key_cols) > sa.tuple_(*(decode_cursor(cursor) if cursor else START_KEY)))
    keys = db.session.execute(ids_stmt.limit(per_page + 1)).all()
    more = len(keys) > per_page
    keys = keys[:per_page]
    items = []
    if keys:
        ids = [k[2] for k in keys]
        by_id = {n.id: n for n in db.session.scalars(page_rows(ids, with_union))}
        items = [by_id[i] for i in ids if i in by_id]
    nxt = encode_cursor(tuple(keys[-1])) if (more and keys) else None
    return KeysetPage(items, total, per_page, cursor, nxt, 0 if cursor else 1)


# --- counts cached per cycle and filter ------------------------------------------------------

_local: dict[str, int] = {}
_local_gen: dict[int, int] = {}
_lock = threading.Lock()
TTL_SECONDS = 3600  # a safety net only: every committed change bumps the generation


def _redis():
    if not has_app_context():
        return None
    from portal.core.redis import get_redis

    try:
        return get_redis()
    except Exception:  # pragma: no cover - a misconfigured URL: counts are then just exact
        return None


def _prefix() -> str:
    return current_app.config.get("LIST_COUNT_PREFIX", "selection:list-count")


def generation(tenant_id: int) -> int:
    r = _redis()
    if r is not None:
        try:
            return int(r.get(f"{_prefix()}:gen:{tenant_id}") or 0)
        except Exception:
            return -1  # Redis down: never trust a cached count
    return _local_gen.get(tenant_id, 0)


def bump(tenant_id: int) -> None:
    r = _redis()
    if r is not None:
        try:
            r.incr(f"{_prefix()}:gen:{tenant_id}")
        except Exception:
            pass
    with _lock:
        _local_gen[tenant_id] = _local_gen.get(tenant_id, 0) + 1
        for k in [k for k in _local if k.startswith(f"{tenant_id}:")]:
            del _local[k]


VALUE_PREFIX = "value:"  # a signature whose cached entry is JSON text, not a count


def cached_count(tenant_id: int, cycle_id: int, signature: str, compute: Callable[[], int]) -> int:
    """The exact count ``compute()`` for (cycle, filter ``signature``), computed once per
    generation of the tenant's nominations."""
    gen = generation(tenant_id)
    if gen < 0:
        return compute()
    key = f"{tenant_id}:{gen}:{cycle_id}:{signature}"
    r = _redis()
    if r is not None:
        try:
            hit = r.get(f"{_prefix()}:{key}")
            if hit is not None:
                if signature.startswith(VALUE_PREFIX):
                    return hit.decode() if isinstance(hit, bytes) else hit
                return int(hit)
        except Exception:
            return compute()
        n = compute()
        try:
            r.set(f"{_prefix()}:{key}", n, ex=TTL_SECONDS)
        except Exception:
            pass
        return n
    with _lock:
        if key in _local:
            return _local[key]
    n = compute()
    with _lock:
        if len(_local) > 10000:
            _local.clear()
        _local[key] = n
    return n


def cached_value(tenant_id: int, cycle_id: int, signature: str, compute: Callable[[], object]):
    """Like :func:`cached_count`, for any JSON value (a cycle's funnel of counts): computed once
    per generation of the tenant's nominations (and schools: a province's count follows its
    schools), stored as JSON."""
    box = []

    def encoded() -> int:  # cached_count stores what it is given; keep the value beside it
        box.append(compute())
        return json.dumps(box[0], ensure_ascii=False, separators=(",", ":"))

    raw = cached_count(tenant_id, cycle_id, signature, encoded)
    if box:
        return box[0]
    return json.loads(raw)


def count_of(stmt) -> int:
    """The exact count of a ``nominations_query`` statement (ids only, no order, no eager joins)."""
    ids = stmt.with_only_columns(Nomination.id).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(ids.subquery())) or 0


# --- invalidation: any write to a nomination bumps its tenant's generation after commit -------

_KEY = "selection_lists_changed"


def _mark(session, tenant_id) -> None:
    """A nomination of ``tenant_id`` changed in this transaction: drop its counts now (this
    session's own reads see the change at once) and again after commit (a count another process
    cached from the old rows in between is dropped too)."""
    if tenant_id is not None:
        marks = session.info.setdefault(_KEY, set())
        if tenant_id not in marks:
            marks.add(tenant_id)
            bump(tenant_id)


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context):
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, (Nomination, School)):
            _mark(session, obj.tenant_id)


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state):
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    entity = state.bind_mapper
    if entity is not None and entity.class_ in (Nomination, School):
        from portal.core.db import current_tenant_id

        _mark(state.session, current_tenant_id())


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    changed = session.info.pop(_KEY, None)
    for tid in changed or ():
        bump(tid)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction):
    if not session.in_transaction():
        session.info.pop(_KEY, None)
