"""Official documents from DOCX templates, national by default, a tenant's own by choice.

Each document kind (the A6.1 推荐函, the A6.5 公示 …) is declared once by its feature with
:func:`register_document_kind`: its placeholders (name → meaning), its national template (a
:class:`DocumentSpec` whose text holds the placeholders, rendered to DOCX in the house
layout) and a sample context. A tenant adopts the national template by reference (nothing
stored) or uploads its own (:class:`DocumentTemplateOverride`), like notification templates
(A22: 参照执行); reverting deletes the row.

A document is one context dict rendered through the effective template (docxtpl, Jinja's
sandbox, ``StrictUndefined``, values XML-escaped); its PDF is made from that rendered DOCX read
back part by part (:func:`spec_from_docx`), so the PDF says what the DOCX says, and an edit
to the template shows in both.

An uploaded template is checked before anything is stored: a .docx by name and by content
(a Word document, no macros, no XML entities, within the size limits), Jinja that parses,
only placeholders the kind declares (an unknown one is named), and a trial render with the
sample context (an unknown attribute such as ``n.bogus`` is named too).
"""
from __future__ import annotations

import functools
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable

import jinja2
import sqlalchemy as sa

from portal.core.errors import DomainError
from portal.core.sandbox import BoundedSandbox, RenderLimit, time_limit
from portal.documents.render import DocumentSpec, render_docx, render_pdf, spec_from_docx
from portal.extensions import db

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_TEMPLATE_BYTES = 2 * 1024 * 1024        # a letter's template is tens of kilobytes
MAX_UNCOMPRESSED = 20 * 1024 * 1024
MAX_ENTRIES = 300
RENDER_SECONDS = 2.0


class TemplateProblem(DomainError):
    """A template that cannot be used; ``field`` is the form field, ``names`` the bad placeholders."""

    def __init__(self, message: str, *, names: list[str] | None = None, code: str = "bad_template"):
        super().__init__(message, status=422, code=code, field="file", details={"file": message})
        self.names = list(names or [])


@dataclass(frozen=True)
class DocumentKind:
    key: str
    label: str
    article: str | None
    placeholders: dict[str, str]               # name -> what it holds (shown to the secretariat)
    national: Callable[[], DocumentSpec]       # the national template, placeholders in its text
    sample: dict = field(default_factory=dict)  # a context that fills every placeholder
    filename: str = ""

    @property
    def template_filename(self) -> str:
        return f"{self.filename or self.label}-模板.docx"


KINDS: dict[str, DocumentKind] = {}

# Every kind's context starts from the issuing tenant (base_context): declared once here.
BASE_PLACEHOLDERS = {
    "federation": "学联名称（规则 federation.name）",
    "secretariat": "落款：秘书处名称",
    "contact_person": "联系人（本会设置；未填写时为空）",
    "contact_phone": "联系电话（本会设置；未填写时为空）",
    "contact_email": "电子邮箱（本会设置；未填写时为空）",
    "contact_address": "通信地址（本会设置；未填写时为空）",
}
BASE_SAMPLE = {"federation": "全国学联", "secretariat": "全国学联秘书处", "contact_person": "王老师",
               "contact_phone": "010-12345678", "contact_email": "office@example.cn",
               "contact_address": "北京市东城区前门东大街10号"}


def register_document_kind(kind: DocumentKind) -> DocumentKind:
    KINDS[kind.key] = kind
    national_template.cache_clear()
    return kind


def document_kind(key: str) -> DocumentKind:
    try:
        return KINDS[key]
    except KeyError:
        raise DomainError(f"未知的文件类型「{key}」", status=404, code="unknown_kind") from None


def placeholders(kind: DocumentKind) -> dict[str, str]:
    return {**BASE_PLACEHOLDERS, **kind.placeholders}


def sample_context(kind: DocumentKind) -> dict:
    return {**BASE_SAMPLE, **kind.sample}


@functools.lru_cache(maxsize=None)
def national_template(key: str) -> bytes:
    """The national DOCX template of ``key``, rendered from its declaration (cached)."""
    return render_docx(document_kind(key).national())


# --- the tenant's side ---------------------------------------------------------------------

@dataclass(frozen=True)
class EffectiveDocTemplate:
    kind: DocumentKind
    source: str                      # national | own
    override: Any = None             # the DocumentTemplateOverride, when own

    @property
    def content(self) -> bytes:
        return self.override.content if self.override is not None else national_template(self.kind.key)

    @property
    def own(self) -> bool:
        return self.source == "own"


