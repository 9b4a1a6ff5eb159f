"""Workbook reading: a sheet's rows by header, by python-calamine when the byte scan proves it safe,
else streamed with every bound counted as cells come."""
from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml.common import DefusedXmlException

from .errors import _col_letter, _q, UploadError
from .safety import (
    _cell_too_long, _check_shared_strings, check_xlsx_safety, EXCEL_MAX_CELL_CHARS, _fast_path_safe,
    MAX_SHEET_CELLS, MAX_SHEET_ROW_ELEMENTS, _merged_refs, _SAVE_AS_HINT, _scan_shared_strings, _scan_sheet,
    _sheet_part, TEXT_BUDGET, _text_over_budget, _too_many_cells, _too_many_rows,
)
from .cells import _INVISIBLE, _is_blank, to_halfwidth, _WS_RE

# ---------------------------------------------------------------------------
# 读取工作表
# ---------------------------------------------------------------------------

ERROR_COLUMN_HEADER = "错误说明"
ERROR_SHEET_TITLE = "错误说明"
ERROR_FILL_RGB = "FFFFC7CE"  # Excel “浅红色填充”
ERROR_COMMENT_AUTHOR = "系统校验"
_ORIGINAL_COMMENT_MARK = "\n——原批注——\n"



class SheetRow(dict):
    """一行数据：``{表头: 原始值}``，``row`` 属性为 Excel 行号。"""

    __slots__ = ("row",)

    def __init__(self, row: int, values: Mapping[str, Any] | Iterable[tuple[str, Any]]):
        super().__init__(values)
        self.row = row

    def __repr__(self) -> str:
        return f"SheetRow(row={self.row}, {dict.__repr__(self)})"

    def cell(self, header: str, parser: Callable[..., Any] | None = None, /, *args, **kwargs) -> Any:
        """取出 ``header`` 列的值；给出 ``parser`` 时用它规范化，出错则抛出带行列位置的 UploadError。

        例：``row.cell("出生日期", parse_date_cell)``、``row.cell("姓名", parse_text_cell, 20)``。
        """
        value = self[header]
        if parser is None:
            return value
        try:
            return parser(value, *args, **kwargs)
        except UploadError as exc:
            if exc.row is None:
                exc.row = self.row
            if exc.column is None:
                exc.column = header
            raise
        except ValueError as exc:
            message = getattr(exc, "message", None) or str(exc)
            code = getattr(exc, "code", None) or "bad_value"
            raise UploadError(message, code, row=self.row, column=header) from exc

    def error(self, header: str | None, message: str, code: str = "bad_value") -> UploadError:
        """构造一个定位到本行（及某列）的 UploadError，供调用方收集。"""
        return UploadError(message, code, row=self.row, column=header)


@dataclass
class SheetRows:
    sheet_name: str
    headers: list[str]                     # 期望的表头（调用方给出的顺序）
    columns: dict[str, str]                # 表头 → 列字母
    header_row: int
    rows: list[SheetRow] = field(default_factory=list)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]


def _norm_header(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return _WS_RE.sub("", to_halfwidth(str(v)).translate(_INVISIBLE))


normalize_header = _norm_header  # public: CSV readers compare headers the same way
excerpt = _q




def _resolve_sheet_name(names: Sequence[str], wanted: str) -> str:
    if wanted in names:
        return wanted
    key = _norm_header(wanted)
    for n in names:
        if _norm_header(n) == key:
            return n
    found = "、".join(f"「{n}」" for n in names) or "（无）"
    raise UploadError(
        f"文件中没有名为「{wanted}」的工作表。文件中的工作表有：{found}。请使用系统提供的模板，不要修改工作表名称",
        "missing_sheet",
    )




def _load_openpyxl(data: bytes, *, data_only: bool, read_only: bool = False):
    """openpyxl on the bytes (never following external links); anything it cannot read is ``corrupt``.
    ``read_only``: no sheet's cells are read until asked for (the streamed read)."""
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), read_only=read_only, data_only=data_only,
                                          keep_links=False)
    except UploadError:
        raise
    except Exception:
        raise UploadError(f"文件已损坏或格式不受支持，无法读取。{_SAVE_AS_HINT}", "corrupt") from None


