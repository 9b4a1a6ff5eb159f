"""Issue 9, item 2: each role's home lists its pending work with counts and links, counted
within what that role may see (A6.1-A6.5)."""
from __future__ import annotations

import re

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Nomination, NominationStatus, Route
from tenants.models import Role
from tests.factories import member
from tests.selection import helpers as h


def _item(page: str, label: str) -> str | None:
    """The count badge after a to-do label on the home page, or None when it is absent."""
    m = re.search(re.escape(label) + r'</a>\s*<span class="badge[^"]*">(\d+)</span>', page)
    return m.group(1) if m else None


def _world():
    w = h.world(4)  # schools 0, 2 in 44 (广东); 1, 3 in 11 (北京)
    h.open_cycle(w)
    invs = [h.invite(w, s) for s in w.schools[:3]]
    with tenant_context(w.tenant.id, db.session):
        ops.invite_schools(w.cycle, [w.schools[3].id], Route.selection, actor=w.admin)  # not sent yet
    for seq, inv in enumerate(invs, start=1):
        h.submitted(w, inv, seq)
    h.draft(w, invs[0], 9)
    return w, invs


def test_A6_secretariat_home_shows_stage_unsent_letters_and_candidates_to_check(client, session, login_as):
    w, _invs = _world()
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/").get_data(as_text=True)
    assert "秘书处待办" in page and "当前阶段「推荐中」" in page
    assert _item(page, "未发出的推荐函") == "1"
    assert _item(page, "学校已报送、待资格审查的人选") == "3"
    assert _item(page, "待核查的异议") == "0"
    assert "<svg" in page and "各环节人数" in page  # the cycle's funnel, drawn on the server
    assert "审查待办" not in page and "学校待办" not in page


def test_A6_3_reviewer_counts_only_its_province(client, session, login_as):
    w, invs = _world()
    reviewer = member(w.tenant, Role.provincial_reviewer, province_code="44")
    with tenant_context(w.tenant.id, db.session):
        for nom in db.session.scalars(sa.select(Nomination).where(Nomination.status == NominationStatus.submitted)):
            nom.status = NominationStatus.eligibility_checked
        db.session.flush()
    login_as(reviewer)
    page = client.get(f"/{w.tenant.slug}/").get_data(as_text=True)
    assert _item(page, "本省待审查考察的人选") == "2"  # schools 0 and 2; school 1 is in 北京
    assert "秘书处待办" not in page and "未发出的推荐函" not in page


def test_A6_1_liaison_home_shows_its_letter_and_drafts(client, session, login_as):
    w, invs = _world()
    liaison = member(w.tenant, Role.school_liaison, school_id=w.schools[0].id)
    login_as(liaison)
    page = client.get(f"/{w.tenant.slug}/").get_data(as_text=True)
    assert "学校待办" in page
    assert _item(page, "待确认收到的推荐函") == "1"
    assert _item(page, "待完善、尚未报送的人选") == "1"  # its draft (seq 9); other schools' are not counted
    assert f"/selection/invitations/{invs[0].id}" in page
    assert "各环节人数" not in page  # a liaison sees no cycle charts


def test_A6_5_approver_home_shows_the_list_waiting_for_it(client, session, login_as):
    w, invs = _world()
    approver = member(w.tenant, Role.approver)
    with tenant_context(w.tenant.id, db.session):
        w.cycle.status = ops.CycleStatus.deciding
        nom = db.session.scalars(sa.select(Nomination).where(Nomination.status == NominationStatus.submitted)).first()
        nom.status = NominationStatus.proposed
        db.session.flush()
    login_as(approver)
    page = client.get(f"/{w.tenant.slug}/").get_data(as_text=True)
    assert "审批待办" in page and _item(page, "报批的拟任人选") == "1"
    assert _item(page, "待审批的请示") == "0"


def test_home_in_english(client, session, login_as):
    w, _invs = _world()
    login_as(w.admin)
    client.get("/lang/en")
    page = client.get(f"/{w.tenant.slug}/").get_data(as_text=True)
    assert "未发出的推荐函" not in page and "秘书处待办" not in page


def test_A9_secretariat_home_counts_residency_records_waiting_for_confirmation(client, session, login_as):
    from portal.core.obligations import ObligationRecord, RecordStatus
    from portal.residency import operations as rops
    from tests.factories_residency import cohort

    w, (res,) = cohort(1)
    with tenant_context(w.tenant.id, db.session):
        spec = next(s for s in rops.specs_for(res) if s.reviewed_by)  # one the secretariat confirms
        db.session.add(ObligationRecord(tenant_id=w.tenant.id, subject_type=rops.SUBJECT_TYPE, subject_id=res.id,
                                        obligation_key=spec.key, occurred_on=res.term_start, title="思想汇报",
                                        status=RecordStatus.submitted, recorded_role="chair"))
        db.session.flush()
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/").get_data(as_text=True)
    assert _item(page, "待确认的驻会记录") == "1"
