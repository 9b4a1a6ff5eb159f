"""A19: outside activities. Plain functions; flush, never commit.

At the start of the residency the chair declares that they no longer do the original union's
work. To hold a social position, attend an event, publish an article or give an interview in the
federation's name or as chair, the chair asks first: at least ``supervision.activity_lead_workdays``
working days before the event, with the artefact its kind needs. The approvers the rule
``supervision.activity_approver_roles`` names decide before the event, or the request lapses on
the working-day calendar (:func:`lapse_overdue`, a periodic sweep). Nothing is approved
automatically. After the event the chair files the outcome; an exchange (外事、港澳台交流)
files its 成果报告 as the A11.4 record. An activity found afterwards without approval opens a
disciplinary case (A21).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import audit
from portal.core.db import tenant_context, utcnow
from portal.core.errors import Conflict
from portal.core.obligations import FieldError
from portal.extensions import db
from portal.residency.models import Residency, ResidencyStatus
from portal.supervision.models import (ACTIVITY_ARTEFACTS, NEEDS_OUTLET, Activity, ActivityKind, ActivityStatus,
                                       Capacity, Declaration, FileRole)
from portal.supervision.operations.common import (STAFF, calendar, clean, headed_residency_ids, own_residency_ids,
                                                  roles_toward, rule, store_files, today)
from portal.supervision.workflow import ACTIVITY
from tenants.rules.registry import article_citation

SUBJECT = "supervision_activity"
DECLARATION_TEXT = ("本人承诺：驻会期间不再承担原学生会（研究生会）相关工作；未经批准，不以全国学联或驻会执行主席名义"
                    "兼任社会职务、参加活动、发表文章、接受采访。")


def declaration_text(tenant_id: int) -> str:
    fed = rule(tenant_id, "federation.name")
    return DECLARATION_TEXT.replace("全国学联", fed)


def declaration_of(res: Residency) -> Declaration | None:
    return db.session.scalar(sa.select(Declaration).where(Declaration.residency_id == res.id))


def sign_declaration(res: Residency, *, actor, roles) -> Declaration:
    """A19: the chair signs once, at the start of the residency (a second signature returns the first)."""
    if "chair" not in roles_toward(res, actor, roles):
        raise FieldError(f"承诺书由驻会执行主席本人签署（{article_citation('A19')}）", "chair")
    found = declaration_of(res)
    if found is not None:
        return found
    if res.status != ResidencyStatus.in_residence:
        raise Conflict("驻会已结束", code="not_in_residence")
    d = Declaration(tenant_id=res.tenant_id, residency_id=res.id, text=declaration_text(res.tenant_id),
                    signed_by_id=getattr(actor, "id", None), signed_at=utcnow())
    db.session.add(d)
    db.session.flush()
    audit.record("supervision.declaration_signed", "residency", res.id, actor=actor, article="A19",
                 after={"text": d.text})
    return d


def decide_by(event_date: dt.date) -> dt.date:
    """The last working day before the event: a request not decided by then lapses (A19)."""
    return calendar().add_workdays(event_date, -1)


def request_activity(res: Residency, *, actor, roles, kind: str, capacity: str, title: str, organizer: str,
                     event_date: dt.date | None, outlet: str | None = None, description: str | None = None,
                     exchange: bool = False, artefacts=()) -> Activity:
    """The chair asks before the event, with the artefact its kind needs."""
    if "chair" not in roles_toward(res, actor, roles):
        raise FieldError(f"对外活动由驻会执行主席本人申请（{article_citation('A19')}）", "chair")
    if res.status != ResidencyStatus.in_residence:
        raise Conflict("驻会已结束，不能再申请", code="not_in_residence")
    try:
        kind = ActivityKind(kind)
    except ValueError:
        raise FieldError("事项只能是：兼任社会职务、参加活动、发表文章、接受采访", "kind") from None
    try:
        capacity = Capacity(capacity)
    except ValueError:
        raise FieldError("请说明以学联名义还是以驻会执行主席名义", "capacity") from None
    title = clean(title, "title", "事项名称", 200)
    organizer = clean(organizer, "organizer", "邀请方（主办方）", 120)
    outlet = clean(outlet, "outlet", "刊发媒体（采访媒体）", 120, required=kind.value in NEEDS_OUTLET)
    description = clean(description, "description", "说明", 5000, required=False)
    if event_date is None:
        raise FieldError("请填写活动（刊发、采访、任职）日期", "event_date")
    now = today()
    if event_date <= now:
        raise FieldError(f"活动日期 {event_date.isoformat()} 已到或已过：须在活动前报批，事后不能补批"
                         f"（{article_citation('A19')}）", "event_date")
    if event_date > res.term_end:
        raise FieldError(f"活动日期晚于驻会期满（{res.term_end.isoformat()}）", "event_date")
    lead = int(rule(res.tenant_id, "supervision.activity_lead_workdays"))
    ahead = calendar().workdays_between(now, event_date - dt.timedelta(days=1))
    if ahead < lead:
        raise FieldError(f"须至少提前 {lead} 个工作日报批，距活动日仅 {ahead} 个工作日（{article_citation('A19')}）",
                         "event_date")
    uploads = [u for u in artefacts or () if u and u[1]]
    if not uploads:
        raise FieldError(f"请上传{ACTIVITY_ARTEFACTS[kind.value]}（{article_citation('A19')}）", "artefacts")
    act = Activity(tenant_id=res.tenant_id, residency_id=res.id, kind=kind, capacity=capacity, title=title,
                   organizer=organizer, outlet=outlet, description=description, event_date=event_date,
                   exchange=bool(exchange), status=ActivityStatus.pending, requested_by_id=getattr(actor, "id", None),
                   requested_on=now, decide_by=decide_by(event_date))
    db.session.add(act)
    db.session.flush()
    files = store_files(owner=act, role=FileRole.artefact, uploads=uploads, actor=actor, tenant_id=res.tenant_id,
                        label=ACTIVITY_ARTEFACTS[kind.value], field="artefacts")
    audit.record("supervision_activity.requested", SUBJECT, act.id, actor=actor, article="A19",
                 after={"kind": kind.value, "capacity": capacity.value, "title": title, "event_date": event_date,
                        "decide_by": act.decide_by, "exchange": act.exchange,
                        "artefacts": [f.file.sha256 for f in files]})
    _notify_approvers(act)
    return act


def _approver_roles(tenant_id: int) -> list[str]:
    return list(rule(tenant_id, "supervision.activity_approver_roles"))


def may_decide(act: Activity, roles) -> bool:
    return bool({str(r) for r in roles} & set(_approver_roles(act.tenant_id)))


def decide(act: Activity, approve: bool, *, actor, roles, note: str | None = None) -> Activity:
    """By the approvers the rules name, before the event; a refusal says why. Never automatic."""
    note = (note or "").strip() or None
    if not approve and not note:
        raise FieldError(f"不予批准须说明理由（{article_citation('A19')}）", "note")
    if note and len(note) > 2000:
        raise FieldError("意见不能超过2000字", "note")
    ctx = {"approver_roles": _approver_roles(act.tenant_id), "actor_roles": roles, "today": today()}
    ACTIVITY.apply(act, "approve" if approve else "refuse", actor=actor, roles=roles, ctx=ctx, note=note)
    act.decided_by_id, act.decided_at, act.decision_note = getattr(actor, "id", None), utcnow(), note
    db.session.flush()
    return act


def file_outcome(act: Activity, *, actor, roles, link: str | None = None, note: str | None = None, clippings=(),
                 report=None) -> Activity:
    """After the event the chair files what happened (a link or a clipping), which closes the request;
    an exchange brings its 成果报告, recorded as the chair's A11.4 obligation."""
    res = act.residency
    mine = roles_toward(res, actor, roles)
    # the state, the role and the date first (one transaction: a refused field below undoes it)
    ACTIVITY.apply(act, "file_outcome", actor=actor, roles=mine, ctx={"today": today()})
    link = clean(link, "link", "链接", 500, required=False)
    if link and not link.startswith(("http://", "https://")):
        raise FieldError("链接应以 http:// 或 https:// 开头", "link")
    note = clean(note, "note", "情况说明", 5000, required=False)
    clippings = [c for c in clippings or () if c and c[1]]
    if not link and not clippings:
        raise FieldError(f"请填写链接或上传剪报、截图（{article_citation('A19')}）", "link")
    if act.exchange and not (report and report[1]):
        raise FieldError(f"外事和港澳台交流活动须上传成果报告（{article_citation('A11.4')}）", "report")
    act.outcome_link, act.outcome_note, act.filed_at = link, note, utcnow()
    store_files(owner=act, role=FileRole.outcome, uploads=clippings, actor=actor, tenant_id=act.tenant_id,
                label="活动结果", field="clippings")
    if act.exchange:
        from portal.residency import operations as rops

        rec = rops.record(res, "a11_4_exchange", actor=actor, roles=roles, occurred_on=act.event_date,
                          title=f"成果报告：{act.title}"[:200], content=note, evidence=report)
        act.obligation_record_id = rec.id
    db.session.flush()
    return act


