"""A5: the eligibility checks, automatic and attested."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from portal.reference.models import PresidiumMembership, StudentUnion
from portal.selection.models import (
    CheckResult, EligibilityCheck, Nomination, NominationStatus as S, PRESIDIUM_POSITIONS, SelectionCycle,
)
from tenants.rules.registry import article_citation

from portal.selection.operations.common import _today


ITEM_LABELS = {
    "A5.1": "政治面貌与群众基础", "A5.2": "主席团成员团体及其主席团成员身份", "A5.3": "学习成绩、品行与能力（保研优先）",
    "A5.4": "写作、组织协调、外语和计算机能力", "A5.5": "遵守工作人员守则，无违纪违法记录",
}


def _set_check(nom, item, result, reason, *, automatic, evidence=None, actor=None) -> EligibilityCheck:
    c = db.session.scalar(sa.select(EligibilityCheck).where(EligibilityCheck.nomination_id == nom.id,
                                                            EligibilityCheck.item == item))
    before = {"result": c.result.value, "reason": c.reason} if c else None
    if c is None:
        c = EligibilityCheck(tenant_id=nom.tenant_id, nomination_id=nom.id, item=item, automatic=automatic,
                             result=result, reason=reason)
        db.session.add(c)
    c.automatic, c.result, c.reason, c.evidence = automatic, result, reason, evidence
    c.checked_by_id, c.checked_at = getattr(actor, "id", None), utcnow()
    db.session.flush()
    audit.record("eligibility.checked", "nomination", nom.id, actor=actor, article=item, before=before,
                 after={"item": item, "result": result.value, "reason": reason})
    return c


def presidium_warning(school_id: int, on: dt.date | None = None) -> str | None:
    """A5.2 said at entry rather than after 报送: the school's student organizations that have
    no presidium term running on ``on`` (a nominee from them would fail the check), or None."""
    on = on or _today()
    unions = db.session.scalars(sa.select(StudentUnion).where(StudentUnion.school_id == school_id)
                                .order_by(StudentUnion.id)).all()
    terms: dict[int, list[PresidiumMembership]] = {}
    for t in db.session.scalars(sa.select(PresidiumMembership).where(
            PresidiumMembership.union_id.in_([u.id for u in unions]))):
        terms.setdefault(t.union_id, []).append(t)
    lapsed = []
    for u in unions:
        mine = terms.get(u.id, [])
        if any(t.valid_on(on) for t in mine):
            continue
        last = max(mine, key=lambda t: t.term_start) if mine else None
        lapsed.append(f"{u.name}的主席团成员团体任期（{last.term_label}）至{last.term_end:%Y-%m-%d}已届满"
                      if last and last.term_end else f"{u.name}不是本学联主席团成员团体")
    if not lapsed:
        return None
    return (f"{'；'.join(lapsed)}。由其推荐的人选将不能通过资格条件核查（{article_citation('A5.2')}），"
            f"请推荐有效任期内的主席团成员团体的主席团成员，或先请秘书处更新主席团名册。")


def run_eligibility(nom: Nomination, cycle: SelectionCycle, *, actor) -> list[EligibilityCheck]:
    """Automatic checks A5.1, A5.2, A5.5; A5.3/A5.4 wait for an attestation with evidence."""
    if nom.status != S.submitted:
        raise Conflict("只有已报送的人选可以进行资格条件核查（第五条）")
    allowed = cycle.rule("selection.eligible_political_statuses")
    if nom.political_status in allowed:
        _set_check(nom, "A5.1", CheckResult.passed, f"政治面貌为{nom.political_status}，符合条件", automatic=True, actor=actor)
    else:
        _set_check(nom, "A5.1", CheckResult.failed,
                   f"政治面貌为{nom.political_status}，不在规定范围（{'、'.join(allowed)}）内", automatic=True, actor=actor)
    # A5.2: the union sits on this federation's presidium on the cycle date, and the nominee
    # is on that union's presidium, elected by its congress.
    union = db.session.get(StudentUnion, nom.union_id)
    terms = db.session.scalars(sa.select(PresidiumMembership).where(PresidiumMembership.union_id == nom.union_id)).all()
    on = cycle.opened_on
    valid = [t for t in terms if t.valid_on(on)]
    if union is None or union.school_id != nom.school_id:
        _set_check(nom, "A5.2", CheckResult.failed, "所填学生组织不属于推荐学校", automatic=True, actor=actor)
    elif not valid:
        last = max(terms, key=lambda t: t.term_start) if terms else None
        why = (f"{union.name}的主席团成员团体任期（{last.term_label}）至{last.term_end:%Y-%m-%d}已届满"
               if last and last.term_end else f"{union.name}不是本学联主席团成员团体")
        _set_check(nom, "A5.2", CheckResult.failed, f"{why}，于{on:%Y-%m-%d}无有效任期", automatic=True, actor=actor)
    elif nom.presidium_position not in PRESIDIUM_POSITIONS or nom.elected_on > on:
        _set_check(nom, "A5.2", CheckResult.failed, "未提供经学生（研究生）代表大会选举产生的主席团职务",
                   automatic=True, actor=actor)
    else:
        t = valid[0]
        _set_check(nom, "A5.2", CheckResult.passed,
                   f"{union.name}为主席团成员团体（{t.term_label}），本人于{nom.elected_on:%Y-%m-%d}经代表大会当选"
                   f"{nom.presidium_position}", automatic=True, actor=actor)
    if nom.discipline_record:
        _set_check(nom, "A5.5", CheckResult.failed, f"有违纪违法记录：{nom.discipline_record}", automatic=True, actor=actor)
    else:
        _set_check(nom, "A5.5", CheckResult.passed, "学校报送材料载明无违纪违法记录", automatic=True, actor=actor)
    existing = _check_map(nom)
    for item in ("A5.3", "A5.4"):
        if item not in existing:
            _set_check(nom, item, CheckResult.pending, "待秘书处核实并上传证明材料", automatic=False, actor=actor)
    return list(_check_map(nom).values())


def _check_map(nom) -> dict[str, EligibilityCheck]:
    return {c.item: c for c in db.session.scalars(sa.select(EligibilityCheck).where(
        EligibilityCheck.nomination_id == nom.id).order_by(EligibilityCheck.item))}


def attest(nom: Nomination, item: str, passed: bool, evidence: str, *, actor) -> EligibilityCheck:
    """A5.3 / A5.4 are judged by a person with evidence (保研 is a preference, not required)."""
    if item not in ("A5.3", "A5.4"):
        raise DomainError("只有第五条第（三）项、第（四）项需要人工核实")
    evidence = (evidence or "").strip()
    if not evidence:
        raise DomainError("请填写核实依据（证明材料）", field="evidence")
    if nom.status != S.submitted:
        raise Conflict("只有已报送、尚未确认资格的人选可以核实资格条件")
    reason = "经核实符合条件" if passed else "经核实不符合条件"
    return _set_check(nom, item, CheckResult.passed if passed else CheckResult.failed, reason,
                      automatic=False, evidence=evidence, actor=actor)
