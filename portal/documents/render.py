"""Format-independent rendering of official documents (公文) and exports.

Pure functions only: no Flask, no database.  Everything takes plain data
(:class:`DocumentSpec`, :class:`SheetSpec`) and returns ``bytes``, so the same
code can run inside a request, an RQ job or a test.

Public API
----------
* :class:`DocumentSpec`, :class:`TableSpec`, :class:`SheetSpec`, :class:`CJKFont`
* :func:`render_pdf` (reportlab, embedded CJK TrueType font)
* :func:`render_docx` (python-docx, East Asian fonts set via ``w:eastAsia``)
* :func:`write_xlsx` (openpyxl, formula-safe, write-only mode for big exports)
* :func:`formula_safe` (same neutralisation for CSV exports)
* :func:`content_disposition` (RFC 6266 / RFC 5987 header value)
* :func:`find_cjk_font`, :func:`chinese_date`, :func:`display_width`

Layout follows GB/T 9704-2012 (党政机关公文格式) where practical: A4 paper,
margins top 37 mm / bottom 35 mm / left 28 mm / right 26 mm (版心 156 x 225 mm),
title 2号 (22 pt) centred, body 3号 (16 pt) with a two-character first-line
indent and 22 lines per page, signature (落款) and date right-aligned with the
signature centred over the date.

Thread-safety: reportlab keeps a process-wide font registry; registration is
guarded by a lock.  Rendering itself holds no shared mutable state of ours.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import re
import threading
import unicodedata
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, islice
from typing import Any, Callable, Iterable, NamedTuple, Optional, Sequence
from urllib.parse import quote
from xml.sax.saxutils import escape as _xml_escape

__all__ = [
    "CJKFont",
    "DocumentSpec",
    "ProgressCallback",
    "SheetSpec",
    "TableSpec",
    "chinese_date",
    "content_disposition",
    "display_width",
    "find_cjk_font",
    "formula_safe",
    "render_docx",
    "render_pdf",
    "write_xlsx",
]

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


class CJKFont(NamedTuple):
    """A TrueType font file (``.ttf``/``.ttc``) and the sub-font to use."""

    path: str
    subfont_index: int = 0


FONT_ENV_VAR = "PORTAL_CJK_FONT"
FONT_DEBIAN_PACKAGE = "fonts-wqy-microhei"

# Order matters: first loadable one wins.  reportlab embeds only TrueType
# outlines, so the CFF-flavoured Noto Sans CJK files are tried but normally
# rejected (kept so a TrueType build of Noto placed there still works).
KNOWN_CJK_FONTS: list[CJKFont] = [
    CJKFont("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),   # fonts-wqy-microhei
    CJKFont("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),     # fonts-wqy-zenhei
    CJKFont("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # SC face
    CJKFont("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", 0),
    CJKFont("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    CJKFont("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),
    CJKFont("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    CJKFont("/usr/share/fonts/truetype/arphic/uming.ttc", 0),       # fonts-arphic-uming
    CJKFont("/System/Library/Fonts/Supplemental/Songti.ttc", 0),    # macOS
    CJKFont("/Library/Fonts/Arial Unicode.ttf", 0),
    CJKFont("C:/Windows/Fonts/simhei.ttf", 0),
    CJKFont("C:/Windows/Fonts/simsun.ttc", 0),
]

_font_lock = threading.RLock()
_loaded_fonts: dict[CJKFont, str] = {}      # font -> registered reportlab name
_font_errors: dict[CJKFont, str] = {}       # font -> why reportlab rejected it


def _parse_env_font(value: str) -> CJKFont:
    """``/path/font.ttc`` or ``/path/font.ttc#2`` (sub-font index)."""
    path, sep, idx = value.strip().rpartition("#")
    if sep and idx.strip().isdigit():
        return CJKFont(os.path.expanduser(path), int(idx))
    return CJKFont(os.path.expanduser(value.strip()), 0)


