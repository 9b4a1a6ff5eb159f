"""Working-day calendar tests, checked against the State Council notices.

The expected arrangements below are written from the notices themselves
(国办发明电〔2023〕7号 for 2024, 〔2024〕12号 for 2025, 〔2025〕7号 for 2026),
not read from the library, so they catch a wrong or stale library table.
A6.2 and A6.5 count publicity periods in these working days.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta

import chinese_calendar
import pytest

from portal.core.workdays import (
    NoCalendarData,
    WorkdayCalendar,
    YearData,
    library_year_data,
    library_years,
    parse_year_table,
    year_data_to_rows,
)


def span(first: date, last: date) -> list[date]:
    """Every date from first to last inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# Each year: (days off as listed in the notice, adjusted working weekend days).
# Ordinary weekends that the notice merely joins ("与周末连休") are left out; they are
# off anyway.
OFFICIAL: dict[int, tuple[list[date], list[date]]] = {
    2024: (
        [date(2024, 1, 1)]
        + span(date(2024, 2, 10), date(2024, 2, 17))  # 春节
        + span(date(2024, 4, 4), date(2024, 4, 6))  # 清明节
        + span(date(2024, 5, 1), date(2024, 5, 5))  # 劳动节
        + [date(2024, 6, 10)]  # 端午节，与周末连休
        + span(date(2024, 9, 15), date(2024, 9, 17))  # 中秋节
        + span(date(2024, 10, 1), date(2024, 10, 7)),  # 国庆节
        [
            date(2024, 2, 4), date(2024, 2, 18),
            date(2024, 4, 7),
            date(2024, 4, 28), date(2024, 5, 11),
            date(2024, 9, 14),
            date(2024, 9, 29), date(2024, 10, 12),
        ],
    ),
    2025: (
        [date(2025, 1, 1)]
        + span(date(2025, 1, 28), date(2025, 2, 4))  # 春节（含除夕）
        + span(date(2025, 4, 4), date(2025, 4, 6))  # 清明节
        + span(date(2025, 5, 1), date(2025, 5, 5))  # 劳动节
        + span(date(2025, 5, 31), date(2025, 6, 2))  # 端午节
        + span(date(2025, 10, 1), date(2025, 10, 8)),  # 国庆节、中秋节
        [
            date(2025, 1, 26), date(2025, 2, 8),
            date(2025, 4, 27),
            date(2025, 9, 28), date(2025, 10, 11),
        ],
    ),
    2026: (
        span(date(2026, 1, 1), date(2026, 1, 3))  # 元旦
        + span(date(2026, 2, 15), date(2026, 2, 23))  # 春节
        + span(date(2026, 4, 4), date(2026, 4, 6))  # 清明节
        + span(date(2026, 5, 1), date(2026, 5, 5))  # 劳动节
        + span(date(2026, 6, 19), date(2026, 6, 21))  # 端午节
        + span(date(2026, 9, 25), date(2026, 9, 27))  # 中秋节
        + span(date(2026, 10, 1), date(2026, 10, 7)),  # 国庆节
        [
            date(2026, 1, 4),
            date(2026, 2, 14), date(2026, 2, 28),
            date(2026, 5, 9),
            date(2026, 9, 20), date(2026, 10, 10),
        ],
    ),
}


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()


def expected_workday(d: date) -> bool:
    off, work = OFFICIAL[d.year]
    return d in work or (d.weekday() < 5 and d not in off)


# ------------------------------------------------------------- official calendar


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_whole_year_matches_the_notice(cal: WorkdayCalendar, year: int) -> None:
    off, work = OFFICIAL[year]
    assert all(d.weekday() >= 5 for d in work), "adjusted working days are weekends"
    mismatches = [
        d for d in span(date(year, 1, 1), date(year, 12, 31))
        if cal.is_workday(d) != expected_workday(d)
    ]
    assert mismatches == []


def test_notice_days_off_are_named_holidays(cal: WorkdayCalendar) -> None:
    for year, (off, work) in OFFICIAL.items():
        for d in off:
            assert cal.holiday_name(d) is not None, d
        for d in work:
            assert cal.holiday_name(d) is None, d


