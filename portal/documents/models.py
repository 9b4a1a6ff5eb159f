"""Generated documents (公文, notices, exports): one row per requested file."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.core import vault
from portal.core.db import StrEnum, TenantScoped, enum_column, utcnow
from portal.extensions import db


class DocumentFormat(StrEnum):
    pdf = "pdf"
    docx = "docx"
    xlsx = "xlsx"


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class DocumentStatus(StrEnum):
    queued = "queued"
    running = "running"
    ready = "ready"
    failed = "failed"


DOC_STATUS_LABELS = {"queued": "排队中", "running": "生成中", "ready": "已生成", "failed": "失败"}


class GeneratedDocument(TenantScoped, db.Model):
    __job_owned__ = True  # background jobs update these rows
    __tablename__ = "generated_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    fmt: Mapped[DocumentFormat] = enum_column(DocumentFormat, nullable=False)
    # Shown and sent to the user as is (Chinese kept); never used as a path.
    filename: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    status: Mapped[DocumentStatus] = enum_column(DocumentStatus, nullable=False, default=DocumentStatus.queued)
    progress: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    message: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    builder: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    params: Mapped[Any] = mapped_column(sa.JSON, nullable=False, default=dict)
    # Generated name under UPLOAD_FOLDER/documents/<tenant_id>/ (never user input).
    storage_name: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    size: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    # The rendered file in the vault; storage_name is its generated name (kept for older rows).
    file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vault_files.id", ondelete="SET NULL"),
                                                nullable=True, index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True, index=True)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_records.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    __table_args__ = (
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
    )

    @property
    def status_label(self) -> str:
        return DOC_STATUS_LABELS[self.status.value]

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.fmt.value]


class DocumentTemplateOverride(TenantScoped, db.Model):
    """A tenant's own DOCX template for one document kind (A22: 参照执行). Without a row the
    tenant adopts the national template shipped in the code, by reference."""

    __tablename__ = "document_template_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    # The validated .docx itself (small: a letter's template), kept with the row it belongs to.
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    filename: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    size: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "kind"),
        sa.CheckConstraint("length(reason) > 0", name="reason_required"),
    )


# A rendered file that never reached the disk leaves its document row without one (the sweep).
vault.register_referrer(vault.Referrer("documents.generated", "generated_documents", on_lost="null"))
