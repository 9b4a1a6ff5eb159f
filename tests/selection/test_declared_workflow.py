"""Issue 11, items 1 and 2: selection on the declared workflow (portal.core.workflow) and A6.5 on
the shared approvals engine (portal.core.approvals).

The holes: the A4 quota held by every endpoint (the guard is in the declaration); the generic
transition endpoints offer an allowlist; taking a decision back needs a reason and leaves it in
the audit trail; the cycle's own stages are set; callers branch on refusal codes, not words.
"""
from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from portal.core import approvals, clock
from portal.core.approvals import ApprovalRequest, ApprovalStatus
from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.core.errors import Conflict, DomainError
from portal.core.workflow import Machine, Refusal, transition
from portal.extensions import db
from portal.notifications.models import Notification
from portal.selection import consent
from portal.selection import operations as ops
from portal.selection import workflow
from portal.selection.models import CycleStatus, Nomination, NominationStatus as S, Route, SelectionCycle
from portal.selection.workflow import SYSTEM
from tests.factories import member
from tests.selection import helpers as h
from tenants.models import Membership, Role, Tenant

STAFF = {Role.secretariat_admin}
GENERIC = {"confirm_eligibility", "start_review", "complete_review", "propose", "unpropose", "withdraw"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _ranked(n: int, quota: int):
    w = h.world(n)
    h.open_cycle(w, quota=quota)
    noms = []
    for i in range(n):
        nom = h.advance_to_reviewed(w, h.submitted(w, h.invite(w, w.schools[i]), i + 1))
        h.score(w, nom, 90 - i, 80)
        noms.append(nom)
    with tenant_context(w.tenant.id, db.session):
        ops.rank_cycle(w.cycle, actor=w.admin, roles=SYSTEM)
    return w, noms


def _count(w, status) -> int:
    with tenant_context(w.tenant.id, db.session):
        return db.session.scalar(sa.select(sa.func.count()).select_from(Nomination).where(
            Nomination.cycle_id == w.cycle.id, Nomination.status == status))


def _audit(w, action, object_id=None) -> list[AuditRecord]:
    with tenant_context(w.tenant.id, db.session):
        stmt = sa.select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq)
        if object_id is not None:
            stmt = stmt.where(AuditRecord.object_id == str(object_id))
        return list(db.session.scalars(stmt))


# --- (a) A4: a quota of 1 through every endpoint -------------------------------------------------

def _web_form(client, w, nom):
    return client.post(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/propose",
                       data={"nomination_id": [str(nom.id)]})


def _web_transition(client, w, nom):
    return client.post(f"/{w.tenant.slug}/selection/nominations/{nom.id}/transition/propose")


def _api_transition(client, w, nom):
    return client.post(f"/api/v1/{w.tenant.slug}/selection/nominations/{nom.id}/transitions/propose", json={})


def _api_form(client, w, nom):
    return client.post(f"/api/v1/{w.tenant.slug}/selection/cycles/{w.cycle.id}/propose",
                       json={"nomination_ids": [nom.id]})


@pytest.mark.parametrize("post", [_web_form, _web_transition, _api_transition, _api_form],
                         ids=["web-form", "web-transition", "api-transition", "api-propose"])
def test_A4_quota_of_one_leaves_one_proposed_through_every_endpoint(client, login_as, session, post):
    w, noms = _ranked(3, quota=1)
    login_as(w.admin)
    codes = [post(client, w, n).status_code for n in noms]
    assert codes[0] in (200, 302, 303) and codes[1:] == [409, 409], codes
    assert _count(w, S.proposed) == 1 and _count(w, S.ranked) == 2
    refused = post(client, w, noms[2])
    body = refused.get_json() if refused.is_json else {"error": {"message": refused.get_data(as_text=True)}}
    assert "不能超过本学年名额 1 名" in body["error"]["message"]
    if refused.is_json:
        assert body["error"]["code"] == "quota_full"


