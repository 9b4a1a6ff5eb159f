"""A6.2 under concurrency: two liaisons submitting at once never exceed the school's number."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from portal.core.db import tenant_context, unscoped
from portal.core.errors import Conflict
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Nomination, NominationStatus as S
from portal.selection.workflow import SYSTEM
from tests.selection import helpers as h


def _committed_world(app):
    with app.app_context():
        w = h.world(1)
        h.open_cycle(w)
        inv = h.invite(w, w.schools[0])
        h.submitted(w, inv, 1)
        a = h.draft(w, inv, 2)
        b = h.draft(w, inv, 3)
        ids = (w.tenant.id, w.admin.id, a.id, b.id, inv.id)
        db.session.commit()
        db.session.remove()
    return ids


def _cleanup(app, tenant_id):
    owner = sa.create_engine(app.config.get("DATABASE_OWNER_URL") or app.config["SQLALCHEMY_DATABASE_URI"])
    with owner.begin() as c:
        tables = [t for t in reversed(db.metadata.sorted_tables) if "tenant_id" in t.c]
        if c.dialect.name == "sqlite":
            c.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            c.exec_driver_sql("SET session_replication_role = replica")
        for t in tables:
            c.execute(t.delete().where(t.c.tenant_id == tenant_id))
        c.execute(sa.text("DELETE FROM tenants WHERE id = :t"), {"t": tenant_id})
    owner.dispose()


def test_A6_2_two_concurrent_submissions_never_exceed_limit(app):
    tenant_id, admin_id, a_id, b_id, inv_id = _committed_world(app)
    results: dict[int, str] = {}
    barrier = threading.Barrier(2)

    def run(nom_id):
        with app.app_context():
            from portal.auth.models import User

            with tenant_context(tenant_id, db.session):
                try:
                    barrier.wait(timeout=5)
                    nom = db.session.get(Nomination, nom_id)
                    actor = db.session.get(User, admin_id)
                    ops.submit_nomination(nom, actor=actor, roles=SYSTEM, today=h.IN_WINDOW)
                    db.session.commit()
                    results[nom_id] = "ok"
                except Conflict as exc:
                    db.session.rollback()
                    results[nom_id] = "conflict:" + exc.message
                except sa.exc.OperationalError as exc:  # SQLite busy: the 409 path of errors.py
                    db.session.rollback()
                    results[nom_id] = "conflict:locked " + str(exc)[:80]
                finally:
                    db.session.remove()

    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in (a_id, b_id)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(v.split(":")[0] for v in results.values()) == ["conflict", "ok"], results
        with app.app_context(), tenant_context(tenant_id, db.session):
            counted = db.session.scalar(sa.select(sa.func.count()).select_from(Nomination).where(
                Nomination.invitation_id == inv_id, Nomination.status == S.submitted))
            db.session.remove()
        assert counted == 2
    finally:
        _cleanup(app, tenant_id)
