"""A18 removal and A21 discipline: a case from its facts to its end. Plain functions; flush, never commit.

A18: the secretariat opens the case (the ground from ``supervision.removal_grounds``, the facts,
the evidence), hears the chair (a statement due ``supervision.statement_workdays`` working days
on), and asks the body ``selection.approving_body`` names through ``portal.core.approvals``. The
body's decision reaches :func:`on_removal_decided` in the decision's own transaction: on approval
the residency ends (``residency.ended`` lets incentives stop the allowance and release the bed,
and confidentiality revoke vault access), the chair's open requests are closed, and the notice to
the sending school is generated and sent — all or nothing.

A21: the same hearing, then a measure from the ladder ``supervision.disciplinary_measures`` with
its reason; 责令检讨 asks for a written self-criticism by ``supervision.self_criticism_workdays``
working days, 劝退 ends the residency (left) and notifies the school.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import approvals, audit
from portal.core.approvals import ApprovalRequest, ApprovalStatus, Kind
from portal.core.db import utcnow
from portal.core.errors import Conflict
from portal.core.obligations import FieldError
from portal.core.workflow import SYSTEM
from portal.extensions import db
from portal.residency.models import Residency, ResidencyStatus
from portal.supervision.models import (OPEN_CASE, Activity, ActivityStatus, CaseKind, CaseStatus, FileRole,
                                       SupervisionCase)
from portal.supervision.operations.common import calendar, clean, roles_toward, rule, rules, store_files, today
from portal.supervision.workflow import ACTIVITY, DISCIPLINE, REMOVAL, machine_for
from tenants.models import Tenant
from tenants.rules.registry import article_citation

SUBJECT = "supervision_case"
SELF_CRITICISM = "责令检讨"   # the measures' own words (A21)
DISMISSAL = "劝退"


def _case_url(req: ApprovalRequest) -> str:
    from flask import url_for

    return url_for("supervision.case", case_id=req.subject_id)


REMOVAL_KIND = approvals.register_kind(Kind(key="supervision.removal", label="取消驻会资格",
                                            body_rule_key="selection.approving_body", article="A18",
                                            subject_url=_case_url))


# --- opening and hearing --------------------------------------------------------------------------

def open_case(res: Residency, kind: str, *, actor, title: str, facts: str, ground: str | None = None,
              occurred_on: dt.date | None = None, evidence=(), activity: Activity | None = None) -> SupervisionCase:
    """The secretariat opens a case about a chair in residence; the evidence goes to the vault."""
    try:
        kind = CaseKind(kind)
    except ValueError:
        raise FieldError("案件类型只能是 removal（取消驻会资格）或 discipline（纪律处置）", "kind") from None
    if res.status != ResidencyStatus.in_residence:
        raise Conflict(f"{res.chair.name}已不在驻会期间（{res.status_label}），不能立案", code="not_in_residence")
    title = clean(title, "title", "案由", 200)
    facts = clean(facts, "facts", "事实经过", 20000)
    article = "A18" if kind == CaseKind.removal else "A21"
    if kind == CaseKind.removal:
        grounds = list(rule(res.tenant_id, "supervision.removal_grounds"))
        ground = (ground or "").strip()
        if ground not in grounds:
            raise FieldError(f"取消驻会资格的情形只能是：{'、'.join(grounds)}（{article_citation('A18')}）", "ground")
    else:
        ground = None
    if occurred_on is not None and occurred_on > today():
        raise FieldError("发生日期不能晚于今天", "occurred_on")
    case = SupervisionCase(tenant_id=res.tenant_id, residency_id=res.id, kind=kind, status=CaseStatus.open,
                           title=title, ground=ground, facts=facts, occurred_on=occurred_on,
                           opened_by_id=getattr(actor, "id", None), activity_id=getattr(activity, "id", None))
    db.session.add(case)
    db.session.flush()
    files = store_files(owner=case, role=FileRole.evidence, uploads=evidence, actor=actor, tenant_id=res.tenant_id,
                        field="evidence")
    audit.record("supervision_case.opened", SUBJECT, case.id, actor=actor, article=article,
                 after={"kind": kind.value, "residency_id": res.id, "name": res.chair.name, "title": title,
                        "ground": ground, "evidence": [f.file.sha256 for f in files],
                        "activity_id": case.activity_id})
    return case


def add_evidence(case: SupervisionCase, uploads, *, actor) -> list:
    if not case.is_open:
        raise Conflict(f"案件状态为「{case.status_label}」，不能再补充证据", code="case_closed")
    files = store_files(owner=case, role=FileRole.evidence, uploads=uploads, actor=actor, tenant_id=case.tenant_id,
                        field="evidence")
    if not files:
        raise FieldError("请选择要上传的证据材料", "evidence")
    audit.record("supervision_case.evidence", SUBJECT, case.id, actor=actor, article=case.article,
                 after={"files": [f.file.sha256 for f in files]})
    return files


def hear(case: SupervisionCase, *, actor, roles) -> SupervisionCase:
    """Tell the chair and open the statement period: due N working days from today (official calendar)."""
    days = int(rule(case.tenant_id, "supervision.statement_workdays"))
    due = calendar().add_workdays(today(), days)
    machine_for(case).apply(case, "hear", actor=actor, roles=roles, note=f"申辩期限 {due.isoformat()}")
    case.statement_due = due
    db.session.flush()
    _tell_chair(case, "supervision.hearing", {"title": case.title, "due": due.isoformat(), "kind": case.kind_label})
    return case


def file_statement(case: SupervisionCase, *, actor, roles, statement: str, files=()) -> SupervisionCase:
    """The chair's statement (申辩), by the deadline."""
    res = case.residency
    text = clean(statement, "statement", "申辩意见", 20000)
    machine_for(case).apply(case, "file_statement", actor=actor, roles=roles_toward(res, actor, roles),
                            ctx={"today": today()})
    case.statement, case.statement_at = text, utcnow()
    store_files(owner=case, role=FileRole.statement, uploads=files, actor=actor, tenant_id=case.tenant_id,
                field="files")
    db.session.flush()
    return case


