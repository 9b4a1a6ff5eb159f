from __future__ import annotations

import io
from typing import Any, Literal

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user
from pydantic import Field

from portal.api.common import api_blueprint
from portal.api.schemas import Body, Out, operation, text
from portal.core.errors import DomainError
from portal.core.permissions import ROLE_ADMIN, require_roles
from portal.documents.models import DocumentFormat, GeneratedDocument
from portal.documents import operations as ops
from portal.documents import templating
from portal.documents.operations import BUILDERS, DocumentError, can_download, request_document, stored_file
from portal.documents.render import content_disposition
from portal.extensions import db
from tenants.context import has_role
from tenants.models import STAFF_ROLES, Role
from portal.core import clock
from portal.core.clock import utc_iso

bp = Blueprint("documents", __name__, url_prefix="/<tenant>/documents", template_folder="templates")
api_bp = api_blueprint("documents_api", __name__, "/api/v1/<tenant>/documents")


def _visible():
    stmt = sa.select(GeneratedDocument).order_by(GeneratedDocument.id.desc())
    if not has_role(*STAFF_ROLES):
        stmt = stmt.where(GeneratedDocument.requested_by_id == current_user.id)
    return stmt


def _get(doc_id: int) -> GeneratedDocument:
    doc = db.session.get(GeneratedDocument, doc_id)
    # Another tenant's document, or one this user may not see: 404, never 403 (no probing).
    if doc is None or not can_download(doc, current_user, g.get("roles", ())):
        abort(404)
    return doc


def status_json(doc: GeneratedDocument) -> dict:
    return {"id": doc.id, "kind": doc.kind, "format": doc.fmt.value, "filename": doc.filename,
            "status": doc.status.value, "status_label": gettext(doc.status_label), "progress": doc.progress,
            "message": doc.message, "error": doc.error if doc.status.value == "failed" else None,
            "size": doc.size, "created_at": utc_iso(doc.created_at),
            "download_url": url_for("documents.download", doc_id=doc.id) if doc.status.value == "ready" else None}


def _allowed_builders():
    return [b for b in BUILDERS.values() if has_role(*[Role(r) for r in b.roles])]


@bp.route("/")
def index():
    page = db.paginate(_visible(), page=max(1, request.args.get("page", 1, type=int)), per_page=30, error_out=False)
    return render_template("documents/index.html", page=page, builders=_allowed_builders())


def _request_from(data) -> GeneratedDocument:
    kind = data.get("kind") or ""
    b = BUILDERS.get(kind)
    if b is None:
        raise DocumentError(f"未知的文件类型「{kind}」", code="unknown_kind")
    if not has_role(*[Role(r) for r in b.roles]):
        abort(403, description="您的角色无权生成该文件")
    fmt = data.get("format") or b.formats[0]
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise DocumentError("params 应为对象")
    stamp = clock.today().strftime("%Y%m%d")
    return request_document(g.tenant.id, kind=kind, fmt=fmt, builder=b.path, params=params,
                            filename=data.get("filename") or f"{b.default_filename}-{stamp}",
                            requested_by=current_user._get_current_object())


@bp.route("/", methods=["POST"])
def create():
    try:
        doc = _request_from({"kind": request.form.get("kind"), "format": request.form.get("format")})
    except DomainError as exc:
        g._no_commit = True
        flash(exc.message, "error")
        return redirect(url_for("documents.index")), 303
    flash(f"已提交生成「{doc.filename}」，完成后可下载", "success")
    return redirect(url_for("documents.index")), 303


@bp.route("/<int:doc_id>/status")
def status(doc_id: int):
    return jsonify(status_json(_get(doc_id)))


@bp.route("/<int:doc_id>/download")
def download(doc_id: int):
    return send_document(_get(doc_id))


def send_document(doc: GeneratedDocument, *, inline: bool = False, public: bool = False, grant: str | None = None):
    """The file as an attachment, or ``inline``, through the vault (its access list, or the
    caller's ``grant``; logged). A ``public`` file (the 公示 PDF, shown while its notice is
    published) may be cached by browsers for a minute; nothing else is cached."""
    from portal.core import vault

    if doc.status.value != "ready" or not doc.storage_name:
        raise DomainError("文件尚未生成完成", status=409, code="not_ready")
    f = stored_file(doc)
    if f is None:
        raise DomainError("文件已丢失，请重新生成", status=410, code="gone")
    resp = vault.send(f, user=current_user, roles=g.get("roles", ()), inline=inline, public_cache=public,
                      grant=grant or ("public.notice" if public else None))
    resp.headers["Content-Disposition"] = content_disposition(doc.filename, "inline" if inline else "attachment")
    return resp


class DocumentIn(Body):
    kind: text(GeneratedDocument.kind, min_len=1)
    format: DocumentFormat | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    filename: text(GeneratedDocument.filename) | None = None


class DocumentOut(Out):
    id: int
    kind: str
    format: str
    filename: str
    status: str
    status_label: str
    progress: int | float | None
    message: str | None
    error: str | None
    size: int | None
    created_at: str
    download_url: str | None


class DocumentList(Out):
    items: list[DocumentOut]


@api_bp.get("")
@operation(responses={200: DocumentList})
def api_list():
    docs = db.session.scalars(_visible().limit(100)).all()
    return jsonify({"items": [status_json(d) for d in docs]})


@api_bp.post("")
@operation(body=DocumentIn, responses={202: DocumentOut})
def api_create(body: DocumentIn):
    doc = _request_from(body.model_dump(exclude_none=True) | {"format": body.format.value if body.format else None})
    return jsonify(status_json(doc)), 202


@api_bp.get("/<int:doc_id>")
@operation(responses={200: DocumentOut})
def api_status(doc_id: int):
    return jsonify(status_json(_get(doc_id)))


