"""The portal's XLSX writer: workbooks written directly as their XML parts, streamed.

Office Open XML (ECMA-376, SpreadsheetML) parts go straight into the zip as the rows come: a
sheet's XML is compressed while it is generated, so a 100,000-row export holds one group of rows
in memory, never the grid (openpyxl's write-only mode holds no grid either, but builds an object
per cell and an element per cell to serialize it: 5-6 times the time of the same XML written as
text). What a sheet holds:

* text as inline strings (no shared-strings table), through :func:`portal.core.sheets.cell_value`
  first: stripped of characters XML cannot carry, clipped to Excel's limit and made formula-safe.
  No ``<f>`` element is ever written: nothing here is a formula;
* numbers as numbers (``money`` columns shown with two decimals), booleans as booleans, dates and
  datetimes as serial numbers under :data:`~portal.core.sheets.DATE_FORMAT` /
  :data:`~portal.core.sheets.DATETIME_FORMAT` (aware datetimes in Beijing time);
* an optional header row, bold on grey, frozen, filtered and printed on every page, and column
  widths.

openpyxl, LibreOffice and Excel read the result (the tests read it back with openpyxl).
"""
from __future__ import annotations

import datetime as dt
import math
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any, Iterable, Sequence
from xml.sax.saxutils import escape, quoteattr

from portal.core.sheets import DATE_FORMAT, DATETIME_FORMAT, cell_value

MONEY = "money"  # a column kind: numbers shown with two decimals

_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_DATE = _EPOCH.date()
_FLUSH_ROWS = 500  # rows gathered before a write into the zip entry
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# cell styles (cellXfs): 0 plain, 1 header, 2 date, 3 datetime, 4 money
_HEADER, _DATE, _DATETIME, _MONEY = 1, 2, 3, 4


@dataclass
class Sheet:
    """One sheet: ``rows`` (sequences of values; an iterator is consumed once, as it is written),
    an optional header row, column ``widths`` (character units; None for the default) and column
    ``kinds`` (index from 0 -> :data:`MONEY`)."""

    title: str
    rows: Iterable[Sequence[Any]]
    headers: Sequence[str] = ()
    widths: Sequence[float | None] = ()
    kinds: dict[int, str] = field(default_factory=dict)


def column_letter(n: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


_LETTERS: list[str] = [column_letter(i) for i in range(1, 257)]


def _letter(i: int) -> str:  # i from 0
    return _LETTERS[i] if i < len(_LETTERS) else column_letter(i + 1)


def _text_cell(ref: str, text: str, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    body = escape(text)
    if "\r" in body:  # a parser reads a bare CR as LF (XML end-of-line handling): keep it as a reference
        body = body.replace("\r", "&#13;")
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{body}</t></is></c>'


def _cell(ref: str, value: Any, money: bool) -> str:
    """One cell's XML ('' for an empty cell)."""
    if value is None:
        return ""
    if value.__class__ is str:  # the common case first: text
        stored = cell_value(value)[0]
        return _text_cell(ref, stored) if stored else ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int) or (isinstance(value, (float, Decimal)) and math.isfinite(value)):
        return f'<c r="{ref}" s="{_MONEY}"><v>{value}</v></c>' if money else f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, dt.datetime):
        stored = cell_value(value)[0]  # aware: in Beijing time, naive
        serial = (stored - _EPOCH) / dt.timedelta(days=1)
        return f'<c r="{ref}" s="{_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="{_DATE}"><v>{(value - _EPOCH_DATE).days}</v></c>'
    stored = cell_value(str(value))[0]  # anything else (a non-finite float, an enum ...) as its text
    return _text_cell(ref, stored) if stored else ""


def sheet_name(title: str, used: set[str]) -> str:
    """Excel's rules for a sheet name: at most 31 characters, none of []:*?/\\, not blank, not
    starting or ending with an apostrophe, unique (case-insensitively) in the workbook."""
    name = str(cell_value(title)[0] or "")
    for ch in '[]:*?/\\':
        name = name.replace(ch, "_")
    name = name.strip().strip("'")[:31] or "Sheet"
    base, n = name, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name