def _try_register(font: CJKFont) -> Optional[str]:
    """Register ``font`` with reportlab; return its name or None if unusable."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.lib.fonts import addMapping

    with _font_lock:
        if font in _loaded_fonts:
            return _loaded_fonts[font]
        if font in _font_errors:
            return None
        name = "PortalCJK-%08x" % zlib.crc32(f"{font.path}#{font.subfont_index}".encode())
        try:
            pdfmetrics.registerFont(TTFont(name, font.path, subfontIndex=font.subfont_index))
        except Exception as exc:  # TTFError, OSError, struct errors ...
            _font_errors[font] = f"{type(exc).__name__}: {exc}"
            return None
        # Single face: map bold/italic to itself so <b> markup never fails.
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(name, bold, italic, name)
        _loaded_fonts[font] = name
        return name


def find_cjk_font() -> CJKFont:
    """Locate a CJK TrueType font that reportlab can embed.

    Checks ``$PORTAL_CJK_FONT`` first (``/path/font.ttf`` or
    ``/path/font.ttc#N`` for sub-font N; an unusable explicit setting is an
    error, not silently ignored), then :data:`KNOWN_CJK_FONTS`.  Each
    candidate is actually loaded (result cached) because reportlab rejects
    PostScript/CFF-outline fonts such as the stock Noto Sans CJK files.

    Raises ``RuntimeError`` naming the Debian package to install.
    """
    env = os.environ.get(FONT_ENV_VAR, "").strip()
    if env:
        font = _parse_env_font(env)
        if not os.path.isfile(font.path):
            raise RuntimeError(
                f"{FONT_ENV_VAR}={env!r} does not point to a font file. Point it at a "
                f"TrueType .ttf/.ttc CJK font or unset it and install the Debian "
                f"package {FONT_DEBIAN_PACKAGE} (apt-get install {FONT_DEBIAN_PACKAGE})."
            )
        if _try_register(font) is None:
            raise RuntimeError(
                f"{FONT_ENV_VAR}={env!r} cannot be embedded by reportlab "
                f"({_font_errors.get(font)}). Use a TrueType-outline CJK font, e.g. "
                f"from the Debian package {FONT_DEBIAN_PACKAGE}."
            )
        return font
    tried = []
    for font in KNOWN_CJK_FONTS:
        if not os.path.isfile(font.path):
            continue
        if _try_register(font) is not None:
            return font
        tried.append(f"{font.path} ({_font_errors.get(font)})")
    detail = ("; unusable: " + "; ".join(tried)) if tried else ""
    raise RuntimeError(
        "No CJK TrueType font found for PDF rendering. Install the Debian package "
        f"{FONT_DEBIAN_PACKAGE} (apt-get install {FONT_DEBIAN_PACKAGE}) or set "
        f"{FONT_ENV_VAR}=/path/to/font.ttf|.ttc[#index]{detail}"
    )


def _cjk_font_name() -> str:
    name = _try_register(find_cjk_font())
    assert name is not None
    return name


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------

# GB/T 9704-2012 geometry and sizes (points unless noted)
_MM = 72.0 / 25.4
PAGE_MARGINS_MM = {"top": 37.0, "bottom": 35.0, "left": 28.0, "right": 26.0}
TITLE_SIZE = 22.0        # 2号
BODY_SIZE = 16.0         # 3号
NOTE_SIZE = 14.0         # 4号
TABLE_SIZE = 10.5        # 5号
BODY_LEADING = 28.95     # 22 lines in the 225 mm text block


def _para_markup(text: str) -> str:
    """Escape user text for a reportlab Paragraph; keep explicit newlines."""
    lines = _clean(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<br/>".join(_xml_escape(line) for line in lines)


def render_pdf(spec: DocumentSpec, progress: Optional[ProgressCallback] = None) -> bytes:
    """Render ``spec`` as an A4 PDF (bytes) with an embedded CJK font.

    ``progress(fraction, message)`` is called at each stage with a fraction
    in ``[0, 1]`` (monotonic, ending with 1.0).
    """
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import (KeepTogether, LongTable, Paragraph,
                                    SimpleDocTemplate, Spacer, TableStyle)

    _report(progress, 0.0, "加载中文字体")
    font = _cjk_font_name()

    _report(progress, 0.1, "构建文档结构")
    page_w, page_h = A4
    m = {k: v * _MM for k, v in PAGE_MARGINS_MM.items()}
    avail = page_w - m["left"] - m["right"]

    def style(name: str, **kw: Any) -> ParagraphStyle:
        base = dict(fontName=font, fontSize=BODY_SIZE, leading=BODY_LEADING,
                    wordWrap="CJK", alignment=TA_JUSTIFY, textColor=colors.black)
        base.update(kw)
        return ParagraphStyle(name, **base)

    st_title = style("title", fontSize=TITLE_SIZE, leading=TITLE_SIZE * 1.5,
                     alignment=TA_CENTER)
    st_docno = style("docno", alignment=TA_CENTER)
    st_addr = style("addressee", alignment=TA_LEFT)
    st_body = style("body", firstLineIndent=2 * BODY_SIZE)
    st_right = style("right", alignment=TA_RIGHT)
    st_note = style("note", fontSize=NOTE_SIZE, leading=NOTE_SIZE * 1.6,
                    firstLineIndent=2 * NOTE_SIZE)
    st_caption = style("caption", fontSize=NOTE_SIZE, leading=NOTE_SIZE * 1.6,
                       alignment=TA_CENTER, spaceBefore=6, spaceAfter=4)
    st_th = style("th", fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.4,
                  alignment=TA_CENTER)
    st_td = style("td", fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.4,
                  alignment=TA_LEFT)
    st_td_num = style("td_num", fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.4,
                      alignment=TA_CENTER)

    story: list[Any] = []
    story.append(_BoldParagraph(_para_markup(spec.title), st_title))
    if spec.doc_number:
        story.append(Spacer(1, 6))
        story.append(Paragraph(_para_markup(spec.doc_number), st_docno))
    story.append(Spacer(1, BODY_LEADING))      # 标题下空一行
    if spec.addressee:
        story.append(Paragraph(_para_markup(spec.addressee), st_addr))

    blocks = _blocks(spec)
    n_tables = sum(1 for kind, _ in blocks if kind == "t") or 1
    done_tables = 0
    pad = 4.0
    for kind, item in blocks:
        if kind == "p":
            story.append(Paragraph(_para_markup(item), st_body))
            continue
        table: TableSpec = item
        ncols, rows = _table_shape(table)
        if ncols == 0:
            continue
        if table.caption:
            story.append(Paragraph(_para_markup(table.caption), st_caption))
        else:
            story.append(Spacer(1, 6))
        data = []
        if table.headers:
            data.append([_BoldParagraph(_para_markup(h), st_th)
                         for h in list(table.headers)[:ncols]]
                        + [""] * (ncols - len(table.headers)))
        for r in rows:
            data.append([Paragraph(_para_markup(_cell_text(v)),
                                   st_td_num if _is_numeric(v) else st_td) for v in r])
        widths = _column_widths(
            table, ncols, rows, avail,
            lambda text: stringWidth(text, font, TABLE_SIZE) * 1.03 + 1,  # +fake-bold
            2 * pad)
        header_rows = 1 if table.headers else 0
        t = LongTable(data, colWidths=widths, repeatRows=header_rows, hAlign="CENTER")
        cmds = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), pad),
            ("RIGHTPADDING", (0, 0), (-1, -1), pad),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        if header_rows:
            cmds.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E6E6E6")))
        t.setStyle(TableStyle(cmds))
        story.append(t)
        story.append(Spacer(1, 8))
        done_tables += 1
        _report(progress, 0.1 + 0.3 * done_tables / n_tables, "构建表格")

    closing: list[Any] = []
    if spec.signature or spec.date:
        # Never leave the 落款 alone on a page: carry the last body
        # paragraph along with it (GB/T 9704 practice).
        if blocks and blocks[-1][0] == "p" and isinstance(story[-1], Paragraph):
            closing.append(story.pop())
        closing.append(Spacer(1, BODY_LEADING))    # 正文下空一行
        sig = _clean(spec.signature or "")
        date_text = chinese_date(spec.date) if spec.date else ""
        sw = stringWidth(sig, font, BODY_SIZE)
        dw = stringWidth(date_text, font, BODY_SIZE)
        # Right edge 2 chars in; signature and date share a centre line.
        right = 2 * BODY_SIZE
        widest = max(sw, dw)
        if sig:
            closing.append(Paragraph(_para_markup(sig),
                                     style("sig", alignment=TA_RIGHT,
                                           rightIndent=right + (widest - sw) / 2)))
        if date_text:
            closing.append(Paragraph(date_text,
                                     style("date", alignment=TA_RIGHT,
                                           rightIndent=right + (widest - dw) / 2)))
    if closing:
        story.append(KeepTogether(closing))
    if spec.footer_note:
        story.append(Spacer(1, BODY_LEADING / 2))
        story.append(Paragraph(_para_markup(spec.footer_note), st_note))

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, TABLE_SIZE)
        canvas.drawCentredString(page_w / 2, m["bottom"] / 2, f"第 {doc.page} 页")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4,
        leftMargin=m["left"], rightMargin=m["right"],
        topMargin=m["top"], bottomMargin=m["bottom"],
        title=_clean(spec.title), author=_clean(spec.signature or ""),
        subject=_clean(spec.doc_number or ""), creator="ACSF chair portal",
    )

    _report(progress, 0.4, "排版生成 PDF")
    if progress is not None:
        state = {"size": 0, "last": 0.4}

        def on_progress(kind: str, value: int) -> None:
            if kind == "SIZE_EST":
                state["size"] = value or 1
            elif kind == "PROGRESS" and state["size"]:
                frac = 0.4 + 0.55 * min(1.0, value / state["size"])
                if frac - state["last"] >= 0.05:
                    state["last"] = frac
                    _report(progress, frac, "排版生成 PDF")

        doc.setProgressCallBack(on_progress)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    _report(progress, 1.0, "完成")
    return buf.getvalue()


def _bold_paragraph_class() -> type:
    from reportlab.platypus import Paragraph

    class BoldParagraph(Paragraph):
        """Paragraph drawn with fill+stroke text (PDF render mode 2).

        The CJK fonts we can embed have no bold face; stroking the glyph
        outline with a thin line is the usual "fake bold".  The text stays
        real text (searchable, extractable).
        """

        def draw(self) -> None:
            canv = self.canv
            canv.saveState()
            canv.setLineWidth(max(0.3, self.style.fontSize / 30.0))
            canv.setStrokeColor(self.style.textColor)
            canv.addLiteral("2 Tr")
            try:
                super().draw()
            finally:
                canv.restoreState()

    return BoldParagraph


class _LazyBold:
    """Defer the reportlab import until a PDF is actually rendered."""

    _cls: Optional[type] = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _LazyBold._cls is None:
            _LazyBold._cls = _bold_paragraph_class()
        return _LazyBold._cls(*args, **kwargs)


_BoldParagraph = _LazyBold()


# --------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------

# Font names written into w:rFonts.  East Asian names are the Chinese names
# that Word and LibreOffice resolve on Chinese Windows/macOS; Word substitutes
# a similar face when one is missing.  Latin text uses Times New Roman.
DOCX_FONTS = {
    "title": "黑体",        # GB/T 9704 prescribes 小标宋; 黑体 is universally installed
    "body": "仿宋",         # FangSong (仿宋_GB2312 on older systems)
    "heading": "黑体",
    "page_number": "宋体",
    "latin": "Times New Roman",
}


def _set_run_fonts(run_or_style: Any, east_asia: str, size_pt: Optional[float] = None,
                   bold: Optional[bool] = None) -> None:
    """Set Latin + East Asian font on a run or style (w:rFonts/@w:eastAsia)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    f = run_or_style.font
    f.name = DOCX_FONTS["latin"]              # ascii + hAnsi
    if size_pt is not None:
        f.size = Pt(size_pt)
    if bold is not None:
        f.bold = bold
    rpr = run_or_style.element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:cs"), DOCX_FONTS["latin"])
    rfonts.set(qn("w:hint"), "eastAsia")


