"""Shared set-up: a self-contained database (BENCH_DATABASE_URL or a fresh SQLite file)."""
from __future__ import annotations

import os
import tempfile


def bench_app(**overrides):
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    url = os.environ.get("BENCH_DATABASE_URL")
    tmp = tempfile.mkdtemp(prefix="portal-bench-")
    if not url:
        url = f"sqlite:///{tmp}/bench.db"
    app = create_app(SQLALCHEMY_DATABASE_URI=url, DATABASE_OWNER_URL=os.environ.get("BENCH_DATABASE_OWNER_URL") or url,
                     SECRET_KEY="bench", UPLOAD_FOLDER=os.path.join(tmp, "uploads"), **overrides)
    with app.app_context():
        upgrade(directory=str(app.extensions["migrate"].directory))
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
