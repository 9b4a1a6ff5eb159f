"""The document job: build the spec, render with progress, store, tell the requester."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core import audit
from portal.core.db import utcnow
from portal.documents.models import DocumentStatus, GeneratedDocument
from portal.documents.operations import call_builder, store_bytes
from portal.documents.render import render_docx, render_pdf, write_xlsx
from portal.documents.templating import TemplatedDocument, render_kind
from portal.extensions import db
from portal.jobs import set_progress


def _update(doc_id: int, **values) -> None:
    db.session.execute(sa.update(GeneratedDocument).where(GeneratedDocument.id == doc_id).values(**values))


def render_document(doc_id: int) -> dict:
    doc = db.session.get(GeneratedDocument, doc_id)
    if doc is None:
        raise LookupError(f"document {doc_id} is not visible to this tenant")
    if doc.status == DocumentStatus.ready:
        return {"document": doc_id, "size": doc.size}
    _update(doc_id, status=DocumentStatus.running, progress=5, message="准备数据", error=None)
    set_progress(5, "准备数据")  # commits
    last = [5]

    def progress(fraction: float, message: str) -> None:
        pct = 10 + int(fraction * 80)
        if pct - last[0] >= 10 or fraction >= 1.0:
            last[0] = pct
            _update(doc_id, progress=pct, message=message[:300])
            set_progress(pct, message)

    try:
        spec = call_builder(doc)
        fmt = doc.fmt.value
        if isinstance(spec, TemplatedDocument):  # the tenant's template, one context for docx and pdf
            progress(0.1, "填写模板")
            data = render_kind(doc.tenant_id, spec.kind, spec.context, fmt, progress)
            progress(1.0, "已填写模板")
        elif fmt == "pdf":
            data = render_pdf(spec, progress)
        elif fmt == "docx":
            data = render_docx(spec, progress)
        else:
            progress(0.2, "写入表格")
            data = write_xlsx(spec)
            progress(1.0, "表格已写入")
        doc = db.session.get(GeneratedDocument, doc_id)
        store_bytes(doc, data)
        doc.status = DocumentStatus.ready
        doc.progress = 100
        doc.message = "已生成"
        doc.finished_at = utcnow()
        db.session.flush()
        audit.record("document.ready", "document", doc.id, actor="后台任务",
                     after={"filename": doc.filename, "size": doc.size, "format": fmt})
        if doc.requested_by_id:
            from portal.notifications import notify

            notify(doc.tenant_id, template_key="documents.ready", context={"filename": doc.filename},
                   recipient_user_id=doc.requested_by_id, channels=("inbox",),
                   related_type="document", related_id=doc.id, dedupe_key=f"document-ready:{doc.id}")
        db.session.commit()
        return {"document": doc_id, "size": len(data)}
    except Exception as exc:
        db.session.rollback()
        _update(doc_id, status=DocumentStatus.failed, message="生成失败",
                error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=utcnow())
        db.session.commit()
        raise
