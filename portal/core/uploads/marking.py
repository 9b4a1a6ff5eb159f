"""Error marking: the refused errors written back onto (only) the data sheet of the upload."""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from typing import Any

from defusedxml.ElementTree import fromstring as _safe_fromstring

from .errors import UploadError
from .safety import (
    _check_shared_strings, check_xlsx_safety, _CHUNK, EXCEL_MAX_CELL_CHARS, _local, _read_rels,
    _SAVE_AS_HINT, _scan_shared_strings, _scan_sheet, _sheet_part, _too_many_cells, _workbook_part,
)
from .reading import (
    ERROR_COLUMN_HEADER, ERROR_COMMENT_AUTHOR, ERROR_FILL_RGB, ERROR_SHEET_TITLE, _load_openpyxl,
    _norm_header, _ORIGINAL_COMMENT_MARK, _resolve_sheet_name,
)

# ---------------------------------------------------------------------------
# 把错误标注回工作簿
# ---------------------------------------------------------------------------

ErrorItem = tuple[int | None, str | None, str]


def _cell_is_ours(cell) -> bool:
    fill = cell.fill
    return (
        fill is not None
        and fill.fill_type == "solid"
        and getattr(fill.fgColor, "type", None) == "rgb"
        and fill.fgColor.rgb == ERROR_FILL_RGB
    )


# 错误标注副本最多标注的错误条数与单条说明的长度；只装入出错的那张工作表，它的单元格数有上限。
MAX_MARKED_ERRORS = 1000
MAX_ERROR_MESSAGE_CHARS = 500
MAX_MARK_CELLS = 300_000


def _only_sheet(data: bytes, sheet_name: str) -> tuple[str, bytes]:
    """(工作表的实际名称, 只含这一张工作表的工作簿)。其他工作表的部件不解压、不解析（一个 40 MB 的
    第二张工作表不应让标注副本占用上百 MB 内存）；目标工作表的单元格数与共享字符串表先按上限核对。"""
    import xml.etree.ElementTree as ET

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        wb_part = _workbook_part(zf, names)
        if wb_part is None:
            raise UploadError(f"文件不是有效的 Excel 工作簿（.xlsx）。{_SAVE_AS_HINT}", "bad_type")
        root = _safe_fromstring(zf.read(wb_part), forbid_dtd=True)
        sheets_el = next((el for el in root.iter() if _local(el.tag) == "sheets"), None)
        sheet_els = [] if sheets_el is None else [el for el in sheets_el if _local(el.tag) == "sheet"]
        name = _resolve_sheet_name([el.get("name", "") for el in sheet_els], sheet_name)
        part = _sheet_part(zf, name)
        if part is None:
            raise UploadError(f"工作表「{name}」无法读取，文件可能已损坏。{_SAVE_AS_HINT}", "corrupt")
        _check_shared_strings(_scan_shared_strings(zf))
        scan = _scan_sheet(zf, part)
        if scan is None or scan.cells > MAX_MARK_CELLS:
            raise _too_many_cells(MAX_MARK_CELLS)
        drop: set[str] = set()
        rid_target = {rid: target for rid, _typ, target in _read_rels(zf, wb_part, names)}
        for el in sheet_els:
            if el.get("name") != name:
                for k, v in el.attrib.items():
                    if _local(k) == "id" and k.startswith("{") and v in rid_target:
                        drop.add(rid_target[v])
                sheets_el.remove(el)
        for el in list(root):
            if _local(el.tag) == "definedNames":  # names may point into the sheets that were left out
                root.remove(el)
        for el in root.iter():
            if _local(el.tag) == "workbookView":
                el.attrib.pop("activeTab", None)
                el.attrib.pop("firstSheet", None)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in zf.infolist():
                if info.filename in drop or info.is_dir():
                    continue
                if info.filename == wb_part:
                    dst.writestr(info.filename, ET.tostring(root, encoding="utf-8", xml_declaration=True))
                else:  # copied in chunks: a big part the copy keeps (an image) is never held whole
                    with zf.open(info) as src, dst.open(info.filename, "w") as out_fh:
                        while chunk := src.read(_CHUNK):
                            out_fh.write(chunk)
    return name, out.getvalue()


