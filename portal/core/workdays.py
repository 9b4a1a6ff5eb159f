"""Chinese official working days (工作日).

The measures count publicity periods in working days: A6.2 (school publicity of the
recommended candidates, 公示期不少于5个工作日) and A6.5 (publicity of the proposed
appointees on the ACSF website, likewise at least 5 working days). A working day here
is the State Council's: Monday to Friday unless the year's 放假安排 makes it a day
off, plus the weekend days it makes working days (调休上班).

Two layers of data, chosen per calendar year:

1. an override supplied by the caller (an administrator imports or corrects a year
   once the 国务院办公厅 notice is out); when present it replaces the library's data
   for that whole year, so a correction never mixes with stale library entries;
2. otherwise the ``chinesecalendar`` package, for the years it actually holds.

A year covered by neither raises :class:`NoCalendarData`. We never fall back to
"Monday to Friday": a deadline silently computed without the holidays would be wrong
by up to a week around 春节 and 国庆.

Two counting conventions, named in the UI and the README:

* **N个工作日后 ("N working days after a date")** excludes the start date:
  :meth:`WorkdayCalendar.add_workdays` (a reminder N working days before a deadline, a
  statement due N working days after a letter);
* **N个工作日的期间 ("a period of N working days")** counts its first day:
  :meth:`WorkdayCalendar.period_end` and :meth:`WorkdayCalendar.period_workdays` (a 公示期
  that starts on the day of publication, A6.2 / A6.5; the nomination window that opens on
  the day the letters go out).

Details (arithmetic counts exclude the start date):

* ``add_workdays(start, n)`` with ``n >= 1`` is the n-th working day strictly after
  ``start``; ``n <= -1`` is the |n|-th working day strictly before it; ``n == 0``
  rolls forward: ``start`` itself if it is a working day, else the next one.
* ``workdays_between(start, end)`` counts working days in the half-open interval
  ``(start, end]``; it is antisymmetric (``end < start`` gives the negative count of
  ``(end, start]``). For ``start <= end`` and ``k = workdays_between(start, end)``:
  ``add_workdays(start, k + 1) > end``, and if ``k >= 1`` then
  ``add_workdays(start, k) <= end``; ``workdays_between(start, add_workdays(start, n))
  == n`` for every ``n >= 1``.
* A period that *includes* its first day, as a 公示期 that starts on the day of
  publication, ends on ``period_end(first_day, n)``; whether the first day counts is a
  rule decision for the caller, not this module.

Dates are grouped by the calendar year they fall in: a notice for year Y that puts a
day off on 31 December of Y-1 belongs in Y-1's table.
"""

from __future__ import annotations

import datetime as _dt
import functools
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import chinese_calendar

__all__ = [
    "LIBRARY_SOURCE",
    "NoCalendarData",
    "WorkdayCalendar",
    "YearData",
    "check_year_complete",
    "library_year_data",
    "library_years",
    "parse_year_table",
    "year_data_to_rows",
]

LIBRARY_SOURCE = f"chinesecalendar {getattr(chinese_calendar, '__version__', '?')}"

_WEEKDAY_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

HOLIDAY: Literal["holiday"] = "holiday"
WORKDAY: Literal["workday"] = "workday"
Kind = Literal["holiday", "workday"]

# Accepted spellings of the "kind" column; the notices themselves say 放假 / 上班,
# printed calendars say 休 / 班.
_KINDS: dict[str, Kind] = {
    "休": HOLIDAY,
    "放假": HOLIDAY,
    "holiday": HOLIDAY,
    "班": WORKDAY,
    "上班": WORKDAY,
    "workday": WORKDAY,
}
_KIND_TO_ZH: dict[Kind, str] = {HOLIDAY: "休", WORKDAY: "班"}

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")

# The library stores English enum values; these are the names the notices use.
_OFFICIAL_NAMES: dict[str, str] = {
    "new_years_day": "元旦",
    "spring_festival": "春节",
    "tomb_sweeping_day": "清明节",
    "labour_day": "劳动节",
    "dragon_boat_festival": "端午节",
    "mid_autumn_festival": "中秋节",
    "national_day": "国庆节",
}


