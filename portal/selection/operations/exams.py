"""A6.4: written exam, interview panels drawn by lot, scores and the ranking."""
from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from portal.selection import workflow
from portal.selection.models import (
    InterviewPanel, InterviewScore, Nomination, NominationStatus as S, PanelConflict, Panelist,
    SelectionCycle,
)
from tenants.rules.registry import article_citation, parse_weights

from portal.selection.operations.cycles import _exams_begin, advance_cycle


def _score(value, label) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except Exception:
        raise DomainError(f"{label}应为 0–100 的数字，收到「{value}」") from None
    if not d.is_finite() or d < 0 or d > 100:
        raise DomainError(f"{label}应在 0 到 100 之间")
    return d.quantize(Decimal("0.01"))


def exam_score_refusal(nom: Nomination) -> str | None:
    """Why no written-exam score can be recorded for ``nom`` now, or None (A6.4 after A6.3)."""
    if nom.status == S.reviewed:
        return None
    if nom.status in (S.draft, S.submitted, S.eligibility_checked, S.under_review):
        return f"该人选尚未完成资格审查和考察（{article_citation('A6.3')}），不能录入笔试成绩"
    return f"该人选当前状态为「{nom.status_label}」，不能录入笔试成绩"


def enter_exam_score(nom: Nomination, score, *, actor) -> Nomination:
    refusal = exam_score_refusal(nom)
    if refusal:
        raise Conflict(refusal, code="bad_state")
    before = nom.exam_score
    nom.exam_score = _score(score, "笔试成绩")
    db.session.flush()
    _exams_begin(nom.cycle_id, actor=actor)
    audit.record("exam.score", "nomination", nom.id, actor=actor, article="A6.4",
                 before={"exam_score": before}, after={"exam_score": nom.exam_score})
    return nom


def add_panelist(cycle, *, name, affiliation, school_id=None, province_code=None, user_id=None, actor) -> Panelist:
    p = Panelist(tenant_id=cycle.tenant_id, cycle_id=cycle.id, name=name.strip(), affiliation=affiliation.strip(),
                 school_id=school_id, province_code=province_code, user_id=user_id)
    db.session.add(p)
    db.session.flush()
    audit.record("panel.panelist_added", "panelist", p.id, actor=actor, article="A6.4",
                 after={"name": p.name, "affiliation": p.affiliation})
    return p


def declare_conflict(panelist: Panelist, nom: Nomination, reason: str, *, actor) -> PanelConflict:
    """A panelist's declared conflict of interest with a candidate (A6.4, A7).

    Before the draw it keeps the panelist off that candidate's panel; after it, the
    panelist is recused from scoring the candidate and any score already given is struck."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请说明回避理由（如师生、同乡、亲属关系）", field="reason")
    if panelist.cycle_id != nom.cycle_id:
        raise DomainError("评委与人选不属于同一次选拔")
    if db.session.scalar(sa.select(PanelConflict.id).where(PanelConflict.panelist_id == panelist.id,
                                                           PanelConflict.nomination_id == nom.id)):
        raise Conflict(f"{panelist.name}已申报对{nom.name}回避")
    c = PanelConflict(tenant_id=panelist.tenant_id, panelist_id=panelist.id, nomination_id=nom.id,
                      reason=reason[:200])
    db.session.add(c)
    db.session.flush()
    audit.record("panel.conflict_declared", "panelist", panelist.id, actor=actor, article="A6.4/A7",
                 after={"nomination_id": nom.id, "reason": c.reason})
    struck = db.session.scalar(sa.select(InterviewScore).where(InterviewScore.nomination_id == nom.id,
                                                               InterviewScore.panelist_id == panelist.id))
    if struck is not None:
        if nom.status != S.reviewed:
            raise Conflict(f"{nom.name}的面试成绩已经确定（{nom.status_label}），不能再撤销评分")
        db.session.delete(struck)
        db.session.flush()
        audit.record("interview.score_struck", "nomination", nom.id, actor=actor, article="A6.4/A7",
                     before={"panelist_id": panelist.id, "score": struck.score}, after={"reason": c.reason})
        _aggregate_interview(nom, actor=actor)
    return c


def conflicts_of(cycle_id: int) -> list[PanelConflict]:
    return list(db.session.scalars(
        sa.select(PanelConflict).join(Panelist, Panelist.id == PanelConflict.panelist_id)
        .where(Panelist.cycle_id == cycle_id).order_by(PanelConflict.id)))


def draw_panel(cycle: SelectionCycle, name: str, nominations: list[Nomination], *, actor,
               seed: str | None = None, scheduled_on: dt.date | None = None) -> InterviewPanel:
    """Draw the panel by lot from the pool, excluding conflicts (same school or province as a
    candidate, declared conflicts); the seed and the draw are recorded (A6.4, A7)."""
    size = cycle.rule("selection.interview_panel_size")
    if not nominations:
        raise DomainError("请选择本组面试的人选")
    if any(n.status != S.reviewed for n in nominations):
        raise Conflict(f"只有已完成审查考察的人选可以安排面试（{article_citation('A6.3')}）")
    pool = db.session.scalars(sa.select(Panelist).where(Panelist.cycle_id == cycle.id,
                                                        Panelist.panel_id.is_(None)).order_by(Panelist.id)).all()
    schools = {n.school_id for n in nominations}
    provinces = {n.school.province_code for n in nominations}
    declared = set(db.session.scalars(sa.select(PanelConflict.panelist_id).where(
        PanelConflict.nomination_id.in_([n.id for n in nominations]))))
    excluded, eligible = [], []
    for p in pool:
        why = ("同校回避" if p.school_id in schools else "同省回避" if p.province_code in provinces
               else "申报回避" if p.id in declared else None)
        (excluded if why else eligible).append((p, why))
    if len(eligible) < size:
        raise Conflict(f"回避后可抽取的评委只有 {len(eligible)} 名，少于规定的 {size} 名"
                       f"（{article_citation('A6.4')}），请补充评委库")
    seed = seed or secrets.token_hex(8)
    rng = random.Random(seed)
    chosen = rng.sample([p for p, _ in eligible], size)
    panel = InterviewPanel(tenant_id=cycle.tenant_id, cycle_id=cycle.id, name=name, scheduled_on=scheduled_on,
                           draw_seed=seed, drawn_at=utcnow(),
                           draw_record={"pool": [p.id for p in pool], "eligible": [p.id for p, _ in eligible],
                                        "excluded": [{"id": p.id, "why": w} for p, w in excluded],
                                        "chosen": [p.id for p in chosen], "size": size,
                                        "method": "random.Random(seed).sample(eligible ordered by id, size)"})
    db.session.add(panel)
    db.session.flush()
    for p in chosen:
        p.panel_id = panel.id
    for n in nominations:
        n.panel_id = panel.id
    db.session.flush()
    audit.record("panel.drawn", "interview_panel", panel.id, actor=actor, article="A6.4",
                 after=panel.draw_record | {"seed": seed, "nominations": [n.id for n in nominations]})
    _exams_begin(cycle.id, actor=actor)
    return panel


def rubric(cycle: SelectionCycle) -> list[tuple[str, int]]:
    """The interview rubric pinned with the cycle's rules: (item, weight %) (A6.4, A23)."""
    return parse_weights(cycle.rule("selection.interview_rubric"))