def test_A4_quota_under_a_non_default_quota_counts_every_place_held(session):
    """The guard counts proposed, approved, publicized and appointed places (quota 2 here)."""
    w, noms = _ranked(3, quota=2)
    approver = member(w.tenant, Role.approver)
    with tenant_context(w.tenant.id, db.session):
        workflow.apply(noms[0], "propose", actor=w.admin, roles=STAFF)
        ops.decide(w.cycle, True, "同意", actor=approver, roles={Role.approver}, **h.consent_papers())
        assert noms[0].status == S.approved
        workflow.apply(noms[1], "propose", actor=w.admin, roles=STAFF)
        with pytest.raises(Conflict) as e:
            workflow.apply(noms[2], "propose", actor=w.admin, roles=STAFF)
    assert e.value.code == "quota_full" and noms[2].status == S.ranked


# --- (b) the generic endpoints offer exactly the declared allowlist --------------------------------

def test_generic_transitions_are_an_allowlist_declared_on_the_machine():
    assert workflow.NOMINATION.generic_names() == GENERIC
    for name in ("submit", "approve", "publicize", "appoint", "disqualify", "record_exam", "rank"):
        assert workflow.NOMINATION.generic(name) is None
    assert workflow.NOMINATION.generic("no_such_thing") is None


def test_generic_endpoints_refuse_every_transition_not_declared_for_them(client, login_as, session):
    w, noms = _ranked(1, quota=1)
    login_as(w.admin)
    nom = noms[0]
    for name in ("submit", "approve", "publicize", "appoint", "disqualify", "record_exam", "rank", "nope"):
        assert client.post(f"/{w.tenant.slug}/selection/nominations/{nom.id}/transition/{name}").status_code == 404
        assert client.post(f"/api/v1/{w.tenant.slug}/selection/nominations/{nom.id}/transitions/{name}",
                           json={}).status_code == 404
    assert _count(w, S.ranked) == 1
    # the page offers the declared ones the user may make now, and only those
    page = client.get(f"/{w.tenant.slug}/selection/nominations/{nom.id}").get_data(as_text=True)
    assert f"/nominations/{nom.id}/transition/propose" in page
    for name in ("approve", "rank", "disqualify"):
        assert f"/nominations/{nom.id}/transition/{name}" not in page


def test_an_undeclared_state_is_refused_when_the_machine_is_built():
    with pytest.raises(ValueError, match="undeclared states"):
        Machine("t", subject="t", labels={"a": "甲"}, transitions=[transition("go", "走", ["a"], "b", {"x"}, "A1")])


# --- (c) taking a decision back needs its reason ---------------------------------------------------

def test_A6_5_approver_returning_a_proposed_nominee_needs_a_reason_and_it_is_recorded(client, login_as, session):
    w, noms = _ranked(1, quota=1)
    approver = member(w.tenant, Role.approver)
    with tenant_context(w.tenant.id, db.session):
        ops.propose(w.cycle, [noms[0].id], actor=w.admin, roles=STAFF)
    login_as(approver)
    url = f"/{w.tenant.slug}/selection/nominations/{noms[0].id}/transition/unpropose"
    assert client.post(url).status_code == 422
    assert client.post(url, data={"note": "   "}).status_code == 422
    api = f"/api/v1/{w.tenant.slug}/selection/nominations/{noms[0].id}/transitions/unpropose"
    r = client.post(api, json={})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "reason_required"
    assert _count(w, S.proposed) == 1 and not _audit(w, "nomination.unpropose")
    assert client.post(url, data={"note": "综合排名材料需复核"}).status_code in (302, 303)
    assert _count(w, S.ranked) == 1
    (rec,) = _audit(w, "nomination.unpropose", noms[0].id)
    assert rec.after["reason"] == "综合排名材料需复核" and rec.actor_id == approver.id and rec.article == "A6.5"
    # nobody is left on the list: the open request is withdrawn, with that reason
    with tenant_context(w.tenant.id, db.session):
        (req,) = consent.requests_of(w.cycle)
        assert req.status == ApprovalStatus.withdrawn and req.reason == "综合排名材料需复核"


