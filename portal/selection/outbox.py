"""Adapter to the notifications and documents features (issue 3), imported lazily.

Until those modules exist the calls are recorded in ``PENDING`` (visible in tests) and the
caller carries on: a letter that cannot be generated yet is not an error of selection.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)

# What would have been sent/generated when issue 3 is not installed (tests inspect it).
PENDING: list[tuple[str, dict]] = []


def _notifications():
    try:
        from portal.notifications import operations
    except ImportError:
        return None
    return operations if hasattr(operations, "notify") else None


def _documents():
    try:
        from portal.documents import operations
    except ImportError:
        return None
    return operations if hasattr(operations, "request_document") else None


def notify(tenant_id: int, **kw):
    ops = _notifications()
    if ops is None:
        PENDING.append(("notify", {"tenant_id": tenant_id, **kw}))
        log.info("notification %s queued locally (notifications not installed)", kw.get("template_key"))
        return None
    return ops.notify(tenant_id, **kw)


def register_default_template(key: str, label: str, subject: str, body: str, article: str) -> None:
    ops = _notifications()
    if ops is not None and hasattr(ops, "register_default_template"):
        ops.register_default_template(key, label, subject, body, article)
        return
    try:
        from portal.notifications.catalog import register_default_template as reg
    except ImportError:
        return
    reg(key, label, subject, body, article)


def on_sent(related_type: str, func) -> None:
    """Hear when a notification about ``related_type`` has been sent (A6.1 delivery)."""
    try:
        from portal.notifications.jobs import register_sent_hook
    except ImportError:
        return
    register_sent_hook(related_type, func)


def request_document(tenant_id: int, **kw):
    """Returns the GeneratedDocument (or None when documents are not installed)."""
    ops = _documents()
    if ops is None:
        PENDING.append(("document", {"tenant_id": tenant_id, **kw}))
        return None
    return ops.request_document(tenant_id, **kw)


def document_id(doc) -> int | None:
    return getattr(doc, "id", None) if doc is not None else None
