"""Ruleset versions (national, global data) and provincial overrides (tenant-owned)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import TenantScoped, utcnow
from portal.extensions import db


class RulesetVersion(db.Model):
    """A published version of the national ruleset (A23: the measures are a trial)."""

    __tablename__ = "ruleset_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    adopted_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    is_current: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    notes: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    values = relationship("RuleValue", back_populates="version", lazy="selectin",
                          cascade="all, delete-orphan")

    def as_dict(self) -> dict:
        return {v.key: v.value for v in self.values}


class RuleValue(db.Model):
    __tablename__ = "rule_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("ruleset_versions.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    value: Mapped[object] = mapped_column(sa.JSON, nullable=False)

    version = relationship("RulesetVersion", back_populates="values")

    __table_args__ = (sa.UniqueConstraint("version_id", "key"),)


class RuleOverride(TenantScoped, db.Model):
    """A provincial tenant's own value for one rule, with the reason it differs (A22)."""

    __tablename__ = "rule_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    value: Mapped[object] = mapped_column(sa.JSON, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "key"),
        sa.CheckConstraint("length(reason) > 0", name="reason_required"),
    )