def test_A7_disqualifying_takes_back_and_needs_its_reason_in_the_machine_too(session):
    w, noms = _ranked(1, quota=1)
    with tenant_context(w.tenant.id, db.session), pytest.raises(DomainError) as e:
        workflow.apply(noms[0], "disqualify", actor=w.admin, roles=STAFF)
    assert e.value.code == "reason_required" and noms[0].status == S.ranked


# --- (d) the cycle's own stages ------------------------------------------------------------------

def test_A6_cycle_states_are_declared_and_set_as_the_cycle_reaches_each_stage(session):
    assert set(workflow.CYCLE.states) == set(CycleStatus)
    w = h.world(2)
    h.open_cycle(w, quota=1)
    assert w.cycle.status == CycleStatus.open
    nom = h.submitted(w, h.invite(w, w.schools[0]), 1)
    seen = []
    with tenant_context(w.tenant.id, db.session):
        ops.run_eligibility(nom, w.cycle, actor=w.admin)
        ops.attest(nom, "A5.3", True, "成绩单", actor=w.admin)
        ops.attest(nom, "A5.4", True, "证书", actor=w.admin)
        workflow.apply(nom, "confirm_eligibility", actor=w.admin, roles=SYSTEM)
        seen.append(w.cycle.status)
        workflow.apply(nom, "start_review", actor=w.admin, roles=SYSTEM)
        seen.append(w.cycle.status)
    # A6.2/A6.3: a second school still nominates while the first nominee is reviewed
    second = h.submitted(w, h.invite(w, w.schools[1]), 2)
    assert second.status == S.submitted
    with tenant_context(w.tenant.id, db.session):
        ms = list(db.session.scalars(sa.select(Membership).where(Membership.user_id == w.admin.id)))
        for level in ("provincial", "national"):
            ops.sign_review(nom, level, qualified=True, notes="符合", report="良好", actor=w.admin, memberships=ms)
        workflow.apply(nom, "complete_review", actor=w.admin, roles=SYSTEM)
        seen.append(w.cycle.status)
        ops.enter_exam_score(nom, 85, actor=w.admin)
        seen.append(w.cycle.status)
        ops.set_interview_score(nom, 80, actor=w.admin)
        ops.rank_cycle(w.cycle, actor=w.admin, roles=SYSTEM)
        seen.append(w.cycle.status)
        ops.propose(w.cycle, [nom.id], actor=w.admin, roles=STAFF)
        ops.decide(w.cycle, True, "同意", actor=member(w.tenant, Role.approver), roles={Role.approver},
                   **h.consent_papers())
        notice = ops.open_notice(w.cycle, actor=w.admin, roles=SYSTEM, starts_on=dt.date(2026, 6, 1),
                                 today=dt.date(2026, 6, 1))
        seen.append(w.cycle.status)
        ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=notice.ends_on + dt.timedelta(days=3))
        seen.append(w.cycle.status)
        stored = db.session.scalar(sa.select(SelectionCycle.status).where(SelectionCycle.id == w.cycle.id))
    assert seen == [CycleStatus.open, CycleStatus.reviewing, CycleStatus.reviewing, CycleStatus.examining,
                    CycleStatus.deciding, CycleStatus.publicizing, CycleStatus.closed]
    assert stored == CycleStatus.closed
    stages = [(r.before["status"], r.after["status"]) for r in _audit(w, "cycle.status")]
    assert stages == [("open", "reviewing"), ("reviewing", "examining"), ("examining", "deciding"),
                      ("deciding", "publicizing"), ("publicizing", "closed")]
    # once ranked (研究决定), the cycle takes no more letters
    with tenant_context(w.tenant.id, db.session), pytest.raises(Conflict, match="不能再发函"):
        ops.invite_schools(w.cycle, [w.schools[1].id], Route.selection, actor=w.admin)


# --- (e) refusals carry codes; callers branch on them -------------------------------------------

