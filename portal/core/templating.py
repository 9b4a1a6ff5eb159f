"""Template helpers shared by every feature."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import g
from flask_babel import gettext
from flask_login import current_user

from portal.core import clock
from portal.core.roles import ROLE_LABELS, STAFF_ROLES, Role

BEIJING = ZoneInfo("Asia/Shanghai")


def init_app(app):
    @app.context_processor
    def _globals():
        roles = g.get("roles", frozenset())
        return {
            "tenant": g.get("tenant"),
            "roles": roles,
            "Role": Role,
            "ROLE_LABELS": ROLE_LABELS,
            "is_staff": bool(roles & set(STAFF_ROLES)),
            "is_admin": Role.secretariat_admin in roles,
            "current_user": current_user,
            "today": clock.today(),
            "nav_items": _nav_items(roles) if g.get("tenant") else [],
            "dashboard_blocks": app.extensions.get("portal_dashboard_blocks", []),
        }

    def _nav_items(roles):
        from flask import request
        from flask_babel import get_locale

        # The entries (address, label) are worked out once per tenant, roles, language and
        # script root and kept for the process; only the badges are counted per request.
        key = (g.tenant.slug, roles, str(get_locale() or ""), request.script_root)
        nav = _nav_cache.get(key)
        if nav is None:
            nav = _nav_entries(roles)
            if len(_nav_cache) > 5000:
                _nav_cache.clear()
            _nav_cache[key] = nav
        return [{**item, "badge": _badge(badge)} for item, badge in nav]

    _nav_cache: dict = {}

    def _nav_entries(roles):
        from flask import url_for

        items = []
        for endpoint, label, allowed, badge in app.extensions.get("portal_nav", []):
            if not allowed or roles & set(allowed):
                # admin-only pages sit in the 管理 menu, the rest in the top bar
                items.append(({"url": url_for(endpoint), "label": gettext(label),
                               "admin_only": set(allowed) == {Role.secretariat_admin}}, badge))
        return items

    def _badge(spec):
        """A count shown beside the entry when work waits there (``"module:function"``)."""
        if not spec:
            return 0
        from portal.core.registries import resolve

        return resolve(spec)() or 0

    def _catalog(text):
        """A string looked up in the catalog as data (no %-formatting: units such as "%")."""
        from flask_babel import get_translations

        return get_translations().ugettext(text) if text else text

    def _job_label(label):
        """A job's stored (Chinese) name in the page's language: 「发送通知（50 条）」, 「生成文件「名单」」."""
        import re

        from flask_babel import gettext

        if not label or not _english():
            return label or ""
        m = re.fullmatch(r"(.+)（(\d+) 条）", label)
        if m:
            return gettext("%(label)s（%(n)s 条）", label=_catalog(m.group(1)), n=m.group(2))
        m = re.fullmatch(r"生成文件「(.+)」", label)
        if m:
            return gettext("生成文件「%(name)s」", name=m.group(1))
        return _catalog(label)

    def _rule_label(rule):
        from flask_babel import get_locale

        if str(get_locale() or "").startswith("en") and rule.label_en:
            return _catalog(rule.label_en)  # an English label may itself be worded better in the catalog
        return rule.label

    def _rule_value(value):
        """A rule value as the rules page shows it: 是/否, lists joined with 、."""
        from flask_babel import gettext

        if value is True:
            return gettext("是")
        if value is False:
            return gettext("否")
        if isinstance(value, (list, tuple)):
            return ("、" if not _english() else ", ").join(str(v) for v in value)
        return "" if value is None else value

    @app.template_filter("dt")
    def _dt(value, fmt="%Y-%m-%d %H:%M"):
        # Stored as naive UTC; shown in Beijing time.
        if value is None:
            return ""
        return value.replace(tzinfo=dt.timezone.utc).astimezone(BEIJING).strftime(fmt)

    def _role_label(role):
        """A role's name in the page's language (秘书处管理员 / Secretariat administrator)."""
        return gettext(ROLE_LABELS[role]) if role in ROLE_LABELS else (role or "")

    def _message(text):
        """A message built in Python (a flash, a refusal, a deadline), in the page's language."""
        from portal.core.i18n import translate_message

        return translate_message(text)

    def _cndate(value):
        """A date as the page's language writes it: 2026年3月2日, or 2 March 2026."""
        return localdate(value)

    # Their output depends on the request's language: registered as context filters, so that
    # Jinja never folds a constant argument (``{{ 'A20'|citation }}``) into the compiled
    # template in whichever language compiled it first.
    app.jinja_env.globals["url_pattern"] = url_pattern
    for name, func in (("catalog", _catalog), ("job_label", _job_label), ("rule_label", _rule_label),
                       ("rule_value", _rule_value), ("cndate", _cndate), ("role_label", _role_label),
                       ("message", _message)):
        app.jinja_env.filters[name] = per_request(func)


_URL_MARK = 1987654321  # an id no route receives (ids are below INT32_MAX, this is a marker only)


def url_pattern(endpoint: str, arg: str, **values):
    """``url_for(endpoint, **{arg: id})`` for many ids at the cost of one: a table of fifty rows
    builds its links by formatting, not by fifty URL-map look-ups. Only for an ``<int:arg>``."""
    from flask import url_for

    head, mark, tail = url_for(endpoint, **{arg: _URL_MARK}, **values).partition(str(_URL_MARK))
    if not mark:  # the id went into the query string or was refused: build each one
        return lambda value: url_for(endpoint, **{arg: value}, **values)
    return lambda value: f"{head}{int(value)}{tail}"


def per_request(func):
    """A template filter whose result depends on the request (its language), never folded at
    compile time (Jinja folds only filters that take no context)."""
    from functools import wraps

    from jinja2 import pass_context

    @pass_context
    @wraps(func)
    def filtered(_context, *args, **kwargs):
        return func(*args, **kwargs)

    return filtered


def _english() -> bool:
    from flask import has_request_context
    from flask_babel import get_locale

    return has_request_context() and str(get_locale() or "").startswith("en")


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def localdate(value) -> str:
    """2026年3月2日 in Chinese; 2 March 2026 on the English pages (the stored date is unchanged)."""
    if value is None:
        return ""
    if not hasattr(value, "year"):
        return str(value)
    if _english():
        return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"


def register_nav(app, endpoint: str, label: str, roles=(), badge: str | None = None):
    """Features add their entry to the top navigation (shown to ``roles``, or to all); ``badge``
    names a function (``"module:function"``) counting the work that waits there."""
    app.extensions.setdefault("portal_nav", []).append((endpoint, label, tuple(roles), badge))


def register_admin_views(app, register: str):
    """Features add their flask-admin views: ``register`` names a function (``"module:function"``)
    taking the Admin, called when the back office is built (portal.admin, initialised last)."""
    app.extensions.setdefault("portal_admin_views", []).append(register)


def register_dashboard_block(app, template: str):
    app.extensions.setdefault("portal_dashboard_blocks", []).append(template)


def register_todo(app, provider: str):
    """Features list the work waiting for the signed-in user on the home page: ``provider``
    names a function (``"module:function"``) taking the request's memberships and returning
    ``portal.core.todo.Todo`` items (each counted within what that user may see)."""
    app.extensions.setdefault("portal_todo", []).append(provider)
