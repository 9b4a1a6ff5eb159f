"""A14 party and league relations: the transfer out and back, its receipt's deadline on the
official calendar (the 2025 National Day week: 1–8 October off; Sunday 28 September and
Saturday 11 October working days), its reminder and escalation once each, pages, API, isolation."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.reminders import run_reminders
from portal.residency import operations as rops
from portal.residency import relations as rel
from portal.residency.relations_models import RelationTransfer, TransferStatus
from tenants.models import Role
from tests.factories import member
from tests.factories_residency import cohort
from tests.residency.relations_helpers import chair_user, pin, set_status

STAFF = {Role.secretariat_admin}


def _outbound(w, res, status="中共党员"):
    with tenant_context(res.tenant_id, db.session):
        set_status(res, status)
        (t,) = rel.open_outbound(res, actor=w.admin)
        return t


def _sent(t, template):
    with tenant_context(t.tenant_id, db.session):
        return list(db.session.scalars(sa.select(Notification).where(
            Notification.related_type == "relation_transfer", Notification.related_id == f"{t.id}:receipt",
            Notification.template_key == template)))


def test_A14_kind_follows_the_political_status_and_opening_twice_returns_the_first(session):
    w, (a, b, c) = cohort(3)
    with tenant_context(w.tenant.id, db.session):
        set_status(a, "中共预备党员")
        set_status(c, "群众")
        assert [k.value for k in rel.kinds_for(a)] == ["party"]
        assert [k.value for k in rel.kinds_for(b)] == ["league"]       # the helpers' nominees are 共青团员
        assert rel.kinds_for(c) == []
        first = rel.open_outbound(a, actor=w.admin)
        again = rel.open_outbound(a, actor=w.admin)
        assert [t.id for t in first] == [t.id for t in again]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RelationTransfer)) == 1
        assert rel.open_outbound(c, actor=w.admin) == []


def test_A14_receipt_deadline_counts_working_days_across_the_national_day_week_under_a_pinned_value(session):
    w, (res,) = cohort(1)
    t = _outbound(w, res)
    with tenant_context(res.tenant_id, db.session):
        pin(res, relation_receipt_workdays=10)    # not the default 20: a literal would fail
        rel.issue_letter(t, letter_no="团中央组〔2025〕8号", letter_date=dt.date(2025, 9, 26), validity_days=30,
                         to_org="共青团中央机关党委", actor=w.admin, roles=STAFF, today=dt.date(2025, 9, 26))
    # 28 Sep (Sun, working), 29, 30, [1–8 Oct off], 9, 10, 11 (Sat, working), 13, 14, 15, 16
    assert t.receipt_due == dt.date(2025, 10, 16)
    assert t.letter_valid_until == dt.date(2025, 10, 26) and t.status == TransferStatus.letter_issued
    with tenant_context(res.tenant_id, db.session):
        pin(res, relation_receipt_workdays=20)
        t2 = rel.open_transfer(res, "league", "outbound", actor=w.admin)
        rel.issue_letter(t2, letter_no="团中央组〔2025〕9号", letter_date=dt.date(2025, 9, 26), to_org="团中央机关团委",
                         actor=w.admin, roles=STAFF, today=dt.date(2025, 9, 26))
    assert t2.receipt_due == dt.date(2025, 10, 30) and t2.validity_days == 30  # the validity rule's default


def test_A14_receipt_reminder_once_before_and_escalation_once_after_the_grace(app, session):
    w, (res,) = cohort(1)
    staff = member(w.tenant, Role.secretariat_staff)
    t = _outbound(w, res)
    with tenant_context(res.tenant_id, db.session):
        pin(res, relation_receipt_workdays=10, relation_receipt_remind_workdays=5,
            relation_receipt_escalate_workdays=3)
        rel.issue_letter(t, letter_no="8号", letter_date=dt.date(2025, 9, 26), to_org="机关党委", actor=w.admin,
                         roles=STAFF, today=dt.date(2025, 9, 26))
    db.session.flush()
    for day in ("2025-10-09", "2025-10-10", "2025-10-10", "2025-10-15"):
        app.config["FIXED_TODAY"] = day
        run_reminders(dt.date.fromisoformat(day))
    due = _sent(t, "residency.relation_receipt_due")
    # 5 working days before 16 October is Friday 10 October (Saturday the 11th works)
    assert sorted(n.recipient_user_id for n in due) == sorted([w.admin.id, staff.id, res.chair.user_id])
    assert all(n.context["due"] == "2025-10-16" for n in due)
    for day in ("2025-10-20", "2025-10-21", "2025-10-22"):
        app.config["FIXED_TODAY"] = day
        run_reminders(dt.date.fromisoformat(day))
    (esc,) = _sent(t, "residency.relation_receipt_overdue")   # 17, 20, 21 October: on the 21st, once
    assert esc.recipient_user_id == w.admin.id
    with tenant_context(res.tenant_id, db.session):
        rel.return_receipt(t, receipt_on=dt.date(2025, 10, 22), actor=w.admin, roles=STAFF,
                           today=dt.date(2025, 10, 22))
    app.config["FIXED_TODAY"] = "2025-10-23"
    run_reminders(dt.date(2025, 10, 23))
    assert len(_sent(t, "residency.relation_receipt_due")) == 3 and len(_sent(t, "residency.relation_receipt_overdue")) == 1


def test_A14_transfer_steps_are_declared_compare_and_set_and_audited(session):
    w, (res,) = cohort(1)
    t = _outbound(w, res)
    chair = chair_user(res)
    day = dt.date(2025, 9, 10)
    with tenant_context(res.tenant_id, db.session):
        with pytest.raises(DomainError) as e:
            rel.issue_letter(t, letter_no="1号", letter_date=day, to_org="机关党委", actor=chair, roles={Role.chair},
                             today=day)
        assert e.value.status == 403
        with pytest.raises(DomainError) as e:
            rel.issue_letter(t, letter_no="", letter_date=day, to_org="机关党委", actor=w.admin, roles=STAFF, today=day)
        assert e.value.field == "letter_no" and t.status == TransferStatus.open
        with pytest.raises(DomainError) as e:
            rel.report(t, reported_on=day, actor=chair, roles={Role.chair}, today=day)
        assert e.value.code == "bad_state"                        # no letter yet
        rel.issue_letter(t, letter_no="1号", letter_date=day, to_org="机关党委", actor=w.admin, roles=STAFF, today=day)
        rel.report(t, reported_on=dt.date(2025, 9, 12), actor=chair, roles={Role.chair}, today=dt.date(2025, 9, 12))
        rel.return_receipt(t, receipt_on=dt.date(2025, 9, 19), actor=w.admin, roles=STAFF, today=dt.date(2025, 9, 19))
        with pytest.raises(Conflict):
            rel.return_receipt(t, receipt_on=dt.date(2025, 9, 19), actor=w.admin, roles=STAFF,
                               today=dt.date(2025, 9, 19))
        actions = [a.action for a in db.session.scalars(sa.select(AuditRecord).where(
            AuditRecord.object_type == "relation_transfer", AuditRecord.object_id == str(t.id)).order_by(AuditRecord.id))]
        articles = set(db.session.scalars(sa.select(AuditRecord.article).where(
            AuditRecord.object_type == "relation_transfer")))
    assert actions == ["relation_transfer.opened", "relation_transfer.issue_letter", "relation_transfer.letter",
                       "relation_transfer.report", "relation_transfer.reported_on",
                       "relation_transfer.return_receipt", "relation_transfer.receipt_on"]
    assert articles == {"A14"} and t.status == TransferStatus.receipt_returned


def test_A14_the_transfer_back_opens_when_the_residency_ends_and_before_the_terms_end(app, session):
    w, (a, b) = cohort(2)
    ta, tb = _outbound(w, a), _outbound(w, b, "共青团员")
    with tenant_context(w.tenant.id, db.session):
        rops.end_residency(a, "left", ended_on=dt.date(2026, 3, 31), reason="个人原因", actor=w.admin)
        backs = [t for t in rel.transfers_of(a) if t.direction.value == "back"]
        assert [(t.kind.value, t.status.value) for t in backs] == [("party", "open")]
        pin(b, relation_return_workdays_before_end=5)
    db.session.flush()
    app.config["FIXED_TODAY"] = "2026-08-21"        # 6 working days before 31 August: not yet
    run_reminders(dt.date(2026, 8, 21))
    with tenant_context(w.tenant.id, db.session):
        assert [t.direction.value for t in rel.transfers_of(b)] == ["outbound"]
    app.config["FIXED_TODAY"] = "2026-08-24"        # 5 working days before
    run_reminders(dt.date(2026, 8, 24))
    run_reminders(dt.date(2026, 8, 25))
    with tenant_context(w.tenant.id, db.session):
        backs = [t for t in rel.transfers_of(b) if t.direction.value == "back"]
        assert [t.kind.value for t in backs] == ["league"]
        told = list(db.session.scalars(sa.select(Notification).where(
            Notification.template_key == "residency.relation_transfer_back")))
    assert [n.recipient_user_id for n in told] == [w.admin.id]        # once
    assert tb.direction.value == "outbound"


def test_A14_pages_show_the_relations_and_the_secretariats_list_of_receipts_not_returned(app, client, login_as,
                                                                                        session):
    app.config["FIXED_TODAY"] = "2025-11-03"
    w, (res, other) = cohort(2)
    t = _outbound(w, res)
    with tenant_context(res.tenant_id, db.session):
        rel.issue_letter(t, letter_no="团中央组〔2025〕8号", letter_date=dt.date(2025, 9, 26), to_org="机关党委",
                         actor=w.admin, roles=STAFF, today=dt.date(2025, 9, 26))
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/residency/relations").get_data(as_text=True)
    assert res.chair.name in page and "团中央组〔2025〕8号" in page and other.chair.name not in page
    prof = client.get(f"/{w.tenant.slug}/residency/{res.id}").get_data(as_text=True)
    assert 'id="relations"' in prof and "回执已返回" in prof and "2025-10" in prof
    resp = client.post(f"/{w.tenant.slug}/residency/relations/transfers/{t.id}/return_receipt",
                       data={"receipt_on": "2025-10-20"})
    assert resp.status_code == 303
    db.session.refresh(t)
    assert t.status == TransferStatus.receipt_returned and t.receipt_on == dt.date(2025, 10, 20)
    # a bad date: a Chinese message, nothing written
    t2 = None
    with tenant_context(res.tenant_id, db.session):
        t2 = rel.open_transfer(res, "league", "outbound", actor=w.admin)
    db.session.commit()
    resp = client.post(f"/{w.tenant.slug}/residency/relations/transfers/{t2.id}/issue_letter",
                       data={"letter_no": "9号", "letter_date": "2025-13-01", "to_org": "团委"}, follow_redirects=True)
    assert "日期格式应为" in resp.get_data(as_text=True)
    db.session.refresh(t2)
    assert t2.status == TransferStatus.open and t2.letter_no is None


def test_A14_a_chair_may_report_their_own_transfer_but_not_touch_anothers(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2025-09-20"
    w, (res, other) = cohort(2)
    t, t_other = _outbound(w, res), _outbound(w, other)
    with tenant_context(w.tenant.id, db.session):
        for x in (t, t_other):
            rel.issue_letter(x, letter_no="1号", letter_date=dt.date(2025, 9, 10), to_org="机关党委", actor=w.admin,
                             roles=STAFF, today=dt.date(2025, 9, 10))
    login_as(chair_user(res, with_password=True))
    base = f"/{w.tenant.slug}/residency/relations/transfers"
    assert client.post(f"{base}/{t_other.id}/report", data={"reported_on": "2025-09-12"}).status_code == 404
    assert client.get(f"/api/v1/{w.tenant.slug}/residency/residencies/{other.id}/relations").status_code == 404
    assert client.post(f"{base}/{t.id}/report", data={"reported_on": "2025-09-12"}).status_code == 303
    assert client.get(f"/{w.tenant.slug}/residency/relations").status_code == 403
    r = client.post(f"/api/v1/{w.tenant.slug}/residency/relations/transfers/{t.id}/return_receipt",
                    json={"receipt_on": "2025-09-15"})
    assert r.status_code == 403                                        # the secretariat records the receipt
    db.session.refresh(t_other)
    assert t_other.status == TransferStatus.letter_issued


def test_A14_api_transfers_field_errors_and_tenant_isolation(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2025-10-09"
    w, (res,) = cohort(1)
    w2, (res2,) = cohort(1)
    login_as(w.admin)
    api = f"/api/v1/{w.tenant.slug}/residency"
    r = client.post(f"{api}/residencies/{res.id}/relations/transfers", json={"kind": "club"})
    assert r.status_code == 422 and "kind" in r.get_json()["error"]["details"]
    r = client.post(f"{api}/residencies/{res.id}/relations/transfers", json={"kind": "party", "to_org": "机关党委"})
    assert r.status_code == 201
    tid = r.get_json()["id"]
    assert r.get_json()["actions"] == ["issue_letter", "cancel"]
    r = client.post(f"{api}/relations/transfers/{tid}/issue_letter", json={"letter_date": "2025-09-26"})
    assert r.status_code == 422 and r.get_json()["error"]["details"] == {"letter_no": "请填写介绍信编号"}
    r = client.post(f"{api}/relations/transfers/{tid}/issue_letter",
                    json={"letter_no": "8号", "letter_date": "2025-09-26", "validity_days": 0})
    assert r.status_code == 422
    r = client.post(f"{api}/relations/transfers/{tid}/issue_letter", json={"letter_no": "8号",
                                                                          "letter_date": "2025-09-26"})
    assert r.status_code == 200 and r.get_json()["receipt_due"] == "2025-10-30"
    assert client.post(f"{api}/relations/transfers/{tid}/nope", json={}).status_code == 404
    pending = client.get(f"{api}/relations/receipts-pending").get_json()
    assert [i["id"] for i in pending["items"]] == [tid]
    # another tenant's residency and transfer are not found from here
    with tenant_context(w2.tenant.id, db.session):
        foreign_id = rel.open_transfer(res2, "league", "outbound", actor=w2.admin).id
        res2_id = res2.id
    db.session.commit()
    assert client.get(f"{api}/residencies/{res2_id}/relations").status_code == 404
    assert client.post(f"{api}/relations/transfers/{foreign_id}/cancel", json={"note": "x"}).status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert any(p.endswith("/residency/residencies/{res_id}/relations") for p in paths)
    assert any(p.endswith("/residency/calendar-feed") for p in paths)
    assert any(p.endswith("/residency/residencies/{res_id}/dues") for p in paths)


def test_A14_demo_cohort_has_transfers_at_different_stages_and_a_late_and_a_short_payment(session):
    from portal.demo import load_demo
    from portal.residency.relations_models import DuesPayment
    from tenants.models import Tenant

    load_demo()
    acsf = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "acsf"))
    with tenant_context(acsf.id, db.session):
        stages = {t.status.value for t in db.session.scalars(sa.select(RelationTransfer))}
        pays = list(db.session.scalars(sa.select(DuesPayment)))
    assert {"open", "letter_issued"} <= stages
    assert pays and any(not p.on_time for p in pays) and any(not p.in_full for p in pays)
    assert sum(p.on_time and p.in_full for p in pays) > len(pays) // 2