def _calamine_cell(v: Any) -> Any:
    # 与 openpyxl 保持一致：整数值的数字返回 int（超过 15 位的大数保持 float，便于发现精度丢失），
    # 日期单元格返回 datetime（calamine 对纯日期格式返回 date）。
    if v.__class__ is float:
        return int(v) if v.is_integer() and abs(v) < 1e15 else v
    return datetime(v.year, v.month, v.day)


_CALAMINE_CONVERTED = frozenset({float, date})


def _grid_from_calamine(rows: list[list[Any]]) -> dict[int, dict[int, Any]]:
    grid: dict[int, dict[int, Any]] = {}
    conv, converted = _calamine_cell, _CALAMINE_CONVERTED
    for ri, values in enumerate(rows, start=1):
        cells = {ci: conv(v) if v.__class__ in converted else v
                 for ci, v in enumerate(values, start=1) if v is not None and v != ""}
        if cells:
            grid[ri] = cells
    return grid


def _check_merges(merges: Iterable[tuple[int, int, int, int]], header_row: int, header_names: dict[int, str],
                  expected: Sequence[str] | None = None):
    bad = sorted({m for m in merges if m[2] >= header_row and (m[0], m[1]) != (m[2], m[3])})
    if not bad:
        return
    from openpyxl.utils.cell import get_column_letter as L

    def coord(m):
        return f"{L(m[1])}{m[0]}:{L(m[3])}{m[2]}"

    title = next((m for m in bad if m[0] <= header_row <= m[2] and m[3] > m[1]), None)
    if title is not None and len(header_names) <= 1:
        # A merged title row (often "XX大学推荐人选汇总表") where the headers belong: say where they go.
        wanted = "、".join(f"「{h}」" for h in list(expected or [])[:3])
        raise UploadError(
            f"这一行是合并的单元格 {coord(title)}，像是表格的标题行。表头{('（' + wanted + '等）') if wanted else ''}"
            f"应位于第{header_row}行、每列一个：请删除表头上方的标题行，或使用系统提供的模板后重新上传",
            "bad_header", row=header_row,
        )
    r0, c0, _, _ = bad[0]
    msg = f"第{r0}行第{L(c0)}列起存在合并单元格 {coord(bad[0])}"
    if len(bad) > 1:
        more = "、".join(coord(m) for m in bad[1:6])
        msg += f"（另有 {len(bad) - 1} 处：{more}{'等' if len(bad) > 6 else ''}）"
    msg += "。导入的数据区域不能有合并单元格，请取消合并并在每个单元格中分别填写后重新上传"
    raise UploadError(msg, "merged_cells", row=r0, column=header_names.get(c0, L(c0)))


