"""A6.5: the proposed list, the approving body's consent (on the approvals engine), appointment."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import audit
from portal.core.concurrency import lock_row
from portal.core.db import utcnow
from portal.core.errors import Conflict, DomainError
from portal.core.signals import chair_appointed
from portal.extensions import db
from portal.selection import consent, outbox, workflow
from portal.selection.models import (
    Chair, Nomination, NominationStatus as S, RotationEntry, Route, SelectionCycle,
)
from tenants.models import Role
from tenants.rules.registry import article_citation

from portal.selection.operations.common import _cycle_noms, _liaisons, _today
from portal.selection.operations.cycles import advance_cycle, mark_rotation_served
from portal.selection.operations.publicity import cycle_notices


def propose(cycle: SelectionCycle, ids, *, actor, roles) -> list[Nomination]:
    """Put ranked candidates on the proposed list and ask the approving body's consent (A6.5).

    A4: the quota is counted and filled under the cycle's row lock, so two staff members
    proposing at the same moment cannot both fit into the last place. The batch is checked
    whole here (all or none); each ``propose`` transition checks it again (its declared guard),
    as it does for the generic endpoints."""
    lock_row(SelectionCycle, cycle.id)
    noms = _cycle_noms(cycle, ids)
    if not noms or len(noms) != len(set(int(i) for i in ids)):
        raise DomainError("请选择拟任人选")
    refusal = workflow.quota_refusal(cycle, adding=len(noms))
    if refusal:
        raise refusal.error()
    for n in noms:
        workflow.apply(n, "propose", actor=actor, roles=roles)
    return noms


def consent_request(cycle: SelectionCycle):
    """The open A6.5 request of the cycle (on the approvals engine), or None."""
    return consent.pending_request(cycle)


def decide(cycle: SelectionCycle, approved: bool, note: str | None, *, actor, roles,
           document_number: str | None = None, decision_date: dt.date | None = None,
           scan: tuple[str, bytes] | None = None, today: dt.date | None = None):
    """Record the approving body's decision on the proposed list (A6.5), through the approvals
    engine: consent needs the decision's number and date (a scan may be kept); a return needs
    its reason. The nominees follow in the same transaction (``workflow``). Returns the request."""
    from portal.core import approvals

    if roles != workflow.SYSTEM and not (set(roles) & {Role(r) for r in consent.KIND.decider_roles}):
        raise DomainError(f"只有审批机关可以作出决定（{article_citation('A6.5')}）", status=403,
                          code="forbidden_transition")
    req = consent.pending_request(cycle)
    if req is None:
        raise Conflict("没有待审批的拟任人选", code="nothing_proposed")
    if not approved and not (note or "").strip():
        raise DomainError("退回须说明理由", field="note", code="reason_required")
    return approvals.decide(req, approved, actor=actor, reason=note, document_number=document_number,
                            decision_date=decision_date, scan=scan, today=today)


def _add_months(d: dt.date, months: int) -> dt.date:
    import calendar as pycal

    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, pycal.monthrange(year, month)[1]))


def confirm_appointments(cycle: SelectionCycle, *, actor, roles, term_start: dt.date | None = None,
                         today: dt.date | None = None) -> list[Chair]:
    """After the window closed and no objection upheld: create each chair's record (A6.5)."""
    today = today or _today()
    lock_row(SelectionCycle, cycle.id)
    noms = _cycle_noms(cycle, status=S.publicized)
    if not noms:
        raise Conflict("没有处于公示中的人选")
    # A6.5: each candidate is judged by their OWN notice (a leftover candidate approved later
    # was publicized by a later one): its full window run, its objections settled.
    ctx = {"notices": cycle_notices(cycle), "today": today}
    blocked = {}
    for n in noms:
        refusal = workflow.check(n, "appoint", ctx)
        if refusal:
            blocked[n.id] = refusal
    # A candidate whose notice is still running (or has objections unresolved) waits; if that
    # leaves no one to appoint, say why. An upheld objection only excludes its candidate.
    waiting = [r for r in blocked.values() if r.code in workflow.APPOINT_WAITS]
    if waiting and len(blocked) == len(noms):
        raise waiting[0].error()
    months = cycle.rule("residency.term_months")
    start = term_start or today
    chairs = []
    for n in noms:
        if n.id in blocked:
            continue
        workflow.apply(n, "appoint", actor=actor, roles=roles, ctx=ctx)
        c = Chair(tenant_id=cycle.tenant_id, cycle_id=cycle.id, nomination_id=n.id, school_id=n.school_id,
                  name=n.name, term_start=start, term_end=_add_months(start, months) - dt.timedelta(days=1))
        db.session.add(c)
        chairs.append(c)
        _mark_rotation_served(cycle, n, actor=actor)
    db.session.flush()
    for c, n in zip(chairs, [n for n in noms if n.id not in blocked]):
        audit.record("chair.appointed", "chair", c.id, actor=actor, article="A6.5",
                     after={"nomination_id": n.id, "name": c.name, "term_start": c.term_start, "term_end": c.term_end})
        chair_appointed.send(c, cycle=cycle, nomination=n, actor=actor)  # residency opens the year (A8)
        for m in _liaisons(n.school_id):
            outbox.notify(cycle.tenant_id, template_key="selection.appointment",
                          context={"name": n.name, "school": n.school.name, "term_start": c.term_start.isoformat(),
                                   "term_end": c.term_end.isoformat()},
                          recipient_user_id=m.user_id, related_type="chair", related_id=c.id,
                          dedupe_key=f"appointment:{c.id}:{m.user_id}")
    if not _cycle_noms(cycle, status=S.publicized):
        advance_cycle(cycle, "close", actor=actor)
        step = cycle.step("appointment")
        if step:
            step.done_at = utcnow()
    return chairs


def _mark_rotation_served(cycle, nom: Nomination, *, actor) -> None:
    if nom.route != Route.rotation:
        return
    e = db.session.scalar(sa.select(RotationEntry).where(RotationEntry.union_id == nom.union_id))
    if e is not None and cycle.academic_year not in e.years:
        mark_rotation_served(e, cycle.academic_year, actor=actor, note=f"{nom.name}经公示确认任用")
