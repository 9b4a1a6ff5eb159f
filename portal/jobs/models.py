"""The database side of a background job: what, for whom, how far, why it failed."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import StrEnum, TenantScoped, enum_column, utcnow
from portal.extensions import db
from portal.core.clock import utc_iso


class JobStatus(StrEnum):
    queued = "queued"
    started = "started"
    retrying = "retrying"
    finished = "finished"
    failed = "failed"


JOB_STATUS_LABELS = {
    JobStatus.queued: "排队中",
    JobStatus.started: "运行中",
    JobStatus.retrying: "等待重试",
    JobStatus.finished: "已完成",
    JobStatus.failed: "失败",
}


class JobRecord(TenantScoped, db.Model):
    __job_owned__ = True  # background jobs update these rows
    """One background job of one tenant (its RQ job id is ``rq_job_id``)."""

    __tablename__ = "job_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(80), nullable=False, index=True)
    label: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    queue: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    func: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    args: Mapped[Any] = mapped_column(sa.JSON, nullable=False, default=list)
    kwargs: Mapped[Any] = mapped_column(sa.JSON, nullable=False, default=dict)
    status: Mapped[JobStatus] = enum_column(JobStatus, nullable=False, default=JobStatus.queued, index=True)
    progress: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    message: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=3)
    rq_job_id: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    # What the job works on ("selection_cycle:12"): the object's page shows its progress.
    subject: Mapped[str | None] = mapped_column(sa.String(80), nullable=True, index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False, index=True)
    enqueued_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
    )

    @property
    def status_label(self) -> str:
        return JOB_STATUS_LABELS[self.status]

    def as_json(self) -> dict:
        return {
            "id": self.id, "kind": self.kind, "label": self.label, "queue": self.queue,
            "status": self.status.value, "progress": self.progress, "message": self.message,
            "error": self.error, "attempts": self.attempts, "max_attempts": self.max_attempts,
            "rq_job_id": self.rq_job_id, "subject": self.subject,
            "created_at": utc_iso(self.created_at),
            "started_at": utc_iso(self.started_at),
            "finished_at": utc_iso(self.finished_at),
        }
