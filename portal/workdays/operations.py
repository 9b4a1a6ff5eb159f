"""Import or correct a year's holiday table (the State Council's notice) from CSV/XLSX."""
from __future__ import annotations

import csv
import io

from portal.core import audit
from portal.core.calendar import HolidayYear, import_year, store_year
from portal.core.errors import DomainError
from portal.core.holiday_notice import NoticeError, ParsedNotice, parse_notice
from portal.extensions import db

MAX_SOURCE_CHARS = 200  # holiday_years.source


class HolidayImportError(DomainError):
    code = "invalid_holiday_table"


# A year's table: some thirty holidays and working weekends, a handful of columns.
MAX_ROWS = 400
MAX_COLS = 10
MAX_BYTES = 1024 * 1024
MAX_CELL_CHARS = 200


def read_rows(filename: str, data: bytes) -> list[list]:
    """Data rows (header dropped) of an uploaded CSV or XLSX; sniffed by content."""
    if not data:
        raise HolidayImportError("上传的文件是空的")
    if len(data) > MAX_BYTES:
        raise HolidayImportError(f"文件超过 {MAX_BYTES // 1024} KB，一年的节假日安排不会这么大，请检查文件")
    if data[:4] == b"PK\x03\x04":
        from portal.core.uploads import UploadError, read_xlsx_rows

        try:
            # Streamed and bounded: a table claiming A1:XFD1048576 is not padded out to it.
            rows = read_xlsx_rows(data, max_rows=MAX_ROWS, max_cols=MAX_COLS, max_cell_chars=MAX_CELL_CHARS)
        except UploadError as exc:
            raise HolidayImportError(f"Excel 文件无法导入：{exc}") from None
        return [r + [None] * (3 - len(r)) if r else r for r in rows[1:]]
    if filename.lower().endswith((".xls", ".xlsx")):
        raise HolidayImportError("文件不是有效的 .xlsx（旧版 .xls 请另存为 .xlsx）")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise HolidayImportError("无法识别 CSV 文件的编码，请使用 UTF-8")
    rows = []
    for i, row in enumerate(csv.reader(io.StringIO(text))):
        if i > MAX_ROWS:
            raise HolidayImportError(f"表格超过 {MAX_ROWS} 行，一年的节假日安排不会有这么多行，请检查文件")
        if len(row) > MAX_COLS:
            raise HolidayImportError(f"第{i + 1}行超过 {MAX_COLS} 列，请检查文件")
        if any(len(c) > MAX_CELL_CHARS for c in row):
            raise HolidayImportError(f"第{i + 1}行有超过 {MAX_CELL_CHARS} 个字的单元格，请检查文件")
        rows.append(row)
    return rows[1:]


def _check_importer(tenant, year) -> int:
    if not tenant.is_national:
        raise HolidayImportError("节假日安排全平台通用，只能由全国学联秘书处管理员导入", status=403)
    if not 2000 <= int(year) <= 2100:
        raise HolidayImportError(f"年份「{year}」不正确", field="year")
    return int(year)


def _source(source: str | None, default: str) -> str:
    source = (source or "").strip() or default
    if len(source) > MAX_SOURCE_CHARS:
        from portal.core.lengths import too_long_message

        raise HolidayImportError(too_long_message("依据", MAX_SOURCE_CHARS, len(source)), status=422,
                                 code="invalid_fields", field="source",
                                 details={"source": too_long_message("依据", MAX_SOURCE_CHARS, len(source))})
    return source


def _audited_store(year: int, store, actor, how: str) -> HolidayYear:
    existing = db.session.get(HolidayYear, year)
    before = {"source": existing.source, "days": len(existing.days)} if existing else None
    try:
        row = store()
    except ValueError as exc:
        raise HolidayImportError(str(exc)) from None
    audit.record("workdays.year_imported", "holiday_year", year, actor=actor, before=before,
                 after={"source": row.source, "how": how,
                        "holidays": sum(d.kind == "holiday" for d in row.days),
                        "workdays": sum(d.kind == "workday" for d in row.days)},
                 article="A6.2")
    return row


def import_holiday_year(tenant, year: int, filename: str, data: bytes, source: str, actor) -> HolidayYear:
    """Replace ``year``'s arrangement; a bad row aborts the whole import (nothing written)."""
    year = _check_importer(tenant, year)
    source = _source(source, "国务院办公厅通知")
    rows = read_rows(filename or "", data)
    return _audited_store(year, lambda: import_year(year, rows, source), actor, "table")


def read_notice(text: str, year: int | None = None) -> ParsedNotice:
    """The State Council's notice as parsed, for the confirmation screen (nothing stored)."""
    try:
        return parse_notice(text or "", year)
    except NoticeError as exc:
        raise HolidayImportError(str(exc), field="text") from None


def import_notice(tenant, text: str, year: int | None, actor, source: str | None = None) -> HolidayYear:
    """Replace the year's arrangement with what the pasted notice says, once confirmed."""
    if not tenant.is_national:
        _check_importer(tenant, year or 2000)
    parsed = read_notice(text, year)
    _check_importer(tenant, parsed.year)
    data = parsed.data
    if source:
        from portal.core.workdays import YearData

        data = YearData(parsed.year, data.holidays, data.workdays, _source(source, parsed.source))
    return _audited_store(parsed.year, lambda: store_year(data), actor, "notice")
