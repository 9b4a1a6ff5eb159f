"""Official document numbers (文号) from a locked per-tenant counter.

A number is never "how many were sent, plus one": two letters sent at the same moment would
read the same count. Each series (for example the invitation letters of one year) is one
counter row per tenant; taking a number is one ``UPDATE … SET last_value = last_value + 1``,
which holds that row (PostgreSQL) or the database's write lock (SQLite) until the
transaction ends, so no two transactions ever get the same value. The documents that carry
the number keep it under a unique constraint as well.
"""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.concurrency import insert_unless_exists
from portal.core.db import TenantScoped, check_tenant_write, current_tenant_id, utcnow
from portal.extensions import db


class DocumentCounter(TenantScoped, db.Model):
    """The last number issued in one series of one tenant."""

    __tablename__ = "document_counters"

    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    last_value: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    updated_at: Mapped[object] = mapped_column(sa.DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "series"),
                      sa.CheckConstraint("last_value >= 0", name="non_negative"))


def _bump(series: str) -> int | None:
    return db.session.execute(
        sa.update(DocumentCounter).where(DocumentCounter.series == series)
        .values(last_value=DocumentCounter.last_value + 1, updated_at=utcnow())
        .returning(DocumentCounter.last_value)
        .execution_options(synchronize_session=False)).scalar()


def next_number(series: str, *, start_after: int | Callable[[], int] = 0) -> int:
    """The next number of ``series`` for the current tenant (1, 2, 3 …; after ``start_after``
    when the series is new — a callable is asked only then). Held until the caller's
    transaction ends."""
    tid = current_tenant_id()
    check_tenant_write(tid, "DocumentCounter")
    value = _bump(series)
    if value is None:
        # A new series: create its row (a rival creating it at the same moment is waited for),
        # then take the number from it like everyone else.
        if callable(start_after):
            start_after = start_after()
        insert_unless_exists(DocumentCounter, {"tenant_id": tid, "series": series, "last_value": start_after,
                                               "updated_at": utcnow()}, keys=("tenant_id", "series"))
        value = _bump(series)
    return value


def year_of_issue_number(series: str, template: str, *, issued_on, numbered_before=None) -> str:
    """A 文号 of ``series`` for the calendar year the document is issued in (never the
    academic year it concerns): ``template`` has ``{year}`` and ``{n}``, for example
    ``"学联驻〔{year}〕{n}号"``. Each year is its own counter (``series:year``) of the current
    tenant, so numbers restart at 1 on 1 January, with no gaps and no repeats (see
    :func:`next_number`). ``numbered_before(prefix)`` — asked only when the year's counter is
    new — gives the highest number already issued under ``prefix`` (the text before ``{n}``)."""
    year = int(issued_on.year)
    prefix = template.split("{n}", 1)[0].format(year=year)
    start = (lambda: numbered_before(prefix)) if numbered_before is not None else 0
    n = next_number(f"{series}:{year}", start_after=start)
    return template.format(year=year, n=n)
