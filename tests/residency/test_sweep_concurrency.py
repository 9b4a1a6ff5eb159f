"""Issue 12's reminder sweep, set-wise and exactly once: two sweeps of the same day running at
once (two workers, or a worker and ``flask reminders run``) write each reminder once, whichever
wins; the loser's insert meets the tenant's unique dedupe key and writes nothing (A9, A14)."""
from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db
from tests.factories_residency import cohort
from tests.selection.test_concurrency import _cleanup

DAY = dt.date(2025, 9, 24)   # September's dues and organizational life are in their reminder window


def _committed_cohort(app):
    with app.app_context():
        w, chairs = cohort(3)
        ids = (w.tenant.id, [r.chair.user_id for r in chairs])
        db.session.commit()
        db.session.remove()
    return ids


def test_A14_two_concurrent_sweeps_write_each_reminder_once(app, monkeypatch):
    from portal.notifications import operations as nops
    from portal.notifications.models import Notification
    from portal.notifications.reminders import run_reminders

    tenant_id, chair_users = _committed_cohort(app)
    real = nops.notify_many
    barrier = threading.Barrier(2)
    written: dict[str, list[int]] = {}
    errors: list[str] = []

    def racing(tid, items):
        if tid != tenant_id:
            return real(tid, items)
        barrier.wait(timeout=60)   # both sweeps have read the dedupe keys' absence before either writes
        ids = real(tid, items)
        written[threading.current_thread().name] = ids
        return ids

    monkeypatch.setattr(nops, "notify_many", racing)
    # Delivery is not under test: no job reaches the queue (a later test's worker would send it).
    monkeypatch.setattr("portal.jobs.operations.dispatch", lambda app, pending: None)
    # Only this test's tenant is swept: rows committed by earlier tests of the same process (a demo
    # load) must not get reminders this test's cleanup would leave behind for later tests.
    monkeypatch.setattr("portal.jobs.operations.tenant_ids", lambda: [tenant_id])

    def sweep():
        with app.app_context():
            try:
                run_reminders(DAY)
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(repr(exc))
            finally:
                db.session.remove()

    try:
        threads = [threading.Thread(target=sweep, name=n) for n in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        with app.app_context(), tenant_context(tenant_id, db.session):
            rows = db.session.execute(sa.select(Notification.id, Notification.dedupe_key,
                                                Notification.recipient_user_id)
                                      .where(Notification.dedupe_key.like("reminder:%"))).all()
            db.session.remove()
        keys = [k for _i, k, _u in rows]
        assert rows and len(keys) == len(set(keys))                        # each reminder once
        assert {u for _i, _k, u in rows} >= set(chair_users)              # every chair reminded
        both = written["a"] + written["b"]
        assert sorted(both) == sorted(i for i, _k, _u in rows)            # written by exactly one sweep
        assert sorted(map(len, written.values())) == [0, len(rows)]    # the loser's insert wrote nothing
        monkeypatch.setattr(nops, "notify_many", real)
        with app.app_context():
            again = run_reminders(DAY)
            db.session.remove()
        assert again == 0                                                  # a third sweep sends nothing
    finally:
        _cleanup(app, tenant_id)
