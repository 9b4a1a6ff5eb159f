"""Format-independent rendering of official documents (公文) and exports.

Pure functions only: no Flask, no database.  Everything takes plain data
(:class:`DocumentSpec`, :class:`SheetSpec`) and returns ``bytes``, so the same
code can run inside a request, an RQ job or a test.

The package, one module per seam:

* ``spec`` -- :class:`DocumentSpec`, :class:`TableSpec`, :class:`SheetSpec`, the page
  geometry, :func:`chinese_date`, :func:`display_width`, :func:`content_disposition`
  (RFC 6266 / RFC 5987 header value)
* ``fonts`` -- :class:`CJKFont`, :func:`find_cjk_font`
* ``pdf`` -- :func:`render_pdf` (reportlab, embedded CJK TrueType font)
* ``docx`` -- :func:`render_docx` (python-docx, East Asian fonts via ``w:eastAsia``) and
  :func:`spec_from_docx` (a rendered template read back, so its PDF says the same)
* ``xlsx`` -- :func:`write_xlsx` (formula-safe, streamed through ``portal.core.xlsx``),
  :func:`formula_safe` (same neutralisation for CSV exports)

Layout follows GB/T 9704-2012 (党政机关公文格式) where practical: A4 paper,
margins top 37 mm / bottom 35 mm / left 28 mm / right 26 mm (版心 156 x 225 mm),
title 2号 (22 pt) centred, body 3号 (16 pt) with a two-character first-line
indent and 22 lines per page, signature (落款) and date right-aligned with the
signature centred over the date.

Thread-safety: reportlab keeps a process-wide font registry; registration is
guarded by a lock.  Rendering itself holds no shared mutable state of ours.
"""

from __future__ import annotations

from portal.documents.render.docx import DOCX_FONTS, ROLE_STYLES, render_docx, spec_from_docx
from portal.documents.render.fonts import FONT_DEBIAN_PACKAGE, FONT_ENV_VAR, KNOWN_CJK_FONTS, CJKFont, find_cjk_font
from portal.documents.render.pdf import render_pdf
from portal.documents.render.spec import (
    BODY_LEADING, BODY_SIZE, NOTE_SIZE, PAGE_MARGINS_MM, TABLE_SIZE, TITLE_SIZE, DocumentSpec, ProgressCallback,
    SheetSpec, TableSpec, chinese_date, content_disposition, display_width,
)
from portal.documents.render.xlsx import (
    DATE_FORMAT, DATETIME_FORMAT, FORMULA_TRIGGERS, WIDTH_SAMPLE_ROWS, XLSX_MAX_CELL_CHARS, XLSX_TIMEZONE,
    formula_safe, write_xlsx,
)

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
    "spec_from_docx",
    "write_xlsx",
]
