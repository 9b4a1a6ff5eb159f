"""Notification templates: national defaults in a registry, tenant overrides by reference.

Features call ``register_default_template(key, label, subject, body, article)``; a tenant
adopts the national default by reference (nothing stored) or overrides it with a reason,
exactly like rules (tenants/rules/operations.py). Templates render in Jinja's sandbox with
``StrictUndefined``: a syntax error or an undefined variable raises :class:`TemplateProblem`
naming the part (标题/正文) and line, and nothing half-rendered is ever sent.
"""
from __future__ import annotations


import functools
import traceback
from dataclasses import dataclass, field
from typing import Any

import jinja2
import sqlalchemy as sa
from portal.core.sandbox import BoundedSandbox, RenderLimit, check_source, render_bounded
from portal.extensions import db

# Sandboxed and bounded (size, output, time): templates are typed by tenant administrators.
_env = BoundedSandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
_env.filters["cndate"] = lambda d: f"{d.year}年{d.month}月{d.day}日" if hasattr(d, "year") else str(d)


@dataclass(frozen=True)
class TemplateDef:
    key: str
    label: str
    subject: str
    body: str
    article: str | None = None
    sample: dict = field(default_factory=dict)


REGISTRY: dict[str, TemplateDef] = {}


def register_default_template(key: str, label: str, subject: str, body: str, article: str | None = None,
                              sample: dict | None = None) -> TemplateDef:
    d = TemplateDef(key, label, subject, body, article, dict(sample or {}))
    REGISTRY[key] = d
    return d


def template_def(key: str) -> TemplateDef:
    from portal.core.errors import DomainError

    try:
        return REGISTRY[key]
    except KeyError:
        raise DomainError(f"未知的通知模板「{key}」", code="unknown_template") from None


class TemplateProblem(Exception):
    """A template that cannot render; ``str()`` is the Chinese message with the line."""

    def __init__(self, part: str, line: int | None, detail: str):
        self.part, self.line, self.detail = part, line, detail
        where = f"{part}第{line}行" if line else part
        super().__init__(f"模板错误（{where}）：{detail}")

    @property
    def message(self) -> str:
        return str(self)


def _template_line(exc: BaseException) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            line = frame.lineno
    return line


def _explain(exc: BaseException) -> str:
    if isinstance(exc, jinja2.UndefinedError):
        return f"未定义的变量或属性（{exc.message}）"
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"语法错误：{exc.message}"
    if isinstance(exc, RenderLimit):
        return str(exc)
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return f"模板中有不允许的操作：{exc}"
    return f"{type(exc).__name__}: {exc}"


@functools.lru_cache(maxsize=256)
def _compiled(source: str):
    """A template compiled once per process and source text (a batch of 50 letters of one
    template compiles it once, not 100 times); errors are not cached and raise each time."""
    check_source(source)
    return _env.from_string(source)


def render_text(source: str, context: dict, part: str) -> str:
    try:
        tpl = _compiled(source)
    except RenderLimit as exc:
        raise TemplateProblem(part, None, str(exc)) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(part, exc.lineno, _explain(exc)) from None
    try:
        return render_bounded(tpl, context)
    except Exception as exc:  # UndefinedError, SecurityError, TypeError in a filter...
        raise TemplateProblem(part, _template_line(exc), _explain(exc)) from None


@dataclass(frozen=True)
class EffectiveTemplate:
    definition: TemplateDef
    subject: str
    body: str
    source: str              # national | override
    reason: str | None = None
    updated_at: Any = None

    @property
    def overridden(self) -> bool:
        return self.source == "override"


def _overrides(tenant_id: int) -> dict:
    from portal.notifications.models import NotificationTemplateOverride as O

    return {o.key: o for o in db.session.scalars(sa.select(O).where(O.tenant_id == tenant_id))}


def effective_templates(tenant) -> list[EffectiveTemplate]:
    overrides = _overrides(tenant.id)
    out = []
    for key in sorted(REGISTRY):
        out.append(_effective(REGISTRY[key], overrides.get(key)))
    return out


def effective_template(tenant, key: str) -> EffectiveTemplate:
    from portal.notifications.models import NotificationTemplateOverride as O

    d = template_def(key)
    o = db.session.scalar(sa.select(O).where(O.tenant_id == tenant.id, O.key == key))
    return _effective(d, o)


def _effective(d: TemplateDef, o) -> EffectiveTemplate:
    if o is None:
        return EffectiveTemplate(d, d.subject, d.body, "national")
    return EffectiveTemplate(d, o.subject, o.body, "override", o.reason, o.updated_at)


def base_context(tenant) -> dict:
    from flask import current_app

    try:
        from tenants.rules.operations import effective_rules

        federation = effective_rules(tenant)["federation.name"]
    except Exception:
        federation = tenant.short_name
    return {"tenant_name": tenant.name, "tenant_short_name": tenant.short_name,
            "federation_name": federation,
            "site_url": current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/") + f"/{tenant.slug}/"}


class Renderer:
    """Renders many notifications of one tenant: the templates and the base context are
    read once per batch, not once per message."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.base = base_context(tenant)
        self._templates: dict[str, EffectiveTemplate] = {}

    def __call__(self, key: str, context: dict) -> tuple[str, str]:
        eff = self._templates.get(key)
        if eff is None:
            eff = self._templates[key] = effective_template(self.tenant, key)
        return render(self.tenant, key, context, subject=eff.subject, body=eff.body, base=self.base)


def render(tenant, key: str, context: dict, *, subject: str | None = None,
           body: str | None = None, base: dict | None = None) -> tuple[str, str]:
    """(subject, body) of template ``key`` for ``tenant``; raises TemplateProblem."""
    eff = effective_template(tenant, key) if subject is None or body is None else None
    ctx = {**(base if base is not None else base_context(tenant)), **(context or {})}
    s = render_text(subject if subject is not None else eff.subject, ctx, "标题")
    b = render_text(body if body is not None else eff.body, ctx, "正文")
    s = " ".join(s.split())
    if not s:
        raise TemplateProblem("标题", 1, "渲染后的标题为空")
    return s[:300], b.strip() + "\n"