def _build_rows(
    sheet_name: str,
    grid: dict[int, dict[int, Any]],
    merges: list[tuple[int, int, int, int]],
    expected_headers: Sequence[str],
    header_row: int,
    max_rows: int | None,
) -> SheetRows:
    expected = list(expected_headers)
    exp_norm: dict[str, str] = {}
    for h in expected:
        k = _norm_header(h)
        if not k or k in exp_norm:
            raise ValueError(f"expected_headers contains an empty or duplicate header: {h!r}")
        exp_norm[k] = h

    header_cells = grid.get(header_row, {})
    ignored_norm = _norm_header(ERROR_COLUMN_HEADER)
    col_of: dict[str, int] = {}       # 期望表头 → 列号
    ignored_cols: set[int] = set()
    dup: dict[str, list[int]] = {}
    unexpected: list[tuple[int, Any]] = []
    for col in sorted(header_cells):
        raw = header_cells[col]
        k = _norm_header(raw)
        if not k:
            continue
        if k == ignored_norm and ignored_norm not in exp_norm:
            ignored_cols.add(col)  # mark_errors_xlsx 生成的“错误说明”列，重新上传时忽略
            continue
        if k in exp_norm:
            name = exp_norm[k]
            if name in col_of:
                dup.setdefault(name, [col_of[name]]).append(col)
            else:
                col_of[name] = col
        else:
            unexpected.append((col, raw))

    header_names = {c: h for h, c in col_of.items()}
    _check_merges(merges, header_row, header_names, expected)

    if not header_cells:
        raise UploadError(
            f"第{header_row}行没有表头。请使用系统提供的模板，表头应位于第{header_row}行", "bad_header", row=header_row
        )
    problems = []
    missing = [h for h in expected if h not in col_of]
    if missing:
        problems.append("缺少列" + "、".join(f"「{h}」" for h in missing))
    if unexpected:
        problems.append(
            "多出列" + "、".join(f"「{_q(str(raw).strip())}」（{_col_letter(c)}列）" for c, raw in unexpected)
        )
    if dup:
        problems.append(
            "；".join(f"表头「{h}」重复出现（{'、'.join(_col_letter(c) + '列' for c in cols)}）" for h, cols in dup.items())
        )
    if problems:
        raise UploadError(
            "表头与模板不一致：" + "；".join(problems) + "。请使用系统提供的模板，不要增删或修改表头",
            "bad_header",
            row=header_row,
        )

    known_cols = set(col_of.values()) | ignored_cols
    names, cols = list(col_of), list(col_of.values())
    out = SheetRows(
        sheet_name=sheet_name,
        headers=expected,
        columns={h: _col_letter(c) for h, c in col_of.items()},
        header_row=header_row,
    )
    for r in sorted(k for k in grid if k > header_row):
        cells = grid[r]
        if all(_is_blank(v) for c, v in cells.items() if c not in ignored_cols):
            continue
        for c in ([] if cells.keys() <= known_cols else sorted(cells)):
            if c not in known_cols and not _is_blank(cells[c]):
                raise UploadError(
                    f"第{r}行 {_col_letter(c)} 列填写了数据，但该列没有表头。请把数据移到正确的列或删除",
                    "unexpected_data",
                    row=r,
                    column=_col_letter(c),
                )
        out.rows.append(SheetRow(r, zip(names, map(cells.get, cols))))  # {表头: 值}, built in one pass
        if max_rows is not None and len(out.rows) > max_rows:
            raise UploadError(f"数据超过 {max_rows} 行的上限，请分批上传", "too_many_rows")
    return out

def _merge_boxes(refs: Iterable[str]) -> set[tuple[int, int, int, int]]:
    """``(row1, col1, row2, col2)`` of each merged range (``A1:C2``); a malformed one is passed over."""
    from openpyxl.utils.cell import range_boundaries

    boxes = set()
    for ref in refs:
        try:
            c1, r1, c2, r2 = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        if None not in (c1, r1, c2, r2):
            boxes.add((r1, c1, r2, c2))
    return boxes


def _read_fast(data: bytes, sheet_name: str, max_rows: int | None = None):
    from python_calamine import CalamineWorkbook

    zf = zipfile.ZipFile(io.BytesIO(data))  # one look at the container for the bounds and the merges
    try:
        strings = _scan_shared_strings(zf)
        _check_shared_strings(strings)
        try:
            wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception:
            raise UploadError(f"文件已损坏或格式不受支持，无法读取。{_SAVE_AS_HINT}", "corrupt") from None
        try:
            name = _resolve_sheet_name(list(wb.sheet_names), sheet_name)
            try:
                part = _sheet_part(zf, name)
                scan = _scan_sheet(zf, part) if part else None
            except (ParseError, DefusedXmlException, KeyError, zipfile.BadZipFile):
                part, scan = None, None
            if not _fast_path_safe(scan, strings):
                return None
            try:
                sheet = wb.get_sheet_by_name(name)
                values = sheet.to_python(skip_empty_area=False)
                calamine_merges = sheet.merged_cell_ranges or []
            except Exception:
                raise UploadError(f"工作表「{name}」无法读取，文件可能已损坏。{_SAVE_AS_HINT}", "corrupt") from None
            try:
                refs = _merged_refs(zf, part)
            except (ParseError, DefusedXmlException, KeyError, zipfile.BadZipFile):
                raise UploadError(f"工作表「{name}」结构异常，无法读取。{_SAVE_AS_HINT}", "corrupt") from None
        finally:
            wb.close()
    finally:
        zf.close()

    merges = _merge_boxes(refs)
    for (r1, c1), (r2, c2) in calamine_merges:  # calamine 自身的解析结果（0 起）作为补充
        merges.add((r1 + 1, c1 + 1, r2 + 1, c2 + 1))
    grid = _grid_from_calamine(values)
    if strings.max_item > EXCEL_MAX_CELL_CHARS or scan.size > EXCEL_MAX_CELL_CHARS:  # a long cell is possible
        for r, cells in grid.items():
            for c, v in cells.items():
                if isinstance(v, str) and len(v) > EXCEL_MAX_CELL_CHARS:
                    raise _cell_too_long(r, c, len(v))
    return name, grid, sorted(merges)


