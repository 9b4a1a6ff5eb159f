"""Chapter 2 (A4-A7): the annual selection cycle, from invitation letters to appointment."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core import vault
from portal.core.db import StrEnum, TenantScoped, TimestampMixin, enum_column, utcnow
from portal.core.idcard import mask_id_number
from portal.extensions import db


class CycleStatus(StrEnum):
    open = "open"                # letters being sent, nominations accepted (A6.1, A6.2)
    reviewing = "reviewing"      # A6.3
    examining = "examining"      # A6.4
    deciding = "deciding"        # A6.5 proposal and approval
    publicizing = "publicizing"  # A6.5 public notice
    closed = "closed"


CYCLE_STATUS_LABELS = {
    CycleStatus.open: "推荐中", CycleStatus.reviewing: "审查考察", CycleStatus.examining: "笔试面试",
    CycleStatus.deciding: "研究决定", CycleStatus.publicizing: "公示中", CycleStatus.closed: "已结束",
}


class Route(StrEnum):
    rotation = "rotation"    # 轮值 (A4)
    selection = "selection"  # 遴选 (A4)


ROUTE_LABELS = {Route.rotation: "轮值", Route.selection: "遴选"}


class NominationStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    eligibility_checked = "eligibility_checked"
    under_review = "under_review"
    reviewed = "reviewed"
    examined = "examined"
    ranked = "ranked"
    proposed = "proposed"
    approved = "approved"
    publicized = "publicized"
    appointed = "appointed"
    disqualified = "disqualified"
    withdrawn = "withdrawn"


STATUS_LABELS = {
    NominationStatus.draft: "草稿", NominationStatus.submitted: "已报送",
    NominationStatus.eligibility_checked: "资格已核", NominationStatus.under_review: "审查考察中",
    NominationStatus.reviewed: "已考察", NominationStatus.examined: "已考试",
    NominationStatus.ranked: "已排名", NominationStatus.proposed: "拟任人选",
    NominationStatus.approved: "已批准", NominationStatus.publicized: "公示中",
    NominationStatus.appointed: "已任用", NominationStatus.disqualified: "已取消资格",
    NominationStatus.withdrawn: "已撤回",
}

# The funnel order (dashboard, A6).
PIPELINE = [s for s in NominationStatus if s not in (NominationStatus.disqualified, NominationStatus.withdrawn)]

GENDERS = ("男", "女")
POLITICAL_STATUSES = ("中共党员", "中共预备党员", "共青团员", "群众", "民主党派成员")
# What schools write for them daily, read as the canonical value (and shown as read).
POLITICAL_STATUS_ALIASES = {
    "党员": "中共党员", "共产党员": "中共党员", "中国共产党党员": "中共党员", "正式党员": "中共党员",
    "预备党员": "中共预备党员", "中国共产党预备党员": "中共预备党员", "共产党预备党员": "中共预备党员",
    "团员": "共青团员", "中国共产主义青年团团员": "共青团员", "共青团团员": "共青团员",
}
DEGREE_LEVELS = ("本科生", "硕士研究生", "博士研究生")
PRESIDIUM_POSITIONS = ("主席", "副主席", "主席团成员")
YES_NO = ("是", "否")


@dataclass(frozen=True)
class PinnedOverride:
    """One rule a tenant had overridden when a cycle opened (A22), as pinned (A23)."""
    rule: Any
    value: Any
    national_value: Any
    reason: str | None

    def as_json(self) -> dict:
        return {"key": self.rule.key, "label": self.rule.label, "article": self.rule.article,
                "citation": self.rule.citation, "unit": self.rule.unit, "value": self.value,
                "national_value": self.national_value, "reason": self.reason}


class SelectionCycle(TenantScoped, TimestampMixin, db.Model):
    """One academic year's selection in one tenant (A4), with its rules pinned (A23)."""

    __tablename__ = "selection_cycles"

    id: Mapped[int] = mapped_column(primary_key=True)
    academic_year: Mapped[str] = mapped_column(sa.String(9), nullable=False)  # 2026-2027
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    quota: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    rotation_quota: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    selection_quota: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[CycleStatus] = enum_column(CycleStatus, nullable=False, default=CycleStatus.open)
    opened_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    # A23: the rules in force when the cycle opened; every later read uses this snapshot.
    rules_version: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    rules_snapshot: Mapped[Any] = mapped_column(sa.JSON, nullable=False)
    # A22: the tenant's overrides in force at opening, {key: {"value", "national_value", "reason"}};
    # NULL for cycles opened before they were recorded (see ``overrides_at_opening``).
    rules_overrides: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    steps = relationship("CycleStep", lazy="selectin", order_by="CycleStep.position",
                         cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "academic_year"),
        sa.CheckConstraint("quota > 0 AND rotation_quota >= 0 AND selection_quota >= 0 "
                           "AND rotation_quota + selection_quota = quota", name="quota_split"),
    )

    def rule(self, key: str):
        """A rule value as pinned at opening (A23)."""
        from tenants.rules.registry import REGISTRY

        REGISTRY[key]  # unknown keys raise
        if key in self.rules_snapshot:
            return self.rules_snapshot[key]
        return REGISTRY[key].default  # a rule added to the registry after this cycle opened

    @property
    def status_label(self) -> str:
        return CYCLE_STATUS_LABELS[self.status]

    @property
    def overrides_at_opening(self) -> list["PinnedOverride"]:
        """The version label alone hides local differences (A22): the tenant's overrides that
        were in force when the cycle opened, in registry order."""
        from tenants.rules.registry import REGISTRY

        recorded = self.rules_overrides
        if recorded is None:  # opened before overrides were recorded: compare with the version
            from tenants.rules.models import RulesetVersion

            version = db.session.scalar(sa.select(RulesetVersion).where(RulesetVersion.code == self.rules_version))
            national = {**REGISTRY.defaults(), **(version.as_dict() if version else {})}
            recorded = {k: {"value": v, "national_value": national.get(k), "reason": None}
                        for k, v in (self.rules_snapshot or {}).items()
                        if k in REGISTRY and v != national.get(k)}
        return [PinnedOverride(r, recorded[r.key]["value"], recorded[r.key]["national_value"],
                               recorded[r.key].get("reason")) for r in REGISTRY if r.key in recorded]

    def review_body(self, level) -> str:
        """A6.3: who signs each review level, named from the tenant's pinned rules: the tenant's
        own secretariat (「全国学联秘书处」, 「广东省学联秘书处」) and the one it reviews with
        (「省级学联秘书处」 for the national federation, a province's choice for its own)."""
        if ReviewLevel(level) == ReviewLevel.national:
            return f"{self.rule('federation.name')}秘书处"
        return self.rule("selection.review_partner_body")

    @property
    def rules_label(self) -> str:
        """「2024」 or 「2024 + 本地调整 3 项」: the version with the overrides pinned beside it."""
        n = len(self.overrides_at_opening)
        return f"{self.rules_version} + 本地调整 {n} 项" if n else self.rules_version

    def step(self, key: str) -> "CycleStep | None":
        return next((s for s in self.steps if s.key == key), None)


