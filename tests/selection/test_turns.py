"""Whose turn it is now (issue 9): after each selection step the next actor is told, once."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db
from portal.notifications.models import Notification
from portal.selection import workflow
from portal.selection.workflow import SYSTEM
from tenants.models import Role
from tests.factories import member
from tests.selection.helpers import advance_to_reviewed, invite, open_cycle, submitted, world


def _told(w, key):
    with tenant_context(w.tenant.id, db.session):
        return sorted(db.session.scalars(sa.select(Notification.recipient_user_id)
                                         .where(Notification.template_key == key)))


def _cast(w):
    staff = member(w.tenant, Role.secretariat_staff)
    gd_reviewer = member(w.tenant, Role.provincial_reviewer, province_code="44")
    bj_reviewer = member(w.tenant, Role.provincial_reviewer, province_code="11")
    liaison = member(w.tenant, Role.school_liaison, school_id=w.schools[0].id)
    return staff, gd_reviewer, bj_reviewer, liaison


def test_A6_2_submission_tells_the_secretariat_once_per_school(session):
    w = world(2)
    staff, *_ = _cast(w)
    open_cycle(w)
    inv = invite(w, w.schools[0])
    submitted(w, inv, 1)
    submitted(w, inv, 2)   # a second nominee of the same school tells no one again
    assert _told(w, "selection.turn.submitted") == sorted([w.admin.id, staff.id])
    other = invite(w, w.schools[1])
    submitted(w, other, 3)
    assert len(_told(w, "selection.turn.submitted")) == 4


def test_A6_3_eligibility_tells_the_reviewer_of_the_schools_province_only(session):
    w = world(2)   # school 0 in province 44, school 1 in 11
    staff, gd_reviewer, bj_reviewer, _ = _cast(w)
    open_cycle(w)
    nom = submitted(w, invite(w, w.schools[0]), 1)
    advance_to_reviewed(w, nom)
    assert _told(w, "selection.turn.review") == [gd_reviewer.id]
    assert _told(w, "selection.turn.cycle_review") == sorted([gd_reviewer.id, bj_reviewer.id])
    assert _told(w, "selection.turn.exams") == sorted([w.admin.id, staff.id])
    with tenant_context(w.tenant.id, db.session):
        body = db.session.scalar(sa.select(Notification).where(
            Notification.template_key == "selection.turn.review")).context
    assert body["name"] == nom.name and body["article"] == "第六条第（三）项"


def test_A6_2_withdrawal_tells_the_secretariat_and_a_rolled_back_step_tells_no_one(session):
    w = world(1)
    staff, *_ = _cast(w)
    open_cycle(w)
    nom = submitted(w, invite(w, w.schools[0]), 1)
    with tenant_context(w.tenant.id, db.session):
        with pytest.raises(RuntimeError):
            with db.session.begin_nested():
                workflow.apply(nom, "withdraw", actor=w.admin, roles=SYSTEM, note="学校撤回")
                raise RuntimeError("the request fails after the step")
        db.session.expire_all()
    assert _told(w, "selection.turn.withdrawn") == []
    with tenant_context(w.tenant.id, db.session):
        nom = db.session.get(type(nom), nom.id)
        workflow.apply(nom, "withdraw", actor=w.admin, roles=SYSTEM, note="本人因病无法驻会")
    assert _told(w, "selection.turn.withdrawn") == sorted([w.admin.id, staff.id])
    with tenant_context(w.tenant.id, db.session):
        n = db.session.scalar(sa.select(Notification).where(Notification.template_key == "selection.turn.withdrawn"))
    assert n.context["reason"] == "本人因病无法驻会"


def test_A6_5_publicity_tells_the_schools_liaison(session):
    from tests.selection.helpers import notice_open_today

    w = world(1)
    *_, liaison = _cast(w)
    open_cycle(w)
    noms, _notice = notice_open_today(w, 1)
    assert _told(w, "selection.turn.publicized") == [liaison.id]
