"""Issue 8, item 17: a second click or a second staff member at the same moment.

Each race runs real threads behind a barrier against committed data (the SQLite file
database, or PostgreSQL with TEST_DATABASE_URL), each thread with its own session and
connection, as two gunicorn workers would be.
"""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from portal.core import audit
from portal.core.db import tenant_context
from portal.core.errors import DomainError
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection import workflow
from portal.core.approvals import ApprovalRequest, ApprovalStatus
from portal.selection.models import Invitation, Nomination, NominationStatus as S, Route, SelectionCycle
from portal.selection.workflow import SYSTEM
from tests.factories import member
from tests.selection import helpers as h
from tests.selection.test_concurrency import _cleanup
from tenants.models import Role


def race(app, tenant_id, fn, args, *, retry_locked: int = 0) -> list[tuple[str, object]]:
    """Run ``fn(arg)`` for each arg in its own thread, all released together; each commits.
    Returns [("ok", value) | ("conflict", message) | ("locked", message)] in args' order."""
    barrier = threading.Barrier(len(args))
    results: list = [None] * len(args)

    def run(i, arg):
        with app.app_context():
            with tenant_context(tenant_id, db.session):
                try:
                    barrier.wait(timeout=20)
                    for attempt in range(retry_locked + 1):
                        try:
                            value = fn(arg)
                            db.session.commit()
                            results[i] = ("ok", value)
                            break
                        except sa.exc.OperationalError as exc:  # SQLite busy: the 409 of errors.py
                            db.session.rollback()
                            results[i] = ("locked", str(exc)[:120])
                            time.sleep(0.05 * (attempt + 1))
                except DomainError as exc:
                    db.session.rollback()
                    results[i] = ("conflict", exc.message)
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _kinds(results) -> list[str]:
    return sorted(r[0] if r else "crashed" for r in results)


def _audits(action: str, object_id=None) -> int:
    stmt = sa.select(sa.func.count()).select_from(audit.AuditRecord).where(audit.AuditRecord.action == action)
    if object_id is not None:
        stmt = stmt.where(audit.AuditRecord.object_id == str(object_id))
    return db.session.scalar(stmt)


def _ranked_world(app, n: int, quota: int):
    """A committed cycle of ``quota`` places with ``n`` ranked candidates."""
    with app.app_context():
        w = h.world(n)
        h.open_cycle(w, quota=quota)
        noms = []
        for i in range(n):
            inv = h.invite(w, w.schools[i])
            nom = h.advance_to_reviewed(w, h.submitted(w, inv, i + 1))
            h.score(w, nom, 80 + i, 80)
            noms.append(nom)
        with tenant_context(w.tenant.id, db.session):
            ops.rank_cycle(w.cycle, actor=w.admin, roles=SYSTEM)
        approver = member(w.tenant, Role.approver)
        ids = dict(tenant=w.tenant.id, admin=w.admin.id, approver=approver.id, cycle=w.cycle.id,
                   noms=[x.id for x in noms])
        db.session.commit()
        db.session.remove()
    return ids


def _user(user_id):
    from portal.auth.models import User

    return db.session.get(User, user_id)


# --- A4: the quota under the cycle's lock ------------------------------------------------------

def test_A4_two_proposals_for_the_last_place_only_one_stored(app):
    ids = _ranked_world(app, 2, quota=1)
    try:
        def propose(nom_id):
            cycle = db.session.get(SelectionCycle, ids["cycle"])
            return [n.id for n in ops.propose(cycle, [nom_id], actor=_user(ids["admin"]),
                                              roles={Role.secretariat_admin})]

        results = race(app, ids["tenant"], propose, ids["noms"])
        assert [k for k in _kinds(results) if k != "locked"] == ["conflict", "ok"] or _kinds(results) == [
            "locked", "ok"], results
        with app.app_context(), tenant_context(ids["tenant"], db.session):
            proposed = db.session.scalar(sa.select(sa.func.count()).select_from(Nomination).where(
                Nomination.cycle_id == ids["cycle"], Nomination.status == S.proposed))
            db.session.remove()
        assert proposed == 1
    finally:
        _cleanup(app, ids["tenant"])


