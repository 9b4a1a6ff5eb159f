"""Chinese (zh_Hans_CN) first, English on request."""
from __future__ import annotations

from flask import request, session
from flask_babel import get_locale, refresh

from portal.extensions import babel


def select_locale():
    lang = request.args.get("lang")
    if lang in ("zh_Hans_CN", "en"):
        session["lang"] = lang
    return session.get("lang", "zh_Hans_CN")


def init_app(app):
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(app.root_path + "/translations"))

    @app.before_request
    def _remember_language():
        # Each request picks its own language: a locale cached on an application context that
        # outlives one request (a test's, a CLI's) is dropped first.
        refresh()
        # The choice in ?lang= sticks even when the page only redirects (a role's home does),
        # where nothing renders and the locale would never be asked for.
        if request.args.get("lang") in ("zh_Hans_CN", "en"):
            session["lang"] = request.args["lang"]

    @app.context_processor
    def _locale():
        loc = get_locale()
        return {"current_locale": str(loc) if loc else "zh_Hans_CN",
                "html_lang": "en" if loc and loc.language == "en" else "zh-CN", **_bound_gettext()}


def _bound_gettext() -> dict:
    """``_()``/``gettext``/``ngettext`` for one render, bound to this request's catalog: the same
    newstyle functions flask-babel installs, without looking the catalog up again on each of a
    page's hundreds of calls (issue 10 item 4). Jinja resolves ``gettext`` from the context first."""
    from flask_babel import get_translations
    from jinja2.ext import _make_new_gettext, _make_new_ngettext

    t = get_translations()
    return {"gettext": _make_new_gettext(t.ugettext), "ngettext": _make_new_ngettext(t.ungettext)}
