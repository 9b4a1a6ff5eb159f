"""Issue 12 item 8: each user's own deadlines as an ICS feed behind a revocable secret address.

Only the token's SHA-256 is stored; the address is shown once when made. A new address revokes
the old one; a revoked address answers 404. The feed is one tenant's, and holds only what the
token's user may see there: a chair their own obligations and receipts; a department head the
obligations they record (A9 talks) of the chairs whose segment is in the head's department
(the rule of the head's desk); the secretariat what it records and every receipt due.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa

from portal.core import audit, clock, obligations
from portal.core.db import utcnow
from portal.extensions import db
from portal.residency import operations as ops
from portal.residency import relations as rel
from portal.residency.models import Chair, Residency, ResidencyStatus
from portal.residency.relations_models import CalendarToken, RelationTransfer
from tenants.models import Membership

FEED_ROLES = {"chair", "department_head", "secretariat_admin", "secretariat_staff"}
PAST_DAYS = 31      # deadlines this far back stay in the feed (an overdue item is still owed)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_token(tenant_id: int, user_id: int) -> CalendarToken | None:
    return db.session.scalar(sa.select(CalendarToken).where(
        CalendarToken.tenant_id == tenant_id, CalendarToken.user_id == user_id, CalendarToken.revoked_at.is_(None)))


def issue_token(tenant_id: int, user, *, actor=None) -> str:
    """A new secret (returned once); the user's previous address stops working."""
    revoke(tenant_id, user, actor=actor, quiet=True)
    token = secrets.token_urlsafe(32)
    row = CalendarToken(tenant_id=tenant_id, user_id=user.id, token_hash=_hash(token), created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    audit.record("calendar_feed.issued", "user", user.id, actor=actor or user, article="A14",
                 after={"token_id": row.id})
    return token


def revoke(tenant_id: int, user, *, actor=None, quiet: bool = False) -> bool:
    changed = db.session.execute(sa.update(CalendarToken).where(
        CalendarToken.tenant_id == tenant_id, CalendarToken.user_id == user.id,
        CalendarToken.revoked_at.is_(None)).values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if changed and not quiet:
        audit.record("calendar_feed.revoked", "user", user.id, actor=actor or user, article="A14")
    elif changed:
        audit.record("calendar_feed.replaced", "user", user.id, actor=actor or user, article="A14")
    return bool(changed)


def token_owner(tenant_id: int, token: str):
    """The (token row, user) of a live address in this tenant, or None."""
    from portal.auth.models import User

    if not token or len(token) > 100:
        return None
    row = db.session.scalar(sa.select(CalendarToken).where(CalendarToken.tenant_id == tenant_id,
                                                           CalendarToken.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not getattr(user, "active", True):
        return None
    return row, user


def roles_of(tenant_id: int, user_id: int) -> set[str]:
    return {m.role.value for m in db.session.scalars(sa.select(Membership).where(
        Membership.tenant_id == tenant_id, Membership.user_id == user_id, Membership.active.is_(True)))}


def deadlines(tenant_id: int, user, roles: set[str], today: dt.date | None = None) -> list[dict]:
    """Each deadline this user owes or watches: {uid, date, summary, description}."""
    today = today or clock.today()
    roles = set(roles) & FEED_ROLES
    if not roles:
        return []
    from portal.residency import rotation

    stmt = sa.select(Residency).where(Residency.status == ResidencyStatus.in_residence).order_by(Residency.id)
    staff_like = roles & {"department_head", "secretariat_admin", "secretariat_staff"}
    own = sa.select(Chair.id).where(Chair.user_id == user.id)
    if not roles & set(ops.STAFF):
        if "department_head" in roles:  # a head: the chairs in the head's departments (as the desk)
            stmt = stmt.where(sa.or_(Residency.id.in_(rotation.head_residency_ids(user.id)),
                                     Residency.chair_id.in_(own)))
        else:  # a chair sees only their own
            stmt = stmt.where(Residency.chair_id.in_(own))
    residencies = list(db.session.scalars(stmt))
    ids = [r.id for r in residencies]
    recs = obligations.records_for(ops.SUBJECT_TYPE, ids)
    segs = rotation.segments_of(ids)
    lo = today - dt.timedelta(days=PAST_DAYS)
    out = []
    for res in residencies:
        mine = ops.roles_toward(res, user, roles)
        headed = [s for s in segs[res.id] if rotation.heads_segment(s, user.id)]
        for st in ops.statuses(res, today, recs[res.id], segs[res.id]):
            owed = set(ops.owed_by(st.spec)) & mine
            if not owed:
                continue
            for p in st.periods:
                if p.met or p.due is None or p.due < lo:
                    continue
                if owed == {"department_head"} and rotation.covering(headed, p.start) is None:
                    continue  # A9/A12: a head owes the talks of the segments in the head's department
                out.append({"uid": f"obl-{res.id}-{st.spec.key}-{p.index}", "date": p.due,
                            "summary": f"{st.spec.label}（{res.chair.name}）",
                            "description": f"{st.spec.citation}：本期 {p.start.isoformat()} 至 {p.end.isoformat()}，"
                                           f"应完成 {p.required} 次，已记录 {p.done} 次"})
    if ids:
        for t in db.session.scalars(rel.receipts_pending_query().where(
                RelationTransfer.residency_id.in_(ids))):
            if t.receipt_due is None or t.receipt_due < lo:
                continue
            if not (staff_like & set(ops.STAFF)) and t.residency.chair.user_id != user.id:
                continue
            out.append({"uid": f"receipt-{t.id}", "date": t.receipt_due,
                        "summary": f"{t.kind_label}转接回执（{t.residency.chair.name}）",
                        "description": f"介绍信{t.letter_no or ''}，接收组织{t.to_org or ''}，回执应于此日前返回（第十四条）"})
    return sorted(out, key=lambda e: (e["date"], e["uid"]))


def render_ics(tenant, user, events: list[dict]) -> bytes:
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//portal//residency deadlines//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{tenant.short_name or tenant.name} · 驻会期限")
    stamp = utcnow().replace(tzinfo=dt.timezone.utc)
    for e in events:
        ev = Event()
        ev.add("uid", f"{e['uid']}@{tenant.slug}")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", e["date"])
        ev.add("dtend", e["date"] + dt.timedelta(days=1))
        ev.add("summary", e["summary"])
        ev.add("description", e["description"])
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()
