"""The outbox (notifications), the in-app inbox, the local mailbox and template overrides."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.clock import utc_iso
from portal.core.db import StrEnum, TenantScoped, enum_column, utcnow
from portal.extensions import db


class NotificationStatus(StrEnum):
    pending = "pending"      # in the outbox, waiting for a delivery job
    sending = "sending"      # claimed by a worker until lease_until
    sent = "sent"
    failed = "failed"        # template error, no recipient, or too many attempts


STATUS_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "失败"}


class Notification(TenantScoped, db.Model):
    __job_owned__ = True  # background jobs update these rows
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_key: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    context: Mapped[Any] = mapped_column(sa.JSON, nullable=False, default=dict)
    recipient_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True, index=True)
    recipient_email: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    channels: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="email,inbox")
    related_type: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    related_id: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    # A reminder or any caller that must not send twice names the message (unique per tenant).
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    status: Mapped[NotificationStatus] = enum_column(NotificationStatus, nullable=False,
                                                     default=NotificationStatus.pending, index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32), nullable=True, index=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    # Stable across retries: receiving systems can drop a duplicate by Message-ID.
    message_id: Mapped[str] = mapped_column(sa.String(200), nullable=False, unique=True)
    subject: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    body: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False, index=True)
    enqueued_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    # Set when the SMTP server's final 250 was read (sent but unconfirmed = the crash window).
    smtp_confirmed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "dedupe_key"),  # uq_notifications_tenant_id_dedupe_key
        sa.CheckConstraint("recipient_user_id IS NOT NULL OR recipient_email IS NOT NULL",
                           name="has_recipient"),
    )

    @property
    def channel_list(self) -> list[str]:
        return [c for c in self.channels.split(",") if c]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status.value]

    def as_json(self) -> dict:
        return {"id": self.id, "template_key": self.template_key, "status": self.status.value,
                "channels": self.channel_list, "recipient_user_id": self.recipient_user_id,
                "recipient_email": self.recipient_email, "subject": self.subject,
                "error": self.error, "attempts": self.attempts,
                "related_type": self.related_type, "related_id": self.related_id,
                "created_at": utc_iso(self.created_at),
                "sent_at": utc_iso(self.sent_at)}


class InboxItem(TenantScoped, db.Model):
    """A message in a user's in-app inbox (站内消息)."""

    __tablename__ = "inbox_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    notification_id: Mapped[int] = mapped_column(sa.ForeignKey("notifications.id"), nullable=False, unique=True)
    subject: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    related_type: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    related_id: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)
    read_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    __table_args__ = (sa.Index("ix_inbox_items_user_unread", "tenant_id", "user_id", "read_at"),)


class MailboxMessage(TenantScoped, db.Model):
    """Every email the portal sent (所有已发送邮件); the only sink when MAIL_SERVER is unset."""

    __tablename__ = "mailbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(sa.ForeignKey("notifications.id"), nullable=False, unique=True)
    message_id: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    transport: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # local | smtp
    sender: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    recipient: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False, index=True)

    __table_args__ = (sa.CheckConstraint("transport IN ('local', 'smtp')", name="transport"),)


class NotificationTemplateOverride(TenantScoped, db.Model):
    """A tenant's own subject/body for one national default template (A22: 参照执行)."""

    __tablename__ = "notification_template_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "key"),
        sa.CheckConstraint("length(reason) > 0", name="reason_required"),
    )
