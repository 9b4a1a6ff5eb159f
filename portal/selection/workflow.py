"""Selection's declared states (A6 in order; A7 at any stage), on ``portal.core.workflow``.

Two machines: the nomination's (``NOMINATION``) and the cycle's own stages (``CYCLE``). Each
transition names who may make it, its guards (each a stable code and a Chinese reason when it
refuses), the article it enforces, whether it takes a decision back (a reason is required), the
audit action it writes, and whether the generic transition endpoints offer it.
``NOMINATION.apply`` is the only writer of ``Nomination.status``; ``CYCLE`` the only writer of
``SelectionCycle.status``.

A6.5: proposing a nominee files (or joins) the request for the approving body's consent on the
approvals engine (``portal.selection.consent``); its decision comes back here through the
engine's ``approval_decided`` signal and approves or returns the proposed list.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import approvals
from portal.core.errors import Conflict
from portal.core.workflow import SYSTEM, Machine, Refusal, Transition, transition as _t  # noqa: F401
from portal.extensions import db
from portal.selection import consent
from portal.selection.models import (
    CYCLE_STATUS_LABELS, STATUS_LABELS, CheckResult, CycleStatus as C, EligibilityCheck, Nomination,
    NominationStatus as S, Objection, ObjectionStatus, PublicNotice, Review, ReviewLevel, SelectionCycle,
)
from tenants.models import Role
from tenants.rules.registry import article_citation

STAFF = frozenset({Role.secretariat_admin, Role.secretariat_staff})
ELIGIBILITY_ITEMS = ("A5.1", "A5.2", "A5.3", "A5.4", "A5.5")
LIVE = frozenset(S) - {S.disqualified, S.withdrawn, S.appointed}
# A4: the places a cycle's quota counts (proposed, consented, publicized, appointed).
HOLDS_PLACE = (S.proposed, S.approved, S.publicized, S.appointed)
# The cycle's stages in which letters go out and schools still nominate (until the A6.2 deadline):
# A6.3 review and A6.4 exams may begin on the first nominations while the window runs.
NOMINATING = frozenset({C.open, C.reviewing, C.examining})


# --- guards: None, or a Refusal with a stable code ---------------------------------------------

def _g_submit(nom: Nomination, ctx: dict) -> Refusal | None:
    cycle = ctx["cycle"]
    today: dt.date = ctx["today"]
    step = cycle.step("nominations")
    if step and step.due_on and today > step.due_on:
        return Refusal("deadline_passed",
                       f"推荐材料报送已于{step.due_on:%Y年%m月%d日}截止（{article_citation('A6.2')}）")
    from portal.core.calendar import calendar

    need = cycle.rule("selection.school_publicity_min_workdays")
    # A period of N working days: its first day counts.
    got = calendar().period_workdays(nom.publicity_start, nom.publicity_end)
    if got < need:
        return Refusal("school_publicity_short", f"校内公示仅 {got} 个工作日，少于规定的 {need} 个工作日"
                                                 f"（{article_citation('A6.2')}）")
    if nom.publicity_end > today:
        return Refusal("school_publicity_running",
                       f"校内公示尚未结束（{nom.publicity_end:%Y-%m-%d}），结束后方可报送（{article_citation('A6.2')}）")
    return None


def _checks(nom: Nomination) -> dict[str, EligibilityCheck]:
    rows = db.session.scalars(sa.select(EligibilityCheck).where(EligibilityCheck.nomination_id == nom.id))
    return {c.item: c for c in rows}


def _g_eligibility(nom: Nomination, ctx: dict) -> Refusal | None:
    checks = _checks(nom)
    missing = [i for i in ELIGIBILITY_ITEMS if i not in checks]
    if missing:
        return Refusal("eligibility_incomplete",
                       f"尚未完成资格条件核查：{'、'.join(article_citation(i) for i in missing)}")
    pending = [i for i, c in checks.items() if c.result == CheckResult.pending]
    if pending:
        return Refusal("eligibility_pending",
                       f"以下条件尚待核实并上传证明：{'、'.join(article_citation(i) for i in sorted(pending))}")
    failed = [i for i, c in checks.items() if c.result == CheckResult.failed]
    if failed:
        return Refusal("eligibility_failed", f"不符合{'、'.join(article_citation(i) for i in sorted(failed))}的条件，"
                                             f"应取消资格（{article_citation('A7')}）")
    return None


def _g_reviewed(nom: Nomination, ctx: dict) -> Refusal | None:
    reviews = {r.level: r for r in db.session.scalars(sa.select(Review).where(Review.nomination_id == nom.id))}
    cycle = db.session.get(SelectionCycle, nom.cycle_id)
    # A6.3: both levels sign, each named from the tenant's rules (not the national bodies' names)
    for level in (ReviewLevel.provincial, ReviewLevel.national):
        who = cycle.review_body(level)
        r = reviews.get(level)
        if r is None:
            return Refusal("review_unsigned", f"{who}尚未签署资格审查和考察意见（{article_citation('A6.3')}）")
        if not r.qualified:
            return Refusal("review_failed", f"{who}审查认为不合格，应取消资格（{article_citation('A7')}）")
    return None


def _g_examined(nom: Nomination, ctx: dict) -> Refusal | None:
    if nom.exam_score is None:
        return Refusal("exam_score_missing", f"尚未录入笔试成绩（{article_citation('A6.4')}）")
    if nom.interview_score is None:
        return Refusal("interview_score_missing", f"尚未录入面试成绩（{article_citation('A6.4')}）")
    return None


def _g_ranked(nom: Nomination, ctx: dict) -> Refusal | None:
    if nom.rank is None or nom.total_score is None:
        return Refusal("not_ranked", f"尚未计算综合成绩和排名（{article_citation('A6.4')}）")
    return None


def places_taken(cycle_id: int) -> int:
    """A4: how many of the cycle's places are held (counted under the cycle's row lock)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Nomination).where(
        Nomination.cycle_id == cycle_id, Nomination.status.in_(HOLDS_PLACE))) or 0