class NoCalendarData(ValueError):
    """No official holiday arrangement is known for ``year``."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"缺少{year}年的官方节假日安排数据，请管理员先导入该年度国务院办公厅通知"
        )


@dataclass(frozen=True, eq=True)
class YearData:
    """One calendar year's arrangement: days off and adjusted working weekend days.

    ``holidays`` maps each day the notice lists as 放假 to the holiday's Chinese name
    (weekend days may be listed too when the notice includes them in a block);
    ``workdays`` maps each weekend day made a working day (调休上班) to the holiday it
    makes up for. ``source`` says where the data came from, for the admin screen.
    """

    year: int
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)
    source: str = ""

    # Holds dicts, so it cannot be hashed; say so instead of failing inside hash().
    __hash__ = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        # Copy so that a caller mutating its own dict cannot change a cached year.
        # Keys are normalised because a datetime key would never match a date lookup.
        object.__setattr__(self, "holidays", {_as_date(d): n for d, n in self.holidays.items()})
        object.__setattr__(self, "workdays", {_as_date(d): n for d, n in self.workdays.items()})
        for d in (*self.holidays, *self.workdays):
            if d.year != self.year:
                raise ValueError(f"{self.year}年的节假日安排中出现了其他年份的日期{d}")
        for d in self.workdays:
            if d.weekday() < 5:
                raise ValueError(f"{d}是{_WEEKDAY_ZH[d.weekday()]}，调休上班日应为周六或周日")
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ValueError(f"{both[0]}不能同时是放假日和调休上班日")


# --------------------------------------------------------------------------- library


@functools.cache
def _library_tables() -> dict[int, YearData]:
    """Group the library's tables by year once; they never change at run time."""
    holidays: dict[int, dict[date, str]] = {}
    workdays: dict[int, dict[date, str]] = {}
    for d, value in chinese_calendar.holidays.items():
        holidays.setdefault(d.year, {})[d] = _library_name(value)
    for d, value in chinese_calendar.workdays.items():
        workdays.setdefault(d.year, {})[d] = _library_name(value)
    # Coverage is the set of years that have entries, not a guessed range: every
    # year with a notice has at least 元旦 in the holidays table.
    return {
        y: YearData(y, holidays.get(y, {}), workdays.get(y, {}), LIBRARY_SOURCE)
        for y in sorted(holidays)
    }


def _library_name(value: str) -> str:
    """Chinese name for one of the library's English holiday values."""
    try:
        member = chinese_calendar.Holiday(value)
    except ValueError:
        return value
    return _OFFICIAL_NAMES.get(member.name, member.chinese)


def library_years() -> list[int]:
    """Years for which the installed ``chinesecalendar`` has official data."""
    return list(_library_tables())


def library_year_data(year: int) -> YearData | None:
    """The library's arrangement for ``year``, or None if it has none."""
    return _library_tables().get(year)


# -------------------------------------------------------------------------- calendar


class _YearIndex:
    """A year's working days as sorted ordinals, for bisecting instead of looping."""

    __slots__ = ("data", "ordinals", "working")

    def __init__(self, data: YearData) -> None:
        self.data = data
        first = date(data.year, 1, 1).toordinal()
        last = date(data.year, 12, 31).toordinal()
        ordinals = [o for o in range(first, last + 1) if _is_working(date.fromordinal(o), data)]
        self.ordinals: tuple[int, ...] = tuple(ordinals)
        self.working: frozenset[int] = frozenset(ordinals)


def _is_working(d: date, data: YearData) -> bool:
    if d in data.workdays:
        return True
    return d.weekday() < 5 and d not in data.holidays


OverrideSource = Callable[[int], "YearData | None"] | Mapping[int, YearData]


