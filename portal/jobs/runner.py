"""Run one job: inside an app context, as its tenant (the filter and the RLS setting).

``execute`` is the RQ entry point; ``run_eager`` and ``run_in_thread`` are the in-process
ones. Each pushes a fresh app context, so a job has its own session and its own ``g``.
"""
from __future__ import annotations

import contextvars
import logging
import os
import traceback

from flask import current_app, has_app_context
from werkzeug.utils import import_string

from portal.core import audit
from portal.core.db import tenant_context, utcnow
from portal.extensions import db
from portal.jobs.models import JobRecord, JobStatus

log = logging.getLogger(__name__)

_current_record: contextvars.ContextVar[int | None] = contextvars.ContextVar("job_record", default=None)
_standalone = None
_engine_pids: dict[int, int] = {}


def _app():
    global _standalone
    if has_app_context():
        return current_app._get_current_object()
    if _standalone is None:
        from portal import create_app

        _standalone = create_app()
    return _standalone


def _fresh_connections(app) -> None:
    """A forked work horse must not reuse its parent's pooled connections."""
    pid = os.getpid()
    if _engine_pids.get(id(app)) not in (None, pid):
        db.engine.dispose(close=False)
    _engine_pids[id(app)] = pid


def execute(record_id: int, tenant_id: int):
    """RQ entry point: ``portal.jobs.runner.execute(record_id, tenant_id)``."""
    app = _app()
    with app.app_context():
        _fresh_connections(app)
        try:
            return _run(record_id, tenant_id, final=_rq_final_attempt)
        finally:
            db.session.remove()


def execute_periodic(path: str, *args, **kwargs):
    """RQ entry point for platform-wide periodic jobs (they iterate the tenants themselves)."""
    app = _app()
    with app.app_context():
        _fresh_connections(app)
        try:
            return import_string(path)(*args, **kwargs)
        finally:
            db.session.remove()


def run_eager(app, record_id: int, tenant_id: int) -> None:
    with app.app_context():
        try:
            _run(record_id, tenant_id, final=lambda rec: True)
        except Exception:
            log.info("eager job %s failed", record_id, exc_info=True)
        finally:
            db.session.remove()


def run_in_thread(app, record_id: int, tenant_id: int, executor, attempt: int) -> None:
    with app.app_context():
        try:
            _run(record_id, tenant_id, final=lambda rec: rec.attempts >= rec.max_attempts)
        except Exception:
            log.warning("job %s failed (attempt %s)", record_id, attempt, exc_info=True)
            with tenant_context(tenant_id, db.session):
                rec = db.session.get(JobRecord, record_id)
                if rec is not None and rec.status == JobStatus.retrying:
                    executor.retry_later(app, record_id, tenant_id, attempt)
        finally:
            db.session.remove()


def _rq_final_attempt(rec: JobRecord) -> bool:
    from rq import get_current_job

    job = get_current_job()
    return job is None or not job.retries_left


def _error_text(exc: BaseException) -> str:
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    head = f"{type(exc).__name__}: {exc}"
    return (head + "\n\n" + "".join(tb[-6:]))[:4000]


def _run(record_id: int, tenant_id: int, *, final) -> object:
    with tenant_context(tenant_id, db.session):
        rec = db.session.get(JobRecord, record_id)
        if rec is None:
            # Not this tenant's record (or not committed): refuse rather than guess.
            raise LookupError(f"job record {record_id} is not visible to tenant {tenant_id}")
        if rec.status == JobStatus.finished:
            return None  # delivered twice by the queue: the first run already did it
        rec.status = JobStatus.started
        rec.attempts += 1
        rec.started_at = utcnow()
        rec.error = None
        db.session.commit()
        token = _current_record.set(record_id)
        try:
            func = import_string(rec.func)
            result = func(*(rec.args or []), **(rec.kwargs or {}))
        except Exception as exc:
            db.session.rollback()
            rec = db.session.get(JobRecord, record_id)
            is_final = final(rec)
            rec.status = JobStatus.failed if is_final else JobStatus.retrying
            rec.error = _error_text(exc)
            rec.message = "任务失败" if is_final else "任务失败，稍后自动重试"
            rec.finished_at = utcnow()
            if is_final:
                audit.record("job.failed", "job", rec.id, actor="后台任务",
                             after={"kind": rec.kind, "attempts": rec.attempts,
                                    "error": f"{type(exc).__name__}: {exc}"[:500]})
            db.session.commit()
            raise
        finally:
            _current_record.reset(token)
        rec = db.session.get(JobRecord, record_id)
        rec.status = JobStatus.finished
        rec.progress = 100
        rec.finished_at = utcnow()
        if rec.message in (None, "已手动重试"):
            rec.message = "已完成"
        db.session.commit()
        return result


def current_record_id() -> int | None:
    return _current_record.get()


def set_progress(percent: float, message: str | None = None) -> None:
    """Report progress of the running job (committed at once so the UI can poll it)."""
    rid = _current_record.get()
    pct = max(0, min(100, int(percent)))
    if rid is not None:
        import sqlalchemy as sa

        values = {"progress": pct}
        if message is not None:
            values["message"] = message[:500]
        db.session.execute(sa.update(JobRecord).where(JobRecord.id == rid).values(**values))
        db.session.commit()
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:
        job = None
    if job is not None:
        job.meta["progress"] = pct
        if message is not None:
            job.meta["message"] = message
        job.save_meta()