# --- A6.5: one approval, however many clicks -------------------------------------------------------

def test_A6_5_double_clicked_approval_writes_one_approval_and_one_audit(app):
    ids = _ranked_world(app, 1, quota=1)
    try:
        with app.app_context(), tenant_context(ids["tenant"], db.session):
            ops.propose(db.session.get(SelectionCycle, ids["cycle"]), ids["noms"], actor=_user(ids["admin"]),
                        roles={Role.secretariat_admin})
            db.session.commit()
            db.session.remove()

        def approve(_):
            cycle = db.session.get(SelectionCycle, ids["cycle"])
            return ops.decide(cycle, True, "同意", actor=_user(ids["approver"]), roles={Role.approver},
                              **h.consent_papers()).id

        results = race(app, ids["tenant"], approve, [1, 2])
        assert _kinds(results).count("ok") == 1, results
        with app.app_context(), tenant_context(ids["tenant"], db.session):
            approvals = db.session.scalar(sa.select(sa.func.count()).select_from(ApprovalRequest).where(
                ApprovalRequest.subject_type == "selection_cycle", ApprovalRequest.subject_id == ids["cycle"],
                ApprovalRequest.status == ApprovalStatus.approved))
            approve_audits = _audits("nomination.approve", ids["noms"][0])
            status = db.session.get(Nomination, ids["noms"][0]).status
            db.session.remove()
        assert (approvals, approve_audits, status) == (1, 1, S.approved)
    finally:
        _cleanup(app, ids["tenant"])


def test_A6_3_start_review_at_the_same_moment_is_one_transition(app):
    with app.app_context():
        w = h.world(1)
        h.open_cycle(w)
        inv = h.invite(w, w.schools[0])
        nom = h.submitted(w, inv, 1)
        with tenant_context(w.tenant.id, db.session):
            ops.run_eligibility(nom, w.cycle, actor=w.admin)
            ops.attest(nom, "A5.3", True, "成绩单", actor=w.admin)
            ops.attest(nom, "A5.4", True, "证书", actor=w.admin)
            workflow.apply(nom, "confirm_eligibility", actor=w.admin, roles=SYSTEM)
        tid, admin_id, nom_id = w.tenant.id, w.admin.id, nom.id
        db.session.commit()
        db.session.remove()
    try:
        def start(_):
            n = db.session.get(Nomination, nom_id)
            workflow.apply(n, "start_review", actor=_user(admin_id), roles=SYSTEM)

        results = race(app, tid, start, [1, 2])
        assert _kinds(results).count("ok") == 1, results
        refused = [r for r in results if r[0] == "conflict"]
        # The loser is refused naming the state the winner set: by the compare-and-set when both
        # read before either wrote ("已被他人改为"), by the guard when it read after the commit.
        assert all("「审查考察中」" in r[1] for r in refused), refused
        with app.app_context(), tenant_context(tid, db.session):
            assert _audits("nomination.start_review", nom_id) == 1
            assert db.session.get(Nomination, nom_id).status == S.under_review
            db.session.remove()
    finally:
        _cleanup(app, tid)


def test_a_lost_compare_and_set_writes_nothing(session):
    """The shared transition function itself: a stale status in hand changes no row."""
    w = h.world(1)
    h.open_cycle(w)
    inv = h.invite(w, w.schools[0])
    nom = h.draft(w, inv, 1)
    with tenant_context(w.tenant.id, db.session):
        # another worker withdrew it meanwhile: the row says withdrawn, our copy still says draft
        db.session.execute(sa.update(Nomination).where(Nomination.id == nom.id).values(status=S.withdrawn)
                           .execution_options(synchronize_session=False))
        assert nom.status == S.draft
        before = _audits("nomination.submit")
        with pytest.raises(DomainError) as e:
            workflow.apply(nom, "submit", actor=w.admin, roles=SYSTEM,
                           ctx={"cycle": w.cycle, "today": h.IN_WINDOW})
        assert e.value.status == 409 and "已撤回" in e.value.message
        assert nom.status == S.withdrawn and _audits("nomination.submit") == before


# --- A6.1: letter numbers and sending once --------------------------------------------------------

