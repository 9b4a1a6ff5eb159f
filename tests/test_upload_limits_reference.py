"""Issue 8, item 1 (and should-fix): the schools import and the working-day year import are bounded
before they read — rows, errors, claimed widths — and CSV headers compare as the xlsx reader's do."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.reference.models import School
from portal.reference.operations import IMPORT_HEADERS, MAX_IMPORT_ROWS, MAX_REPORTED_ERRORS
from tests import hostile_files as H
from tests.factories import TenantFactory, member

PEAK_MB = 200
GOOD = ["4144010558", "中山大学", "广东省", "学生会", "中山大学学生会", "否", "", "", ""]


def _csv(rows, headers=IMPORT_HEADERS) -> io.BytesIO:
    return io.BytesIO("\n".join([",".join(headers)] + [",".join(r) for r in rows]).encode("utf-8-sig"))


def _post(client, t, body: io.BytesIO, name: str, api=False):
    url = f"/api/v1/{t.slug}/schools/import" if api else f"/{t.slug}/schools/import"
    return client.post(url, data={"file": (body, name)}, content_type="multipart/form-data")


@pytest.mark.parametrize("api", [False, True])
def test_100k_row_csv_is_refused_before_it_is_read(client, login_as, session, api):
    t = TenantFactory()
    login_as(member(t))
    rows = [[str(4100000000 + i), "学校", "火星", "x", "", "也许", "", "", ""] for i in range(100_000)]
    resp = _post(client, t, _csv(rows), "schools.csv", api)
    assert resp.status_code in (400, 422)
    body = resp.get_data(as_text=True)
    text = resp.get_json()["error"]["message"] if api else body
    assert f"超过 {MAX_IMPORT_ROWS} 行的上限" in text and len(body) < 50_000  # not a 35 MB page of errors


def test_100k_row_xlsx_is_refused_while_streaming_with_bounded_memory():
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{4100000000 + r}</v></c></row>' for r in range(2, 100_002))
    data = H.workbook([("学校与组织", "<sheetData>" + H.header_row(IMPORT_HEADERS) + rows + "</sheetData>")], [])
    got = H.rss_probe("""
        from portal.core.errors import DomainError
        from portal.reference.operations import _read_rows
        # --- measured ---
        try:
            _read_rows("schools.xlsx", FILES["s.xlsx"])
        except DomainError as e:
            result = [e.code, e.message]
    """, files={"s.xlsx": data})
    code, message = got["result"]
    assert code == "too_many_rows" and f"{MAX_IMPORT_ROWS} 行" in message
    assert got["rss_peak_mb"] < PEAK_MB, got


@pytest.mark.parametrize("api", [False, True])
def test_schools_import_lists_at_most_the_cap_of_errors(client, login_as, session, api):
    t = TenantFactory()
    login_as(member(t))
    bad = [[str(4100000000 + i), "学校", "火星", "x", "", "也许", "", "", ""] for i in range(1000)]
    resp = _post(client, t, _csv(bad), "schools.csv", api)
    assert resp.status_code in (400, 422)
    if api:
        details = resp.get_json()["error"]["details"]
        assert len(details["errors"]) == MAX_REPORTED_ERRORS and details["errors_hidden"] == 4000 - MAX_REPORTED_ERRORS
    else:
        page = resp.get_data(as_text=True)
        assert page.count("无法识别的省份") == MAX_REPORTED_ERRORS // 4
        assert f"只列出前 {MAX_REPORTED_ERRORS} 处错误，另有 {4000 - MAX_REPORTED_ERRORS} 处未列出" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(School)) == 0


def test_csv_headers_with_trailing_spaces_are_accepted(client, login_as, session):
    t = TenantFactory()
    login_as(member(t))
    headers = [h + "  " for h in IMPORT_HEADERS[:-1]] + ["任期结束\u3000"]
    resp = _post(client, t, _csv([GOOD], headers), "schools.csv")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    from portal.core.db import tenant_context

    with tenant_context(t.id, db.session):
        assert db.session.scalars(sa.select(School.name)).all() == ["中山大学"]


def test_schools_import_does_not_echo_a_long_cell(client, login_as, session):
    t = TenantFactory()
    login_as(member(t))
    resp = _post(client, t, _csv([[GOOD[0], GOOD[1], "省" * 100_000] + GOOD[3:]]), "schools.csv", api=True)
    assert resp.status_code == 422
    (err,) = [e for e in resp.get_json()["error"]["details"]["errors"] if e["column"] == "所在省份"]
    assert len(err["message"]) < 120 and err["message"].endswith("」")


def test_working_day_table_claiming_a_huge_width_is_read_without_padding():
    got = H.rss_probe("""
        from portal.workdays.operations import read_rows
        data = H.claimed_dimension([["日期", "类型", "名称"], ["2031-01-01", "休", "元旦"]], ref="A1:XFD2000")
        # --- measured ---
        result = read_rows("2031.xlsx", data)
    """)
    assert got["result"] == [["2031-01-01", "休", "元旦"]]
    assert got["rss_peak_mb"] < PEAK_MB, got


def test_working_day_table_over_the_row_cap_is_refused():
    from portal.workdays.operations import HolidayImportError, MAX_ROWS, read_rows

    rows = [["日期", "类型", "名称"]] + [["2031-01-01", "休", "元旦"]] * (MAX_ROWS + 1)
    with pytest.raises(HolidayImportError) as info:
        read_rows("2031.xlsx", H.claimed_dimension(rows))
    assert f"{MAX_ROWS} 行" in info.value.message
    csv_body = "\n".join(",".join(r) for r in rows).encode()
    with pytest.raises(HolidayImportError):
        read_rows("2031.csv", csv_body)
