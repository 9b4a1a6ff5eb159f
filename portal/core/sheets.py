"""The one formula-safe way to put a value into a spreadsheet cell.

Every workbook the portal writes — exports (``documents.render.write_xlsx``), the nomination and
exam-score templates, the error-marked copy of an upload — sets its cells through
:func:`cell_value` / :func:`set_cell` / :func:`append_row`, so that text a user typed (a nominee
named ``=HYPERLINK(...)``) never becomes a live formula, and no cell exceeds Excel's limit.

A ``str`` starting with ``= + - @ TAB CR`` (OWASP "CSV injection") is stored with a leading
apostrophe **and** as a string cell: a string cell is never evaluated on open, and the visible
apostrophe keeps the value inert when a user re-edits the cell (F2, Enter), copies it, or saves the
sheet as CSV. Numbers, dates and booleans passed as such are untouched.
"""
from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal
from typing import Any, Iterable

__all__ = [
    "FORMULA_TRIGGERS", "XLSX_MAX_CELL_CHARS", "XLSX_TIMEZONE", "DATE_FORMAT", "DATETIME_FORMAT",
    "formula_safe", "clip_text", "cell_value", "set_cell", "append_row",
]

# Leading characters that make Excel/LibreOffice/Sheets interpret a cell as a formula: = + - @ TAB CR.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_CELL_CHARS = 32767          # Excel's hard limit per cell
XLSX_TIMEZONE = "Asia/Shanghai"      # aware datetimes are shown in this zone
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
ELLIPSIS = "…"

_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # (lone surrogates cannot be encoded)


def formula_safe(value: Any) -> Any:
    """A ``str`` starting with ``= + - @ \\t \\r`` gets a leading apostrophe (``"=1+1"`` ->
    ``"'=1+1"``); anything else is returned unchanged (a number ``-5`` stays a number; a *string*
    ``"-5"`` is prefixed — callers that want numbers pass numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def clip_text(text: str, limit: int = XLSX_MAX_CELL_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _tz() -> _dt.tzinfo:
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(XLSX_TIMEZONE)
    except Exception:  # no tz database: China has no DST, fixed +08:00 is exact
        return _dt.timezone(_dt.timedelta(hours=8))


def cell_value(value: Any) -> tuple[Any, str | None, bool]:
    """-> (value to store, number_format or None, is_text_literal). Text is stripped of characters
    XML cannot carry, neutralised (:func:`formula_safe`) and clipped to Excel's cell limit."""
    if value is None:
        return None, None, False
    if isinstance(value, bool):
        return value, None, False
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_tz()).replace(tzinfo=None)
        return value, DATETIME_FORMAT, False
    if isinstance(value, _dt.date):
        return value, DATE_FORMAT, False
    if isinstance(value, (int, float, Decimal)):
        return value, None, False
    text = _XML_ILLEGAL_RE.sub("", str(value))
    if text.startswith(FORMULA_TRIGGERS):
        return clip_text(formula_safe(text)), None, True
    return clip_text(text), None, False


def set_cell(ws, row: int, column: int, value: Any):
    """``ws.cell(row, column)`` set to ``value`` through :func:`cell_value`; returns the cell."""
    stored, fmt, literal = cell_value(value)
    cell = ws.cell(row=row, column=column)
    cell.value = stored
    if fmt:
        cell.number_format = fmt
    if literal:
        cell.data_type = "s"
    return cell


def append_row(ws, values: Iterable[Any]) -> int:
    """Append ``values`` as the next row of a (normal-mode) worksheet; returns its row number."""
    r = ws.max_row + 1 if (ws.max_row > 1 or ws._cells) else 1
    for c, v in enumerate(values, start=1):
        set_cell(ws, r, c, v)
    return r
