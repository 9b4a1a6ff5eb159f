"""portal.core.uploads —— 附件识别、xlsx 安全检查、工作表读取、单元格规范化、错误标注。"""

import io
import pickle
import re
import struct
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from openpyxl.comments import Comment

from portal.core.idcard import make_id_number
from portal.core.uploads import (
    ERROR_COLUMN_HEADER,
    ERROR_COMMENT_AUTHOR,
    ERROR_FILL_RGB,
    ERROR_SHEET_TITLE,
    SheetRow,
    UploadError,
    check_xlsx_safety,
    mark_errors_xlsx,
    parse_date_cell,
    parse_enum_cell,
    parse_id_cell,
    parse_int_cell,
    parse_text_cell,
    read_xlsx_sheet,
    sniff_attachment,
    to_halfwidth,
)

SHEET = "学生信息"
HEADERS = ["姓名", "身份证号", "出生日期", "性别"]
ID1 = make_id_number(seq=123)
ID2 = make_id_number(region="440305", birth=date(2004, 2, 29), seq=246)

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + struct.pack(">I", 13)
    + b"IHDR"
    + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    + b"\x90wS\xde"
    + b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode."
HTML = b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(1)</script></body></html>"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


# ---------------------------------------------------------------------------
# 工具函数
# ---------------------------------------------------------------------------


