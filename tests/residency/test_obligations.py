"""The obligations engine (issue 11 item 4) filled with chapter 3's duties (A9, A10, A11, A14).

Dates are on the official working-day calendar: the 2025 National Day week (1–8 October off,
Sunday 28 September and Saturday 11 October working days) sits inside the test term.
"""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from portal.core import obligations
from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.core.errors import DomainError
from portal.core.obligations import ObligationRecord, RecordStatus
from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.reminders import run_reminders
from portal.residency import operations as rops
from portal.residency.models import Residency
from tenants.models import Role
from tenants.rules.operations import set_override
from tenants.rules.registry import RuleError
from tests.factories import NationalTenantFactory, TenantFactory, member
from tests.factories_residency import TERM_END, TERM_START, cohort

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KEY = rops.OBLIGATION_PREFIX


def _status(res, key, today):
    with tenant_context(res.tenant_id, db.session):
        return next(s for s in rops.statuses(res, today) if s.spec.key == KEY + key)


def _chair_user(res):
    from portal.auth.models import User

    return db.session.get(User, res.chair.user_id)


def _record(res, key, day, *, actor=None, roles=None, today=None, **kw):
    with tenant_context(res.tenant_id, db.session):
        actor = actor or _chair_user(res)
        return rops.record(res, key, actor=actor, roles=roles if roles is not None else {Role.chair},
                           occurred_on=day, title=kw.pop("title", "记录"), today=today or day, **kw)


# --- due dates on the official calendar -------------------------------------------------------

def test_A14_monthly_dues_due_dates_reminder_and_escalation_across_the_national_day_week(session):
    _, (res,) = cohort(1)
    st = _status(res, "a14_dues", dt.date(2025, 9, 1))
    assert len(st.periods) == 12                          # each month of the term
    sep, oct_ = st.periods[0], st.periods[1]
    assert (sep.start, sep.end, sep.due) == (dt.date(2025, 9, 1), dt.date(2025, 9, 30), dt.date(2025, 9, 30))
    # 5 working days before 30 September counts Sunday 28 September (调休 working day)
    assert sep.remind_from == dt.date(2025, 9, 24)
    # 3 working days after it: 1–8 October are holidays, 9, 10 and Saturday 11 October work
    assert sep.escalate_on == dt.date(2025, 10, 11)
    assert (oct_.due, oct_.remind_from, oct_.escalate_on) == (dt.date(2025, 10, 31), dt.date(2025, 10, 24),
                                                             dt.date(2025, 11, 5))


def test_A9_report_due_before_the_terms_last_month_and_counted_per_term(session):
    _, (res,) = cohort(1)
    st = _status(res, "a9_report", dt.date(2026, 7, 1))
    (p,) = st.periods
    assert (p.start, p.end, p.required) == (TERM_START, TERM_END, 1)
    assert p.due == dt.date(2026, 7, 31)                  # before August, the term's last month
    assert p.remind_from == dt.date(2026, 7, 17) and p.escalate_on == dt.date(2026, 8, 7)
    assert p.state == "upcoming"
    assert _status(res, "a9_report", dt.date(2026, 7, 20)).periods[0].state == "due"
    assert _status(res, "a9_report", dt.date(2026, 8, 3)).periods[0].state == "overdue"


def test_A9_talks_every_interval_and_A12_segments_follow_the_pinned_rules(session):
    _, (res,) = cohort(1)
    talks = _status(res, "a9_talk", TERM_START)
    assert [(p.start, p.end) for p in talks.periods] == [
        (dt.date(2025, 9, 1), dt.date(2025, 11, 30)), (dt.date(2025, 12, 1), dt.date(2026, 2, 28)),
        (dt.date(2026, 3, 1), dt.date(2026, 5, 31)), (dt.date(2026, 6, 1), dt.date(2026, 8, 31))]
    assert talks.spec.recorded_by == ("department_head",)
    courses = _status(res, "a10_2_course", TERM_START)    # each rotation segment (6 months)
    assert [(p.start, p.end) for p in courses.periods] == [(dt.date(2025, 9, 1), dt.date(2026, 2, 28)),
                                                          (dt.date(2026, 3, 1), dt.date(2026, 8, 31))]
    topic = _status(res, "a10_3_topic", TERM_START)       # early in the term: 20 working days in
    # 20 working days after Monday 1 September: the 20th is Sunday 28 September, a 调休 working day
    assert topic.periods[0].due == dt.date(2025, 9, 28)


