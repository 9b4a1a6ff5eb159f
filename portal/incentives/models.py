"""Chapter 4 (A15–A17): what the federation owes a chair, and what it writes about them.

Allowance rates (A15) are adopted by reference and overridable, like the rules:

* the national table (:class:`NationalAllowanceRate`) is platform data, not any tenant's rows
  (so row-level security never has to open one tenant's rows to another); the national
  federation's secretariat keeps it;
* a provincial tenant's own rows (:class:`AllowanceRate`) override the national table **per
  degree level**: a province that defines no 本科 rate pays 本科 chairs on the national table (by
  reference: a national change reaches it at once), and one that defines its own 本科 rates pays
  on those only. The rules comparison page shows both.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import StrEnum, TenantScoped, TimestampMixin, enum_column, utcnow
from portal.extensions import db

DEGREE_LEVELS = ("本科", "硕士", "博士")
MONEY = sa.Numeric(12, 2)


class _RateColumns:
    id: Mapped[int] = mapped_column(primary_key=True)
    effective_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    degree_level: Mapped[str] = mapped_column(sa.String(4), nullable=False)
    monthly_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    source: Mapped[str] = mapped_column(sa.String(200), nullable=False)   # 人薪发〔1990〕20号, or the province's
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)


class NationalAllowanceRate(_RateColumns, db.Model):
    """A15: one row of the national rate table (effective from a date, per degree level)."""

    __tablename__ = "allowance_national_rates"
    __table_args__ = (sa.UniqueConstraint("degree_level", "effective_on"),
                      sa.CheckConstraint("monthly_amount >= 0", name="amount_non_negative"))

    scope = "national"


class AllowanceRate(_RateColumns, TenantScoped, db.Model):
    """A15/A22: a tenant's own rate row; overrides the national table for its degree level."""

    __tablename__ = "allowance_rates"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "degree_level", "effective_on"),
                      sa.CheckConstraint("monthly_amount >= 0", name="amount_non_negative"))

    scope = "own"


class RunStatus(StrEnum):
    draft = "draft"
    approved = "approved"
    locked = "locked"


class RunKind(StrEnum):
    regular = "regular"
    adjusting = "adjusting"


RUN_STATUS_LABELS = {"draft": "待审核", "approved": "已审核", "locked": "已锁定"}
RUN_KIND_LABELS = {"regular": "月度发放", "adjusting": "调整发放"}


class AllowanceRun(TenantScoped, TimestampMixin, db.Model):
    """A15: the allowance of one month for every chair in residence; reviewed, approved, locked.
    A locked run is never edited: a correction is an adjusting run naming it (``corrects_id``)
    that holds only the differences."""

    __tablename__ = "allowance_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)  # the month's first day
    kind: Mapped[RunKind] = enum_column(RunKind, nullable=False, default=RunKind.regular)
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("allowance_runs.id"), nullable=True)
    status: Mapped[RunStatus] = enum_column(RunStatus, nullable=False, default=RunStatus.draft)
    seq: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)  # 1 regular, 2.. adjusting
    total: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    chairs: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    computed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    locked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    job_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)

    lines = relationship("AllowanceLine", lazy="raise", cascade="all, delete-orphan",
                         order_by="AllowanceLine.id")

    __table_args__ = (sa.UniqueConstraint("tenant_id", "month", "seq"),
                      sa.Index("ix_allowance_runs_tenant_month", "tenant_id", "month"))

    @property
    def status_label(self) -> str:
        return RUN_STATUS_LABELS[self.status.value]

    @property
    def kind_label(self) -> str:
        return RUN_KIND_LABELS[self.kind.value]


class AllowanceLine(TenantScoped, db.Model):
    """One chair's allowance for one rate period inside the month (a mid-month rate change makes
    two lines); an adjusting run's line is a difference against what was paid."""

    __tablename__ = "allowance_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("allowance_runs.id", ondelete="CASCADE"), nullable=False,
                                        index=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    school: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    degree_level: Mapped[str] = mapped_column(sa.String(4), nullable=False)
    period_start: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    period_end: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    month_days: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    monthly_amount: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    rate_scope: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)  # national | own
    rate_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    rate_version: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)  # "national:本科:2026-01-01"
    rate_source: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    ended_reason: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)  # removed / left / completed
    note: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)


# --- dormitory beds and welfare (A15) -------------------------------------------------------

class Bed(TenantScoped, db.Model):
    __tablename__ = "incentive_beds"

    id: Mapped[int] = mapped_column(primary_key=True)
    building: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    room: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    bed: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "building", "room", "bed"),)

    @property
    def label(self) -> str:
        return f"{self.building} {self.room} 室 {self.bed} 床"


class BedAssignment(TenantScoped, db.Model):
    """A15: a bed held by a chair from a date to a date inside the term; released at the term's
    end (``ends_on``) or earlier on removal (``released_on``); rows are never deleted."""

    __tablename__ = "incentive_bed_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    bed_id: Mapped[int] = mapped_column(sa.ForeignKey("incentive_beds.id"), nullable=False, index=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id"), nullable=False, index=True)
    starts_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    released_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    release_reason: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    bed = relationship("Bed", lazy="joined")
    residency = relationship("Residency", lazy="joined")

    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="assignment_order"),)

    @property
    def last_day(self) -> dt.date:
        """The last night held: the earlier of the planned end and the release."""
        return min(self.ends_on, self.released_on) if self.released_on else self.ends_on


class WelfareGrant(TenantScoped, db.Model):
    """A15: one welfare item (工会福利, by the standard of the CYL central staff) given to a chair."""

    __tablename__ = "incentive_welfare_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id"), nullable=False, index=True)
    item: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    given_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    note: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    given_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    residency = relationship("Residency", lazy="joined")


