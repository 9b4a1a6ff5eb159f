"""The app factory: thin; each module's init_app(app)."""
from __future__ import annotations

import click
from flask import Flask

from portal.config import Config


def create_app(config: Config | None = None, **overrides) -> Flask:
    config = config or Config(**overrides)
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(config.as_dict())
    app.config["IS_POSTGRES"] = config.is_postgres
    from portal.core import converters

    converters.init_app(app)  # before any blueprint: every <int:...> is bounded
    if app.config.get("PROXY_FIX_X_FOR"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"])

    from portal import extensions as ext

    ext.db.init_app(app)
    app.cli.add_command(_LazyMigrateCommands(name="db", help="Database migrations (Flask-Migrate)."))
    ext.csrf.init_app(app)
    ext.mail.init_app(app)

    from portal.core import errors, i18n, lengths, once, security, transactions  # noqa: F401 (lengths: its flush check)
    from tenants import context

    # Import every model so metadata (and Alembic) see them.
    import portal.models  # noqa: F401

    @app.url_value_preprocessor
    def _fresh_request_state(endpoint, values):
        # Per-request state lives on g; start every request clean even when an app
        # context outlives it (the tests hold one per test).
        from flask import g, request

        from portal.core.db import begin_request_tenant

        for key in list(g.__dict__):
            g.pop(key, None)
        # The tenant is a context variable of the thread, and a sync worker serves the next
        # request on the same thread: every request starts with none (only its URL sets one)
        # and gives back, when it ends, what was there before it.
        request.environ.setdefault("portal.tenant_token", begin_request_tenant())

    @app.teardown_request
    def _end_tenant(exc):
        from flask import request

        from portal.core.db import end_request_tenant

        end_request_tenant(request.environ.pop("portal.tenant_token", None))

    i18n.init_app(app)
    context.init_app(app)
    transactions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    once.init_app(app)

    import importlib

    for name in FEATURES:
        importlib.import_module(name).init_app(app)

    from portal.core.templating import init_app as init_templating

    init_templating(app)
    return app


# Each feature package exposes init_app(app); order matters only for the admin (last).
FEATURES = [
    "portal.auth",
    "portal.dashboard",
    "portal.rules",
    "portal.reference",
    "portal.audit",
    "portal.platform",
    "portal.api",
    "portal.cli",
    # features of later chapters register here
    "portal.jobs",
    "portal.notifications",
    "portal.documents",
    "portal.workdays",
    "portal.selection",
    "portal.public",
    "portal.members",
    "portal.settings",
    "portal.approvals",
    "portal.residency",
    "portal.incentives",
    "portal.supervision",
    "portal.confidentiality",
    "portal.admin",
]


def config_dir():
    from portal.config import BASE_DIR

    return BASE_DIR / "migrations"


class _LazyMigrateCommands(click.Group):
    """``flask db ...``: Flask-Migrate's command group, loaded (with Alembic) when the command line
    names it (:func:`portal.extensions.ensure_migrate`), not by every process the app runs in. Its
    context is the real group's, so the real group parses the options and runs."""

    def make_context(self, info_name, args, parent=None, **extra):
        from flask.cli import ScriptInfo
        from flask_migrate.cli import db as commands

        from portal.extensions import ensure_migrate

        info = parent.ensure_object(ScriptInfo) if parent is not None else ScriptInfo()
        ensure_migrate(info.load_app())
        return commands.make_context(info_name, args, parent=parent, **extra)
