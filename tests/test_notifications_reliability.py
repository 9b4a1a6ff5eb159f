"""Reliability of the outbox with real RQ workers and a local SMTP sink (A6.1 letters):
a worker SIGKILLed mid fan-out, and Redis down at commit time. Each notification reaches
the sink exactly once.

These tests commit for real (worker subprocesses have their own connections), into a
tenant with a unique slug, and delete that tenant's outbox rows afterwards (audit rows
are append-only on PostgreSQL and stay).
"""
from __future__ import annotations

import asyncio
import collections
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.core.db import tenant_context
from portal.extensions import db
from portal.notifications.models import InboxItem, MailboxMessage, Notification, NotificationStatus

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """aiosmtpd sink counting messages by Message-ID (optionally slow, to widen fan-out)."""

    def __init__(self, delay: float = 0.0):
        from aiosmtpd.controller import Controller

        self.delay = delay
        self.ids: collections.Counter = collections.Counter()
        self.lock = threading.Lock()
        self.port = _free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        msg = email.message_from_bytes(envelope.content)
        with self.lock:
            self.ids[msg["Message-ID"]] += 1
        return "250 OK"

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.ids.values())

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


@pytest.fixture()
def redis_url():
    url = os.environ["TEST_REDIS_URL"]
    import redis

    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()


@pytest.fixture()
def real_app(app, redis_url):
    """A second app that commits for real, dispatching to RQ (not eager)."""
    sink = Sink(delay=0.004)
    sink.__enter__()
    # the session app's URLs (tests/conftest.py may be imported twice under two names)
    app_url, owner_url = app.config["SQLALCHEMY_DATABASE_URI"], app.config["DATABASE_OWNER_URL"]
    application = create_app(
        SQLALCHEMY_DATABASE_URI=app_url, DATABASE_OWNER_URL=owner_url, REDIS_URL=redis_url,
        SECRET_KEY="test-secret", JOBS_EAGER=False, TESTING=False, MAIL_SERVER="127.0.0.1",
        MAIL_PORT=sink.port, NOTIFY_BATCH=20, NOTIFY_LEASE_SECONDS=2, NOTIFY_STALE_SECONDS=0,
        UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"],
    )
    application.sink = sink
    with application.app_context():
        db.session.remove()
        yield application
        db.session.rollback()
        _cleanup(application)
        db.session.remove()
    sink.__exit__()


def _cleanup(application):
    from portal.jobs.models import JobRecord

    for tid in getattr(application, "tenant_ids", []):
        with tenant_context(tid, db.session):
            for model in (MailboxMessage, InboxItem, Notification, JobRecord):
                db.session.execute(sa.delete(model).where(model.tenant_id == tid))
            db.session.commit()


def _tenant(application):
    from tests.factories import NationalTenantFactory, TenantFactory

    tag = uuid.uuid4().hex[:8]
    t = TenantFactory(slug=f"r{tag}", parent=NationalTenantFactory(slug=f"rn{tag}"))
    db.session.commit()
    application.tenant_ids = getattr(application, "tenant_ids", []) + [t.id]
    return t


def _worker_env(application, redis_url) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": application.config["SQLALCHEMY_DATABASE_URI"],
        "DATABASE_OWNER_URL": application.config["DATABASE_OWNER_URL"], "REDIS_URL": redis_url,
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(application.sink.port),
        "NOTIFY_BATCH": "20", "NOTIFY_LEASE_SECONDS": "2", "NOTIFY_STALE_SECONDS": "0",
        "FLASK_APP": "wsgi.py", "PYTHONPATH": str(ROOT),
        "UPLOAD_FOLDER": application.config["UPLOAD_FOLDER"],
    })
    return env


