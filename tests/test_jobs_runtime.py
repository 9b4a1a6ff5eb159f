"""Background jobs: after-commit dispatch, the tenant carried into the job (app filter and
PostgreSQL RLS), failures shown to the secretariat with a retry, the operator's queue page."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.core.db import set_app_filter
from portal.extensions import db
from portal.jobs import enqueue
from portal.jobs.models import JobRecord, JobStatus
from tests import jobs_helpers
from tests.factories import SchoolFactory, TenantFactory, UserFactory, member
from tenants.models import Role


def test_job_runs_after_commit_as_its_tenant(session, as_tenant):
    a, b = TenantFactory(), TenantFactory()
    SchoolFactory(tenant=a, name="甲校")
    SchoolFactory(tenant=b, name="乙校")
    SchoolFactory(tenant=b, name="乙校二")
    jobs_helpers.SEEN.clear()
    with as_tenant(a):
        rec = enqueue(jobs_helpers.count_schools, "A", queue="default")
        assert jobs_helpers.SEEN == []  # not before the commit
        session.commit()
    assert [(s["tenant"], s["count"], s["names"]) for s in jobs_helpers.SEEN] == [(a.id, 1, {"甲校"})]
    with as_tenant(a):
        session.refresh(rec)
        assert rec.status == JobStatus.finished and rec.progress == 100 and rec.attempts == 1


def test_rolled_back_job_never_runs(session, as_tenant):
    a = TenantFactory()
    jobs_helpers.SEEN.clear()
    with as_tenant(a):
        enqueue(jobs_helpers.count_schools, "X")
        session.rollback()
        session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRecord)) == 0
    assert jobs_helpers.SEEN == []


@pytest.mark.postgres
def test_job_isolated_by_rls_alone_on_postgres(session, as_tenant):
    a, b = TenantFactory(), TenantFactory()
    SchoolFactory(tenant=a, name="甲校")
    SchoolFactory(tenant=b, name="乙校")
    jobs_helpers.SEEN.clear()
    set_app_filter(False)
    try:
        with as_tenant(b):
            enqueue(jobs_helpers.count_schools, "B-rls", tenant_id=b.id)
            session.commit()
    finally:
        set_app_filter(True)
    assert [(s["count"], s["names"]) for s in jobs_helpers.SEEN] == [(1, {"乙校"})]


def test_job_for_another_tenant_cannot_read_its_record(app, session, as_tenant):
    from portal.jobs.runner import _run

    a, b = TenantFactory(), TenantFactory()
    with as_tenant(a):
        rec = enqueue(jobs_helpers.noop, queue="default")
        session.info.pop("portal_jobs_pending")
        session.commit()
        rec_id = rec.id
    with pytest.raises(LookupError):
        _run(rec_id, b.id, final=lambda r: True)


def test_failure_is_shown_with_reason_and_can_be_retried(client, login_as, session, as_tenant):
    tenant = TenantFactory()
    admin = member(tenant)
    key = f"k{tenant.id}"
    with as_tenant(tenant):
        rec = enqueue(jobs_helpers.flaky, key, label="测试任务", created_by=admin)
        session.commit()
        session.refresh(rec)
        assert rec.status == JobStatus.failed
        assert "第一次运行失败" in rec.error
        rec_id = rec.id  # read here: after a request the row is expired, and RLS hides it outside the tenant
    login_as(admin)
    page = client.get(f"/{tenant.slug}/jobs/").get_data(as_text=True)
    assert "测试任务" in page and "失败" in page and "第一次运行失败" in page
    resp = client.post(f"/{tenant.slug}/jobs/{rec_id}/retry")
    assert resp.status_code == 303
    data = client.get(f"/api/v1/{tenant.slug}/jobs/{rec_id}").get_json()
    assert data["status"] == "finished" and data["attempts"] == 2
    # retrying a finished job is refused with a Chinese message
    client.post(f"/{tenant.slug}/jobs/{rec_id}/retry")
    assert "只有失败的任务可以重试" in client.get(f"/{tenant.slug}/jobs/{rec_id}").get_data(as_text=True)


def test_jobs_page_is_admin_only_and_tenant_scoped(client, login_as, session, as_tenant):
    a, b = TenantFactory(), TenantFactory()
    with as_tenant(a):
        rec = enqueue(jobs_helpers.noop, label="甲的任务")
        session.commit()
        rec_id = rec.id
    login_as(member(b))
    assert "甲的任务" not in client.get(f"/{b.slug}/jobs/").get_data(as_text=True)
    assert client.get(f"/{b.slug}/jobs/{rec_id}").status_code == 404
    assert client.get(f"/api/v1/{b.slug}/jobs/{rec_id}").status_code == 404
    client.post("/logout")
    login_as(member(a, Role.secretariat_staff))
    assert client.get(f"/{a.slug}/jobs/").status_code == 403


def test_platform_queues_operator_only(client, login_as, session):
    tenant = TenantFactory()
    login_as(member(tenant))
    assert client.get("/platform/queues").status_code == 403
    client.post("/logout")
    op = UserFactory(is_platform_operator=True)
    login_as(op)
    resp = client.get("/platform/queues")
    assert resp.status_code == 200 and "任务队列" in resp.get_data(as_text=True)


def test_worker_command_requires_redis(app):
    runner = app.test_cli_runner()
    old = app.config.get("REDIS_URL")
    app.config["REDIS_URL"] = None
    try:
        result = runner.invoke(args=["worker"])
    finally:
        app.config["REDIS_URL"] = old
    assert result.exit_code != 0 and "REDIS_URL" in result.output


def test_embedded_sweep_picks_up_jobs_a_restart_left_behind(app, session, monkeypatch):
    """In the embedded default a job caught mid-run (started) or waiting for a retry when the
    process stopped is dispatched again by the sweep; one this process still holds is not."""
    import datetime as dt

    from portal.core.db import tenant_context
    from portal.extensions import db
    from portal.jobs import operations
    from portal.jobs.models import JobRecord, JobStatus
    from tests.factories import TenantFactory

    monkeypatch.setitem(app.config, "JOBS_EAGER", False)
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    assert operations.mode(app) == "thread"
    t = TenantFactory()
    old = operations.utcnow() - dt.timedelta(hours=1)
    with tenant_context(t.id, db.session):
        recs = {s: JobRecord(tenant_id=t.id, kind="test", label="测试", queue="default", func="builtins.len",
                             args=[[1]], status=s, enqueued_at=old)
                for s in (JobStatus.started, JobStatus.retrying, JobStatus.finished, JobStatus.failed)}
        held = JobRecord(tenant_id=t.id, kind="test", label="仍在运行", queue="default", func="builtins.len",
                         args=[[1]], status=JobStatus.started, enqueued_at=old)
        db.session.add_all([*recs.values(), held])
        db.session.flush()
    db.session.commit()
    dispatched = []
    monkeypatch.setattr(operations, "dispatch", lambda _app, todo: dispatched.extend(todo))
    executor = operations.embedded_executor(app)
    executor._hold(held.id)
    try:
        n = operations.sweep_stuck_jobs(older_than_seconds=60)
    finally:
        executor._release(held.id)
    ids = {row[0] for row in dispatched}
    # The sweep is platform-wide: a job an earlier test left behind may be swept too; this
    # test's own records must be exactly the started and the retrying one.
    mine = {r.id for r in (*recs.values(), held)}
    assert ids & mine == {recs[JobStatus.started].id, recs[JobStatus.retrying].id}
    assert n == len(ids)