def test_2024_spring_festival(cal: WorkdayCalendar) -> None:
    for d in span(date(2024, 2, 10), date(2024, 2, 17)):
        assert not cal.is_workday(d)
        assert cal.holiday_name(d) == "春节"
    assert date(2024, 2, 4).weekday() == 6 and cal.is_workday(date(2024, 2, 4))
    assert date(2024, 2, 18).weekday() == 6 and cal.is_workday(date(2024, 2, 18))
    assert cal.is_workday(date(2024, 2, 9))  # 除夕 was still a working day in 2024


def test_2024_national_day(cal: WorkdayCalendar) -> None:
    for d in span(date(2024, 10, 1), date(2024, 10, 7)):
        assert not cal.is_workday(d)
        assert cal.holiday_name(d) == "国庆节"
    assert date(2024, 9, 29).weekday() == 6 and cal.is_workday(date(2024, 9, 29))
    assert date(2024, 10, 12).weekday() == 5 and cal.is_workday(date(2024, 10, 12))


def test_2025_spring_festival(cal: WorkdayCalendar) -> None:
    for d in span(date(2025, 1, 28), date(2025, 2, 4)):
        assert not cal.is_workday(d)
        assert cal.holiday_name(d) == "春节"
    assert date(2025, 1, 26).weekday() == 6 and cal.is_workday(date(2025, 1, 26))
    assert date(2025, 2, 8).weekday() == 5 and cal.is_workday(date(2025, 2, 8))


def test_2025_national_day_and_mid_autumn(cal: WorkdayCalendar) -> None:
    for d in span(date(2025, 10, 1), date(2025, 10, 8)):
        assert not cal.is_workday(d)
        assert cal.holiday_name(d) in {"国庆节", "中秋节"}
    assert date(2025, 9, 28).weekday() == 6 and cal.is_workday(date(2025, 9, 28))
    assert date(2025, 10, 11).weekday() == 5 and cal.is_workday(date(2025, 10, 11))
    assert cal.is_workday(date(2025, 10, 9)) and cal.is_workday(date(2025, 10, 10))


def test_2026_spring_festival_and_national_day(cal: WorkdayCalendar) -> None:
    for d in span(date(2026, 2, 15), date(2026, 2, 23)):
        assert not cal.is_workday(d)
        assert cal.holiday_name(d) == "春节"
    for d in (date(2026, 2, 14), date(2026, 2, 28)):
        assert d.weekday() == 5 and cal.is_workday(d)
    for d in span(date(2026, 10, 1), date(2026, 10, 7)):
        assert not cal.is_workday(d)
        assert cal.holiday_name(d) == "国庆节"
    assert date(2026, 9, 20).weekday() == 6 and cal.is_workday(date(2026, 9, 20))
    assert date(2026, 10, 10).weekday() == 5 and cal.is_workday(date(2026, 10, 10))
    # 2026 中秋 (Fri 9-25) is its own block, not merged with 国庆.
    assert cal.holiday_name(date(2026, 9, 25)) == "中秋节"
    assert cal.is_workday(date(2026, 9, 30))


def test_datetime_input_is_accepted(cal: WorkdayCalendar) -> None:
    assert not cal.is_workday(dt.datetime(2025, 10, 1, 9, 30))
    assert cal.add_workdays(dt.datetime(2025, 9, 29, 23, 59), 1) == date(2025, 9, 30)


# --------------------------------------------------------------------- arithmetic


def test_add_workdays_across_national_day_2025(cal: WorkdayCalendar) -> None:
    # 9-30 (1); 10-1..10-8 off; 10-9 Thu (2), 10-10 Fri (3), 10-11 Sat 调休 (4),
    # 10-12 Sun off, 10-13 Mon (5).
    start = date(2025, 9, 29)
    assert [cal.add_workdays(start, n) for n in range(1, 6)] == [
        date(2025, 9, 30),
        date(2025, 10, 9),
        date(2025, 10, 10),
        date(2025, 10, 11),
        date(2025, 10, 13),
    ]
    assert cal.workdays_between(start, date(2025, 10, 13)) == 5


def test_add_workdays_zero_rolls_forward(cal: WorkdayCalendar) -> None:
    assert cal.add_workdays(date(2025, 9, 29), 0) == date(2025, 9, 29)
    assert cal.add_workdays(date(2025, 10, 1), 0) == date(2025, 10, 9)
    assert cal.add_workdays(date(2025, 10, 11), 0) == date(2025, 10, 11)  # 调休 Saturday


