"""XLSX exports: formula-safe cells, streamed (``portal.core.xlsx`` writes the package)."""

from __future__ import annotations

import datetime as _dt
import io
from itertools import chain, islice
from typing import Any, Iterable, Sequence

from portal.documents.render.spec import SheetSpec, _clean, display_width

# The formula-safe cell values and the writer live in core (every workbook the portal writes uses them).
from portal.core.sheets import (  # noqa: E402  (re-exported: formula_safe serves the CSV exports too)
    DATE_FORMAT, DATETIME_FORMAT, FORMULA_TRIGGERS, XLSX_MAX_CELL_CHARS, XLSX_TIMEZONE, formula_safe,
)
from portal.core.xlsx import Sheet, write_workbook

WIDTH_SAMPLE_ROWS = 500  # rows read ahead for the automatic column widths


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

    * Header row bold on grey, frozen (``A2``), auto-filter, printed on every page.
    * Column widths from the header and the first :data:`WIDTH_SAMPLE_ROWS` rows, CJK = 2 units
      (``column_widths`` overrides them).
    * ``date``/``datetime`` values are real Excel dates with a number format; aware datetimes
      are converted to :data:`XLSX_TIMEZONE`.
    * Formula safety: a ``str`` starting with ``= + - @ \\t \\r`` is stored as ``"'" + value``,
      as a string cell: a string cell is never evaluated on open, and the visible apostrophe
      keeps the value inert when a user re-edits the cell, copies it, or saves the sheet as CSV
      (:func:`formula_safe` gives CSV exports the identical value). Numbers stay numbers.
    * Rows are streamed: an iterator is read as the sheet is compressed, never held whole.
    """
    out = []
    for spec in sheets:
        it = iter(spec.rows)
        sample = list(islice(it, WIDTH_SAMPLE_ROWS))
        headers = [_clean(h) for h in spec.headers]
        ncols = max([len(headers)] + [len(r) for r in sample])
        widths = []
        for c in range(ncols):
            given = spec.column_widths[c] if spec.column_widths and c < len(spec.column_widths) else None
            if given is None:
                head = [headers[c]] if c < len(headers) else []
                given = _auto_width(head + [r[c] if c < len(r) else None for r in sample])
            widths.append(given)
        out.append(Sheet(spec.title, chain(sample, it), headers=headers, widths=widths))
    buf = io.BytesIO()
    write_workbook(buf, out)
    return buf.getvalue()
