"""A14: party and league relations — the organizational relation's transfer (out at the start of
the term, back at its end), organizational life month by month, dues month by month; and each
user's calendar feed of their own deadlines (issue 12 items 6 and 8).

Organizational life and dues are ``a14_org_life`` / ``a14_dues`` obligation records (the
obligations engine counts them per month); the rows here hold what the engine does not model:
the organization and topic of a meeting, the amount due, paid and the payment's date.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import StrEnum, TenantScoped, TimestampMixin, enum_column
from portal.extensions import db


class RelationKind(StrEnum):
    party = "party"    # 党组织关系
    league = "league"  # 团组织关系


KIND_LABELS = {"party": "党组织关系", "league": "团组织关系"}
DUES_LABELS = {"party": "党费", "league": "团费"}


class TransferDirection(StrEnum):
    outbound = "outbound"  # to the receiving organization for the term
    back = "back"          # back to the school at the term's end


DIRECTION_LABELS = {"outbound": "转入驻会单位", "back": "期满转回"}


class TransferStatus(StrEnum):
    open = "open"                  # 待开具介绍信
    letter_issued = "letter_issued"  # 已开具介绍信
    reported = "reported"          # 已报到
    receipt_returned = "receipt_returned"  # 回执已返回
    cancelled = "cancelled"


TRANSFER_STATUS_LABELS = {"open": "待开具介绍信", "letter_issued": "已开具介绍信", "reported": "已向接收组织报到",
                          "receipt_returned": "回执已返回", "cancelled": "已撤销"}


class RelationTransfer(TenantScoped, TimestampMixin, db.Model):
    """One transfer of one chair's party or league relation (A14), in one direction."""

    __tablename__ = "residency_relation_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    kind: Mapped[RelationKind] = enum_column(RelationKind, nullable=False)
    direction: Mapped[TransferDirection] = enum_column(TransferDirection, nullable=False)
    status: Mapped[TransferStatus] = enum_column(TransferStatus, nullable=False, default=TransferStatus.open)
    letter_no: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    letter_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    validity_days: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    from_org: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    to_org: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    reported_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    receipt_due: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    receipt_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    residency = relationship("Residency", lazy="joined")

    __table_args__ = (sa.UniqueConstraint("residency_id", "kind", "direction"),)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind.value]

    @property
    def direction_label(self) -> str:
        return DIRECTION_LABELS[self.direction.value]

    @property
    def status_label(self) -> str:
        return TRANSFER_STATUS_LABELS[self.status.value]

    @property
    def letter_valid_until(self) -> dt.date | None:
        if self.letter_date is None or self.validity_days is None:
            return None
        return self.letter_date + dt.timedelta(days=self.validity_days)


class OrgLifeRecord(TenantScoped, db.Model):
    """The details of one ``a14_org_life`` record: the organization and the topic."""

    __tablename__ = "residency_org_life"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("obligation_records.id", ondelete="CASCADE"),
                                           nullable=False, unique=True)
    kind: Mapped[RelationKind] = enum_column(RelationKind, nullable=False)
    attended_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    organization: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    topic: Mapped[str] = mapped_column(sa.String(200), nullable=False)


class DuesPayment(TenantScoped, db.Model):
    """One month's dues (A14): the amount due (from the dues schedule on the month's income),
    the amount paid and the day paid. 及时、足额: paid by the month's last day, not less than due."""

    __tablename__ = "residency_dues"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("obligation_records.id", ondelete="CASCADE"),
                                           nullable=False, unique=True)
    kind: Mapped[RelationKind] = enum_column(RelationKind, nullable=False)
    month: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)  # the month's first day
    income: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2), nullable=True)
    basis: Mapped[str] = mapped_column(sa.String(200), nullable=False)  # how the amount was computed
    amount_due: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2), nullable=False)
    amount_paid: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2), nullable=False)
    paid_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)

    __table_args__ = (sa.UniqueConstraint("residency_id", "kind", "month"),)

    @property
    def month_end(self) -> dt.date:
        nxt = (self.month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return nxt - dt.timedelta(days=1)

    @property
    def on_time(self) -> bool:
        return self.paid_on <= self.month_end

    @property
    def in_full(self) -> bool:
        return Decimal(self.amount_paid) >= Decimal(self.amount_due)


class CalendarToken(TenantScoped, db.Model):
    """A user's secret calendar-feed address in one tenant (only its hash is kept); revoking it
    (or making a new one) ends the old address."""

    __tablename__ = "residency_calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    __table_args__ = (sa.Index("ix_residency_calendar_tokens_user", "tenant_id", "user_id"),)
