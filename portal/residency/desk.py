"""The department head's desk (issue 12 item 1): the chairs now in the head's departments, the
A9 talks the head owes (working-day due dates), and records waiting for the head's confirmation.
Everything here is read within the head's reach (segments naming the head, or in a department
the head now heads): the counts on the home page are the lengths of these lists."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from portal.core import clock, obligations
from portal.core.obligations import ObligationRecord, RecordStatus
from portal.extensions import db
from portal.residency import operations as ops
from portal.residency import rotation
from portal.residency.models import Residency, ResidencyStatus


@dataclass
class TalkDue:
    residency: Residency
    segment: object
    period: obligations.PeriodStatus


@dataclass
class Desk:
    current: list = field(default_factory=list)     # (residency, segment) covering today
    former: list = field(default_factory=list)      # (residency, [segments]) no longer here
    talks_due: list[TalkDue] = field(default_factory=list)
    to_confirm: list = field(default_factory=list)  # (residency, record)


def desk(user, today: dt.date | None = None) -> Desk:
    today = today or clock.today()
    uid = getattr(user, "id", None)
    out = Desk()
    if uid is None:
        return out
    residencies = list(db.session.scalars(sa.select(Residency).where(
        Residency.id.in_(rotation.head_residency_ids(uid))).order_by(Residency.cohort.desc(), Residency.id)))
    ids = [r.id for r in residencies]
    segs = rotation.segments_of(ids)
    recs = obligations.records_for(ops.SUBJECT_TYPE, ids)
    for res in residencies:
        mine = [s for s in segs[res.id] if rotation.heads_segment(s, uid)]
        now = rotation.covering(mine, today)
        if now is not None and res.status == ResidencyStatus.in_residence:
            out.current.append((res, now))
        else:
            out.former.append((res, mine))
        for st in ops.statuses(res, today, recs[res.id], segs[res.id]):
            if st.spec.key == ops.TALK_KEY and res.status == ResidencyStatus.in_residence:
                for p in st.periods:
                    seg = rotation.covering(mine, p.start)
                    if seg is None or p.met or p.start > today:
                        continue
                    out.talks_due.append(TalkDue(res, seg, p))
            if "department_head" in st.spec.reviewed_by:
                out.to_confirm.extend((res, r) for r in st.records if r.status == RecordStatus.submitted)
    out.talks_due.sort(key=lambda t: (t.period.due or dt.date.max, t.residency.id))
    return out


def to_confirm_count(user) -> int:
    """Records the head may confirm: submitted, of the head's chairs, under a rule naming the
    department head as the reviewer (none nationally; a province may name one)."""
    uid = getattr(user, "id", None)
    if uid is None:
        return 0
    residencies = list(db.session.scalars(sa.select(Residency).where(
        Residency.id.in_(rotation.head_residency_ids(uid)))))
    n = 0
    for res in residencies:
        keys = [s.key for s in ops.specs_for(res) if "department_head" in s.reviewed_by]
        if keys:
            n += db.session.scalar(sa.select(sa.func.count()).select_from(ObligationRecord).where(
                ObligationRecord.subject_type == ops.SUBJECT_TYPE, ObligationRecord.subject_id == res.id,
                ObligationRecord.obligation_key.in_(keys), ObligationRecord.status == RecordStatus.submitted)) or 0
    return n
