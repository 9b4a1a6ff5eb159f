"""Chapter 3 (A8–A14): the chair's record and the year in residence.

Foreign keys to selection's tables are named by table, so this module imports nothing of
selection (selection re-exports :class:`Chair`; residency hears of appointments by signal).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import StrEnum, TenantScoped, TimestampMixin, enum_column
from portal.extensions import db


class Chair(TenantScoped, TimestampMixin, db.Model):
    """A confirmed resident executive chair (驻会执行主席), created by the appointment (A6.5)."""

    __tablename__ = "chairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_cycles.id"), nullable=False, index=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_nominations.id"), nullable=False, unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    term_start: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    term_end: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    school = relationship("School", lazy="joined")

    __table_args__ = (sa.CheckConstraint("term_end > term_start", name="term_order"),)


class ResidencyStatus(StrEnum):
    in_residence = "in_residence"
    completed = "completed"
    removed = "removed"   # A18: 取消驻会资格
    left = "left"         # A21: 劝退 or leaving early


STATUS_LABELS = {"in_residence": "驻会中", "completed": "已期满", "removed": "已取消驻会资格", "left": "已离会"}
ENDED = (ResidencyStatus.completed, ResidencyStatus.removed, ResidencyStatus.left)


class Residency(TenantScoped, TimestampMixin, db.Model):
    """One chair's year in residence (A8), under the rules pinned by its selection cycle (A23)."""

    __tablename__ = "residencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    chair_id: Mapped[int] = mapped_column(sa.ForeignKey("chairs.id", ondelete="CASCADE"), nullable=False, unique=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_cycles.id"), nullable=False, index=True)
    cohort: Mapped[str] = mapped_column(sa.String(9), nullable=False, index=True)  # the academic year
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), nullable=False)
    union_id: Mapped[int | None] = mapped_column(sa.ForeignKey("student_unions.id"), nullable=True)
    post: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)           # A12: current post
    working_group: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)  # A13
    term_start: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    term_end: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    appointed_term_end: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[ResidencyStatus] = enum_column(ResidencyStatus, nullable=False,
                                                  default=ResidencyStatus.in_residence, index=True)
    ended_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    rules_version: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    rules_snapshot: Mapped[Any] = mapped_column(sa.JSON, nullable=False)

    chair = relationship("Chair", lazy="joined")
    school = relationship("School", lazy="joined")
    union = relationship("StudentUnion", lazy="joined")

    __table_args__ = (sa.CheckConstraint("term_end >= term_start", name="term_order"),)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status.value]

    @property
    def name(self) -> str:
        return self.chair.name

    def rule(self, key: str):
        """A rule value as pinned by the cycle (A23); a rule added later reads its default."""
        from tenants.rules.registry import REGISTRY

        REGISTRY[key]
        if key in (self.rules_snapshot or {}):
            return self.rules_snapshot[key]
        return REGISTRY[key].default


class Talk(TenantScoped, db.Model):
    """A9: a one-to-one talk (谈心谈话) by a department head, the details of an a9_talk record.
    Its content (the record's content, the topic, the follow-up) is read only by the head who
    held it, the chair, and the secretariat officers the tenant designates (:class:`TalkReader`)."""

    __tablename__ = "residency_talks"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("obligation_records.id", ondelete="CASCADE"),
                                           nullable=False, unique=True)
    talked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    place: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    others_present: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    topic: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    follow_up: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    talked_by = relationship("User", lazy="joined")


class TalkReader(TenantScoped, db.Model):
    """A secretariat officer the tenant designates to read talk content (A9)."""

    __tablename__ = "residency_talk_readers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    designated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")

    __table_args__ = (sa.UniqueConstraint("tenant_id", "user_id"),)


class LeadershipMeeting(TenantScoped, db.Model):
    """A9: a meeting between the approving body's leaders (团中央书记处同志) and the chairs."""

    __tablename__ = "residency_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    place: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    leaders: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    minutes: Mapped[str] = mapped_column(sa.Text, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    attendees = relationship("MeetingAttendee", lazy="selectin", cascade="all, delete-orphan")


class MeetingAttendee(TenantScoped, db.Model):
    __tablename__ = "residency_meeting_attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("residency_meetings.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id", ondelete="CASCADE"), nullable=False,
                                              index=True)

    residency = relationship("Residency", lazy="joined")

    __table_args__ = (sa.UniqueConstraint("meeting_id", "residency_id"),)


