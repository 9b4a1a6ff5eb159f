"""Reference data (A2, A5.2): provinces, schools, unions and presidium member organizations."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import StrEnum, TenantScoped, enum_column, utcnow
from portal.extensions import db


class Province(db.Model):
    """The 31 mainland provincial-level divisions (GB/T 2260 two-digit codes)."""

    __tablename__ = "provinces"

    code: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    short_name: Mapped[str] = mapped_column(sa.String(10), nullable=False)

    def __str__(self) -> str:
        return self.name


class UnionKind(StrEnum):
    undergraduate = "学生会"
    graduate = "研究生会"


class School(TenantScoped, db.Model):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # 学校标识码 (10 digits)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    province_code: Mapped[str] = mapped_column(sa.ForeignKey("provinces.code"), nullable=False, index=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    province = relationship("Province", lazy="joined")
    unions = relationship("StudentUnion", back_populates="school", lazy="raise",
                          order_by="StudentUnion.kind")

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "code"),
        sa.UniqueConstraint("tenant_id", "name"),
        # The nomination list's order (province, school code) walks this index.
        sa.Index("ix_schools_tenant_province_code", "tenant_id", "province_code", "code", "id"),
    )

    def __str__(self) -> str:
        return self.name


class StudentUnion(TenantScoped, db.Model):
    __tablename__ = "student_unions"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[UnionKind] = enum_column(UnionKind, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(160), nullable=False)

    school = relationship("School", back_populates="unions", lazy="joined")
    memberships = relationship("PresidiumMembership", back_populates="union", lazy="raise",
                               order_by="PresidiumMembership.term_start")

    __table_args__ = (sa.UniqueConstraint("tenant_id", "school_id", "kind"),)

    def __str__(self) -> str:
        return self.name


class PresidiumMembership(TenantScoped, db.Model):
    """A2: a union sitting on this federation's presidium for a term."""

    __tablename__ = "presidium_memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    union_id: Mapped[int] = mapped_column(sa.ForeignKey("student_unions.id", ondelete="CASCADE"), nullable=False, index=True)
    term_label: Mapped[str] = mapped_column(sa.String(60), nullable=False)  # e.g. 第二十七届
    term_start: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    term_end: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    note: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)

    union = relationship("StudentUnion", back_populates="memberships", lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("term_end IS NULL OR term_end >= term_start", name="term_order"),
    )

    def __str__(self) -> str:
        return f"{self.term_label} {self.term_start}–{self.term_end or ''}"

    def valid_on(self, day: dt.date) -> bool:
        return self.term_start <= day and (self.term_end is None or day <= self.term_end)


class DepartmentKind(StrEnum):
    secretariat = "secretariat"   # 全国学联秘书处 (or the province's)
    department = "department"     # 团中央机关相关部门 (or the province's equivalent)


class Department(TenantScoped, db.Model):
    """A12: where a chair works — the secretariat, or a department of the CYL central organs (or
    the province's equivalent). Per-tenant reference data. ``head`` is the 部门负责同志 who holds
    the A9 talks with the chairs working there and gives an opinion on their A17 appraisal."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    kind: Mapped[DepartmentKind] = enum_column(DepartmentKind, nullable=False, default=DepartmentKind.department)
    head_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    sort: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)

    head = relationship("User", lazy="joined")

    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    def __str__(self) -> str:
        return self.name

    @property
    def is_secretariat(self) -> bool:
        return self.kind == DepartmentKind.secretariat