def _add_text(paragraph: Any, text: str, east_asia: str, size_pt: float,
              bold: bool = False) -> Any:
    run = paragraph.add_run(_clean(text).replace("\r\n", "\n").replace("\r", "\n"))
    _set_run_fonts(run, east_asia, size_pt, bold)
    return run


def _fmt(paragraph: Any, *, align: Any = None, first_indent: Optional[float] = None,
         right_indent: Optional[float] = None, exact: Optional[float] = None,
         before: float = 0, after: float = 0) -> None:
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    pf = paragraph.paragraph_format
    if align is not None:
        paragraph.alignment = align
    if first_indent is not None:
        pf.first_line_indent = Pt(first_indent)
    if right_indent is not None:
        pf.right_indent = Pt(right_indent)
    if exact is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(exact)
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)


def _add_field(paragraph: Any, instr: str, size_pt: float) -> None:
    """Insert a complex field (e.g. PAGE) -- works in Word and LibreOffice."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run_with(child: Any, text: Optional[str] = None) -> None:
        run = paragraph.add_run(text or "")
        _set_run_fonts(run, DOCX_FONTS["page_number"], size_pt)
        if child is not None:
            run._r.append(child)

    def fld(kind: str) -> Any:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    instr_el = OxmlElement("w:instrText")
    instr_el.set(qn("xml:space"), "preserve")
    instr_el.text = f" {instr} "
    run_with(fld("begin"))
    run_with(instr_el)
    run_with(fld("separate"))
    run_with(None, "1")
    run_with(fld("end"))


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    # CT_TcPr is a sequence: keep w:shd before these elements.
    for tag in ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText",
                "w:vAlign", "w:hideMark"):
        nxt = tcpr.find(qn(tag))
        if nxt is not None:
            nxt.addprevious(shd)
            return
    tcpr.append(shd)


def _mark_header_row(row: Any) -> None:
    """w:tblHeader -- repeat this row at the top of each page; never split it."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    for tag in ("w:tblHeader", "w:cantSplit"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), "true")
        trpr.append(el)


