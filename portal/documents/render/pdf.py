"""PDF rendering (reportlab, an embedded CJK TrueType font), laid out after GB/T 9704-2012."""

from __future__ import annotations

import io
from typing import Any, Optional
from xml.sax.saxutils import escape as _xml_escape

from portal.documents.render.fonts import _cjk_font_name
from portal.documents.render.spec import (
    _MM, BODY_LEADING, BODY_SIZE, NOTE_SIZE, PAGE_MARGINS_MM, TABLE_SIZE, TITLE_SIZE, DocumentSpec,
    ProgressCallback, TableSpec, _blocks, _cell_text, _clean, _column_widths, _is_numeric, _report,
    _table_shape, chinese_date,
)



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
