"""Shared set-up: a self-contained database (BENCH_DATABASE_URL or a fresh SQLite file)."""
from __future__ import annotations

import os
import tempfile


def bench_app(**overrides):
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db, ensure_migrate

    url = os.environ.get("BENCH_DATABASE_URL")
    tmp = tempfile.mkdtemp(prefix="portal-bench-")
    if not url:
        url = f"sqlite:///{tmp}/bench.db"
    app = create_app(SQLALCHEMY_DATABASE_URI=url, DATABASE_OWNER_URL=os.environ.get("BENCH_DATABASE_OWNER_URL") or url,
                     SECRET_KEY="bench", UPLOAD_FOLDER=os.path.join(tmp, "uploads"), **overrides)
    with app.app_context():
        upgrade(directory=str(ensure_migrate(app).directory))
        from portal.reference.operations import ensure_provinces
        from tenants.rules.operations import load_national_file

        ensure_provinces()
        load_national_file()
        db.session.commit()
        db.session.remove()
    app.bench_tmp = tmp
    return app


def new_tenant():
    import uuid

    from portal.extensions import db
    from tenants.models import Tenant, TenantKind

    tag = uuid.uuid4().hex[:8]
    nat = Tenant(slug=f"bn{tag}", name="全国学联（基准）", short_name="全国学联", kind=TenantKind.national)
    db.session.add(nat)
    db.session.flush()
    t = Tenant(slug=f"b{tag}", name="省学联（基准）", short_name="省学联", kind=TenantKind.provincial,
               parent_id=nat.id, province_code="44")
    db.session.add(t)
    db.session.commit()
    return t


def floor_table(app, ddl: str, name: str) -> None:
    """A floor's scratch table, created as the owner (the app role may not create tables in
    PostgreSQL's public schema) and granted to the app role, which the floor runs as: an
    ordinary logged table, like the app's."""
    import sqlalchemy as sa

    owner = app.config.get("DATABASE_OWNER_URL") or app.config["SQLALCHEMY_DATABASE_URI"]
    engine = sa.create_engine(owner)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(ddl))
            if engine.dialect.name == "postgresql":
                role = app.config.get("DATABASE_APP_ROLE") or "portal_app"
                conn.execute(sa.text(f'GRANT ALL ON TABLE {name} TO "{role}"'))
    finally:
        engine.dispose()
