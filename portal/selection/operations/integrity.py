"""A7: disqualification at any stage, with reason and evidence, and the place it frees."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core import audit
from portal.core.concurrency import lock_row
from portal.core.errors import DomainError
from portal.extensions import db
from portal.selection import outbox, workflow
from portal.selection.models import Disqualification, Nomination, NominationStatus as S, SelectionCycle
from tenants.rules.registry import article_citation

from portal.selection.operations.common import _liaisons


def disqualify(nom: Nomination, reason: str, evidence: str, *, actor, roles) -> Disqualification:
    """At any stage, with reason and evidence; the school is notified; the slot per the rules."""
    reason, evidence = (reason or "").strip(), (evidence or "").strip()
    if not reason:
        raise DomainError("请填写取消资格的理由", field="reason")
    if not evidence:
        raise DomainError(f"取消资格须有证据（{article_citation('A7')}）", field="evidence")
    cycle = db.session.get(SelectionCycle, nom.cycle_id)
    stage = nom.status.value
    held_slot = nom.status in (S.proposed, S.approved, S.publicized)
    if held_slot:
        lock_row(SelectionCycle, cycle.id)  # the backfill fills the place under the quota lock (A4)
    workflow.apply(nom, "disqualify", actor=actor, roles=roles, note=reason)
    policy = cycle.rule("selection.disqualification_slot")
    replacement = None
    if held_slot and policy == "backfill_next":
        replacement = db.session.scalar(sa.select(Nomination).where(
            Nomination.cycle_id == cycle.id, Nomination.status == S.ranked).order_by(Nomination.rank).limit(1))
        if replacement is not None:
            workflow.apply(replacement, "propose", actor=actor, roles=workflow.SYSTEM,
                           note=f"递补（{nom.name}被取消资格）")
    d = Disqualification(tenant_id=nom.tenant_id, nomination_id=nom.id, stage=stage, reason=reason,
                         evidence=evidence, slot_action=policy if held_slot else "none",
                         replacement_id=replacement.id if replacement else None,
                         decided_by_id=getattr(actor, "id", None))
    db.session.add(d)
    db.session.flush()
    audit.record("nomination.disqualification", "nomination", nom.id, actor=actor, article="A7",
                 after={"stage": stage, "reason": reason, "evidence": evidence, "slot": d.slot_action,
                        "replacement_id": d.replacement_id})
    for m in _liaisons(nom.school_id):
        outbox.notify(nom.tenant_id, template_key="selection.disqualification",
                      context={"name": nom.name, "school": nom.school.name, "reason": reason},
                      recipient_user_id=m.user_id, related_type="nomination", related_id=nom.id,
                      dedupe_key=f"disqualification:{nom.id}:{m.user_id}")
    return d