def close_hearing(case: SupervisionCase, *, actor, roles) -> SupervisionCase:
    """The deadline passed without a statement: the case goes on (recorded)."""
    machine_for(case).apply(case, "close_hearing", actor=actor, roles=roles, ctx={"today": today()},
                            note="申辩期满未提交申辩" if not case.statement else None)
    return case


def withdraw(case: SupervisionCase, *, actor, roles, reason: str) -> SupervisionCase:
    machine_for(case).apply(case, "withdraw", actor=actor, roles=roles, note=reason)
    case.closed_at = utcnow()
    db.session.flush()
    return case


# --- A18: the request to the approving body and its decision --------------------------------------

def request_approval(case: SupervisionCase, *, actor, roles) -> ApprovalRequest:
    if case.kind != CaseKind.removal:
        raise Conflict(f"纪律处置由秘书处视情节轻重作出，无需报批（{article_citation('A21')}）", code="not_removal")
    tenant = db.session.get(Tenant, case.tenant_id)
    REMOVAL.apply(case, "request_approval", actor=actor, roles=roles)
    res = case.residency
    eff = rules(case.tenant_id)  # the tenant's effective rules (A22: 共青团广东省委 for gd)
    req = approvals.request(
        tenant, REMOVAL_KIND.key, subject_type=SUBJECT, subject_id=case.id, rules=lambda k: eff[k], actor=actor,
        title=f"关于取消{res.chair.name}驻会资格的请示"[:200],
        summary=f"{res.school.name}{res.chair.name}（{res.cohort}学年驻会执行主席），{case.ground}：{case.title}。"
                f"{'本人已提交申辩。' if case.statement else '本人未在期限内提交申辩。'}",
        payload={"case_id": case.id, "residency_id": res.id, "ground": case.ground})
    case.approval_request_id = req.id
    case.approving_body = req.body_name
    db.session.flush()
    return req


def on_removal_decided(kind_key, *, request, actor, **_):
    """The body's decision, in its own transaction: approved → :func:`remove`; refused → closed."""
    case = db.session.scalar(sa.select(SupervisionCase).where(SupervisionCase.id == request.subject_id))
    if case is None:
        raise Conflict("审批事项对应的案件不存在", code="case_missing")
    if request.status == ApprovalStatus.approved:
        remove(case, request, actor=actor)
    elif request.status == ApprovalStatus.refused:
        REMOVAL.apply(case, "refuse", actor=actor, roles=SYSTEM, note=request.reason)
        case.closed_at = utcnow()
        db.session.flush()