class CycleStep(TenantScoped, db.Model):
    """The cycle's timeline: each step with its deadline in working days."""

    __tablename__ = "selection_cycle_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_cycles.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    key: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    label: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    article: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    starts_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    due_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    __table_args__ = (sa.UniqueConstraint("cycle_id", "key"),)


class RotationEntry(TenantScoped, db.Model):
    """A4: the rotation roster — presidium member organizations' turn order and service."""

    __tablename__ = "selection_rotation_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    union_id: Mapped[int] = mapped_column(sa.ForeignKey("student_unions.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    last_served_year: Mapped[str | None] = mapped_column(sa.String(9), nullable=True)
    times_served: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    # Every academic year the organization sent a chair by rotation (who served when).
    served_years: Mapped[Any] = mapped_column(sa.JSON, nullable=False, default=list, server_default="[]")

    union = relationship("StudentUnion", lazy="joined")

    __table_args__ = (sa.UniqueConstraint("tenant_id", "union_id"),)

    @property
    def years(self) -> list[str]:
        """Years served, including a last year recorded before years were kept."""
        return sorted(set(self.served_years or []) | ({self.last_served_year} if self.last_served_year else set()))


class Invitation(TenantScoped, TimestampMixin, db.Model):
    """A6.1: the letter to a school's party committee; also the school's per-cycle row
    that nominations lock (A6.2 nominee limit)."""

    __tablename__ = "selection_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_cycles.id", ondelete="CASCADE"), nullable=False, index=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), nullable=False, index=True)
    route: Mapped[Route] = enum_column(Route, nullable=False)
    letter_number: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    docx_document_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    pdf_document_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    # How it reached the school: email (the outbox, to the liaison) or, recorded by hand for a
    # school without a liaison, fax / post / in_person, with who handed it to whom.
    delivery_method: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    delivery_note: Mapped[str | None] = mapped_column(sa.String(400), nullable=True)
    delivery_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    opened_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    # A6.2: more than the rules' number only with a recorded reason.
    extra_nominees: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    extra_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # Bumped under the row lock on every submission: the concurrency witness.
    submissions: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    school = relationship("School", lazy="joined")
    # Not joined: a list of thousands of letters would carry the cycle and its rules JSON on
    # every row. A lazy load of the cycle comes from the identity map once it is loaded.
    cycle = relationship("SelectionCycle", lazy="select")

    # A6.1: a letter's number (文号) is issued once, from the tenant's counter, never shared.
    __table_args__ = (sa.UniqueConstraint("cycle_id", "school_id"), sa.UniqueConstraint("tenant_id", "letter_number"))


