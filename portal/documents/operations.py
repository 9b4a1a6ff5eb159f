"""Request a document: a row plus a job on the ``documents`` queue, rendered with progress.

A builder is a registered function ``builder(tenant_id, **params)`` returning a
:class:`DocumentSpec` (pdf/docx) or a list of :class:`SheetSpec` (xlsx). Only registered
builders can be named (a dotted path from a request is never imported blindly).
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from werkzeug.utils import import_string

from portal.core import audit
from portal.core.db import current_tenant_id, tenant_context, utcnow
from portal.core.errors import DomainError
from portal.extensions import db
from portal.documents.models import DocumentFormat, DocumentStatus, GeneratedDocument


class DocumentError(DomainError):
    pass


@dataclass(frozen=True)
class BuilderDef:
    kind: str
    label: str
    path: str
    formats: tuple[str, ...]
    roles: tuple[str, ...]
    article: str | None
    default_filename: str


BUILDERS: dict[str, BuilderDef] = {}


def document_builder(kind: str, label: str, *, formats=("pdf", "docx"), roles=("secretariat_admin",),
                     article: str | None = None, filename: str | None = None):
    def deco(func):
        path = f"{func.__module__}.{func.__qualname__}"
        BUILDERS[kind] = BuilderDef(kind, label, path, tuple(formats), tuple(roles), article,
                                    filename or label)
        return func

    return deco


# Builders that moved to the feature owning their records; a job queued before the move names
# the old path.
MOVED_BUILDERS = {"portal.documents.builders.schools_table": "portal.reference.documents.schools_table"}


def builder_by_path(path: str) -> BuilderDef:
    """A registered builder, or a feature's own builder function named in code.

    Requests from users only ever name registered kinds (views look them up in BUILDERS);
    features may pass their builder's dotted path, which must live in our packages."""
    path = MOVED_BUILDERS.get(path, path)
    for b in BUILDERS.values():
        if b.path == path:
            return b
    if isinstance(path, str) and path.startswith(("portal.", "tenants.")):
        try:
            func = import_string(path)
        except ImportError:
            func = None
        if callable(func):
            return BuilderDef(path.rsplit(".", 1)[-1], path, path, ("pdf", "docx", "xlsx"), (), None, path)
    raise DocumentError(f"未登记的文件生成器「{path}」", code="unknown_builder")


def _clean_filename(filename: str, fmt: str) -> str:
    name = "".join(ch for ch in (filename or "").strip() if ch not in '/\\\x00\r\n"<>:|?*')[:150].strip(". ")
    if not name:
        raise DocumentError("文件名不能为空")
    if not name.lower().endswith("." + fmt):
        name = f"{name}.{fmt}"
    return name


def request_document(tenant_id: int, *, kind: str, fmt: str, builder: str, params: dict | None,
                     filename: str, requested_by) -> GeneratedDocument:
    """Create the document row and enqueue its job (runs after the caller commits)."""
    from portal.jobs import enqueue

    b = builder_by_path(builder)
    if fmt not in {f.value for f in DocumentFormat}:
        raise DocumentError(f"不支持的文件格式「{fmt}」（可选 pdf、docx、xlsx）")
    if fmt not in b.formats:
        raise DocumentError(f"「{b.label}」只能生成 {'、'.join(b.formats)} 格式")
    name = _clean_filename(filename, fmt)
    with tenant_context(tenant_id, db.session):
        doc = GeneratedDocument(tenant_id=tenant_id, kind=kind, fmt=DocumentFormat(fmt), filename=name,
                                status=DocumentStatus.queued, builder=b.path, params=dict(params or {}),
                                requested_by_id=getattr(requested_by, "id", None))
        db.session.add(doc)
        db.session.flush()
        rec = enqueue("portal.documents.jobs.render_document", doc.id, queue="documents",
                      tenant_id=tenant_id, kind="documents.render", label=f"生成文件「{name}」",
                      created_by=requested_by, max_attempts=2)
        doc.job_id = rec.id
        db.session.flush()
        audit.record("document.requested", "document", doc.id, actor=requested_by,
                     after={"kind": kind, "format": fmt, "filename": name, "params": doc.params},
                     article=b.article)
    return doc


