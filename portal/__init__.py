"""The app factory: thin; each module's init_app(app)."""
from __future__ import annotations

from flask import Flask

from portal.config import Config


def create_app(config: Config | None = None, **overrides) -> Flask:
    config = config or Config(**overrides)
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(config.as_dict())
    app.config["IS_POSTGRES"] = config.is_postgres

    from portal import extensions as ext

    ext.db.init_app(app)
    ext.migrate.init_app(app, ext.db, directory=str(config_dir()))
    ext.csrf.init_app(app)
    ext.mail.init_app(app)

    from portal.core import errors, i18n, security, transactions
    from tenants import context

    # Import every model so metadata (and Alembic) see them.
    import portal.models  # noqa: F401

    i18n.init_app(app)
    context.init_app(app)
    transactions.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    from portal import admin, api, audit, auth, cli, dashboard, platform, reference, rules

    auth.init_app(app)
    dashboard.init_app(app)
    rules.init_app(app)
    reference.init_app(app)
    audit.init_app(app)
    platform.init_app(app)
    api.init_app(app)
    admin.init_app(app)
    cli.init_app(app)

    from portal.core.templating import init_app as init_templating

    init_templating(app)
    return app


def config_dir():
    from portal.config import BASE_DIR

    return BASE_DIR / "migrations"