@dataclass
class SheetRow:
    panelist: Panelist
    recused: str | None              # the declared reason, when the panelist is recused
    score: InterviewScore | None


def score_sheet(nom: Nomination) -> list[SheetRow]:
    """The candidate's interview sheet: every member of the panel, recused or with a score."""
    if nom.panel_id is None:
        return []
    members = db.session.scalars(sa.select(Panelist).where(Panelist.panel_id == nom.panel_id)
                                 .order_by(Panelist.id)).all()
    recused = dict(db.session.execute(sa.select(PanelConflict.panelist_id, PanelConflict.reason).where(
        PanelConflict.nomination_id == nom.id)).all())
    scores = {s.panelist_id: s for s in db.session.scalars(
        sa.select(InterviewScore).where(InterviewScore.nomination_id == nom.id))}
    return [SheetRow(p, recused.get(p.id), scores.get(p.id)) for p in members]


def record_interview_scores(nom: Nomination, scores: dict, *, actor) -> Nomination:
    """Panelists' scores for one candidate (A6.4).

    ``scores`` maps a panel member's id to ``{rubric item: score}`` (weighted by the cycle's
    pinned rubric) or to the panelist's total. Sheets may arrive one by one; the interview
    score is the mean over the members not recused, set once every one of them has scored."""
    if nom.status != S.reviewed:
        raise Conflict(f"该人选尚未完成资格审查和考察（{article_citation('A6.3')}），不能录入面试成绩"
                       if nom.status in (S.draft, S.submitted, S.eligibility_checked, S.under_review)
                       else f"该人选当前状态为「{nom.status_label}」，不能录入面试成绩", code="bad_state")
    if nom.panel_id is None:
        raise Conflict(f"该人选尚未分配面试小组（{article_citation('A6.4')}）")
    if not scores:
        raise DomainError("请至少录入一位评委的评分")
    sheet = {row.panelist.id: row for row in score_sheet(nom)}
    items = rubric(db.session.get(SelectionCycle, nom.cycle_id))
    entered = {}
    for pid, value in scores.items():
        row = sheet.get(int(pid))
        if row is None:
            raise DomainError("只能录入本面试小组评委的评分")
        if row.recused:
            raise Conflict(f"{row.panelist.name}已申报回避（{row.recused}），不能为该人选评分"
                           f"（{article_citation('A7')}）", code="recused")
        if isinstance(value, dict):
            missing = [label for label, _ in items if value.get(label) in (None, "")]
            if missing:
                raise DomainError(f"{row.panelist.name}的评分缺少：{'、'.join(missing)}")
            unknown = set(value) - {label for label, _ in items}
            if unknown:
                raise DomainError(f"评分维度「{'、'.join(sorted(unknown))}」不在本次选拔的评分标准中")
            parts = {label: _score(value[label], f"{row.panelist.name}的「{label}」评分") for label, _ in items}
            total = sum(parts[label] * w for label, w in items) / 100
            entered[row.panelist.id] = (total.quantize(Decimal("0.01")), {k: str(v) for k, v in parts.items()})
        else:
            entered[row.panelist.id] = (_score(value, f"{row.panelist.name}的评分"), None)
    for pid, (total, parts) in entered.items():
        old = sheet[pid].score
        before = {"score": old.score, "criteria": old.criteria} if old else None
        if old is None:
            old = InterviewScore(tenant_id=nom.tenant_id, nomination_id=nom.id, panelist_id=pid, score=total)
            db.session.add(old)
        old.score, old.criteria = total, parts
        db.session.flush()
        audit.record("interview.panelist_score", "nomination", nom.id, actor=actor, article="A6.4",
                     before=before, after={"panelist_id": pid, "score": total, "criteria": parts,
                                           "rubric": [f"{label}:{w}" for label, w in items]})
    _exams_begin(nom.cycle_id, actor=actor)
    return _aggregate_interview(nom, actor=actor)


