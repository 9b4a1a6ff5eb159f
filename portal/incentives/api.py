"""Chapter 4's JSON under /api/v1/<tenant>/incentives/... (thin: schema in, operation, schema out)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from flask import Response, abort, g, jsonify, request
from flask_login import current_user

from portal.api.common import api_blueprint
from portal.api.schemas import Body, Out, operation, text
from portal.core.permissions import require_roles
from portal.incentives.models import DEGREE_LEVELS
from portal.incentives.operations import allowance, appraisal, housing, schooling, ymp
from portal.incentives.views import STAFF, VIEW, XLSX, _run, get_residency, roles_toward
from portal.core.clock import utc_iso
from tenants.models import Role

api_bp = api_blueprint("incentives_api", __name__, "/api/v1/<tenant>/incentives")


def _user():
    return current_user._get_current_object()


def _roles():
    return g.get("roles", frozenset())


class RateIn(Body):
    effective_on: dt.date
    degree_level: Literal["本科", "硕士", "博士"]
    monthly_amount: text(max_len=20)
    source: text(max_len=200) | None = None


class RateOut(Out):
    id: int
    scope: str
    effective_on: dt.date
    degree_level: str
    monthly_amount: str
    source: str


class RatesOut(Out):
    own: list[RateOut]
    national: list[RateOut]
    effective: dict[str, list[RateOut]]


def rate_json(r) -> dict:
    return {"id": r.id, "scope": r.scope, "effective_on": r.effective_on.isoformat(), "degree_level": r.degree_level,
            "monthly_amount": f"{Decimal(r.monthly_amount):.2f}", "source": r.source}


@api_bp.get("/rates")
@require_roles(*STAFF)
@operation(responses={200: RatesOut})
def api_rates():
    """补贴标准：本会录入的、全国的、本会执行的（A15、A22 参照执行）"""
    eff = allowance.effective_rates(g.tenant)
    return jsonify({"own": [rate_json(r) for r in allowance.own_rates(g.tenant)],
                    "national": [rate_json(r) for r in allowance.national_rates()],
                    "effective": {k: [rate_json(r) for r in eff[k]] for k in DEGREE_LEVELS}})


@api_bp.post("/rates")
@require_roles(Role.secretariat_admin)
@operation(body=RateIn, responses={201: RateOut})
def api_add_rate(body: RateIn):
    """录入一条补贴标准（须注明依据文件；同一学历层次同一日期只能一条）"""
    r = allowance.add_rate(g.tenant, effective_on=body.effective_on, degree_level=body.degree_level,
                           monthly_amount=body.monthly_amount, source=body.source, actor=_user())
    return jsonify(rate_json(r)), 201


class RunIn(Body):
    month: text(max_len=7)


class AdjustIn(Body):
    note: text(max_len=2000)


class NoteIn(Body):
    note: text(max_len=2000) | None = None


class LineOut(Out):
    residency_id: int
    name: str
    degree_level: str
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    days: int
    month_days: int
    monthly_amount: str | None = None
    amount: str
    rate_version: str | None = None
    rate_source: str | None = None
    article: str


class RunOut(Out):
    id: int
    month: str
    kind: str
    status: str
    corrects_id: int | None = None
    total: str
    chairs: int
    computed: bool
    lines: list[LineOut]


def run_json(run) -> dict:
    return {"id": run.id, "month": run.month.strftime("%Y-%m"), "kind": run.kind.value, "status": run.status.value,
            "corrects_id": run.corrects_id, "total": f"{run.total:.2f}", "chairs": run.chairs,
            "computed": run.computed_at is not None, "note": run.note,
            "lines": [{"residency_id": ln.residency_id, "name": ln.name, "degree_level": ln.degree_level,
                       "period_start": ln.period_start.isoformat() if ln.period_start else None,
                       "period_end": ln.period_end.isoformat() if ln.period_end else None, "days": ln.days,
                       "month_days": ln.month_days,
                       "monthly_amount": f"{ln.monthly_amount:.2f}" if ln.monthly_amount is not None else None,
                       "amount": f"{ln.amount:.2f}", "rate_version": ln.rate_version, "rate_source": ln.rate_source,
                       "article": allowance.CITATION, "note": ln.note} for ln in allowance.run_lines(run)]}


@api_bp.post("/runs")
@require_roles(*STAFF)
@operation(body=RunIn, responses={201: RunOut})
def api_start_run(body: RunIn):
    """计算某月补贴（已锁定的月份 409；更正用调整发放）"""
    return jsonify(run_json(allowance.start_run(g.tenant, body.month, actor=_user()))), 201


@api_bp.get("/runs/<int:run_id>")
@require_roles(*STAFF)
@operation(responses={200: RunOut})
def api_run(run_id: int):
    """一张补贴发放表（每行注明标准版本和第十五条）"""
    return jsonify(run_json(_run(run_id)))


@api_bp.post("/runs/<int:run_id>/<any(approve, lock, return):action>")
@require_roles(Role.secretariat_admin)
@operation(body=NoteIn, responses={200: RunOut})
def api_run_action(run_id: int, action: str, body: NoteIn):
    """审核通过 / 锁定 / 退回重算（秘书处管理员）"""
    r = _run(run_id)
    if action == "approve":
        allowance.approve_run(r, actor=_user(), roles=_roles())
    elif action == "lock":
        allowance.lock_run(r, actor=_user(), roles=_roles())
    else:
        allowance.return_run(r, actor=_user(), roles=_roles(), note=body.note)
    return jsonify(run_json(r))


@api_bp.post("/runs/<int:run_id>/adjust")
@require_roles(Role.secretariat_admin)
@operation(body=AdjustIn, responses={201: RunOut})
def api_adjust(run_id: int, body: AdjustIn):
    """对已锁定的补贴发放表创建调整发放（只含差额）"""
    return jsonify(run_json(allowance.start_adjusting_run(g.tenant, _run(run_id), actor=_user(), note=body.note))), 201


@api_bp.get("/runs/<int:run_id>/export.xlsx")
@require_roles(*STAFF)
@operation(responses={200: "binary"})
def api_run_xlsx(run_id: int):
    """补贴发放表 XLSX（供财务）"""
    return Response(allowance.export_xlsx(_run(run_id)), mimetype=XLSX)


class BedIn(Body):
    building: text(max_len=60)
    room: text(max_len=20)
    bed: text(max_len=10)


class AssignIn(Body):
    residency_id: int
    bed_id: int
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class BedOut(Out):
    id: int
    building: str
    room: str
    bed: str
    occupant: str | None = None
    assignment_id: int | None = None


class AssignmentOut(Out):
    id: int
    bed_id: int
    residency_id: int
    starts_on: dt.date
    ends_on: dt.date
    released_on: dt.date | None = None


def assignment_json(a) -> dict:
    return {"id": a.id, "bed_id": a.bed_id, "residency_id": a.residency_id, "starts_on": a.starts_on.isoformat(),
            "ends_on": a.ends_on.isoformat(), "released_on": a.released_on.isoformat() if a.released_on else None,
            "release_reason": a.release_reason}


class BedsOut(Out):
    items: list[BedOut]


@api_bp.get("/beds")
@require_roles(*STAFF)
@operation(responses={200: BedsOut})
def api_beds():
    """床位及今日入住情况（A15）"""
    return jsonify({"items": [{"id": b.id, "building": b.building, "room": b.room, "bed": b.bed,
                               "occupant": a.residency.chair.name if a else None,
                               "assignment_id": a.id if a else None} for b, a in housing.occupancy()]})


@api_bp.post("/beds")
@require_roles(*STAFF)
@operation(body=BedIn, responses={201: BedOut})
def api_add_bed(body: BedIn):
    """登记床位"""
    b = housing.add_bed(g.tenant, building=body.building, room=body.room, bed=body.bed, actor=_user())
    return jsonify({"id": b.id, "building": b.building, "room": b.room, "bed": b.bed}), 201


@api_bp.post("/beds/assignments")
@require_roles(*STAFF)
@operation(body=AssignIn, responses={201: AssignmentOut})
def api_assign(body: AssignIn):
    """分配床位（日期重叠 409）"""
    res = get_residency(body.residency_id)
    bed = housing.get_bed(body.bed_id)
    if bed is None:
        abort(404)
    a = housing.assign_bed(res, bed, starts_on=body.starts_on, ends_on=body.ends_on, actor=_user())
    return jsonify(assignment_json(a)), 201


class WelfareIn(Body):
    item: text(max_len=60)
    given_on: dt.date | None = None
    note: text(max_len=200) | None = None


class SchoolingIn(Body):
    status: Literal["suspended", "not_suspended"]
    approval_ref: text(max_len=120) | None = None
    reason: text(max_len=2000) | None = None


class ChairOut(Out):
    id: int
    name: str
    schooling: dict | None = None
    beds: list[AssignmentOut]
    welfare: list[dict]
    ymp: dict | None = None
    appraisal: dict | None = None


def appraisal_json(a) -> dict | None:
    if a is None:
        return None
    return {"id": a.id, "version": a.version, "status": a.status.value, "supersedes_id": a.supersedes_id,
            "number": a.number, "statements": a.statements, "gaps": a.gaps, "self_summary": a.self_summary,
            "opinions": [{"department_id": o.department_id, "department": o.department_name, "opinion": o.opinion}
                         for o in a.opinions],
            "missing_opinions": [d["name"] for d in appraisal.missing_opinions(a)],
            "conclusion": a.conclusion, "sha256": a.sha256, "issued_on": a.issued_on.isoformat() if a.issued_on else None,
            "sent_on": a.sent_on.isoformat() if a.sent_on else None,
            "delivery": {"state": a.delivery_state, "sent_at": utc_iso(a.sent_at), "delivered_at": utc_iso(a.delivered_at),
                         "method": a.delivery_method, "note": a.delivery_note}}




def chair_json(res) -> dict:
    s = schooling.schooling_of(res)
    letter = schooling.letter_of(res)
    y = ymp.of(res)
    return {"id": res.id, "name": res.chair.name,
            "schooling": {"status": s.status.value, "approval_ref": s.approval_ref, "reason": s.reason,
                          "certificate_number": s.certificate_number} if s else None,
            "suspension_letter": {"number": letter.number, "issued_on": letter.issued_on.isoformat()} if letter else None,
            "certificate_ready": schooling.certificate_ready(res) is None,
            "beds": [assignment_json(a) for a in housing.assignments_of(res)],
            "welfare": [{"item": w.item, "given_on": w.given_on.isoformat(), "note": w.note}
                        for w in housing.welfare_of(res)],
            "ymp": {"status": y.status.value, "reason": y.reason, "warnings": y.warnings} if y else None,
            "ymp_warnings": ymp.warnings(res),
            "appraisal": appraisal_json(appraisal.current(res))}


@api_bp.get("/chairs/<int:res_id>")
@require_roles(*VIEW)
@operation(responses={200: ChairOut})
def api_chair(res_id: int):
    """一名驻会执行主席的补贴、住宿、福利、休学、培养工程和工作鉴定"""
    return jsonify(chair_json(get_residency(res_id)))


@api_bp.post("/chairs/<int:res_id>/welfare")
@require_roles(*STAFF)
@operation(body=WelfareIn, responses={201: ChairOut})
def api_welfare(res_id: int, body: WelfareIn):
    """登记一项工会福利发放（A15）"""
    res = get_residency(res_id)
    housing.give_welfare(res, item=body.item, given_on=body.given_on, note=body.note, actor=_user())
    return jsonify(chair_json(res)), 201


@api_bp.post("/chairs/<int:res_id>/schooling")
@require_roles(*STAFF)
@operation(form=SchoolingIn, files=("evidence",), responses={200: ChairOut})
def api_schooling(res_id: int, form: SchoolingIn):
    """登记休学情况（已休学附学校批准文件；未能休学说明原因，A16）"""
    res = get_residency(res_id)
    upload = request.files.get("evidence")
    evidence = (upload.filename, upload.read()) if upload is not None and upload.filename else None
    schooling.record_schooling(res, status=form.status, approval_ref=form.approval_ref, evidence=evidence,
                               reason=form.reason, actor=_user())
    return jsonify(chair_json(res))


@api_bp.get("/chairs/<int:res_id>/<any(suspension_letter, certificate):doc>.<any(docx, pdf):fmt>")
@require_roles(*VIEW)
@operation(responses={200: "binary"})
def api_schooling_doc(res_id: int, doc: str, fmt: str):
    """商请休学函（秘书处）/ 驻会证明（期满后；本人可下载）"""
    from portal.incentives.views import schooling_doc

    return schooling_doc(res_id=res_id, doc=doc, fmt=fmt)


class RecommendIn(Body):
    reason: text(max_len=4000)


@api_bp.post("/chairs/<int:res_id>/ymp")
@require_roles(*STAFF)
@operation(body=RecommendIn, responses={201: ChairOut})
def api_ymp(res_id: int, body: RecommendIn):
    """推荐为青年马克思主义者培养工程高校班学员（条件仅作提示，A17）"""
    res = get_residency(res_id)
    ymp.recommend(res, reason=body.reason, actor=_user())
    return jsonify(chair_json(res)), 201


@api_bp.post("/chairs/<int:res_id>/ymp/<any(admit, complete):action>")
@require_roles(*STAFF)
@operation(responses={200: ChairOut})
def api_ymp_action(res_id: int, action: str):
    """培养工程：录取 / 结业"""
    res = get_residency(res_id)
    rec = ymp.of(res)
    if rec is None:
        abort(404)
    ymp.advance(rec, action, actor=_user(), roles=_roles())
    return jsonify(chair_json(res))


@api_bp.post("/chairs/<int:res_id>/appraisal")
@require_roles(*STAFF)
@operation(responses={201: ChairOut})
def api_draft(res_id: int):
    """根据驻会记录起草工作鉴定（A17）"""
    res = get_residency(res_id)
    appraisal.draft(res, actor=_user())
    return jsonify(chair_json(res)), 201


class StepIn(Body):
    self_summary: text(max_len=8000) | None = None
    department_id: int | None = None
    opinion: text(max_len=4000) | None = None
    conclusion: text(max_len=60) | None = None
    conclusion_note: text(max_len=2000) | None = None
    reason: text(max_len=2000) | None = None


def _appr(appr_id: int):
    a = appraisal.get(appr_id)
    if a is None:
        abort(404)
    get_residency(a.residency_id)
    return a


@api_bp.post("/appraisals/<int:appr_id>/<any(summary, opinion, conclude, issue, send, correct):step>")
@require_roles(*VIEW)
@operation(body=StepIn, responses={200: ChairOut})
def api_step(appr_id: int, step: str, body: StepIn):
    """工作鉴定的一步：个人总结、部门意见、结论、印发、送派出学校、更正（新版本）"""
    a = _appr(appr_id)
    res = a.residency
    held = roles_toward(res)
    if step == "summary":
        appraisal.submit_summary(a, body.self_summary, actor=_user(), roles=held)
    elif step == "opinion":
        appraisal.give_opinion(a, body.department_id or 0, body.opinion, actor=_user(), roles=held)
    elif step == "conclude":
        appraisal.conclude(a, body.conclusion or "", body.conclusion_note, actor=_user(), roles=held)
    elif step == "issue":
        appraisal.issue(a, actor=_user(), roles=held)
    elif step == "send":
        appraisal.send(a, actor=_user(), roles=held)
    else:
        if "secretariat_admin" not in held:
            abort(403)
        appraisal.correct(a, reason=body.reason, actor=_user())
    return jsonify(chair_json(res))


class DeliveryIn(Body):
    method: Literal["fax", "post", "in_person"]
    delivered_at: text(max_len=20)
    handed_by: text(max_len=60)
    received_by: text(max_len=60)
    note: text(max_len=200) | None = None


@api_bp.post("/appraisals/<int:appr_id>/delivery")
@require_roles(*STAFF)
@operation(body=DeliveryIn, responses={200: ChairOut})
def api_delivery(appr_id: int, body: DeliveryIn):
    """登记工作鉴定送达派出学校（传真、邮寄、当面送达；北京时间，A17）"""
    from portal.core.delivery import beijing_to_utc

    a = _appr(appr_id)
    appraisal.record_manual_delivery(a, body.method, beijing_to_utc(body.delivered_at), body.handed_by,
                                     body.received_by, body.note, actor=_user())
    return jsonify(chair_json(a.residency))


@api_bp.get("/appraisals/<int:appr_id>.<any(docx, pdf):fmt>")
@require_roles(*VIEW)
@operation(responses={200: "binary"})
def api_appraisal_file(appr_id: int, fmt: str):
    """已印发的工作鉴定（DOCX 供盖章，PDF）"""
    from portal.incentives.views import appraisal_file

    return appraisal_file(appr_id=appr_id, fmt=fmt)
