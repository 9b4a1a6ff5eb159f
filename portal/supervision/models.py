"""Chapter 5 (A18, A19, A21): cases against a chair, outside activities, and their files.

Foreign keys to residency's tables are named by table; this module imports no other feature.
A20 (confidentiality) lives in ``portal.confidentiality``.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import StrEnum, TenantScoped, TimestampMixin, enum_column, utcnow
from portal.extensions import db


class CaseKind(StrEnum):
    removal = "removal"        # A18: 取消驻会资格, approved by the higher body
    discipline = "discipline"  # A21: 批评教育 / 责令检讨 / 劝退, a secretariat measure


KIND_LABELS = {"removal": "取消驻会资格", "discipline": "纪律处置"}


class CaseStatus(StrEnum):
    open = "open"                            # 已立案
    hearing = "hearing"                      # 待申辩
    heard = "heard"                          # 已申辩（或申辩期满）
    awaiting_approval = "awaiting_approval"  # A18: 报批中
    approved = "approved"                    # A18: 已批准（通报前）
    notified = "notified"                    # A18: 已通报派出学校党委
    refused = "refused"                      # A18: 审批机关未批准
    awaiting_self_criticism = "awaiting_self_criticism"  # A21 责令检讨: 待提交检讨书
    self_criticism_filed = "self_criticism_filed"        # A21: 检讨书待审
    closed = "closed"                        # A21: 处置完毕
    withdrawn = "withdrawn"                  # 撤销立案


CASE_STATUS_LABELS = {
    "open": "已立案", "hearing": "待申辩", "heard": "已申辩", "awaiting_approval": "报批中",
    "approved": "已批准", "notified": "已通报学校", "refused": "未获批准",
    "awaiting_self_criticism": "待提交检讨书", "self_criticism_filed": "检讨书待审", "closed": "已办结",
    "withdrawn": "已撤销",
}
OPEN_CASE = (CaseStatus.open, CaseStatus.hearing, CaseStatus.heard, CaseStatus.awaiting_approval,
             CaseStatus.awaiting_self_criticism, CaseStatus.self_criticism_filed)


class SupervisionCase(TenantScoped, TimestampMixin, db.Model):
    """One case against one chair: an A18 removal or an A21 disciplinary case.

    Facts and evidence (vault files), the chair's statement (申辩) by a working-day deadline,
    then either the request to the approving body (A18) or the measure chosen from the ladder
    with its reason (A21); the notice to the sending school when the residency ends."""

    __tablename__ = "supervision_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    kind: Mapped[CaseKind] = enum_column(CaseKind, nullable=False)
    status: Mapped[CaseStatus] = enum_column(CaseStatus, nullable=False, default=CaseStatus.open, index=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    ground: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)     # A18: from the rule's list
    facts: Mapped[str] = mapped_column(sa.Text, nullable=False)
    occurred_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    # the hearing (申辩)
    statement_due: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    statement: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    statement_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    # A18: the request to the approving body (portal.core.approvals) and its decision
    approval_request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("approval_requests.id"), nullable=True)
    decision_number: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    decision_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    approving_body: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    # A21: the measure chosen from the ladder and why
    measure: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    measure_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    measure_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    self_criticism_due: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    self_criticism_note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)  # why it was returned
    # an A19 activity reported afterwards without approval
    activity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supervision_activities.id", ondelete="SET NULL"),
                                                    nullable=True)
    # the notice (通报) to the sending school's party committee, tracked like the A6.1 letters
    notice_number: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    notice_docx_document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("generated_documents.id"), nullable=True)
    notice_pdf_document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("generated_documents.id"), nullable=True)
    notice_sent_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    notice_delivered_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    delivery_method: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    delivery_note: Mapped[str | None] = mapped_column(sa.String(400), nullable=True)
    delivery_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    residency = relationship("Residency", lazy="joined")
    opened_by = relationship("User", foreign_keys=[opened_by_id], lazy="joined")

    @property
    def status_label(self) -> str:
        return CASE_STATUS_LABELS[self.status.value]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind.value]

    @property
    def article(self) -> str:
        return "A18" if self.kind == CaseKind.removal else "A21"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE

    @property
    def delivery_label(self) -> str:
        if self.notice_sent_at is None:
            return "未发出"
        return "已送达" if self.notice_delivered_at is not None else "待送达"


class ActivityKind(StrEnum):
    position = "position"    # 兼任社会职务
    event = "event"          # 参加活动
    article = "article"      # 发表文章
    interview = "interview"  # 接受采访


ACTIVITY_KIND_LABELS = {"position": "兼任社会职务", "event": "参加活动", "article": "发表文章", "interview": "接受采访"}
# A19: what each kind must bring (the artefact the approvers judge it by).
ACTIVITY_ARTEFACTS = {"position": "邀请函（聘任函）", "event": "邀请函", "article": "文章草稿", "interview": "采访提纲"}
# For articles and interviews, the outlet (刊物、媒体) is named too.
NEEDS_OUTLET = ("article", "interview")


class Capacity(StrEnum):
    federation = "federation"  # 以全国学联名义
    chair = "chair"            # 以驻会执行主席名义


class ActivityStatus(StrEnum):
    pending = "pending"        # 待审批
    approved = "approved"      # 已批准
    refused = "refused"        # 未批准
    lapsed = "lapsed"          # 逾期未批（活动日前未作决定）
    filed = "filed"            # 已报备结果
    closed = "closed"          # 驻会结束而关闭
    unapproved = "unapproved"  # 事后发现未经批准


ACTIVITY_STATUS_LABELS = {"pending": "待审批", "approved": "已批准", "refused": "未批准", "lapsed": "逾期未批",
                          "filed": "已报备结果", "closed": "已关闭", "unapproved": "未经批准"}


class Activity(TenantScoped, TimestampMixin, db.Model):
    """A19: a request to act in the federation's name or as chair outside the residency's work."""

    __tablename__ = "supervision_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    kind: Mapped[ActivityKind] = enum_column(ActivityKind, nullable=False)
    capacity: Mapped[Capacity] = enum_column(Capacity, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    organizer: Mapped[str] = mapped_column(sa.String(120), nullable=False)   # who invites / the outlet
    outlet: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    event_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    exchange: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)  # A11.4 外事/港澳台交流
    status: Mapped[ActivityStatus] = enum_column(ActivityStatus, nullable=False, default=ActivityStatus.pending,
                                                 index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    requested_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    decide_by: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)  # the last working day before
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    outcome_link: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    outcome_note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    filed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    obligation_record_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("obligation_records.id", ondelete="SET NULL"), nullable=True)

    residency = relationship("Residency", lazy="joined")

    @property
    def status_label(self) -> str:
        return ACTIVITY_STATUS_LABELS[self.status.value]

    @property
    def kind_label(self) -> str:
        return ACTIVITY_KIND_LABELS[self.kind.value]

    @property
    def capacity_label(self) -> str:
        return "以学联名义" if self.capacity == Capacity.federation else "以驻会执行主席名义"

    @property
    def artefact_label(self) -> str:
        return ACTIVITY_ARTEFACTS[self.kind.value]


class Declaration(TenantScoped, db.Model):
    """A19: signed at the start of the residency — the chair no longer does the original union's work."""

    __tablename__ = "supervision_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    residency_id: Mapped[int] = mapped_column(sa.ForeignKey("residencies.id", ondelete="CASCADE"), nullable=False,
                                              unique=True)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    signed_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow)