def report_unapproved(res: Residency, *, actor, kind: str, title: str, event_date: dt.date | None, facts: str,
                      capacity: str = "chair", organizer: str | None = None, evidence=()):
    """An activity found afterwards without approval: recorded as such, and a disciplinary case opened (A19 → A21)."""
    from portal.supervision.operations.cases import open_case

    try:
        kind = ActivityKind(kind)
        capacity = Capacity(capacity)
    except ValueError:
        raise FieldError("事项只能是：兼任社会职务、参加活动、发表文章、接受采访", "kind") from None
    title = clean(title, "title", "事项名称", 200)
    if event_date is None or event_date > today():
        raise FieldError("请填写已发生的活动日期", "event_date")
    act = Activity(tenant_id=res.tenant_id, residency_id=res.id, kind=kind, capacity=capacity, title=title,
                   organizer=clean(organizer, "organizer", "邀请方（主办方）", 120, required=False) or "—",
                   event_date=event_date, status=ActivityStatus.unapproved, requested_on=today())
    db.session.add(act)
    db.session.flush()
    audit.record("supervision_activity.unapproved", SUBJECT, act.id, actor=actor, article="A19",
                 after={"kind": kind.value, "title": title, "event_date": event_date})
    case = open_case(res, "discipline", actor=actor, title=f"未经批准{act.kind_label}：{title}"[:200],
                     facts=facts, occurred_on=event_date, evidence=evidence, activity=act)
    return act, case