class WorkdayCalendar:
    """Working-day arithmetic over official data, cached per year.

    ``overrides`` is called with a year and returns that year's :class:`YearData` or
    None (a mapping of year to YearData works too). Results are cached per instance,
    so call :meth:`clear_cache` after an administrator imports or edits a year.
    ``override_years`` optionally lists the years the override source holds, so that
    :meth:`covered_years` can report them; a bare callable cannot be enumerated.
    """

    def __init__(
        self,
        overrides: OverrideSource | None = None,
        *,
        override_years: Callable[[], Iterable[int]] | None = None,
    ) -> None:
        if isinstance(overrides, Mapping):
            mapping = overrides
            self._lookup: Callable[[int], YearData | None] | None = mapping.get
            self._override_years = override_years or (lambda: list(mapping))
        else:
            self._lookup = overrides
            self._override_years = override_years
        self._years: dict[int, _YearIndex] = {}

    # -- data --------------------------------------------------------------------

    def year_data(self, year: int) -> YearData:
        """The arrangement in force for ``year``: override, else library, else raise."""
        return self._index(year).data

    def covered_years(self) -> list[int]:
        """Sorted years this calendar can answer for."""
        candidates = set(library_years())
        if self._override_years is not None:
            candidates.update(self._override_years())
        covered = []
        for year in sorted(candidates):
            try:
                self._index(year)
            except NoCalendarData:
                continue
            covered.append(year)
        return covered

    def clear_cache(self, year: int | None = None) -> None:
        """Forget cached years (all, or one) after the override data changed."""
        if year is None:
            self._years.clear()
        else:
            self._years.pop(year, None)

    def _load(self, year: int) -> YearData:
        if self._lookup is not None:
            data = self._lookup(year)
            if data is not None:
                if data.year != year:
                    raise ValueError(f"覆盖数据年份不符：请求{year}年，得到{data.year}年")
                return data
        data = library_year_data(year)
        if data is None:
            raise NoCalendarData(year)
        return data

    def _index(self, year: int) -> _YearIndex:
        index = self._years.get(year)
        if index is None:
            # Misses are not cached: a year imported later must start working
            # without anyone remembering to clear the cache for it.
            index = _YearIndex(self._load(year))
            self._years[year] = index
        return index

    # -- single days -------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is an official working day."""
        d = _as_date(d)
        return d.toordinal() in self._index(d.year).working

    def holiday_name(self, d: date) -> str | None:
        """Chinese name of the holiday if the notice lists ``d`` as a day off, else None.

        Ordinary weekend days next to a holiday ("与周末连休") and adjusted working
        days give None, as in the notice's own wording.
        """
        d = _as_date(d)
        return self._index(d.year).data.holidays.get(d)

    def next_workday(self, d: date) -> date:
        """First working day strictly after ``d``."""
        return self.add_workdays(d, 1)

    # -- arithmetic --------------------------------------------------------------

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (before it if n < 0); see module doc.

        ``start`` itself is never counted; ``n == 0`` returns ``start`` if it is a
        working day, else the next working day.
        """
        start = _as_date(start)
        if n == 0:
            return start if self.is_workday(start) else self.add_workdays(start, 1)
        year = start.year
        ords = self._index(year).ordinals
        target = start.toordinal()
        remaining = abs(n)
        if n > 0:
            pos = bisect_right(ords, target)  # first working day after start
            while remaining > len(ords) - pos:
                remaining -= len(ords) - pos
                year += 1
                ords = self._index(year).ordinals
                pos = 0
            return date.fromordinal(ords[pos + remaining - 1])
        pos = bisect_left(ords, target)  # working days strictly before start
        while remaining > pos:
            remaining -= pos
            year -= 1
            ords = self._index(year).ordinals
            pos = len(ords)
        return date.fromordinal(ords[pos - remaining])

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; negative of ``(end, start]`` if end < start."""
        start, end = _as_date(start), _as_date(end)
        if end < start:
            return -self.workdays_between(end, start)
        s, e = start.toordinal(), end.toordinal()
        if start.year == end.year:
            ords = self._index(start.year).ordinals
            return bisect_right(ords, e) - bisect_right(ords, s)
        first = self._index(start.year).ordinals
        count = len(first) - bisect_right(first, s)
        for year in range(start.year + 1, end.year):
            count += len(self._index(year).ordinals)
        return count + bisect_right(self._index(end.year).ordinals, e)

    def period_workdays(self, first_day: date, last_day: date) -> int:
        """Working days in the period ``[first_day, last_day]``, both ends counted."""
        first_day, last_day = _as_date(first_day), _as_date(last_day)
        if last_day < first_day:
            return 0
        return self.workdays_between(first_day - _dt.timedelta(days=1), last_day)

    def last_covered_day(self) -> date | None:
        """31 December of the last year with official data, or None if there is none."""
        years = self.covered_years()
        return date(years[-1], 12, 31) if years else None

    def planning_day(self, today: date, *, back: int, ahead: int) -> tuple[date, int | None]:
        """The latest day, no later than ``today``, whose reach is inside the known years.

        A plan made on the day returned may count ``back`` working days before it and
        ``ahead`` after it. Returns ``(today, None)`` when today itself can be used, else
        ``(day, year)`` with the first year that lacks data. Raises NoCalendarData when
        no year is known at all.
        """
        today = _as_date(today)
        try:
            self.add_workdays(today, -back)
            self.add_workdays(today, ahead)
            return today, None
        except NoCalendarData as exc:
            missing = exc.year
        last = self.last_covered_day()
        if last is None:
            raise NoCalendarData(missing)
        return min(today, self.add_workdays(last, -(ahead + 1))), missing

    def covers(self, first: date, last: date) -> bool:
        """Whether every year from ``first`` to ``last`` has official data."""
        try:
            for year in range(_as_date(first).year, _as_date(last).year + 1):
                self._index(year)
        except NoCalendarData:
            return False
        return True

    def period_end(self, first_day: date, n: int) -> date:
        """Last day of a period of ``n`` working days that begins on ``first_day``.

        ``first_day`` counts if it is a working day (a 公示 published on a working day
        usually runs from that day, A6.2 / A6.5); otherwise the period starts on the
        next working day.
        """
        if n < 1:
            raise ValueError("工作日天数必须至少为1")
        return self.add_workdays(self.add_workdays(first_day, 0), n - 1)


