"""Chapter 3's JSON under /api/v1/<tenant>/residency/... (thin: schema in, operation, schema out)."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from flask import abort, jsonify, request
from flask_login import current_user

from portal.api.common import api_blueprint
from portal.api.schemas import Body, Id, Out, PageQuery, operation, text
from portal.core import clock
from portal.core.obligations import ObligationRecord
from portal.extensions import db
from portal.residency import operations as ops
from portal.residency.models import Residency
from portal.residency.views import ROSTER_ROLES, VIEW_ROLES, get_residency, roster_filters, roster_scope
from portal.core.permissions import require_roles
from tenants.models import Role

api_bp = api_blueprint("residency_api", __name__, "/api/v1/<tenant>/residency")
PER_PAGE = 100


class RosterQuery(Body):
    cohort: text(max_len=9) | None = None
    status: Literal["in_residence", "completed", "removed", "left"] | None = None
    province: text(max_len=2) | None = None
    page: int = Field(1, ge=1, le=1_000_000)


class PeriodOut(Out):
    start: dt.date
    end: dt.date
    due: dt.date | None = None
    required: int
    done: int
    accepted: int
    state: str
    missing_year: int | None = None


class ObligationOut(Out):
    key: str
    article: str
    label: str
    period: str
    required: int
    done: int
    accepted: int
    recorded_by: list[str]
    reviewed_by: list[str]
    periods: list[PeriodOut]


class TalkOut(Out):
    place: str
    topic: str
    others_present: str | None = None
    follow_up: str | None = None


class RecordOut(Out):
    id: int
    obligation: str
    occurred_on: dt.date
    title: str
    status: str
    redacted: bool
    content: str | None = None
    review_note: str | None = None
    talk: TalkOut | None = None


class ResidencyOut(Out):
    id: int
    name: str
    cohort: str
    school: str
    province: str
    post: str | None = None
    working_group: str | None = None
    term_start: dt.date
    term_end: dt.date
    status: str
    met: int
    required: int
    next_due: dt.date | None = None
    overdue: list[str]


class ResidencyDetail(ResidencyOut):
    obligations: list[ObligationOut]
    records: list[RecordOut]


class RosterPage(Out):
    items: list[ResidencyOut]
    total: int
    page: int


class RecordForm(Body):
    obligation: text(max_len=80)
    occurred_on: dt.date
    title: text(ObligationRecord.title) | None = None
    content: text(max_len=20000) | None = None
    # A9 talks (obligation residency.obligation.a9_talk)
    place: text(max_len=100) | None = None
    topic: text(max_len=200) | None = None
    others_present: text(max_len=200) | None = None
    follow_up: text(max_len=20000) | None = None


class ReviewIn(Body):
    decision: Literal["accept", "return"]
    note: text(max_len=2000) | None = None


def summary_json(s: ops.Summary) -> dict:
    r = s.residency
    return {"id": r.id, "name": r.chair.name, "cohort": r.cohort, "school": r.school.name,
            "province": r.school.province_code, "post": s.post if s.post is not None else r.post,
            "working_group": r.working_group,
            "term_start": r.term_start.isoformat(), "term_end": r.term_end.isoformat(), "status": r.status.value,
            "status_label": r.status_label, "met": s.met, "required": s.required,
            "next_due": s.next_due[0].isoformat() if s.next_due else None,
            "next_item": s.next_due[1].key if s.next_due else None,
            "overdue": [f"{spec.key}@{p.due.isoformat()}" for spec, p in s.overdue]}


def record_json(rec: ObligationRecord, *, readable: bool = True, talk=None) -> dict:
    """A talk's content is left out for a viewer who may not read it (A9): its date stays."""
    out = {"id": rec.id, "obligation": rec.obligation_key, "occurred_on": rec.occurred_on.isoformat(),
           "title": rec.title, "status": rec.status.value, "status_label": rec.status_label,
           "recorded_role": rec.recorded_role, "redacted": not readable}
    if not readable:
        return out
    out.update({"content": rec.content, "review_note": rec.review_note,
                "evidence": {"name": rec.evidence_name, "type": rec.evidence_type, "sha256": rec.evidence_sha256}
                if rec.file_id or rec.evidence_stored else None})
    if talk is not None:
        out["talk"] = {"place": talk.place, "talked_by_id": talk.talked_by_id, "others_present": talk.others_present,
                       "topic": talk.topic, "follow_up": talk.follow_up}
    return out