class Nomination(TenantScoped, TimestampMixin, db.Model):
    """A6.2: a school's recommended candidate."""

    __tablename__ = "selection_nominations"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_cycles.id", ondelete="CASCADE"), nullable=False, index=True)
    invitation_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_invitations.id"), nullable=False, index=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), nullable=False, index=True)
    union_id: Mapped[int] = mapped_column(sa.ForeignKey("student_unions.id"), nullable=False)
    status: Mapped[NominationStatus] = enum_column(NominationStatus, nullable=False, default=NominationStatus.draft, index=True)
    route: Mapped[Route] = enum_column(Route, nullable=False)
    source: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="web")  # web | xlsx | api
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    gender: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    ethnicity: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    birth_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    id_number: Mapped[str] = mapped_column(sa.String(18), nullable=False)
    political_status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    presidium_position: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    elected_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)  # by the student (graduate) congress
    degree_level: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    major: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    grade_rank: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    grade_cohort: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    baoyan_eligible: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    languages: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    computer_skills: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    discipline_record: Mapped[str | None] = mapped_column(sa.Text, nullable=True)  # None = 无
    phone: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    email: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    publicity_start: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    publicity_end: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    exam_score: Mapped[float | None] = mapped_column(sa.Numeric(5, 2), nullable=True)
    interview_score: Mapped[float | None] = mapped_column(sa.Numeric(5, 2), nullable=True)
    total_score: Mapped[float | None] = mapped_column(sa.Numeric(6, 3), nullable=True)
    rank: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    panel_id: Mapped[int | None] = mapped_column(sa.ForeignKey("selection_interview_panels.id"), nullable=True)

    school = relationship("School", lazy="joined")
    union = relationship("StudentUnion", lazy="joined")
    cycle = relationship("SelectionCycle", lazy="raise")
    checks = relationship("EligibilityCheck", lazy="raise", order_by="EligibilityCheck.item",
                          cascade="all, delete-orphan")
    reviews = relationship("Review", lazy="raise", cascade="all, delete-orphan")
    attachments = relationship("NominationAttachment", lazy="raise", cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("cycle_id", "id_number"),
        # The list's orders (school order, then id) and the stage lists walk these, not the cycle.
        sa.Index("ix_selection_nominations_cycle_school_id", "cycle_id", "school_id", "id"),
        sa.Index("ix_selection_nominations_cycle_status_school", "cycle_id", "status", "school_id", "id"),
        sa.Index("ix_selection_nominations_cycle_rank", "cycle_id", "rank", "id"),
        sa.CheckConstraint("publicity_end >= publicity_start", name="publicity_order"),
        sa.CheckConstraint("grade_rank >= 1 AND grade_cohort >= grade_rank", name="grade_rank"),
    )

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def route_label(self) -> str:
        return ROUTE_LABELS[self.route]


class NominationAttachment(TenantScoped, db.Model):
    """Photo and supporting files, checked by content, stored under a generated name."""

    __tablename__ = "selection_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_nominations.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # photo | publicity | evidence
    original_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    stored_name: Mapped[str] = mapped_column(sa.String(80), nullable=False, unique=True)
    file_type: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # pdf | jpg | png
    size: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    uploaded_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    # The file itself, in the vault (None only for a legacy row whose file was missing when migrated).
    file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vault_files.id", ondelete="CASCADE"),
                                                nullable=True, index=True)


# A file whose write never completed takes its attachment row with it (the sweep).
vault.register_referrer(vault.Referrer("selection.attachment", "selection_attachments"))


class CheckResult(StrEnum):
    passed = "passed"
    failed = "failed"
    pending = "pending"


