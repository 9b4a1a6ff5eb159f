"""A16/A17 official letters: the 商请休学函's number (文号, per calendar year of issue, as the other
letters), the appraisal sent to the school and delivered by hand (portal.core.delivery), the term's
end as the appraisal's guard, and Chapter 4's rules (every one read)."""
from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.core import clock
from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.core.errors import Conflict
from portal.extensions import db
from portal.incentives.models import AppraisalStatus
from portal.incentives.operations import appraisal
from portal.reference.models import Department
from portal.residency import operations as rops
from portal.residency.models import ResidencyStatus, RotationSegment
from tenants.models import Role
from tests.factories import member
from tests.factories_residency import cohort
from tests.incentives.helpers import chair_user


def _docx_text(data: bytes) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_A16_suspension_letter_numbered_per_year_of_issue_and_kept(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2026-09-20"
    w, (a, b, c) = cohort(3, term_start=dt.date(2026, 9, 1), term_end=dt.date(2027, 8, 31))
    login_as(w.admin)
    base = f"/{w.tenant.slug}/incentives/chairs"
    first = _docx_text(client.get(f"{base}/{a.id}/suspension_letter.docx").data)
    assert "学联驻函〔2026〕1号" in first and a.chair.name in first and a.school.name in first
    assert "2026年9月20日" in first
    page = client.get(f"{base}/{a.id}").get_data(as_text=True)
    assert "学联驻函〔2026〕1号" in page
    app.config["FIXED_TODAY"] = "2026-10-08"
    again = _docx_text(client.get(f"{base}/{a.id}/suspension_letter.docx").data)
    assert "学联驻函〔2026〕1号" in again and "2026年9月20日" in again  # the same letter: same number and date
    assert "学联驻函〔2026〕2号" in _docx_text(client.get(f"{base}/{b.id}/suspension_letter.docx").data)
    chair = client.get(f"/api/v1/{w.tenant.slug}/incentives/chairs/{b.id}").get_json()
    assert chair["suspension_letter"] == {"number": "学联驻函〔2026〕2号", "issued_on": "2026-10-08"}
    with tenant_context(w.tenant.id, db.session):
        logged = db.session.scalars(sa.select(AuditRecord).where(
            AuditRecord.action == "incentives.suspension_letter_issued")).all()
        assert [r.after["number"] for r in logged] == ["学联驻函〔2026〕1号", "学联驻函〔2026〕2号"]
        assert all(r.article == "A16" for r in logged)
    # a new calendar year of issue restarts at 1 (a chair of the same cohort, letter issued in 2027)
    app.config["FIXED_TODAY"] = "2027-01-05"
    text = _docx_text(client.get(f"{base}/{c.id}/suspension_letter.docx").data)
    assert "学联驻函〔2027〕1号" in text


def _segment(w, res):
    head = member(w.tenant, role=Role.department_head)
    d = Department(tenant_id=w.tenant.id, name=f"权益部{res.id}", head_user_id=head.id, sort=0)
    db.session.add(d)
    db.session.flush()
    db.session.add(RotationSegment(tenant_id=w.tenant.id, residency_id=res.id, department_id=d.id, post="干事",
                                   starts_on=res.term_start, ends_on=res.term_end, head_user_id=head.id))
    db.session.flush()
    return d, head


def _concluded(w, res):
    """An appraisal with a statement, the department's opinion and the conclusion in."""
    chair = chair_user(res)
    d, head = _segment(w, res)
    rops.record(res, "a9_report", actor=chair, roles=(), occurred_on=dt.date(2025, 12, 1), title="思想汇报")
    appr = appraisal.draft(res, actor=w.admin)
    appraisal.submit_summary(appr, "一年来的总结。", actor=chair, roles={"chair"})
    appraisal.give_opinion(appr, d.id, "工作认真。", actor=head, roles={"department_head"})
    appraisal.conclude(appr, "合格", None, actor=w.admin, roles={"secretariat_admin"})
    return appr


def test_A17_issue_refused_before_the_term_ends_and_allowed_once_removal_ended_it(app, session):
    app.config["FIXED_TODAY"] = "2026-03-16"
    w, (a, b) = cohort(2)
    with tenant_context(w.tenant.id, db.session):
        appr = _concluded(w, a)
        with pytest.raises(Conflict) as e:
            appraisal.issue(appr, actor=w.admin, roles={"secretariat_admin"})
        assert e.value.code == "term_not_ended" and "驻会期满后" in e.value.message
        assert appraisal.MACHINE.check(appr, "issue").code == "term_not_ended"
        assert appr.status == AppraisalStatus.concluded and appr.number is None
        # a residency ended early (A18 removal) has ended: the appraisal can be issued now
        a.status, a.ended_on = ResidencyStatus.removed, dt.date(2026, 3, 10)
        db.session.flush()
        assert appraisal.term_ended(a)
        appraisal.issue(appr, actor=w.admin, roles={"secretariat_admin"})
        assert appr.status == AppraisalStatus.issued and appr.number
        # the last day of the term is the term's end
        assert not appraisal.term_ended(b, dt.date(2026, 8, 30)) and appraisal.term_ended(b, dt.date(2026, 8, 31))


def test_A17_sent_without_a_liaison_waits_then_delivery_recorded_by_hand_once(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2026-08-31"
    w, (a,) = cohort(1)
    with tenant_context(w.tenant.id, db.session):
        appr = _concluded(w, a)
        appraisal.issue(appr, actor=w.admin, roles={"secretariat_admin"})
        db.session.commit()
    login_as(w.admin)
    api = f"/api/v1/{w.tenant.slug}/incentives/appraisals/{appr.id}"
    # moments are real time (the pinned day is a date): the delivery is typed in Beijing time
    moment = clock.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=30)
    when = moment.strftime("%Y-%m-%dT%H:%M")
    before = client.post(f"{api}/delivery", json={"method": "post", "delivered_at": when,
                                                  "handed_by": "秘书处张某", "received_by": "档案馆李某"})
    assert before.status_code == 409 and before.get_json()["error"]["code"] == "not_sent"
    sent = client.post(f"{api}/send", json={}).get_json()["appraisal"]
    assert sent["status"] == "sent"
    page = client.get(f"/{w.tenant.slug}/incentives/chairs/{a.id}").get_data(as_text=True)
    assert "待送达" in page and "登记送达" in page
    assert client.get(f"/api/v1/{w.tenant.slug}/incentives/chairs/{a.id}").get_json()["appraisal"]["delivery"][
        "state"] == "pending"  # no liaison: nothing went out by the outbox
    bad = client.post(f"{api}/delivery", json={"method": "carrier_pigeon", "delivered_at": when,
                                               "handed_by": "张某", "received_by": "李某"})
    assert bad.status_code == 422
    future = client.post(f"{api}/delivery", json={"method": "post", "delivered_at": (moment + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
                                                  "handed_by": "张某", "received_by": "李某"})
    assert future.status_code == 400 and "不能晚于现在" in future.get_json()["error"]["message"]
    garbled = client.post(f"{api}/delivery", json={"method": "post", "delivered_at": "昨天",
                                                   "handed_by": "张某", "received_by": "李某"})
    assert garbled.status_code == 400 and "YYYY-MM-DD" in garbled.get_json()["error"]["message"]
    # by the page's form: 邮寄, Beijing time as typed
    r = client.post(f"/{w.tenant.slug}/incentives/appraisals/{appr.id}/delivery",
                    data={"method": "post", "delivered_at": when, "handed_by": "秘书处张某",
                          "received_by": "档案馆李某", "note": "EMS 1234"})
    assert r.status_code == 303
    got = client.get(f"/api/v1/{w.tenant.slug}/incentives/chairs/{a.id}").get_json()["appraisal"]["delivery"]
    assert got["state"] == "delivered" and got["method"] == "post"
    utc = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    assert got["delivered_at"] == utc.isoformat() + "Z"  # typed in Beijing time, kept in UTC
    assert "邮寄" in got["note"] and "档案馆李某" in got["note"] and "EMS 1234" in got["note"]
    again = client.post(f"{api}/delivery", json={"method": "fax", "delivered_at": when,
                                                 "handed_by": "张某", "received_by": "李某"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_delivered"
    with tenant_context(w.tenant.id, db.session):
        acts = [r.action for r in db.session.scalars(sa.select(AuditRecord).where(
            AuditRecord.object_type == "appraisal", AuditRecord.object_id == str(appr.id)))]
        assert acts.count("appraisal.delivered") == 1 and "appraisal.sent_to_school" in acts
    # staff only: the chair cannot record a delivery
    login_as(chair_user(a))
    assert client.post(f"{api}/delivery", json={"method": "fax", "delivered_at": when,
                                                "handed_by": "张某", "received_by": "李某"}).status_code == 403


def test_A15_A16_A17_every_chapter_4_rule_is_read():
    """Every incentives.* rule in the registry is read by the code (the old allowance_standard /
    allowance_monthly_yuan, which nothing read, are gone: the dated rate table is the standard)."""
    from tenants.rules.registry import REGISTRY

    root = Path(__file__).resolve().parents[2] / "portal"
    source = "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*.py"))
    keys = [r.key for r in REGISTRY if r.key.startswith("incentives.")]
    assert keys and "incentives.allowance_standard" not in keys and "incentives.allowance_monthly_yuan" not in keys
    for key in keys:
        assert re.search(r"rule\(\s*[\"']" + re.escape(key) + r"[\"']", source) or \
            re.search(r"\[[\"']" + re.escape(key) + r"[\"']\]", source), f"{key} is never read"


def test_A22_rules_page_ignores_a_retired_rule_left_in_an_override(app, client, login_as, session):
    """An override stored for a retired key (before migration 0024 removed them) breaks nothing."""
    from tenants.rules.models import RuleOverride
    from tenants.rules.operations import effective_rules

    w, _ = cohort(1)
    with tenant_context(w.tenant.id, db.session):
        db.session.add(RuleOverride(tenant_id=w.tenant.id, key="incentives.allowance_monthly_yuan", value="2800",
                                    reason="旧版本的覆盖"))
        db.session.commit()
        rules = effective_rules(w.tenant)
        assert "incentives.allowance_monthly_yuan" not in {r.rule.key for r in rules}
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/rules/")
    assert page.status_code == 200 and "旧版本的覆盖" not in page.get_data(as_text=True)