def _override(tenant_id: int, key: str):
    from portal.documents.models import DocumentTemplateOverride as O

    return db.session.scalar(sa.select(O).where(O.tenant_id == tenant_id, O.kind == key))


def effective_template(tenant_id: int, key: str) -> EffectiveDocTemplate:
    kind = document_kind(key)
    o = _override(tenant_id, key)
    return EffectiveDocTemplate(kind, "own" if o is not None else "national", o)


def effective_templates_of(tenant_id: int, keys) -> list[EffectiveDocTemplate]:
    """:func:`effective_template` of each of ``keys`` in one statement, the overrides' files
    left unread until used (a page that names them does not fetch the DOCX bytes)."""
    from sqlalchemy.orm import defer

    from portal.documents.models import DocumentTemplateOverride as O

    keys = list(keys)
    own = {o.kind: o for o in db.session.scalars(sa.select(O).options(defer(O.content)).where(
        O.tenant_id == tenant_id, O.kind.in_(keys)))}
    return [EffectiveDocTemplate(document_kind(k), "own" if k in own else "national", own.get(k)) for k in keys]


def effective_templates(tenant_id: int) -> list[EffectiveDocTemplate]:
    from portal.documents.models import DocumentTemplateOverride as O

    own = {o.kind: o for o in db.session.scalars(sa.select(O).where(O.tenant_id == tenant_id))}
    return [EffectiveDocTemplate(KINDS[k], "own" if k in own else "national", own.get(k)) for k in sorted(KINDS)]


def base_context(tenant) -> dict:
    """What every document of ``tenant`` may say about its issuer. A contact not filled in on
    the settings page is empty, and the templates leave its line out (never a made-up one)."""
    from tenants.rules.operations import effective_rules

    federation = effective_rules(tenant)["federation.name"]
    return {"federation": federation, "secretariat": f"{federation}秘书处",
            "contact_person": tenant.contact_person or "", "contact_phone": tenant.contact_phone or "",
            "contact_email": tenant.contact_email or "", "contact_address": tenant.contact_address or ""}


# --- rendering -----------------------------------------------------------------------------

def _env() -> jinja2.Environment:
    env = BoundedSandbox(undefined=jinja2.StrictUndefined, autoescape=True)
    env.filters["cndate"] = lambda d: f"{d.year}年{d.month}月{d.day}日" if hasattr(d, "year") else str(d)
    return env


def _docx_template(content: bytes):
    from docxtpl import DocxTemplate

    try:
        return DocxTemplate(io.BytesIO(content))
    except Exception:
        raise TemplateProblem("文件无法作为 Word 文档（.docx）打开，请在 Word 或 WPS 中另存为 .docx 后重新上传",
                              code="bad_type") from None


def _text_near(xml: str, env) -> str:
    """The text of the paragraph where the template's syntax breaks (one paragraph a line)."""
    xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
    try:
        env.parse(xml)
    except jinja2.TemplateSyntaxError as exc:
        lines = xml.splitlines()
        if exc.lineno and 0 < exc.lineno <= len(lines):
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", lines[exc.lineno - 1])).strip()[:80]
    return ""


def _syntax_problem(exc: jinja2.TemplateSyntaxError, near: str = "") -> TemplateProblem:
    if near:  # two messages, so that the English one has no Chinese "位于…附近" inside it
        return TemplateProblem(f"模板语法错误：{exc.message}（位于「{near}」附近）。占位符写作 {{{{ 名称 }}}}，"
                               f"整段条件写作 {{%p if 名称 %}} … {{%p endif %}}", code="template_syntax")
    return TemplateProblem(f"模板语法错误：{exc.message}。占位符写作 {{{{ 名称 }}}}，"
                           f"整段条件写作 {{%p if 名称 %}} … {{%p endif %}}", code="template_syntax")


def _undefined_name(exc: jinja2.UndefinedError) -> str:
    m = re.search(r"'([^']+)' is undefined", exc.message or "") or \
        re.search(r"has no attribute '([^']+)'", exc.message or "")
    return m.group(1) if m else (exc.message or "")


def fill(content: bytes, context: dict) -> bytes:
    """The DOCX template ``content`` rendered with ``context`` (bytes of a .docx)."""
    tpl = _docx_template(content)
    try:
        with time_limit(RENDER_SECONDS):
            tpl.render(context, _env(), autoescape=True)
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_problem(exc) from None
    except jinja2.UndefinedError as exc:
        name = _undefined_name(exc)
        raise TemplateProblem(f"模板中的占位符「{name}」无法填写（该文件类型没有这一项）", names=[name],
                              code="unknown_placeholder") from None
    except RenderLimit as exc:
        raise TemplateProblem(f"模板无法生成：{exc}", code="template_limit") from None
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateProblem(f"模板中有不允许的操作：{exc}", code="template_unsafe") from None
    except (TypeError, ValueError, AttributeError, jinja2.TemplateError) as exc:
        raise TemplateProblem(f"模板无法生成：{type(exc).__name__}: {exc}", code="template_error") from None
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