class EligibilityCheck(TenantScoped, db.Model):
    """A5: one eligibility item, automatic or attested, with its reason and evidence."""

    __tablename__ = "selection_eligibility_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_nominations.id", ondelete="CASCADE"), nullable=False, index=True)
    item: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # A5.1 ... A5.5
    automatic: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    result: Mapped[CheckResult] = enum_column(CheckResult, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    evidence: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    checked_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    __table_args__ = (sa.UniqueConstraint("nomination_id", "item"),)


class ReviewLevel(StrEnum):
    provincial = "provincial"  # the provincial federation's secretariat (A6.3)
    national = "national"      # the ACSF secretariat


class Review(TenantScoped, db.Model):
    """A6.3: qualification review and inspection (考察), signed off per level."""

    __tablename__ = "selection_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_nominations.id", ondelete="CASCADE"), nullable=False, index=True)
    level: Mapped[ReviewLevel] = enum_column(ReviewLevel, nullable=False)
    qualified: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    qualification_notes: Mapped[str] = mapped_column(sa.Text, nullable=False)
    inspection_report: Mapped[str] = mapped_column(sa.Text, nullable=False)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    signed_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    __table_args__ = (sa.UniqueConstraint("nomination_id", "level"),)


class InterviewPanel(TenantScoped, db.Model):
    """A6.4: an interview panel; its members drawn from the cycle's pool."""

    __tablename__ = "selection_interview_panels"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_cycles.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    scheduled_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    draw_seed: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    draw_record: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    drawn_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)


class Panelist(TenantScoped, db.Model):
    """An interviewer in the cycle's pool (panel_id set once drawn)."""

    __tablename__ = "selection_panelists"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_cycles.id", ondelete="CASCADE"), nullable=False, index=True)
    panel_id: Mapped[int | None] = mapped_column(sa.ForeignKey("selection_interview_panels.id"), nullable=True)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    affiliation: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id"), nullable=True)
    province_code: Mapped[str | None] = mapped_column(sa.String(2), nullable=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)


class PanelConflict(TenantScoped, db.Model):
    """A declared conflict of interest between a panelist and a candidate (A7)."""

    __tablename__ = "selection_panel_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    panelist_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_panelists.id", ondelete="CASCADE"), nullable=False, index=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_nominations.id", ondelete="CASCADE"), nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    __table_args__ = (sa.UniqueConstraint("panelist_id", "nomination_id"),)


class InterviewScore(TenantScoped, db.Model):
    """A6.4: one panelist's score for one candidate, weighted from the rubric's items."""

    __tablename__ = "selection_interview_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_nominations.id", ondelete="CASCADE"), nullable=False, index=True)
    panelist_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_panelists.id", ondelete="CASCADE"), nullable=False)
    score: Mapped[float] = mapped_column(sa.Numeric(5, 2), nullable=False)
    # {rubric item: "score"} as entered; None when only the panelist's total was given.
    criteria: Mapped[Any] = mapped_column(sa.JSON, nullable=True)

    __table_args__ = (sa.UniqueConstraint("nomination_id", "panelist_id"),
                      sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"))


class PublicNotice(TenantScoped, db.Model):
    """A6.5: the 公示 on the federation's website, at least N working days."""

    __tablename__ = "selection_public_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_cycles.id", ondelete="CASCADE"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    website_name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    starts_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    min_workdays: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    nomination_ids: Mapped[Any] = mapped_column(sa.JSON, nullable=False)
    pdf_document_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    published_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="window_order"),)

    def is_open(self, today: dt.date) -> bool:
        return self.starts_on <= today <= self.ends_on


class ObjectionStatus(StrEnum):
    received = "received"
    upheld = "upheld"
    rejected = "rejected"


OBJECTION_LABELS = {ObjectionStatus.received: "待核查", ObjectionStatus.upheld: "异议成立",
                    ObjectionStatus.rejected: "异议不成立"}


class Objection(TenantScoped, db.Model):
    """An objection raised during the public notice (A6.5), possibly anonymous."""

    __tablename__ = "selection_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_public_notices.id", ondelete="CASCADE"), nullable=False, index=True)
    nomination_id: Mapped[int | None] = mapped_column(sa.ForeignKey("selection_nominations.id"), nullable=True)
    content: Mapped[str] = mapped_column(sa.Text, nullable=False)
    contact: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)
    status: Mapped[ObjectionStatus] = enum_column(ObjectionStatus, nullable=False, default=ObjectionStatus.received)
    outcome: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    handled_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    # The public form's one-time id (portal/core/challenge.py): the same form posted twice
    # makes one objection.
    form_token: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "form_token"),)

    @property
    def status_label(self) -> str:
        return OBJECTION_LABELS[self.status]


class Disqualification(TenantScoped, db.Model):
    """A7: a candidate disqualified at any stage, with reason and evidence."""

    __tablename__ = "selection_disqualifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_nominations.id", ondelete="CASCADE"), nullable=False, unique=True)
    stage: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    evidence: Mapped[str] = mapped_column(sa.Text, nullable=False)
    slot_action: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    replacement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("selection_nominations.id"), nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)


# Chapter 3 owns the chair's record (portal.residency); the name stays importable from here.
from portal.residency.models import Chair  # noqa: E402,F401
