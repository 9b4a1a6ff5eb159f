"""A14 dues and organizational life month by month: the dues schedule (rule data, its source
cited) on the chair's income (portal.core.income), 及时、足额 at its edges, the lapse alarm once,
the A17 record source, the API's field errors."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.core.errors import DomainError
from portal.core.obligations import ObligationRecord, RecordStatus
from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.reminders import run_reminders
from portal.residency import operations as rops
from portal.residency import relations as rel
from portal.residency.relations_models import DuesPayment, RelationKind
from tenants.models import Role
from tenants.rules.registry import REGISTRY
from tests.factories_residency import cohort
from tests.residency.relations_helpers import chair_user, pin, set_status

INCOME: dict[int, Decimal] = {}


def income_source(residency, month):
    """A test source registered through portal.core.income (A15 registers the real one)."""
    return INCOME.get(residency.id)


@pytest.fixture()
def income(app):
    sources = app.extensions.setdefault("portal_income_sources", [])
    sources.insert(0, f"{__name__}:income_source")
    INCOME.clear()
    yield INCOME
    sources.remove(f"{__name__}:income_source")
    INCOME.clear()


def _pay(res, month, amount, paid_on, *, actor=None, roles=None):
    with tenant_context(res.tenant_id, db.session):
        return rel.record_dues(res, month=month, amount_paid=amount, paid_on=paid_on,
                               actor=actor or chair_user(res), roles=roles or {Role.chair},
                               today=max(paid_on, dt.date(2026, 1, 31)))


def test_A14_dues_schedule_cites_its_sources_and_reads_the_pinned_values(session):
    assert "中组发〔2008〕3号" in REGISTRY["residency.dues.party_brackets"].help
    assert "0.2元" in REGISTRY["residency.dues.party_student_yuan"].help
    assert "未能与现行团费规定原文核对" in REGISTRY["residency.dues.league_student_yuan"].help
    w, (res,) = cohort(1)
    with tenant_context(w.tenant.id, db.session):
        set_status(res, "中共党员")
        assert rel.dues_due(res, RelationKind.party, dt.date(2025, 9, 1)).amount == Decimal("0.20")
        assert rel.dues_due(res, RelationKind.league, dt.date(2025, 9, 1)).amount == Decimal("0.10")
        pin(res, dues__party_student_yuan="0.5", dues__league_student_yuan="0.3")
        due = rel.dues_due(res, RelationKind.party, dt.date(2025, 9, 1))
        assert due.amount == Decimal("0.50") and due.income is None and "学生" in due.basis
        assert rel.dues_due(res, RelationKind.league, dt.date(2025, 9, 1)).amount == Decimal("0.30")


def test_A14_dues_by_bracket_on_an_income_registered_through_core_income(session, income):
    w, (res,) = cohort(1)
    with tenant_context(w.tenant.id, db.session):
        set_status(res, "中共党员")
        sep = dt.date(2025, 9, 1)
        for amount, due in (("3000", "15.00"), ("3000.01", "30.00"), ("5000", "50.00"), ("8000", "120.00"),
                            ("10000.01", "200.00")):
            income[res.id] = Decimal(amount)
            assert rel.dues_due(res, RelationKind.party, sep).amount == Decimal(due), amount
        income[res.id] = Decimal("4000")
        pin(res, dues__party_brackets=["5000:2", "*:3"])     # a province's (or a newer text's) schedule
        d = rel.dues_due(res, RelationKind.party, sep)
        assert d.amount == Decimal("80.00") and d.income == Decimal("4000") and "2%" in d.basis
        income[res.id] = Decimal("500")
        assert rel.dues_due(res, RelationKind.league, sep).amount == Decimal("5.00")  # league: above 400, 1%


def test_A14_on_time_and_in_full_at_their_edges(session):
    w, (res,) = cohort(1)
    with tenant_context(w.tenant.id, db.session):
        set_status(res, "中共党员")
    last_day = _pay(res, dt.date(2025, 9, 1), "0.20", dt.date(2025, 9, 30))
    day_after = _pay(res, dt.date(2025, 10, 1), "0.20", dt.date(2025, 11, 1))
    short = _pay(res, dt.date(2025, 11, 1), "0.19", dt.date(2025, 11, 5))
    more = _pay(res, dt.date(2025, 12, 1), "1.00", dt.date(2025, 12, 1))
    assert (last_day.on_time, last_day.in_full) == (True, True)
    assert (day_after.on_time, day_after.in_full) == (False, True)
    assert (short.on_time, short.in_full) == (True, False)
    assert (more.on_time, more.in_full) == (True, True)
    with tenant_context(w.tenant.id, db.session):
        late_rec = db.session.get(ObligationRecord, day_after.record_id)
        assert late_rec.occurred_on == dt.date(2025, 10, 31)  # counted in October, not November
        rows = {m.month: m for m in rel.months(res, dt.date(2026, 1, 31))}
        assert rows[dt.date(2025, 10, 1)].dues_ok is False and rows[dt.date(2025, 9, 1)].dues_ok is True
        st = next(s for s in rops.statuses(res, dt.date(2026, 1, 31)) if s.spec.key == rel.DUES_KEY)
        assert st.periods[1].done == 1 and st.periods[1].state == "submitted"
        with pytest.raises(DomainError) as e:
            _pay(res, dt.date(2025, 9, 1), "0.20", dt.date(2025, 9, 30))
        assert e.value.status == 409
        with pytest.raises(DomainError) as e:
            _pay(res, dt.date(2025, 8, 1), "0.20", dt.date(2025, 8, 30))
        assert e.value.field == "month"
        with pytest.raises(DomainError) as e:
            _pay(res, dt.date(2026, 1, 1), "0.001", dt.date(2026, 1, 3))
        assert e.value.field == "amount_paid"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DuesPayment)) == 4


def test_A14_dues_recorded_by_the_secretariat_then_confirmed_and_org_life_by_month(session):
    w, (res,) = cohort(1)
    with tenant_context(w.tenant.id, db.session):
        pay = rel.record_dues(res, month=dt.date(2025, 9, 15), amount_paid="0.10", paid_on=dt.date(2025, 9, 20),
                              actor=w.admin, roles={Role.secretariat_admin}, today=dt.date(2025, 9, 20))
        rec = db.session.get(ObligationRecord, pay.record_id)
        assert rec.recorded_role == "secretariat_admin" and rec.status == RecordStatus.submitted
        rops.review(rec, True, actor=w.admin, roles={Role.secretariat_admin})
        row = rel.record_org_life(res, attended_on=dt.date(2025, 9, 25), organization="团中央机关团委第一支部",
                                  topic="主题团日", actor=chair_user(res), roles={Role.chair},
                                  today=dt.date(2025, 9, 25))
        with pytest.raises(DomainError) as e:
            rel.record_org_life(res, attended_on=dt.date(2025, 9, 25), organization="支部", topic="",
                                actor=chair_user(res), roles={Role.chair}, today=dt.date(2025, 9, 25))
        assert e.value.field == "topic"
        (sep, *_rest) = rel.months(res, dt.date(2025, 11, 3))
        assert sep.attended and sep.dues_ok and sep.org_life[0][0].id == row.id
        assert pay.kind == RelationKind.league


def test_A14_lapse_alarm_at_the_pinned_month_count_goes_once_to_the_chair_and_the_secretariat(app, session):
    w, (res,) = cohort(1)
    with tenant_context(w.tenant.id, db.session):
        pin(res, relation_alarm_months=2)
        _pay(res, dt.date(2025, 9, 1), "0.10", dt.date(2025, 9, 5))
        rel.record_org_life(res, attended_on=dt.date(2025, 9, 25), organization="支部", topic="主题团日",
                            actor=chair_user(res), roles={Role.chair}, today=dt.date(2025, 9, 25))
    db.session.flush()

    def alarms():
        with tenant_context(w.tenant.id, db.session):
            return list(db.session.scalars(sa.select(Notification).where(
                Notification.template_key == "residency.relation_lapse_alarm")))

    app.config["FIXED_TODAY"] = "2025-11-15"            # October closed: one month without either
    run_reminders(dt.date(2025, 11, 15))
    assert alarms() == []
    app.config["FIXED_TODAY"] = "2025-12-02"            # October and November: two months
    run_reminders(dt.date(2025, 12, 2))
    run_reminders(dt.date(2025, 12, 3))
    app.config["FIXED_TODAY"] = "2026-01-05"            # three months: the same run, nothing new
    run_reminders(dt.date(2026, 1, 5))
    sent = alarms()
    expected = sorted((f"{res.id}:{what}:2025-10-01", u) for what in ("org_life", "dues")
                      for u in (w.admin.id, res.chair.user_id))
    assert sorted((n.related_id, n.recipient_user_id) for n in sent) == expected
    assert {n.context["lapse_on"] for n in sent} == {"2026-03-31"}   # six months from October
    # paid and attended again: the run ends; a new run later is a new alarm
    with tenant_context(w.tenant.id, db.session):
        _pay(res, dt.date(2026, 1, 1), "0.10", dt.date(2026, 1, 5))
        rel.record_org_life(res, attended_on=dt.date(2026, 1, 6), organization="支部", topic="学习",
                            actor=chair_user(res), roles={Role.chair}, today=dt.date(2026, 1, 6))
    app.config["FIXED_TODAY"] = "2026-02-02"
    run_reminders(dt.date(2026, 2, 2))
    assert len(alarms()) == 4


def test_A14_record_source_gives_facts_with_rows_and_gaps_for_the_appraisal(app, session):
    from portal.core.record import gather

    app.config["FIXED_TODAY"] = "2025-12-02"
    w, (res,) = cohort(1)
    with tenant_context(w.tenant.id, db.session):
        set_status(res, "中共党员")
        (t,) = rel.open_outbound(res, actor=w.admin)
        rel.issue_letter(t, letter_no="8号", letter_date=dt.date(2025, 9, 5), to_org="机关党委", actor=w.admin,
                         roles={Role.secretariat_admin}, today=dt.date(2025, 9, 5))
        rel.return_receipt(t, receipt_on=dt.date(2025, 9, 19), actor=w.admin, roles={Role.secretariat_admin},
                           today=dt.date(2025, 9, 19))
        _pay(res, dt.date(2025, 9, 1), "0.20", dt.date(2025, 9, 5))
        _pay(res, dt.date(2025, 10, 1), "0.10", dt.date(2025, 10, 5))       # short
        rel.record_org_life(res, attended_on=dt.date(2025, 9, 25), organization="机关党委第一支部", topic="三会一课",
                            actor=chair_user(res), roles={Role.chair}, today=dt.date(2025, 9, 25))
        facts, gaps = gather(res)
    mine = [f for f in facts if f.article == "A14"]
    assert all(f.section == "political" and f.refs for f in mine)
    texts = " ".join(f.text for f in mine)
    assert "回执于2025-09-19返回" in texts and "1个月按规定参加组织生活" in texts and "1个月及时、足额" in texts
    gap_text = " ".join(g.text for g in gaps if g.article == "A14")
    assert "2025年10月" in gap_text and "未足额" in gap_text and "2025年11月未缴" in gap_text


def test_A14_dues_and_org_life_api_field_errors_and_the_generic_form_refuses_them(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2025-10-09"
    w, (res, other) = cohort(2)
    login_as(chair_user(res, with_password=True))
    api = f"/api/v1/{w.tenant.slug}/residency"
    r = client.post(f"{api}/residencies/{res.id}/dues", json={"month": "2025-09-01", "amount_paid": "abc",
                                                              "paid_on": "2025-09-30"})
    assert r.status_code == 422 and "amount_paid" in r.get_json()["error"]["details"]
    r = client.post(f"{api}/residencies/{res.id}/dues", json={"month": "2025-09-01", "amount_paid": "0.10",
                                                              "paid_on": "2025-10-10"})
    assert r.status_code == 422 and "paid_on" in r.get_json()["error"]["details"]   # after today
    r = client.post(f"{api}/residencies/{res.id}/dues", json={"month": "2025-09-01", "amount_paid": "0.05",
                                                              "paid_on": "2025-09-30"})
    assert r.status_code == 201 and r.get_json()["in_full"] is False and r.get_json()["on_time"] is True
    assert client.post(f"{api}/residencies/{other.id}/dues", json={"month": "2025-09-01", "amount_paid": "0.10",
                                                                   "paid_on": "2025-09-30"}).status_code == 404
    r = client.post(f"{api}/residencies/{res.id}/org-life", json={"attended_on": "2025-09-20", "organization": "支部"})
    assert r.status_code == 422 and "topic" in r.get_json()["error"]["details"]
    r = client.post(f"{api}/residencies/{res.id}/records", data={"obligation": rel.DUES_KEY,
                                                                 "occurred_on": "2025-09-10", "title": "团费"})
    assert r.status_code == 422 and "obligation" in r.get_json()["error"]["details"]
    got = client.get(f"{api}/residencies/{res.id}/relations").get_json()
    sep = next(m for m in got["months"] if m["month"] == "2025-09")
    assert (sep["amount_due"], sep["amount_paid"], sep["in_full"]) == ("0.10", "0.05", False)
    html = client.get(f"/{w.tenant.slug}/residency/me").get_data(as_text=True)
    assert 'id="dues-months"' in html and "未足额" in html
    with tenant_context(w.tenant.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DuesPayment)) == 1