def test_A6_5_appointment_refusals_carry_codes(session):
    w, noms = _ranked(1, quota=1)
    approver = member(w.tenant, Role.approver)
    with tenant_context(w.tenant.id, db.session):
        ops.propose(w.cycle, [noms[0].id], actor=w.admin, roles=STAFF)
        ops.decide(w.cycle, True, "同意", actor=approver, roles={Role.approver}, **h.consent_papers())
        assert workflow.check(noms[0], "appoint", {"today": dt.date(2026, 6, 1)}).code == "not_publicized"
        notice = ops.open_notice(w.cycle, actor=w.admin, roles=SYSTEM, starts_on=dt.date(2026, 6, 1),
                                 today=dt.date(2026, 6, 1))
        refusal = workflow.check(noms[0], "appoint", {"today": notice.ends_on})
        assert isinstance(refusal, Refusal) and refusal.code == "notice_running"
        with pytest.raises(Conflict) as e:
            ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=notice.ends_on)
        assert e.value.code == "notice_running"
        o = ops.submit_objection(notice, "该同学的获奖材料存在疑问，请核实。", nomination_id=noms[0].id,
                                 today=dt.date(2026, 6, 2))
        assert workflow.check(noms[0], "appoint", {"today": dt.date(2026, 6, 9)}).code == "objections_pending"
        ops.resolve_objection(o, True, "经核查属实", actor=w.admin)
        assert workflow.check(noms[0], "appoint", {"today": dt.date(2026, 6, 9)}).code == "objection_upheld"
        assert ops.confirm_appointments(w.cycle, actor=w.admin, roles=SYSTEM, today=dt.date(2026, 6, 9)) == []


# --- item 2: A6.5 on the approvals engine -------------------------------------------------------

def test_A6_5_proposal_files_one_request_to_the_body_named_by_the_rules(client, login_as, session):
    w, noms = _ranked(2, quota=2)
    approver = member(w.tenant, Role.approver)
    with tenant_context(w.tenant.id, db.session):
        ops.propose(w.cycle, [noms[0].id], actor=w.admin, roles=STAFF)
        workflow.apply(noms[1], "propose", actor=w.admin, roles=STAFF)  # joins the open request
        (req,) = consent.requests_of(w.cycle)
        assert (req.kind, req.status, req.body_name, req.article) == (
            "selection.proposed_list", ApprovalStatus.pending, "共青团中央书记处", "A6.5")
        mails = db.session.scalars(sa.select(Notification).where(
            Notification.template_key == "approvals.requested")).all()
    assert {m.recipient_user_id for m in mails} == {approver.id}
    login_as(approver)
    page = client.get(f"/{w.tenant.slug}/approvals/").get_data(as_text=True)
    assert req.title in page and 'class="badge" title="待办">1<' in page
    cycle_page = client.get(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}").get_data(as_text=True)
    assert f"/approvals/{req.id}" in cycle_page