def render_kind(tenant_id: int, key: str, context: dict, fmt: str, progress=None) -> bytes:
    """Document ``key`` of the tenant from one context: the DOCX through the tenant's
    effective template, and the PDF from that same DOCX."""
    docx = fill(effective_template(tenant_id, key).content, context)
    if fmt == "docx":
        return docx
    if fmt == "pdf":
        return render_pdf(spec_from_docx(docx), progress)
    raise DomainError(f"「{document_kind(key).label}」只能生成 docx、pdf 格式")


@dataclass
class TemplatedDocument:
    """What a builder returns for a templated kind: the kind and its context."""

    kind: str
    context: dict


# --- checking an upload --------------------------------------------------------------------

def check_docx_file(data: bytes, filename: str | None) -> None:
    """A Word .docx by its name and its content, within the limits; else TemplateProblem."""
    if not (filename or "").lower().endswith(".docx"):
        raise TemplateProblem("请上传 Word 文档（.docx）；.doc 请先在 Word 或 WPS 中另存为 .docx", code="bad_type")
    if not data:
        raise TemplateProblem("上传的文件是空的（0 字节），请重新选择文件", code="empty")
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateProblem(f"模板文件过大（{len(data) // 1024} KB），最大 {MAX_TEMPLATE_BYTES // 1024 // 1024} MB",
                              code="too_large")
    if not data.startswith(b"PK\x03\x04"):
        raise TemplateProblem("文件内容不是 Word 文档（.docx），请在 Word 或 WPS 中另存为 .docx 后重新上传",
                              code="bad_type")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES or sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
            raise TemplateProblem("文件解压后过大，不能作为模板", code="too_large")
        names = {i.filename for i in infos}
        if "[Content_Types].xml" not in names or "word/document.xml" not in names:
            raise TemplateProblem("文件内容不是 Word 文档（.docx），请在 Word 或 WPS 中另存为 .docx 后重新上传",
                                  code="bad_type")
        types = zf.read("[Content_Types].xml")
        if b"macroEnabled" in types or any(n.lower().endswith("vbaproject.bin") for n in names):
            raise TemplateProblem("模板不能含宏，请另存为不含宏的 Word 文档（.docx）", code="macro")
        total = 0
        for i in infos:  # really unpacked, in bounded chunks (a forged size field is caught here)
            is_xml = i.filename.endswith((".xml", ".rels"))
            tail = b""
            with zf.open(i) as fh:
                while chunk := fh.read(256 * 1024):
                    total += len(chunk)
                    if total > MAX_UNCOMPRESSED:
                        raise TemplateProblem("文件解压后过大，不能作为模板", code="too_large")
                    if is_xml and (b"<!DOCTYPE" in tail + chunk or b"<!ENTITY" in tail + chunk):
                        raise TemplateProblem("文件中含有不允许的 XML 声明（DOCTYPE/ENTITY）", code="xml_entities")
                    tail = chunk[-16:]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, KeyError, RuntimeError):
        raise TemplateProblem("文件已损坏或不完整，无法作为 Word 文档打开", code="corrupt") from None


def check_template(kind: DocumentKind, data: bytes, filename: str | None) -> None:
    """Everything an uploaded template must pass before it is stored (see the module doc)."""
    check_docx_file(data, filename)
    tpl = _docx_template(data)
    declared = placeholders(kind)
    env = _env()
    try:
        used = tpl.get_undeclared_template_variables(env)
    except jinja2.TemplateSyntaxError as exc:
        from docx import Document

        xml = tpl.patch_xml(tpl.xml_to_string(Document(io.BytesIO(data))._element.body))
        raise _syntax_problem(exc, _text_near(xml, env)) from None
    except Exception:
        raise TemplateProblem("文件无法作为 Word 文档（.docx）打开", code="bad_type") from None
    unknown = sorted(set(used) - set(declared))
    if unknown:
        names = "、".join(f"「{n}」" for n in unknown)
        raise TemplateProblem(f"模板中有未知的占位符{names}；「{kind.label}」可用的占位符："
                              f"{'、'.join(sorted(declared))}", names=unknown, code="unknown_placeholder")
    fill(data, sample_context(kind))  # a trial render: n.bogus, filters, limits


def template_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
