"""The format-independent document model and its small helpers (pure: no Flask, no database).

:class:`DocumentSpec` (a 公文), :class:`TableSpec`, :class:`SheetSpec` (an export sheet), the
GB/T 9704-2012 page geometry shared by the PDF and DOCX renderers, and the download
``Content-Disposition`` header every format is sent with.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable, Optional, Sequence
from urllib.parse import quote

ProgressCallback = Callable[[float, str], Any]

# --------------------------------------------------------------------------
# Document model
# --------------------------------------------------------------------------


@dataclass
class TableSpec:
    """A simple table: one header row plus body rows.

    ``position`` is the number of body paragraphs that precede the table
    (``0`` = directly after the addressee, ``None`` = after all paragraphs).
    Several tables with the same position keep their list order.
    ``column_widths`` are optional *relative* weights (e.g. ``[1, 3, 2]``);
    when omitted, widths are derived from the content (CJK counts double).
    Cell values may be ``str``, numbers, dates or ``None``.
    """

    headers: list[str]
    rows: list[list[Any]]
    position: Optional[int] = None
    caption: Optional[str] = None
    column_widths: Optional[list[float]] = None


@dataclass
class DocumentSpec:
    """An official letter / notice, independent of output format.

    * ``title`` -- 标题, centred, bold, large.
    * ``doc_number`` -- 文号 or subtitle (e.g. "学联驻〔2026〕12号"), centred
      under the title.
    * ``addressee`` -- 主送/抬头 (e.g. "XX大学党委："), flush left.
    * ``paragraphs`` -- body text, one string per paragraph ("\\n" inside a
      paragraph becomes a line break).
    * ``tables`` -- see :class:`TableSpec`.
    * ``signature`` -- 落款 (issuing organisation), right-aligned.
    * ``date`` -- 成文日期, rendered "2026年11月26日" under the signature.
    * ``footer_note`` -- 附注 (contact person, 抄送 ...), printed in a smaller
      size after the date.
    """

    title: str
    paragraphs: list[str] = field(default_factory=list)
    doc_number: Optional[str] = None
    addressee: Optional[str] = None
    tables: list[TableSpec] = field(default_factory=list)
    signature: Optional[str] = None
    date: Optional[_dt.date] = None
    footer_note: Optional[str] = None


@dataclass
class SheetSpec:
    """One worksheet of an XLSX export.

    ``rows`` may be any iterable (a generator streams without being held in
    memory).  ``column_widths`` (Excel character units) overrides the
    automatic widths; ``None`` entries mean "auto" for that column.
    """

    title: str
    headers: list[str]
    rows: Iterable[Sequence[Any]]
    column_widths: Optional[list[Optional[float]]] = None


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

# Characters that are illegal in XML 1.0 (and thus in DOCX/XLSX) -- \t \n \r
# are legal and kept.
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: Any) -> str:
    """``str()`` a value and drop characters that XML cannot carry."""
    if text is None:
        return ""
    return _XML_ILLEGAL_RE.sub("", str(text))


def chinese_date(d: _dt.date) -> str:
    """Format a date the 公文 way: ``2026年11月26日`` (no zero padding)."""
    return f"{d.year}年{d.month}月{d.day}日"


def display_width(text: str) -> int:
    """Width in half-width units: East Asian wide/fullwidth chars count 2."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _cell_text(value: Any) -> str:
    """Text for a table cell in PDF/DOCX."""
    if value is None:
        return ""
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return _clean(value)


