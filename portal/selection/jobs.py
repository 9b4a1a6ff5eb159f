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
