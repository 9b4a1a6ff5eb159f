"""Issue 8, item 18: inviting a province's (or the nation's) schools is a background job with
progress; the request answers at once, and refusals still come at once (A6.1)."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core import audit
from portal.core.db import tenant_context
from portal.extensions import db
from portal.jobs.models import JobRecord, JobStatus
from portal.selection import jobs as selection_jobs
from portal.selection import operations as ops
from portal.selection.models import CycleStatus, Invitation, Route
from tests.selection.helpers import open_cycle, world


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _small_batches(monkeypatch):
    monkeypatch.setattr(ops, "INVITE_INLINE", 2)
    monkeypatch.setattr(selection_jobs, "INVITE_BATCH", 2)


def test_A6_1_inviting_a_province_runs_as_a_job_with_progress(client, session, login_as, monkeypatch):
    _small_batches(monkeypatch)
    w = world(10, province="44")  # 5 schools in 44, 5 in 11
    open_cycle(w)
    login_as(w.admin)
    base = f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}"
    r = client.post(f"{base}/invitations", data={"mode": "province", "province": "44", "route": "selection"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"{base}#invite-job")
    with tenant_context(w.tenant.id, db.session):
        job = db.session.scalar(sa.select(JobRecord).where(JobRecord.kind == ops.INVITE_SCHOOLS))
        assert job.subject == f"selection_cycle:{w.cycle.id}"
        assert job.status == JobStatus.finished and job.progress == 100  # eager in tests: ran after commit
        assert job.message == "已添加 5 所学校"
        schools = set(db.session.scalars(sa.select(Invitation.school_id).where(Invitation.cycle_id == w.cycle.id)))
        assert schools == {s.id for s in w.schools if s.province_code == "44"}
        assert _count(audit.AuditRecord, audit.AuditRecord.action == "invitation.created") == 5
        started = db.session.scalars(sa.select(audit.AuditRecord).where(
            audit.AuditRecord.action == "invitation.bulk_invite_started")).all()
        assert len(started) == 1 and started[0].after["schools"] == 5
    page = client.get(base).get_data(as_text=True)
    assert 'id="invite-job"' in page and "已添加 5 所学校" in page


def test_A6_1_the_request_only_records_the_job_and_a_second_click_gets_the_same_one(session, monkeypatch):
    _small_batches(monkeypatch)
    w = world(4)
    open_cycle(w)
    with tenant_context(w.tenant.id, db.session):
        ids = [s.id for s in w.schools]
        created, job, started = ops.invite_many(w.cycle, ids, Route.selection, actor=w.admin)
        assert created is None and started and job.status == JobStatus.queued
        assert _count(Invitation) == 0
        _c, again, started_again = ops.invite_many(w.cycle, ids, Route.selection, actor=w.admin)
        assert (again.id, started_again) == (job.id, False)
        assert _count(JobRecord, JobRecord.kind == ops.INVITE_SCHOOLS) == 1
        db.session.rollback()


def test_A6_1_a_retried_invite_job_skips_the_schools_already_invited(session, monkeypatch):
    _small_batches(monkeypatch)
    w = world(5)
    open_cycle(w)
    ids = sorted(s.id for s in w.schools)
    with tenant_context(w.tenant.id, db.session):
        ops.invite_schools(w.cycle, ids[:3], Route.selection, actor=w.admin)  # an earlier attempt's batches
        out = selection_jobs.invite_schools(w.cycle.id, w.admin.id, ids, "selection", False)
        assert out["invited"] == 2 and out["total"] == 5
        assert _count(Invitation, Invitation.cycle_id == w.cycle.id) == 5
        again = selection_jobs.invite_schools(w.cycle.id, w.admin.id, ids, "selection", False)
        assert again["invited"] == 0 and _count(Invitation, Invitation.cycle_id == w.cycle.id) == 5


def test_A6_1_a_closed_cycle_or_a_foreign_school_is_refused_in_the_request(session, monkeypatch):
    _small_batches(monkeypatch)
    w, other = world(4), world(1)
    open_cycle(w)
    with tenant_context(w.tenant.id, db.session):
        ids = [s.id for s in w.schools]
        try:
            ops.invite_many(w.cycle, ids + [other.schools[0].id], Route.selection, actor=w.admin)
            raise AssertionError("a school of another federation was accepted")
        except ops.DomainError as e:
            assert "不属于本学联" in str(e)
        w.cycle.status = CycleStatus.publicizing
        try:
            ops.invite_many(w.cycle, ids, Route.selection, actor=w.admin)
            raise AssertionError("a cycle in publicity accepted invitations")
        except ops.Conflict as e:
            assert "不能再发函" in str(e)
        assert _count(JobRecord, JobRecord.kind == ops.INVITE_SCHOOLS) == 0
        db.session.rollback()


def test_A6_1_api_answers_202_with_the_job_for_many_schools_and_201_for_a_few(client, session, login_as,
                                                                              monkeypatch):
    _small_batches(monkeypatch)
    w = world(4)
    open_cycle(w)
    login_as(w.admin)
    url = f"/api/v1/{w.tenant.slug}/selection/cycles/{w.cycle.id}/invitations"
    few = client.post(url, json={"school_ids": [w.schools[0].id]})
    assert few.status_code == 201 and len(few.get_json()["items"]) == 1
    many = client.post(url, json={"school_ids": [s.id for s in w.schools[1:]], "send": True})
    assert many.status_code == 202, many.get_json()
    body = many.get_json()
    assert body["started"] is True and body["job"]["status"] == "queued"  # as answered; ran after the commit
    with tenant_context(w.tenant.id, db.session):
        assert _count(Invitation, Invitation.cycle_id == w.cycle.id) == 4
        # send=True: the three new letters went out in their own job
        assert _count(Invitation, Invitation.cycle_id == w.cycle.id, Invitation.sent_at.is_not(None)) == 3
