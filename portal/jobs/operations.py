"""Enqueue a job in the caller's transaction; dispatch it only after that transaction commits.

``enqueue(func, *args, queue=..., tenant_id=...)`` writes a :class:`JobRecord` (so a
rollback leaves no job behind) and remembers it in ``session.info``; the session's
``after_commit`` hook hands it to the executor of the configured mode:

* ``eager``  (``JOBS_EAGER``, tests): run synchronously right after the commit, in a fresh
  app context (its own session, which joins the test connection);
* ``rq``     (``REDIS_URL`` set): an RQ job on the named queue with ``Retry`` backoff;
* ``thread`` (the embedded default): a small in-process thread pool with backoff retries.

If Redis is unreachable at commit time the change still stands: the record stays
``queued`` and ``sweep_stuck_jobs`` dispatches it again once Redis answers.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session as FSASession
from sqlalchemy import event

from portal.core import audit
from portal.core.db import current_tenant_id, tenant_context, utcnow
from portal.core.errors import DomainError
from portal.extensions import db
from portal.jobs.models import JobRecord, JobStatus

log = logging.getLogger(__name__)

QUEUES = ("notifications", "documents", "default")
# Queues of many small jobs, run in the worker's own process when it listens to nothing else
# (``flask worker notifications``; see portal/jobs/cli.py).
IN_PROCESS_QUEUES = frozenset({"notifications"})
PENDING_KEY = "portal_jobs_pending"
# Backoff between attempts (seconds): RQ Retry(interval=...) and the embedded pool.
BACKOFF = [10, 60, 300]


class JobError(DomainError):
    pass


def func_path(func) -> str:
    if isinstance(func, str):
        return func
    return f"{func.__module__}.{func.__qualname__}"


def enqueue(func, *args, queue: str = "default", tenant_id: int | None = None,
            label: str | None = None, kind: str | None = None, created_by=None,
            max_attempts: int = 3, subject: str | None = None, **kwargs) -> JobRecord:
    """Record a job for ``tenant_id`` (default: the current tenant); runs after commit."""
    if queue not in QUEUES:
        raise JobError(f"未知的任务队列「{queue}」")
    tid = tenant_id if tenant_id is not None else current_tenant_id()
    if tid is None:
        raise JobError("后台任务必须属于一个学联")
    path = func_path(func)
    rec = JobRecord(tenant_id=tid, kind=kind or path.rsplit(".", 1)[-1], label=label or path,
                    queue=queue, func=path, args=list(args), kwargs=kwargs,
                    status=JobStatus.queued, max_attempts=max(1, max_attempts),
                    rq_job_id=f"portal-{uuid.uuid4().hex}", enqueued_at=utcnow(),
                    created_by_id=getattr(created_by, "id", None), subject=subject)
    with tenant_context(tid, db.session) if tid != current_tenant_id() else _null():
        db.session.add(rec)
        db.session.flush()
    _remember(rec)
    return rec


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _remember(rec: JobRecord) -> None:
    db.session.info.setdefault(PENDING_KEY, []).append((rec.id, rec.tenant_id, rec.queue, rec.max_attempts,
                                                  rec.rq_job_id))


def retry_job(rec: JobRecord, actor) -> JobRecord:
    """The secretariat retries a failed job (same record, one more attempt)."""
    from portal.core.concurrency import compare_and_set

    if rec.status != JobStatus.failed:
        raise JobError("只有失败的任务可以重试")
    before = {"status": rec.status.value, "error": rec.error, "attempts": rec.attempts}
    # Compare-and-set: two clicks on 重试 dispatch the job once.
    if not compare_and_set(rec, "status", JobStatus.failed, JobStatus.queued):
        raise JobError("该任务已被重试", status=409)
    rec.progress = 0
    rec.error = None
    rec.message = "已手动重试"
    rec.finished_at = None
    rec.max_attempts = rec.attempts + 1
    rec.rq_job_id = f"portal-{uuid.uuid4().hex}"
    rec.enqueued_at = utcnow()
    db.session.flush()
    audit.record("job.retry", "job", rec.id, actor=actor, before=before,
                 after={"status": rec.status.value})
    _remember(rec)
    return rec


# --- dispatch after commit -----------------------------------------------------------------

@event.listens_for(FSASession, "after_commit")
def _after_commit(session):
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the real commit is still to come
    pending = session.info.pop(PENDING_KEY, None)
    if pending and has_app_context():
        app = current_app._get_current_object()
        dispatch(app, pending)
        if mode(app) == "eager":
            # The jobs ran in their own sessions: let the caller see the job-owned rows they
            # updated (records, outbox, documents). Only those: expiring everything would make
            # the caller's other objects reload later, possibly outside their tenant.
            for obj in list(session.identity_map.values()):
                if getattr(obj, "__job_owned__", False):
                    session.expire(obj)


@event.listens_for(FSASession, "after_soft_rollback")
def _after_rollback(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


def mode(app) -> str:
    if app.config.get("JOBS_EAGER"):
        return "eager"
    if app.config.get("REDIS_URL"):
        return "rq"
    return "thread"


def dispatch(app, pending) -> None:
    m = mode(app)
    for record_id, tenant_id, queue, max_attempts, rq_job_id in pending:
        from portal.jobs.runner import run_eager

        if m == "eager":
            run_eager(app, record_id, tenant_id)
        elif m == "rq":
            try:
                rq_enqueue(app, record_id, tenant_id, queue, max_attempts, rq_job_id)
            except Exception:  # Redis down: the record waits; sweep_stuck_jobs re-dispatches
                log.warning("could not enqueue job %s on %s (Redis down?)", record_id, queue, exc_info=True)
        else:
            try:
                embedded_executor(app).submit(app, record_id, tenant_id)
            except RuntimeError:  # the pool is shutting down (process exit): run it now
                run_eager(app, record_id, tenant_id)


def rq_enqueue(app, record_id, tenant_id, queue, max_attempts, rq_job_id):
    from rq import Queue, Retry

    from portal.core.redis import get_redis

    conn = get_redis(app.config["REDIS_URL"])
    q = Queue(queue, connection=conn)
    retry = Retry(max=max_attempts - 1, interval=BACKOFF[: max(1, max_attempts - 1)]) if max_attempts > 1 else None
    return q.enqueue("portal.jobs.runner.execute", record_id, tenant_id, job_id=rq_job_id,
                     retry=retry, job_timeout=app.config.get("JOBS_TIMEOUT", 600),
                     result_ttl=3600, failure_ttl=7 * 86400,
                     meta={"tenant_id": tenant_id, "record_id": record_id},
                     description=f"tenant {tenant_id} job {record_id}")


# --- the embedded executor ----------------------------------------------------------------

class EmbeddedExecutor:
    """A small thread pool: jobs run for real in the web process when there is no Redis.

    It knows which records it holds (running, waiting in the pool or waiting for a retry), so
    the sweep can tell a job this process still owns from one left behind by a restart."""

    def __init__(self, workers: int = 2):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="portal-job")
        self.submitted = 0
        self.lock = threading.Lock()
        self._held: dict[int, int] = {}

    def _hold(self, record_id: int) -> None:
        with self.lock:
            self._held[record_id] = self._held.get(record_id, 0) + 1

    def _release(self, record_id: int) -> None:
        with self.lock:
            n = self._held.get(record_id, 0) - 1
            if n > 0:
                self._held[record_id] = n
            else:
                self._held.pop(record_id, None)

    def holds(self, record_id: int) -> bool:
        with self.lock:
            return record_id in self._held

    def submit(self, app, record_id, tenant_id, attempt: int = 1):
        from portal.jobs.runner import run_in_thread

        with self.lock:
            self.submitted += 1
        self._hold(record_id)
        future = self.pool.submit(run_in_thread, app, record_id, tenant_id, self, attempt)
        future.add_done_callback(lambda _f: self._release(record_id))
        return future

    def retry_later(self, app, record_id, tenant_id, attempt):
        delay = BACKOFF[min(attempt - 1, len(BACKOFF) - 1)] * app.config.get("JOBS_BACKOFF_SCALE", 1)
        self._hold(record_id)

        def resubmit():
            try:
                self.submit(app, record_id, tenant_id, attempt + 1)
            finally:
                self._release(record_id)

        t = threading.Timer(delay, resubmit)
        t.daemon = True
        t.start()


_executors: dict[int, EmbeddedExecutor] = {}
_exec_lock = threading.Lock()


def embedded_executor(app) -> EmbeddedExecutor:
    with _exec_lock:
        ex = _executors.get(id(app))
        if ex is None:
            ex = _executors[id(app)] = EmbeddedExecutor(app.config.get("JOBS_THREADS", 2))
        return ex


# --- housekeeping ---------------------------------------------------------------------------

def tenant_ids() -> list[int]:
    from tenants.models import Tenant

    return list(db.session.scalars(sa.select(Tenant.id).where(Tenant.active.is_(True)).order_by(Tenant.id)))


def sweep_stuck_jobs(older_than_seconds: int = 300) -> int:
    """Re-dispatch jobs left behind: still ``queued`` long after submission (Redis was down),
    or, in the embedded default, ``started``/``retrying`` records that no thread of this
    process holds any more (the process restarted mid-job or before a retry)."""
    app = current_app._get_current_object()
    cutoff = utcnow() - dt.timedelta(seconds=older_than_seconds)
    conn = None
    executor = None
    statuses = [JobStatus.queued]
    if mode(app) == "rq":
        from portal.core.redis import get_redis

        conn = get_redis()
    elif mode(app) == "thread":
        executor = embedded_executor(app)
        statuses = [JobStatus.queued, JobStatus.started, JobStatus.retrying]
    count = 0
    for tid in tenant_ids():
        with tenant_context(tid, db.session):
            rows = db.session.scalars(
                sa.select(JobRecord).where(JobRecord.status.in_(statuses),
                                           JobRecord.enqueued_at < cutoff).limit(500)).all()
            todo = []
            for rec in rows:
                if conn is not None:
                    from rq.job import Job

                    if Job.exists(rec.rq_job_id, connection=conn):
                        continue
                if executor is not None and executor.holds(rec.id):
                    continue
                rec.enqueued_at = utcnow()
                todo.append((rec.id, rec.tenant_id, rec.queue, rec.max_attempts, rec.rq_job_id))
            db.session.commit()
            if todo:
                dispatch(app, todo)
                count += len(todo)
    return count