class RotationSegment(TenantScoped, TimestampMixin, db.Model):
    """A12: one stretch of a chair's post rotation — a post in a department from one date to
    another. ``head_user_id`` is the department head for this segment (copied from the department
    when the segment is made): the one who owes the A9 talks inside it and gives the department's
    opinion on the A17 appraisal. A segment that breaks "in principle every half year"
    (``residency.rotation_period_months``) carries ``deviation_reason``."""

    __tablename__ = "residency_rotation_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id", ondelete="CASCADE"), nullable=False)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), nullable=False, index=True)
    post: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    starts_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    head_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    deviation_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    residency = relationship("Residency", lazy="joined")
    department = relationship("Department", lazy="joined")
    head = relationship("User", foreign_keys=[head_user_id], lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="segment_order"),
        sa.Index("ix_residency_rotation_segments_residency_starts", "residency_id", "starts_on"),
    )


class PlanStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    discarded = "discarded"


PLAN_STATUS_LABELS = {"proposed": "待确认", "accepted": "已采用", "discarded": "已作废"}


class RotationPlan(TenantScoped, TimestampMixin, db.Model):
    """A12: a proposed rotation plan for one cohort (the planner's rows, previewed before it is
    accepted). Accepting it makes its segments, once (a compare-and-set on ``status``)."""

    __tablename__ = "residency_rotation_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort: Mapped[str] = mapped_column(sa.String(9), nullable=False, index=True)
    status: Mapped[PlanStatus] = enum_column(PlanStatus, nullable=False, default=PlanStatus.proposed)
    period_months: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    rows: Mapped[Any] = mapped_column(sa.JSON, nullable=False)  # [{residency_id, department_id, post, starts_on, ends_on}]
    proposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    @property
    def status_label(self) -> str:
        return PLAN_STATUS_LABELS[self.status.value]


class WorkingGroup(TenantScoped, db.Model):
    """A13: one of the federation committee's working groups (``residency.working_groups``) for
    one cohort, led by one or more chairs, with its member organizations (小组成员单位)."""

    __tablename__ = "residency_working_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort: Mapped[str] = mapped_column(sa.String(9), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    sort: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    leads = relationship("WorkingGroupLead", lazy="selectin", cascade="all, delete-orphan",
                         order_by="WorkingGroupLead.id")
    members = relationship("WorkingGroupMember", lazy="selectin", cascade="all, delete-orphan",
                           order_by="WorkingGroupMember.id")

    __table_args__ = (sa.UniqueConstraint("tenant_id", "cohort", "name"),)


class WorkingGroupLead(TenantScoped, db.Model):
    """A13: a chair leading a group (a chair leads one group; ``Residency.working_group`` mirrors it)."""

    __tablename__ = "residency_working_group_leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("residency_working_groups.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id", ondelete="CASCADE"), nullable=False,
                                              unique=True)

    residency = relationship("Residency", lazy="joined")


class WorkingGroupMember(TenantScoped, db.Model):
    """A13: a member organization of a group, drawn from the A2 presidium registry."""

    __tablename__ = "residency_working_group_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("residency_working_groups.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    union_id: Mapped[int] = mapped_column(sa.ForeignKey("student_unions.id"), nullable=False)

    union = relationship("StudentUnion", lazy="joined")

    __table_args__ = (sa.UniqueConstraint("group_id", "union_id"),)


class WorkingGroupActivity(TenantScoped, db.Model):
    """A13: one activity of a group (date, title, member organizations taking part, outcome)."""

    __tablename__ = "residency_working_group_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("residency_working_groups.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    held_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    outcome: Mapped[str] = mapped_column(sa.Text, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    group = relationship("WorkingGroup", lazy="joined")
    participants = relationship("WorkingGroupParticipant", lazy="selectin", cascade="all, delete-orphan")


class WorkingGroupParticipant(TenantScoped, db.Model):
    __tablename__ = "residency_working_group_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("residency_working_group_activities.id",
                                                           ondelete="CASCADE"), nullable=False, index=True)
    union_id: Mapped[int] = mapped_column(sa.ForeignKey("student_unions.id"), nullable=False)

    union = relationship("StudentUnion", lazy="joined")

    __table_args__ = (sa.UniqueConstraint("activity_id", "union_id"),)
from portal.residency.relations_models import (  # noqa: E402,F401  (A14: one metadata)
    CalendarToken, DuesPayment, OrgLifeRecord, RelationTransfer,
)