def test_add_workdays_negative_counts_back(cal: WorkdayCalendar) -> None:
    assert cal.add_workdays(date(2025, 10, 9), -1) == date(2025, 9, 30)
    assert cal.add_workdays(date(2025, 10, 13), -5) == date(2025, 9, 29)
    assert cal.add_workdays(date(2025, 10, 5), -1) == date(2025, 9, 30)
    assert cal.add_workdays(date(2025, 9, 30), -1) == date(2025, 9, 29)
    assert cal.add_workdays(date(2025, 9, 29), -1) == date(2025, 9, 28)  # 调休 Sunday


def test_next_workday(cal: WorkdayCalendar) -> None:
    assert cal.next_workday(date(2024, 2, 9)) == date(2024, 2, 18)  # Sunday 调休
    assert cal.next_workday(date(2025, 9, 29)) == date(2025, 9, 30)


def test_year_boundary(cal: WorkdayCalendar) -> None:
    # 2025-12-31 Wed works; 2026-01-01..03 off; 2026-01-04 Sunday works.
    assert cal.next_workday(date(2025, 12, 31)) == date(2026, 1, 4)
    assert cal.add_workdays(date(2025, 12, 30), 2) == date(2026, 1, 4)
    assert cal.add_workdays(date(2026, 1, 4), -1) == date(2025, 12, 31)
    assert cal.workdays_between(date(2025, 12, 31), date(2026, 1, 5)) == 2
    assert cal.workdays_between(date(2026, 1, 5), date(2025, 12, 31)) == -2
    # 2024-12-31 Tue works, 2025-01-01 off.
    assert cal.add_workdays(date(2024, 12, 31), 1) == date(2025, 1, 2)
    # Across whole years, against a day-by-day count of the notices' tables.
    by_hand = sum(expected_workday(d) for d in span(date(2025, 1, 1), date(2025, 12, 31)))
    assert cal.workdays_between(date(2024, 12, 31), date(2025, 12, 31)) == by_hand
    assert cal.workdays_between(date(2024, 6, 30), date(2026, 7, 1)) == sum(
        expected_workday(d) for d in span(date(2024, 7, 1), date(2026, 7, 1))
    )


def test_period_end_counts_first_day(cal: WorkdayCalendar) -> None:
    # A6.2 / A6.5: a 5-working-day 公示 published on Mon 2025-09-29 runs
    # 9-29, 9-30, 10-9, 10-10, 10-11.
    assert cal.period_end(date(2025, 9, 29), 5) == date(2025, 10, 11)
    # Published during the holiday, it starts on the next working day:
    # 10-9, 10-10, 10-11 (调休 Saturday), 10-13, 10-14.
    assert cal.period_end(date(2025, 10, 3), 5) == date(2025, 10, 14)
    with pytest.raises(ValueError):
        cal.period_end(date(2025, 10, 3), 0)


def test_arithmetic_is_consistent_with_a_day_by_day_count(cal: WorkdayCalendar) -> None:
    def brute_between(s: date, e: date) -> int:
        return sum(cal.is_workday(d) for d in span(s + timedelta(days=1), e))

    starts = span(date(2024, 12, 20), date(2025, 2, 15)) + span(
        date(2025, 9, 20), date(2025, 10, 20)
    )
    for s in starts:
        for n in range(1, 12):
            d = cal.add_workdays(s, n)
            assert d > s and cal.is_workday(d)
            assert cal.workdays_between(s, d) == n == brute_between(s, d)
            # Going back from a working day undoes going forward.
            if cal.is_workday(s):
                assert cal.add_workdays(d, -n) == s
        for offset in range(0, 25):
            e = s + timedelta(days=offset)
            k = cal.workdays_between(s, e)
            assert k == brute_between(s, e)
            assert cal.workdays_between(e, s) == -k
            assert cal.add_workdays(s, k + 1) > e
            if k >= 1:
                assert cal.add_workdays(s, k) <= e


# ---------------------------------------------------------------- data and coverage


