"""The selection cycle's operations and state machine (A4-A7)."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection import workflow
from portal.selection.models import (
    Chair, CheckResult, NominationStatus as S, ObjectionStatus, Route,
)
from portal.selection.workflow import SYSTEM
from tenants.models import Role
from tenants.rules.operations import publish_version, current_version_values, set_override
from tests.factories import TenantFactory, member
from tests.selection.helpers import (
    IN_WINDOW, OPENED, advance_to_reviewed, consent_papers, draft, invite, open_cycle, score, submitted, world,
)


def test_A4_cycle_quota_from_rules_and_rotation_share(session):
    w = world()
    c = open_cycle(w)
    assert c.quota == 6 and c.rotation_quota == 3 and c.selection_quota == 3
    assert c.rules_version == "2024"
    # A6.2: nominations due 15 working days after opening (2026-03-02 counts as day 1).
    assert c.step("nominations").due_on == dt.date(2026, 3, 20)


def test_A23_opened_cycle_keeps_its_rules_when_a_new_version_is_published(session):
    w = world()
    c = open_cycle(w)
    values = current_version_values() | {"selection.nominees_per_school": 5}
    publish_version("2099-test", "新版", values)
    assert c.rule("selection.nominees_per_school") == 2


def test_A22_provincial_cycle_uses_overridden_rules(session):
    prov = TenantFactory()
    w = world(tenant=prov)
    with tenant_context(prov.id, db.session):
        set_override(prov, "selection.default_quota", 3, "本省名额", w.admin)
        set_override(prov, "selection.public_notice_min_workdays", 7, "七个工作日", w.admin)
    c = open_cycle(w)
    assert c.quota == 3 and c.rule("selection.public_notice_min_workdays") == 7


def test_A6_2_school_cannot_exceed_nominee_limit(session):
    w = world()
    open_cycle(w)
    inv = invite(w, w.schools[0])
    submitted(w, inv, 1)
    submitted(w, inv, 2)
    third = draft(w, inv, 3)
    with tenant_context(w.tenant.id, db.session):
        with pytest.raises(Conflict) as e:
            ops.submit_nomination(third, actor=w.admin, roles=SYSTEM, today=IN_WINDOW)
        assert "上限" in e.value.message and "第六条第（二）项" in e.value.message
        # A6.2: more only with a recorded reason.
        with pytest.raises(DomainError):
            ops.allow_extra_nominees(inv, 1, "", actor=w.admin)
        ops.allow_extra_nominees(inv, 1, "该校两个学生组织均有优秀人选", actor=w.admin)
        ops.submit_nomination(third, actor=w.admin, roles=SYSTEM, today=IN_WINDOW)
    assert third.status == S.submitted


def test_A6_2_submission_closes_at_deadline(session):
    w = world()
    open_cycle(w)
    inv = invite(w, w.schools[0])
    nom = draft(w, inv)
    with tenant_context(w.tenant.id, db.session), pytest.raises(Conflict) as e:
        ops.submit_nomination(nom, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 3, 23))
    assert "截止" in e.value.message


def test_A6_2_school_publicity_needs_min_workdays(session):
    w = world()
    open_cycle(w)
    inv = invite(w, w.schools[0])
    with tenant_context(w.tenant.id, db.session):
        # 2026-03-06 (Fri) to 03-11 (Wed): 4 working days.
        _, errors = ops.clean_nomination(inv, __import__("tests.selection.helpers", fromlist=["nominee"]).nominee(
            1, publicity_start=dt.date(2026, 3, 6), publicity_end=dt.date(2026, 3, 11)))
    assert "4 个工作日" in errors["publicity_end"] and "5" in errors["publicity_end"]


def test_A5_automatic_checks_and_attestation(session):
    w = world()
    open_cycle(w)
    inv = invite(w, w.schools[0])
    nom = submitted(w, inv, political_status="群众", discipline_record="2024年考试作弊受警告处分")
    with tenant_context(w.tenant.id, db.session):
        checks = {c.item: c for c in ops.run_eligibility(nom, w.cycle, actor=w.admin)}
        assert checks["A5.1"].result == CheckResult.failed
        assert checks["A5.2"].result == CheckResult.passed
        assert checks["A5.5"].result == CheckResult.failed
        assert checks["A5.3"].result == CheckResult.pending
        with pytest.raises(Conflict) as e:
            workflow.apply(nom, "confirm_eligibility", actor=w.admin, roles={Role.secretariat_admin})
        assert "第五条第（三）项" in e.value.message


def test_A5_2_union_term_lapsed_fails(session):
    w = world()
    open_cycle(w)
    from portal.reference.models import PresidiumMembership

    with tenant_context(w.tenant.id, db.session):
        pm = db.session.scalar(sa.select(PresidiumMembership).where(PresidiumMembership.union_id == w.unions[0].id))
        pm.term_end = dt.date(2025, 8, 31)
        db.session.flush()
    inv = invite(w, w.schools[0])
    nom = submitted(w, inv)
    with tenant_context(w.tenant.id, db.session):
        checks = {c.item: c for c in ops.run_eligibility(nom, w.cycle, actor=w.admin)}
    assert checks["A5.2"].result == CheckResult.failed and "届满" in checks["A5.2"].reason


def test_A6_4_scoring_before_review_is_refused(session):
    w = world()
    open_cycle(w)
    inv = invite(w, w.schools[0])
    nom = submitted(w, inv)
    with tenant_context(w.tenant.id, db.session), pytest.raises(Conflict) as e:
        ops.enter_exam_score(nom, 90, actor=w.admin)
    assert "尚未完成资格审查和考察" in e.value.message


def test_A6_3_provincial_reviewer_only_own_province(session):
    w = world()
    open_cycle(w)
    inv = invite(w, w.schools[1])  # province 11
    nom = submitted(w, inv)
    reviewer = member(w.tenant, Role.provincial_reviewer, province_code="44")
    from tenants.models import Membership

    with tenant_context(w.tenant.id, db.session):
        ops.run_eligibility(nom, w.cycle, actor=w.admin)
        ops.attest(nom, "A5.3", True, "证明", actor=w.admin)
        ops.attest(nom, "A5.4", True, "证明", actor=w.admin)
        workflow.apply(nom, "confirm_eligibility", actor=w.admin, roles=SYSTEM)
        workflow.apply(nom, "start_review", actor=w.admin, roles=SYSTEM)
        ms = list(db.session.scalars(sa.select(Membership).where(Membership.user_id == reviewer.id)))
        with pytest.raises(DomainError) as e:
            ops.sign_review(nom, "provincial", qualified=True, notes="x", report="y", actor=reviewer, memberships=ms)
        assert e.value.status == 403


def test_A6_4_ranking_uses_weights_baoyan_preference_and_tie_break(session):
    w = world(3)
    open_cycle(w)
    noms = []
    for i, s in enumerate(w.schools):
        inv = invite(w, s)
        n = advance_to_reviewed(w, submitted(w, inv, i + 1, baoyan_eligible="否" if i == 0 else "是"))
        noms.append(n)
    score(w, noms[0], 80, 80)   # total 80, no 保研
    score(w, noms[1], 80, 80)   # total 80, 保研 -> ahead of noms[0]
    score(w, noms[2], 90, 60)   # 0.4*90 + 0.6*60 = 72
    with tenant_context(w.tenant.id, db.session):
        ranked = ops.rank_cycle(w.cycle, actor=w.admin, roles=SYSTEM)
    assert [n.id for n in ranked] == [noms[1].id, noms[0].id, noms[2].id]
    assert float(noms[2].total_score) == 72.0
    assert all(n.status == S.ranked for n in noms)


def _through_notice(w, n_noms=1):
    noms = []
    for i in range(n_noms):
        inv = invite(w, w.schools[i])
        n = advance_to_reviewed(w, submitted(w, inv, i + 1))
        score(w, n, 80 + i, 80)
        noms.append(n)
    with tenant_context(w.tenant.id, db.session):
        ops.rank_cycle(w.cycle, actor=w.admin, roles=SYSTEM)
        ops.propose(w.cycle, [noms[0].id], actor=w.admin, roles={Role.secretariat_admin})
        approver = member(w.tenant, Role.approver)
        with pytest.raises(DomainError) as e:
            ops.decide(w.cycle, True, None, actor=w.admin, roles={Role.secretariat_admin})
        assert e.value.status == 403
        a = ops.decide(w.cycle, True, "同意", actor=approver, roles={Role.approver}, **consent_papers())
        assert a.body_name == "共青团中央书记处"
        notice = ops.open_notice(w.cycle, actor=w.admin, roles=SYSTEM, starts_on=dt.date(2026, 6, 1),
                                  today=dt.date(2026, 6, 1))
    return noms, notice


def test_A6_5_notice_window_and_confirm_only_after_it_closes(session):
    w = world(2)
    open_cycle(w)
    noms, notice = _through_notice(w, 2)
    assert notice.ends_on == dt.date(2026, 6, 5)   # 5 working days from Monday 1 June
    with tenant_context(w.tenant.id, db.session):
        with pytest.raises(Conflict) as e:
            ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 5))
        assert "公示期满后" in e.value.message
        o = ops.submit_objection(notice, "该同学的获奖材料存在疑问，请核实。", today=dt.date(2026, 6, 3))
        with pytest.raises(Conflict):
            ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 8))
        ops.resolve_objection(o, False, "经核实材料真实", actor=w.admin)
        chairs = ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 8),
                                          term_start=dt.date(2026, 9, 1))
    assert len(chairs) == 1 and chairs[0].term_end == dt.date(2027, 8, 31)
    assert noms[0].status == S.appointed


def test_A6_5_objection_outside_window_refused(session):
    w = world(1)
    open_cycle(w)
    _, notice = _through_notice(w, 1)
    with tenant_context(w.tenant.id, db.session), pytest.raises(Conflict):
        ops.submit_objection(notice, "公示期结束后提交的异议内容。", today=dt.date(2026, 6, 8))


def test_A6_5_upheld_objection_blocks_appointment(session):
    w = world(1)
    open_cycle(w)
    noms, notice = _through_notice(w, 1)
    with tenant_context(w.tenant.id, db.session):
        o = ops.submit_objection(notice, "该同学有学术不端行为，附证据。", nomination_id=noms[0].id,
                                 today=dt.date(2026, 6, 2))
        ops.resolve_objection(o, True, "经核查属实", actor=w.admin)
        assert o.status == ObjectionStatus.upheld
        chairs = ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 8))
    assert chairs == [] and noms[0].status == S.publicized


def test_A7_disqualify_backfills_next_ranked_and_notifies_school(session):
    from portal.notifications.models import Notification

    w = world(2)
    open_cycle(w)
    noms, _ = _through_notice(w, 2)
    liaison = member(w.tenant, Role.school_liaison, school_id=noms[0].school_id)
    with tenant_context(w.tenant.id, db.session):
        with pytest.raises(DomainError):
            ops.disqualify(noms[0], "弄虚作假", "", actor=w.admin, roles={Role.secretariat_admin})
        d = ops.disqualify(noms[0], "弄虚作假", "获奖证书系伪造（附核查函）", actor=w.admin,
                           roles={Role.secretariat_admin})
    assert noms[0].status == S.disqualified
    assert d.replacement_id == noms[1].id and noms[1].status == S.proposed
    with tenant_context(w.tenant.id, db.session):
        actions = set(db.session.scalars(sa.select(AuditRecord.action)))
        told = db.session.scalars(sa.select(Notification.recipient_user_id).where(
            Notification.template_key == "selection.disqualification")).all()
    assert "nomination.disqualification" in actions and "nomination.disqualify" in actions
    assert told == [liaison.id], "the school's liaison is told of the disqualification through the outbox"


def test_A6_every_transition_is_audited_and_out_of_order_refused(session):
    w = world(1)
    open_cycle(w)
    inv = invite(w, w.schools[0])
    nom = submitted(w, inv)
    with tenant_context(w.tenant.id, db.session):
        with pytest.raises(Conflict) as e:
            workflow.apply(nom, "appoint", actor=w.admin, roles={Role.secretariat_admin})
        assert "不能执行「确认任用」" in e.value.message
        recs = db.session.scalars(sa.select(AuditRecord).where(AuditRecord.action == "nomination.submit")).all()
    assert recs and recs[0].article == "A6.2"


def test_A6_transition_table_declares_roles_and_articles():
    for t in workflow.TRANSITIONS.values():
        assert t.roles and t.article.startswith("A")
    assert workflow.TRANSITIONS["approve"].roles == {Role.approver}


def test_A4_rotation_roster_orders_by_turn(session):
    w = world(3)
    with tenant_context(w.tenant.id, db.session):
        added = ops.ensure_rotation_roster(w.tenant, on=OPENED, actor=w.admin)
        assert len(added) == 3
        added[0].last_served_year = "2025-2026"
        db.session.flush()
        due = ops.rotation_due(2)
    assert added[0] not in due and len(due) == 2