def render_docx(spec: DocumentSpec, progress: Optional[ProgressCallback] = None) -> bytes:
    """Render ``spec`` as an editable A4 Word document (bytes).

    East Asian fonts are written as ``w:rFonts/@w:eastAsia`` on the Normal
    style and on every run (python-docx's ``font.name`` only sets the Latin
    slots).  Page numbers are a real PAGE field in the footer.
    """
    from docx import Document
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    _report(progress, 0.0, "创建 Word 文档")
    doc = Document()

    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin = Mm(PAGE_MARGINS_MM["top"])
    sec.bottom_margin = Mm(PAGE_MARGINS_MM["bottom"])
    sec.left_margin = Mm(PAGE_MARGINS_MM["left"])
    sec.right_margin = Mm(PAGE_MARGINS_MM["right"])
    sec.footer_distance = Mm(PAGE_MARGINS_MM["bottom"] / 2 - 4)

    normal = doc.styles["Normal"]
    _set_run_fonts(normal, DOCX_FONTS["body"], BODY_SIZE)
    rpr = normal.element.get_or_add_rPr()
    for old_lang in rpr.findall(qn("w:lang")):
        rpr.remove(old_lang)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)

    props = doc.core_properties
    props.title = _clean(spec.title)
    props.author = _clean(spec.signature or "")
    props.subject = _clean(spec.doc_number or "")
    props.language = "zh-CN"
    props.comments = ""

    # Start from an empty body (keep only the section properties).
    body_el = doc.element.body
    for p in list(body_el.iterchildren(qn("w:p"))):
        body_el.remove(p)

    p = doc.add_paragraph()
    _fmt(p, align=WD_ALIGN_PARAGRAPH.CENTER, exact=TITLE_SIZE * 1.6)
    lines = _clean(spec.title).split("\n")
    for i, line in enumerate(lines):
        run = _add_text(p, line, DOCX_FONTS["title"], TITLE_SIZE, bold=True)
        if i < len(lines) - 1:
            run.add_break(WD_BREAK.LINE)
    if spec.doc_number:
        p = doc.add_paragraph()
        _fmt(p, align=WD_ALIGN_PARAGRAPH.CENTER, exact=BODY_LEADING, before=6)
        _add_text(p, spec.doc_number, DOCX_FONTS["body"], BODY_SIZE)
    p = doc.add_paragraph()                      # 标题下空一行
    _fmt(p, exact=BODY_LEADING)

    if spec.addressee:
        p = doc.add_paragraph()
        _fmt(p, align=WD_ALIGN_PARAGRAPH.LEFT, exact=BODY_LEADING)
        _add_text(p, spec.addressee, DOCX_FONTS["body"], BODY_SIZE)

    _report(progress, 0.1, "写入正文")
    blocks = _blocks(spec)
    total_rows = sum(len(item.rows) for kind, item in blocks if kind == "t") or 1
    rows_done = 0
    text_width_pt = (210 - PAGE_MARGINS_MM["left"] - PAGE_MARGINS_MM["right"]) * _MM
    cell_size = 12.0                              # 小四 reads better in Word tables
    for kind, item in blocks:
        if kind == "p":
            p = doc.add_paragraph()
            _fmt(p, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_indent=2 * BODY_SIZE,
                 exact=BODY_LEADING)
            _add_text(p, item, DOCX_FONTS["body"], BODY_SIZE)
            continue
        table: TableSpec = item
        ncols, rows = _table_shape(table)
        if ncols == 0:
            continue
        if table.caption:
            p = doc.add_paragraph()
            _fmt(p, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=4)
            _add_text(p, table.caption, DOCX_FONTS["heading"], NOTE_SIZE)
        widths = _column_widths(
            table, ncols, rows, text_width_pt,
            # fonts are resolved by Word later: CJK = 1 em, other chars ~0.55 em
            lambda text: sum(cell_size if display_width(ch) == 2 else cell_size * 0.55
                             for ch in text),
            12.0)
        header_rows = 1 if table.headers else 0
        t = doc.add_table(rows=header_rows, cols=ncols)
        t.style = doc.styles["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        for i, col in enumerate(t.columns):
            col.width = Pt(widths[i])

        def fill(row: Any, values: Sequence[Any], header: bool) -> None:
            for i, (cell, v) in enumerate(zip(row.cells, values)):
                cell.width = Pt(widths[i])
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                cp = cell.paragraphs[0]
                centred = header or _is_numeric(v)
                _fmt(cp, align=WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT)
                cp.paragraph_format.line_spacing = 1.0
                _add_text(cp, _cell_text(v),
                          DOCX_FONTS["heading"] if header else DOCX_FONTS["body"],
                          cell_size, bold=header)
                if header:
                    _shade(cell, "E6E6E6")

        if header_rows:
            hdr = t.rows[0]
            fill(hdr, list(table.headers)[:ncols] + [""] * (ncols - len(table.headers)), True)
            _mark_header_row(hdr)
        for r in rows:
            fill(t.add_row(), r, False)
            rows_done += 1
            if rows_done % 200 == 0:
                _report(progress, 0.1 + 0.7 * rows_done / total_rows, "写入表格")
        p = doc.add_paragraph()                  # breathing room after the table
        _fmt(p, exact=BODY_LEADING / 2)

    if spec.signature or spec.date:
        p = doc.add_paragraph()                  # 正文下空一行
        _fmt(p, exact=BODY_LEADING)
        sig = _clean(spec.signature or "")
        date_text = chinese_date(spec.date) if spec.date else ""
        unit = BODY_SIZE / 2                     # estimate: CJK = 2 half-width units
        sw, dw = display_width(sig) * unit, display_width(date_text) * unit
        widest = max(sw, dw)
        for text, w in ((sig, sw), (date_text, dw)):
            if not text:
                continue
            p = doc.add_paragraph()
            _fmt(p, align=WD_ALIGN_PARAGRAPH.RIGHT, exact=BODY_LEADING,
                 right_indent=2 * BODY_SIZE + (widest - w) / 2)
            p.paragraph_format.keep_with_next = bool(text is sig and date_text)
            _add_text(p, text, DOCX_FONTS["body"], BODY_SIZE)
    if spec.footer_note:
        p = doc.add_paragraph()
        _fmt(p, exact=BODY_LEADING)
        p = doc.add_paragraph()
        _fmt(p, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_indent=2 * NOTE_SIZE,
             exact=NOTE_SIZE * 1.6)
        _add_text(p, spec.footer_note, DOCX_FONTS["body"], NOTE_SIZE)

    _report(progress, 0.85, "添加页码")
    footer = sec.footer
    fp = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    _fmt(fp, align=WD_ALIGN_PARAGRAPH.CENTER)
    _add_text(fp, "第 ", DOCX_FONTS["page_number"], TABLE_SIZE)
    _add_field(fp, "PAGE", TABLE_SIZE)
    _add_text(fp, " 页", DOCX_FONTS["page_number"], TABLE_SIZE)

    _report(progress, 0.9, "保存 Word 文档")
    buf = io.BytesIO()
    doc.save(buf)
    _report(progress, 1.0, "完成")
    return buf.getvalue()


# --------------------------------------------------------------------------
# XLSX / CSV
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
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
