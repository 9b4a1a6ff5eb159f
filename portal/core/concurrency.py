"""Two clicks, two staff members, two workers at the same moment: the row decides, not the read.

``compare_and_set`` is how a state changes: ``UPDATE … WHERE id = :id AND <column> IN
(:expected)``, and the caller acts only if that one row changed. The status a request loaded
is a hint; the one the database holds when the write lands is the truth. A rival that got
there first leaves zero rows changed, and the loser is told so instead of writing the same
transition (and its audit record) a second time.

``lock_row`` serializes work that counts before it writes (a quota, a nominee limit): on
PostgreSQL ``SELECT … FOR UPDATE`` on the row; on SQLite a write to the row, which takes
the database's write lock for the rest of the transaction (pysqlite only opens a
transaction at the first write, so a plain read there would lock nothing).
"""
from __future__ import annotations

from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from portal.core.db import utcnow
from portal.extensions import db

_MISSING = object()


def _pk(model):
    (pk,) = sa.inspect(model).primary_key
    return pk


def _matches(col, expected: Iterable[Any]):
    values = list(expected)
    concrete = [v for v in values if v is not None]
    clauses = []
    if concrete:
        clauses.append(col.in_(concrete))
    if len(concrete) != len(values):
        clauses.append(col.is_(None))
    return sa.or_(*clauses) if len(clauses) > 1 else clauses[0]


def compare_and_set(obj, attr: str, expected, new, **also) -> bool:
    """Set ``obj.<attr>`` to ``new`` (and ``also``) only if the row still holds ``expected``
    (one value, or a collection of values; ``None`` matches NULL). True if this call made
    the change; False if a rival changed the row first (nothing is written then).

    Pending changes are flushed first. On success the object carries the new values as
    committed state (no second UPDATE at the next flush)."""
    model = type(obj)
    if isinstance(expected, (set, frozenset, list, tuple)):
        expected = tuple(expected)
    else:
        expected = (expected,)
    values = {attr: new, **also}
    if "updated_at" in sa.inspect(model).columns and "updated_at" not in values:
        values["updated_at"] = utcnow()
    db.session.flush()
    pk = _pk(model)
    stmt = (sa.update(model).where(pk == getattr(obj, pk.key), _matches(getattr(model, attr), expected))
            .values(**values).execution_options(synchronize_session=False))
    changed = db.session.execute(stmt).rowcount
    if changed != 1:
        return False
    for key, value in values.items():
        set_committed_value(obj, key, value)
    return True


def refresh(obj) -> None:
    """Re-read ``obj`` from the database (after a lost compare-and-set: say what won)."""
    db.session.refresh(obj)


def lock_row(model, ident):
    """Hold ``model``'s row ``ident`` until the transaction ends; returns it freshly read
    (None if it is not visible to the current tenant)."""
    pk = _pk(model)
    if db.session.connection().dialect.name == "postgresql":
        return db.session.scalar(sa.select(model).where(pk == ident).options(lazyload("*"))
                                 .with_for_update(of=model).execution_options(populate_existing=True))
    db.session.execute(sa.update(model).where(pk == ident).values({pk.key: pk})
                       .execution_options(synchronize_session=False))
    return db.session.scalar(sa.select(model).where(pk == ident).execution_options(populate_existing=True))


def insert_unless_exists(model, values: dict, *, keys: Iterable[str]) -> bool:
    """``INSERT … ON CONFLICT (keys) DO NOTHING``: True if this call inserted the row.

    A rival inserting the same key at the same moment is waited for (PostgreSQL) or queued
    behind the write lock (SQLite); no savepoint is needed, so the caller's transaction stays
    one transaction on both databases."""
    if db.session.connection().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = model.__table__
    # RETURNING, not rowcount: the driver's rowcount is not reliable for ON CONFLICT here.
    stmt = (insert(table).values(**values).on_conflict_do_nothing(index_elements=list(keys))
            .returning(*table.primary_key.columns))
    return db.session.execute(stmt).first() is not None
