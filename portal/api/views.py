from __future__ import annotations

import datetime as dt

from flask import Blueprint, g, jsonify
from flask_login import current_user

from portal.api import schemas as sc
from portal.api.common import api_blueprint
from portal.api.schemas import operation
from portal.core.errors import DomainError
from portal.core.permissions import ROLE_ADMIN, require_roles
from tenants.rules.operations import clear_override, effective_rules, set_override
from tenants.rules.registry import REGISTRY, RuleError

bp = api_blueprint("api", __name__, "/api/v1/<tenant>")
public_bp = Blueprint("api_public", __name__, url_prefix="/api/v1")


@bp.get("/me")
@operation(responses={200: sc.MeOut})
def me():
    return jsonify({"user": {"id": current_user.id, "email": current_user.email, "name": current_user.name},
                    "tenant": {"slug": g.tenant.slug, "name": g.tenant.name},
                    "roles": sorted(r.value for r in g.roles)})


@bp.get("/rules")
@operation(responses={200: sc.RulesOut})
def rules():
    eff = effective_rules(g.tenant)
    return jsonify({"tenant": g.tenant.slug, "version": eff.version.code,
                    "rules": [r.as_json() for r in eff]})


def _known_rule(key: str) -> None:
    if key not in REGISTRY:
        raise DomainError(f"未知的规则「{key}」", status=404, code="not_found")


@bp.put("/rules/<key>")
@require_roles(*ROLE_ADMIN)
@operation(body=sc.RuleIn, responses={200: sc.RuleOut})
def put_rule(key: str, body: sc.RuleIn):
    _known_rule(key)
    try:
        set_override(g.tenant, key, body.value, body.reason, current_user._get_current_object())
    except RuleError as exc:
        # 422 with the field's error: a value the type or the measures refuse (A22: only stricter)
        raise DomainError(exc.message, status=422, code="invalid_rule", field=key,
                          details={exc.field: exc.message}) from None
    return jsonify(effective_rules(g.tenant).get(key).as_json())


@bp.delete("/rules/<key>")
@require_roles(*ROLE_ADMIN)
@operation(responses={200: sc.RuleOut})
def delete_rule(key: str):
    _known_rule(key)
    try:
        clear_override(g.tenant, key, current_user._get_current_object())
    except RuleError as exc:
        raise DomainError(exc.message, code="invalid_rule", field=key) from None
    return jsonify(effective_rules(g.tenant).get(key).as_json())


@public_bp.get("/workdays/add/<start>/<int(signed=True):n>")
@operation(responses={200: sc.WorkdaysAddOut}, errors=(400, 404, 422))
def workdays_add(start: str, n: int):
    from portal.core.calendar import calendar

    day = _parse_day(start)
    if abs(n) > MAX_WORKDAYS:
        raise DomainError(f"工作日天数应在 ±{MAX_WORKDAYS} 以内", status=422, code="invalid_fields",
                          details={"n": f"应在 -{MAX_WORKDAYS} 到 {MAX_WORKDAYS} 之间"})
    end = calendar().add_workdays(day, n)
    return jsonify({"start": day.isoformat(), "workdays": n, "end": end.isoformat(),
                    "convention": "N working days after start; start excluded"})


@public_bp.get("/workdays/period-end/<first>/<int:n>")
@operation(responses={200: sc.WorkdaysPeriodOut}, errors=(400, 404, 422))
def workdays_period_end(first: str, n: int):
    """Last day of a period of N working days that begins on ``first`` (the first day counts)."""
    from portal.core.calendar import calendar

    day = _parse_day(first)
    if not 1 <= n <= 1000:
        raise DomainError("工作日天数应在 1 到 1000 之间", status=422, code="invalid_fields",
                          details={"n": "应在 1 到 1000 之间"})
    return jsonify({"first": day.isoformat(), "workdays": n, "end": calendar().period_end(day, n).isoformat(),
                    "convention": "a period of N working days; its first day counts"})


@public_bp.get("/workdays/is-workday/<day>")
@operation(responses={200: sc.IsWorkdayOut}, errors=(400, 404, 422))
def workdays_is(day: str):
    from portal.core.calendar import calendar

    d = _parse_day(day)
    cal = calendar()
    return jsonify({"date": d.isoformat(), "is_workday": cal.is_workday(d), "holiday": cal.holiday_name(d)})


@public_bp.get("/workdays/between/<start>/<end>")
@operation(responses={200: sc.WorkdaysBetweenOut}, errors=(400, 404, 422))
def workdays_between(start: str, end: str):
    from portal.core.calendar import calendar

    s, e = _parse_day(start), _parse_day(end)
    return jsonify({"start": s.isoformat(), "end": e.isoformat(),
                    "workdays": calendar().workdays_between(s, e),
                    "convention": "working days in (start, end]"})


MAX_WORKDAYS = 10000  # some 40 years: past it no official calendar exists


def _parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"日期格式应为 YYYY-MM-DD，收到「{value}」", code="bad_date") from None


@public_bp.get("/openapi.json")
@operation(responses={200: None}, errors=())
def openapi():
    """This document (OpenAPI 3.1), generated from the routes and their declared schemas."""
    from portal.api.openapi import build_spec

    return jsonify(build_spec())