def lapse_overdue(day: dt.date | None = None) -> list[int]:
    """The sweep: every pending request whose last working day before the event has passed
    lapses. Returns the ids it lapsed."""
    from portal.jobs.operations import tenant_ids

    day = day or today()
    n = []
    for tid in tenant_ids():
        with tenant_context(tid, db.session):
            for act in db.session.scalars(sa.select(Activity).where(
                    Activity.status == ActivityStatus.pending, Activity.decide_by < day).order_by(Activity.id)):
                if ACTIVITY.advance(act, "lapse", actor="后台任务",
                                    note=f"活动前最后一个工作日（{act.decide_by.isoformat()}）前未作出决定"):
                    n.append(act.id)
            db.session.commit()
    return n


def visible_activities(user, roles):
    """Staff all; the chair their own; a department head their chairs'; the approver role when the
    rules make it an approver of activities."""
    held = {str(r) for r in roles}
    stmt = sa.select(Activity).order_by(Activity.event_date.desc(), Activity.id.desc())
    if held & STAFF:
        return stmt
    conds = []
    if "chair" in held:
        conds.append(Activity.residency_id.in_(own_residency_ids(user) or {-1}))
    if "department_head" in held:
        conds.append(Activity.residency_id.in_(headed_residency_ids(user) or {-1}))
    if "approver" in held:
        from flask import g

        tenant = g.get("tenant")
        if tenant is not None and "approver" in _approver_roles(tenant.id):
            conds.append(Activity.status != ActivityStatus.unapproved)
    if not conds:
        return stmt.where(sa.false())
    return stmt.where(sa.or_(*conds))


def register_query():
    """The register of approved activities (A19)."""
    return (sa.select(Activity).where(Activity.status.in_((ActivityStatus.approved, ActivityStatus.filed)))
            .order_by(Activity.event_date.desc(), Activity.id.desc()))


def _notify_approvers(act: Activity) -> None:
    from portal.notifications.operations import notify, staff_recipients

    for user in staff_recipients(act.tenant_id, _approver_roles(act.tenant_id)):
        notify(act.tenant_id, template_key="supervision.activity_requested",
               context={"name": act.residency.chair.name, "kind": act.kind_label, "title": act.title,
                        "event_date": act.event_date.isoformat(), "decide_by": act.decide_by.isoformat()},
               recipient_user_id=user.id, channels=("email", "inbox"), related_type=SUBJECT, related_id=act.id,
               dedupe_key=f"supervision-activity:{act.id}:{user.id}")

