"""Upload limits (issue 8, item 1): what is read is bounded — bytes, cells, rows, text, errors —
before it is read, on every reader. Each hostile file is refused (or handled) in a fresh
interpreter whose peak resident size is measured: under 200 MB whatever the file."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from portal.core import uploads
from portal.core.uploads import UploadError, mark_errors_xlsx, read_xlsx_rows, read_xlsx_sheet
from tests import hostile_files as H

PEAK_MB = 200
HEADERS = ["姓名", "性别", "专业"]


def _refused(code: str, fn, *args, **kw) -> UploadError:
    with pytest.raises(UploadError) as info:
        fn(*args, **kw)
    assert info.value.code == code, info.value
    return info.value


# --- the shared-string bomb: one 1 MB string, every cell points to it ---------------------------

@pytest.mark.parametrize("fast", [True, False])
def test_shared_string_bomb_is_refused_with_bounded_memory(fast):
    got = H.rss_probe(f"""
        from portal.core.uploads import read_xlsx_sheet, UploadError
        from portal.selection.xlsx import HEADERS, SHEET
        data = H.shared_string_bomb(SHEET, HEADERS, rows=40)
        # --- measured ---
        try:
            read_xlsx_sheet(data, SHEET, HEADERS, fast={fast}, max_rows=200)
        except UploadError as e:
            result = [e.code, e.row, e.message]
    """)
    code, row, message = got["result"]
    assert code == "too_large" and row == 2
    assert "32,767" in message and "1,048,576" in message
    assert got["rss_peak_mb"] < PEAK_MB, got


def test_shared_strings_just_under_the_cell_limit_are_bounded_by_total_text(monkeypatch):
    """30,000-character strings pass the per-cell limit; the total of text (a shared string counted at
    every cell that refers to it) is what stops the file."""
    data = H.shared_string_bomb("S", HEADERS, rows=200, size=30_000)  # 600 cells x 30,000 = 18 M characters
    monkeypatch.setattr(uploads, "TEXT_BUDGET", 4 * 1024 * 1024)
    for fast in (True, False):
        err = _refused("too_large", read_xlsx_sheet, data, "S", HEADERS, fast=fast)
        assert "文字内容总量" in err.message


def test_fast_path_taken_only_when_the_text_bound_allows(monkeypatch):
    """A plain file still goes to calamine; a file whose shared strings could multiply does not."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws.append(HEADERS)
    ws.append(["张三", "男", "法学"])
    buf = io.BytesIO()
    wb.save(buf)
    plain = buf.getvalue()
    with zipfile.ZipFile(io.BytesIO(plain)) as z:
        strings = uploads._scan_shared_strings(z)
        scan = uploads._scan_sheet(z, "xl/worksheets/sheet1.xml")
    assert uploads._fast_path_safe(scan, strings)
    bomb = H.shared_string_bomb("S", HEADERS, rows=200, size=100_000)
    with zipfile.ZipFile(io.BytesIO(bomb)) as z:
        strings = uploads._scan_shared_strings(z)
        scan = uploads._scan_sheet(z, "xl/worksheets/sheet1.xml")
    assert scan.shared_refs >= 600 and strings.max_item >= 100_000
    assert not uploads._fast_path_safe(scan, strings)


def test_shared_string_hidden_in_an_attribute_gets_no_byte_bound():
    """A "<si" inside a quoted attribute value (a lenient parser may accept it) could split one
    item's text across two gaps: such a table gets no per-item bound, so calamine is not used."""
    body = "<sheetData>" + H.header_row(HEADERS) + "</sheetData>"
    data = H.workbook([("S", body)], ["x"])
    evil = data.replace(b"<si><t>x</t></si>", b'<si><r><rPr><rFont val="<si>"/></rPr><t>x</t></r></si>')
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/sharedStrings.xml":
                body = body.replace(b"<si><t>x</t></si>", b'<si><r><rPr><rFont val="&lt;si&gt;"/></rPr><t>x</t></r></si>')
                body = body.replace(b"&lt;si&gt;", b"<si>")
            dst.writestr(info, body)
    del evil
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as z:
        assert uploads._scan_shared_strings(z).max_item is None


def test_shared_string_table_is_bounded_before_it_is_loaded(monkeypatch):
    body = "<sheetData>" + H.header_row(HEADERS) + "</sheetData>"
    data = H.workbook([("S", body)], [H.random_text(50, seed=i) for i in range(2000)])
    monkeypatch.setattr(uploads, "MAX_SHARED_STRINGS", 1000)
    for fast in (True, False):
        err = _refused("too_large", read_xlsx_sheet, data, "S", HEADERS, fast=fast)
        assert "不重复文字内容过多" in err.message


# --- rows and cells: counted as they are read ----------------------------------------------------

def test_row_cap_is_applied_while_reading(monkeypatch):
    """The streamed read stops at the first row over the cap: the rows after it are never parsed."""
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>人{r}</t></is></c></row>' for r in range(2, 5000))
    data = H.workbook([("S", "<sheetData>" + H.header_row(["姓名"]) + rows + "</sheetData>")], [])
    seen = []
    real = uploads._stream_grid

    def spy(wb, ws, **kw):
        try:
            return real(wb, ws, **kw)
        finally:
            seen.append(kw)
    monkeypatch.setattr(uploads, "_stream_grid", spy)
    err = _refused("too_many_rows", read_xlsx_sheet, data, "S", ["姓名"], max_rows=100)
    assert "100 行" in err.message and seen


