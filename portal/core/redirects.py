"""Where a redirect may go when the target comes from the request (``?next=``, Referer).

Only a path on this host is accepted: parsed with the URL library, no scheme, no host, no
backslash and no control character anywhere (browsers drop a tab or CR inside ``/\t/evil``
and read ``//evil``, a protocol-relative URL to another site; a CR in a Location header is
a 500). An absolute URL naming this very host (a Referer) is reduced to its path. Anything
else falls back to the caller's default.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import redirect, request


def _has_tricks(target: str) -> bool:
    return "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)


def safe_target(target: str | None) -> str | None:
    """``target`` if it is a path on this host (query and fragment kept), else None."""
    if not target or len(target) > 2000 or _has_tricks(target) or target.startswith("//"):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unbalanced "[" in the host part
        return None
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return None
        parts = parts._replace(scheme="", netloc="")
    path = parts.path
    if not path.startswith("/") or path.startswith("//"):
        return None
    return urlunsplit(parts)


def redirect_back(target: str | None, default: str, code: int = 302):
    """Redirect to ``target`` when it is safe (see :func:`safe_target`), else to ``default``."""
    return redirect(safe_target(target) or default, code=code)