def _open_streaming(data: bytes):
    """openpyxl 只读模式打开（不读任何工作表的单元格；共享字符串表先按字节数核对上限）。"""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        _check_shared_strings(_scan_shared_strings(zf))
    return _load_openpyxl(data, data_only=True, read_only=True)


def _stream_grid(wb, ws, *, header_row: int, max_rows: int | None, max_cols: int | None = None,
                 max_cell_chars: int = EXCEL_MAX_CELL_CHARS) -> dict[int, dict[int, Any]]:
    """逐行解析工作表，只保留非空值。单元格数、行元素数、文字总量、单格长度、数据行数（表头行以下
    有内容的行）和列号（``max_cols``）边读边计数，超出即抛 :class:`UploadError`，不再读下去。"""
    from openpyxl.worksheet._reader import WorkSheetParser

    grid: dict[int, dict[int, Any]] = {}
    cells_seen = rows_seen = data_rows = text = 0
    src = ws._get_source()
    try:
        parser = WorkSheetParser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                                 date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for r, cells in parser.parse():
                rows_seen += 1
                if rows_seen > MAX_SHEET_ROW_ELEMENTS:
                    raise _too_many_cells(MAX_SHEET_CELLS)
                cells_seen += len(cells)
                if cells_seen > MAX_SHEET_CELLS:
                    raise _too_many_cells(MAX_SHEET_CELLS)
                kept = None
                for cell in cells:
                    v = cell["value"]
                    if v is None or v == "":
                        continue
                    c = cell["column"]
                    if isinstance(v, str):
                        n = len(v)
                        if n > max_cell_chars:
                            raise _cell_too_long(cell["row"], c, n, max_cell_chars)
                        text += n
                        if text > TEXT_BUDGET:
                            raise _text_over_budget()
                    if max_cols is not None and c > max_cols:
                        raise UploadError(f"该单元格填写了数据，超出了表格的 {max_cols} 列，"
                                          "请删除多余的内容后重新上传", "unexpected_data",
                                          row=cell["row"], column=_col_letter(c))
                    if kept is None:
                        kept = grid.setdefault(cell["row"], {})
                    kept[c] = v
                if kept and r > header_row and not all(_is_blank(v) for v in kept.values()):
                    data_rows += 1
                    if max_rows is not None and data_rows > max_rows:
                        raise _too_many_rows(max_rows)
    except UploadError:
        raise
    except Exception:
        raise UploadError(f"工作表「{ws.title}」无法读取，文件可能已损坏。{_SAVE_AS_HINT}", "corrupt") from None
    finally:
        src.close()
    return grid


def _streaming_sheet(wb, sheet_name: str | None):
    names = wb.sheetnames
    if sheet_name is None:
        if not names:
            raise UploadError("文件中没有工作表", "missing_sheet")
        name = names[0]
    else:
        name = _resolve_sheet_name(names, sheet_name)
    ws = wb[name]
    if not hasattr(ws, "_get_source"):
        raise UploadError(f"「{name}」是图表工作表，不包含数据", "missing_sheet")
    return name, ws


def _read_streaming(data: bytes, sheet_name: str, header_row: int, max_rows: int | None):
    wb = _open_streaming(data)
    try:
        name, ws = _streaming_sheet(wb, sheet_name)
        try:
            refs = _merged_refs(wb._archive, ws._worksheet_path)
        except (ParseError, DefusedXmlException, KeyError, zipfile.BadZipFile):
            raise UploadError(f"工作表「{name}」结构异常，无法读取。{_SAVE_AS_HINT}", "corrupt") from None
        grid = _stream_grid(wb, ws, header_row=header_row, max_rows=max_rows)
    finally:
        wb.close()
    return name, grid, sorted(_merge_boxes(refs))