def quota_refusal(cycle: SelectionCycle, adding: int = 1) -> Refusal | None:
    if places_taken(cycle.id) + adding > cycle.quota:
        return Refusal("quota_full", f"拟任人选不能超过本学年名额 {cycle.quota} 名（{article_citation('A4')}）")
    return None


def _g_quota(nom: Nomination, ctx: dict) -> Refusal | None:
    # A4: the declaration locks the cycle's row first (``lock=``), so two proposals at the
    # same moment cannot both fit into the last place, whichever endpoint they came through.
    return quota_refusal(db.session.get(SelectionCycle, nom.cycle_id))


def _g_publicized(nom: Nomination, ctx: dict) -> Refusal | None:
    notice: PublicNotice | None = ctx.get("notice")
    if notice is None or nom.id not in (notice.nomination_ids or []):
        return Refusal("not_on_notice", f"该人选不在公示名单中（{article_citation('A6.5')}）")
    return None


def notice_of(nom: Nomination, notices: list[PublicNotice] | None = None) -> PublicNotice | None:
    """The notice that publicized ``nom``: the latest of its cycle listing it (A6.5)."""
    if notices is None:
        notices = db.session.scalars(sa.select(PublicNotice).where(PublicNotice.cycle_id == nom.cycle_id)
                                     .order_by(PublicNotice.id.desc())).all()
    return next((n for n in notices if nom.id in (n.nomination_ids or [])), None)


# Refusals of ``appoint`` that mean "not yet" (the candidate waits), not "never".
APPOINT_WAITS = frozenset({"not_publicized", "notice_running", "objections_pending"})


def _g_appoint(nom: Nomination, ctx: dict) -> Refusal | None:
    # A6.5: the candidate's own notice, never another one of the cycle (ctx may carry the
    # cycle's notices, latest first, to save a query per candidate).
    notice = notice_of(nom, ctx.get("notices"))
    today: dt.date = ctx["today"]
    if notice is None:
        return Refusal("not_publicized", f"尚未公示，不能任用（{article_citation('A6.5')}）")
    ends_on = notice.ends_on  # N working days from its start, which is never before it was published
    if today <= ends_on:
        return Refusal("notice_running", f"公示期至{ends_on:%Y年%m月%d日}结束，公示期满后方可确认任用"
                                         f"（{article_citation('A6.5')}）")
    objections = db.session.scalars(sa.select(Objection).where(
        Objection.notice_id == notice.id,
        sa.or_(Objection.nomination_id == nom.id, Objection.nomination_id.is_(None)))).all()
    if any(o.status == ObjectionStatus.received for o in objections):
        return Refusal("objections_pending", f"公示期间收到的异议尚未核查完毕（{article_citation('A6.5')}）")
    if any(o.status == ObjectionStatus.upheld and o.nomination_id == nom.id for o in objections):
        return Refusal("objection_upheld", f"对该人选的异议经核查成立，不能任用（{article_citation('A6.5')}）")
    return None


# --- effects: what follows a transition, in the same transaction --------------------------------

def _cycle_of(nom: Nomination) -> SelectionCycle:
    return db.session.get(SelectionCycle, nom.cycle_id)


def _lock_cycle(nom: Nomination):
    return SelectionCycle, nom.cycle_id


def _e_review_started(nom: Nomination, info: dict) -> None:
    # The cycle enters A6.3 when its first nomination does.
    CYCLE.advance(_cycle_of(nom), "begin_review", actor=info["actor"])


def _e_ask_consent(nom: Nomination, info: dict) -> None:
    # A6.5: the proposed list goes to the approving body; one open request per cycle.
    consent.ask(_cycle_of(nom), actor=info["actor"])


def _e_left_the_list(nom: Nomination, info: dict) -> None:
    # A proposed nominee taken off the list: an open request with nobody left on it is withdrawn.
    if info["before"] == S.proposed:
        consent.withdraw_if_empty(_cycle_of(nom), actor=info["actor"], reason=info["note"] or "")


