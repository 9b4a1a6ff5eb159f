"""The working-day calendar's pages (A6.2/A6.5 publicity periods): calculator, covered
years, importing a year's holiday table with errors naming the row."""
from __future__ import annotations

import io

from openpyxl import Workbook

from tests.factories import NationalTenantFactory, TenantFactory, member


def complete_year_rows(year: int) -> list[tuple[str, str, str]]:
    """A table naming every statutory holiday with enough days (the dates are made up)."""
    import datetime as dt

    blocks = [("元旦", 1, 1, 1), ("春节", 2, 10, 7), ("清明节", 4, 4, 1), ("劳动节", 5, 1, 5),
              ("端午节", 6, 10, 1), ("中秋节", 9, 15, 1), ("国庆节", 10, 1, 7)]
    rows = []
    for name, month, day, n in blocks:
        first = dt.date(year, month, day)
        rows += [((first + dt.timedelta(days=i)).isoformat(), "休", name) for i in range(n)]
    return rows


def test_calculator_and_years_page_A6_5(client, login_as, session):
    tenant = TenantFactory()
    login_as(member(tenant))
    page = client.get(f"/{tenant.slug}/workdays/?start=2025-09-29&n=5").get_data(as_text=True)
    assert "2025-10-13" in page and "已覆盖的年份" in page and "2025" in page
    page = client.get(f"/{tenant.slug}/workdays/?start=1990-01-02&n=5").get_data(as_text=True)
    assert "1990" in page  # NoCalendarData names the year


def test_cli_workdays_add(app):
    result = app.test_cli_runner().invoke(args=["workdays", "add", "2025-09-29", "5"])
    assert result.output.strip() == "2025-10-13"


def test_import_csv_with_error_names_row_and_writes_nothing_A6_2(client, login_as, session):
    national = NationalTenantFactory()
    login_as(member(national))
    bad = "日期,类型,名称\n2031-01-01,休,元旦\n2031-01-02,放风,元旦\n".encode()
    resp = client.post(f"/{national.slug}/workdays/import",
                       data={"year": "2031", "file": (io.BytesIO(bad), "2031.csv")})
    assert resp.status_code == 422
    assert "第3行" in resp.get_data(as_text=True)
    years = client.get(f"/api/v1/{national.slug}/workdays/years").get_json()["years"]
    assert 2031 not in [y["year"] for y in years]
    wb = Workbook()
    ws = wb.active
    ws.append(["日期", "类型", "名称"])
    for row in complete_year_rows(2031):
        ws.append(list(row))
    ws.append(["2031-01-04", "班", "元旦"])
    buf = io.BytesIO()
    wb.save(buf)
    resp = client.post(f"/api/v1/{national.slug}/workdays/years/2031",
                       data={"file": (io.BytesIO(buf.getvalue()), "2031.xlsx"), "source": "测试通知"})
    assert resp.status_code == 201, resp.get_json()
    years = {y["year"]: y for y in client.get(f"/api/v1/{national.slug}/workdays/years").get_json()["years"]}
    assert years[2031]["source"] == "测试通知" and years[2031]["imported"]
    # 2031-01-04 is a Saturday made a working day
    assert client.get("/api/v1/workdays/is-workday/2031-01-04").get_json()["is_workday"] is True


def test_provincial_admin_cannot_change_the_national_calendar(client, login_as, session):
    tenant = TenantFactory()
    login_as(member(tenant))
    resp = client.post(f"/api/v1/{tenant.slug}/workdays/years/2032",
                       data={"file": (io.BytesIO("a,b,c\n2032-01-01,休,元旦\n".encode()), "x.csv")})
    assert resp.status_code == 403 and "全国学联" in resp.get_json()["error"]["message"]
