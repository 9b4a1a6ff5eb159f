"""The working-day calendar the portal uses: the library plus the database's year tables.

An administrator imports or corrects a year (the State Council's notice) into
``holiday_years``/``holiday_days``; such a year fully replaces the library's data.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import utcnow
from portal.core.workdays import (  # noqa: F401
    NoCalendarData, WorkdayCalendar, YearData, check_year_complete, parse_year_table,
)
from portal.extensions import db


class HolidayYear(db.Model):
    """Platform-wide: the official calendar is the same for every tenant."""

    __tablename__ = "holiday_years"

    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    imported_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)
    days = relationship("HolidayDay", lazy="selectin", cascade="all, delete-orphan",
                        order_by="HolidayDay.day")


class HolidayDay(db.Model):
    __tablename__ = "holiday_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(sa.ForeignKey("holiday_years.year", ondelete="CASCADE"), nullable=False)
    day: Mapped[dt.date] = mapped_column(sa.Date, nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # holiday | workday
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)

    __table_args__ = (sa.CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)


def _db_year(year: int) -> YearData | None:
    """The database's table for ``year`` (None: the library's), cached per process like the
    tenant: a write in this process clears it at once (``proc_cache.watch``), another process's
    import is seen within ``TENANT_CACHE_SECONDS``."""
    from portal.core import proc_cache

    def build():
        row = db.session.get(HolidayYear, year)
        return None if row is None else YearData(
            year=year,
            holidays={d.day: d.name for d in row.days if d.kind == "holiday"},
            workdays={d.day: d.name for d in row.days if d.kind == "workday"},
            source=row.source,
        )

    return proc_cache.remember("holidays", year, build)


def _db_years():
    from portal.core import proc_cache

    return list(proc_cache.remember("holidays", "years",
                                    lambda: tuple(db.session.scalars(sa.select(HolidayYear.year)))))


def _watch() -> None:
    from portal.core import proc_cache

    proc_cache.watch(HolidayYear, "holidays")
    proc_cache.watch(HolidayDay, "holidays")


_watch()


def calendar() -> WorkdayCalendar:
    """One calendar per request/job (DB overrides are read once per year per use)."""
    if has_app_context():
        cal = g.get("_workday_calendar")
        if cal is None:
            seen: dict = {}  # a year the database lacks is asked once per request/job, not per date

            def lookup(year: int, seen=seen):
                if year not in seen:
                    seen[year] = _db_year(year)
                return seen[year]

            cal = g._workday_calendar = WorkdayCalendar(lookup, override_years=_db_years)
        return cal
    return WorkdayCalendar()


def import_year(year: int, rows, source: str) -> HolidayYear:
    """Replace ``year``'s arrangement with a table of ``(date, 休|班, name)`` rows."""
    return store_year(parse_year_table(rows, year, source=source, first_row=2))


def store_year(data: YearData) -> HolidayYear:
    """Replace ``data.year``'s arrangement; refused (ValueError) if the year is incomplete."""
    check_year_complete(data)
    year = data.year
    existing = db.session.get(HolidayYear, year)
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
    row = HolidayYear(year=year, source=data.source)
    for day, name in data.holidays.items():
        row.days.append(HolidayDay(year=year, day=day, kind="holiday", name=name))
    for day, name in data.workdays.items():
        row.days.append(HolidayDay(year=year, day=day, kind="workday", name=name))
    db.session.add(row)
    db.session.flush()
    if has_app_context():
        g.pop("_workday_calendar", None)  # this request's calendar must see the new year
    return row