def test_every_chapter_3_obligation_is_declared_with_its_article(session):
    _, (res,) = cohort(1)
    with tenant_context(res.tenant_id, db.session):
        specs = {s.key[len(KEY):]: s for s in rops.specs_for(res)}
    assert {k: s.article for k, s in specs.items()} == {
        "a9_report": "A9", "a9_talk": "A9", "a10_1_study": "A10.1", "a10_2_course": "A10.2",
        "a10_3_topic": "A10.3", "a10_3_result": "A10.3", "a11_1_survey": "A11.1", "a11_2_forum": "A11.2",
        "a11_3_joint_survey": "A11.3", "a11_4_exchange": "A11.4", "a14_org_life": "A14", "a14_dues": "A14"}
    assert specs["a9_report"].citation == "第九条" and specs["a10_2_course"].citation == "第十条第（二）项"


# --- counts, acceptance and return --------------------------------------------------------------

def test_A9_report_counts_once_accepted_and_a_returned_one_does_not(session):
    w, (res,) = cohort(1)
    rec = _record(res, "a9_report", dt.date(2026, 3, 10), title="思想汇报")
    assert rec.status == RecordStatus.submitted
    st = _status(res, "a9_report", dt.date(2026, 3, 11))
    assert (st.required, st.done, st.accepted, st.periods[0].state) == (1, 1, 0, "submitted")
    with tenant_context(res.tenant_id, db.session):
        with pytest.raises(DomainError) as e:
            rops.review(rec, False, actor=w.admin, roles={Role.secretariat_admin}, note="")
        assert e.value.details == {"note": e.value.message}
        rops.review(rec, False, actor=w.admin, roles={Role.secretariat_admin}, note="请补充学习情况")
    st = _status(res, "a9_report", dt.date(2026, 3, 11))
    assert (st.done, st.accepted, st.periods[0].returned) == (0, 0, 1)
    assert [r.review_note for r in st.returned_records] == ["请补充学习情况"]
    again = _record(res, "a9_report", dt.date(2026, 3, 12), title="思想汇报（修改稿）")
    with tenant_context(res.tenant_id, db.session):
        rops.review(again, True, actor=w.admin, roles={Role.secretariat_staff})
        with pytest.raises(DomainError) as e:   # a second decision on the same record
            rops.review(again, False, actor=w.admin, roles={Role.secretariat_admin}, note="再改")
        assert e.value.status == 409
    st = _status(res, "a9_report", dt.date(2026, 3, 13))
    assert (st.done, st.accepted, st.periods[0].state) == (1, 1, "met")


def test_A10_1_study_recorded_by_the_secretariat_is_accepted_on_recording(session):
    w, (res,) = cohort(1)
    rec = _record(res, "a10_1_study", dt.date(2025, 9, 12), actor=w.admin, roles={Role.secretariat_staff},
                  title="第一次集体学习")
    assert rec.status == RecordStatus.accepted and rec.recorded_role == "secretariat_staff"
    assert _status(res, "a10_1_study", dt.date(2025, 9, 15)).periods[0].state == "met"


def test_A9_min_reports_under_a_provincial_value_of_2(session):
    nat = NationalTenantFactory()
    prov = TenantFactory(parent=nat)
    admin = member(prov, Role.secretariat_admin)
    with tenant_context(prov.id, db.session):
        set_override(prov, "residency.min_reports_to_leadership", 2, "本省要求每学期汇报一次", admin)
    w, (res,) = cohort(1, tenant=prov)
    st = _status(res, "a9_report", dt.date(2026, 3, 1))
    assert st.spec.min_count == 2 and st.periods[0].required == 2
    rec = _record(res, "a9_report", dt.date(2025, 12, 20))
    with tenant_context(prov.id, db.session):
        rops.review(rec, True, actor=w.admin, roles={Role.secretariat_admin})
    assert _status(res, "a9_report", dt.date(2026, 8, 3)).periods[0].state == "overdue"  # 1 of 2