def _worker(application, redis_url, *extra, queues=("notifications", "default")) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "flask", "worker", *queues, "--no-periodic", *extra]
    return subprocess.Popen(cmd, cwd=ROOT, env=_worker_env(application, redis_url), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _fan_out(tenant, n: int) -> list[int]:
    from portal.notifications.operations import notify

    with tenant_context(tenant.id, db.session):
        ids = [notify(tenant.id, template_key="selection.cultivation_letter",
                      context={"school_name": f"第{i}大学", "academic_year": "2025-2026",
                               "deadline": "2025-10-31", "contact": "秘书处"},
                      recipient_email=f"party{i}@school.example.cn", channels=("email",)).id
               for i in range(n)]
        db.session.commit()
    return ids


def _statuses(tenant) -> collections.Counter:
    with tenant_context(tenant.id, db.session):
        rows = db.session.execute(sa.select(Notification.status, Notification.message_id)).all()
        db.session.rollback()
    return collections.Counter(r.status.value for r in rows), {r.message_id for r in rows}


def _drain(application, redis_url, timeout=90):
    proc = _worker(application, redis_url, "--burst")
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise AssertionError("worker did not finish:\n" + out.decode(errors="replace")[-3000:])
    assert proc.returncode == 0, out.decode(errors="replace")[-3000:]
    return out


@pytest.mark.parametrize("queues", [("notifications", "default"), ("notifications",)],
                         ids=["fork-per-job", "in-process"])
def test_sigkilled_worker_mid_fan_out_every_letter_exactly_once_A6_1(real_app, redis_url, queues):
    """Killed mid fan-out, whether the worker forks a work horse per job (several queues) or
    runs the batches in its own process (``flask worker notifications``)."""
    from portal.notifications.jobs import sweep_outbox

    tenant = _tenant(real_app)
    n = 200
    _fan_out(tenant, n)
    sink = real_app.sink
    proc = _worker(real_app, redis_url, queues=queues)
    deadline = time.time() + 30
    while sink.total < 40 and time.time() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the worker and its work horse, mid-batch
    out, _ = proc.communicate()
    killed_at = sink.total
    assert 0 < killed_at < n, "the kill must land mid fan-out:\n" + out.decode(errors="replace")[-3000:]
    time.sleep(2.2)  # leases of the dead horse expire
    assert sweep_outbox() > 0
    _drain(real_app, redis_url)
    counts, message_ids = _statuses(tenant)
    assert counts == {"sent": n}, counts
    assert set(sink.ids) == message_ids
    dupes = {k: v for k, v in sink.ids.items() if v != 1}
    assert not dupes, f"duplicates at the sink: {dupes}"
    assert sink.total == n


def test_redis_down_at_commit_change_stands_and_mail_goes_out_later_A6_1(real_app, redis_url):
    from portal.jobs.operations import sweep_stuck_jobs
    from portal.notifications.jobs import sweep_outbox

    tenant = _tenant(real_app)
    real_app.config["REDIS_URL"] = f"redis://127.0.0.1:{_free_port()}/15"  # nothing listens
    try:
        _fan_out(tenant, 5)  # commits although Redis is down
    finally:
        real_app.config["REDIS_URL"] = redis_url
    counts, _ = _statuses(tenant)
    assert counts == {"pending": 5}
    assert real_app.sink.total == 0
    # Redis is back: the periodic sweeps re-enqueue, a worker delivers, once
    assert sweep_outbox() == 5
    assert sweep_stuck_jobs(older_than_seconds=0) >= 1  # the lost job, harmless: claims decide
    _drain(real_app, redis_url)
    counts, message_ids = _statuses(tenant)
    assert counts == {"sent": 5}
    assert set(real_app.sink.ids) == message_ids and set(real_app.sink.ids.values()) == {1}


class FlakySink(Sink):
    """A sink that fails some messages of a batch once each: a 451 at RCPT for one recipient,
    and the connection dropped by the server at MAIL FROM for the next message to another."""

    def __init__(self, refuse: str, drop: str):
        super().__init__()
        self.refuse, self.drop = refuse, drop
        self.refused = self.dropped = 0
        self._drop_next = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse and not self.refused:
            self.refused += 1
            return "451 4.3.0 mailbox busy, try again"
        if address == self.drop and not self.dropped:
            self.dropped += 1
            server.transport.close()  # mid-transaction: nothing delivered
            return "421 closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_batch_over_one_connection_with_failures_mid_batch_nothing_twice_nothing_lost_A6_1(real_app):
    """One job's batch of 20 over one SMTP connection; the server refuses the 7th letter and
    drops the connection on the 13th. The batch goes on (a fresh connection after the drop), the
    two come back as pending with their errors and the job fails to be retried; the retry sends
    exactly those two. Every letter reaches the sink once."""
    from portal.notifications.jobs import DeliveryError, deliver

    tenant = _tenant(real_app)
    ids = _fan_out(tenant, 20)
    sink = FlakySink(refuse="party6@school.example.cn", drop="party12@school.example.cn")
    with sink:
        real_app.config["MAIL_PORT"] = sink.port
        real_app.extensions["mail"].port = sink.port
        with tenant_context(tenant.id, db.session):
            with pytest.raises(DeliveryError):
                deliver(ids)
            db.session.rollback()
            rows = {n.recipient_email: n for n in db.session.scalars(sa.select(Notification))}
            assert sink.refused == 1 and sink.dropped == 1
            waiting = {e for e, n in rows.items() if n.status == NotificationStatus.pending}
            assert waiting == {"party6@school.example.cn", "party12@school.example.cn"}
            assert all("邮件服务器" in rows[e].error and rows[e].claim_token is None for e in waiting)
            assert sink.total == 18 and set(sink.ids.values()) == {1}
            assert db.session.scalar(sa.select(sa.func.count()).select_from(MailboxMessage)) == 18
            db.session.rollback()
            stats = deliver(ids)  # the retry: the 18 sent are not claimed again
            assert stats["sent"] == 2 and stats["skipped"] == 18
            db.session.rollback()
            counts, message_ids = _statuses(tenant)
            assert counts == {"sent": 20}
            assert set(sink.ids) == message_ids and set(sink.ids.values()) == {1} and sink.total == 20
            assert db.session.scalar(sa.select(sa.func.count()).select_from(MailboxMessage)) == 20
            db.session.rollback()
