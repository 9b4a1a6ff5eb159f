"""Onboarding tenants (the platform console and `flask tenants create`)."""
from __future__ import annotations

import re

import sqlalchemy as sa

from portal.core import audit
from portal.core.db import tenant_context
from portal.core.errors import DomainError
from portal.extensions import db
from tenants.models import Membership, Role, Tenant, TenantKind
from tenants.rules.models import RulesetVersion

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}$")
RESERVED = {"api", "admin", "platform", "login", "logout", "static", "account", "invite", "lang",
            "mailbox", "jobs", "healthz", "workdays", "openapi.json", "public"}


def national_tenant() -> Tenant:
    t = db.session.scalar(sa.select(Tenant).where(Tenant.kind == TenantKind.national))
    if t is None:
        raise DomainError("尚未创建全国学联租户")
    return t


def create_tenant(*, slug: str, name: str, short_name: str, kind: TenantKind = TenantKind.provincial,
                  province_code: str | None = None, version_code: str | None = None,
                  actor=None) -> Tenant:
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or slug in RESERVED:
        raise DomainError("标识只能由小写字母、数字和连字符组成（2–31位），且不能使用保留字", field="slug")
    if db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug)):
        raise DomainError(f"标识「{slug}」已被使用", status=409, field="slug")
    if not (name or "").strip() or not (short_name or "").strip():
        raise DomainError("请填写学联全称和简称", field="name")
    parent_id = None
    if kind == TenantKind.provincial:
        parent_id = national_tenant().id
        provinces = sa.table("provinces", sa.column("code"))  # reference data, read by name (tenants imports no feature)
        if not province_code or db.session.scalar(
                sa.select(provinces.c.code).where(provinces.c.code == province_code)) is None:
            raise DomainError("请选择省份", field="province_code")
    version_id = None
    if version_code:
        version = db.session.scalar(sa.select(RulesetVersion).where(RulesetVersion.code == version_code))
        if version is None:
            raise DomainError(f"没有规则版本 {version_code}", field="version")
        version_id = version.id
    tenant = Tenant(slug=slug, name=name.strip(), short_name=short_name.strip(), kind=kind,
                    province_code=province_code, parent_id=parent_id, adopted_version_id=version_id)
    db.session.add(tenant)
    db.session.flush()
    with tenant_context(tenant.id, db.session):
        audit.record("tenant.created", "tenant", tenant.id, actor=actor, article="A22",
                     after={"slug": slug, "name": tenant.name, "version": version_code or "current",
                            "province": province_code})
    return tenant


def grant_role(tenant: Tenant, user, role: Role, *, actor=None, school_id: int | None = None,
               province_code: str | None = None) -> Membership:
    with tenant_context(tenant.id, db.session):
        if role == Role.school_liaison and not school_id:
            raise DomainError("学校联络员须绑定一所学校")
        if role == Role.provincial_reviewer and not province_code:
            raise DomainError("省级学联审查人须指定省份")
        existing = db.session.scalar(sa.select(Membership).where(
            Membership.user_id == user.id, Membership.role == role))
        if existing:
            existing.active = True
            existing.school_id, existing.province_code = school_id, province_code
            m = existing
        else:
            m = Membership(tenant_id=tenant.id, user_id=user.id, role=role, school_id=school_id,
                           province_code=province_code)
            db.session.add(m)
        db.session.flush()
        audit.record("membership.granted", "membership", m.id, actor=actor,
                     after={"user": user.email, "role": role.value, "school_id": school_id,
                            "province": province_code})
    return m


# --- the secretariat's contact (printed on letters and on the 公示) --------------------------

CONTACT_FIELDS = {
    "contact_person": "联系人",
    "contact_phone": "联系电话",
    "contact_email": "电子邮箱",
    "contact_address": "通信地址",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+\-()（）\s转,，、]{5,40}$")


def clean_contact_settings(values: dict) -> tuple[dict, dict]:
    """(clean values, {field: message}); an empty field is None (left out of documents)."""
    from portal.core.lengths import max_length

    clean, errors = {}, {}
    for name, label in CONTACT_FIELDS.items():
        v = " ".join(str(values.get(name) or "").split()) or None
        limit = max_length(getattr(Tenant, name))
        if v and limit and len(v) > limit:
            errors[name] = f"{label}最多 {limit} 个字"
        elif v and name == "contact_email" and not _EMAIL.match(v):
            errors[name] = "电子邮箱格式不正确（例如 office@example.cn）"
        elif v and name == "contact_phone" and not _PHONE.match(v):
            errors[name] = "联系电话只能含数字、空格、+、-、括号（例如 010-12345678）"
        clean[name] = v
    return clean, errors


def update_contact_settings(tenant: Tenant, values: dict, *, actor) -> Tenant:
    """Set the secretariat's contact; refused as a whole (nothing written) on any bad field."""
    clean, errors = clean_contact_settings(values)
    if errors:
        raise DomainError("；".join(errors.values()), status=422, code="invalid", details=errors)
    before = {k: getattr(tenant, k) for k in CONTACT_FIELDS}
    if before == clean:
        return tenant
    for k, v in clean.items():
        setattr(tenant, k, v)
    db.session.flush()
    audit.record("tenant.contact_updated", "tenant", tenant.id, actor=actor, before=before, after=clean,
                 tenant_id=tenant.id)
    return tenant


def missing_contact_settings(tenant: Tenant) -> list[str]:
    """The labels of the contact fields not filled in (their lines are left out of documents)."""
    return [label for name, label in CONTACT_FIELDS.items() if not getattr(tenant, name)]