def test_A22_a_province_may_raise_an_obligation_count_but_not_lower_it(session):
    nat = NationalTenantFactory()
    prov = TenantFactory(parent=nat)
    admin = member(prov, Role.secretariat_admin)
    with tenant_context(prov.id, db.session):
        with pytest.raises(RuleError) as e:
            set_override(prov, "residency.obligation.a14_org_life", "次数:0", "试行", admin)
        assert "次数" in e.value.message
        set_override(prov, "residency.obligation.a11_2_forum", "次数:2、提醒:8", "每两个月至少两次座谈", admin)
    w, (res,) = cohort(1, tenant=prov)
    st = _status(res, "a11_2_forum", TERM_START)
    assert st.spec.min_count == 2 and st.spec.remind_workdays == 8
    assert st.spec.period == "months" and st.spec.every_months == 2   # the rest follows the nation


# --- bad input: the wrong role, a date outside the term -----------------------------------------

def test_A9_report_by_the_wrong_role_is_403_and_nothing_is_written(session):
    w, (res,) = cohort(1)
    head = member(w.tenant, Role.department_head)
    n_audit = _count(AuditRecord, res.tenant_id)
    with pytest.raises(DomainError) as e:
        _record(res, "a9_report", dt.date(2026, 3, 10), actor=head, roles={Role.department_head})
    assert e.value.status == 403 and "驻会执行主席" in e.value.message
    with pytest.raises(DomainError) as e:           # A9 talks are the department head's
        _record(res, "a9_talk", dt.date(2026, 3, 10))
    assert e.value.status == 403
    with pytest.raises(DomainError) as e:           # a chair role alone does not make one this chair
        _record(res, "a9_report", dt.date(2026, 3, 10), actor=member(w.tenant, Role.chair))
    assert e.value.status == 403
    assert _count(ObligationRecord, res.tenant_id) == 0 and _count(AuditRecord, res.tenant_id) == n_audit


def test_A8_a_record_outside_the_term_names_the_field_and_saves_nothing(session, app):
    import os

    _, (res,) = cohort(1)
    folder = os.path.join(app.config["UPLOAD_FOLDER"], str(res.tenant_id), "files")
    before = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    for day in (dt.date(2026, 9, 1), dt.date(2025, 8, 31)):
        with pytest.raises(DomainError) as e:
            _record(res, "a10_2_course", day, today=dt.date(2026, 9, 3), evidence=("心得.pdf", PDF))
        assert e.value.status == 422 and list(e.value.details) == ["occurred_on"]
        assert "驻会期间" in e.value.message
    with pytest.raises(DomainError) as e:           # the evidence the rule requires
        _record(res, "a10_2_course", dt.date(2025, 11, 3))
    assert list(e.value.details) == ["evidence"]
    with pytest.raises(DomainError) as e:           # a file judged by its content
        _record(res, "a10_2_course", dt.date(2025, 11, 3), evidence=("心得.pdf", b"MZ\x90\x00 not a pdf"))
    assert list(e.value.details) == ["evidence"]
    assert _count(ObligationRecord, res.tenant_id) == 0
    assert (set(os.listdir(folder)) if os.path.isdir(folder) else set()) == before
    rec = _record(res, "a10_2_course", dt.date(2025, 11, 3), evidence=("C:\\心得.pdf", PDF))
    assert rec.evidence_type == "pdf" and rec.evidence_name == "心得.pdf" and len(rec.evidence_sha256) == 64
    from portal.core.vault import StoredFile   # the evidence is kept in the vault (issue 11, item 3)

    with tenant_context(res.tenant_id, db.session):
        f = db.session.get(StoredFile, rec.file_id)
    assert (f.purpose, f.file_type, f.sha256, f.original_name) == ("obligation.evidence", "pdf",
                                                                    rec.evidence_sha256, "心得.pdf")
    assert rec.evidence_stored is None


def _count(model, tenant_id):
    with tenant_context(tenant_id, db.session):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- the term cut short -------------------------------------------------------------------------