def _unsent_letters(app, n: int):
    with app.app_context():
        w = h.world(n)
        h.open_cycle(w)
        with tenant_context(w.tenant.id, db.session):
            invs = ops.invite_schools(w.cycle, [s.id for s in w.schools], Route.selection, actor=w.admin)
        ids = dict(tenant=w.tenant.id, admin=w.admin.id, cycle=w.cycle.id, invs=[i.id for i in invs])
        db.session.commit()
        db.session.remove()
    return ids


def _send(ids):
    def send(inv_id):
        inv = db.session.get(Invitation, inv_id)
        return ops.send_invitation(inv, actor=_user(ids["admin"])).letter_number
    return send


def test_A6_1_ten_letters_sent_at_once_get_ten_distinct_numbers(app):
    ids = _unsent_letters(app, 10)
    try:
        results = race(app, ids["tenant"], _send(ids), ids["invs"], retry_locked=5)
        assert _kinds(results) == ["ok"] * 10, results
        with app.app_context(), tenant_context(ids["tenant"], db.session):
            numbers = list(db.session.scalars(sa.select(Invitation.letter_number).where(
                Invitation.cycle_id == ids["cycle"])))
            db.session.remove()
        assert sorted(numbers) == sorted(f"学联驻〔2026〕{i}号" for i in range(1, 11)), numbers
    finally:
        _cleanup(app, ids["tenant"])


def test_A6_1_one_letter_sent_twice_at_once_is_sent_once(app):
    from portal.documents.models import GeneratedDocument

    ids = _unsent_letters(app, 1)
    try:
        results = race(app, ids["tenant"], _send(ids), ids["invs"] * 2, retry_locked=5)
        assert _kinds(results) == ["ok", "ok"], results
        assert results[0][1] == results[1][1] == "学联驻〔2026〕1号"
        with app.app_context(), tenant_context(ids["tenant"], db.session):
            assert _audits("invitation.sent", ids["invs"][0]) == 1
            docs = db.session.scalar(sa.select(sa.func.count()).select_from(GeneratedDocument).where(
                GeneratedDocument.kind == "selection.invitation_letter"))
            db.session.remove()
        assert docs == 2  # one DOCX, one PDF
    finally:
        _cleanup(app, ids["tenant"])


def test_A6_1_sending_again_after_success_changes_nothing(session):
    from portal.documents.models import GeneratedDocument

    w = h.world(2)
    h.open_cycle(w)
    inv = h.invite(w, w.schools[0])  # sent
    with tenant_context(w.tenant.id, db.session):
        number, docs = inv.letter_number, (inv.docx_document_id, inv.pdf_document_id)
        ops.send_invitation(inv, actor=w.admin)
        assert (inv.letter_number, (inv.docx_document_id, inv.pdf_document_id)) == (number, docs)
        assert _audits("invitation.sent", inv.id) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GeneratedDocument)) == 2
        # the next letter continues the counter; the number is unique in the tenant
        other = h.invite(w, w.schools[1])
        assert other.letter_number == "学联驻〔2026〕2号"
        other.letter_number = number
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_A6_1_counter_continues_after_letters_numbered_before_it(session):
    """A year whose letters were numbered before the counter existed goes on after the highest."""
    from portal.core.numbering import DocumentCounter

    w = h.world(2)
    h.open_cycle(w)
    with tenant_context(w.tenant.id, db.session):
        (a,) = ops.invite_schools(w.cycle, [w.schools[0].id], Route.selection, actor=w.admin)
        a.letter_number = "学联驻〔2026〕7号"
        db.session.flush()
        (b,) = ops.invite_schools(w.cycle, [w.schools[1].id], Route.selection, actor=w.admin)
        ops.send_invitation(b, actor=w.admin)
        assert b.letter_number == "学联驻〔2026〕8号"
        counter = db.session.scalar(sa.select(DocumentCounter))
        assert (counter.series, counter.last_value, counter.tenant_id) == (
            "selection.invitation_letter:2026", 8, w.tenant.id)


# --- one-time form tokens (portal.core.once) ------------------------------------------------------

def _token(client, url: str) -> str:
    import re

    page = client.get(url).get_data(as_text=True)
    m = re.search(r'name="_once" value="([^"]+)"', page)
    assert m, "the form carries no one-time token"
    return m.group(1)


