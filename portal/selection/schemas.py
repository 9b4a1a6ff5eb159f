"""The selection API's declared bodies and answers (A4-A7): pydantic schemas, bounded by the
columns they write. Validation of a nominee's own fields stays in ``operations.clean_nomination``
(one set of Chinese messages for the form, the upload and the API); its body is declared here."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from portal.api.schemas import Body, Date, Id, Out, Str, text
from portal.selection.models import (
    InterviewPanel, NominationStatus, PanelConflict, Panelist, ReviewLevel, RotationEntry, Route, SelectionCycle,
)

ACADEMIC_YEAR = r"^\d{4}-\d{4}$"
Scalar = str | int | float | bool | None
Score = float | int | str | None


# --- requests -----------------------------------------------------------------------------------

class CycleIn(Body):
    academic_year: text(SelectionCycle.academic_year, min_len=1) = Field(
        pattern=ACADEMIC_YEAR, description="学年，如 2026-2027", examples=["2026-2027"])
    quota: int | None = Field(None, ge=1, le=100, description="名额；缺省取规则 selection.default_quota")
    opened_on: Date | None = None


class InvitationsIn(Body):
    mode: Literal["manual", "province", "rotation"] = "manual"
    school_ids: list[Id] = Field(default_factory=list, max_length=10000)
    province: text(max_len=2) | None = None
    route: Route = Route.selection
    send: bool = False


class ExtraIn(Body):
    extra: int = Field(0, ge=0, le=100)
    reason: Str = ""


class NominationIn(Body):
    """The nominee's fields, keyed as in the template; each is checked with its Chinese label."""

    name: Scalar = None
    gender: Scalar = None
    ethnicity: Scalar = None
    birth_date: Scalar = None
    id_number: Scalar = None
    political_status: Scalar = None
    union: Scalar = Field(None, description="所在学生组织：学生会 / 研究生会")
    presidium_position: Scalar = None
    elected_on: Scalar = None
    degree_level: Scalar = None
    major: Scalar = None
    grade_rank: Scalar = None
    grade_cohort: Scalar = None
    baoyan_eligible: Scalar = None
    languages: Scalar = None
    computer_skills: Scalar = None
    discipline_record: Scalar = None
    phone: Scalar = None
    email: Scalar = None
    publicity_start: Scalar = None
    publicity_end: Scalar = None


class AttestIn(Body):
    item: Literal["A5.3", "A5.4"]
    passed: bool = False
    evidence: Str = ""


class TransitionIn(Body):
    note: Str | None = None


class ReviewIn(Body):
    level: ReviewLevel = ReviewLevel.national
    qualified: bool = False
    notes: Str = ""
    report: Str = ""


class ScoresIn(Body):
    exam_score: Score = None
    interview_score: Score = None


class DisqualifyIn(Body):
    reason: Str = ""
    evidence: Str = ""


class PanelistIn(Body):
    name: text(Panelist.name, min_len=1)
    affiliation: text(Panelist.affiliation) = ""
    school_id: Id | None = None
    province_code: text(Panelist.province_code) | None = None


class NewPanelistIn(PanelistIn):
    affiliation: text(Panelist.affiliation, min_len=1)


class PanelDrawIn(Body):
    panelists: list[PanelistIn] = Field(default_factory=list, max_length=200)
    nomination_ids: list[Id] = Field(default_factory=list, max_length=10000)
    name: text(InterviewPanel.name, min_len=1) = "面试组"
    seed: text(InterviewPanel.draw_seed) | None = None


class ProposeIn(Body):
    nomination_ids: list[Id] = Field(default_factory=list, max_length=1000)


class DecisionIn(Body):
    """A6.5: consent needs the decision's document number and date; a return needs its reason."""
    approved: bool = False
    note: Str | None = None
    document_number: text(max_len=60) | None = None
    decision_date: Date | None = None


class NoticeIn(Body):
    starts_on: Date | None = None


class ResolveIn(Body):
    upheld: bool = False
    outcome: Str = ""


class ConfirmIn(Body):
    term_start: Date | None = None


class RotationSyncIn(Body):
    on: Date | None = None


class RotationMoveIn(Body):
    direction: Literal["up", "down"]


class RotationServedIn(Body):
    academic_year: text(RotationEntry.last_served_year, min_len=1) = Field(pattern=ACADEMIC_YEAR)
    remove: bool = False
    note: Str | None = None


class ConflictIn(Body):
    panelist_id: Id
    nomination_id: Id
    reason: text(PanelConflict.reason) = ""


class InterviewScoresIn(Body):
    scores: dict[str, dict[Str, Score] | Score] = Field(
        description="{评委编号: {评分维度: 分数}} 或 {评委编号: 总分}", examples=[{"1": {"综合素质": 90}}])


class NominationsQuery(Body):
    status: NominationStatus | None = None
    province: text(max_len=2) | None = None
    q: text(max_len=100) | None = None
    page: int = Field(1, ge=1, le=1_000_000, description="页码（浅层页）；深层页请用 cursor")
    per_page: int = Field(50, ge=1, le=1_000_000, description="至多 1000 条一页")
    cursor: text(max_len=400) | None = Field(None, description="上一页答复中的 next_cursor：按列表顺序（省份、学校代码、编号）"
                                                         "取其后的一页，任何深度的代价与第一页相同")


