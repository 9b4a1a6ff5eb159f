"""Issue 8, item 13: a notice is never backdated, and each candidate is appointed only after
their OWN notice has run its full length (A6.5)."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Chair, NominationStatus as S, PublicNotice
from portal.selection.workflow import SYSTEM
from tests.factories import member
from tests.selection.helpers import advance_to_reviewed, consent_papers, invite, open_cycle, score, submitted, world
from tenants.models import Role

STAFF = {Role.secretariat_admin}


def _ranked(n: int, quota: int):
    w = world(n)
    open_cycle(w, quota=quota)
    noms = []
    for i in range(n):
        nom = advance_to_reviewed(w, submitted(w, invite(w, w.schools[i]), i + 1))
        score(w, nom, 90 - i, 80)
        noms.append(nom)
    with tenant_context(w.tenant.id, db.session):
        ops.rank_cycle(w.cycle, actor=w.admin, roles=SYSTEM)
    return w, noms, member(w.tenant, Role.approver)


def _approve(w, approver, nom):
    ops.propose(w.cycle, [nom.id], actor=w.admin, roles=STAFF)
    ops.decide(w.cycle, True, "同意", actor=approver, roles={Role.approver}, **consent_papers())


def test_A6_5_a_notice_cannot_start_before_the_day_it_is_published(session):
    w, noms, approver = _ranked(1, 1)
    with tenant_context(w.tenant.id, db.session):
        _approve(w, approver, noms[0])
        with pytest.raises(DomainError) as e:
            ops.open_notice(w.cycle, actor=w.admin, roles=STAFF, starts_on=dt.date(2026, 5, 4),
                            today=dt.date(2026, 6, 1))
        assert e.value.code == "notice_backdated" and e.value.field == "starts_on"
        assert "不能早于发布当日（2026年06月01日）" in e.value.message
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PublicNotice)) == 0
        assert noms[0].status == S.approved
        notice = ops.open_notice(w.cycle, actor=w.admin, roles=STAFF, starts_on=dt.date(2026, 6, 1),
                                 today=dt.date(2026, 6, 1))
        assert (notice.starts_on, notice.ends_on) == (dt.date(2026, 6, 1), dt.date(2026, 6, 5))


def test_A6_5_the_notice_form_refuses_a_past_start(client, session, login_as, app):
    w, noms, approver = _ranked(1, 1)
    with tenant_context(w.tenant.id, db.session):
        _approve(w, approver, noms[0])
    login_as(w.admin)
    suite_today = app.config["FIXED_TODAY"]
    app.config["FIXED_TODAY"] = "2026-06-03"
    try:
        r = client.post(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/notice", data={"starts_on": "2026-06-01"})
    finally:
        app.config["FIXED_TODAY"] = suite_today
    assert r.status_code == 400 and "不能早于发布当日" in r.get_data(as_text=True)
    with tenant_context(w.tenant.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PublicNotice)) == 0


def test_A6_5_each_candidate_is_appointed_only_after_their_own_notice(session):
    """A's notice is published on 1 June to start on 10 June (ends 16 June); B, a leftover
    candidate approved later, gets a notice from 2 June (ends 8 June). On 9 June the latest
    notice has ended, but A's has not begun to run out: only B is appointed."""
    w, (a, b), approver = _ranked(2, 2)
    with tenant_context(w.tenant.id, db.session):
        _approve(w, approver, a)
        first = ops.open_notice(w.cycle, actor=w.admin, roles=STAFF, starts_on=dt.date(2026, 6, 10),
                                today=dt.date(2026, 6, 1))
        assert first.ends_on == dt.date(2026, 6, 16)
        _approve(w, approver, b)  # proposed after the first notice began: not on it
        assert b.status == S.approved and b.id not in first.nomination_ids
        second = ops.open_notice(w.cycle, actor=w.admin, roles=STAFF, starts_on=dt.date(2026, 6, 2),
                                 today=dt.date(2026, 6, 2))
        assert second.nomination_ids == [b.id] and second.ends_on == dt.date(2026, 6, 8)
        with pytest.raises(Conflict):
            ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 8))
        chairs = ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 9))
        assert [c.nomination_id for c in chairs] == [b.id]
        assert (a.status, b.status) == (S.publicized, S.appointed)
        with pytest.raises(Conflict) as e:
            ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 16))
        assert "公示期至2026年06月16日结束" in e.value.message
        chairs = ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 17))
        assert [c.nomination_id for c in chairs] == [a.id]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Chair)) == 2


def test_A6_5_a_leftover_candidate_needs_a_notice_of_their_own(session):
    w, (a, b), approver = _ranked(2, 2)
    with tenant_context(w.tenant.id, db.session):
        _approve(w, approver, a)
        ops.open_notice(w.cycle, actor=w.admin, roles=STAFF, starts_on=dt.date(2026, 6, 1), today=dt.date(2026, 6, 1))
        _approve(w, approver, b)  # during the running notice
        chairs = ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 8))
        assert [c.nomination_id for c in chairs] == [a.id]
        assert b.status == S.approved  # not appointed on someone else's notice
