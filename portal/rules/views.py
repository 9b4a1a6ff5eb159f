from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from portal.core.permissions import ROLE_ADMIN, require_roles
from tenants.rules.operations import clear_override, effective_rules, set_override
from tenants.rules.registry import RuleError

bp = Blueprint("rules", __name__, url_prefix="/<tenant>/rules", template_folder="templates")


def _blocks() -> list[tuple[str, dict]]:
    """Features' own adopted-by-reference tables shown under the rules (e.g. A15 rates):
    ``app.extensions["portal_rules_blocks"]`` holds (template, "module:function") pairs, the
    function giving the template's context for the current tenant."""
    from importlib import import_module

    from flask import current_app

    out = []
    for template, spec in current_app.extensions.get("portal_rules_blocks", []):
        module, _, name = spec.partition(":")
        out.append((template, getattr(import_module(module), name)(g.tenant)))
    return out


_CSRF_MARK = "\x00csrf-token\x00"


def _table(rules) -> Markup:
    """The rules' table, rendered once per effective rules (a new object whenever the version, a
    value or an override changes: ``effective_rules``' process cache is keyed by them), language,
    viewer kind and tenant address, and kept on that object; only the CSRF token of the
    override forms is put in per request. Labels, citations, choices and bounds of every rule
    are thus worked out once, not per request (issue 10 item 4)."""
    from flask_babel import get_locale
    from flask_wtf.csrf import generate_csrf

    from portal.core.roles import Role

    is_admin = Role.secretariat_admin in g.get("roles", ())
    key = (str(get_locale() or ""), is_admin, g.tenant.slug, g.tenant.is_national)
    kept = rules.__dict__.setdefault("_rendered", {})
    html = kept.get(key)
    if html is None:
        html = render_template("rules/_table.html", rules=list(rules), csrf_token=lambda: _CSRF_MARK)
        kept[key] = html
    return Markup(html.replace(_CSRF_MARK, generate_csrf()) if _CSRF_MARK in html else html)


@bp.route("/")
def compare():
    rules = effective_rules(g.tenant)
    return render_template("rules/compare.html", version=rules.version, table_html=_table(rules), blocks=_blocks())


@bp.route("/<key>/override", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def override(key: str):
    try:
        if request.form.get("action") == "clear":
            clear_override(g.tenant, key, current_user._get_current_object())
            flash("已恢复为全国规则", "success")
        else:
            set_override(g.tenant, key, request.form.get("value", ""), request.form.get("reason", ""),
                         current_user._get_current_object())
            flash("本地规则已保存", "success")
    except RuleError as exc:
        g._no_commit = True
        flash(exc.message, "error")
        rules = effective_rules(g.tenant)
        # what was typed comes back, beside the refusal
        typed = {"key": key, "value": request.form.get("value", "")[:500], "reason": request.form.get("reason", "")[:500]}
        return render_template("rules/compare.html", rules=list(rules), version=rules.version,
                               error_key=key, typed=typed, blocks=_blocks()), 400
    return redirect(url_for("rules.compare"))
