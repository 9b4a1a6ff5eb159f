"""Item 8: the demo's chapter 5 — a removal awaiting the approver, one completed with its notice
delivered, activity requests pending / approved / lapsed / filed, a 责令检讨 awaiting the self-criticism."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db
from portal.supervision.models import Activity, CaseKind, CaseStatus, SupervisionCase
from tenants.models import Tenant


def test_A18_A19_A21_demo_holds_every_stage(session):
    from portal.demo import load_demo

    load_demo()
    acsf = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "acsf"))
    with tenant_context(acsf.id, db.session):
        cases = db.session.scalars(sa.select(SupervisionCase)).all()
        by = {(c.kind, c.status) for c in cases}
        assert (CaseKind.removal, CaseStatus.awaiting_approval) in by
        assert (CaseKind.removal, CaseStatus.notified) in by
        assert (CaseKind.discipline, CaseStatus.awaiting_self_criticism) in by
        done = next(c for c in cases if c.status == CaseStatus.notified)
        assert done.notice_delivered_at is not None and done.residency.status.value == "removed"
        assert done.decision_number and done.notice_number
        states = {a.status.value for a in db.session.scalars(sa.select(Activity))}
        assert {"pending", "approved", "lapsed", "filed"} <= states