def test_A6_5_consent_from_the_queue_records_number_date_and_scan_and_approves_the_list(client, login_as, session):
    w, noms = _ranked(2, quota=2)
    approver = member(w.tenant, Role.approver)
    with tenant_context(w.tenant.id, db.session):
        ops.propose(w.cycle, [n.id for n in noms], actor=w.admin, roles=STAFF)
        req_id = consent.pending_request(w.cycle).id
    login_as(approver)
    url = f"/{w.tenant.slug}/approvals/{req_id}/decide"
    assert client.post(url, data={"decision": "approve"}).status_code == 400  # no number, no date
    assert _count(w, S.proposed) == 2
    today = clock.today().isoformat()
    r = client.post(url, data={"decision": "approve", "document_number": "中青办发〔2026〕12号", "decision_date": today,
                               "scan": (io.BytesIO(PDF), "批复.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 303
    assert _count(w, S.approved) == 2
    with tenant_context(w.tenant.id, db.session):
        req = db.session.get(ApprovalRequest, req_id)
        assert (req.status, req.document_number, req.decision_date.isoformat(), req.scan_type) == (
            ApprovalStatus.approved, "中青办发〔2026〕12号", today, "application/pdf")
        assert sorted(req.payload["nomination_ids"]) == sorted(n.id for n in noms)
        decided = db.session.scalars(sa.select(Notification).where(
            Notification.template_key == "approvals.decided")).all()
    assert [m.recipient_user_id for m in decided] == [w.admin.id]
    (rec,) = _audit(w, "cycle.approval")
    assert rec.after["approval_request_id"] == req_id and rec.after["approved"] is True
    assert len(_audit(w, "nomination.approve")) == 2


def test_A6_5_refusal_needs_its_reason_and_returns_the_list_with_it(client, login_as, session):
    w, noms = _ranked(1, quota=1)
    approver = member(w.tenant, Role.approver)
    with tenant_context(w.tenant.id, db.session):
        ops.propose(w.cycle, [noms[0].id], actor=w.admin, roles=STAFF)
        with pytest.raises(DomainError, match="理由"):
            ops.decide(w.cycle, False, "", actor=approver, roles={Role.approver})
    login_as(approver)
    api = f"/api/v1/{w.tenant.slug}/selection/cycles/{w.cycle.id}/decision"
    r = client.post(api, json={"approved": False, "note": "考察材料不全，请补充"})
    assert r.status_code == 200 and r.get_json()["approved"] is False
    assert r.get_json()["reason"] == "考察材料不全，请补充"
    assert _count(w, S.ranked) == 1
    (rec,) = _audit(w, "nomination.unpropose", noms[0].id)
    assert rec.after["reason"] == "考察材料不全，请补充"
    # the API's consent needs the decision's number and date too
    with tenant_context(w.tenant.id, db.session):
        ops.propose(w.cycle, [noms[0].id], actor=w.admin, roles=STAFF)
    db.session.commit()
    r = client.post(api, json={"approved": True, "note": "同意"})
    assert r.status_code in (400, 422) and _count(w, S.proposed) == 1
    r = client.post(api, json={"approved": True, "note": "同意", "document_number": "中青办发〔2026〕3号",
                               "decision_date": clock.today().isoformat()})
    assert r.status_code == 200 and r.get_json()["document_number"] == "中青办发〔2026〕3号"
    assert _count(w, S.approved) == 1


def test_A6_5_only_the_approving_body_decides(client, login_as, session):
    w, noms = _ranked(1, quota=1)
    with tenant_context(w.tenant.id, db.session):
        ops.propose(w.cycle, [noms[0].id], actor=w.admin, roles=STAFF)
        with pytest.raises(DomainError) as e:
            ops.decide(w.cycle, True, "同意", actor=w.admin, roles=STAFF, **h.consent_papers())
        req_id = consent.pending_request(w.cycle).id
    assert e.value.status == 403
    login_as(w.admin)
    assert client.post(f"/{w.tenant.slug}/approvals/{req_id}/decide",
                       data={"decision": "approve", "document_number": "x", "decision_date": clock.today().isoformat()}
                       ).status_code == 403
    assert _count(w, S.proposed) == 1


# --- two approvers deciding the same request at the same moment -----------------------------------

def test_A6_5_two_approvers_deciding_at_once_make_one_decision_one_audit_one_notification(app):
    from tests.selection.test_concurrency import _cleanup
    from tests.selection.test_races import _kinds, _ranked_world, _user, race

    ids = _ranked_world(app, 1, quota=1)
    try:
        with app.app_context(), tenant_context(ids["tenant"], db.session):
            ops.propose(db.session.get(SelectionCycle, ids["cycle"]), ids["noms"], actor=_user(ids["admin"]),
                        roles={Role.secretariat_admin})
            second = member(db.session.get(Tenant, ids["tenant"]), Role.approver)
            req_id = consent.pending_request(db.session.get(SelectionCycle, ids["cycle"])).id
            approvers = [ids["approver"], second.id]
            db.session.commit()
            db.session.remove()

        def decide(user_id):
            req = db.session.get(ApprovalRequest, req_id)
            approvals.decide(req, True, actor=_user(user_id), document_number="中青办发〔2026〕8号",
                             decision_date=clock.today())
            return user_id

        results = race(app, ids["tenant"], decide, approvers, retry_locked=5)
        assert _kinds(results) == ["conflict", "ok"], results
        with app.app_context(), tenant_context(ids["tenant"], db.session):
            req = db.session.get(ApprovalRequest, req_id)
            winner = next(v for k, v in results if k == "ok")
            decisions = db.session.scalar(sa.select(sa.func.count()).select_from(AuditRecord).where(
                AuditRecord.action.in_(["approval.approved", "approval.refused"]),
                AuditRecord.object_id == str(req_id)))
            approvals_of_list = db.session.scalar(sa.select(sa.func.count()).select_from(AuditRecord).where(
                AuditRecord.action == "cycle.approval"))
            notes = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
                Notification.template_key == "approvals.decided", Notification.related_id == str(req_id)))
            status = db.session.get(Nomination, ids["noms"][0]).status
            approve_audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditRecord).where(
                AuditRecord.action == "nomination.approve"))
            db.session.remove()
        assert (req.status, req.decided_by_id) == (ApprovalStatus.approved, winner)
        assert (decisions, approvals_of_list, notes, approve_audits, status) == (1, 1, 1, 1, S.approved)
    finally:
        _cleanup(app, ids["tenant"])