def test_a_form_submitted_twice_is_answered_with_the_first_result(client, session, login_as):
    w = h.world(2)
    h.open_cycle(w, quota=2)
    noms = []
    for i in range(2):
        inv = h.invite(w, w.schools[i])
        n = h.advance_to_reviewed(w, h.submitted(w, inv, i + 1))
        h.score(w, n, 80 + i, 80)
        noms.append(n)
    with tenant_context(w.tenant.id, db.session):
        ops.rank_cycle(w.cycle, actor=w.admin, roles=SYSTEM)
    login_as(w.admin)
    base = f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}"
    token = _token(client, base)
    data = {"nomination_id": [str(noms[0].id)], "_once": token}
    first = client.post(f"{base}/propose", data=data)
    assert first.status_code == 302 and "Idempotent-Replay" not in first.headers
    db.session.commit()
    second = client.post(f"{base}/propose", data=data)
    assert second.status_code == 303 and second.headers["Idempotent-Replay"] == "true"
    assert second.headers["Location"] == first.headers["Location"]
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "已提交拟任人选，待审批" in page  # the first answer's message, shown again
    with tenant_context(w.tenant.id, db.session):
        assert _audits("nomination.propose", noms[0].id) == 1
    # a fresh form (a new token) is a new submission: refused on its merits, not replayed
    again = client.post(f"{base}/propose", data={"nomination_id": [str(noms[0].id)],
                                                   "_once": _token(client, base)})
    assert again.status_code == 409 and "Idempotent-Replay" not in again.headers


def test_a_refused_submit_frees_its_token(client, session, login_as):
    w = h.world(1)
    h.open_cycle(w)
    login_as(w.admin)
    base = f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}"
    token = _token(client, base)
    refused = client.post(f"{base}/propose", data={"nomination_id": ["999999"], "_once": token},
                          headers={"Referer": base})
    assert refused.status_code == 303 and "Idempotent-Replay" not in refused.headers
    from portal.core.once import FormSubmission

    with tenant_context(w.tenant.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FormSubmission)) == 0


def test_a_form_token_is_checked(client, session, login_as):
    w = h.world(1)
    h.open_cycle(w)
    login_as(w.admin)
    r = client.post(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/propose",
                    data={"nomination_id": ["1"], "_once": "<script>"})
    assert r.status_code == 400 and "表单标识无效" in r.get_data(as_text=True)


def test_two_submits_of_one_form_at_the_same_moment_run_the_view_once(app):
    """The shared mechanism under a real race: the second waits on the first's claim, then
    replays its answer (both databases)."""
    from flask import redirect

    from portal.core.once import once, new_token
    from tests.factories import NationalTenantFactory

    with app.app_context():
        tenant = NationalTenantFactory()
        tid = tenant.id
        db.session.commit()
        db.session.remove()
    ran: list[int] = []

    @once
    def create_something():
        ran.append(1)
        audit.record("test.created", "thing", len(ran), actor="测试")
        time.sleep(0.3)  # the first holds its claim while the second arrives
        return redirect(f"/things/{len(ran)}", 302)

    token = new_token()

    def submit(_):
        with app.test_request_context("/x", method="POST", data={"_once": token}):
            resp = create_something()
            return resp.status_code, resp.headers.get("Location"), resp.headers.get("Idempotent-Replay")

    try:
        results = race(app, tid, submit, [1, 2])
        assert _kinds(results) == ["ok", "ok"], results
        answers = sorted(r[1] for r in results)
        assert answers == [(302, "/things/1", None), (303, "/things/1", "true")], answers
        assert ran == [1]
        with app.app_context(), tenant_context(tid, db.session):
            assert _audits("test.created") == 1
            db.session.remove()
    finally:
        _cleanup(app, tid)


