"""A20 (issue 14 item 3): confidentiality pledges, seals and their use, the term-end handover.

The vault's internal materials themselves are :class:`portal.core.vault.StoredFile` rows of
purpose :data:`MATERIAL_PURPOSE` with a classification (公开/内部/敏感) and an access list.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import StrEnum, TenantScoped, enum_column, utcnow
from portal.extensions import db

MATERIAL_PURPOSE = "confidentiality.material"


class Pledge(TenantScoped, db.Model):
    """A chair's signed 保密承诺书 (A20): the tenant's pledge text of one version, by reference
    (its version and digest), and when it was signed."""

    __tablename__ = "confidentiality_pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    chair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("chairs.id", ondelete="SET NULL"), nullable=True)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    version: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    text_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    signed_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "user_id", "version"),)


class VaultRevocation(TenantScoped, db.Model):
    """A chair whose residency ended (A18 removal, A21, the term's end) no longer reaches the
    vault, whatever their role or an access list still says (A20)."""

    __tablename__ = "confidentiality_vault_revocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    residency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residencies.id", ondelete="SET NULL"),
                                                     nullable=True)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # the residency's end status
    removed_entries: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    revoked_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "user_id"),)


class SealStatus(StrEnum):
    in_use = "in_use"
    retired = "retired"


SEAL_STATUS_LABELS = {"in_use": "在用", "retired": "已停用"}
SEAL_KINDS = {"official": "公章", "department": "部门章", "special": "专用章", "signature": "签名章"}


class Seal(TenantScoped, db.Model):
    """A seal (印鉴) in the register, and who keeps it now (A20)."""

    __tablename__ = "confidentiality_seals"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    custodian_name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    custodian_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    status: Mapped[SealStatus] = enum_column(SealStatus, nullable=False, default=SealStatus.in_use)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    @property
    def kind_label(self) -> str:
        return SEAL_KINDS.get(self.kind, self.kind)


class SealHandover(TenantScoped, db.Model):
    """A custody handover of a seal: from whom, to whom, on which day, before which witness."""

    __tablename__ = "confidentiality_seal_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    seal_id: Mapped[int] = mapped_column(sa.ForeignKey("confidentiality_seals.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    from_name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    to_name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    to_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    handed_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    witness: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)


class SealRequestStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    used = "used"        # every approved copy stamped


SEAL_REQUEST_LABELS = {"pending": "待审批", "approved": "已批准", "rejected": "未批准", "used": "已用印"}


class SealUseRequest(TenantScoped, db.Model):
    """用印申请 (A20): a document, the seal, how many copies and why; approved before use."""

    __tablename__ = "confidentiality_seal_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    seal_id: Mapped[int] = mapped_column(sa.ForeignKey("confidentiality_seals.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)  # the document to be stamped
    copies: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[SealRequestStatus] = enum_column(SealRequestStatus, nullable=False,
                                                    default=SealRequestStatus.pending, index=True)
    copies_used: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True, index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    seal = relationship("Seal", lazy="joined")

    __table_args__ = (sa.CheckConstraint("copies > 0", name="copies_positive"),
                      sa.CheckConstraint("copies_used >= 0 AND copies_used <= copies", name="copies_within"))

    @property
    def status_label(self) -> str:
        return SEAL_REQUEST_LABELS[self.status.value]


class SealUse(TenantScoped, db.Model):
    """One use of a seal, logged against its approved request (A20)."""

    __tablename__ = "confidentiality_seal_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("confidentiality_seal_requests.id"), nullable=False,
                                            index=True)
    seal_id: Mapped[int] = mapped_column(sa.ForeignKey("confidentiality_seals.id"), nullable=False)
    copies: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    used_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    __table_args__ = (sa.CheckConstraint("copies > 0", name="use_copies_positive"),)


class HandoverStatus(StrEnum):
    open = "open"
    returned = "returned"


HANDOVER_LABELS = {"open": "待交接", "returned": "已交接"}


class HandoverItem(TenantScoped, db.Model):
    """One line of a chair's term-end handover checklist (A20): documents, files, anything
    borrowed; checked off by the secretariat. An open line blocks the term's completion."""

    __tablename__ = "confidentiality_handover_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    status: Mapped[HandoverStatus] = enum_column(HandoverStatus, nullable=False, default=HandoverStatus.open)
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    checked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "residency_id", "title"),)

    @property
    def status_label(self) -> str:
        return HANDOVER_LABELS[self.status.value]