def detail_json(res: Residency) -> dict:
    today = clock.today()
    from portal.residency import rotation

    segs = rotation.history(res)
    s = ops.summarize(res, ops.statuses(res, today, segs=segs), today)
    s.post = rotation.current_post(res, segs, today)
    out = summary_json(s)
    out["segments"] = [{"id": x.id, "department": x.department.name, "kind": x.department.kind.value, "post": x.post,
                        "starts_on": x.starts_on.isoformat(), "ends_on": x.ends_on.isoformat()} for x in segs]
    out["obligations"] = [{
        "key": st.spec.key, "article": st.spec.article, "citation": st.spec.citation, "label": st.spec.label,
        "period": st.spec.period, "required": st.required, "done": st.done, "accepted": st.accepted,
        "recorded_by": list(st.spec.recorded_by), "reviewed_by": list(st.spec.reviewed_by),
        "evidence": st.spec.evidence, "evidence_required": st.spec.evidence_required,
        "periods": [{"start": p.start.isoformat(), "end": p.end.isoformat(), "due": p.due.isoformat() if p.due else None,
                     "missing_year": p.missing_year, "required": p.required, "done": p.done, "accepted": p.accepted, "state": p.state}
                    for p in st.periods]} for st in s.statuses]
    user = current_user._get_current_object()
    readers = ops.talk_readers()
    records = [r for st in s.statuses for r in st.records]
    readable = {r.id for r in records if ops.may_read(r, res, user, readers)}
    talks = ops.talks_by_record(readable)
    out["records"] = [record_json(r, readable=r.id in readable, talk=talks.get(r.id)) for r in records]
    return out


@api_bp.get("/residencies")
@require_roles(*ROSTER_ROLES)
@operation(query=RosterQuery, responses={200: RosterPage})
def api_roster(query: RosterQuery):
    """驻会执行主席名册（A8）"""
    page = max(1, query.page)
    stmt = ops.roster_query(**roster_filters(request.args), **roster_scope()).options(ops.snapshot_deferred())
    p = db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)
    return jsonify({"items": [summary_json(s) for s in ops.roster(list(p.items))], "total": p.total, "page": page})


@api_bp.get("/residencies/<int:res_id>")
@require_roles(*VIEW_ROLES)
@operation(responses={200: ResidencyDetail})
def api_profile(res_id: int):
    """一名驻会执行主席的驻会记录（A8–A14）"""
    return jsonify(detail_json(get_residency(res_id)))


@api_bp.get("/me")
@require_roles(*VIEW_ROLES)
@operation(responses={200: ResidencyDetail})
def api_mine():
    """我的驻会"""
    res = ops.own_residency(current_user._get_current_object())
    if res is None:
        abort(404, description="您没有驻会记录")
    return jsonify(detail_json(res))