def _styles() -> str:
    fmt = lambda i, code: f'<numFmt numFmtId="{i}" formatCode={quoteattr(code)}/>'  # noqa: E731
    return (_HEAD + f'<styleSheet {_NS}>'
            f'<numFmts count="2">{fmt(164, DATE_FORMAT)}{fmt(165, DATETIME_FORMAT)}</numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="3"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill>'
            '<fill><patternFill patternType="solid"><fgColor rgb="FFE6E6E6"/><bgColor indexed="64"/></patternFill></fill>'
            '</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="5">'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" '
            'applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            '</styleSheet>')


def _content_types(n: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                     f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, n + 1))
    return (_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f'{sheets}</Types>')


_RELS = (_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         'officeDocument" Target="xl/workbook.xml"/></Relationships>')


def _workbook_rels(n: int) -> str:
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    sheets = "".join(f'<Relationship Id="rId{i}" Type="{rel}worksheet" Target="worksheets/sheet{i}.xml"/>'
                     for i in range(1, n + 1))
    return (_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{sheets}<Relationship Id="rId{n + 1}" Type="{rel}styles" Target="styles.xml"/></Relationships>')


def _write_sheet(out: IO[bytes], sheet: Sheet) -> tuple[int, int]:
    """Stream one sheet's XML into ``out``; returns (rows written including the header, columns)."""
    headers = list(sheet.headers)
    ncols = max(len(headers), len(sheet.widths))
    parts = [_HEAD, f'<worksheet {_NS} {_NS_R}>']
    if headers:
        parts.append('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                     'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
                     'sqref="A2"/></sheetView></sheetViews>')
    widths = [(i, w) for i, w in enumerate(sheet.widths) if w is not None]
    if widths:
        parts.append("<cols>" + "".join(f'<col min="{i + 1}" max="{i + 1}" width="{float(w):g}" customWidth="1"/>'
                                        for i, w in widths) + "</cols>")
    parts.append("<sheetData>")
    r = 0
    if headers:
        r = 1
        cells = "".join(_text_cell(f"{_letter(c)}1", str(cell_value(h)[0] or ""), _HEADER) for c, h in enumerate(headers))
        parts.append(f'<row r="1">{cells}</row>')
    money = {c for c, kind in sheet.kinds.items() if kind == MONEY}
    widest = ncols
    for row in sheet.rows:
        r += 1
        rs = str(r)
        cells = "".join(_cell(_letter(c) + rs, v, c in money) for c, v in enumerate(row))
        if len(row) > widest:
            widest = len(row)
        parts.append(f'<row r="{rs}">{cells}</row>')
        if len(parts) >= _FLUSH_ROWS:
            out.write("".join(parts).encode("utf-8"))
            parts.clear()
    parts.append("</sheetData>")
    if headers and widest:
        parts.append(f'<autoFilter ref="A1:{_letter(widest - 1)}{max(r, 1)}"/>')
    parts.append('<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/></worksheet>')
    out.write("".join(parts).encode("utf-8"))
    return r, widest


def write_workbook(target: IO[bytes], sheets: Sequence[Sheet]) -> None:
    """Write ``sheets`` as an .xlsx package into the binary file ``target`` (a workbook needs a
    sheet: an empty list writes one empty sheet)."""
    sheets = list(sheets) or [Sheet("Sheet", [])]
    used: set[str] = set()
    names = [sheet_name(s.title, used) for s in sheets]
    defined = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _content_types(len(sheets)))
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/styles.xml", _styles())
        for i, sheet in enumerate(sheets):
            with z.open(f"xl/worksheets/sheet{i + 1}.xml", "w", force_zip64=True) as out:
                rows, cols = _write_sheet(out, sheet)
            if sheet.headers and cols:
                ref = "'" + names[i].replace("'", "''") + "'"
                defined.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                               f'{escape(ref)}!$A$1:${_letter(cols - 1)}${max(rows, 1)}</definedName>')
                defined.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{escape(ref)}!$1:$1'
                               '</definedName>')
        listed = "".join(f'<sheet name={quoteattr(n)} sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
        names_xml = f"<definedNames>{''.join(defined)}</definedNames>" if defined else ""
        z.writestr("xl/workbook.xml", _HEAD + f'<workbook {_NS} {_NS_R}><bookViews><workbookView/></bookViews>'
                                              f'<sheets>{listed}</sheets>{names_xml}</workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