# --- suspension of schooling and seniority (A16) --------------------------------------------

class SchoolingStatus(StrEnum):
    suspended = "suspended"          # 已办理休学（学校批准为证）
    not_suspended = "not_suspended"  # 未能休学（说明原因）


SCHOOLING_LABELS = {"suspended": "已休学", "not_suspended": "未休学"}


class Schooling(TenantScoped, TimestampMixin, db.Model):
    """A16: whether the chair suspended schooling for the year, with its evidence or reason."""

    __tablename__ = "incentive_schooling"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id"), nullable=False, unique=True)
    status: Mapped[SchoolingStatus] = enum_column(SchoolingStatus, nullable=False)
    approval_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vault_files.id"), nullable=True)
    approval_ref: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)  # the school's 文号
    reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    certificate_number: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)

    residency = relationship("Residency", lazy="joined")

    @property
    def status_label(self) -> str:
        return SCHOOLING_LABELS[self.status.value]


class SuspensionLetter(TenantScoped, db.Model):
    """A16: the letter asking the sending school to suspend the chair's schooling (商请休学函),
    numbered (文号, per calendar year of issue) the first time it is produced; later copies carry
    the same number and date."""

    __tablename__ = "incentive_suspension_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id"), nullable=False, unique=True)
    number: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    issued_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "number"),)


# --- the Young Marxist training program (A17) ----------------------------------------------

class YmpStatus(StrEnum):
    recommended = "recommended"
    admitted = "admitted"
    completed = "completed"


YMP_LABELS = {"recommended": "已推荐", "admitted": "已录取", "completed": "已结业"}


class YmpRecommendation(TenantScoped, TimestampMixin, db.Model):
    """A17: the secretariat recommends a chair to the university class of 青年马克思主义者培养工程."""

    __tablename__ = "incentive_ymp"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id"), nullable=False, unique=True)
    status: Mapped[YmpStatus] = enum_column(YmpStatus, nullable=False, default=YmpStatus.recommended)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    warnings: Mapped[Any] = mapped_column(sa.JSON, nullable=False, default=list)
    recommended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    residency = relationship("Residency", lazy="joined")

    @property
    def status_label(self) -> str:
        return YMP_LABELS[self.status.value]


# --- the work appraisal (工作鉴定, A17) ------------------------------------------------------

class AppraisalStatus(StrEnum):
    draft = "draft"              # drafted from the record
    summarized = "summarized"    # the chair's 个人总结 is in
    concluded = "concluded"      # the secretariat's conclusion is in
    issued = "issued"            # numbered, locked, hashed
    sent = "sent"                # sent to the sending school for the archive (档案)


APPRAISAL_LABELS = {"draft": "草稿", "summarized": "已提交个人总结", "concluded": "已作出结论", "issued": "已印发",
                    "sent": "已送派出学校"}


class Appraisal(TenantScoped, TimestampMixin, db.Model):
    """A17: one version of a chair's work appraisal. Issued, it is never edited: a correction is
    a new version naming the one it replaces (``supersedes_id``)."""

    __tablename__ = "incentive_appraisals"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id"), nullable=False, index=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incentive_appraisals.id"), nullable=True)
    correction_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    status: Mapped[AppraisalStatus] = enum_column(AppraisalStatus, nullable=False, default=AppraisalStatus.draft)
    statements: Mapped[Any] = mapped_column(sa.JSON, nullable=False, default=list)  # [{section,text,article,refs}]
    gaps: Mapped[Any] = mapped_column(sa.JSON, nullable=False, default=list)        # [{section,text,article}]
    self_summary: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    conclusion: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    conclusion_note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    number: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    issued_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    docx_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vault_files.id"), nullable=True)
    pdf_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vault_files.id"), nullable=True)
    sent_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    # sent to the sending school through the outbox, tracked like the A6.1 letters
    # (portal.core.delivery): 待送达 until the liaison's message goes out or a delivery by hand
    # (fax, post, in person) is recorded.
    sent_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    delivery_method: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    delivery_note: Mapped[str | None] = mapped_column(sa.String(400), nullable=True)
    delivery_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    drafted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    residency = relationship("Residency", lazy="joined")
    opinions = relationship("AppraisalOpinion", lazy="selectin", cascade="all, delete-orphan",
                            order_by="AppraisalOpinion.id")

    __table_args__ = (sa.UniqueConstraint("residency_id", "version"),
                      sa.UniqueConstraint("tenant_id", "number"))

    @property
    def status_label(self) -> str:
        return APPRAISAL_LABELS[self.status.value]

    @property
    def delivery_state(self) -> str:
        from portal.core.delivery import state

        return state(self.sent_at, self.delivered_at)

    @property
    def delivery_label(self) -> str:
        from portal.core.delivery import DELIVERY_METHODS, STATE_LABELS

        label = STATE_LABELS[self.delivery_state]
        if self.delivered_at is not None and self.delivery_method in DELIVERY_METHODS:
            label += f"（{DELIVERY_METHODS[self.delivery_method]}）"
        return label


class AppraisalOpinion(TenantScoped, db.Model):
    """A17: the opinion of one department the chair worked in, by its head (from the segments)."""

    __tablename__ = "incentive_appraisal_opinions"

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(sa.ForeignKey("incentive_appraisals.id", ondelete="CASCADE"),
                                              nullable=False, index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), nullable=False)
    department_name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    opinion: Mapped[str] = mapped_column(sa.Text, nullable=False)
    given_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    given_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    __table_args__ = (sa.UniqueConstraint("appraisal_id", "department_id"),)
