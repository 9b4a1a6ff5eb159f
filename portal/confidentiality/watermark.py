"""A20: a downloaded PDF carries the reader's name, the tenant and the time on every page.

The overlay is drawn once per page size with reportlab (the CJK font the PDF renderer embeds)
and laid over each page with pypdf as a form XObject: the pages' own content streams are
appended to, never parsed, so a long document is stamped in time proportional to its pages.
"""
from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject


def _overlay(width: float, height: float, lines: list[str]) -> bytes:
    from reportlab.lib.colors import Color
    from reportlab.pdfgen import canvas

    from portal.documents.render.fonts import _cjk_font_name

    font = _cjk_font_name()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height))
    c.setFillColor(Color(0.55, 0.55, 0.55, alpha=0.35))
    size = max(10.0, min(width, height) / 28)
    c.setFont(font, size)
    # A diagonal band across the page, repeated so no crop removes it.
    c.saveState()
    c.translate(width / 2, height / 2)
    c.rotate(35)
    for k, y in enumerate(range(-int(height), int(height), int(size * 9))):
        for j, line in enumerate(lines):
            c.drawCentredString(0, y - j * size * 1.3, line)
    c.restoreState()
    # And a plain footer line, easy to read back.
    c.setFont(font, 8)
    c.setFillColor(Color(0.3, 0.3, 0.3, alpha=0.8))
    c.drawString(24, 14, "  ".join(lines))
    c.showPage()
    c.save()
    return buf.getvalue()


def _form(writer: PdfWriter, overlay: bytes):
    """The overlay page as a form XObject in ``writer`` (drawn once, referenced by every page)."""
    page = PdfReader(io.BytesIO(overlay)).pages[0]
    form = DecodedStreamObject()
    form.set_data(page.get_contents().get_data())
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): page.mediabox,
        NameObject("/Resources"): page["/Resources"].get_object().clone(writer),
    })
    return writer._add_object(form)


def _stream(writer: PdfWriter, data: bytes):
    s = DecodedStreamObject()
    s.set_data(data)
    return writer._add_object(s)


def stamp_pdf(data: bytes, lines: list[str]) -> bytes:
    """``data`` with ``lines`` drawn over every page. The page's own content is wrapped in
    ``q … Q`` (its graphics state cannot leak into the stamp) and never re-parsed."""
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter(clone_from=reader)
    forms: dict[tuple, object] = {}
    push = _stream(writer, b"q\n")
    for page in writer.pages:
        box = page.mediabox
        left, bottom, width, height = float(box.left), float(box.bottom), float(box.width), float(box.height)
        key = (width, height)
        if key not in forms:
            forms[key] = _form(writer, _overlay(width, height, lines))
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else DictionaryObject()
        page[NameObject("/Resources")] = resources
        xobjects = resources.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else DictionaryObject()
        resources[NameObject("/XObject")] = xobjects
        xobjects[NameObject("/PortalWatermark")] = forms[key]
        contents = page.get("/Contents")
        parts = []
        if contents is not None:
            obj = contents.get_object()
            parts = list(obj) if isinstance(obj, ArrayObject) else [contents]
        pop = _stream(writer, f"Q\nq 1 0 0 1 {left:g} {bottom:g} cm /PortalWatermark Do Q\n".encode())
        page[NameObject("/Contents")] = ArrayObject([push, *parts, pop])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def watermark_lines(user, tenant, at) -> list[str]:
    name = getattr(user, "name", None) or getattr(user, "email", "") or "—"
    return [f"{name} · {getattr(tenant, 'name', '')}", f"{at:%Y-%m-%d %H:%M} 下载 · 内部资料 请勿外传"]
