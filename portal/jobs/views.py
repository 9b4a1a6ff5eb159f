from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from portal.api.schemas import Out, operation
from portal.core.permissions import ROLE_ADMIN, require_roles
from portal.extensions import db
from portal.jobs.models import JobRecord, JobStatus
from portal.jobs.operations import JobError, QUEUES, mode, retry_job
from portal.core.permissions import operator_required

bp = Blueprint("jobs", __name__, url_prefix="/<tenant>/jobs", template_folder="templates")
api_bp = Blueprint("jobs_api", __name__, url_prefix="/api/v1/<tenant>/jobs")
platform_bp = Blueprint("platform_queues", __name__, url_prefix="/platform", template_folder="templates")


@bp.route("/")
@require_roles(*ROLE_ADMIN)
def index():
    status = request.args.get("status") or None
    stmt = sa.select(JobRecord).order_by(JobRecord.id.desc())
    if status in {s.value for s in JobStatus}:
        stmt = stmt.where(JobRecord.status == status)
    page = db.paginate(stmt, page=max(1, request.args.get("page", 1, type=int)), per_page=50, error_out=False)
    failed = db.session.scalar(sa.select(sa.func.count()).select_from(JobRecord)
                               .where(JobRecord.status == JobStatus.failed))
    return render_template("jobs/index.html", page=page, status=status, failed=failed,
                           statuses=list(JobStatus), mode=mode(current_app))


@bp.route("/<int:job_id>")
@require_roles(*ROLE_ADMIN)
def detail(job_id: int):
    return render_template("jobs/detail.html", job=db.get_or_404(JobRecord, job_id))


@bp.route("/<int:job_id>/retry", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def retry(job_id: int):
    rec = db.get_or_404(JobRecord, job_id)
    try:
        retry_job(rec, current_user._get_current_object())
    except JobError as exc:
        flash(exc.message, "error")
        return redirect(url_for("jobs.detail", job_id=job_id)), 303
    flash("已重新提交该任务", "success")
    return redirect(url_for("jobs.detail", job_id=job_id)), 303


class JobOut(Out):
    id: int
    kind: str
    label: str
    queue: str
    status: str
    progress: int | float | None
    message: str | None
    error: str | None
    attempts: int
    max_attempts: int
    created_at: str
    started_at: str | None
    finished_at: str | None


@api_bp.get("/<int:job_id>")
@require_roles(*ROLE_ADMIN)
@operation(responses={200: JobOut})
def api_detail(job_id: int):
    """One background job's status, progress and error."""
    return jsonify(db.get_or_404(JobRecord, job_id).as_json())


@platform_bp.route("/queues")
@operator_required
def queues():
    """Operator view of RQ: queues, registries, workers (public RQ API only)."""
    info = {"mode": mode(current_app), "queues": [], "workers": [], "error": None}
    if info["mode"] == "rq":
        try:
            from rq import Queue, Worker

            from portal.core.redis import get_redis

            conn = get_redis()
            for name in QUEUES:
                q = Queue(name, connection=conn)
                info["queues"].append({
                    "name": name, "queued": q.count,
                    "started": q.started_job_registry.count,
                    "scheduled": q.scheduled_job_registry.count,
                    "deferred": q.deferred_job_registry.count,
                    "finished": q.finished_job_registry.count,
                    "failed": q.failed_job_registry.count,
                })
            for w in Worker.all(connection=conn):
                info["workers"].append({
                    "name": w.name, "state": w.get_state(), "queues": ", ".join(w.queue_names()),
                    "successful": w.successful_job_count, "failed": w.failed_job_count,
                    "birth": w.birth_date, "heartbeat": w.last_heartbeat,
                })
        except Exception as exc:  # Redis down: say so instead of a 500
            info["error"] = f"无法连接 Redis：{exc}"
    else:
        from portal.jobs.operations import embedded_executor

        ex = embedded_executor(current_app._get_current_object())
        info["embedded_submitted"] = ex.submitted
    if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
        return jsonify({k: v for k, v in info.items() if k != "workers"} |
                       {"workers": [{k: str(v) for k, v in w.items()} for w in info["workers"]]})
    return render_template("jobs/queues.html", info=info)