def test_A18_a_term_cut_short_recomputes_every_due_date(session):
    w, (res,) = cohort(1)
    with tenant_context(res.tenant_id, db.session):
        with pytest.raises(DomainError) as e:
            rops.end_residency(res, "removed", ended_on=dt.date(2026, 1, 15), reason="", actor=w.admin)
        assert list(e.value.details) == ["reason"]
        rops.end_residency(res, "removed", ended_on=dt.date(2026, 1, 15), reason="经批准取消驻会资格", actor=w.admin)
    assert res.term_end == dt.date(2026, 1, 15) and res.appointed_term_end == TERM_END
    report = _status(res, "a9_report", dt.date(2026, 1, 5))
    assert report.periods[0].due == dt.date(2025, 12, 15)       # before the new last month
    dues = _status(res, "a14_dues", dt.date(2026, 1, 5))
    assert len(dues.periods) == 5 and dues.periods[-1].end == dt.date(2026, 1, 15)
    assert dues.periods[-1].due == dt.date(2026, 1, 15)
    with tenant_context(res.tenant_id, db.session), pytest.raises(DomainError) as e:
        rops.end_residency(res, "left", ended_on=dt.date(2026, 1, 10), reason="再次", actor=w.admin)
    assert e.value.status == 409


# --- reminders and escalation, once each --------------------------------------------------------

def _sent(res, key, index, template):
    with tenant_context(res.tenant_id, db.session):
        return list(db.session.scalars(sa.select(Notification).where(
            Notification.related_type == "residency_obligation",
            Notification.related_id == f"{res.id}:{KEY}{key}:{index}", Notification.template_key == template)))


def test_A14_dues_reminder_goes_once_to_the_chair_and_escalates_once_after_the_holiday_week(session):
    w, (res,) = cohort(1)
    db.session.flush()
    assert run_reminders(dt.date(2025, 9, 23)) >= 0
    assert _sent(res, "a14_dues", 0, "residency.obligation_due") == []          # a day before the window
    run_reminders(dt.date(2025, 9, 24))
    (first,) = _sent(res, "a14_dues", 0, "residency.obligation_due")
    assert first.recipient_user_id == res.chair.user_id and first.context["due"] == "2025-09-30"
    run_reminders(dt.date(2025, 9, 24))
    run_reminders(dt.date(2025, 9, 29))
    assert len(_sent(res, "a14_dues", 0, "residency.obligation_due")) == 1      # once
    run_reminders(dt.date(2025, 10, 10))
    assert _sent(res, "a14_dues", 0, "residency.obligation_overdue") == []      # grace runs to 11 October
    run_reminders(dt.date(2025, 10, 11))
    run_reminders(dt.date(2025, 10, 13))
    (esc,) = _sent(res, "a14_dues", 0, "residency.obligation_overdue")
    assert esc.recipient_user_id == w.admin.id


def test_A14_a_met_obligation_is_neither_reminded_nor_escalated(session):
    w, (res,) = cohort(1)
    rec = _record(res, "a14_dues", dt.date(2025, 9, 10), title="9月团费")
    with tenant_context(res.tenant_id, db.session):
        rops.review(rec, True, actor=w.admin, roles={Role.secretariat_admin})
    db.session.flush()
    run_reminders(dt.date(2025, 9, 26))
    run_reminders(dt.date(2025, 10, 13))
    assert _sent(res, "a14_dues", 0, "residency.obligation_due") == []
    assert _sent(res, "a14_dues", 0, "residency.obligation_overdue") == []


def test_A9_talk_reminder_goes_to_the_department_heads(session):
    w, (res,) = cohort(1)
    head = member(w.tenant, Role.department_head)
    db.session.flush()
    run_reminders(dt.date(2025, 11, 28))   # the first talk period ends 30 November (a Sunday)
    (n,) = _sent(res, "a9_talk", 0, "residency.obligation_due")
    assert n.recipient_user_id == head.id and n.context["due"] == "2025-11-28"


# --- A6.5 -> A8: confirmation opens exactly one residency ---------------------------------------

