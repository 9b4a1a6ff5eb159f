"""Test set-up (warehouse style): the database is created and migrated once per run,
each test runs inside a transaction with the session joined through a savepoint, and
rolled back at the end.

TEST_DATABASE_URL selects the database: SQLite (default) or PostgreSQL, where the
migrations run as the owner and the app connects as the RLS-bound role ``portal_app``.
"""
from __future__ import annotations

from tests.suite_clock import SUITE_TODAY, describe, extra_tables  # first: it may move the wall clock

import contextlib
import os
import tempfile

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from flask.testing import FlaskClient

from portal import create_app
from portal.core.db import activate_tenant, tenant_context
from portal.extensions import db

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_test"


def _worker_redis() -> None:
    """Under pytest-xdist each worker flushes its Redis database after every test: give each its
    own (the URL's database, then the ones below it: gw0 keeps 15, gw1 takes 14, ...)."""
    url, worker = os.environ.get("TEST_REDIS_URL"), os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw") or worker == "gw0":
        return
    base, _, db_index = url.rstrip("/").rpartition("/")
    index = int(db_index) if db_index.isdigit() else 0
    os.environ["TEST_REDIS_URL"] = f"{base}/{(index - int(worker[2:])) % 16}"


_worker_redis()
_tmpdir = tempfile.mkdtemp(prefix="portal-test-")


def _urls():
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_tmpdir}/test.db"
    if url.startswith("postgresql"):
        owner = sa.engine.make_url(url)
        # one database per test run, so concurrent runs on one server never collide
        owner = owner.set(database=f"{owner.database}_{os.getpid()}")
        app_url = owner.set(username=os.environ.get("TEST_DATABASE_APP_ROLE", "portal_app"), password=None)
        return owner.render_as_string(hide_password=False), app_url.render_as_string(hide_password=False)
    return url, url


OWNER_URL, APP_URL = _urls()
IS_PG = OWNER_URL.startswith("postgresql")


def _pg_admin(statements):
    owner = sa.engine.make_url(OWNER_URL)
    admin = sa.create_engine(owner.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"
        ), {"d": owner.database})
        for stmt in statements:
            c.execute(sa.text(stmt.format(db=owner.database)))
    admin.dispose()


def _recreate_pg_database():
    _pg_admin(['DROP DATABASE IF EXISTS "{db}"', 'CREATE DATABASE "{db}"'])


def pytest_report_header(config):
    return describe()


@pytest.fixture(scope="session")
def app():
    if IS_PG:
        _recreate_pg_database()
    redis_url = os.environ.get("TEST_REDIS_URL") or None
    application = create_app(
        SQLALCHEMY_DATABASE_URI=APP_URL,
        DATABASE_OWNER_URL=OWNER_URL,
        REDIS_URL=redis_url,
        TESTING=True,
        WTF_CSRF_ENABLED=False,
        SECRET_KEY="test-secret",
        UPLOAD_FOLDER=os.path.join(_tmpdir, "uploads"),
        SERVER_NAME=None,
        JOBS_EAGER=True,
        FIXED_TODAY=SUITE_TODAY.isoformat(),
    )
    application.test_client_class = CarryTenantClient
    with application.app_context():
        from flask_migrate import upgrade

        from portal.extensions import ensure_migrate

        upgrade(directory=str(ensure_migrate(application).directory))
        from portal.reference.operations import ensure_provinces
        from tenants.rules.operations import load_national_file

        ensure_provinces()
        load_national_file()
        from portal.core.calendar import store_year

        for table in extra_tables():
            store_year(table)
        db.session.commit()
        db.session.remove()
    yield application
    if IS_PG:
        with application.app_context():
            db.engine.dispose()
        _pg_admin(['DROP DATABASE IF EXISTS "{db}"'])


@pytest.fixture(autouse=True)
def _suite_clock(request):
    """Every test ends with the suite's today back in place, whatever it set."""
    yield
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["FIXED_TODAY"] = SUITE_TODAY.isoformat()


@pytest.fixture()
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture()
def session(app_ctx):
    """A connection-level transaction; the app's session joins it through savepoints."""
    connection = db.engine.connect()
    outer = connection.begin()
    db.session.remove()
    db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    activate_tenant(None)
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session.configure(bind=None, join_transaction_mode="conditional_savepoint")
        activate_tenant(None)
        if outer.is_active:
            outer.rollback()
        connection.close()
        # the test's writes were rolled back behind the app's back: its per-process caches
        # (tenants, rules, the holiday tables) may hold them
        from portal.core import proc_cache

        proc_cache.clear()
        _flush_test_redis(app_ctx)


def _flush_test_redis(app):
    if app.config.get("REDIS_URL"):
        from portal.core.redis import get_redis

        get_redis(app.config["REDIS_URL"]).flushdb()


class CarryTenantClient(FlaskClient):
    """A test client that, after each request, leaves the test thread in that request's tenant.

    The app ends every request with no tenant (a worker's next request must not inherit one);
    but a test reading an expired ORM row after a request would then have RLS hide the row. So
    the *test* carries on as the tenant of the URL it last called, the way a person stays on
    that federation's pages. ``FlaskClient`` itself (no carrying) tests the app's own reset.
    """

    def open(self, *args, **kwargs):
        resp = super().open(*args, **kwargs)
        path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "")
        parts = [p for p in str(path).split("?")[0].split("/") if p]
        if parts[:2] == ["api", "v1"]:
            parts = parts[2:]
        slug = parts[0] if parts else None
        from flask import has_app_context

        if has_app_context() and slug and slug not in ("login", "logout", "lang", "platform", "static", "api",
                                                       "join"):
            from tenants.models import Tenant

            tid = db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug))
            if tid is not None:
                activate_tenant(tid, db.session)
        return resp


@pytest.fixture()
def client(app, session):
    yield app.test_client()


@pytest.fixture()
def as_tenant(session):
    """Use as ``with as_tenant(t):`` to act inside one tenant outside a request."""

    @contextlib.contextmanager
    def _ctx(tenant):
        with tenant_context(tenant.id, db.session):
            yield

    return _ctx


def login(client, user, password="correct horse battery"):
    db.session.commit()  # the test's set-up survives a later 4xx request's rollback
    resp = client.post("/login", data={"email": user.email, "password": password})
    assert resp.status_code == 302, resp.data[:500]
    return resp


@pytest.fixture()
def login_as(client):
    def _login(user, password="correct horse battery"):
        return login(client, user, password)

    return _login


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len([s for s in self.statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "SELECT SET_CONFIG", "SELECT PG_ADVISORY"))])


@contextlib.contextmanager
def count_queries(engine=None):
    """Count the SQL statements a block runs (Indico's ``count_queries``)."""
    engine = engine or db.engine
    counter = QueryCounter()

    def before(conn, cursor, statement, parameters, context, executemany):
        counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.fixture()
def query_counter():
    return count_queries


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs TEST_DATABASE_URL=postgresql://...")
    skip_redis = pytest.mark.skip(reason="needs TEST_REDIS_URL")
    for item in items:
        if "postgres" in item.keywords and not IS_PG:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not os.environ.get("TEST_REDIS_URL"):
            item.add_marker(skip_redis)
