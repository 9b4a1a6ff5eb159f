"""Tenants (the national federation and provincial ones, A22) and memberships."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import StrEnum, TenantScoped, enum_column, utcnow
from portal.core.roles import ROLE_LABELS, STAFF_ROLES, Role  # noqa: F401  (re-exported)
from portal.extensions import db


class TenantKind(StrEnum):
    national = "national"
    provincial = "provincial"




class Tenant(db.Model):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    short_name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    kind: Mapped[TenantKind] = enum_column(TenantKind, nullable=False)
    # A provincial federation's province (A6.3: it reviews its province's candidates).
    province_code: Mapped[str | None] = mapped_column(sa.String(2), nullable=True)
    # A22: a provincial tenant adopts the national tenant's rules by reference.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenants.id"), nullable=True)
    # The national ruleset version adopted; NULL follows the current national version.
    adopted_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ruleset_versions.id"), nullable=True
    )
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)
    # The secretariat's contact, printed on its letters and on the 公示 (objections go there);
    # edited on the tenant's settings page. A missing one is left out, never made up.
    contact_person: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    contact_email: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    contact_address: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)

    parent = relationship("Tenant", remote_side=[id], lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'national' AND parent_id IS NULL) OR (kind = 'provincial' AND parent_id IS NOT NULL)",
            name="parent_matches_kind",
        ),
    )

    @property
    def is_national(self) -> bool:
        return self.kind == TenantKind.national

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class Membership(TenantScoped, db.Model):
    """Ties a user to a tenant with one role (a user may hold several)."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    role: Mapped[Role] = enum_column(Role, nullable=False)
    # A6.3: a provincial reviewer sees only candidates of this province.
    province_code: Mapped[str | None] = mapped_column(sa.String(2), nullable=True)
    # A school liaison is bound to one school.
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id"), nullable=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    user = relationship("User", back_populates="memberships", lazy="joined")
    school = relationship("School", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "user_id", "role"),  # uq_memberships_tenant_id_user_id_role
        sa.CheckConstraint(
            "role <> 'school_liaison' OR school_id IS NOT NULL", name="liaison_has_school"
        ),
        sa.CheckConstraint(
            "role <> 'provincial_reviewer' OR province_code IS NOT NULL",
            name="reviewer_has_province",
        ),
    )

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]
