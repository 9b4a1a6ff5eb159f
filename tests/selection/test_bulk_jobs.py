"""Issue 8, item 18: work over many objects is a background job with progress; the page
answers at once, and a retried job does not resend what it already sent (A6.1)."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core import audit
from portal.core.db import tenant_context
from portal.documents.models import GeneratedDocument
from portal.extensions import db
from portal.jobs.models import JobRecord, JobStatus
from portal.selection import jobs as selection_jobs
from portal.selection import operations as ops
from portal.selection.models import Invitation, Route
from tests.selection.helpers import open_cycle, world


def _unsent(n: int):
    w = world(n)
    open_cycle(w)
    with tenant_context(w.tenant.id, db.session):
        invs = ops.invite_schools(w.cycle, [s.id for s in w.schools], Route.selection, actor=w.admin)
    return w, invs


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _sent_audits() -> int:
    return _count(audit.AuditRecord, audit.AuditRecord.action == "invitation.sent")


def test_A6_1_send_all_answers_at_once_and_sends_in_a_job_with_progress(client, session, login_as):
    w, invs = _unsent(4)
    login_as(w.admin)
    base = f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}"
    r = client.post(f"{base}/send-all")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"{base}#letters")
    with tenant_context(w.tenant.id, db.session):
        job = db.session.scalar(sa.select(JobRecord).where(JobRecord.subject == f"selection_cycle:{w.cycle.id}"))
        assert job.kind == ops.SEND_LETTERS and job.status == JobStatus.finished  # eager in tests: ran after commit
        assert job.progress == 100 and job.message == "已发出 4 封推荐函"
        numbers = set(db.session.scalars(sa.select(Invitation.letter_number).where(Invitation.cycle_id == w.cycle.id)))
        assert numbers == {f"学联驻〔2026〕{i}号" for i in range(1, 5)}
    page = client.get(base).get_data(as_text=True)
    assert 'class="job-box"' in page and "jobs.js" in page and "已发出 4 封推荐函" in page
    progress = client.get(f"{base}/jobs/{job.id}").get_json()
    assert progress["status"] == "finished" and progress["progress"] == 100


def test_A6_1_the_request_sends_nothing_itself(session):
    """Inside the request only the job is recorded; the letters wait for it (and a second click
    while it is pending gets the same job, not a second one)."""
    w, invs = _unsent(3)
    with tenant_context(w.tenant.id, db.session):
        job, started = ops.send_all_invitations(w.cycle, actor=w.admin)
        assert started and job.status == JobStatus.queued
        assert _count(Invitation, Invitation.sent_at.is_not(None)) == 0 and _sent_audits() == 0
        again, started_again = ops.send_all_invitations(w.cycle, actor=w.admin)
        assert (again.id, started_again) == (job.id, False)
        assert _count(JobRecord, JobRecord.kind == ops.SEND_LETTERS) == 1
        db.session.rollback()


def test_A6_1_a_retried_job_does_not_resend(session, monkeypatch):
    """The job fails in its second batch; the retry sends only what was not sent yet, and a
    third run sends nothing: every letter once, one audit record and one DOCX/PDF pair each."""
    w, invs = _unsent(5)
    monkeypatch.setattr(selection_jobs, "BATCH", 2)
    real_send, calls = ops.send_invitation, []

    def flaky_send(inv, *, actor):
        calls.append(inv.id)
        if len(calls) == 4:
            raise RuntimeError("文件服务暂时不可用")
        return real_send(inv, actor=actor)

    with tenant_context(w.tenant.id, db.session):
        monkeypatch.setattr(ops, "send_invitation", flaky_send)
        try:
            selection_jobs.send_invitations(w.cycle.id, w.admin.id)
        except RuntimeError:
            db.session.rollback()
        else:  # pragma: no cover
            raise AssertionError("the job should have failed in its second batch")
        assert _count(Invitation, Invitation.sent_at.is_not(None)) == 2  # the first batch stands
        result = selection_jobs.send_invitations(w.cycle.id, w.admin.id)
        assert result == {"sent": 3, "total": 3}
        assert selection_jobs.send_invitations(w.cycle.id, w.admin.id) == {"sent": 0, "total": 0}
        assert _count(Invitation, Invitation.sent_at.is_not(None)) == 5
        assert _sent_audits() == 5
        assert _count(GeneratedDocument, GeneratedDocument.kind == "selection.invitation_letter") == 10
        numbers = list(db.session.scalars(sa.select(Invitation.letter_number)))
        assert len(set(numbers)) == 5
