"""Rules by reference (A22, A23): effective rules = national version + local overrides."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from portal.core import audit
from portal.extensions import db
from tenants.models import Tenant
from tenants.rules.models import RuleOverride, RulesetVersion, RuleValue
from tenants.rules.registry import REGISTRY, RuleDef, RuleError

NATIONAL_2024 = Path(__file__).with_name("national_2024.json")


@dataclass(frozen=True)
class EffectiveRule:
    rule: RuleDef
    national_value: Any
    value: Any
    source: str            # national | override
    reason: str | None
    version_code: str
    # A stored override the measures no longer allow (it predates the bound): not applied.
    refused: str | None = None

    @property
    def overridden(self) -> bool:
        return self.source == "override"

    def as_json(self) -> dict:
        return {
            "key": self.rule.key,
            "article": self.rule.article,
            "citation": self.rule.citation,
            "label": self.rule.label,
            "label_en": self.rule.label_en,
            "type": self.rule.type,
            "unit": self.rule.unit,
            "national_value": self.national_value,
            "value": self.value,
            "source": self.source,
            "reason": self.reason,
            "version": self.version_code,
            "measures": _measures_json(self.rule),
            "refused_override": self.refused,
        }


def _measures_json(rule: RuleDef) -> dict | None:
    b = rule.measures
    if b is None:
        return None
    value = list(b.value) if isinstance(b.value, tuple) else b.value
    return {"kind": b.kind, "value": value, "upper": b.upper, "wording": b.wording, "binding": b.binding,
            "text": rule.measures_text}


class EffectiveRules:
    """Read-only view of one tenant's rules, cached per request by the caller."""

    def __init__(self, rules: dict[str, EffectiveRule], version: RulesetVersion):
        self._rules = rules
        self.version = version

    def __getitem__(self, key: str) -> Any:
        REGISTRY[key]  # unknown keys raise RuleError
        return self._rules[key].value

    def get(self, key: str) -> EffectiveRule:
        REGISTRY[key]
        return self._rules[key]

    def __iter__(self):
        return iter(self._rules.values())

    def snapshot(self) -> dict[str, Any]:
        return {k: r.value for k, r in self._rules.items()}


def current_national_version() -> RulesetVersion:
    version = db.session.scalar(sa.select(RulesetVersion).where(RulesetVersion.is_current.is_(True)))
    if version is None:
        raise RuleError("尚未发布全国规则版本，请平台运营方先载入全国规则")
    return version


def version_for(tenant: Tenant) -> RulesetVersion:
    if tenant.adopted_version_id:
        return db.session.get(RulesetVersion, tenant.adopted_version_id)
    return current_national_version()


@dataclass(frozen=True)
class VersionInfo:
    """A ruleset version's own columns, detached from any session (held by the process cache)."""

    id: int
    code: str
    title: str
    adopted_on: dt.date | None
    is_current: bool
    notes: str | None

    @classmethod
    def of(cls, v: RulesetVersion) -> "VersionInfo":
        return cls(v.id, v.code, v.title, v.adopted_on, v.is_current, v.notes)


def _stamp(tenant: Tenant) -> tuple:
    """One cheap statement saying which effective rules are in force: the version's id and the
    tenant's overrides' count, newest id and newest change. Any other process's publish, adoption,
    override or clearance changes it."""
    if tenant.adopted_version_id:
        version_id = sa.literal(tenant.adopted_version_id)
    else:
        version_id = (sa.select(RulesetVersion.id).where(RulesetVersion.is_current.is_(True))
                      .limit(1).scalar_subquery())
    ov = sa.select(sa.func.count(RuleOverride.id).label("n"), sa.func.max(RuleOverride.id).label("top"),
                   sa.func.max(RuleOverride.updated_at).label("changed")) \
        .where(RuleOverride.tenant_id == tenant.id).subquery()
    row = db.session.execute(sa.select(version_id.label("v"), ov.c.n, ov.c.top, ov.c.changed)).one()
    return tuple(row)


def effective_rules(tenant: Tenant, version: RulesetVersion | None = None) -> EffectiveRules:
    """The tenant's effective rules. Without an explicit ``version``: once per request (``g``),
    and per process by :func:`_stamp` (issue 10 item 4); a write to a version, a value or an
    override in this process clears the process cache at once (``portal.core.proc_cache``)."""
    if version is not None:
        return _build(tenant, version)
    from flask import g, has_app_context

    if not has_app_context():
        return _build(tenant, version_for(tenant))
    from portal.core import proc_cache

    per_request = g.setdefault("_proc_rules", {})
    rkey = (tenant.id, tenant.adopted_version_id)
    if rkey in per_request:
        return per_request[rkey]
    stamp = _stamp(tenant)
    key = (tenant.id, tenant.is_national, tenant.adopted_version_id, *stamp)
    rules = proc_cache.get("rules", key)
    if rules is None:
        rules = _build(tenant, version_for(tenant))
        rules = EffectiveRules(rules._rules, VersionInfo.of(rules.version))
        if (stamp[0] == rules.version.id and not _rules_pending()):
            proc_cache.put("rules", key, rules)
    per_request[rkey] = rules
    return rules


def _rules_pending() -> bool:
    """Unflushed changes to rules in this session: what we built may not be what the stamp says."""
    return any(isinstance(o, (RuleOverride, RulesetVersion, RuleValue))
               for o in (*db.session.new, *db.session.dirty, *db.session.deleted))


