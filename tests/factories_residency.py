"""A cohort in residence (chapter 3): chairs appointed through the A6.5 signal's subscriber."""
from __future__ import annotations

import datetime as dt

from portal.core.db import tenant_context
from portal.extensions import db
from portal.residency import operations as rops
from portal.residency.models import Chair
from tests.selection.helpers import draft, invite, open_cycle, world

TERM_START = dt.date(2025, 9, 1)   # a term the official calendar covers end to end (2025, 2026)
TERM_END = dt.date(2026, 8, 31)


def cohort(n=1, *, tenant=None, term_start=TERM_START, term_end=TERM_END, with_login=True, w=None):
    """``n`` chairs in residence in one cycle: (world, [residency, ...])."""
    if w is None:
        w = world(max(n, 1), tenant=tenant)
        open_cycle(w)
    out = []
    for i in range(n):
        inv = invite(w, w.schools[i])
        nom = draft(w, inv, seq=i + 1, email=f"chair{i + 1}-{w.tenant.slug}@example.cn")
        with tenant_context(w.tenant.id, db.session):
            chair = Chair(tenant_id=w.tenant.id, cycle_id=w.cycle.id, nomination_id=nom.id, school_id=nom.school_id,
                          name=nom.name, term_start=term_start, term_end=term_end)
            db.session.add(chair)
            db.session.flush()
            out.append(rops.open_residency(chair, cycle=w.cycle, nomination=nom if with_login else None,
                                           actor=w.admin))
    return w, out
