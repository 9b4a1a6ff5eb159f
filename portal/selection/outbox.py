"""Selection's calls into the notifications and documents features (A6.1 letters, A6.5 notice,
A7 disqualification, objections): one thin seam, so that the chapter's operations name what
they send, not how the outbox or the renderer is reached. Selection stands on both features;
neither imports selection.
"""
from __future__ import annotations


def notify(tenant_id: int, **kw):
    from portal.notifications.operations import notify as _notify

    return _notify(tenant_id, **kw)


def register_default_template(key: str, label: str, subject: str, body: str, article: str) -> None:
    from portal.notifications.catalog import register_default_template as _register

    _register(key, label, subject, body, article)


def on_sent(related_type: str, func) -> None:
    """Hear when a notification about ``related_type`` has been sent (A6.1 delivery)."""
    from portal.notifications.jobs import register_sent_hook

    register_sent_hook(related_type, func)


def request_document(tenant_id: int, **kw):
    """The GeneratedDocument, its rendering queued as a job."""
    from portal.documents.operations import request_document as _request

    return _request(tenant_id, **kw)


def document_id(doc) -> int | None:
    return getattr(doc, "id", None) if doc is not None else None