def test_library_coverage_comes_from_its_tables() -> None:
    years = library_years()
    assert years == sorted({d.year for d in chinese_calendar.holidays})
    assert {2024, 2025, 2026} <= set(years)
    assert library_year_data(min(years) - 1) is None


def test_no_data_year_raises_with_the_year_in_the_message(cal: WorkdayCalendar) -> None:
    assert 2031 not in library_years()
    with pytest.raises(NoCalendarData) as info:
        cal.is_workday(date(2031, 3, 3))  # a plain Monday: still no guess
    assert isinstance(info.value, ValueError)
    assert info.value.year == 2031
    assert "2031年" in str(info.value)
    assert "国务院办公厅" in str(info.value)
    with pytest.raises(NoCalendarData):
        cal.year_data(2031)
    with pytest.raises(NoCalendarData):
        cal.holiday_name(date(2031, 10, 1))


def test_crossing_into_an_uncovered_year_raises_for_that_year(cal: WorkdayCalendar) -> None:
    last = max(library_years())
    with pytest.raises(NoCalendarData) as info:
        cal.add_workdays(date(last, 12, 20), 30)
    assert info.value.year == last + 1
    with pytest.raises(NoCalendarData) as info:
        cal.workdays_between(date(last, 12, 1), date(last + 1, 1, 10))
    assert info.value.year == last + 1
    first = min(library_years())
    with pytest.raises(NoCalendarData) as info:
        cal.add_workdays(date(first, 1, 10), -30)
    assert info.value.year == first - 1


def test_override_replaces_a_library_year_entirely() -> None:
    # A hypothetical correction for 2026 that lists only 元旦: every other library
    # entry for 2026 must disappear, not be merged.
    corrected = YearData(
        2026,
        holidays={date(2026, 1, 1): "元旦", date(2026, 1, 2): "元旦"},
        workdays={date(2026, 1, 4): "元旦"},
        source="test",
    )
    calls: list[int] = []

    def overrides(year: int) -> YearData | None:
        calls.append(year)
        return corrected if year == 2026 else None

    cal = WorkdayCalendar(overrides)
    assert cal.year_data(2026) is corrected
    assert cal.is_workday(date(2026, 10, 1))  # Thursday, no longer 国庆 in this table
    assert cal.holiday_name(date(2026, 2, 16)) is None
    assert cal.holiday_name(date(2026, 1, 2)) == "元旦"
    assert not cal.is_workday(date(2026, 1, 2))
    assert cal.is_workday(date(2026, 1, 4))
    # Other years still come from the library.
    assert not cal.is_workday(date(2025, 10, 1))
    assert cal.year_data(2025).source.startswith("chinesecalendar")
    # Cached per year: repeated calls do not hit the override source again.
    for _ in range(100):
        cal.is_workday(date(2026, 3, 2))
    assert calls.count(2026) == 1
    cal.clear_cache(2026)
    cal.is_workday(date(2026, 3, 2))
    assert calls.count(2026) == 2


def test_override_adds_a_year_the_library_lacks() -> None:
    data_2031 = YearData(
        2031,
        holidays={d: "国庆节" for d in span(date(2031, 10, 1), date(2031, 10, 7))},
        workdays={date(2031, 9, 28): "国庆节"},
        source="test",
    )
    cal = WorkdayCalendar({2031: data_2031})
    assert 2031 in cal.covered_years()
    assert cal.is_workday(date(2031, 9, 28))  # Sunday
    assert cal.next_workday(date(2031, 9, 30)) == date(2031, 10, 8)
    with pytest.raises(NoCalendarData):
        cal.is_workday(date(2030, 6, 3))

    plain = WorkdayCalendar(lambda year: None, override_years=lambda: [2031])
    assert 2031 not in plain.covered_years()  # listed but absent: not covered
    assert plain.covered_years() == library_years()


def test_override_for_the_wrong_year_is_rejected() -> None:
    cal = WorkdayCalendar(lambda year: YearData(2025, {date(2025, 1, 1): "元旦"}))
    with pytest.raises(ValueError):
        cal.is_workday(date(2026, 3, 2))


