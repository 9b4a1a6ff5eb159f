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


def read_rows(filename: str, data: bytes) -> list[list]:
    """Data rows (header dropped) of an uploaded CSV or XLSX; sniffed by content."""
    if not data:
        raise HolidayImportError("上传的文件是空的")
    if data[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        from portal.core.uploads import UploadError, check_xlsx_safety

        try:
            check_xlsx_safety(data)
        except UploadError as exc:
            raise HolidayImportError(f"Excel 文件不安全或已损坏：{exc}") from None
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            raise HolidayImportError("无法读取 Excel 文件，请另存为 .xlsx 后重试") from None
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
        return rows[1:]
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
    return list(csv.reader(io.StringIO(text)))[1:]


def _check_importer(tenant, year) -> int:
    if not tenant.is_national:
        raise HolidayImportError("节假日安排全平台通用，只能由全国学联秘书处管理员导入", status=403)
    if not 2000 <= int(year) <= 2100:
        raise HolidayImportError(f"年份「{year}」不正确", field="year")
    return int(year)


def _source(source: str | None, default: str) -> str:
    source = (source or "").strip() or default
    if len(source) > MAX_SOURCE_CHARS:
        raise HolidayImportError(f"依据不能超过 {MAX_SOURCE_CHARS} 个字", field="source")
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
