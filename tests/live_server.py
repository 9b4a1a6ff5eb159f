"""A real server for the browser tests: the app (``create_app``) on a werkzeug thread over its own
committed database, SQLite in a temporary file, or, when TEST_DATABASE_URL is PostgreSQL, a
database of its own migrated by the owner and used through the RLS-bound app role. Debian's
Chromium (``CHROMIUM``), driven by Playwright, walks it; nothing is downloaded."""
from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from dataclasses import dataclass
from typing import Any, Callable

import pytest
import sqlalchemy as sa

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def database_urls(tmpdir: str):
    """(owner URL, app URL, drop callback) for the browser's own committed database."""
    url = os.environ.get("TEST_DATABASE_URL") or ""
    if not url.startswith("postgresql"):
        path = f"sqlite:///{tmpdir}/browser.db"
        return path, path, lambda: None
    owner = sa.engine.make_url(url).set(database=f"portal_browser_{os.getpid()}")
    app_url = owner.set(username=os.environ.get("TEST_DATABASE_APP_ROLE", "portal_app"), password=None)

    def admin(*statements):
        engine = sa.create_engine(owner.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as c:
            c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": owner.database})
            for s in statements:
                c.execute(sa.text(s.format(db=owner.database)))
        engine.dispose()

    admin('DROP DATABASE IF EXISTS "{db}"', 'CREATE DATABASE "{db}"')
    return (owner.render_as_string(hide_password=False), app_url.render_as_string(hide_password=False),
            lambda: admin('DROP DATABASE IF EXISTS "{db}"'))


@dataclass
class Live:
    app: Any
    base: str      # http://127.0.0.1:<port>
    info: Any      # what the seed returned
    tmpdir: str


@contextlib.contextmanager
def serve(prefix: str, seed: Callable[[Any], Any] | None = None, **config):
    """Migrate a fresh database, run ``seed(app)`` inside an app context (after the server's
    address is known: ``PUBLIC_BASE_URL`` points at it), serve, and tear everything down after.
    ``config`` goes to ``create_app`` (FIXED_TODAY, WTF_CSRF_ENABLED, ...)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; `make system-deps`)")
    from flask_migrate import upgrade
    from werkzeug.serving import WSGIRequestHandler, make_server

    from portal import create_app
    from portal.extensions import db, ensure_migrate

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):  # failures show the test's own steps, not every GET
            pass

    tmpdir = tempfile.mkdtemp(prefix=f"portal-{prefix}-")
    owner_url, app_url, drop = database_urls(tmpdir)
    settings = {"REDIS_URL": None, "SECRET_KEY": f"{prefix}-secret", "JOBS_EAGER": True, "SERVER_NAME": None,
                "UPLOAD_FOLDER": os.path.join(tmpdir, "uploads"), **config}
    app = create_app(SQLALCHEMY_DATABASE_URI=app_url, DATABASE_OWNER_URL=owner_url, **settings)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base
    thread = None
    try:
        with app.app_context():
            upgrade(directory=str(ensure_migrate(app).directory))
            info = seed(app) if seed is not None else None
            db.session.remove()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield Live(app, base, info, tmpdir)
    finally:
        if thread is not None:
            server.shutdown()
            thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()
        drop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