def _is_numeric(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _report(progress: Optional[ProgressCallback], fraction: float, message: str) -> None:
    if progress is not None:
        progress(max(0.0, min(1.0, float(fraction))), message)


def _table_shape(table: TableSpec) -> tuple[int, list[list[Any]]]:
    """Number of columns and rows normalised to that many cells."""
    ncols = len(table.headers) or max((len(r) for r in table.rows), default=0)
    rows = []
    for r in table.rows:
        r = list(r)[:ncols]
        rows.append(r + [""] * (ncols - len(r)))
    return ncols, rows


def _column_widths(table: TableSpec, ncols: int, rows: list[list[Any]], avail: float,
                   measure: Callable[[str], float], padding: float) -> list[float]:
    """Column widths (same unit as ``avail``) summing to ``avail``.

    ``measure(text)`` gives the width of one line of cell text, ``padding``
    the cell's horizontal padding.  Natural width is the longest line in the
    header and the first 300 rows; columns are scaled to fill the text width,
    shrinking wide columns first when the natural widths do not fit.
    """
    if ncols == 0:
        return []
    if table.column_widths and len(table.column_widths) == ncols:
        total = float(sum(table.column_widths)) or 1.0
        return [avail * w / total for w in table.column_widths]
    natural = []
    for c in range(ncols):
        texts = [table.headers[c] if c < len(table.headers) else ""]
        texts += [_cell_text(r[c]) for r in rows[:300]]
        w = max((measure(line) for t in texts for line in t.split("\n")), default=0.0)
        natural.append(min(max(w, measure("中")) + padding, avail * 0.6))
    total = sum(natural)
    if total <= avail:
        return [avail * n / total for n in natural]
    minimum = [min(n, measure("中" * 4) + padding) for n in natural]
    if sum(minimum) >= avail:
        return [avail / ncols] * ncols
    extra = avail - sum(minimum)
    flex = sum(n - m for n, m in zip(natural, minimum)) or 1.0
    return [m + extra * (n - m) / flex for n, m in zip(natural, minimum)]


def _blocks(spec: DocumentSpec) -> list[tuple[str, Any]]:
    """Body in reading order: ("p", text) and ("t", TableSpec) items."""
    n = len(spec.paragraphs)
    by_pos: dict[int, list[TableSpec]] = {}
    for t in spec.tables:
        pos = n if t.position is None else max(0, min(int(t.position), n))
        by_pos.setdefault(pos, []).append(t)
    out: list[tuple[str, Any]] = []
    for i in range(n + 1):
        out.extend(("t", t) for t in by_pos.get(i, []))
        if i < n:
            out.append(("p", spec.paragraphs[i]))
    return out


# --------------------------------------------------------------------------
# CJK font discovery (PDF only)
# --------------------------------------------------------------------------



# GB/T 9704-2012 geometry and sizes (points unless noted), shared by PDF and DOCX
_MM = 72.0 / 25.4
PAGE_MARGINS_MM = {"top": 37.0, "bottom": 35.0, "left": 28.0, "right": 26.0}
TITLE_SIZE = 22.0        # 2号
BODY_SIZE = 16.0         # 3号
NOTE_SIZE = 14.0         # 4号
TABLE_SIZE = 10.5        # 5号
BODY_LEADING = 28.95     # 22 lines in the 225 mm text block


# HTTP Content-Disposition
# --------------------------------------------------------------------------

# RFC 5987 attr-char minus the always-safe alphanumerics
_ATTR_CHAR_SAFE = "!#$&+-.^_`|~"
_UNSAFE_NAME_RE = re.compile(r'[\x00-\x1f\x7f"\\]')


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """Build a ``Content-Disposition`` value (RFC 6266 + RFC 5987).

    ``content_disposition("2026年公示名单.pdf")`` ->
    ``attachment; filename="2026.pdf"; filename*=UTF-8''2026%E5%B9%B4...pdf``

    * Control characters (CR, LF ...), double quotes and backslashes are
      removed; only the part after the last ``/`` is kept (no paths), and
      leading/trailing dots are trimmed.
    * The ASCII fallback folds accents (NFKD), turns each run of other
      non-ASCII characters into ``_``, trims stray ``_``/spaces around the
      stem and falls back to ``download`` when nothing usable remains, keeping
      the extension.
    * ``filename*`` is added only when the real name differs from the
      fallback (pure-ASCII names need just ``filename``).
    """
    disposition = disposition.strip().lower()
    if disposition not in ("attachment", "inline"):
        raise ValueError("disposition must be 'attachment' or 'inline'")
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = _UNSAFE_NAME_RE.sub("", name).rsplit("/", 1)[-1]   # basename only
    name = name.strip().strip(".").strip() or "download"

    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""

    def ascii_part(s: str) -> str:
        s = unicodedata.normalize("NFKD", s)
        s = "".join(ch for ch in s if not unicodedata.combining(ch))
        s = re.sub(r"[^\x20-\x7e]+", "_", s)
        s = re.sub(r"[%;]", "_", s)           # %xx is decoded by some agents
        s = re.sub(r"(?:_\s*)+_|_\s+|\s+_", "_", s)   # "_ _" -> "_"
        s = re.sub(r"_*([()\[\]{}])_*", r"\1", s)     # "(_2_)" -> "(2)"
        return s

    a_stem = ascii_part(stem).strip(" _-.,~") or "download"
    a_ext = ascii_part(ext).strip(" _")
    fallback = f"{a_stem}.{a_ext}" if a_ext else a_stem
    value = f'{disposition}; filename="{fallback}"'
    if fallback != name:
        value += "; filename*=UTF-8''" + quote(name, safe=_ATTR_CHAR_SAFE)
    return value