@api_bp.get("/<int:doc_id>/download")
@operation(responses={200: "binary"}, errors=(400, 401, 403, 404, 410, 422))
def api_download(doc_id: int):
    return send_document(_get(doc_id))


# --- templates (A22: the national one by reference, or the tenant's own) ----------------------

def _actor():
    return current_user._get_current_object()


def _kind_or_404(key: str) -> templating.DocumentKind:
    found = templating.KINDS.get(key)
    if found is None:
        abort(404)
    return found


def template_json(eff: templating.EffectiveDocTemplate) -> dict:
    o = eff.override
    return {"kind": eff.kind.key, "label": eff.kind.label, "article": eff.kind.article, "source": eff.source,
            "placeholders": templating.placeholders(eff.kind),
            "filename": o.filename if o else eff.kind.template_filename, "sha256": o.sha256 if o else None,
            "size": o.size if o else None, "reason": o.reason if o else None,
            "updated_at": utc_iso(o.updated_at) if o else None,
            "download_url": url_for("documents.template_download", kind=eff.kind.key)}


def _send_template(kind: templating.DocumentKind, national: bool):
    eff = templating.effective_template(g.tenant.id, kind.key)
    data = templating.national_template(kind.key) if national or not eff.own else eff.content
    name = kind.template_filename if national or not eff.own else eff.override.filename
    resp = send_file(io.BytesIO(data), mimetype=templating.DOCX_TYPE, as_attachment=False, max_age=0)
    resp.headers["Content-Disposition"] = content_disposition(name)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _templates_page(status: int = 200, problem: DomainError | None = None, failed_kind: str | None = None):
    from tenants.operations import missing_contact_settings

    return render_template("documents/templates.html", templates=templating.effective_templates(g.tenant.id),
                           placeholders=templating.placeholders, missing=missing_contact_settings(g.tenant),
                           problem=problem, failed_kind=failed_kind), status


@bp.route("/templates/")
@require_roles(*ROLE_ADMIN)
def templates_page():
    return _templates_page()[0]


@bp.route("/templates/<kind>/download")
@require_roles(*ROLE_ADMIN)
def template_download(kind: str):
    return _send_template(_kind_or_404(kind), request.args.get("source") == "national")


@bp.route("/templates/<kind>", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def template_upload(kind: str):
    dk = _kind_or_404(kind)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise templating.TemplateProblem("请选择要上传的 Word 模板（.docx）", code="missing_file")
        ops.set_template_override(g.tenant, dk.key, upload.read(), upload.filename, request.form.get("reason", ""),
                                  actor=_actor())
    except DomainError as exc:
        db.session.rollback()
        g._no_commit = True
        return _templates_page(422, exc, dk.key)
    flash(gettext("已采用本会的「%(label)s」模板，此后生成的文件按此模板填写", label=dk.label), "success")
    return redirect(url_for("documents.templates_page")), 303


@bp.route("/templates/<kind>/revert", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def template_revert(kind: str):
    dk = _kind_or_404(kind)
    try:
        ops.clear_template_override(g.tenant, dk.key, actor=_actor())
    except DomainError as exc:
        g._no_commit = True
        flash(exc.message, "error")
        return redirect(url_for("documents.templates_page")), 303
    flash(gettext("「%(label)s」已恢复为全国模板", label=dk.label), "success")
    return redirect(url_for("documents.templates_page")), 303


class TemplateOut(Out):
    kind: str
    label: str
    article: str | None
    source: str
    placeholders: dict[str, str]
    filename: str
    sha256: str | None
    size: int | None
    reason: str | None
    updated_at: str | None
    download_url: str


class TemplateList(Out):
    items: list[TemplateOut]


class TemplateUploadForm(Body):
    reason: text(max_len=2000, min_len=1)


class TemplateDownloadQuery(Body):
    source: Literal["national", "effective"] = "effective"


@api_bp.get("/templates")
@require_roles(*ROLE_ADMIN)
@operation(responses={200: TemplateList})
def api_templates():
    return jsonify({"items": [template_json(t) for t in templating.effective_templates(g.tenant.id)]})


@api_bp.get("/templates/<kind>")
@require_roles(*ROLE_ADMIN)
@operation(responses={200: TemplateOut})
def api_template(kind: str):
    return jsonify(template_json(templating.effective_template(g.tenant.id, _kind_or_404(kind).key)))


@api_bp.get("/templates/<kind>/download")
@require_roles(*ROLE_ADMIN)
@operation(query=TemplateDownloadQuery, responses={200: "binary"})
def api_template_download(kind: str, query: TemplateDownloadQuery):
    return _send_template(_kind_or_404(kind), query.source == "national")


@api_bp.post("/templates/<kind>")
@require_roles(*ROLE_ADMIN)
@operation(form=TemplateUploadForm, files=("file",), responses={200: TemplateOut})
def api_template_upload(kind: str, form: TemplateUploadForm):
    dk = _kind_or_404(kind)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise templating.TemplateProblem("请上传 Word 模板（.docx，字段名 file）", code="missing_file")
    ops.set_template_override(g.tenant, dk.key, upload.read(), upload.filename, form.reason, actor=_actor())
    return jsonify(template_json(templating.effective_template(g.tenant.id, dk.key)))


@api_bp.post("/templates/<kind>/revert")
@require_roles(*ROLE_ADMIN)
@operation(responses={200: TemplateOut})
def api_template_revert(kind: str):
    dk = _kind_or_404(kind)
    ops.clear_template_override(g.tenant, dk.key, actor=_actor())
    return jsonify(template_json(templating.effective_template(g.tenant.id, dk.key)))