def test_styled_empty_cells_are_capped(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_SHEET_CELLS", 1000)
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}" s="0"/>' for c in "ABCDEFGHIJ") + "</row>"
                   for r in range(2, 300))
    data = H.workbook([("S", "<sheetData>" + H.header_row(["姓名"]) + rows + "</sheetData>")], [])
    for fast in (True, False):
        monkeypatch.setattr(uploads, "FAST_PATH_MAX_CELLS", 10)  # the streamed read counts for itself
        err = _refused("too_large", read_xlsx_sheet, data, "S", ["姓名"], fast=fast)
        assert "1,000 个单元格" in err.message


def test_claimed_huge_dimension_is_not_padded():
    got = H.rss_probe("""
        from portal.core.uploads import read_xlsx_rows
        data = H.claimed_dimension([["日期", "类型", "名称"], ["2027-01-01", "休", "元旦"]], ref="A1:XFD1048576")
        # --- measured ---
        result = read_xlsx_rows(data, max_rows=400, max_cols=10)
    """)
    assert got["result"] == [["日期", "类型", "名称"], ["2027-01-01", "休", "元旦"]]
    assert got["rss_peak_mb"] < PEAK_MB, got


def test_read_xlsx_rows_limits_columns_and_cell_length():
    wide = H.claimed_dimension([["a"], ["x"] * 12])
    err = _refused("unexpected_data", read_xlsx_rows, wide, max_cols=10)
    assert (err.row, err.column) == (2, "K")
    long = H.claimed_dimension([["日期"], ["y" * 500]])
    err = _refused("too_large", read_xlsx_rows, long, max_cell_chars=200)
    assert "200 个字" in err.message and err.row == 2


# --- the error-marked copy: only its own sheet is opened ---------------------------------------

def test_marked_copy_does_not_open_a_40_mb_second_sheet():
    body = "<sheetData>" + H.header_row(["姓名", "性别"]) + \
        '<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c></row></sheetData>'
    data = H.workbook([("推荐人选", body), ("附表", H.big_sheet_xml(40))], [])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.getinfo("xl/worksheets/sheet2.xml").file_size > 40 * 1024 * 1024
    got = H.rss_probe("""
        import io, openpyxl, zipfile
        from portal.core.uploads import mark_errors_xlsx
        # --- measured ---
        out = mark_errors_xlsx(FILES["book.xlsx"], "推荐人选", [(2, "性别", "该项不能为空")])
        wb = openpyxl.load_workbook(io.BytesIO(out))
        result = [wb.sheetnames, wb["推荐人选"]["B2"].comment.text, wb["推荐人选"]["C2"].value]
    """, timeout=300, files={"book.xlsx": data})
    names, comment, explained = got["result"]
    assert names == ["推荐人选", "错误说明"] and comment == "该项不能为空" and "该项不能为空" in explained
    assert got["rss_peak_mb"] < PEAK_MB, got


def test_marked_copy_never_writes_a_cell_over_excels_limit():
    long = "长" * 40_000
    body = "<sheetData>" + H.header_row(["姓名", "简介"]) + (
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c><c r="B2" t="inlineStr"><is><t>{long}</t></is></c></row>'
        "</sheetData>")
    data = H.workbook([("S", body)], [])
    errors = [(2, "简介", "内容过长：" + "很" * 40_000)] + [(2, "姓名", f"第{i}处" + "错" * 400) for i in range(200)]
    wb = openpyxl.load_workbook(io.BytesIO(mark_errors_xlsx(data, "S", errors)))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert cells and max(len(c.value) for c in cells) <= 32767
    assert wb["S"]["B2"].value.endswith("…")
    comments = [c.comment.text for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.comment]
    assert comments and max(map(len, comments)) <= 32767


def test_marked_copy_lists_at_most_the_cap_and_says_how_many_more(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_MARKED_ERRORS", 5)
    body = "<sheetData>" + H.header_row(["姓名"]) + "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x</t></is></c></row>' for r in range(2, 12)) + "</sheetData>"
    out = mark_errors_xlsx(H.workbook([("S", body)], []), "S", [(r, "姓名", "错") for r in range(2, 12)])
    ws = openpyxl.load_workbook(io.BytesIO(out))["错误说明"]
    values = [r[3] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert values[:5] == ["错"] * 5 and "另有 5 处错误" in values[5]


# --- echoed cells are cut ---------------------------------------------------------------------------

def test_a_1_mb_value_is_not_echoed_back_in_full():
    big = "x" * (1024 * 1024)
    for fn, args in ((uploads.parse_enum_cell, (["男", "女"],)), (uploads.parse_int_cell, ()),
                     (uploads.parse_date_cell, ()), (uploads.parse_decimal_cell, ()), (uploads.parse_phone_cell, ())):
        with pytest.raises(ValueError) as info:
            fn(big, *args, row=2, column="列")
        assert len(str(info.value)) < 300, fn.__name__
    assert len(UploadError("a" * 100_000).message) <= uploads.MAX_MESSAGE_CHARS