NOMINATION = Machine("selection.nomination", subject="nomination", labels=STATUS_LABELS, noun="该人选",
                     cite=article_citation, transitions=[
    _t("submit", "报送", [S.draft], S.submitted, STAFF | {Role.school_liaison}, "A6.2", guards=[_g_submit]),
    _t("confirm_eligibility", "确认资格条件", [S.submitted], S.eligibility_checked, STAFF, "A5",
       guards=[_g_eligibility], generic=True),
    _t("start_review", "开始审查考察", [S.eligibility_checked], S.under_review, STAFF, "A6.3", generic=True,
       effects=[_e_review_started]),
    _t("complete_review", "完成审查考察", [S.under_review], S.reviewed, STAFF, "A6.3", guards=[_g_reviewed],
       generic=True),
    _t("record_exam", "完成笔试面试", [S.reviewed], S.examined, STAFF, "A6.4", guards=[_g_examined]),
    _t("rank", "排名", [S.examined], S.ranked, STAFF, "A6.4", guards=[_g_ranked]),
    _t("propose", "列为拟任人选", [S.ranked], S.proposed, STAFF, "A6.5", guards=[_g_quota], lock=_lock_cycle,
       generic=True, effects=[_e_ask_consent]),
    _t("unpropose", "退回排名", [S.proposed], S.ranked, STAFF | {Role.approver}, "A6.5", takes_back=True,
       generic=True, lock=_lock_cycle, effects=[_e_left_the_list]),
    # A6.5: made only by the approving body's decision on the approvals engine (below).
    _t("approve", "批准", [S.proposed], S.approved, {Role.approver}, "A6.5"),
    _t("publicize", "公示", [S.approved], S.publicized, STAFF, "A6.5", guards=[_g_publicized]),
    _t("appoint", "确认任用", [S.publicized], S.appointed, STAFF, "A6.5", guards=[_g_appoint]),
    _t("withdraw", "撤回", [S.draft, S.submitted], S.withdrawn, STAFF | {Role.school_liaison}, "A6.2",
       generic=True),
    _t("disqualify", "取消资格", LIVE, S.disqualified, STAFF, "A7", takes_back=True, effects=[_e_left_the_list]),
])

CYCLE = Machine("selection.cycle", subject="selection_cycle", labels=CYCLE_STATUS_LABELS, noun="该选拔",
                cite=article_citation, transitions=[
    _t("begin_review", "进入审查考察", [C.open], C.reviewing, STAFF, "A6.3", audit_action="cycle.status"),
    _t("begin_exams", "进入笔试面试", [C.open, C.reviewing], C.examining, STAFF, "A6.4",
       audit_action="cycle.status"),
    _t("begin_decision", "进入研究决定", [C.open, C.reviewing, C.examining], C.deciding, STAFF, "A6.5",
       audit_action="cycle.status"),
    # A later notice for a candidate approved after the cycle closed (a backfill) reopens publicity.
    _t("begin_publicity", "进入公示", [C.deciding, C.closed], C.publicizing, STAFF, "A6.5",
       audit_action="cycle.status"),
    _t("close", "结束", [C.publicizing], C.closed, STAFF, "A6.5", audit_action="cycle.status"),
])

# The old name, for the callers that read the table.
TRANSITIONS = NOMINATION.transitions


def allowed(nom: Nomination, roles):
    """Transitions whose source matches and whose roles the user holds."""
    return NOMINATION.allowed(nom, roles)


def offered(nom: Nomination, roles):
    """What the generic transition endpoints (web and API) offer: the declared allowlist."""
    return NOMINATION.offered(nom, roles)


def apply(nom: Nomination, name: str, *, actor, roles, ctx: dict | None = None, note: str | None = None) -> Nomination:
    return NOMINATION.apply(nom, name, actor=actor, roles=roles, ctx=ctx, note=note)


def check(nom: Nomination, name: str, ctx: dict | None = None) -> Refusal | None:
    return NOMINATION.check(nom, name, ctx)


# --- A6.5: the approving body's decision, delivered by the approvals engine --------------------

def _on_consent_decided(kind_key, *, request, actor, **_):
    """Approve the proposed list, or return it to the ranking with the body's reason (A6.5).
    Runs in the decision's transaction: if it refuses, the decision is not recorded either."""
    if request.status not in (approvals.ApprovalStatus.approved, approvals.ApprovalStatus.refused):
        return  # withdrawn: the nominees already left the list
    cycle = db.session.get(SelectionCycle, request.subject_id)
    # One decision at a time on the list; a proposal landing meanwhile is decided with it.
    from portal.core.concurrency import lock_row

    lock_row(SelectionCycle, cycle.id)
    noms = list(db.session.scalars(sa.select(Nomination).where(
        Nomination.cycle_id == cycle.id, Nomination.status == S.proposed).order_by(Nomination.rank, Nomination.id)))
    if not noms:
        raise Conflict("没有待审批的拟任人选", code="nothing_proposed")
    approved = request.status == approvals.ApprovalStatus.approved
    note = request.reason if not approved else (request.reason or request.document_number)
    for n in noms:
        apply(n, "approve" if approved else "unpropose", actor=actor, roles=SYSTEM, note=note)
    consent.record_decision(cycle, request, [n.id for n in noms], actor=actor)


approvals.approval_decided.connect(_on_consent_decided, sender=consent.KIND.key)
