"""XLSX exports (openpyxl, formula-safe cells, write-only mode for big exports)."""

from __future__ import annotations

import datetime as _dt
import io
import re
from itertools import chain, islice
from typing import Any, Iterable, Sequence

from portal.documents.render.spec import SheetSpec, _clean, display_width

# The formula-safe cell writer lives in portal.core.sheets (every workbook the portal writes uses it).
from portal.core.sheets import (  # noqa: E402  (re-exported: formula_safe serves the CSV exports too)
    DATE_FORMAT, DATETIME_FORMAT, FORMULA_TRIGGERS, XLSX_MAX_CELL_CHARS, XLSX_TIMEZONE, formula_safe,
)
from portal.core.sheets import cell_value as _xlsx_value  # noqa: E402

WRITE_ONLY_THRESHOLD = 2000          # rows; above this write_xlsx streams


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel rules: <=31 chars, none of []:*?/\\, not blank, unique."""
    t = re.sub(r"[\[\]:*?/\\]", "_", _clean(title)).strip().strip("'") or "Sheet"
    t = t[:31]
    base, n = t, 2
    while t.lower() in used:
        suffix = f" ({n})"
        t = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(t.lower())
    return t


def _auto_width(values: Iterable[Any]) -> float:
    w = 0
    for v in values:
        if v is None:
            continue
        if isinstance(v, _dt.datetime):
            w = max(w, 19)
        elif isinstance(v, _dt.date):
            w = max(w, 10)
        else:
            w = max(w, max(display_width(line) for line in _clean(v).split("\n")))
    return float(min(max(w + 2, 6), 60))


def write_xlsx(sheets: Sequence[SheetSpec]) -> bytes:
    """Write ``sheets`` to an .xlsx workbook and return its bytes.

    * Header row bold on grey, frozen (``A2``), auto-filter, printed on
      every page.
    * Column widths from the header and first 500 rows, CJK = 2 units.
    * ``date``/``datetime`` values are real Excel dates with a number format;
      aware datetimes are converted to :data:`XLSX_TIMEZONE`.
    * Formula safety -- approach taken: a ``str`` starting with
      ``= + - @ \\t \\r`` is stored as ``"'" + value`` **and** the cell's
      ``data_type`` is forced to ``'s'``.  A string cell in an .xlsx is never
      evaluated on open, but the visible apostrophe keeps the value inert when
      a user re-edits the cell (F2, Enter), copies it, or saves the sheet as
      CSV, and makes XLSX and CSV exports (:func:`formula_safe`) carry the
      identical value.  Numbers passed as numbers are untouched.
    * If any sheet has more than :data:`WRITE_ONLY_THRESHOLD` rows (or rows is
      an iterator of unknown length) the whole workbook is written with
      openpyxl's ``write_only`` mode, streaming rows instead of building the
      cell grid in memory.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    prepared = []
    streaming = False
    for spec in sheets:
        rows: Iterable[Sequence[Any]] = spec.rows
        if isinstance(rows, (list, tuple)):
            sample = list(rows[:500])
            if len(rows) > WRITE_ONLY_THRESHOLD:
                streaming = True
        else:
            it = iter(rows)
            sample = list(islice(it, 500))
            rows = chain(sample, it)
            if len(sample) == 500:       # unknown, possibly huge
                streaming = True
        prepared.append((spec, sample, rows))

    wb = Workbook(write_only=streaming)
    if not streaming:
        wb.remove(wb.active)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="E6E6E6")
    header_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
    used_titles: set[str] = set()

    for spec, sample, rows in prepared:
        ws = wb.create_sheet(_sheet_title(spec.title, used_titles))
        headers = [_clean(h) for h in spec.headers]
        ncols = max([len(headers)] + [len(r) for r in sample])
        for c in range(ncols):
            given = None
            if spec.column_widths and c < len(spec.column_widths):
                given = spec.column_widths[c]
            if given is None:
                head = [headers[c]] if c < len(headers) else []
                given = _auto_width(head + [r[c] if c < len(r) else None for r in sample])
            ws.column_dimensions[get_column_letter(c + 1)].width = given
        if headers:
            ws.freeze_panes = "A2"
            ws.print_title_rows = "1:1"

        if streaming:
            if headers:
                row = []
                for h in headers:
                    cell = WriteOnlyCell(ws, value=formula_safe(h))
                    cell.data_type = "s"
                    cell.font, cell.fill, cell.alignment = header_font, header_fill, header_align
                    row.append(cell)
                ws.append(row)
            n = 0
            for r in rows:
                out = []
                for v in r:
                    value, fmt, literal = _xlsx_value(v)
                    if fmt or literal:
                        cell = WriteOnlyCell(ws, value=value)
                        if fmt:
                            cell.number_format = fmt
                        if literal:
                            cell.data_type = "s"
                        out.append(cell)
                    else:
                        out.append(value)
                ws.append(out)
                n += 1
            last_row = n + 1
        else:
            if headers:
                ws.append([formula_safe(h) for h in headers])
                for cell in ws[1]:
                    cell.data_type = "s"
                    cell.font, cell.fill, cell.alignment = header_font, header_fill, header_align
            for r_idx, r in enumerate(rows, start=2 if headers else 1):
                for c_idx, v in enumerate(r, start=1):
                    value, fmt, literal = _xlsx_value(v)
                    cell = ws.cell(row=r_idx, column=c_idx, value=value)
                    if fmt:
                        cell.number_format = fmt
                    if literal:
                        cell.data_type = "s"
            last_row = ws.max_row
        if headers and ncols:
            ws.auto_filter.ref = f"A1:{get_column_letter(ncols)}{max(last_row, 1)}"

    if not prepared:                     # an empty workbook is not a valid file
        ws = wb.create_sheet("Sheet")
        if streaming:
            ws.append([])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