def remove(case: SupervisionCase, req: ApprovalRequest, *, actor) -> SupervisionCase:
    """A18, in one transaction: the case approved, the residency ended (removed, on the decision's
    date), the chair's open requests closed, the school notified. Anything raising on the way (a
    receiver of ``residency.ended`` included) leaves all of it undone."""
    from portal.residency.operations import end_residency
    from portal.supervision.operations.notice import send_notice

    REMOVAL.apply(case, "approve", actor=actor, roles=SYSTEM, note=req.document_number)
    case.decision_number, case.decision_date, case.approving_body = req.document_number, req.decision_date, req.body_name
    db.session.flush()
    res = case.residency
    ended_on = min(max(req.decision_date, res.term_start), res.appointed_term_end)
    end_residency(res, "removed", ended_on=ended_on, actor=actor,
                  reason=f"{case.ground}：{case.title}（{req.body_name}批准，{req.document_number}）")
    close_open_matters(res, actor=actor, except_case=case)
    send_notice(case, actor=actor)
    return case


def close_open_matters(res: Residency, *, actor, except_case: SupervisionCase | None = None) -> dict:
    """The residency ended: the chair's pending and approved activity requests are closed, their
    other open cases closed or withdrawn, and any pending approval request about them withdrawn."""
    closed = {"activities": 0, "cases": 0, "approvals": 0}
    for act in db.session.scalars(sa.select(Activity).where(
            Activity.residency_id == res.id, Activity.status.in_((ActivityStatus.pending, ActivityStatus.approved)))):
        ACTIVITY.apply(act, "close_on_end", actor=actor, roles=SYSTEM, note=f"驻会已结束（{res.status_label}）")
        closed["activities"] += 1
    for other in db.session.scalars(sa.select(SupervisionCase).where(
            SupervisionCase.residency_id == res.id, SupervisionCase.status.in_(OPEN_CASE))):
        if except_case is not None and other.id == except_case.id:
            continue
        pending = approvals.open_request(REMOVAL_KIND.key, SUBJECT, other.id)
        if pending is not None:
            # withdrawing sends approval_decided; the handler ignores a withdrawn request
            approvals.withdraw(pending, actor=actor, reason=f"驻会已结束（{res.status_label}）")
            closed["approvals"] += 1
        if other.kind == CaseKind.discipline:
            DISCIPLINE.apply(other, "close_on_end", actor=actor, roles=SYSTEM, note=f"驻会已结束（{res.status_label}）")
        elif other.status in (CaseStatus.open, CaseStatus.hearing, CaseStatus.heard):
            REMOVAL.apply(other, "withdraw", actor=actor, roles=SYSTEM, note=f"驻会已结束（{res.status_label}）")
        else:  # awaiting approval, withdrawn above: the case stays as the record of the request
            continue
        other.closed_at = utcnow()
        closed["cases"] += 1
    for req in db.session.scalars(sa.select(ApprovalRequest).where(
            ApprovalRequest.status == ApprovalStatus.pending, ApprovalRequest.subject_type == "residency",
            ApprovalRequest.subject_id == res.id)):
        approvals.withdraw(req, actor=actor, reason=f"驻会已结束（{res.status_label}）")
        closed["approvals"] += 1
    db.session.flush()
    audit.record("supervision.matters_closed", "residency", res.id, actor=actor,
                 article="A18" if res.status == ResidencyStatus.removed else "A21", after=closed)
    return closed


# --- A21: the measure -------------------------------------------------------------------------

