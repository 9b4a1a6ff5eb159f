"""CJK font discovery for the PDF renderer (reportlab embeds TrueType outlines only)."""

from __future__ import annotations

import os
import threading
import zlib
from typing import NamedTuple, Optional

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
