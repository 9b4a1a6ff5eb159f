"""A15 (第十五条): the monthly allowance — rates by date and degree level, proration by days in
residence, approval and locking, adjusting runs, XLSX/PDF exports, provincial overrides."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.core.errors import Conflict, DomainError
from portal.core.income import monthly_income
from portal.extensions import db
from portal.incentives.models import AllowanceLine, RunStatus
from portal.incentives.operations import allowance
from portal.residency import operations as rops
from tests.factories import TenantFactory, member
from tests.factories_residency import cohort
from tests.incentives.helpers import national_rate


def _amounts(run):
    return {ln.residency_id: ln.amount for ln in allowance.run_lines(run)}


def test_A15_proration_at_term_start_and_end(app, session):
    """A chair starting on 1 Sep and ending on 31 Aug is paid whole months; one starting on
    16 Sep is paid 15/30 of the month (ROUND_HALF_UP to the fen)."""
    w, (a, b) = cohort(2)
    national_rate(w, amount="3100.00")
    with tenant_context(w.tenant.id, db.session):
        b.term_start = dt.date(2025, 9, 16)
        db.session.flush()
        sep = allowance.start_run(w.tenant, "2025-09", actor=w.admin)
        got = _amounts(sep)
        assert got[a.id] == Decimal("3100.00")
        assert got[b.id] == Decimal("1550.00")  # 3100 × 15 ÷ 30
        a.term_end = dt.date(2026, 8, 10)
        db.session.flush()
        aug = allowance.start_run(w.tenant, "2026-08", actor=w.admin)
        got = _amounts(aug)
        assert got[a.id] == allowance.fen(Decimal("3100") * 10 / 31) == Decimal("1000.00")
        assert got[b.id] == Decimal("3100.00")
        line = allowance.run_lines(aug)[0]
        assert line.rate_version.startswith("national:本科:2025-01-01") and line.rate_source == "人薪发〔1990〕20号"


def test_A15_A18_removed_chair_paid_to_the_day_of_removal(app, session):
    w, (a,) = cohort(1)
    national_rate(w, amount="3000.00")
    with tenant_context(w.tenant.id, db.session):
        rops.end_residency(a, "removed", ended_on=dt.date(2025, 11, 12), reason="违反纪律", actor=w.admin)
        run = allowance.start_run(w.tenant, "2025-11", actor=w.admin)
        (line,) = allowance.run_lines(run)
        assert line.days == 12 and line.period_end == dt.date(2025, 11, 12)
        assert line.amount == Decimal("1200.00") and line.ended_reason == "removed"
        dec = allowance.start_run(w.tenant, "2025-12", actor=w.admin)
        assert allowance.run_lines(dec) == []


def test_A15_mid_month_rate_change_prorates_by_date(app, session):
    w, (a,) = cohort(1)
    national_rate(w, amount="3000.00", on=dt.date(2025, 1, 1))
    national_rate(w, amount="3600.00", on=dt.date(2025, 11, 21), source="人社部发〔2025〕1号")
    with tenant_context(w.tenant.id, db.session):
        run = allowance.start_run(w.tenant, "2025-11", actor=w.admin)
        lines = allowance.run_lines(run)
        assert [(ln.days, ln.amount) for ln in lines] == [(20, Decimal("2000.00")), (10, Decimal("1200.00"))]
        assert lines[1].rate_source == "人社部发〔2025〕1号"
        assert run.total == Decimal("3200.00")


def test_A15_rate_without_source_or_on_a_taken_date_is_refused(app, session):
    w, _ = cohort(1)
    national_rate(w)
    with tenant_context(w.tenant.id, db.session):
        with pytest.raises(DomainError) as e:
            allowance.add_rate(w.tenant, effective_on=dt.date(2025, 3, 1), degree_level="本科",
                               monthly_amount="3000", source="  ", actor=w.admin)
        assert e.value.field == "source" and "依据" in e.value.message
        with pytest.raises(Conflict) as e:
            allowance.add_rate(w.tenant, effective_on=dt.date(2025, 1, 1), degree_level="本科",
                               monthly_amount="3200", source="x", actor=w.admin)
        assert e.value.code == "rate_overlap"
        with pytest.raises(DomainError):
            allowance.add_rate(w.tenant, effective_on=dt.date(2025, 3, 1), degree_level="本科",
                               monthly_amount="3000.005", source="x", actor=w.admin)


def test_A15_run_approved_locked_then_409_and_adjusting_run_holds_differences(app, session):
    w, (a, b) = cohort(2)
    national_rate(w, amount="3000.00")
    with tenant_context(w.tenant.id, db.session):
        run = allowance.start_run(w.tenant, "2025-10", actor=w.admin)
        staff = member(w.tenant, role="secretariat_staff")
        with pytest.raises(DomainError) as e:
            allowance.approve_run(run, actor=staff, roles={"secretariat_staff"})
        assert e.value.status == 403
        allowance.approve_run(run, actor=w.admin, roles={"secretariat_admin"})
        with pytest.raises(Conflict):
            allowance.approve_run(run, actor=w.admin, roles={"secretariat_admin"})  # a second click
        allowance.lock_run(run, actor=w.admin, roles={"secretariat_admin"})
        assert run.status == RunStatus.locked
        assert monthly_income(a, dt.date(2025, 10, 15)) == Decimal("3000.00")
        with pytest.raises(Conflict) as e:
            allowance.start_run(w.tenant, "2025-10", actor=w.admin)
        assert e.value.code == "month_locked"
        # the record changes afterwards: b was removed on 10 Oct; the correction holds only b
        rops.end_residency(b, "removed", ended_on=dt.date(2025, 10, 10), reason="取消资格", actor=w.admin)
        adj = allowance.start_adjusting_run(w.tenant, run, actor=w.admin, note="b 于10月10日取消驻会资格")
        assert adj.corrects_id == run.id and adj.seq == 2
        assert {ln.residency_id for ln in allowance.run_lines(adj)} == {b.id}
        assert adj.total == allowance.fen(Decimal(3000) * 10 / 31) - Decimal("3000.00")
        assert allowance.run_lines(run)[0].amount == Decimal("3000.00")  # the locked run is untouched


def test_A15_locked_run_is_immutable_through_the_api_and_exports_are_formula_safe(app, client, login_as, session):
    from openpyxl import load_workbook

    w, (a,) = cohort(1)
    national_rate(w, amount="3000.00", source="=HYPERLINK(\"x\")")
    login_as(w.admin)
    base = f"/api/v1/{w.tenant.slug}/incentives"
    r = client.post(f"{base}/runs", json={"month": "2025-10"})
    assert r.status_code == 201, r.get_json()
    run = r.get_json()
    assert run["lines"][0]["article"] == "第十五条" and run["lines"][0]["amount"] == "3000.00"
    assert client.post(f"{base}/runs/{run['id']}/lock", json={}).status_code == 409  # not approved yet
    assert client.post(f"{base}/runs/{run['id']}/approve", json={}).status_code == 200
    assert client.post(f"{base}/runs/{run['id']}/lock", json={}).status_code == 200
    again = client.post(f"{base}/runs", json={"month": "2025-10"})
    assert again.status_code == 409 and "调整发放" in again.get_json()["error"]["message"]
    x = client.get(f"/{w.tenant.slug}/incentives/runs/{run['id']}.xlsx")
    ws = load_workbook(io.BytesIO(x.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:3] == ("序号", "姓名", "学校") and rows[2][1] == a.chair.name
    assert rows[2][12] == "第十五条" and not str(rows[2][11]).startswith("=")
    pdf = client.get(f"/{w.tenant.slug}/incentives/runs/{run['id']}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_A15_A22_province_adopts_national_rates_by_reference_and_overrides_per_level(app, session):
    from tests.selection.helpers import world, open_cycle

    national = TenantFactory().parent
    nat_admin = member(national)
    with tenant_context(national.id, db.session):
        allowance.add_rate(national, effective_on=dt.date(2025, 1, 1), degree_level="本科", monthly_amount="3000",
                           source="人薪发〔1990〕20号", actor=nat_admin)
        allowance.add_rate(national, effective_on=dt.date(2025, 1, 1), degree_level="硕士", monthly_amount="3500",
                           source="人薪发〔1990〕20号", actor=nat_admin)
    province = TenantFactory(parent=national)
    w = world(1, tenant=province)
    open_cycle(w)
    w, (a,) = cohort(1, w=w)
    with tenant_context(province.id, db.session):
        eff = allowance.effective_rates(province)
        assert eff["本科"][0].scope == "national"
        allowance.add_rate(province, effective_on=dt.date(2025, 1, 1), degree_level="本科", monthly_amount="3300",
                           source="粤学联〔2025〕3号", actor=w.admin)
        eff = allowance.effective_rates(province)
        assert eff["本科"][0].scope == "own" and eff["硕士"][0].scope == "national"
        run = allowance.start_run(province, "2025-10", actor=w.admin)
        assert allowance.run_lines(run)[0].amount == Decimal("3300.00")
    with tenant_context(national.id, db.session):
        assert allowance.effective_rates(national)["本科"][0].monthly_amount == Decimal("3000")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AllowanceLine)) == 0  # RLS / filter


def test_A15_large_run_goes_to_a_job_with_progress(app, session, monkeypatch):
    from portal.jobs.models import JobRecord

    w, (a,) = cohort(1)
    national_rate(w)
    monkeypatch.setattr(allowance, "JOB_THRESHOLD", 0)
    with tenant_context(w.tenant.id, db.session):
        run = allowance.start_run(w.tenant, "2025-10", actor=w.admin)
        assert run.job_id is not None and run.computed_at is None
        rec = db.session.get(JobRecord, run.job_id)
        assert rec.func == "portal.incentives.jobs.compute_allowance_run"
        from portal.incentives.jobs import compute_allowance_run

        compute_allowance_run(run.id)
        assert run.computed_at is not None and run.total == Decimal("3100.00")


def test_A15_A22_rules_comparison_page_shows_national_and_own_rates(app, client, login_as, session):
    national = TenantFactory().parent
    nat_admin = member(national)
    with tenant_context(national.id, db.session):
        allowance.add_rate(national, effective_on=dt.date(2025, 1, 1), degree_level="硕士", monthly_amount="3456.78",
                           source="人薪发〔1990〕20号", actor=nat_admin)
    province = TenantFactory(parent=national)
    admin = member(province)
    with tenant_context(province.id, db.session):
        allowance.add_rate(province, effective_on=dt.date(2025, 1, 1), degree_level="硕士", monthly_amount="3999.00",
                           source="某省学联〔2025〕7号", actor=admin)
    login_as(admin)
    html = client.get(f"/{province.slug}/rules/").get_data(as_text=True)
    assert "3456.78" in html and "3999.00" in html and "某省学联〔2025〕7号" in html and "工作鉴定" in html
    assert "工会福利项目" in html and "工作鉴定结论" in html  # the rules themselves, overridable