# --- the migration: the old table's decisions become requests on the engine -----------------------

def test_A6_5_migration_moves_old_decisions_onto_the_engine_and_back(tmp_path):
    from flask_migrate import downgrade, upgrade

    from portal.extensions import ensure_migrate

    from portal import create_app

    app = create_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/old.db", SECRET_KEY="old-secret", TESTING=True,
                     UPLOAD_FOLDER=str(tmp_path / "uploads"))
    with app.app_context():
        directory = str(ensure_migrate(app).directory)
        upgrade(directory=directory, revision="0010")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO tenants (id, slug, name, short_name, kind, active, created_at) "
                                 "VALUES (1, 'old', 'old', 'old', 'national', 1, '2026-01-01')"))
            conn.execute(sa.text(
                "INSERT INTO selection_cycles (id, tenant_id, academic_year, title, quota, rotation_quota, "
                "selection_quota, status, opened_on, rules_version, rules_snapshot, created_at, updated_at) "
                "VALUES (7, 1, '2025-2026', '2025-2026学年选拔', 2, 0, 2, 'publicizing', '2025-03-02', '2024', "
                "'{}', '2025-03-02', '2025-03-02')"))
            for i, (ok, note, ids) in enumerate([(0, "材料不全", "[3]"), (1, "同意", "[3, 4]")], start=1):
                conn.execute(sa.text(
                    "INSERT INTO selection_approvals (id, tenant_id, cycle_id, approving_body, approved, note, "
                    "nomination_ids, decided_at) VALUES (:i, 1, 7, '共青团中央书记处', :ok, :note, :ids, "
                    ":at)"), {"i": i, "ok": ok, "note": note, "ids": ids, "at": f"2025-05-0{i} 08:00:00"})
        upgrade(directory=directory)
        with db.engine.connect() as conn:
            assert "selection_approvals" not in sa.inspect(conn).get_table_names()
            rows = conn.execute(sa.select(ApprovalRequest.__table__).order_by(ApprovalRequest.__table__.c.id)
                                ).mappings().all()
        assert [(r["kind"], r["subject_type"], r["subject_id"], r["status"], r["reason"], r["body_name"])
                for r in rows] == [
            ("selection.proposed_list", "selection_cycle", 7, "refused", "材料不全", "共青团中央书记处"),
            ("selection.proposed_list", "selection_cycle", 7, "approved", "同意", "共青团中央书记处")]
        assert rows[1]["payload"] == {"nomination_ids": [3, 4], "migrated_from": "selection_approvals:2"}
        assert rows[0]["title"] == "2025-2026学年选拔：拟任人选名单"
        downgrade(directory=directory, revision="0010")
        with db.engine.connect() as conn:
            back = conn.execute(sa.text("SELECT cycle_id, approved, note, nomination_ids FROM selection_approvals "
                                        "ORDER BY id")).all()
            left = conn.execute(sa.text("SELECT count(*) FROM approval_requests")).scalar()
        assert [(c, bool(a), n, json_ids) for c, a, n, json_ids in back] == [
            (7, False, "材料不全", "[3]"), (7, True, "同意", "[3, 4]")]
        assert left == 0
        db.session.remove()
        db.engine.dispose()
