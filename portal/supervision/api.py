"""Chapter 5's JSON under /api/v1/<tenant>/supervision/... (thin: schema in, operation, schema out)."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from flask import abort, jsonify
from flask_login import current_user
from pydantic import Field

from portal.api.common import api_blueprint
from portal.api.schemas import Body, Id, Out, PageQuery, operation, text
from portal.core.delivery import beijing_to_utc
from portal.core.permissions import require_roles
from portal.extensions import db
from portal.supervision import operations as ops
from portal.supervision.models import Activity, SupervisionCase
from portal.supervision.views import STAFF, VIEWERS, _roles, get_activity, get_case, get_residency, uploads
from portal.core.clock import utc_iso
from tenants.models import Role

api_bp = api_blueprint("supervision_api", __name__, "/api/v1/<tenant>/supervision")
PER_PAGE = 100


def _user():
    return current_user._get_current_object()


class CaseOut(Out):
    id: int
    kind: str
    status: str
    status_label: str
    residency_id: int
    name: str
    title: str
    ground: str | None = None
    facts: str
    statement_due: dt.date | None = None
    statement: str | None = None
    approval_request_id: int | None = None
    approving_body: str | None = None
    decision_number: str | None = None
    decision_date: dt.date | None = None
    measure: str | None = None
    measure_reason: str | None = None
    self_criticism_due: dt.date | None = None
    notice_number: str | None = None
    delivery: str
    article: str


class CasePage(Out):
    items: list[CaseOut]
    total: int
    page: int


class CaseForm(Body):
    residency_id: Id
    kind: Literal["removal", "discipline"]
    title: text(SupervisionCase.title)
    facts: text(max_len=20000)
    ground: text(max_len=60) | None = None
    occurred_on: dt.date | None = None


class StatementForm(Body):
    statement: text(max_len=20000)


class MeasureIn(Body):
    measure: text(max_len=40)
    reason: text(max_len=5000)


class ReviewIn(Body):
    decision: Literal["accept", "return"]
    note: text(max_len=2000) | None = None


class ReasonIn(Body):
    reason: text(max_len=2000)


class DeliveryIn(Body):
    method: text(max_len=20)
    delivered_at: text(max_len=40)
    handed_by: text(max_len=60)
    received_by: text(max_len=60)
    note: text(max_len=200) | None = None


class ActivityOut(Out):
    id: int
    residency_id: int
    name: str
    kind: str
    capacity: str
    title: str
    organizer: str
    outlet: str | None = None
    event_date: dt.date
    decide_by: dt.date | None = None
    exchange: bool
    status: str
    status_label: str
    outcome_link: str | None = None
    obligation_record_id: int | None = None


class ActivityPage(Out):
    items: list[ActivityOut]
    total: int
    page: int


class ActivityForm(Body):
    kind: Literal["position", "event", "article", "interview"]
    capacity: Literal["federation", "chair"]
    title: text(Activity.title)
    organizer: text(Activity.organizer)
    outlet: text(Activity.outlet) | None = None
    description: text(max_len=5000) | None = None
    event_date: dt.date
    exchange: bool = False


class DecideIn(Body):
    decision: Literal["approve", "refuse"]
    note: text(max_len=2000) | None = None


class OutcomeForm(Body):
    link: text(max_len=500) | None = None
    note: text(max_len=5000) | None = None


class UnapprovedForm(Body):
    residency_id: Id
    kind: Literal["position", "event", "article", "interview"]
    capacity: Literal["federation", "chair"] = "chair"
    title: text(Activity.title)
    organizer: text(Activity.organizer) | None = None
    event_date: dt.date
    facts: text(max_len=20000)


class DeclarationOut(Out):
    residency_id: int
    text: str
    signed_at: dt.datetime


class Paging(PageQuery):
    page: int = Field(1, ge=1, le=1_000_000)


def case_json(c: SupervisionCase) -> dict:
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return {"id": c.id, "kind": c.kind.value, "kind_label": c.kind_label, "status": c.status.value,
            "status_label": c.status_label, "residency_id": c.residency_id, "name": c.residency.chair.name,
            "title": c.title, "ground": c.ground, "facts": c.facts, "occurred_on": iso(c.occurred_on),
            "statement_due": iso(c.statement_due), "statement": c.statement,
            "approval_request_id": c.approval_request_id, "approving_body": c.approving_body,
            "decision_number": c.decision_number, "decision_date": iso(c.decision_date), "measure": c.measure,
            "measure_reason": c.measure_reason, "self_criticism_due": iso(c.self_criticism_due),
            "notice_number": c.notice_number, "delivery": c.delivery_label,
            "notice_delivered_at": utc_iso(c.notice_delivered_at),
            "article": c.article,
            "files": [{"id": f.id, "role": f.role.value, "label": f.label, "sha256": f.file.sha256}
                      for f in ops.files_of(case_id=c.id)]}


def activity_json(a: Activity) -> dict:
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return {"id": a.id, "residency_id": a.residency_id, "name": a.residency.chair.name, "kind": a.kind.value,
            "kind_label": a.kind_label, "capacity": a.capacity.value, "title": a.title, "organizer": a.organizer,
            "outlet": a.outlet, "event_date": iso(a.event_date), "decide_by": iso(a.decide_by),
            "exchange": a.exchange, "status": a.status.value, "status_label": a.status_label,
            "decision_note": a.decision_note, "outcome_link": a.outcome_link,
            "obligation_record_id": a.obligation_record_id,
            "files": [{"id": f.id, "role": f.role.value, "label": f.label, "sha256": f.file.sha256}
                      for f in ops.files_of(activity_id=a.id)]}


def _page(stmt, page: int, fn):
    p = db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)
    return jsonify({"items": [fn(x) for x in p.items], "total": p.total, "page": page})


# --- cases ------------------------------------------------------------------------------------

@api_bp.get("/cases")
@require_roles(*VIEWERS)
@operation(query=Paging, responses={200: CasePage})
def api_cases(query: Paging):
    """监督案件（A18、A21）：本人只见本人的，部门负责同志见本部门的，审批机关见报批的"""
    return _page(ops.visible_cases(_user(), _roles()), query.page, case_json)


@api_bp.post("/cases")
@require_roles(*STAFF)
@operation(form=CaseForm, files=("evidence",), responses={201: CaseOut})
def api_open_case(form: CaseForm):
    """立案（A18 取消驻会资格 / A21 纪律处置）：事实、证据"""
    c = ops.open_case(get_residency(form.residency_id), form.kind, actor=_user(), title=form.title, facts=form.facts,
                      ground=form.ground, occurred_on=form.occurred_on, evidence=uploads("evidence"))
    return jsonify(case_json(c)), 201


@api_bp.get("/cases/<int:case_id>")
@require_roles(*VIEWERS)
@operation(responses={200: CaseOut})
def api_case(case_id: int):
    """一件案件"""
    return jsonify(case_json(get_case(case_id)))


def _step(case_id: int, do):
    c = get_case(case_id)
    do(c)
    return jsonify(case_json(c))


@api_bp.post("/cases/<int:case_id>/hear")
@require_roles(*STAFF)
@operation(responses={200: CaseOut})
def api_hear(case_id: int):
    """告知本人并开始申辩期（规则 supervision.statement_workdays 个工作日）"""
    return _step(case_id, lambda c: ops.hear(c, actor=_user(), roles=_roles()))


@api_bp.post("/cases/<int:case_id>/statement")
@require_roles(Role.chair)
@operation(form=StatementForm, files=("files",), responses={200: CaseOut})
def api_statement(case_id: int, form: StatementForm):
    """本人提交申辩（期限内）"""
    return _step(case_id, lambda c: ops.file_statement(c, actor=_user(), roles=_roles(), statement=form.statement,
                                                       files=uploads("files")))


@api_bp.post("/cases/<int:case_id>/close-hearing")
@require_roles(*STAFF)
@operation(responses={200: CaseOut})
def api_close_hearing(case_id: int):
    """申辩期满，结束申辩"""
    return _step(case_id, lambda c: ops.close_hearing(c, actor=_user(), roles=_roles()))


@api_bp.post("/cases/<int:case_id>/request-approval")
@require_roles(*STAFF)
@operation(responses={200: CaseOut})
def api_request_approval(case_id: int):
    """报请审批机关（规则 selection.approving_body）批准取消驻会资格（A18）"""
    return _step(case_id, lambda c: ops.request_approval(c, actor=_user(), roles=_roles()))


@api_bp.post("/cases/<int:case_id>/notice")
@require_roles(*STAFF)
@operation(responses={200: CaseOut})
def api_notice(case_id: int):
    """通报派出学校党委（A18：须在批准之后）"""
    return _step(case_id, lambda c: ops.send_notice(c, actor=_user()))


@api_bp.post("/cases/<int:case_id>/delivery")
@require_roles(*STAFF)
@operation(body=DeliveryIn, responses={200: CaseOut})
def api_delivery(case_id: int, body: DeliveryIn):
    """登记通报送达（传真、邮寄、当面送达）"""
    return _step(case_id, lambda c: ops.record_manual_delivery(c, body.method, beijing_to_utc(body.delivered_at),
                                                               body.handed_by, body.received_by, body.note,
                                                               actor=_user()))


@api_bp.post("/cases/<int:case_id>/measure")
@require_roles(*STAFF)
@operation(body=MeasureIn, responses={200: CaseOut})
def api_measure(case_id: int, body: MeasureIn):
    """作出处置（A21：规则 supervision.disciplinary_measures 中的措施及理由）"""
    return _step(case_id, lambda c: ops.decide_measure(c, actor=_user(), roles=_roles(), measure=body.measure,
                                                       reason=body.reason))


@api_bp.post("/cases/<int:case_id>/self-criticism")
@require_roles(Role.chair)
@operation(files=("files",), responses={200: CaseOut})
def api_self_criticism(case_id: int):
    """本人上传检讨书（A21，期限内）"""
    return _step(case_id, lambda c: ops.file_self_criticism(c, actor=_user(), roles=_roles(), files=uploads("files")))


@api_bp.post("/cases/<int:case_id>/self-criticism/review")
@require_roles(*STAFF)
@operation(body=ReviewIn, responses={200: CaseOut})
def api_review_self_criticism(case_id: int, body: ReviewIn):
    """认可或退回检讨书（A21）"""
    return _step(case_id, lambda c: ops.review_self_criticism(c, body.decision == "accept", actor=_user(),
                                                              roles=_roles(), note=body.note))


@api_bp.post("/cases/<int:case_id>/withdraw")
@require_roles(*STAFF)
@operation(body=ReasonIn, responses={200: CaseOut})
def api_withdraw(case_id: int, body: ReasonIn):
    """撤销立案（须说明理由）"""
    return _step(case_id, lambda c: ops.withdraw(c, actor=_user(), roles=_roles(), reason=body.reason))


# --- outside activities (A19) -------------------------------------------------------------------

@api_bp.get("/activities")
@require_roles(*VIEWERS)
@operation(query=Paging, responses={200: ActivityPage})
def api_activities(query: Paging):
    """对外活动报批（A19）"""
    return _page(ops.visible_activities(_user(), _roles()), query.page, activity_json)


@api_bp.get("/register")
@require_roles(*VIEWERS)
@operation(query=Paging, responses={200: ActivityPage})
def api_register(query: Paging):
    """已批准的对外活动登记（A19）"""
    seen = ops.visible_activities(_user(), _roles()).with_only_columns(Activity.id)
    return _page(ops.register_query().where(Activity.id.in_(seen)), query.page, activity_json)


@api_bp.post("/activities")
@require_roles(Role.chair)
@operation(form=ActivityForm, files=("artefacts",), responses={201: ActivityOut})
def api_request_activity(form: ActivityForm):
    """申请兼任社会职务、参加活动、发表文章、接受采访（须提前规定的工作日数）"""
    from portal.residency.operations import own_residency

    res = own_residency(_user())
    if res is None:
        abort(404, description="您没有驻会记录")
    a = ops.request_activity(res, actor=_user(), roles=_roles(), kind=form.kind, capacity=form.capacity,
                             title=form.title, organizer=form.organizer, outlet=form.outlet,
                             description=form.description, event_date=form.event_date, exchange=form.exchange,
                             artefacts=uploads("artefacts"))
    return jsonify(activity_json(a)), 201


@api_bp.get("/activities/<int:activity_id>")
@require_roles(*VIEWERS)
@operation(responses={200: ActivityOut})
def api_activity(activity_id: int):
    """一项对外活动申请"""
    return jsonify(activity_json(get_activity(activity_id)))


@api_bp.post("/activities/<int:activity_id>/decide")
@require_roles(*STAFF, Role.approver)
@operation(body=DecideIn, responses={200: ActivityOut})
def api_decide_activity(activity_id: int, body: DecideIn):
    """批准或不予批准（规则 supervision.activity_approver_roles 指定的人员，活动前）"""
    a = get_activity(activity_id)
    ops.decide_activity(a, body.decision == "approve", actor=_user(), roles=_roles(), note=body.note)
    return jsonify(activity_json(a))


@api_bp.post("/activities/<int:activity_id>/outcome")
@require_roles(Role.chair)
@operation(form=OutcomeForm, files=("clippings", "report"), responses={200: ActivityOut})
def api_outcome(activity_id: int, form: OutcomeForm):
    """活动后报备结果（链接或剪报；交流活动附成果报告，计入第十一条第（四）项）"""
    a = get_activity(activity_id)
    report = uploads("report")
    ops.file_outcome(a, actor=_user(), roles=_roles(), link=form.link, note=form.note, clippings=uploads("clippings"),
                     report=report[0] if report else None)
    return jsonify(activity_json(a))


@api_bp.post("/activities/unapproved")
@require_roles(*STAFF)
@operation(form=UnapprovedForm, files=("evidence",), responses={201: CaseOut})
def api_unapproved(form: UnapprovedForm):
    """登记事后发现的未经批准的活动，并立案处置（A19 → A21）"""
    _a, c = ops.report_unapproved(get_residency(form.residency_id), actor=_user(), kind=form.kind, title=form.title,
                                  event_date=form.event_date, facts=form.facts, organizer=form.organizer,
                                  capacity=form.capacity, evidence=uploads("evidence"))
    return jsonify(case_json(c)), 201


@api_bp.post("/declaration")
@require_roles(Role.chair)
@operation(responses={201: DeclarationOut})
def api_declaration():
    """签署承诺书：驻会期间不再承担原学生会（研究生会）工作（A19）"""
    from portal.residency.operations import own_residency

    res = own_residency(_user())
    if res is None:
        abort(404, description="您没有驻会记录")
    d = ops.sign_declaration(res, actor=_user(), roles=_roles())
    return jsonify({"residency_id": res.id, "text": d.text, "signed_at": utc_iso(d.signed_at)}), 201


__all__ = ["api_bp"]