def test_A6_5_confirmation_opens_one_residency_and_the_chairs_login_even_when_confirmed_twice(session):
    from portal.core.errors import Conflict
    from portal.core.signals import chair_appointed
    from portal.members.models import MemberInvitation
    from portal.selection import operations as ops
    from portal.selection.workflow import SYSTEM
    from tests.selection.helpers import open_cycle, world
    from tests.selection.test_workflow import _through_notice

    w = world(1)
    open_cycle(w)
    noms, _ = _through_notice(w, 1)
    with tenant_context(w.tenant.id, db.session):
        (chair,) = ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 8),
                                            term_start=dt.date(2026, 9, 1))
        with pytest.raises(Conflict):
            ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 8))
        chair_appointed.send(chair, cycle=w.cycle, nomination=noms[0], actor=w.admin)  # a repeated signal
        (res,) = db.session.scalars(sa.select(Residency)).all()
        assert (res.chair_id, res.cohort, res.term_start, res.term_end) == (
            chair.id, "2026-2027", dt.date(2026, 9, 1), dt.date(2027, 8, 31))
        assert res.school_id == noms[0].school_id and res.union_id == noms[0].union_id
        assert res.rules_version == w.cycle.rules_version and res.status.value == "in_residence"
        assert chair.user_id is not None
        (inv,) = db.session.scalars(sa.select(MemberInvitation)).all()
        assert inv.user_id == chair.user_id and inv.sets_password and inv.membership.role == Role.chair
        mail = db.session.scalars(sa.select(Notification).where(
            Notification.template_key == "members.invitation")).all()
        assert [m.recipient_email for m in mail] == [noms[0].email]
        actions = [a for (a,) in db.session.execute(sa.select(AuditRecord.action))]
        assert actions.count("residency.opened") == 1 and actions.count("chair.login_linked") == 1


def test_A8_evidence_stored_before_the_vault_is_adopted_by_migration_0018_once(session, app):
    """Issue 11 item 3: every uploaded file is kept in the vault; evidence recorded before it
    (``<tenant>/obligations/<name>``) is copied in, and its download goes through the vault."""
    import hashlib
    import importlib.util
    import os

    from portal.core import vault

    _, (res,) = cohort(1)
    tid = res.tenant_id
    root = app.config["UPLOAD_FOLDER"]
    name = "d" * 32 + ".pdf"
    os.makedirs(os.path.join(root, str(res.tenant_id), "obligations"), exist_ok=True)
    with open(os.path.join(root, str(res.tenant_id), "obligations", name), "wb") as fh:
        fh.write(PDF)
    with tenant_context(res.tenant_id, db.session):
        legacy = ObligationRecord(tenant_id=res.tenant_id, subject_type="residency", subject_id=res.id,
                                  obligation_key="residency.obligation.a10_2_course", occurred_on=dt.date(2025, 11, 3),
                                  title="研学心得", evidence_name="旧心得.pdf", evidence_type="pdf",
                                  evidence_stored=os.path.join(str(res.tenant_id), "obligations", name),
                                  evidence_size=len(PDF), evidence_sha256=hashlib.sha256(PDF).hexdigest(),
                                  recorded_role="chair")
        lost = ObligationRecord(tenant_id=res.tenant_id, subject_type="residency", subject_id=res.id,
                                obligation_key="residency.obligation.a10_2_course", occurred_on=dt.date(2025, 11, 4),
                                title="丢失", evidence_name="丢失.pdf", evidence_type="pdf",
                                evidence_stored=os.path.join(str(res.tenant_id), "obligations", "e" * 32 + ".pdf"),
                                recorded_role="chair")
        db.session.add_all([legacy, lost])
        db.session.flush()
    path = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "migrations", "versions",
                        "0018_evidence_vault.py")
    spec = importlib.util.spec_from_file_location("migration_0018", path)
    mig = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mig)
    first = mig.adopt_legacy_evidence(db.session.connection(), root)
    again = mig.adopt_legacy_evidence(db.session.connection(), root)
    assert first == {"evidence": 1, "missing": 1} and again == {"evidence": 0, "missing": 1}
    legacy_id, lost_id = legacy.id, lost.id
    with tenant_context(tid, db.session):
        db.session.expire_all()
        legacy = db.session.get(ObligationRecord, legacy_id)
        f = db.session.get(vault.StoredFile, legacy.file_id)
        assert db.session.get(ObligationRecord, lost_id).file_id is None
        assert (f.storage_key, f.purpose, f.original_name) == (f"{tid}/files/{name}",
                                                              "obligation.evidence", "旧心得.pdf")
        with open(vault.path_of(f), "rb") as fh:
            assert fh.read() == PDF
