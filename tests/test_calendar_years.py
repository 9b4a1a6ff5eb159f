"""The working-day calendar at the edge of its data (issue 8, item 16; item 12).

The calendar knows only the years with an official notice. A deadline that reaches a
year without one is refused with the year named (never a crash, never Monday-to-Friday);
the secretariat can paste the State Council's notice to add a year; an imported table
must be complete; the demo plans within the known years; dates are Beijing dates.
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.core import clock
from portal.core.audit import AuditRecord
from portal.core.calendar import HolidayYear, store_year
from portal.core.db import tenant_context
from portal.core.holiday_notice import NoticeError, parse_notice
from portal.core.workdays import NoCalendarData, WorkdayCalendar, YearData, check_year_complete, parse_year_table
from portal.extensions import db
from tenants.models import Tenant
from tests.factories import NationalTenantFactory, TenantFactory, member
from tests.suite_clock import extra_tables
from tests.unit.test_workdays import OFFICIAL

DATA = Path(__file__).parent / "data"
NOTICES = {y: (DATA / "notices" / f"{y}.txt").read_text(encoding="utf-8") for y in (2024, 2025, 2026)}
SYNTHETIC_2027 = DATA / "holidays-2027-synthetic.csv"


def synthetic_2027() -> YearData:
    import csv

    with open(SYNTHETIC_2027, encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))[1:]
    return parse_year_table(rows, 2027, source="测试数据（非官方）", first_row=2)


def _days(year):
    d = dt.date(year, 1, 1)
    while d.year == year:
        yield d
        d += dt.timedelta(days=1)


# --- the notice parser --------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_notice_text_parses_to_the_official_arrangement(year):
    parsed = parse_notice(NOTICES[year])
    assert parsed.year == year
    off, on = OFFICIAL[year]
    cal = WorkdayCalendar({year: parsed.data})
    for d in _days(year):
        expected = d in on or (d.weekday() < 5 and d not in off)
        assert cal.is_workday(d) is expected, d
    assert set(parsed.data.workdays) == set(on)
    assert set(off) <= set(parsed.data.holidays)
    assert parsed.warnings == []


def test_notice_source_names_the_document_number():
    assert parse_notice(NOTICES[2026]).source == "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）"
    assert parse_notice(NOTICES[2025]).data.holidays[dt.date(2025, 10, 6)] == "国庆节、中秋节"


def test_notice_for_another_year_is_refused():
    with pytest.raises(NoticeError, match="2026年的安排.*2027年不符"):
        parse_notice(NOTICES[2026], 2027)
    # without its title, the weekdays give the wrong year away
    body = NOTICES[2026].split("\n", 3)[3]
    with pytest.raises(NoticeError, match="标注为周四.*年份是否填错"):
        parse_notice(body, 2027)


def test_notice_total_days_must_match_the_range():
    text = NOTICES[2026].replace("放假调休，共9天", "放假调休，共8天")
    with pytest.raises(NoticeError, match="第二项（春节）.*共8天.*共9天"):
        parse_notice(text)


def test_incomplete_notice_is_refused_naming_what_is_missing():
    text = "国务院办公厅关于2026年部分节假日安排的通知\n一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。"
    with pytest.raises(NoticeError, match="缺少春节、清明节、劳动节、端午节、中秋节、国庆节"):
        parse_notice(text)


def test_days_of_the_previous_year_are_left_out_with_a_warning():
    text = NOTICES[2026].replace("一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。",
                                 "一、元旦：2025年12月31日（周三）至2026年1月3日（周六）放假调休，共4天。")
    parsed = parse_notice(text)
    assert dt.date(2025, 12, 31) not in parsed.data.holidays
    assert dt.date(2026, 1, 1) in parsed.data.holidays
    assert any("属于2025年" in w for w in parsed.warnings)


def test_notice_text_is_bounded():
    with pytest.raises(NoticeError, match="过长"):
        parse_notice("一、元旦：" + "x" * 30_000, 2026)
    with pytest.raises(NoticeError, match="请粘贴"):
        parse_notice("   ", 2026)


# --- completeness -------------------------------------------------------------------------------


def test_a_one_row_year_is_incomplete():
    data = parse_year_table([("2031-01-01", "休", "元旦")], 2031)
    with pytest.raises(ValueError, match="缺少春节"):
        check_year_complete(data)


def test_a_short_spring_festival_is_incomplete_from_2025():
    rows = [(d.isoformat(), "休", n) for n, d in
            [("元旦", dt.date(2031, 1, 1)), ("清明节", dt.date(2031, 4, 4)), ("劳动节", dt.date(2031, 5, 1)),
             ("劳动节", dt.date(2031, 5, 2)), ("端午节", dt.date(2031, 6, 2)), ("中秋节", dt.date(2031, 10, 1)),
             ("国庆节", dt.date(2031, 10, 2)), ("国庆节", dt.date(2031, 10, 3)), ("国庆节", dt.date(2031, 10, 6)),
             ("春节", dt.date(2031, 1, 23)), ("春节", dt.date(2031, 1, 24)), ("春节", dt.date(2031, 1, 27))]]
    with pytest.raises(ValueError, match="春节只有3天（至少4天）"):
        check_year_complete(parse_year_table(rows, 2031))


def test_import_of_a_one_row_table_is_refused_and_stores_nothing(client, login_as, session):
    national = NationalTenantFactory()
    login_as(member(national))
    resp = client.post(f"/{national.slug}/workdays/import",
                       data={"year": "2031", "file": (io.BytesIO("日期,类型,名称\n2031-01-01,休,元旦\n".encode()),
                                                      "2031.csv")})
    assert resp.status_code == 422
    assert "不完整" in resp.get_data(as_text=True) and "缺少春节" in resp.get_data(as_text=True)
    assert db.session.get(HolidayYear, 2031) is None


# --- pasting the notice: preview, then confirm ----------------------------------------------------


def test_pasted_notice_previews_then_imports_with_audit(client, login_as, session):
    national = NationalTenantFactory()
    login_as(member(national))
    resp = client.post(f"/{national.slug}/workdays/notice", data={"action": "preview", "text": NOTICES[2026]})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "预览：2026 年" in page and "国办发明电〔2025〕7号" in page and "确认导入 2026 年" in page
    assert "2026年2月15日" in page  # the spring festival's first day, as read
    assert db.session.get(HolidayYear, 2026) is None  # a preview stores nothing

    resp = client.post(f"/{national.slug}/workdays/notice",
                       data={"action": "confirm", "year": "2026", "text": NOTICES[2026]})
    assert resp.status_code == 303
    db.session.expire_all()
    row = db.session.get(HolidayYear, 2026)
    assert row is not None and "国办发明电〔2025〕7号" in row.source
    assert sum(d.kind == "workday" for d in row.days) == 6
    with tenant_context(national.id, db.session):
        rec = db.session.scalars(sa.select(AuditRecord).where(AuditRecord.action == "workdays.year_imported")
                                 .order_by(AuditRecord.id.desc())).first()
    assert rec.after["how"] == "notice" and rec.after["workdays"] == 6


def test_pasted_notice_with_an_error_names_the_item(client, login_as, session):
    national = NationalTenantFactory()
    login_as(member(national))
    text = NOTICES[2024].replace("2月4日（星期日）", "2月4日（星期一）")
    resp = client.post(f"/{national.slug}/workdays/notice", data={"action": "confirm", "text": text})
    assert resp.status_code == 422
    assert "第二项（春节）" in resp.get_data(as_text=True)
    assert db.session.get(HolidayYear, 2024) is None


def test_notice_api_preview_and_confirmed_import(client, login_as, session):
    national = NationalTenantFactory()
    login_as(member(national))
    base = f"/api/v1/{national.slug}/workdays"
    body = client.post(f"{base}/notice/preview", json={"text": NOTICES[2025]}).get_json()
    assert body["year"] == 2025 and {"date": "2025-02-08", "name": "春节"} in body["workdays"]
    assert db.session.get(HolidayYear, 2025) is None
    resp = client.post(f"{base}/notice", json={"text": NOTICES[2025]})
    assert resp.status_code == 422 and "confirm" in resp.get_json()["error"]["message"]
    assert db.session.get(HolidayYear, 2025) is None
    resp = client.post(f"{base}/notice", json={"text": NOTICES[2025], "confirm": True})
    assert resp.status_code == 201 and resp.get_json()["year"] == 2025
    resp = client.post(f"{base}/notice/preview", json={"text": 5})
    assert resp.status_code == 422


def test_provincial_admin_cannot_paste_a_notice(client, login_as, session):
    tenant = TenantFactory()
    login_as(member(tenant))
    resp = client.post(f"/{tenant.slug}/workdays/notice", data={"action": "confirm", "text": NOTICES[2026]})
    assert resp.status_code == 403
    resp = client.post(f"/api/v1/{tenant.slug}/workdays/notice/preview", json={"text": NOTICES[2026]})
    assert resp.status_code == 403
    assert db.session.get(HolidayYear, 2026) is None


# --- the two counting conventions -----------------------------------------------------------------


def test_after_excludes_the_start_and_a_period_counts_its_first_day(client, login_as, session):
    cal = WorkdayCalendar()
    # Monday 2026-03-16: 5 working days after it is the next Monday; a 5-day period ends on Friday.
    assert cal.add_workdays(dt.date(2026, 3, 16), 5) == dt.date(2026, 3, 23)
    assert cal.period_end(dt.date(2026, 3, 16), 5) == dt.date(2026, 3, 20)
    assert cal.period_workdays(dt.date(2026, 3, 16), dt.date(2026, 3, 20)) == 5
    assert cal.period_workdays(dt.date(2026, 9, 30), dt.date(2026, 10, 9)) == 3  # 9-30, 10-8, 10-9 (国庆节)
    tenant = TenantFactory()
    login_as(member(tenant))
    after = client.get(f"/{tenant.slug}/workdays/?start=2026-03-16&n=5&mode=after").get_data(as_text=True)
    period = client.get(f"/{tenant.slug}/workdays/?start=2026-03-16&n=5&mode=period").get_data(as_text=True)
    assert "2026-03-23" in after and "不含起始日" in after
    assert "2026-03-20" in period and "含首日" in period


# --- a year without data: refused with its year named, and the planning day ----------------------


def test_opening_a_cycle_whose_window_reaches_a_year_without_data_is_refused(app, client, login_as, session):
    national = NationalTenantFactory()
    login_as(member(national))
    # Mid-December of the last year the calendar knows: the nomination window reaches the next.
    has_2027 = any(t.year == 2027 for t in extra_tables())
    probe, missing = ("2027-12-16", 2028) if has_2027 else ("2026-12-16", 2027)
    suite_today = app.config["FIXED_TODAY"]
    app.config["FIXED_TODAY"] = probe
    try:
        resp = client.post(f"/{national.slug}/selection/cycles", data={"academic_year": "2026-2027"})
        assert resp.status_code == 422 and f"缺少{missing}年" in resp.get_data(as_text=True)
        resp = client.post(f"/api/v1/{national.slug}/selection/cycles", json={"academic_year": "2026-2027"})
        assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "no_calendar_data"
        if not has_2027:  # once the year is imported, the same cycle opens
            store_year(synthetic_2027())
            db.session.commit()
            resp = client.post(f"/api/v1/{national.slug}/selection/cycles", json={"academic_year": "2026-2027"})
            assert resp.status_code == 201, resp.get_json()
    finally:
        app.config["FIXED_TODAY"] = suite_today
        if not has_2027:
            row = db.session.get(HolidayYear, 2027)
            if row is not None:
                db.session.delete(row)
                db.session.commit()


def test_planning_day_stays_inside_the_known_years():
    lib = WorkdayCalendar()
    day, missing = lib.planning_day(dt.date(2026, 12, 26), back=30, ahead=40)
    assert missing == 2027 and day.year == 2026 and lib.add_workdays(day, 40) <= dt.date(2026, 12, 31)
    day, missing = lib.planning_day(dt.date(2027, 6, 1), back=30, ahead=40)
    assert missing == 2027 and day.year == 2026
    with_2027 = WorkdayCalendar({2027: synthetic_2027()})
    assert with_2027.planning_day(dt.date(2027, 6, 1), back=30, ahead=40) == (dt.date(2027, 6, 1), None)
    assert lib.planning_day(dt.date(2026, 3, 16), back=30, ahead=40) == (dt.date(2026, 3, 16), None)
    with pytest.raises(NoCalendarData) as info:
        lib.add_workdays(dt.date(2026, 12, 31), 1)
    assert info.value.year == 2027


@pytest.mark.parametrize("today", ["2026-12-26", "2027-06-01"])
def test_demo_loads_whatever_the_date_and_says_where_it_planned(app, session, today):
    from portal.demo import demo_planning_day, load_demo
    from portal.selection.models import SelectionCycle

    if any(t.year == 2027 for t in extra_tables()):
        pytest.skip("this test is about running without 2027 data")  # the with-2027 case is below
    suite_today = app.config["FIXED_TODAY"]
    app.config["FIXED_TODAY"] = today
    try:
        day, note = demo_planning_day()
        assert day.year == 2026 and "2027年的安排尚未导入" in note and day.isoformat() in note
        load_demo()
        acsf = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "acsf"))
        with tenant_context(acsf.id, db.session):
            opened = db.session.scalars(sa.select(SelectionCycle.opened_on)).all()
        assert opened and all(o.year == 2026 and o <= day for o in opened)
    finally:
        app.config["FIXED_TODAY"] = suite_today


def test_demo_plans_on_today_once_the_year_is_imported(app, session):
    from portal.demo import demo_planning_day

    suite_today = app.config["FIXED_TODAY"]
    app.config["FIXED_TODAY"] = "2027-06-01"
    try:
        store_year(synthetic_2027())
        db.session.flush()
        assert demo_planning_day() == (dt.date(2027, 6, 1), None)
    finally:
        app.config["FIXED_TODAY"] = suite_today


# --- Beijing dates (item 12) ---------------------------------------------------------------------


def test_today_is_the_beijing_date_at_2330_utc(app):
    import time_machine

    suite_today = app.config["FIXED_TODAY"]
    app.config["FIXED_TODAY"] = None
    try:
        with app.app_context(), time_machine.travel(dt.datetime(2026, 12, 16, 23, 30, tzinfo=dt.timezone.utc),
                                                    tick=False):
            assert clock.today() == dt.date(2026, 12, 17)
            assert clock.now().utcoffset() == dt.timedelta(hours=8)
        with app.app_context(), time_machine.travel(dt.datetime(2026, 12, 16, 15, 59, tzinfo=dt.timezone.utc),
                                                    tick=False):
            assert clock.today() == dt.date(2026, 12, 16)
    finally:
        app.config["FIXED_TODAY"] = suite_today


def test_api_names_both_conventions(client, session):
    after = client.get("/api/v1/workdays/add/2026-03-16/5").get_json()
    period = client.get("/api/v1/workdays/period-end/2026-03-16/5").get_json()
    assert after["end"] == "2026-03-23" and "excluded" in after["convention"]
    assert period["end"] == "2026-03-20" and "first day counts" in period["convention"]
    assert client.get("/api/v1/workdays/period-end/2026-03-16/0").status_code == 422
    resp = client.get("/api/v1/workdays/period-end/2026-12-28/5")
    if not any(t.year == 2027 for t in extra_tables()):
        assert resp.status_code == 422 and "2027" in resp.get_json()["error"]["message"]
