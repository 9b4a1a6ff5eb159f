"""The nomination state machine, declared as data (A6 in order; A7 at any stage).

Each transition names who may make it, the guard that must hold (a Chinese reason when it
does not) and the article it enforces. ``apply`` is the only writer of
``Nomination.status``, by compare-and-set on the row (``portal.core.concurrency``); every
transition writes an audit record, once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa

from portal.core import audit
from portal.core.concurrency import compare_and_set, refresh
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from portal.selection.models import (
    CheckResult, EligibilityCheck, Nomination, NominationStatus as S, Objection, ObjectionStatus,
    PublicNotice, Review, ReviewLevel, SelectionCycle,
)
from tenants.models import Role
from tenants.rules.registry import article_citation

STAFF = frozenset({Role.secretariat_admin, Role.secretariat_staff})
SYSTEM = "system"  # roles value for jobs, demo data and the CLI
ELIGIBILITY_ITEMS = ("A5.1", "A5.2", "A5.3", "A5.4", "A5.5")
LIVE = frozenset(S) - {S.disqualified, S.withdrawn, S.appointed}

Guard = Callable[[Nomination, dict], "str | None"]


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset
    target: S
    roles: frozenset
    article: str
    guard: Guard | None = None


def _g_submit(nom: Nomination, ctx: dict) -> str | None:
    cycle = ctx["cycle"]
    today: dt.date = ctx["today"]
    step = cycle.step("nominations")
    if step and step.due_on and today > step.due_on:
        return f"推荐材料报送已于{step.due_on:%Y年%m月%d日}截止（{article_citation('A6.2')}）"
    from portal.core.calendar import calendar

    need = cycle.rule("selection.school_publicity_min_workdays")
    # A period of N working days: its first day counts.
    got = calendar().period_workdays(nom.publicity_start, nom.publicity_end)
    if got < need:
        return (f"校内公示仅 {got} 个工作日，少于规定的 {need} 个工作日"
                f"（{article_citation('A6.2')}）")
    if nom.publicity_end > today:
        return f"校内公示尚未结束（{nom.publicity_end:%Y-%m-%d}），结束后方可报送（{article_citation('A6.2')}）"
    return None


def _checks(nom: Nomination) -> dict[str, EligibilityCheck]:
    rows = db.session.scalars(sa.select(EligibilityCheck).where(EligibilityCheck.nomination_id == nom.id))
    return {c.item: c for c in rows}


def _g_eligibility(nom: Nomination, ctx: dict) -> str | None:
    checks = _checks(nom)
    missing = [i for i in ELIGIBILITY_ITEMS if i not in checks]
    if missing:
        return f"尚未完成资格条件核查：{'、'.join(article_citation(i) for i in missing)}"
    pending = [i for i, c in checks.items() if c.result == CheckResult.pending]
    if pending:
        return f"以下条件尚待核实并上传证明：{'、'.join(article_citation(i) for i in sorted(pending))}"
    failed = [i for i, c in checks.items() if c.result == CheckResult.failed]
    if failed:
        return (f"不符合{'、'.join(article_citation(i) for i in sorted(failed))}的条件，"
                f"应取消资格（{article_citation('A7')}）")
    return None


def _g_reviewed(nom: Nomination, ctx: dict) -> str | None:
    reviews = {r.level: r for r in db.session.scalars(sa.select(Review).where(Review.nomination_id == nom.id))}
    cycle = db.session.get(SelectionCycle, nom.cycle_id)
    # A6.3: both levels sign, each named from the tenant's rules (not the national bodies' names)
    for level in (ReviewLevel.provincial, ReviewLevel.national):
        who = cycle.review_body(level)
        r = reviews.get(level)
        if r is None:
            return f"{who}尚未签署资格审查和考察意见（{article_citation('A6.3')}）"
        if not r.qualified:
            return f"{who}审查认为不合格，应取消资格（{article_citation('A7')}）"
    return None


def _g_examined(nom: Nomination, ctx: dict) -> str | None:
    if nom.exam_score is None:
        return f"尚未录入笔试成绩（{article_citation('A6.4')}）"
    if nom.interview_score is None:
        return f"尚未录入面试成绩（{article_citation('A6.4')}）"
    return None


def _g_ranked(nom: Nomination, ctx: dict) -> str | None:
    if nom.rank is None or nom.total_score is None:
        return f"尚未计算综合成绩和排名（{article_citation('A6.4')}）"
    return None


def _g_publicized(nom: Nomination, ctx: dict) -> str | None:
    notice: PublicNotice | None = ctx.get("notice")
    if notice is None or nom.id not in (notice.nomination_ids or []):
        return f"该人选不在公示名单中（{article_citation('A6.5')}）"
    return None


def notice_of(nom: Nomination, notices: list[PublicNotice] | None = None) -> PublicNotice | None:
    """The notice that publicized ``nom``: the latest of its cycle listing it (A6.5)."""
    if notices is None:
        notices = db.session.scalars(sa.select(PublicNotice).where(PublicNotice.cycle_id == nom.cycle_id)
                                     .order_by(PublicNotice.id.desc())).all()
    return next((n for n in notices if nom.id in (n.nomination_ids or [])), None)


def _g_appoint(nom: Nomination, ctx: dict) -> str | None:
    # A6.5: the candidate's own notice, never another one of the cycle (ctx may carry the
    # cycle's notices, latest first, to save a query per candidate).
    notice = notice_of(nom, ctx.get("notices"))
    today: dt.date = ctx["today"]
    if notice is None:
        return f"尚未公示，不能任用（{article_citation('A6.5')}）"
    ends_on = notice.ends_on  # N working days from its start, which is never before it was published
    if today <= ends_on:
        return (f"公示期至{ends_on:%Y年%m月%d日}结束，公示期满后方可确认任用"
                f"（{article_citation('A6.5')}）")
    objections = db.session.scalars(sa.select(Objection).where(
        Objection.notice_id == notice.id,
        sa.or_(Objection.nomination_id == nom.id, Objection.nomination_id.is_(None)))).all()
    if any(o.status == ObjectionStatus.received for o in objections):
        return f"公示期间收到的异议尚未核查完毕（{article_citation('A6.5')}）"
    if any(o.status == ObjectionStatus.upheld and o.nomination_id == nom.id for o in objections):
        return f"对该人选的异议经核查成立，不能任用（{article_citation('A6.5')}）"
    return None


def _t(name, label, sources, target, roles, article, guard=None):
    return Transition(name, label, frozenset(sources), target, frozenset(roles), article, guard)


TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    _t("submit", "报送", [S.draft], S.submitted, STAFF | {Role.school_liaison}, "A6.2", _g_submit),
    _t("confirm_eligibility", "确认资格条件", [S.submitted], S.eligibility_checked, STAFF, "A5", _g_eligibility),
    _t("start_review", "开始审查考察", [S.eligibility_checked], S.under_review, STAFF, "A6.3"),
    _t("complete_review", "完成审查考察", [S.under_review], S.reviewed, STAFF, "A6.3", _g_reviewed),
    _t("record_exam", "完成笔试面试", [S.reviewed], S.examined, STAFF, "A6.4", _g_examined),
    _t("rank", "排名", [S.examined], S.ranked, STAFF, "A6.4", _g_ranked),
    _t("propose", "列为拟任人选", [S.ranked], S.proposed, STAFF, "A6.5"),
    _t("unpropose", "退回排名", [S.proposed], S.ranked, STAFF | {Role.approver}, "A6.5"),
    _t("approve", "批准", [S.proposed], S.approved, {Role.approver}, "A6.5"),
    _t("publicize", "公示", [S.approved], S.publicized, STAFF, "A6.5", _g_publicized),
    _t("appoint", "确认任用", [S.publicized], S.appointed, STAFF, "A6.5", _g_appoint),
    _t("withdraw", "撤回", [S.draft, S.submitted], S.withdrawn, STAFF | {Role.school_liaison}, "A6.2"),
    _t("disqualify", "取消资格", LIVE, S.disqualified, STAFF, "A7"),
]}


def allowed(nom: Nomination, roles) -> list[Transition]:
    """Transitions whose source matches and whose roles the user holds (for buttons)."""
    out = []
    for t in TRANSITIONS.values():
        if nom.status in t.sources and (roles == SYSTEM or set(roles) & t.roles):
            out.append(t)
    return out


def apply(nom: Nomination, name: str, *, actor, roles, ctx: dict | None = None, note: str | None = None) -> Nomination:
    """Make one transition or raise (403 wrong role, 409 wrong state or failed guard)."""
    t = TRANSITIONS[name]
    if roles != SYSTEM and not (set(roles) & t.roles):
        raise DomainError(f"您的角色无权执行「{t.label}」（{article_citation(t.article)}）", status=403,
                          code="forbidden_transition")
    if nom.status not in t.sources:
        from portal.selection.models import STATUS_LABELS

        raise Conflict(f"该人选当前状态为「{STATUS_LABELS[nom.status]}」，不能执行「{t.label}」"
                       f"（{article_citation(t.article)}规定的程序顺序）", code="bad_state")
    if t.guard is not None:
        reason = t.guard(nom, ctx or {})
        if reason:
            raise Conflict(reason, code="guard_failed")
    before = nom.status
    # Compare-and-set on the row: a second click or a second staff member who loaded the same
    # status finds it already changed, and neither the transition nor its audit is written twice.
    if not compare_and_set(nom, "status", before, t.target):
        from portal.selection.models import STATUS_LABELS

        refresh(nom)
        raise Conflict(f"该人选的状态已被他人改为「{STATUS_LABELS[nom.status]}」，未重复执行「{t.label}」，"
                       f"请刷新后查看", code="stale_state")
    before = before.value
    audit.record(f"nomination.{name}", "nomination", nom.id, actor=actor,
                 before={"status": before}, after={"status": t.target.value, "note": note},
                 article=t.article)
    return nom
