"""Back-office views over Chapter 4's tables: scoped to the tenant, locked runs and issued
appraisals read only, a rate a run has used kept as history, every correction audited."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.extensions import db
from portal.incentives.models import AllowanceRate, AllowanceRun, Appraisal, AppraisalStatus, Bed, RunStatus
from portal.incentives.operations import allowance, appraisal, housing
from tests.factories import TenantFactory
from tests.factories_residency import cohort
from tests.incentives.helpers import national_rate
from tests.selection.test_admin import admin_url, csrf


def _tenant_with_data(app, name_tag: str):
    w, (a,) = cohort(1, tenant=TenantFactory())  # a province, on the national rate table
    with tenant_context(w.tenant.id, db.session):
        bed = housing.add_bed(w.tenant, building=f"{name_tag}楼", room="101", bed="A", actor=w.admin)
        run = allowance.start_run(w.tenant, "2026-03", actor=w.admin, inline=True)
        allowance.approve_run(run, actor=w.admin, roles={"secretariat_admin"})
        allowance.lock_run(run, actor=w.admin, roles={"secretariat_admin"})
        appr = appraisal.draft(a, actor=w.admin)
        appr.status, appr.number = AppraisalStatus.issued, f"{name_tag}鉴〔2026〕1号"
        db.session.flush()
        db.session.commit()
    return w, a, bed, run, appr


def test_A15_A17_incentives_admin_scoped_read_only_where_paid_or_issued(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2026-04-02"
    nat, _ = cohort(1)
    national_rate(nat)
    db.session.commit()
    w, a, bed, run, appr = _tenant_with_data(app, "甲方")
    other, _, their_bed, their_run, their_appr = _tenant_with_data(app, "乙方")
    login_as(w.admin)
    beds = client.get(admin_url(w, "admin_incentives_beds")).get_data(as_text=True)
    assert "甲方楼" in beds and "乙方楼" not in beds
    runs = client.get(admin_url(w, "admin_incentives_runs")).get_data(as_text=True)
    assert "已锁定" in runs and "edit/" not in runs
    lines = client.get(admin_url(w, "admin_incentives_lines")).get_data(as_text=True)
    assert a.chair.name in lines
    apprs = client.get(admin_url(w, "admin_incentives_appraisals")).get_data(as_text=True)
    assert "甲方鉴〔2026〕1号" in apprs and "乙方鉴〔2026〕1号" not in apprs and "edit/" not in apprs
    # another tenant's rows are not reachable by id
    assert "乙方楼" not in client.get(admin_url(w, "admin_incentives_beds", "details/", id=their_bed.id),
                                      follow_redirects=True).get_data(as_text=True)
    # a locked run and an issued appraisal cannot be edited or deleted here
    client.post(admin_url(w, "admin_incentives_runs", "edit/", id=run.id), data={"status": "draft", "total": "0"})
    client.post(admin_url(w, "admin_incentives_runs", "delete/"), data={"id": str(run.id)})
    client.post(admin_url(w, "admin_incentives_appraisals", "edit/", id=appr.id), data={"number": "改"})
    client.post(admin_url(w, "admin_incentives_appraisals", "delete/"), data={"id": str(appr.id)})
    with tenant_context(w.tenant.id, db.session):
        db.session.expire_all()
        r = db.session.get(AllowanceRun, run.id)
        assert r.status == RunStatus.locked and r.total == Decimal("3100.00")
        got = db.session.get(Appraisal, appr.id)
        assert got.number == "甲方鉴〔2026〕1号" and got.status == AppraisalStatus.issued
    # a bed's label is corrected, audited
    url = admin_url(w, "admin_incentives_beds", "edit/", id=bed.id)
    resp = client.post(url, data={"csrf_token": csrf(client, url), "building": "甲方楼", "room": "102", "bed": "A",
                                  "active": "y"})
    assert resp.status_code == 302
    with tenant_context(w.tenant.id, db.session):
        db.session.expire_all()
        assert db.session.get(Bed, bed.id).room == "102"
        (rec,) = db.session.scalars(sa.select(AuditRecord).where(AuditRecord.action == "admin.incentive_beds.updated"))
        assert rec.article == "A15" and rec.after["room"] == "102"


def test_A15_admin_rate_used_by_a_run_is_history(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2026-04-02"
    w, (a,) = cohort(1, tenant=TenantFactory())
    with tenant_context(w.tenant.id, db.session):
        own = allowance.add_rate(w.tenant, effective_on=dt.date(2025, 9, 1), degree_level="本科",
                                 monthly_amount="3300.00", source="粤人社〔2025〕1号", actor=w.admin)
        unused = allowance.add_rate(w.tenant, effective_on=dt.date(2027, 1, 1), degree_level="本科",
                                    monthly_amount="3400.00", source="粤人社〔2026〕2号", actor=w.admin)
        allowance.start_run(w.tenant, "2026-03", actor=w.admin, inline=True)
        db.session.commit()
    login_as(w.admin)
    url = admin_url(w, "admin_incentives_rates", "edit/", id=own.id)
    resp = client.post(url, data={"csrf_token": csrf(client, url), "source": "改过的依据"}, follow_redirects=True)
    assert "已用于补贴发放" in resp.get_data(as_text=True)
    url = admin_url(w, "admin_incentives_rates", "edit/", id=unused.id)
    assert client.post(url, data={"csrf_token": csrf(client, url), "source": "粤人社〔2026〕3号"}).status_code == 302
    with tenant_context(w.tenant.id, db.session):
        db.session.expire_all()
        assert db.session.get(AllowanceRate, own.id).source == "粤人社〔2025〕1号"
        assert db.session.get(AllowanceRate, unused.id).source == "粤人社〔2026〕3号"