# ------------------------------------------------------------------- completeness

# The statutory holidays every year's notice arranges (全国年节及纪念日放假办法), with the
# days each must at least give: from 2025 the Spring Festival has 4 and Labour Day 2.
_FESTIVALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("元旦", ("元旦", "new year")),
    ("春节", ("春节", "spring festival")),
    ("清明节", ("清明", "tomb", "qingming")),
    ("劳动节", ("劳动", "labour", "labor")),
    ("端午节", ("端午", "dragon boat")),
    ("中秋节", ("中秋", "mid-autumn", "mid autumn")),
    ("国庆节", ("国庆", "national day")),
)


def _statutory_days(festival: str, year: int) -> int:
    if festival == "春节":
        return 4 if year >= 2025 else 3
    if festival == "劳动节":
        return 2 if year >= 2025 else 1
    if festival == "国庆节":
        return 3
    return 1


def check_year_complete(data: YearData) -> None:
    """Refuse a year's table that lacks one of the statutory holidays, or gives it too few days.

    A one-row table with only 元旦 would otherwise replace the whole year and turn every
    other holiday into a working day. The mid-autumn festival may share the national day's
    block (2020, 2025: 国庆节、中秋节), which then holds at least one day more.
    """
    counts: dict[str, int] = {}
    for name in data.holidays.values():
        low = name.lower()
        for festival, keys in _FESTIVALS:
            if any(k in low for k in keys):
                counts[festival] = counts.get(festival, 0) + 1
    missing, short = [], []
    for festival, _ in _FESTIVALS:
        need = _statutory_days(festival, data.year)
        got = counts.get(festival, 0)
        if festival == "中秋节" and not got and counts.get("国庆节", 0) >= _statutory_days("国庆节", data.year) + 1:
            continue
        if not got:
            missing.append(festival)
        elif got < need:
            short.append(f"{festival}只有{got}天（至少{need}天）")
    if missing or short:
        parts = []
        if missing:
            parts.append("缺少" + "、".join(missing))
        parts.extend(short)
        raise ValueError(f"{data.year}年的节假日安排不完整：{'；'.join(parts)}。"
                         "请按国务院办公厅通知列出全部节日的放假日期")


