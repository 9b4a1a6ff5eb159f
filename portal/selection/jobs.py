"""Chapter 2 background jobs: work over many objects never runs inside a request.

``send_invitations`` sends a cycle's unsent letters (A6.1) in batches, committing each batch
and reporting progress on its JobRecord; each letter is sent at most once (the send claims
its row), so a retried or repeated job skips what is already out.
"""
from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.jobs import set_progress

BATCH = 25
INVITE_BATCH = 500


def invite_schools(cycle_id: int, actor_id: int | None, school_ids: list[int], route: str, send: bool) -> dict:
    """Invite a province's or the nation's schools (A6.1), a batch per transaction with
    progress; a retried job finds the invitations already made and skips them. With ``send``,
    the new letters then go out in their own job."""
    from portal.auth.models import User
    from portal.selection import operations as ops
    from portal.selection.models import Route, SelectionCycle

    cycle = db.session.get(SelectionCycle, cycle_id)
    actor = (db.session.get(User, actor_id) if actor_id else None) or "后台任务"
    total, made = len(school_ids), []
    set_progress(0, f"待添加 {total} 所学校")
    for start in range(0, total, INVITE_BATCH):
        made += [inv.id for inv in ops.invite_schools(cycle, school_ids[start:start + INVITE_BATCH], Route(route),
                                                        actor=actor)]
        db.session.commit()
        done = min(start + INVITE_BATCH, total)
        set_progress(100 * done / total, f"已处理 {done}/{total} 所学校，新添加 {len(made)} 所")
    message = f"已添加 {len(made)} 所学校" + (f"（{total - len(made)} 所此前已添加）" if total - len(made) else "")
    if send and made:
        ops.send_all_invitations(db.session.get(SelectionCycle, cycle_id), actor=actor, invitation_ids=made)
        db.session.commit()
        message += "，推荐函另由发函任务发出"
    set_progress(100, message)
    return {"invited": len(made), "total": total, "invitation_ids": made if len(made) <= 1000 else None}


def send_invitations(cycle_id: int, actor_id: int | None = None, invitation_ids: list[int] | None = None) -> dict:
    from portal.auth.models import User
    from portal.selection import operations as ops
    from portal.selection.models import Invitation

    stmt = sa.select(Invitation.id).where(Invitation.cycle_id == cycle_id, Invitation.sent_at.is_(None))
    if invitation_ids is not None:
        stmt = stmt.where(Invitation.id.in_([int(i) for i in invitation_ids]))
    ids = list(db.session.scalars(stmt.order_by(Invitation.id)))
    actor = (db.session.get(User, actor_id) if actor_id else None) or "后台任务"
    total, sent = len(ids), 0
    set_progress(0, f"待发出 {total} 封推荐函")
    for start in range(0, total, BATCH):
        for inv_id in ids[start:start + BATCH]:
            inv = db.session.get(Invitation, inv_id)
            if inv is None or inv.sent_at is not None:
                continue  # sent meanwhile (a single send, an earlier attempt of this job)
            ops.send_invitation(inv, actor=actor)
            sent += 1
        db.session.commit()  # a batch is all sent or not at all; a retry resumes after it
        done = min(start + BATCH, total)
        set_progress(100 * done / total, f"已处理 {done}/{total} 封推荐函，本次发出 {sent} 封")
    set_progress(100, f"已发出 {sent} 封推荐函" + (f"（{total - sent} 封此前已发出）" if total - sent else ""))
    return {"sent": sent, "total": total}