def test_year_data_validates() -> None:
    with pytest.raises(ValueError, match="调休上班日应为周六或周日"):
        YearData(2026, workdays={date(2026, 3, 2): "x"})
    with pytest.raises(ValueError):
        YearData(2026, holidays={date(2025, 12, 31): "元旦"})
    with pytest.raises(ValueError):
        YearData(2026, holidays={date(2026, 1, 4): "x"}, workdays={date(2026, 1, 4): "x"})


# -------------------------------------------------------------------- import/export


NOTICE_2026_ROWS = [
    ("日期", "类型", "名称"),
    *[(d.isoformat(), "休", "元旦") for d in span(date(2026, 1, 1), date(2026, 1, 3))],
    ("2026-01-04", "班", "元旦"),
    *[(d.isoformat(), "休", "春节") for d in span(date(2026, 2, 15), date(2026, 2, 23))],
    ("2026/2/14", "班", "春节"),
    ("2026年2月28日", "班", "春节"),
    *[(d.isoformat(), "holiday", "清明节") for d in span(date(2026, 4, 4), date(2026, 4, 6))],
    *[(d.isoformat(), "休", "劳动节") for d in span(date(2026, 5, 1), date(2026, 5, 5))],
    (date(2026, 5, 9), "workday", "劳动节"),
    *[(d.isoformat(), "休", "端午节") for d in span(date(2026, 6, 19), date(2026, 6, 21))],
    None,
    ("", "", ""),
    *[(d.isoformat(), "休", "中秋节") for d in span(date(2026, 9, 25), date(2026, 9, 27))],
    *[(d.isoformat(), " 休 ", "国庆节") for d in span(date(2026, 10, 1), date(2026, 10, 7))],
    ("2026-09-20", "班", "国庆节"),
    ("2026-10-10", "班", "国庆节"),
]


def test_parse_year_table_reads_the_2026_notice() -> None:
    yd = parse_year_table(NOTICE_2026_ROWS[1:], 2026, source="国办发明电〔2025〕7号")
    off, work = OFFICIAL[2026]
    assert set(yd.holidays) == set(off)
    assert set(yd.workdays) == set(work)
    assert yd.source == "国办发明电〔2025〕7号"
    # The imported table agrees day by day with the library's 2026 data.
    imported = WorkdayCalendar({2026: yd})
    library = WorkdayCalendar()
    for d in span(date(2026, 1, 1), date(2026, 12, 31)):
        assert imported.is_workday(d) == library.is_workday(d), d


def test_year_data_round_trips_through_rows() -> None:
    yd = library_year_data(2025)
    assert yd is not None
    rows = year_data_to_rows(yd)
    assert rows[0] == ("2025-01-01", "休", "元旦")
    assert ("2025-01-26", "班", "春节") in rows
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    again = parse_year_table(rows, 2025, source=yd.source)
    assert again == yd


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (("2025-12-31", "休", "元旦"), "不属于2026年"),
        (("2026-02-30", "休", "春节"), "无法识别的日期"),
        (("2026-03-02", "调", "春节"), "类型“调”无效"),
        (("2026-03-02", "班", "春节"), "星期一，调休上班日应为周六或周日"),
        (("2026-02-16", "休", ""), "缺少节日名称"),
        (("2026-02-16", "休"), "三列"),
        (("2026-02-14", "休", "春节"), "已在第2行列为调休上班，不能同时列为放假"),
        (("2026-02-15", "休", "春节"), "与第1行重复"),
    ],
)
def test_parse_year_table_errors_name_the_row(bad_row: tuple, message: str) -> None:
    rows = [
        ("2026-02-15", "休", "春节"),
        ("2026-02-14", "班", "春节"),
        None,  # blank rows still count, so numbers match the sheet
        bad_row,
    ]
    with pytest.raises(ValueError) as info:
        parse_year_table(rows, 2026)
    assert str(info.value).startswith("第4行")
    assert message in str(info.value)


def test_parse_year_table_row_numbers_honour_a_header() -> None:
    rows = [("2026-02-15", "休", "春节"), ("2026-03-04", "班", "x")]
    with pytest.raises(ValueError, match=r"^第3行：.*星期三"):
        parse_year_table(rows, 2026, first_row=2)


def test_parse_year_table_rejects_an_empty_table() -> None:
    with pytest.raises(ValueError, match="2026年"):
        parse_year_table([None, ("", None, "")], 2026)