class InvitationsQuery(Body):
    cursor: text(max_len=400) | None = Field(None, description="上一页答复中的 next_cursor（按编号）")
    per_page: int = Field(1000, ge=1, le=1000, description="至多 1000 条一页")


# --- answers ------------------------------------------------------------------------------------

class StepOut(Out):
    key: str
    label: str
    article: str
    due_on: str | None


class CycleOut(Out):
    id: int
    academic_year: str
    title: str
    quota: int
    rotation_quota: int
    selection_quota: int
    status: str
    opened_on: str
    rules_version: str
    steps: list[StepOut]


class CycleDetailOut(CycleOut):
    funnel: dict[str, int]
    by_province: list[list[Any]]
    by_route: dict[str, int]


class CycleList(Out):
    items: list[CycleOut]


class Ref(Out):
    id: int
    name: str


class InvitationOut(Out):
    id: int
    cycle_id: int
    school: Ref
    route: str
    letter_number: str | None
    sent_at: str | None
    delivered_at: str | None
    delivery_method: str | None = None
    delivery_note: str | None = None
    opened_at: str | None
    acknowledged_at: str | None
    extra_nominees: int
    extra_reason: str | None
    limit: int
    docx_document_id: int | None
    pdf_document_id: int | None


class DeliveryIn(Body):
    """A6.1: the letter reached the school by hand; ``delivered_at`` is Beijing time."""

    method: Literal["fax", "post", "in_person"]
    delivered_at: text(max_len=25, min_len=8)
    handed_by: text(max_len=60, min_len=1)
    received_by: text(max_len=60, min_len=1)
    note: text(max_len=200) | None = None


class InvitationList(Out):
    items: list[InvitationOut]


class InvitationPage(InvitationList):
    next_cursor: str | None = Field(None, description="下一页的 cursor；没有下一页时为 null")


class SchoolRef(Ref):
    province_code: str


class NominationOut(Out):
    id: int
    cycle_id: int
    name: str
    school: SchoolRef
    union: str
    route: str
    status: str
    status_label: str
    id_number: str
    political_status: str
    degree_level: str
    exam_score: float | None
    interview_score: float | None
    total_score: float | None
    rank: int | None


class CheckOut(Out):
    item: str
    result: str
    reason: str
    evidence: str | None
    automatic: bool
    citation: str


class ReviewOut(Out):
    level: str
    qualified: bool | None
    notes: str
    report: str


class NominationDetailOut(NominationOut):
    checks: list[CheckOut]
    reviews: list[ReviewOut]
    transitions: list[str]


class NominationList(Out):
    items: list[NominationOut]


class NominationPage(NominationList):
    page: int
    per_page: int
    total: int
    next_cursor: str | None = Field(None, description="下一页的 cursor；没有下一页时为 null")


class DisqualifyOut(NominationOut):
    slot_action: str
    replacement_id: int | None


class ImportCreated(Out):
    created: int
    ids: list[int]


class PanelOut(Out):
    id: int
    seed: str | None
    draw: Any


class ApprovalOut(Out):
    id: int  # the request on the approvals engine (/api/v1/<tenant>/approvals/<id>)
    approving_body: str
    approved: bool
    nomination_ids: list[int]
    document_number: str | None = None
    decision_date: str | None = None
    reason: str | None = None


class NoticeOut(Out):
    id: int
    starts_on: str
    ends_on: str
    min_workdays: int
    nomination_ids: list[int]


class ObjectionOut(Out):
    id: int
    nomination_id: int | None
    content: str
    status: str
    outcome: str | None


class ObjectionList(Out):
    items: list[ObjectionOut]


class ResolvedOut(Out):
    id: int
    status: str
    outcome: str | None


class ChairOut(Out):
    id: int
    name: str
    nomination_id: int | None
    term_start: str
    term_end: str


class ChairList(Out):
    items: list[ChairOut]


class RotationOut(Out):
    id: int
    turn: int
    position: int
    union: Ref
    school: Ref
    served_years: list[str]
    last_served_year: str | None
    times_served: int


class RotationList(Out):
    items: list[RotationOut]


class ConflictRef(Out):
    nomination_id: int
    reason: str


class PanelistOut(Out):
    id: int
    name: str
    affiliation: str
    school_id: int | None
    province_code: str | None
    panel_id: int | None
    conflicts: list[ConflictRef]


class PanelistList(Out):
    items: list[PanelistOut]


class PanelistCreated(Out):
    id: int
    name: str


class ConflictOut(Out):
    id: int
    panelist_id: int
    nomination_id: int
    reason: str


class RubricItem(Out):
    item: str
    weight: Any


class SheetRow(Out):
    id: int
    name: str
    recused: bool
    score: float | None
    criteria: Any


class SheetOut(Out):
    nomination_id: int
    interview_score: float | None
    rubric: list[RubricItem]
    panelists: list[SheetRow]


class ExamScoreOut(Out):
    id: int
    name: str
    exam_score: float


class ExamImportOut(Out):
    imported: int
    items: list[ExamScoreOut]


class JobStartedOut(Out):
    """A bulk action started as a job (A6.1 letters): poll ``/api/v1/<tenant>/jobs/<id>``."""

    job: dict[str, Any]
    started: bool