def read_xlsx_rows(
    data: bytes,
    *,
    sheet_name: str | None = None,
    max_rows: int = 1000,
    max_cols: int = 50,
    max_cell_chars: int = EXCEL_MAX_CELL_CHARS,
    **safety_limits: int,
) -> list[list[Any]]:
    """读取一个工作表（默认第一个）的全部行（含第 1 行），每行为值列表（去掉行尾空单元格，空行为 ``[]``）。

    与 :func:`read_xlsx_sheet` 同样先做安全检查，并边读边限制：数据行（第 1 行之后）超过 ``max_rows``、
    列号超过 ``max_cols``、文字总量或单格长度超限时抛 :class:`UploadError`。不会按文件声明的区域
    （如 ``A1:XFD1048576``）补齐空单元格。
    """
    check_xlsx_safety(data, **safety_limits)
    wb = _open_streaming(data)
    try:
        _name, ws = _streaming_sheet(wb, sheet_name)
        grid = _stream_grid(wb, ws, header_row=1, max_rows=max_rows, max_cols=max_cols, max_cell_chars=max_cell_chars)
    finally:
        wb.close()
    last = max(grid, default=0)
    out: list[list[Any]] = []
    for r in range(1, last + 1):
        cells = grid.get(r)
        if not cells:
            out.append([])
            continue
        row = [None] * max(cells)
        for c, v in cells.items():
            row[c - 1] = v
        out.append(row)
    return out


def read_xlsx_sheet(
    data: bytes,
    sheet_name: str,
    expected_headers: Sequence[str],
    header_row: int = 1,
    *,
    fast: bool = False,
    max_rows: int | None = None,
    **safety_limits: int,
) -> SheetRows:
    """读取上传工作簿中名为 ``sheet_name`` 的工作表。

    先执行 :func:`check_xlsx_safety`（``safety_limits`` 原样传入，如 ``max_uncompressed=...``）。
    然后：工作表不存在 → ``missing_sheet``（列出已有工作表）；表头行及以下存在合并单元格 →
    ``merged_cells``（指出区域）；表头缺列/多列/重复 → ``bad_header``；无表头的列里有数据 →
    ``unexpected_data``。表头比较时忽略空白与全/半角差异，顺序不限；``错误说明`` 列被忽略。

    返回 :class:`SheetRows`，每行是 ``{表头: 原始值}`` 的 :class:`SheetRow`（``.row`` 为 Excel 行号），
    完全空白的行被跳过，空单元格为 ``None``。值不做转换（日期单元格为 ``datetime``/``date``，数字为
    ``int``/``float``），请用 ``parse_*_cell`` 规范化。

    读取的量在读之前就有上限：共享字符串表的条数和字节数、单元格数、文字总量（:data:`TEXT_BUDGET`，
    共享字符串按引用次数计）、单格长度（:data:`EXCEL_MAX_CELL_CHARS`）和数据行数（``max_rows``），
    超出即以 ``too_large`` / ``too_many_rows`` 拒绝。

    ``fast=False``：逐行流式读取（openpyxl 的工作表解析器，合并单元格从 XML 流式取出）。
    ``fast=True``：字节扫描证明 calamine 的内存上界在限额内时用 python-calamine 读值，适合大文件；
    否则同样流式读取。
    """
    if header_row < 1:
        raise ValueError("header_row must be >= 1")
    check_xlsx_safety(data, **safety_limits)

    if fast:
        fast_result = _read_fast(data, sheet_name, max_rows)
        if fast_result is not None:
            name, grid, merges = fast_result
            return _build_rows(name, grid, merges, expected_headers, header_row, max_rows)
        # 无法证明 calamine 的稠密区域与文字量安全 → 流式读取

    name, grid, merges = _read_streaming(data, sheet_name, header_row, max_rows)
    return _build_rows(name, grid, merges, expected_headers, header_row, max_rows)