def decide_measure(case: SupervisionCase, *, actor, roles, measure: str, reason: str) -> SupervisionCase:
    """A measure from the ladder (light to heavy), with the reason it was chosen."""
    from portal.residency.operations import end_residency
    from portal.supervision.operations.notice import send_notice

    if case.kind != CaseKind.discipline:
        raise Conflict(f"取消驻会资格须报审批机关批准（{article_citation('A18')}）", code="not_discipline")
    ladder = list(rule(case.tenant_id, "supervision.disciplinary_measures"))
    measure = (measure or "").strip()
    if measure not in ladder:
        raise FieldError(f"处置措施只能是：{'、'.join(ladder)}（由轻到重，{article_citation('A21')}）", "measure")
    reason = clean(reason, "reason", "选择该措施的理由", 5000)
    name = {SELF_CRITICISM: "order_self_criticism", DISMISSAL: "dismiss"}.get(measure, "measure")
    DISCIPLINE.apply(case, name, actor=actor, roles=roles, note=f"{measure}：{reason}")
    case.measure, case.measure_reason, case.measure_on = measure, reason, today()
    if name == "order_self_criticism":
        case.self_criticism_due = calendar().add_workdays(today(), int(rule(case.tenant_id,
                                                                            "supervision.self_criticism_workdays")))
        _tell_chair(case, "supervision.self_criticism", {"title": case.title,
                                                         "due": case.self_criticism_due.isoformat()})
    else:
        case.closed_at = utcnow()
    db.session.flush()
    if name == "dismiss":
        res = case.residency
        end_residency(res, "left", ended_on=today(), actor=actor, reason=f"劝退：{case.title}（{reason}）")
        close_open_matters(res, actor=actor, except_case=case)
        send_notice(case, actor=actor)
    return case


def file_self_criticism(case: SupervisionCase, *, actor, roles, files) -> SupervisionCase:
    """The chair uploads the written self-criticism (检讨书) by its deadline."""
    res = case.residency
    mine = roles_toward(res, actor, roles)
    if not [u for u in files or () if u and u[1]]:
        raise FieldError("请上传检讨书", "files")
    DISCIPLINE.apply(case, "file_self_criticism", actor=actor, roles=mine, ctx={"today": today()})
    store_files(owner=case, role=FileRole.self_criticism, uploads=files, actor=actor, tenant_id=case.tenant_id,
                label="检讨书")
    return case


def review_self_criticism(case: SupervisionCase, accept: bool, *, actor, roles, note: str | None = None):
    """The secretariat accepts it (the case closes) or returns it with what to change (a new deadline)."""
    if accept:
        DISCIPLINE.apply(case, "accept_self_criticism", actor=actor, roles=roles, note=note)
        case.closed_at = utcnow()
    else:
        DISCIPLINE.apply(case, "return_self_criticism", actor=actor, roles=roles, note=note)
        case.self_criticism_note = (note or "").strip()
        case.self_criticism_due = calendar().add_workdays(
            today(), int(rule(case.tenant_id, "supervision.self_criticism_workdays")))
        _tell_chair(case, "supervision.self_criticism", {"title": case.title,
                                                         "due": case.self_criticism_due.isoformat()})
    db.session.flush()
    return case


# --- reading -----------------------------------------------------------------------------------

def visible_cases(user, roles):
    """The cases this user may see (item 6): staff all; a chair their own; a department head
    those of chairs in a department they head; the approver the removals addressed to them."""
    from portal.supervision.operations.common import STAFF, headed_residency_ids, own_residency_ids

    held = {str(r) for r in roles}
    stmt = sa.select(SupervisionCase).order_by(SupervisionCase.id.desc())
    if held & STAFF:
        return stmt
    conds = []
    if "chair" in held:
        conds.append(SupervisionCase.residency_id.in_(own_residency_ids(user) or {-1}))
    if "department_head" in held:
        conds.append(SupervisionCase.residency_id.in_(headed_residency_ids(user) or {-1}))
    if "approver" in held:
        conds.append(sa.and_(SupervisionCase.kind == CaseKind.removal,
                             SupervisionCase.approval_request_id.is_not(None)))
    if not conds:
        return stmt.where(sa.false())
    return stmt.where(sa.or_(*conds))


def get_case(case_id: int, user, roles) -> SupervisionCase | None:
    return db.session.scalar(visible_cases(user, roles).where(SupervisionCase.id == case_id))


def _tell_chair(case: SupervisionCase, template_key: str, context: dict) -> None:
    from portal.notifications.operations import notify

    uid = case.residency.chair.user_id
    if uid is None:
        return
    notify(case.tenant_id, template_key=template_key, context={"name": case.residency.chair.name, **context},
           recipient_user_id=uid, channels=("email", "inbox"), related_type="supervision_case", related_id=case.id,
           dedupe_key=f"{template_key}:{case.id}:{context.get('due')}")


approvals.approval_decided.connect(on_removal_decided, sender=REMOVAL_KIND.key)
