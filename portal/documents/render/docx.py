"""DOCX rendering (python-docx; East Asian fonts written as ``w:rFonts/@w:eastAsia``)."""

from __future__ import annotations

import datetime as _dt
import io
import re
from typing import Any, Optional, Sequence

from portal.documents.render.spec import (
    _MM, BODY_LEADING, BODY_SIZE, NOTE_SIZE, PAGE_MARGINS_MM, TABLE_SIZE, TITLE_SIZE, DocumentSpec,
    ProgressCallback, TableSpec, _blocks, _cell_text, _clean, _column_widths, _is_numeric, _report,
    _table_shape, chinese_date, display_width,
)

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


# Each paragraph carries the style of its part of the 公文, so a rendered document (or a
# template edited in Word or WPS, where Enter keeps the style) can be read back part by part:
# :func:`spec_from_docx` makes the PDF say exactly what the DOCX says.
ROLE_STYLES = {"title": "DocTitle", "number": "DocNumber", "addressee": "DocAddressee", "body": "DocBody",
               "caption": "DocCaption", "signature": "DocSignature", "date": "DocDate", "note": "DocNote"}


def _role(doc: Any, paragraph: Any, role: str) -> Any:
    from docx.enum.style import WD_STYLE_TYPE

    name = ROLE_STYLES[role]
    try:
        style = doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        style.quick_style = True
    paragraph.style = style
    return paragraph


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

    p = _role(doc, doc.add_paragraph(), "title")
    _fmt(p, align=WD_ALIGN_PARAGRAPH.CENTER, exact=TITLE_SIZE * 1.6)
    lines = _clean(spec.title).split("\n")
    for i, line in enumerate(lines):
        run = _add_text(p, line, DOCX_FONTS["title"], TITLE_SIZE, bold=True)
        if i < len(lines) - 1:
            run.add_break(WD_BREAK.LINE)
    if spec.doc_number:
        p = _role(doc, doc.add_paragraph(), "number")
        _fmt(p, align=WD_ALIGN_PARAGRAPH.CENTER, exact=BODY_LEADING, before=6)
        _add_text(p, spec.doc_number, DOCX_FONTS["body"], BODY_SIZE)
    p = doc.add_paragraph()                      # 标题下空一行
    _fmt(p, exact=BODY_LEADING)

    if spec.addressee:
        p = _role(doc, doc.add_paragraph(), "addressee")
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
            p = _role(doc, doc.add_paragraph(), "body")
            _fmt(p, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_indent=2 * BODY_SIZE,
                 exact=BODY_LEADING)
            _add_text(p, item, DOCX_FONTS["body"], BODY_SIZE)
            continue
        table: TableSpec = item
        ncols, rows = _table_shape(table)
        if ncols == 0:
            continue
        if table.caption:
            p = _role(doc, doc.add_paragraph(), "caption")
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
        # a template writes its date as a placeholder ("{{ date }}"), a document as a date
        date_text = (spec.date if isinstance(spec.date, str) else chinese_date(spec.date)) if spec.date else ""
        unit = BODY_SIZE / 2                     # estimate: CJK = 2 half-width units
        sw, dw = display_width(sig) * unit, display_width(date_text) * unit
        widest = max(sw, dw)
        for text, w in ((sig, sw), (date_text, dw)):
            if not text:
                continue
            p = _role(doc, doc.add_paragraph(), "signature" if text is sig else "date")
            _fmt(p, align=WD_ALIGN_PARAGRAPH.RIGHT, exact=BODY_LEADING,
                 right_indent=2 * BODY_SIZE + (widest - w) / 2)
            p.paragraph_format.keep_with_next = bool(text is sig and date_text)
            _add_text(p, text, DOCX_FONTS["body"], BODY_SIZE)
    if spec.footer_note:
        p = doc.add_paragraph()
        _fmt(p, exact=BODY_LEADING)
        # one paragraph per line (a template can then keep or drop each line)
        for line in _clean(spec.footer_note).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            p = _role(doc, doc.add_paragraph(), "note")
            _fmt(p, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_indent=2 * NOTE_SIZE,
                 exact=NOTE_SIZE * 1.6)
            _add_text(p, line, DOCX_FONTS["body"], NOTE_SIZE)

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


_CN_DATE = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")


def _paragraph_text(p: Any) -> str:
    """The paragraph's text with line breaks as "\n" (python-docx gives tabs and breaks)."""
    return p.text.replace("\r", "").strip()


def spec_from_docx(data: bytes) -> DocumentSpec:
    """Read a rendered 公文 back into a :class:`DocumentSpec`, part by part (the paragraph
    styles of :data:`ROLE_STYLES`; a paragraph of any other style is body text), so the PDF
    made from it says what the DOCX says. Empty paragraphs (spacing) are dropped; each table
    keeps its place among the body paragraphs, its header row and the caption above it."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    doc = Document(io.BytesIO(data))
    roles = {v: k for k, v in ROLE_STYLES.items()}
    parts: dict[str, list[str]] = {k: [] for k in ROLE_STYLES}
    tables: list[TableSpec] = []
    caption: Optional[str] = None
    for el in doc.element.body.iterchildren():
        if el.tag == qn("w:p"):
            p = Paragraph(el, doc)
            text = _paragraph_text(p)
            if not text:
                continue
            role = roles.get(getattr(p.style, "name", None) or "", "body")
            if role == "caption":
                caption = text
                continue
            if role == "date" and not _CN_DATE.match(text):
                role = "signature"          # a date line edited into words stays, as written
            parts[role].append(text)
        elif el.tag == qn("w:tbl"):
            t = Table(el, doc)
            rows = [[c.text.strip() for c in r.cells] for r in t.rows]
            if not rows:
                continue
            header = rows[0] if t.rows[0]._tr.trPr is not None and t.rows[0]._tr.trPr.find(
                qn("w:tblHeader")) is not None else []
            body_rows = rows[1:] if header else rows
            tables.append(TableSpec(headers=header, rows=body_rows, position=len(parts["body"]),
                                    caption=caption))
            caption = None
    date = None
    if parts["date"]:
        m = _CN_DATE.match(parts["date"][-1])
        date = _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return DocumentSpec(
        title="\n".join(parts["title"]) or (doc.core_properties.title or ""),
        paragraphs=parts["body"],
        doc_number="\n".join(parts["number"]) or None,
        addressee="\n".join(parts["addressee"]) or None,
        tables=tables,
        signature="\n".join(parts["signature"]) or None,
        date=date,
        footer_note="\n".join(parts["note"]) or None,
    )