def make_xlsx(rows, *, sheet=SHEET, merges=(), extra_sheets=(), setup=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(list(r))
    for m in merges:
        ws.merge_cells(m)
    for name in extra_sheets:
        wb.create_sheet(name).append(["x"])
    if setup:
        setup(wb, ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def standard_rows():
    return [
        HEADERS,
        ["张三", ID1, datetime(2003, 5, 1), "男"],
        ["李四", ID2, "2004年2月29日", "女"],
    ]


def rezip(data: bytes, replace=None, add=None, drop=()) -> bytes:
    """复制一个 zip，替换/增加/删除部分条目。"""
    replace = replace or {}
    add = add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            body = replace.get(info.filename, src.read(info.filename))
            dst.writestr(info.filename, body)
        for name, body in add.items():
            dst.writestr(name, body)
    return out.getvalue()


SST_CT = (
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
SST_REL = (
    b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
SHEET_WITH_SST = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    '<row r="2"><c r="A2" t="s"><v>1</v></c></row>'
    "</sheetData></worksheet>"
).encode()


def xlsx_with_shared_strings(sst_xml: bytes) -> bytes:
    """构造一个真正使用 sharedStrings.xml 的工作簿（openpyxl 默认写内联字符串）。"""
    base = make_xlsx([["占位"]], sheet="Sheet1")
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        ct = z.read("[Content_Types].xml").replace(b"</Types>", SST_CT)
        rels = z.read("xl/_rels/workbook.xml.rels").replace(b"</Relationships>", SST_REL)
    return rezip(
        base,
        replace={"[Content_Types].xml": ct, "xl/_rels/workbook.xml.rels": rels, "xl/worksheets/sheet1.xml": SHEET_WITH_SST},
        add={"xl/sharedStrings.xml": sst_xml},
    )


BENIGN_SST = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">'
    "<si><t>姓名</t></si><si><t>张三</t></si></sst>"
).encode()

BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE sst [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>&lol9;</t></si><si><t>x</t></si></sst>
"""


def zeros_zip_member(size: int) -> bytes:
    """把一个合法 xlsx 的工作表替换成一大串 0（压缩后只有几 KB）。"""
    return rezip(make_xlsx(standard_rows()), replace={"xl/worksheets/sheet1.xml": b"\x00" * size})


def raises_upload(code, fn, *args, **kw) -> UploadError:
    with pytest.raises(UploadError) as ei:
        fn(*args, **kw)
    assert ei.value.code == code, ei.value
    return ei.value


# ---------------------------------------------------------------------------
# UploadError
# ---------------------------------------------------------------------------


def test_upload_error_fields_and_str():
    e = UploadError("日期格式不正确", "bad_value", row=3, column="出生日期")
    assert isinstance(e, ValueError)
    assert e.message == "日期格式不正确" and e.row == 3 and e.column == "出生日期"
    assert str(e) == "第3行「出生日期」列：日期格式不正确"
    assert e.as_tuple() == (3, "出生日期", "日期格式不正确")
    assert str(UploadError("文件为空", "empty")) == "文件为空"
    e2 = pickle.loads(pickle.dumps(e))
    assert (e2.message, e2.code, e2.row, e2.column) == (e.message, e.code, e.row, e.column)


# ---------------------------------------------------------------------------
# sniff_attachment
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("data,kind", [(PDF, "pdf"), (JPG, "jpg"), (PNG, "png")])
def test_sniff_detects_by_content(data, kind):
    assert sniff_attachment(data) == kind


def test_pdf_renamed_png_is_detected_as_pdf():
    filename = "证件照.png"  # 扩展名根本不会被传入——只看内容
    assert filename.endswith(".png")
    assert sniff_attachment(PDF) == "pdf"
    e = raises_upload("bad_type", sniff_attachment, PDF, allowed=("png", "jpg"))
    assert "PNG、JPG" in e.message and "PDF 文档" in e.message and "扩展名" in e.message


def test_png_renamed_pdf_rejected_when_only_pdf_allowed():
    e = raises_upload("bad_type", sniff_attachment, PNG, allowed=("pdf",))
    assert "只能上传 PDF 格式" in e.message and "PNG 图片" in e.message


@pytest.mark.parametrize(
    "data,desc",
    [
        (EXE, "可执行程序"),
        (HTML, "网页"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "SVG"),
        (b"GIF89a\x01\x00\x01\x00", "GIF"),
        (b"PK\x03\x04" + b"\x00" * 30, "ZIP"),
        (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 16, "HEIC"),
        ("姓名,身份证号\n张三,1101\n".encode("gbk"), "文本"),
    ],
)
def test_sniff_rejects_other_types_naming_allowed(data, desc):
    e = raises_upload("bad_type", sniff_attachment, data)
    assert "PDF、JPG、PNG" in e.message
    assert desc in e.message


def test_sniff_png_signature_without_ihdr_rejected():
    raises_upload("bad_type", sniff_attachment, b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)


def test_sniff_empty_and_too_large():
    assert "空的" in raises_upload("empty", sniff_attachment, b"").message
    e = raises_upload("too_large", sniff_attachment, PDF + b"0" * 2048, max_size=1024)
    assert "超过了 1 KB" in e.message


def test_sniff_allowed_aliases_and_validation():
    assert sniff_attachment(JPG, allowed=("JPEG",)) == "jpg"
    assert sniff_attachment(JPG, allowed=(".jpg",)) == "jpg"
    with pytest.raises(ValueError):
        sniff_attachment(PDF, allowed=("exe",))


# ---------------------------------------------------------------------------
# check_xlsx_safety
# ---------------------------------------------------------------------------


def test_valid_xlsx_passes():
    assert check_xlsx_safety(make_xlsx(standard_rows())) is None
    assert check_xlsx_safety(xlsx_with_shared_strings(BENIGN_SST)) is None


def test_zip_bomb_run_of_zeros():
    data = zeros_zip_member(20 * 1024 * 1024)
    assert len(data) < 100 * 1024  # 20 MB 的 0 压缩后很小
    e = raises_upload("zip_bomb", check_xlsx_safety, data)
    assert "压缩比" in e.message and "压缩炸弹" in e.message
    # 默认参数下解压后也超过 50 MB 的情况
    raises_upload("zip_bomb", check_xlsx_safety, zeros_zip_member(60 * 1024 * 1024))
    # 通过 read_xlsx_sheet 也一样被拦截
    raises_upload("zip_bomb", read_xlsx_sheet, data, SHEET, HEADERS)


def test_zip_bomb_too_many_entries():
    data = rezip(make_xlsx(standard_rows()), add={f"xl/media/junk{i}.bin": b"x" for i in range(250)})
    e = raises_upload("zip_bomb", check_xlsx_safety, data)
    assert "超过 200 个" in e.message
    check_xlsx_safety(data, max_entries=300)  # 放宽上限后通过


def test_total_uncompressed_size_cap():
    data = make_xlsx(standard_rows())
    e = raises_upload("too_large", check_xlsx_safety, data, max_uncompressed=2000)
    assert "超过了" in e.message


def test_forged_uncompressed_size_is_not_trusted():
    """把中央目录里声明的解压大小改小，绕过比例检查——实际解压时仍会被发现。"""
    data = zeros_zip_member(5 * 1024 * 1024)
    name = b"xl/worksheets/sheet1.xml"
    buf = bytearray(data)
    for sig, size_off in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        pos = 0
        while (pos := buf.find(sig, pos)) != -1:
            name_off = 46 if sig == b"PK\x01\x02" else 30
            n = struct.unpack_from("<H", buf, pos + 28 if sig == b"PK\x01\x02" else pos + 26)[0]
            if bytes(buf[pos + name_off : pos + name_off + n]) == name:
                struct.pack_into("<I", buf, pos + size_off, 1000)
            pos += 4
    with zipfile.ZipFile(io.BytesIO(bytes(buf))) as z:
        assert z.getinfo(name.decode()).file_size == 1000
    e = raises_upload("corrupt", check_xlsx_safety, bytes(buf))
    assert "损坏" in e.message


def test_billion_laughs_in_shared_strings_rejected():
    data = xlsx_with_shared_strings(BILLION_LAUGHS)
    e = raises_upload("xml_entities", check_xlsx_safety, data)
    assert "DOCTYPE/ENTITY" in e.message and "xl/sharedStrings.xml" in e.message
    raises_upload("xml_entities", read_xlsx_sheet, data, "Sheet1", ["姓名"])
    raises_upload("xml_entities", read_xlsx_sheet, data, "Sheet1", ["姓名"], fast=True)


def test_crafted_shared_strings_workbook_is_otherwise_valid():
    """对照组：同样手工构造、但没有实体声明的工作簿能正常读取。"""
    data = xlsx_with_shared_strings(BENIGN_SST)
    for fast in (False, True):
        rows = read_xlsx_sheet(data, "Sheet1", ["姓名"], fast=fast)
        assert [(r.row, dict(r)) for r in rows] == [(2, {"姓名": "张三"})]


def test_external_doctype_and_utf16_entities_rejected():
    ext = b'<?xml version="1.0"?><!DOCTYPE sst SYSTEM "http://evil.example/x.dtd"><sst/>'
    raises_upload("xml_entities", check_xlsx_safety, xlsx_with_shared_strings(ext))
    utf16 = BILLION_LAUGHS.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    raises_upload("xml_entities", check_xlsx_safety, xlsx_with_shared_strings(utf16))
    # DOCTYPE 藏在 [Content_Types].xml 里
    data = make_xlsx(standard_rows())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        ct = z.read("[Content_Types].xml")
    evil = b'<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY a "b">]>' + ct
    raises_upload("xml_entities", check_xlsx_safety, rezip(data, replace={"[Content_Types].xml": evil}))


def test_old_xls_rejected():
    e = raises_upload("bad_type", check_xlsx_safety, OLE2)
    assert ".xls" in e.message and "另存为" in e.message


def test_encrypted_xlsx_rejected():
    data = OLE2 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64
    assert "密码" in raises_upload("encrypted", check_xlsx_safety, data).message


@pytest.mark.parametrize(
    "data,word",
    [
        ("姓名,身份证号,出生日期\n张三,110105200305011237,2003-05-01\n".encode("utf-8"), "CSV"),
        ("姓名\t身份证号\n张三\t1101\n".encode("gbk"), "CSV"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "网页"),
        (PDF, "PDF"),
    ],
)
def test_renamed_non_xlsx_rejected(data, word):
    e = raises_upload("bad_type", check_xlsx_safety, data)
    assert word in e.message


def test_docx_and_plain_zip_rejected():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    assert "Word" in raises_upload("bad_type", check_xlsx_safety, out.getvalue()).message
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hi")
    raises_upload("bad_type", check_xlsx_safety, out.getvalue())


def test_macro_workbook_rejected():
    data = rezip(make_xlsx(standard_rows()), add={"xl/vbaProject.bin": b"\x00" * 100})
    assert "宏" in raises_upload("macro", check_xlsx_safety, data).message


def test_empty_and_truncated():
    raises_upload("empty", check_xlsx_safety, b"")
    data = make_xlsx(standard_rows())
    raises_upload("corrupt", check_xlsx_safety, data[: len(data) // 2])


# ---------------------------------------------------------------------------
# read_xlsx_sheet
# ---------------------------------------------------------------------------

both_paths = pytest.mark.parametrize("fast", [False, True], ids=["openpyxl", "calamine"])


@both_paths
def test_read_basic(fast):
    rows = standard_rows()
    rows.insert(2, [None, None, None, None])  # 空行被跳过
    rows.append(["  ", None, "", None])        # 只有空白的行也被跳过
    rows.append(["王五", ID1, "2003.05", 2])
    data = make_xlsx(rows)
    result = read_xlsx_sheet(data, SHEET, HEADERS, fast=fast)
    assert result.sheet_name == SHEET
    assert result.columns == {"姓名": "A", "身份证号": "B", "出生日期": "C", "性别": "D"}
    assert [r.row for r in result] == [2, 4, 6]
    first = result[0]
    assert isinstance(first, SheetRow)
    assert first["姓名"] == "张三" and first["身份证号"] == ID1 and first["性别"] == "男"
    assert first["出生日期"] == datetime(2003, 5, 1)  # 原始值（两条路径都返回 datetime），未转换
    assert result[1]["出生日期"] == "2004年2月29日"
    assert result[2]["性别"] == 2 and type(result[2]["性别"]) is int
    assert len(result) == 3


@both_paths
def test_read_header_tolerates_whitespace_fullwidth_and_order(fast):
    data = make_xlsx([[" 性别", "出生\n日期", "身份证号\u3000", "姓名"], ["女", "2003-05-01", ID2, "李四"]])
    result = read_xlsx_sheet(data, SHEET, HEADERS, fast=fast)
    assert result.columns == {"性别": "A", "出生日期": "B", "身份证号": "C", "姓名": "D"}
    assert dict(result[0]) == {"姓名": "李四", "身份证号": ID2, "出生日期": "2003-05-01", "性别": "女"}


@both_paths
def test_missing_sheet_lists_found_sheets(fast):
    data = make_xlsx(standard_rows(), sheet="Sheet1", extra_sheets=["说明"])
    e = raises_upload("missing_sheet", read_xlsx_sheet, data, SHEET, HEADERS, fast=fast)
    assert f"没有名为「{SHEET}」的工作表" in e.message
    assert "「Sheet1」、「说明」" in e.message


@both_paths
def test_header_mismatch_names_missing_and_unexpected(fast):
    data = make_xlsx([["姓名", "身份证", "出生日期", "性别", "备注"], ["张三", ID1, "2003-05-01", "男", ""]])
    e = raises_upload("bad_header", read_xlsx_sheet, data, SHEET, HEADERS, fast=fast)
    assert "缺少列「身份证号」" in e.message
    assert "多出列「身份证」（B列）、「备注」（E列）" in e.message
    assert e.row == 1


@both_paths
def test_duplicate_header(fast):
    data = make_xlsx([HEADERS + ["姓名"], ["张三", ID1, "2003-05-01", "男", "x"]])
    e = raises_upload("bad_header", read_xlsx_sheet, data, SHEET, HEADERS, fast=fast)
    assert "表头「姓名」重复出现（A列、E列）" in e.message


@both_paths
def test_empty_header_row(fast):
    data = make_xlsx([[None], ["张三"]])
    assert "第1行没有表头" in raises_upload("bad_header", read_xlsx_sheet, data, SHEET, HEADERS, fast=fast).message


@both_paths
def test_merged_cells_in_data_area(fast):
    rows = standard_rows() + [["王五", None, "2003-05-01", "男"]]
    data = make_xlsx(rows, merges=["B3:C3"])
    e = raises_upload("merged_cells", read_xlsx_sheet, data, SHEET, HEADERS, fast=fast)
    assert "第3行第B列起存在合并单元格 B3:C3" in e.message
    assert (e.row, e.column) == (3, "身份证号")


@both_paths
def test_multiple_merges_reported(fast):
    data = make_xlsx(standard_rows() + [["a", "b", "c", "d"]] * 3, merges=["D5:D6", "A2:A3"])
    e = raises_upload("merged_cells", read_xlsx_sheet, data, SHEET, HEADERS, fast=fast)
    assert e.message.startswith("第2行第A列起存在合并单元格 A2:A3（另有 1 处：D5:D6）")


@both_paths
def test_merged_title_above_header_row_allowed(fast):
    rows = [["2025 年学生信息登记表", None, None, None]] + standard_rows()
    data = make_xlsx(rows, merges=["A1:D1"])
    result = read_xlsx_sheet(data, SHEET, HEADERS, header_row=2, fast=fast)
    assert [r.row for r in result] == [3, 4]
    # 表头行本身的合并也算数据区域
    data2 = make_xlsx(rows, merges=["A1:D1", "C2:D2"])
    e = raises_upload("merged_cells", read_xlsx_sheet, data2, SHEET, HEADERS, header_row=2, fast=fast)
    assert "C2:D2" in e.message


@both_paths
def test_data_in_column_without_header(fast):
    data = make_xlsx(standard_rows() + [["王五", ID1, "2003-05-01", "男", None, "备注写在外面"]])
    e = raises_upload("unexpected_data", read_xlsx_sheet, data, SHEET, HEADERS, fast=fast)
    assert (e.row, e.column) == (4, "F")


@both_paths
def test_max_rows(fast):
    data = make_xlsx(standard_rows())
    raises_upload("too_many_rows", read_xlsx_sheet, data, SHEET, HEADERS, max_rows=1, fast=fast)
    assert len(read_xlsx_sheet(data, SHEET, HEADERS, max_rows=2, fast=fast)) == 2


@both_paths
def test_id_stored_as_number_in_sheet(fast):
    data = make_xlsx([HEADERS, ["张三", 1.10105200305011e17, "2003-05-01", "男"], ["李四", ID2, "2004-02-29", "女"]])
    result = read_xlsx_sheet(data, SHEET, HEADERS, fast=fast)
    raw = result[0]["身份证号"]
    assert isinstance(raw, float)  # 原始值保持 float，便于识别精度丢失
    with pytest.raises(UploadError) as ei:
        result[0].cell("身份证号", parse_id_cell)
    e = ei.value
    assert e.message == "身份证号被存成了数字并丢失了位数，请将该列设为文本格式后重新填写"
    assert (e.row, e.column) == (2, "身份证号")
    assert str(e).startswith("第2行「身份证号」列：")
    assert result[1].cell("身份证号", parse_id_cell) == ID2


@both_paths
def test_row_cell_helper_wraps_errors(fast):
    data = make_xlsx([HEADERS, ["张三", ID1, "2003-02-30", "未知"]])
    row = read_xlsx_sheet(data, SHEET, HEADERS, fast=fast)[0]
    with pytest.raises(UploadError) as ei:
        row.cell("出生日期", parse_date_cell)
    assert (ei.value.row, ei.value.column, ei.value.code) == (2, "出生日期", "bad_date")
    assert "没有30日" in ei.value.message
    with pytest.raises(UploadError, match="可选：「男」、「女」"):
        row.cell("性别", parse_enum_cell, ["男", "女"])
    assert row.cell("姓名", parse_text_cell, 10) == "张三"
    assert row.cell("姓名") == "张三"
    assert row.error("姓名", "重复").as_tuple() == (2, "姓名", "重复")


@both_paths
def test_dates_typed_as_text_in_sheet(fast):
    data = make_xlsx(
        [["出生日期"], ["2003.05"], ["2003年5月"], ["２００３年５月１日"], [2003.05], [37742], [datetime(2003, 5, 1, 0, 0)]]
    )
    rows = read_xlsx_sheet(data, SHEET, ["出生日期"], fast=fast)
    assert [r.cell("出生日期", parse_date_cell) for r in rows] == [date(2003, 5, 1)] * 6


def test_large_sheet_fast_path():
    def setup(wb, ws):
        for i in range(3000):
            ws.append([f"学生{i}", make_id_number(seq=i % 1000), "2003-05-01", "男" if i % 2 else "女"])

    data = make_xlsx([HEADERS], setup=setup)
    fast = read_xlsx_sheet(data, SHEET, HEADERS, fast=True)
    slow = read_xlsx_sheet(data, SHEET, HEADERS)
    assert len(fast) == len(slow) == 3000
    assert [(r.row, dict(r)) for r in fast] == [(r.row, dict(r)) for r in slow]


# ---------------------------------------------------------------------------
# 单元格规范化
# ---------------------------------------------------------------------------


def test_to_halfwidth():
    assert to_halfwidth("ＡＢＣ１２３！（）\u3000ｘ") == "ABC123!() x"
    assert to_halfwidth("张三 2003年") == "张三 2003年"
    assert to_halfwidth("～") == "~"


@pytest.mark.parametrize(
    "value",
    [
        datetime(2003, 5, 1, 13, 30),
        date(2003, 5, 1),
        37742,                      # Excel 序列号
        37742.5,
        "2003-05-01",
        "2003/5/1",
        "2003.05.01",
        "2003.5.1",
        " 2003-05-01 00:00:00 ",
        "2003年5月1日",
        "2003 年 5 月 1 日",
        "2003年05月01号",
        "２００３年５月１日",
        "２００３－０５－０１",
        "２００３．５．１",
        "2003。5。1",
        "20030501",
        20030501,
    ],
)
def test_parse_date_full_dates(value):
    assert parse_date_cell(value) == date(2003, 5, 1)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2003.05", date(2003, 5, 1)),
        ("2003.5", date(2003, 5, 1)),
        ("2003-05", date(2003, 5, 1)),
        ("2003/12", date(2003, 12, 1)),
        ("2003年5月", date(2003, 5, 1)),
        ("2003年5", date(2003, 5, 1)),
        ("２００３年１１月", date(2003, 11, 1)),
        ("２００３．０５", date(2003, 5, 1)),
        ("200305", date(2003, 5, 1)),
        (2003.05, date(2003, 5, 1)),  # 常规格式单元格里输入 2003.05 会变成数字
        (2003.12, date(2003, 12, 1)),
        (2003.2, date(2003, 2, 1)),
    ],
)
def test_parse_date_year_month_means_first_of_month(value, expected):
    assert parse_date_cell(value) == expected


@pytest.mark.parametrize(
    "value,fragment",
    [
        ("2003-02-30", "2003年2月没有30日"),
        ("2003年2月29日", "没有29日"),
        ("2003-13-01", "月份 13 无效"),
        ("2003.00", "月份 0 无效"),
        ("2003", "只有年份"),
        ("2003年", "只有年份"),
        (2003, "只有年份"),
        (2003.1, "无法判断是 2003年1月 还是 2003年10月"),
        ("abc", "无法识别的日期「abc」"),
        ("03-5-1", "无法识别"),
        ("2003-05/01", "无法识别"),
        (True, "无法识别"),
        ("1850-01-01", "超出合理范围"),
        (-5, "无法识别"),
    ],
)
def test_parse_date_rejects_with_clear_message(value, fragment):
    with pytest.raises(ValueError) as ei:
        parse_date_cell(value)
    assert fragment in str(ei.value)
    assert not isinstance(ei.value, UploadError)  # 单独使用时是普通 ValueError


def test_parse_date_required_and_row_context():
    with pytest.raises(ValueError, match="不能为空"):
        parse_date_cell(None)
    assert parse_date_cell("  ", required=False) is None
    with pytest.raises(UploadError) as ei:
        parse_date_cell("2003-02-30", row=7, column="出生日期")
    assert (ei.value.row, ei.value.column) == (7, "出生日期")
    assert str(ei.value).startswith("第7行「出生日期」列：")


@pytest.mark.parametrize("value,expected", [(3, 3), (3.0, 3), ("３", 3), (" 12 ", 12), ("1,200", 1200), ("12.0", 12), ("-4", -4)])
def test_parse_int(value, expected):
    assert parse_int_cell(value) == expected


@pytest.mark.parametrize("value", [3.5, "abc", "1.5", True, "12人"])
def test_parse_int_rejects(value):
    with pytest.raises(ValueError, match="不是整数"):
        parse_int_cell(value)


def test_parse_int_range_and_required():
    with pytest.raises(ValueError, match="不能小于 1"):
        parse_int_cell(0, min_value=1)
    with pytest.raises(UploadError, match="不能大于 10") as ei:
        parse_int_cell("１１", max_value=10, row=2, column="人数")
    assert ei.value.row == 2
    assert parse_int_cell(None, required=False) is None


def test_parse_text():
    assert parse_text_cell("\u3000 张三 \u00a0") == "张三"
    assert parse_text_cell(13800138000.0) == "13800138000"
    assert parse_text_cell(42) == "42"
    assert parse_text_cell(None, required=False) is None
    assert parse_text_cell("北京市\r\n海淀区", allow_newlines=True) == "北京市\n海淀区"
    assert parse_text_cell("\ufeff张三\u200b") == "张三"


@pytest.mark.parametrize(
    "value,fragment",
    [
        ("张\x00三", "控制字符 U+0000"),
        ("张\x1b[31m三", "控制字符 U+001B"),
        ("北京市\n海淀区", "换行符"),
        ("张\t三", "制表符"),
        ("abc\u202etxt.exe", "不可见的特殊字符（U+202E）"),
        ("张\u200b三", "不可见的特殊字符"),
        (1.23456789012345e17, "丢失了位数"),
        (None, "不能为空"),
        ("   ", "不能为空"),
    ],
)
def test_parse_text_rejects(value, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        parse_text_cell(value)


def test_parse_text_max_len():
    assert parse_text_cell("一二三", 3) == "一二三"
    with pytest.raises(UploadError, match="不能超过 3 个字，当前为 4 个字") as ei:
        parse_text_cell("一二三四", 3, row=5, column="姓名")
    assert ei.value.code == "too_long"


def test_parse_enum():
    assert parse_enum_cell(" 男 ", ["男", "女"]) == "男"
    assert parse_enum_cell("ｙｅｓ", ["Yes", "No"]) == "Yes"
    assert parse_enum_cell("是", {"是": True, "否": False}) is True
    assert parse_enum_cell(2.0, ["1", "2"]) == "2"
    assert parse_enum_cell(None, ["男", "女"], required=False) is None
    with pytest.raises(ValueError) as ei:
        parse_enum_cell("男性", ["男", "女"])
    assert str(ei.value) == "「男性」不是有效选项，可选：「男」、「女」"
    with pytest.raises(UploadError) as ei:
        parse_enum_cell("团员?", ["中共党员", "共青团员", "群众"], row=9, column="政治面貌")
    assert "可选：「中共党员」、「共青团员」、「群众」" in ei.value.message and ei.value.row == 9


def test_parse_id_cell():
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in ID1)
    assert parse_id_cell(fullwidth) == ID1
    assert parse_id_cell(None, required=False) is None
    with pytest.raises(ValueError, match="校验位不正确"):
        parse_id_cell(ID1[:17] + ("0" if ID1[17] != "0" else "1"))
    with pytest.raises(UploadError) as ei:
        parse_id_cell(1.10105200305011e17, row=3, column="身份证号")
    assert ei.value.code == "stored_as_number" and ei.value.row == 3


# ---------------------------------------------------------------------------
# mark_errors_xlsx
# ---------------------------------------------------------------------------


def _fill_rgb(cell):
    return cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type == "solid" else None


def test_mark_errors_output_has_red_fill_comment_and_explanations():
    data = make_xlsx(standard_rows() + [["王五", "123", "2003-02-30", "男"]])
    errors = [
        (4, "身份证号", "身份证号应为 18 位，当前为 3 位"),
        (4, "出生日期", "日期「2003-02-30」不存在"),
        (2, "姓名", "与第 3 行重复"),
        UploadError("表头缺少「学校」", "bad_header"),  # 文件级错误：只进汇总表
    ]
    out = mark_errors_xlsx(data, SHEET, errors)
    wb = openpyxl.load_workbook(io.BytesIO(out))
    ws = wb[SHEET]
    assert wb.active.title == SHEET

    for ref in ("B4", "C4", "A2"):
        assert _fill_rgb(ws[ref]) == ERROR_FILL_RGB, ref
        assert ws[ref].comment is not None and ws[ref].comment.author == ERROR_COMMENT_AUTHOR
    assert "当前为 3 位" in ws["B4"].comment.text
    assert _fill_rgb(ws["A4"]) is None and ws["A4"].comment is None
    assert _fill_rgb(ws["B2"]) is None

    # 原数据保持不变
    assert [c.value for c in ws[4]][:4] == ["王五", "123", "2003-02-30", "男"]
    # 错误说明列
    assert ws["E1"].value == ERROR_COLUMN_HEADER
    assert "「身份证号」身份证号应为 18 位" in ws["E4"].value and "「出生日期」" in ws["E4"].value
    assert ws["E2"].value == "「姓名」与第 3 行重复"
    assert ws["E3"].value is None

    # 汇总工作表
    assert ERROR_SHEET_TITLE in wb.sheetnames
    summary = [list(r) for r in wb[ERROR_SHEET_TITLE].iter_rows(values_only=True)]
    assert summary[0] == ["行号", "列", "单元格", "错误说明"]
    assert summary[1] == [2, "姓名", "A2", "与第 3 行重复"]
    assert [2, "姓名", "A2", "与第 3 行重复"] in summary
    assert [4, "身份证号", "B4", "身份证号应为 18 位，当前为 3 位"] in summary
    assert [None, None, None, "表头缺少「学校」"] in summary


def test_mark_errors_roundtrip_and_remark_clears_old_marks():
    data = make_xlsx(standard_rows())
    once = mark_errors_xlsx(data, SHEET, [(2, "出生日期", "错误一"), (3, "性别", "错误二")])
    # 用户下载后修改再上传：错误说明列被忽略，仍能按模板读取
    rows = read_xlsx_sheet(once, SHEET, HEADERS)
    assert len(rows) == 2 and set(rows[0]) == set(HEADERS)
    rows_fast = read_xlsx_sheet(once, SHEET, HEADERS, fast=True)
    assert [dict(r) for r in rows_fast] == [dict(r) for r in rows]

    twice = mark_errors_xlsx(once, SHEET, [(3, "姓名", "错误三")])
    wb = openpyxl.load_workbook(io.BytesIO(twice))
    ws = wb[SHEET]
    assert _fill_rgb(ws["C2"]) is None and ws["C2"].comment is None  # 上次的标注已清除
    assert _fill_rgb(ws["D3"]) is None
    assert _fill_rgb(ws["A3"]) == ERROR_FILL_RGB and ws["A3"].comment.text == "错误三"
    assert [c.value for c in ws[1]] == HEADERS + [ERROR_COLUMN_HEADER]  # 没有出现第二个“错误说明”列
    assert ws["E2"].value is None and ws["E3"].value == "「姓名」错误三"
    assert wb.sheetnames.count(ERROR_SHEET_TITLE) == 1
    assert len(list(wb[ERROR_SHEET_TITLE].iter_rows())) == 2


def test_mark_errors_keeps_user_comment_and_handles_merged_and_letters():
    def setup(wb, ws):
        ws["B2"].comment = Comment("用户自己的批注", "张老师")

    data = make_xlsx(standard_rows() + [["王五", "x", "y", "z"]], merges=["C4:D4"], setup=setup)
    out = mark_errors_xlsx(data, SHEET, [(2, "身份证号", "校验位不正确"), (4, "D", "合并单元格"), (3, 1, "按列号")])
    ws = openpyxl.load_workbook(io.BytesIO(out))[SHEET]
    assert "校验位不正确" in ws["B2"].comment.text and "用户自己的批注" in ws["B2"].comment.text
    assert _fill_rgb(ws["C4"]) == ERROR_FILL_RGB  # 指向合并区域内部 → 标在左上角
    assert _fill_rgb(ws["A3"]) == ERROR_FILL_RGB

    # 再次标注时恢复用户原批注
    again = mark_errors_xlsx(out, SHEET, [])
    ws2 = openpyxl.load_workbook(io.BytesIO(again))[SHEET]
    assert ws2["B2"].comment.text == "用户自己的批注"
    assert _fill_rgb(ws2["B2"]) is None


def test_mark_errors_checks_safety_and_sheet():
    raises_upload("xml_entities", mark_errors_xlsx, xlsx_with_shared_strings(BILLION_LAUGHS), "Sheet1", [])
    raises_upload("missing_sheet", mark_errors_xlsx, make_xlsx(standard_rows()), "不存在", [])


# ---------------------------------------------------------------------------
# fast 路径的资源保护
# ---------------------------------------------------------------------------


def test_fast_path_huge_sparse_extent_does_not_crash():
    """A1 + XFD1048576 两个单元格的小文件：calamine 会按“行×列”稠密分配内存并 abort 进程。
    fast 路径必须识别出来并退回稀疏的 openpyxl 读取（在子进程里跑，万一回归也不会拖垮测试进程）。"""
    import os
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import io, openpyxl
        from portal.core.uploads import read_xlsx_sheet, UploadError
        wb = openpyxl.Workbook(); ws = wb.active; ws.title = "S"
        ws["A1"] = "姓名"; ws["A2"] = "张三"; ws["XFD1048576"] = 1
        buf = io.BytesIO(); wb.save(buf)
        try:
            read_xlsx_sheet(buf.getvalue(), "S", ["姓名"], fast=True)
        except UploadError as e:
            print(e.code, e.row, e.column)
        """
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, cwd=root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["unexpected_data", "1048576", "XFD"]


def test_fast_path_falls_back_to_openpyxl_when_extent_too_big(monkeypatch):
    from portal.core import uploads

    data = make_xlsx(standard_rows())
    monkeypatch.setattr(uploads, "FAST_PATH_MAX_CELLS", 4)
    monkeypatch.setattr(uploads, "_grid_from_calamine", lambda *a: pytest.fail("calamine sheet must not be loaded"))
    result = read_xlsx_sheet(data, SHEET, HEADERS, fast=True)
    assert [r.row for r in result] == [2, 3]


def test_sheet_extent_bound():
    from portal.core.uploads import _sheet_extent_bound

    def bound(sheet_xml: bytes):
        data = rezip(make_xlsx([["x"]], sheet="Sheet1"), replace={"xl/worksheets/sheet1.xml": sheet_xml})
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return _sheet_extent_bound(z, "xl/worksheets/sheet1.xml")

    ns = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    end = b"</sheetData></worksheet>"
    explicit = ns + b'<row r="3"><c r="B3"><v>1</v></c><c r="AA7" t="s"><v>0</v></c></row>' + end
    assert bound(explicit) == (7, 27)
    # 规范写法（每个 <c>/<row> 以 r 开头）：正文里伪造的 r="..." 不影响（只看标签）
    forged = ns + b'<row r="5"><c r="C5" t="inlineStr"><is><t> r="XFD9"</t></is></c></row>' + end
    assert bound(forged) == (5, 3)
    # 没有 r 的 <row>/<c> 每个按 +1 计入；这样的块里任何 r="..." 都计入最大值（宁大勿小）
    implicit = ns + b'<row><c><v>1</v></c><c t="n"><v>2</v></c></row><row r="5"><c r="C5"><is><t> r="XFD9"</t></is></c></row>' + end
    assert bound(implicit) == (9 + 3, 16384 + 3)
    # r 不是首个属性、带命名空间前缀的标签：坐标同样计入（calamine 会按它分配区域）
    late_r = ns + b'<row r="2"><c t="n" r="XFD1048576"><v>1</v></c></row>' + end
    assert bound(late_r)[0] >= 1048576 and bound(late_r)[1] >= 16384
    prefixed = ns + b'<x:row r="2"><x:c r="AB70000"><x:v>1</x:v></x:c></x:row>' + end
    assert bound(prefixed)[0] >= 70000 and bound(prefixed)[1] >= 28
    assert bound(ns.replace(b"<sheetData>", b"<!-- x --><sheetData>") + end) is None
    assert bound(('<?xml version="1.0" encoding="UTF-16"?>' + explicit.decode()).encode("utf-16")) is None


def test_xml_merged_ranges_helper():
    from portal.core.uploads import _xml_merged_ranges

    assert _xml_merged_ranges(make_xlsx(standard_rows(), merges=["B3:C3", "A5:D6"]), SHEET) == ["B3:C3", "A5:D6"]
    assert _xml_merged_ranges(make_xlsx([["mergeCell"], ["<mergeCell ref='A1:B2'/>"]]), SHEET) == []
    assert _xml_merged_ranges(make_xlsx(standard_rows()), "不存在") == []


def test_doctype_in_package_rels_and_ods():
    data = make_xlsx(standard_rows())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        rels = z.read("_rels/.rels")
    evil = b'<?xml version="1.0"?><!DOCTYPE Relationships [<!ENTITY a "b">]>' + rels
    raises_upload("xml_entities", check_xlsx_safety, rezip(data, replace={"_rels/.rels": evil}))

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    assert ".ods" in raises_upload("bad_type", check_xlsx_safety, out.getvalue()).message