# The secretariat and whoever asked for it (as ``can_download``); a feature that hands a document
# to someone else (the school a letter is addressed to) checks that itself and names its grant.
DOCUMENT_ACCESS = ("owner", "role:secretariat_admin", "role:secretariat_staff")


def store_bytes(doc: GeneratedDocument, data: bytes) -> None:
    """Keep the rendered bytes in the vault (judged by content against the format asked for);
    written once the job's transaction commits."""
    from portal.core import vault

    f = vault.store(doc.tenant_id, data, filename=doc.filename, name=doc.filename, purpose="documents.generated",
                    allowed=(doc.fmt.value,), stored_by=doc.requested_by_id, access=DOCUMENT_ACCESS)
    doc.file_id = f.id
    doc.storage_name = f.storage_key.rsplit("/", 1)[-1]
    doc.size = f.size


def stored_file(doc: GeneratedDocument):
    from portal.core import vault

    return db.session.get(vault.StoredFile, doc.file_id) if doc.file_id else None


def file_path(doc: GeneratedDocument) -> str | None:
    from portal.core import vault

    f = stored_file(doc)
    return vault.path_of(f) if f is not None else None


def can_download(doc: GeneratedDocument, user, roles) -> bool:
    """Staff see the tenant's documents; others only those they requested."""
    from tenants.models import STAFF_ROLES

    return bool(set(roles) & set(STAFF_ROLES)) or (user is not None and doc.requested_by_id == user.id)


def call_builder(doc: GeneratedDocument):
    return import_string(builder_by_path(doc.builder).path)(doc.tenant_id, **(doc.params or {}))


# --- templates: a tenant's own, or the national one by reference (A22) ------------------------

def set_template_override(tenant, key: str, data: bytes, filename: str | None, reason: str, *, actor):
    """Store ``data`` as the tenant's template of ``key`` once it passes every check
    (templating.check_template); a bad one raises TemplateProblem and nothing is stored."""
    from portal.documents.models import DocumentTemplateOverride as O
    from portal.documents.templating import check_template, document_kind, template_digest

    kind = document_kind(key)
    reason = (reason or "").strip()
    if not reason:
        msg = f"上传「{kind.label}」的本会模板须填写理由"
        raise DocumentError(msg, status=422, code="reason_required", field="reason", details={"reason": msg})
    check_template(kind, data, filename)
    o = db.session.scalar(sa.select(O).where(O.tenant_id == tenant.id, O.kind == key))
    before = ({"source": "own", "sha256": o.sha256, "filename": o.filename, "reason": o.reason} if o
              else {"source": "national"})
    name = _clean_filename(filename or kind.template_filename, "docx")
    digest = template_digest(data)
    if o is None:
        o = O(tenant_id=tenant.id, kind=key, content=data, filename=name, sha256=digest, size=len(data),
              reason=reason, updated_by_id=getattr(actor, "id", None))
        db.session.add(o)
    else:
        o.content, o.filename, o.sha256, o.size, o.reason = data, name, digest, len(data), reason
        o.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record("document_template.override", "document_template", key, actor=actor, before=before,
                 after={"source": "own", "sha256": digest, "filename": name, "size": len(data), "reason": reason},
                 article=kind.article or "A22", tenant_id=tenant.id)
    return o


def clear_template_override(tenant, key: str, *, actor) -> None:
    """Back to the national template (the tenant's own is deleted)."""
    from portal.documents.models import DocumentTemplateOverride as O
    from portal.documents.templating import document_kind

    kind = document_kind(key)
    o = db.session.scalar(sa.select(O).where(O.tenant_id == tenant.id, O.kind == key))
    if o is None:
        raise DocumentError(f"「{kind.label}」没有本会模板，已在采用全国模板", status=409, code="no_override")
    before = {"source": "own", "sha256": o.sha256, "filename": o.filename, "reason": o.reason}
    db.session.delete(o)
    db.session.flush()
    audit.record("document_template.override_cleared", "document_template", key, actor=actor, before=before,
                 after={"source": "national"}, article=kind.article or "A22", tenant_id=tenant.id)


__all__ = ["request_document", "document_builder", "BUILDERS", "DocumentError", "current_tenant_id", "utcnow"]