def forget_request_rules() -> None:
    from flask import g, has_app_context

    if has_app_context():
        g.pop("_proc_rules", None)


def _build(tenant: Tenant, version: RulesetVersion) -> EffectiveRules:
    national = {**REGISTRY.defaults(), **version.as_dict()}
    overrides = {}
    if not tenant.is_national:
        overrides = {
            o.key: o
            for o in db.session.scalars(
                sa.select(RuleOverride).where(RuleOverride.tenant_id == tenant.id)
            )
        }
    result = {}
    for rule in REGISTRY:
        o = overrides.get(rule.key)
        refused = None
        if o is not None:
            try:
                rule.validate(o.value)
            except RuleError as exc:  # stored before the measures' bound was carried: not applied
                refused, o = exc.message, None
        result[rule.key] = EffectiveRule(
            rule=rule,
            national_value=national[rule.key],
            value=_overridden(rule, national[rule.key], o.value) if o else national[rule.key],
            source="override" if o else "national",
            reason=o.reason if o else None,
            version_code=version.code,
            refused=refused,
        )
    return EffectiveRules(result, version)


def _overridden(rule: RuleDef, national: Any, local: Any) -> Any:
    # An obligation override names only what the province changes; the rest follows the nation.
    if rule.type == "obligation" and isinstance(national, dict) and isinstance(local, dict):
        return {**national, **local}
    return local


def set_override(tenant: Tenant, key: str, raw_value: Any, reason: str, actor) -> RuleOverride:
    """A provincial tenant overrides one rule; the reason is required (A22)."""
    if tenant.is_national:
        raise RuleError("全国学联的规则通过发布新版本修改，不能单独覆盖")
    rule = REGISTRY[key]
    if not rule.overridable:
        raise RuleError(f"「{rule.label}」不允许地方学联修改", key)
    reason = (reason or "").strip()
    if not reason:
        raise RuleError(f"覆盖「{rule.label}」须填写理由", key, field="reason")
    value = rule.validate(raw_value)
    existing = db.session.scalar(
        sa.select(RuleOverride).where(RuleOverride.tenant_id == tenant.id, RuleOverride.key == key)
    )
    before = {"value": existing.value, "reason": existing.reason} if existing else None
    if existing is None:
        existing = RuleOverride(tenant_id=tenant.id, key=key, value=value, reason=reason,
                                created_by_id=getattr(actor, "id", None))
        db.session.add(existing)
    else:
        existing.value, existing.reason = value, reason
    db.session.flush()
    forget_request_rules()
    audit.record("rule.override", "rule", key, actor=actor, before=before,
                 after={"value": value, "reason": reason}, article=rule.article)
    return existing


def clear_override(tenant: Tenant, key: str, actor) -> None:
    rule = REGISTRY[key]
    existing = db.session.scalar(
        sa.select(RuleOverride).where(RuleOverride.tenant_id == tenant.id, RuleOverride.key == key)
    )
    if existing is None:
        raise RuleError(f"「{rule.label}」没有本地覆盖", key)
    before = {"value": existing.value, "reason": existing.reason}
    db.session.delete(existing)
    db.session.flush()
    forget_request_rules()
    audit.record("rule.override_cleared", "rule", key, actor=actor, before=before, after=None,
                 article=rule.article)


def publish_version(code: str, title: str, values: dict[str, Any], *, adopted_on: dt.date | None = None,
                    notes: str | None = None, make_current: bool = True) -> RulesetVersion:
    """Publish a national ruleset version (platform level: global data)."""
    if db.session.scalar(sa.select(RulesetVersion).where(RulesetVersion.code == code)):
        raise RuleError(f"规则版本 {code} 已存在")
    unknown = set(values) - set(REGISTRY.rules)
    if unknown:
        raise RuleError(f"未知的规则：{'、'.join(sorted(unknown))}")
    cleaned = {k: REGISTRY[k].validate(v) for k, v in values.items()}
    missing = set(REGISTRY.rules) - set(cleaned)
    base = current_version_values() if missing else {}
    version = RulesetVersion(code=code, title=title, adopted_on=adopted_on, notes=notes,
                             is_current=False)
    for key in REGISTRY.rules:
        version.values.append(RuleValue(key=key, value=cleaned.get(key, base.get(key, REGISTRY[key].default))))
    db.session.add(version)
    if make_current:
        db.session.execute(sa.update(RulesetVersion).values(is_current=False))
        version.is_current = True
    db.session.flush()
    forget_request_rules()
    return version


def current_version_values() -> dict[str, Any]:
    v = db.session.scalar(sa.select(RulesetVersion).where(RulesetVersion.is_current.is_(True)))
    return v.as_dict() if v else REGISTRY.defaults()


def load_national_file(path: Path = NATIONAL_2024) -> RulesetVersion:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    existing = db.session.scalar(sa.select(RulesetVersion).where(RulesetVersion.code == data["code"]))
    if existing:
        return existing
    return publish_version(
        data["code"], data["title"], data["values"],
        adopted_on=dt.date.fromisoformat(data["adopted_on"]) if data.get("adopted_on") else None,
        notes=data.get("notes"),
    )


def _watch() -> None:
    from portal.core import proc_cache

    for model in (RuleOverride, RulesetVersion, RuleValue):
        proc_cache.watch(model, "rules")


_watch()