def mark_errors_xlsx(
    data: bytes,
    sheet_name: str,
    errors: Iterable[ErrorItem | UploadError],
    *,
    header_row: int = 1,
    **safety_limits: int,
) -> bytes:
    """返回标注了错误的工作簿副本（bytes），供用户下载修改后重新上传。

    ``errors`` 为 ``(行号, 表头名, 错误说明)`` 列表（也可直接传 :class:`UploadError`）；表头名也可以是
    列字母或列号；行号/表头为 ``None`` 表示整行或整个文件的错误。处理：

    * 出错单元格填充浅红色（:data:`ERROR_FILL_RGB`）并添加批注（作者 :data:`ERROR_COMMENT_AUTHOR`）；
    * 在数据表最右侧增加/复用「错误说明」列，写入该行全部错误；
    * 新建（或重建）「错误说明」工作表，逐条列出 行号/列/单元格/错误说明；
    * 先清除上一次标注留下的红色填充、批注和错误说明，便于反复“上传—下载—修改”。

    注意：openpyxl 重新保存时会丢失图片、图表等对象，但单元格数据、公式和格式保留。
    """
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils.cell import column_index_from_string, get_column_letter

    from portal.core.sheets import clip_text, set_cell

    check_xlsx_safety(data, **safety_limits)
    name, reduced = _only_sheet(data, sheet_name)
    wb = _load_openpyxl(reduced, data_only=False)
    ws = wb[name]
    if not hasattr(ws, "merged_cells"):
        raise UploadError(f"「{name}」是图表工作表，不包含数据", "missing_sheet")

    items: list[ErrorItem] = []
    hidden = 0
    for e in errors:
        if len(items) >= MAX_MARKED_ERRORS:
            hidden += 1
            continue
        if isinstance(e, UploadError):
            r, c, msg = e.as_tuple()
        else:
            r, c, msg = e
        items.append((r, c, clip_text(str(msg), MAX_ERROR_MESSAGE_CHARS)))

    # --- 清除上一次的标注 ---
    for cell in list(getattr(ws, "_cells", {}).values()):
        if isinstance(cell.value, str) and len(cell.value) > EXCEL_MAX_CELL_CHARS:
            cell.value = clip_text(cell.value)  # Excel refuses to open a workbook with a longer cell
        if _cell_is_ours(cell):
            cell.fill = PatternFill(fill_type=None)
        com = cell.comment
        if com is not None and com.author == ERROR_COMMENT_AUTHOR:
            if _ORIGINAL_COMMENT_MARK in (com.text or ""):
                cell.comment = Comment(com.text.split(_ORIGINAL_COMMENT_MARK, 1)[1], "")
            else:
                cell.comment = None

    # --- 表头映射 ---
    header_cols: dict[str, int] = {}
    max_col = 0
    for (r, c), cell in getattr(ws, "_cells", {}).items():
        if cell.value is None or cell.value == "":
            continue
        max_col = max(max_col, c)
        if r == header_row:
            header_cols.setdefault(_norm_header(cell.value), c)
    err_col = header_cols.get(_norm_header(ERROR_COLUMN_HEADER))
    if err_col is None:
        err_col = max_col + 1
    else:
        for (r, c), cell in list(ws._cells.items()):
            if c == err_col and r > header_row and cell.value is not None:
                cell.value = None
    hdr = set_cell(ws, header_row, err_col, ERROR_COLUMN_HEADER)
    hdr.font = Font(bold=True, color="FF9C0006")
    hdr.fill = PatternFill(fill_type="solid", start_color=ERROR_FILL_RGB, end_color=ERROR_FILL_RGB)
    ws.column_dimensions[get_column_letter(err_col)].width = 60

    def resolve_col(col) -> int | None:
        if col is None:
            return None
        if isinstance(col, int) and not isinstance(col, bool):
            return col if col >= 1 else None
        k = _norm_header(col)
        if k in header_cols:
            return header_cols[k]
        if re.fullmatch(r"[A-Za-z]{1,3}", str(col).strip()):
            try:
                return column_index_from_string(str(col).strip().upper())
            except ValueError:
                return None
        return None

    fill = PatternFill(fill_type="solid", start_color=ERROR_FILL_RGB, end_color=ERROR_FILL_RGB)
    cell_msgs: dict[tuple[int, int], list[str]] = {}
    row_msgs: dict[int, list[str]] = {}
    summary: list[tuple[Any, str, str, str]] = []
    for r, col, msg in items:
        c = resolve_col(col)
        col_label = "" if col is None else str(col)
        ref = ""
        if isinstance(r, int) and r >= 1 and c is not None:
            target = ws.cell(row=r, column=c)
            for rng in ws.merged_cells.ranges:
                if rng.min_row <= r <= rng.max_row and rng.min_col <= c <= rng.max_col:
                    target = ws.cell(row=rng.min_row, column=rng.min_col)
                    break
            ref = target.coordinate
            cell_msgs.setdefault((target.row, target.column), []).append(msg)
            if isinstance(col, int):
                col_label = get_column_letter(c)
        if isinstance(r, int) and r >= 1:
            row_msgs.setdefault(r, []).append(f"「{col_label}」{msg}" if col_label else msg)
        summary.append((r if isinstance(r, int) else "", col_label, ref, msg))

    for (r, c), msgs in cell_msgs.items():
        cell = ws.cell(row=r, column=c)
        cell.fill = fill
        text = "\n".join(msgs)
        old = cell.comment
        if old is not None and old.author != ERROR_COMMENT_AUTHOR and old.text:
            text += _ORIGINAL_COMMENT_MARK + old.text
        text = clip_text(text)
        comment = Comment(text, ERROR_COMMENT_AUTHOR)
        comment.width = 320
        comment.height = max(80, 20 * (text.count("\n") + 2))
        cell.comment = comment

    wrap = Alignment(wrap_text=True, vertical="top")
    for r, msgs in row_msgs.items():
        if r == header_row:
            continue
        cell = set_cell(ws, r, err_col, "；\n".join(msgs))  # clipped to Excel's cell limit
        cell.alignment = wrap
        cell.font = Font(color="FF9C0006")

    # --- 汇总工作表 ---
    if ERROR_SHEET_TITLE in wb.sheetnames and ERROR_SHEET_TITLE != name:
        del wb[ERROR_SHEET_TITLE]
    if ERROR_SHEET_TITLE != name:
        ss = wb.create_sheet(ERROR_SHEET_TITLE, index=wb.sheetnames.index(name) + 1)
        ss.sheet_properties.tabColor = "FFC00000"
        for c, v in enumerate(["行号", "列", "单元格", "错误说明"], start=1):
            set_cell(ss, 1, c, v).font = Font(bold=True)
        out_row = 1
        for out_row, (r, col_label, ref, msg) in enumerate(
                sorted(summary, key=lambda t: (t[0] == "", t[0] if t[0] != "" else 0)), start=2):
            for c, v in enumerate((r, col_label, ref, msg), start=1):
                set_cell(ss, out_row, c, v)
        if hidden:
            set_cell(ss, out_row + 1, 4, f"另有 {hidden} 处错误未在本文件中标注，请先改正以上错误后重新上传")
        for letter, width in (("A", 8), ("B", 16), ("C", 10), ("D", 80)):
            ss.column_dimensions[letter].width = width
        ss.freeze_panes = "A2"

    wb.active = wb.sheetnames.index(name)
    for other in wb.worksheets:  # 避免多个工作表同时处于选中状态
        other.sheet_view.tabSelected = other.title == name
    out = io.BytesIO()
    wb.save(out)
    wb.close()
    return out.getvalue()