# ----------------------------------------------------------------- import / export


def parse_year_table(
    rows: Iterable[Sequence[Any] | None],
    year: int,
    *,
    source: str = "管理员导入",
    first_row: int = 1,
) -> YearData:
    """Build a :class:`YearData` from ``(date, kind, name)`` rows of an import.

    ``kind`` is 休/班 (also 放假/上班 or holiday/workday). Blank rows are skipped, but
    still counted so that row numbers in errors match the sheet; pass ``first_row=2``
    when the sheet has a header row. Raises ValueError naming the offending row.
    """
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    seen: dict[date, tuple[int, Kind]] = {}
    for row_no, row in enumerate(rows, start=first_row):
        cells = [] if row is None else list(row)
        if all(_blank(c) for c in cells):
            continue
        if len(cells) < 3 or any(not _blank(c) for c in cells[3:]):
            raise ValueError(f"第{row_no}行：应为“日期, 类型, 名称”三列")
        raw_date, raw_kind, raw_name = cells[:3]

        d = _parse_date(raw_date)
        if d is None:
            raise ValueError(f"第{row_no}行：无法识别的日期“{raw_date}”，应为YYYY-MM-DD格式")
        if d.year != year:
            raise ValueError(f"第{row_no}行：日期{d}不属于{year}年")

        kind = _KINDS.get(str(raw_kind).strip().lower()) if not _blank(raw_kind) else None
        if kind is None:
            raise ValueError(f"第{row_no}行：类型“{raw_kind}”无效，应为“休”或“班”（holiday/workday）")

        name = "" if _blank(raw_name) else str(raw_name).strip()
        if not name:
            raise ValueError(f"第{row_no}行：缺少节日名称")
        if len(name) > 40:
            raise ValueError(f"第{row_no}行：「名称」不能超过 40 个字符，当前为 {len(name)} 个")

        if kind == WORKDAY and d.weekday() < 5:
            raise ValueError(
                f"第{row_no}行：{d}是{_WEEKDAY_ZH[d.weekday()]}，调休上班日应为周六或周日"
            )

        if d in seen:
            other_row, other_kind = seen[d]
            if other_kind == kind:
                raise ValueError(f"第{row_no}行：日期{d}与第{other_row}行重复")
            raise ValueError(
                f"第{row_no}行：日期{d}已在第{other_row}行列为"
                f"{'放假' if other_kind == HOLIDAY else '调休上班'}，不能同时列为"
                f"{'放假' if kind == HOLIDAY else '调休上班'}"
            )
        seen[d] = (row_no, kind)
        (holidays if kind == HOLIDAY else workdays)[d] = name

    if not seen:
        raise ValueError(f"{year}年的节假日安排表为空")
    return YearData(year, holidays, workdays, source)


def year_data_to_rows(yd: YearData) -> list[tuple[str, str, str]]:
    """Rows ``(YYYY-MM-DD, 休|班, name)`` sorted by date; parse_year_table reads them back."""
    rows = [(d, HOLIDAY, name) for d, name in yd.holidays.items()]
    rows += [(d, WORKDAY, name) for d, name in yd.workdays.items()]
    rows.sort(key=lambda r: r[0])
    return [(d.isoformat(), _KIND_TO_ZH[k], name) for d, k, name in rows]


# ------------------------------------------------------------------------- helpers


def _as_date(value: date) -> date:
    """Accept datetimes too; a datetime compares unequal to the date keys otherwise."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if not isinstance(value, date):
        raise TypeError(f"expected datetime.date, got {type(value).__name__}")
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_date(value: Any) -> date | None:
    if isinstance(value, (date, _dt.datetime)):
        return _as_date(value)
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return _dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