class FileRole(StrEnum):
    evidence = "evidence"              # a case's evidence (secretariat)
    statement = "statement"            # the chair's statement (申辩材料)
    self_criticism = "self_criticism"  # A21: 检讨书
    artefact = "artefact"              # A19: invitation, outlet, draft, questions
    outcome = "outcome"                # A19: a clipping of what happened


FILE_ROLE_LABELS = {"evidence": "证据材料", "statement": "申辩材料", "self_criticism": "检讨书", "artefact": "报批材料",
                    "outcome": "活动结果"}


class SupervisionFile(TenantScoped, db.Model):
    """A file of a case or an activity, kept in the vault (portal.core.vault)."""

    __tablename__ = "supervision_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supervision_cases.id", ondelete="CASCADE"),
                                                nullable=True, index=True)
    activity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supervision_activities.id", ondelete="CASCADE"),
                                                    nullable=True, index=True)
    role: Mapped[FileRole] = enum_column(FileRole, nullable=False)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("vault_files.id", ondelete="CASCADE"), nullable=False)
    label: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    added_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow)

    file = relationship("StoredFile", lazy="joined")

    __table_args__ = (sa.CheckConstraint("(case_id IS NULL) <> (activity_id IS NULL)", name="one_owner"),)

    @property
    def role_label(self) -> str:
        return FILE_ROLE_LABELS[self.role.value]
