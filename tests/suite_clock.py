"""The date the suite runs at, whatever the wall clock says.

Tests open cycles whose working-day windows reach weeks ahead (A6.2, A6.5). The calendar
knows only years with an official notice, so on 2026-12-16 a window from today crosses
into 2027 and is refused, rightly. The suite therefore runs at ``SUITE_TODAY``:

* ``TEST_TODAY`` (YYYY-MM-DD) when set;
* else today in Beijing, when the calendar covers REACH working days either side of it;
* else the latest day before today whose reach the calendar does cover.

``TEST_HOLIDAY_TABLES`` (comma-separated CSV files of ``date,休|班,name`` with a header row,
as `flask workdays import` reads) adds years to the test database and to this choice:
``TEST_HOLIDAY_TABLES=tests/data/holidays-2027-synthetic.csv`` runs the suite as if the 2027
notice had been imported.

``TEST_WALL_CLOCK`` (ISO timestamp, UTC unless it names a zone) moves the wall clock of the
whole run there, ticking, with time-machine: ``TEST_WALL_CLOCK=2027-06-01T02:00:00Z`` is the
suite on that morning, as CI runs it. (libfaketime did the same from outside the process, but
slowed the run twenty-fold and stalled CI.)
"""
from __future__ import annotations

import csv
import datetime as dt
import os

from portal.core.clock import BEIJING
from portal.core.workdays import WorkdayCalendar, YearData, parse_year_table


def _travel():
    value = os.environ.get("TEST_WALL_CLOCK")
    if not value:
        return None
    import time_machine

    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    traveller = time_machine.travel(moment, tick=True)
    traveller.start()
    return traveller


WALL_CLOCK = _travel()  # before anything reads the date

REACH = 80  # working days either side of the suite's today that the tests may count


def extra_tables() -> list[YearData]:
    tables = []
    for path in filter(None, (p.strip() for p in os.environ.get("TEST_HOLIDAY_TABLES", "").split(","))):
        with open(path, encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))[1:]
        year = int(rows[0][0][:4])
        tables.append(parse_year_table(rows, year, source=f"测试数据 {os.path.basename(path)}", first_row=2))
    return tables


def _choose() -> tuple[dt.date, dt.date, int | None]:
    real = dt.datetime.now(BEIJING).date()
    explicit = os.environ.get("TEST_TODAY")
    if explicit:
        return dt.date.fromisoformat(explicit), real, None
    cal = WorkdayCalendar({t.year: t for t in extra_tables()})
    day, missing = cal.planning_day(real, back=REACH, ahead=REACH)
    return day, real, missing


SUITE_TODAY, REAL_TODAY, MISSING_YEAR = _choose()


def describe() -> str:
    moved = f"wall clock moved to {os.environ['TEST_WALL_CLOCK']}; " if WALL_CLOCK else ""
    return moved + _describe()


def _describe() -> str:
    if MISSING_YEAR is None:
        return f"suite clock: {SUITE_TODAY.isoformat()} (Beijing today {REAL_TODAY.isoformat()})"
    return (f"suite clock: {SUITE_TODAY.isoformat()} — Beijing today is {REAL_TODAY.isoformat()}, but the "
            f"working-day calendar has no {MISSING_YEAR} data (set TEST_HOLIDAY_TABLES to add a year)")