@api_bp.post("/residencies/<int:res_id>/records")
@require_roles(*VIEW_ROLES)
@operation(form=RecordForm, files=("evidence",), responses={201: RecordOut})
def api_add_record(res_id: int, form: RecordForm):
    """记录一项驻会义务的完成情况（由规则指定的角色记录）"""
    res = get_residency(res_id)
    upload = request.files.get("evidence")
    evidence = (upload.filename, upload.read()) if upload is not None and upload.filename else None
    actor = current_user._get_current_object()
    if form.obligation in ops.DETAILED_KEYS:  # A14: POST .../dues and .../org-life
        from portal.core.obligations import FieldError

        raise FieldError("党（团）费和组织生活请使用 dues、org-life 接口记录", "obligation")
    if form.obligation == ops.TALK_KEY:
        rec = ops.record_talk(res, actor=actor, roles=_roles(), occurred_on=form.occurred_on, place=form.place,
                              topic=form.topic, content=form.content, others_present=form.others_present,
                              follow_up=form.follow_up)
    else:
        rec = ops.record(res, form.obligation, actor=actor, roles=_roles(), occurred_on=form.occurred_on,
                         title=form.title, content=form.content, evidence=evidence)
    return jsonify(record_json(rec, talk=ops.talks_by_record([rec.id]).get(rec.id))), 201


@api_bp.post("/records/<int:rec_id>/review")
@require_roles(*ROSTER_ROLES)
@operation(body=ReviewIn, responses={200: RecordOut})
def api_review(rec_id: int, body: ReviewIn):
    """确认或退回修改（由规则指定的角色）"""
    rec = ops.get_record(rec_id)
    if rec is None:
        abort(404)
    get_residency(rec.subject_id)
    ops.review(rec, body.decision == "accept", actor=current_user._get_current_object(), roles=_roles(),
               note=body.note)
    return jsonify(record_json(rec))


class TalkReaderIn(Body):
    email: text(max_len=200)


class TalkReaderOut(Out):
    user_id: int


@api_bp.post("/talk-readers")
@require_roles(Role.secretariat_admin)
@operation(body=TalkReaderIn, responses={201: TalkReaderOut})
def api_add_talk_reader(body: TalkReaderIn):
    """指定可查阅谈心谈话内容的秘书处人员（A9）"""
    from flask import g

    from portal.auth.operations import find_user
    from portal.core.obligations import FieldError

    user = find_user(body.email.strip().lower())
    if user is None:
        raise FieldError("找不到该邮箱对应的用户", "email")
    reader = ops.designate_talk_reader(g.tenant, user, actor=current_user._get_current_object())
    return jsonify({"user_id": reader.user_id}), 201


def _roles():
    from flask import g

    return g.get("roles", frozenset())


class MeetingIn(Body):
    held_on: dt.date
    place: text(max_len=100)
    leaders: text(max_len=200)
    minutes: text(max_len=20000)
    residency_ids: list[Id]


class MeetingOut(Out):
    id: int
    held_on: dt.date
    place: str
    leaders: str
    minutes: str
    residency_ids: list[int]


class MeetingPage(Out):
    items: list[MeetingOut]
    total: int
    page: int


def meeting_json(m) -> dict:
    return {"id": m.id, "held_on": m.held_on.isoformat(), "place": m.place, "leaders": m.leaders,
            "minutes": m.minutes, "residency_ids": [a.residency_id for a in m.attendees]}


@api_bp.get("/meetings")
@require_roles(Role.secretariat_admin, Role.secretariat_staff)
@operation(query=PageQuery, responses={200: MeetingPage})
def api_meetings(query: PageQuery):
    """书记处同志与驻会执行主席座谈（A9）"""
    page = max(1, query.page)
    p = db.paginate(ops.meetings_query(), page=page, per_page=PER_PAGE, error_out=False)
    return jsonify({"items": [meeting_json(m) for m in p.items], "total": p.total, "page": page})


@api_bp.post("/meetings")
@require_roles(Role.secretariat_admin, Role.secretariat_staff)
@operation(body=MeetingIn, responses={201: MeetingOut})
def api_add_meeting(body: MeetingIn):
    """记录一次座谈（A9）"""
    m = ops.record_meeting(held_on=body.held_on, place=body.place, leaders=body.leaders, minutes=body.minutes,
                           residency_ids=body.residency_ids, actor=current_user._get_current_object())
    return jsonify(meeting_json(m)), 201