def test_the_audit_chain_takes_its_lock_when_nothing_else_was_written(app):
    """An audited change that wrote nothing else: concurrent writers never take the same seq
    (SQLite used to fail with UNIQUE(audit_records.tenant_id, seq))."""
    from tests.factories import NationalTenantFactory

    with app.app_context():
        tid = NationalTenantFactory().id
        db.session.commit()
        db.session.remove()
    try:
        for round_ in range(5):
            results = race(app, tid, lambda i: audit.record("test.viewed", "thing", i, actor="测试"), [1, 2, 3, 4])
            assert _kinds(results) == ["ok"] * 4, (round_, results)
        with app.app_context(), tenant_context(tid, db.session):
            assert _audits("test.viewed") == 20
            assert audit.verify_chain(tid) is None
            db.session.remove()
    finally:
        _cleanup(app, tid)


def test_an_api_call_repeated_with_its_idempotency_key_is_answered_with_the_first_body(app, session):
    from portal.auth.operations import issue_token

    w = h.world(1)
    h.open_cycle(w)
    with tenant_context(w.tenant.id, db.session):
        _tok, raw = issue_token(w.admin, "秘书处系统", w.admin)
    db.session.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {raw}", "Idempotency-Key": "k" * 24}
    url = f"/api/v1/{w.tenant.slug}/selection/cycles/{w.cycle.id}/invitations"
    first = api.post(url, json={"school_ids": [w.schools[0].id]}, headers=headers)
    assert first.status_code == 201, first.get_json()
    with tenant_context(w.tenant.id, db.session):
        db.session.execute(sa.delete(Invitation).where(Invitation.cycle_id == w.cycle.id))  # would be re-created
        db.session.commit()
    second = api.post(url, json={"school_ids": [w.schools[0].id]}, headers=headers)
    assert second.status_code == 201 and second.headers["Idempotent-Replay"] == "true"
    assert second.get_json() == first.get_json()
    with tenant_context(w.tenant.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0  # the view did not run


def test_the_migration_renumbers_letters_that_shared_a_number():
    """Letters numbered "count + 1" before the counter may share a number: the first sent
    keeps it, the others get the next free numbers of their year, so the constraint holds."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parents[2] / "migrations" / "versions" / "0009_races_counters_once.py"
    spec = importlib.util.spec_from_file_location("migration_0009_races", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    engine = sa.create_engine("sqlite://")
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE tenants (id INTEGER PRIMARY KEY)"))
        c.execute(sa.text("CREATE TABLE selection_invitations (id INTEGER PRIMARY KEY, tenant_id INTEGER, "
                          "letter_number VARCHAR, sent_at DATETIME)"))
        c.execute(sa.text("INSERT INTO tenants VALUES (1), (2)"))
        rows = [(1, 1, "学联驻〔2027〕6号", "2027-03-01 09:00:01"), (2, 1, "学联驻〔2027〕6号", "2027-03-01 09:00:00"),
                (3, 1, "学联驻〔2027〕6号", "2027-03-01 09:00:02"), (4, 1, "学联驻〔2027〕7号", "2027-03-01 09:00:03"),
                (5, 2, "学联驻〔2027〕6号", "2027-03-01 09:00:00"), (6, 1, None, None)]
        for r in rows:
            c.execute(sa.text("INSERT INTO selection_invitations VALUES (:i, :t, :n, :s)"),
                      dict(zip("itns", r)))
        migration._renumber_duplicate_letters(c)
        got = dict(c.execute(sa.text("SELECT id, letter_number FROM selection_invitations")).all())
    assert got == {1: "学联驻〔2027〕8号", 2: "学联驻〔2027〕6号", 3: "学联驻〔2027〕9号", 4: "学联驻〔2027〕7号",
                   5: "学联驻〔2027〕6号", 6: None}


def test_claimed_form_tokens_are_forgotten_after_a_week(session):
    import datetime as dt

    from portal.core.db import utcnow
    from portal.core.once import FormSubmission, purge_expired
    from tests.factories import NationalTenantFactory

    t = NationalTenantFactory()
    with tenant_context(t.id, db.session):
        old = FormSubmission(tenant_id=t.id, token="o" * 24, endpoint="x", created_at=utcnow() - dt.timedelta(days=8))
        new = FormSubmission(tenant_id=t.id, token="n" * 24, endpoint="x", created_at=utcnow())
        db.session.add_all([old, new])
        db.session.flush()
    assert purge_expired() >= 1
    with tenant_context(t.id, db.session):
        assert list(db.session.scalars(sa.select(FormSubmission.token))) == ["n" * 24]
