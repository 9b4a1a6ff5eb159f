"""Helpers every article's operations share: today's date (Beijing), the cycle's nominees, the school's liaisons."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import clock
from portal.extensions import db
from portal.selection.models import Nomination, NominationStatus as S
from tenants.models import Membership, Role


COUNTED = (S.draft, S.withdrawn, S.disqualified)  # statuses NOT counted against the A6.2 limit


def _today() -> dt.date:
    return clock.today()


def _liaisons(school_id: int) -> list[Membership]:
    return list(db.session.scalars(sa.select(Membership).where(
        Membership.role == Role.school_liaison, Membership.school_id == school_id, Membership.active.is_(True))))


def _cycle_noms(cycle, ids=None, status=None) -> list[Nomination]:
    stmt = sa.select(Nomination).where(Nomination.cycle_id == cycle.id).order_by(Nomination.rank, Nomination.id)
    if ids is not None:
        stmt = stmt.where(Nomination.id.in_([int(i) for i in ids]))
    if status is not None:
        stmt = stmt.where(Nomination.status == status)
    return list(db.session.scalars(stmt))
