"""Issue 9, item 10: the demo shows the whole year — a finished cycle with its chairs, one open
for nominations where the demo liaison can nominate, one in review, one in 公示."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Chair, CycleStatus, Invitation, Nomination, NominationStatus, SelectionCycle
from tenants.models import Tenant


def _tenant(slug):
    return db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))


def test_the_demo_has_a_cycle_at_every_stage_and_the_liaison_can_nominate(session, client, login_as):
    from portal.auth.operations import find_user
    from portal.demo import load_demo
    from tests.selection.helpers import nominee

    load_demo()
    acsf, gd, bj = _tenant("acsf"), _tenant("gd"), _tenant("bj")
    with tenant_context(acsf.id, db.session):
        cycles = {c.status: c for c in db.session.scalars(sa.select(SelectionCycle))}
        assert set(cycles) == {CycleStatus.closed, CycleStatus.open}
        finished, upcoming = cycles[CycleStatus.closed], cycles[CycleStatus.open]
        assert finished.academic_year < upcoming.academic_year
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Chair)
                                 .where(Chair.cycle_id == finished.id)) >= 1
        liaison = find_user("liaison-pku@acsf.demo.cn")
        inv = db.session.scalar(sa.select(Invitation).join(Invitation.school).where(
            Invitation.cycle_id == upcoming.id, Invitation.school.has(name="北京大学")))
        assert inv is not None and inv.sent_at is not None
        assert ops.presidium_warning(inv.school_id) is None  # its presidium term runs
        values, errors = ops.clean_nomination(inv, nominee(1))
        assert not errors, errors
    with tenant_context(gd.id, db.session):
        assert db.session.scalar(sa.select(SelectionCycle.status)) == CycleStatus.publicizing
    with tenant_context(bj.id, db.session):
        statuses = set(db.session.scalars(sa.select(Nomination.status)))
        assert NominationStatus.under_review in statuses and NominationStatus.proposed not in statuses
    login_as(liaison, "demo-password")
    page = client.get(f"/acsf/selection/invitations/{inv.id}").get_data(as_text=True)
    assert "已届满" not in page and "不能通过资格条件核查" not in page


def test_A5_2_a_liaison_is_warned_at_entry_when_its_unions_presidium_term_lapsed(session, client, login_as):
    import datetime as dt

    from portal.reference.models import PresidiumMembership
    from tenants.models import Role
    from tests.factories import member
    from tests.selection import helpers as h

    w = h.world(1)
    h.open_cycle(w)
    inv = h.invite(w, w.schools[0])
    liaison = member(w.tenant, Role.school_liaison, school_id=w.schools[0].id)
    login_as(liaison)
    url = f"/{w.tenant.slug}/selection/invitations/{inv.id}"
    assert "不能通过资格条件核查" not in client.get(url).get_data(as_text=True)
    with tenant_context(w.tenant.id, db.session):
        for t in db.session.scalars(sa.select(PresidiumMembership)):
            t.term_end = w.cycle.opened_on - dt.timedelta(days=1)
        db.session.commit()
    for page in (client.get(url), client.get(f"{url}/nominations/new")):
        text = page.get_data(as_text=True)
        assert "已届满" in text and "不能通过资格条件核查" in text and "第五条" in text