def _aggregate_interview(nom: Nomination, *, actor) -> Nomination:
    rows = [r for r in score_sheet(nom) if not r.recused]
    if not rows:
        raise Conflict(f"本组评委均已回避，请为该人选重新抽取评委（{article_citation('A6.4')}）")
    done = [Decimal(r.score.score) for r in rows if r.score is not None]
    before = nom.interview_score
    nom.interview_score = (sum(done) / len(done)).quantize(Decimal("0.01")) if len(done) == len(rows) else None
    db.session.flush()
    if nom.interview_score != before:
        audit.record("interview.score", "nomination", nom.id, actor=actor, article="A6.4",
                     before={"interview_score": before},
                     after={"interview_score": nom.interview_score, "panelists": len(done),
                            "method": "未回避评委加权评分的平均值"})
    return nom


def set_interview_score(nom: Nomination, score, *, actor) -> Nomination:
    """Direct entry of the panel's aggregated interview score (import)."""
    if nom.status != S.reviewed:
        raise Conflict(f"该人选尚未完成资格审查和考察（{article_citation('A6.3')}），不能录入面试成绩", code="bad_state")
    nom.interview_score = _score(score, "面试成绩")
    db.session.flush()
    _exams_begin(nom.cycle_id, actor=actor)
    audit.record("interview.score", "nomination", nom.id, actor=actor, article="A6.4",
                 after={"interview_score": nom.interview_score})
    return nom


def rank_key(cycle: SelectionCycle):
    """Sort key: total desc; then 保研 preference (A5.3) and the stated tie-break (A6.4)."""
    prefer = cycle.rule("selection.baoyan_preference")
    tie = cycle.rule("selection.tie_break")

    def key(n: Nomination):
        b = 0 if (prefer and n.baoyan_eligible and n.degree_level == "本科生") else 1
        parts = {"exam_then_baoyan": (-n.exam_score, b), "interview_then_baoyan": (-n.interview_score, b),
                 "baoyan_then_exam": (b, -n.exam_score)}[tie]
        return (-n.total_score, *parts, n.id)

    return key


def rank_cycle(cycle: SelectionCycle, *, actor, roles) -> list[Nomination]:
    """Weighted total (weights from the rules), ranking, and the examined → ranked step."""
    noms = db.session.scalars(sa.select(Nomination).where(
        Nomination.cycle_id == cycle.id, Nomination.status.in_([S.reviewed, S.examined, S.ranked]))).all()
    w = Decimal(cycle.rule("selection.exam_weight_percent")) / 100
    ready = []
    for n in noms:
        if n.status == S.reviewed:
            if n.exam_score is None or n.interview_score is None:
                continue
            workflow.apply(n, "record_exam", actor=actor, roles=roles)
        n.total_score = (Decimal(n.exam_score) * w + Decimal(n.interview_score) * (1 - w)).quantize(Decimal("0.001"))
        ready.append(n)
    if not ready:
        raise Conflict(f"没有已录入笔试和面试成绩的人选（{article_citation('A6.4')}）")
    ready.sort(key=rank_key(cycle))
    for i, n in enumerate(ready, 1):
        n.rank = i
    db.session.flush()
    for n in ready:
        if n.status == S.examined:
            workflow.apply(n, "rank", actor=actor, roles=roles)
    audit.record("cycle.ranked", "selection_cycle", cycle.id, actor=actor, article="A6.4",
                 after={"weights": {"exam": str(w), "interview": str(1 - w)},
                        "tie_break": cycle.rule("selection.tie_break"),
                        "baoyan_preference": cycle.rule("selection.baoyan_preference"),
                        "ranking": [[n.id, str(n.total_score)] for n in ready]})
    advance_cycle(cycle, "begin_decision", actor=actor)
    return ready
