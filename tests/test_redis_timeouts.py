"""Issue 8: a Redis that accepts connections but never answers (a partition, a stalled server)
costs the web seconds, not a worker: every client has timeouts, and the enqueue falls back to
the sweep. The worker's own client keeps only the connect timeout (RQ blocks on purpose)."""
from __future__ import annotations

import socket
import threading
import time

import pytest
import redis as redis_lib
import sqlalchemy as sa

from portal.core import redis as core_redis
from portal.core.db import tenant_context
from portal.extensions import db
from portal.jobs import enqueue
from portal.jobs.models import JobRecord, JobStatus
from tests.factories import NationalTenantFactory


@pytest.fixture()
def silent_redis():
    """A TCP server that accepts and then says nothing."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    t.join()
    for c in held:
        c.close()
    server.close()


@pytest.fixture()
def quick_timeouts(app):
    saved = {k: app.config.get(k) for k in ("REDIS_URL", "REDIS_SOCKET_TIMEOUT", "JOBS_EAGER")}
    app.config["REDIS_SOCKET_TIMEOUT"] = 0.5
    yield app
    app.config.update(saved)
    core_redis._clients.clear()


def test_the_web_client_gives_up_on_a_silent_redis(app_ctx, silent_redis, quick_timeouts):
    core_redis._clients.clear()
    client = core_redis.get_redis(silent_redis)
    t = time.monotonic()
    with pytest.raises(redis_lib.TimeoutError):
        client.ping()
    assert time.monotonic() - t < 3
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 0.5 and kwargs["socket_connect_timeout"] == 2.0


def test_the_worker_client_leaves_the_blocking_wait_to_rq(app_ctx, silent_redis, quick_timeouts):
    core_redis._clients.clear()
    kwargs = core_redis.get_redis(silent_redis, worker=True).connection_pool.connection_kwargs
    assert kwargs.get("socket_timeout") is None and kwargs["socket_connect_timeout"] == 2.0
    assert core_redis.get_redis(silent_redis) is not core_redis.get_redis(silent_redis, worker=True)


def test_a_job_enqueued_while_redis_is_silent_is_recorded_and_the_commit_returns(session, silent_redis,
                                                                                quick_timeouts):
    app = quick_timeouts
    core_redis._clients.clear()
    tenant = NationalTenantFactory()
    db.session.commit()
    app.config.update(REDIS_URL=silent_redis, JOBS_EAGER=False)
    with tenant_context(tenant.id, db.session):
        record = enqueue("portal.selection.jobs.send_invitations", 0, queue="default", tenant_id=tenant.id, kind="test.silent",
                         label="静默的 Redis")
        rid = record.id
        t = time.monotonic()
        db.session.commit()  # dispatches after commit: the enqueue times out and logs, nothing raised
        assert time.monotonic() - t < 3
        job = db.session.get(JobRecord, rid)
        assert job.status == JobStatus.queued  # waits for sweep_stuck_jobs once Redis answers
    with tenant_context(tenant.id, db.session):
        db.session.execute(sa.delete(JobRecord).where(JobRecord.id == rid))
        db.session.commit()
