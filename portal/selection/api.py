"""JSON API for every selection step: /api/v1/<tenant>/selection/... (A4-A7)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, g, jsonify
from flask_login import current_user

from portal.api.common import api_blueprint
from portal.api.schemas import operation
from portal.core.once import once
from portal.core.errors import DomainError
from portal.core.permissions import ROLE_STAFF, require_roles
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection import views as v
from portal.selection import workflow
from portal.selection.access import may_open_cycle_page
from portal.selection.models import (
    EligibilityCheck, Invitation, Nomination, Objection, Panelist, Review, RotationEntry, Route, SelectionCycle,
)
from portal.selection import schemas as sc
from portal.core.clock import utc_iso
from tenants.models import Role

bp = api_blueprint("selection_api", __name__, "/api/v1/<tenant>/selection")
ALL = tuple(Role)
MAX_PER_PAGE = 1000  # an API client may take a whole province at once; queries stay constant

def cycle_json(c: SelectionCycle) -> dict:
    return {"id": c.id, "academic_year": c.academic_year, "title": c.title, "quota": c.quota,
            "rotation_quota": c.rotation_quota, "selection_quota": c.selection_quota, "status": c.status.value,
            "opened_on": c.opened_on.isoformat(), "rules_version": c.rules_version,
            "rules_overrides": [o.as_json() for o in c.overrides_at_opening],
            "steps": [{"key": s.key, "label": s.label, "article": s.article,
                       "due_on": s.due_on.isoformat() if s.due_on else None} for s in c.steps]}


def invitation_json(i: Invitation) -> dict:
    iso = utc_iso
    return {"id": i.id, "cycle_id": i.cycle_id, "school": {"id": i.school_id, "name": i.school.name},
            "route": i.route.value, "letter_number": i.letter_number, "sent_at": iso(i.sent_at),
            "delivered_at": iso(i.delivered_at), "delivery_method": i.delivery_method,
            "delivery_note": i.delivery_note, "opened_at": iso(i.opened_at),
            "acknowledged_at": iso(i.acknowledged_at), "extra_nominees": i.extra_nominees,
            "extra_reason": i.extra_reason, "limit": ops.nominee_limit(i),
            "docx_document_id": i.docx_document_id, "pdf_document_id": i.pdf_document_id}


def nomination_json(n: Nomination, detail=False) -> dict:
    d = {"id": n.id, "cycle_id": n.cycle_id, "name": n.name, "school": {"id": n.school_id, "name": n.school.name,
                                                                        "province_code": n.school.province_code},
         "union": n.union.name, "route": n.route.value, "status": n.status.value, "status_label": n.status_label,
         "id_number": n.masked_id, "political_status": n.political_status, "degree_level": n.degree_level,
         "exam_score": _num(n.exam_score), "interview_score": _num(n.interview_score),
         "total_score": _num(n.total_score), "rank": n.rank}
    if detail:
        d["checks"] = [{"item": c.item, "result": c.result.value, "reason": c.reason, "evidence": c.evidence,
                        "automatic": c.automatic, "citation": __import__("tenants.rules.registry", fromlist=["x"])
                        .article_citation(c.item)}
                       for c in db.session.scalars(sa.select(EligibilityCheck).where(
                           EligibilityCheck.nomination_id == n.id).order_by(EligibilityCheck.item))]
        d["reviews"] = [{"level": r.level.value, "qualified": r.qualified, "notes": r.qualification_notes,
                         "report": r.inspection_report} for r in db.session.scalars(
                            sa.select(Review).where(Review.nomination_id == n.id))]
        # what POST …/transitions/<name> accepts from this user now (the declared allowlist)
        d["transitions"] = [t.name for t in workflow.offered(n, g.roles)]
    return d


def _num(x):
    return float(x) if x is not None else None


def _actor():
    return current_user._get_current_object()


@bp.get("/cycles")
@require_roles(*ALL)
@operation(responses={200: sc.CycleList})
def cycles():
    """List the tenant's selection cycles (A4)."""
    rows = db.session.scalars(sa.select(SelectionCycle).order_by(SelectionCycle.academic_year.desc()))
    return jsonify({"items": [cycle_json(c) for c in rows]})


@bp.post("/cycles")
@require_roles(*ROLE_STAFF)
@operation(body=sc.CycleIn, responses={201: sc.CycleOut})
@once
def create_cycle(body: sc.CycleIn):
    """Open a cycle; quota defaults to the rules and the ruleset is pinned (A4, A23)."""
    c = ops.open_cycle(g.tenant, body.academic_year, actor=_actor(), quota=body.quota, opened_on=body.opened_on)
    return jsonify(cycle_json(c)), 201


@bp.get("/cycles/<int:cycle_id>")
@require_roles(*ALL)
@operation(responses={200: sc.CycleDetailOut})
def cycle(cycle_id: int):
    """One cycle with its timeline and funnel (A6)."""
    c = v.get_cycle(cycle_id)
    if not may_open_cycle_page(g.roles):
        return jsonify(cycle_json(c))  # as on the web: no progress or funnel for liaisons and chairs
    f = ops.funnel(c, v.scope())
    return jsonify(cycle_json(c) | {"funnel": {k.value: n for k, n in f.by_status.items()},
                                    "by_province": [[p, n] for p, n in f.by_province],
                                    "by_route": {k.value: n for k, n in f.by_route.items()}})


@bp.get("/cycles/<int:cycle_id>/invitations")
@require_roles(*ALL)
@operation(query=sc.InvitationsQuery, responses={200: sc.InvitationPage})
def invitations(cycle_id: int, query: sc.InvitationsQuery):
    """Invitation letters and their delivery (A6.1); a liaison sees only their school. Paged by
    ``cursor`` (the ``next_cursor`` of the previous page), in id order."""
    from portal.selection.lists import decode_cursor, encode_cursor

    stmt = sa.select(Invitation).where(Invitation.cycle_id == v.get_cycle(cycle_id).id,
                                       v.scope().clause(Invitation.school_id)).order_by(Invitation.id)
    if query.cursor:
        stmt = stmt.where(Invitation.id > decode_cursor(query.cursor, arity=1)[0])
    items = list(db.session.scalars(stmt.limit(query.per_page + 1)))
    more = len(items) > query.per_page
    items = items[:query.per_page]
    return jsonify({"items": [invitation_json(i) for i in items],
                    "next_cursor": encode_cursor((items[-1].id,)) if more and items else None})


@bp.post("/cycles/<int:cycle_id>/invitations")
@require_roles(*ROLE_STAFF)
@operation(body=sc.InvitationsIn, responses={201: sc.InvitationList, 202: sc.JobStartedOut})
@once
def create_invitations(cycle_id: int, body: sc.InvitationsIn):
    """Invite schools by id, by province or from the rotation roster (A4, A6.1).

    Up to 200 schools are invited at once (201, the invitations); more (a province, the
    nation) by a background job (202, the job: poll ``/jobs/<id>``)."""
    c = v.get_cycle(cycle_id)
    mode = body.mode
    if mode == "rotation":
        ops.ensure_rotation_roster(g.tenant, on=c.opened_on, actor=_actor())
        ids = {e.union.school_id for e in ops.rotation_due(c.rotation_quota, on=c.opened_on)}
        route = Route.rotation
    elif mode == "province":
        from portal.reference.models import School

        ids = set(db.session.scalars(sa.select(School.id).where(School.province_code == str(body.province))))
        route = body.route
    else:
        ids, route = set(body.school_ids), body.route
    created, job, started = ops.invite_many(c, ids, route, actor=_actor(), send=body.send)
    if created is None:
        return jsonify({"job": job.as_json(), "started": started}), 202
    out = {"items": [invitation_json(i) for i in created]}
    if job is not None:  # A6.1: the letters go out in a background job
        out["job"] = job.as_json()
    return jsonify(out), 201


@bp.post("/cycles/<int:cycle_id>/invitations/send")
@require_roles(*ROLE_STAFF)
@operation(responses={202: sc.JobStartedOut})
@once
def send_invitations(cycle_id: int):
    """Send every unsent letter of the cycle (A6.1): a background job; poll ``/jobs/<id>``."""
    job, started = ops.send_all_invitations(v.get_cycle(cycle_id), actor=_actor())
    return jsonify({"job": job.as_json(), "started": started}), 202


@bp.post("/invitations/<int:inv_id>/send")
@require_roles(*ROLE_STAFF)
@operation(responses={200: sc.InvitationOut})
@once
def send_invitation(inv_id: int):
    """Generate the letter (DOCX+PDF) and notify the school (A6.1)."""
    return jsonify(invitation_json(ops.send_invitation(v.get_invitation(inv_id), actor=_actor())))


@bp.post("/invitations/<int:inv_id>/acknowledge")
@require_roles(Role.school_liaison, *ROLE_STAFF)
@operation(responses={200: sc.InvitationOut})
@once
def acknowledge(inv_id: int):
    """The school acknowledges the letter (A6.1)."""
    return jsonify(invitation_json(ops.mark_invitation(v.get_invitation(inv_id), "acknowledged", actor=_actor())))


@bp.post("/invitations/<int:inv_id>/delivery")
@require_roles(*ROLE_STAFF)
@operation(body=sc.DeliveryIn, responses={200: sc.InvitationOut})
def delivery(inv_id: int, body: sc.DeliveryIn):
    """Record that the letter reached the school by fax, post or in person (A6.1)."""
    inv = ops.record_manual_delivery(v.get_invitation(inv_id), body.method, ops.beijing_to_utc(body.delivered_at),
                                     body.handed_by, body.received_by, body.note, actor=_actor())
    return jsonify(invitation_json(inv))


@bp.post("/invitations/<int:inv_id>/extra")
@require_roles(*ROLE_STAFF)
@operation(body=sc.ExtraIn, responses={200: sc.InvitationOut})
@once
def extra(inv_id: int, body: sc.ExtraIn):
    """Allow more nominees than the rule with a recorded reason (A6.2)."""
    inv = ops.allow_extra_nominees(v.get_invitation(inv_id), body.extra, body.reason, actor=_actor())
    return jsonify(invitation_json(inv))


@bp.post("/invitations/<int:inv_id>/nominations")
@require_roles(Role.school_liaison, *ROLE_STAFF)
@operation(body=sc.NominationIn, responses={201: sc.NominationOut})
@once
def create_nomination(inv_id: int, body: sc.NominationIn):
    """Create a draft nomination; 422 with per-field Chinese errors (A6.2)."""
    inv = v.get_invitation(inv_id)
    values, errors = ops.clean_nomination(inv, body.model_dump())
    if errors:
        raise DomainError("推荐材料有误", status=422, code="invalid_fields",
                          details={ops.LABELS[k]: m for k, m in errors.items()})
    return jsonify(nomination_json(ops.create_nomination(inv, values, actor=_actor(), source="api"))), 201


@bp.post("/invitations/<int:inv_id>/upload")
@require_roles(Role.school_liaison, *ROLE_STAFF)
@operation(files=("file",), responses={201: sc.ImportCreated})
@once
def upload(inv_id: int):
    """Upload the school's xlsx; all rows valid or nothing stored (A6.2)."""
    inv = v.get_invitation(inv_id)
    return _import_response(v.upload_nominations(inv), "selection.upload_errors", inv_id=inv.id)


@bp.post("/cycles/<int:cycle_id>/nominations/import")
@require_roles(Role.secretariat_admin)
@operation(files=("file",), responses={201: sc.ImportCreated})
@once
def import_nominations(cycle_id: int):
    """Import the secretariat's workbook of the cycle's nominations; all rows valid or nothing stored (A6.2)."""
    c = v.get_cycle(cycle_id)
    return _import_response(v.import_cycle_workbook(c), "selection.cycle_import_errors", cycle_id=c.id)


def _import_response(result: dict, marked_endpoint: str, **ids):
    """201 with the new ids, or 422 naming every bad row (and the error-marked copy)."""
    if result["errors"]:
        g._no_commit = True
        details = {"errors": result["errors"]}
        if result["error_file"]:
            from flask import url_for

            details["marked_file"] = url_for(marked_endpoint, token=result["error_file"], **ids)
        raise DomainError("文件中有错误，未导入任何内容", status=422, code="invalid_rows", details=details)
    return jsonify({"created": result["created"], "ids": result["ids"], "read_as": result.get("read_as", [])}), 201


@bp.get("/cycles/<int:cycle_id>/nominations")
@require_roles(*ALL)
@operation(query=sc.NominationsQuery, responses={200: sc.NominationPage})
def nominations(cycle_id: int, query: sc.NominationsQuery):
    """Paginated nominations, masked ID numbers; scoped by role (A6.2, A6.3)."""
    c = v.get_cycle(cycle_id)
    seen = v.scope()
    if not seen.sees_any:
        abort(403)
    status = query.status.value if query.status else None
    page, per = query.page, min(MAX_PER_PAGE, query.per_page)
    p = ops.nominations_list(c, scope=seen, status=status, province=query.province or None, q=query.q or None,
                             cursor=query.cursor or None, page=page, per_page=per)
    return jsonify({"items": [nomination_json(n) for n in p.items], "page": page, "per_page": per, "total": p.total,
                    "next_cursor": getattr(p, "next_cursor", None)})


@bp.get("/nominations/<int:nom_id>")
@require_roles(*ALL)
@operation(responses={200: sc.NominationDetailOut})
def nomination(nom_id: int):
    """One nomination with eligibility checks, reviews and allowed transitions."""
    return jsonify(nomination_json(v.get_nomination(nom_id), detail=True))


@bp.post("/nominations/<int:nom_id>/submit")
@require_roles(Role.school_liaison, *ROLE_STAFF)
@operation(responses={200: sc.NominationOut})
@once
def submit(nom_id: int):
    """Submit a draft; 409 past the deadline or over the school's limit (A6.2)."""
    return jsonify(nomination_json(ops.submit_nomination(v.get_nomination(nom_id), actor=_actor(), roles=g.roles)))


@bp.post("/nominations/<int:nom_id>/eligibility")
@require_roles(*ROLE_STAFF)
@operation(responses={200: sc.NominationDetailOut})
@once
def eligibility(nom_id: int):
    """Run the automatic eligibility checks A5.1, A5.2, A5.5 (A5)."""
    n = v.get_nomination(nom_id)
    ops.run_eligibility(n, v.get_cycle(n.cycle_id), actor=_actor())
    return jsonify(nomination_json(n, detail=True))


@bp.post("/nominations/<int:nom_id>/attest")
@require_roles(*ROLE_STAFF)
@operation(body=sc.AttestIn, responses={200: sc.NominationDetailOut})
@once
def attest(nom_id: int, body: sc.AttestIn):
    """Attest A5.3 or A5.4 with evidence (A5)."""
    n = v.get_nomination(nom_id)
    ops.attest(n, body.item, body.passed, body.evidence, actor=_actor())
    return jsonify(nomination_json(n, detail=True))


@bp.post("/nominations/<int:nom_id>/transitions/<name>")
@require_roles(*ALL)
@operation(body=sc.TransitionIn, responses={200: sc.NominationDetailOut})
@once
def transition(nom_id: int, name: str, body: sc.TransitionIn):
    """Make one of the transitions declared generic (confirm_eligibility, start_review, complete_review,
    propose, unpropose — its note is the required reason —, withdraw); every declared guard applies."""
    if workflow.NOMINATION.generic(name) is None:  # the declared allowlist
        abort(404)
    n = v.get_nomination(nom_id)
    workflow.apply(n, name, actor=_actor(), roles=g.roles, note=body.note)
    return jsonify(nomination_json(n, detail=True))


@bp.post("/nominations/<int:nom_id>/reviews")
@require_roles(Role.provincial_reviewer, *ROLE_STAFF)
@operation(body=sc.ReviewIn, responses={200: sc.NominationDetailOut})
@once
def review(nom_id: int, body: sc.ReviewIn):
    """Sign the qualification review and inspection report (A6.3)."""
    n = v.get_nomination(nom_id)
    ops.sign_review(n, body.level, qualified=body.qualified, notes=body.notes, report=body.report,
                    actor=_actor(), memberships=g.memberships)
    return jsonify(nomination_json(n, detail=True))


@bp.post("/nominations/<int:nom_id>/scores")
@require_roles(*ROLE_STAFF)
@operation(body=sc.ScoresIn, responses={200: sc.NominationOut})
@once
def scores(nom_id: int, body: sc.ScoresIn):
    """Enter exam and/or interview scores (A6.4)."""
    n = v.get_nomination(nom_id)
    if body.exam_score is not None:
        ops.enter_exam_score(n, body.exam_score, actor=_actor())
    if body.interview_score is not None:
        ops.set_interview_score(n, body.interview_score, actor=_actor())
    return jsonify(nomination_json(n))


@bp.post("/nominations/<int:nom_id>/disqualify")
@require_roles(*ROLE_STAFF)
@operation(body=sc.DisqualifyIn, responses={200: sc.DisqualifyOut})
@once
def disqualify(nom_id: int, body: sc.DisqualifyIn):
    """Disqualify at any stage with reason and evidence; school notified (A7)."""
    n = v.get_nomination(nom_id)
    d = ops.disqualify(n, body.reason, body.evidence, actor=_actor(), roles=g.roles)
    return jsonify(nomination_json(n) | {"slot_action": d.slot_action, "replacement_id": d.replacement_id})


@bp.post("/cycles/<int:cycle_id>/panels")
@require_roles(*ROLE_STAFF)
@operation(body=sc.PanelDrawIn, responses={201: sc.PanelOut})
@once
def draw_panel(cycle_id: int, body: sc.PanelDrawIn):
    """Draw an interview panel by lot excluding conflicts; seed recorded (A6.4)."""
    c = v.get_cycle(cycle_id)
    for p in body.panelists:
        ops.add_panelist(c, name=p.name, affiliation=p.affiliation, school_id=p.school_id,
                         province_code=p.province_code, actor=_actor())
    noms = db.session.scalars(sa.select(Nomination).where(Nomination.cycle_id == c.id, Nomination.id.in_(
        body.nomination_ids))).all()
    panel = ops.draw_panel(c, body.name, list(noms), actor=_actor(), seed=body.seed)
    return jsonify({"id": panel.id, "seed": panel.draw_seed, "draw": panel.draw_record}), 201


@bp.post("/cycles/<int:cycle_id>/rank")
@require_roles(*ROLE_STAFF)
@operation(responses={200: sc.NominationList})
@once
def rank(cycle_id: int):
    """Weighted totals and ranking with 保研 preference and tie-break (A6.4)."""
    ranked = ops.rank_cycle(v.get_cycle(cycle_id), actor=_actor(), roles=g.roles)
    return jsonify({"items": [nomination_json(n) for n in ranked]})


@bp.post("/cycles/<int:cycle_id>/propose")
@require_roles(*ROLE_STAFF)
@operation(body=sc.ProposeIn, responses={200: sc.NominationList})
@once
def propose(cycle_id: int, body: sc.ProposeIn):
    """Put ranked candidates on the proposed list, within the quota (A6.5)."""
    noms = ops.propose(v.get_cycle(cycle_id), body.nomination_ids, actor=_actor(), roles=g.roles)
    return jsonify({"items": [nomination_json(n) for n in noms]})


@bp.post("/cycles/<int:cycle_id>/decision")
@require_roles(Role.approver)
@operation(body=sc.DecisionIn, responses={200: sc.ApprovalOut})
@once
def decide(cycle_id: int, body: sc.DecisionIn):
    """The approving body named in the rules approves or returns the list (A6.5)."""
    a = ops.decide(v.get_cycle(cycle_id), body.approved, body.note, actor=_actor(), roles=g.roles,
                   document_number=body.document_number, decision_date=body.decision_date)
    return jsonify({"id": a.id, "approving_body": a.body_name, "approved": a.status.value == "approved",
                    "nomination_ids": (a.payload or {}).get("nomination_ids", []),
                    "document_number": a.document_number,
                    "decision_date": a.decision_date.isoformat() if a.decision_date else None,
                    "reason": a.reason})


@bp.post("/cycles/<int:cycle_id>/notice")
@require_roles(*ROLE_STAFF)
@operation(body=sc.NoticeIn, responses={201: sc.NoticeOut})
@once
def open_notice(cycle_id: int, body: sc.NoticeIn):
    """Open the public notice; end date = min working days from the rules (A6.5)."""
    n = ops.open_notice(v.get_cycle(cycle_id), actor=_actor(), roles=g.roles, starts_on=body.starts_on)
    return jsonify({"id": n.id, "starts_on": n.starts_on.isoformat(), "ends_on": n.ends_on.isoformat(),
                    "min_workdays": n.min_workdays, "nomination_ids": n.nomination_ids}), 201


@bp.get("/cycles/<int:cycle_id>/objections")
@require_roles(*ROLE_STAFF)
@operation(responses={200: sc.ObjectionList})
def objections(cycle_id: int):
    """Objections received during the notice (A6.5)."""
    c = v.get_cycle(cycle_id)
    notice = ops.current_notice(c)
    rows = db.session.scalars(sa.select(Objection).where(Objection.notice_id == notice.id)).all() if notice else []
    return jsonify({"items": [{"id": o.id, "nomination_id": o.nomination_id, "content": o.content,
                               "status": o.status.value, "outcome": o.outcome} for o in rows]})


@bp.post("/objections/<int:obj_id>/resolve")
@require_roles(*ROLE_STAFF)
@operation(body=sc.ResolveIn, responses={200: sc.ResolvedOut})
@once
def resolve(obj_id: int, body: sc.ResolveIn):
    """Record the investigation outcome: upheld or rejected (A6.5)."""
    o = ops.resolve_objection(db.get_or_404(Objection, obj_id), body.upheld, body.outcome, actor=_actor())
    return jsonify({"id": o.id, "status": o.status.value, "outcome": o.outcome})


@bp.post("/cycles/<int:cycle_id>/confirm")
@require_roles(*ROLE_STAFF)
@operation(body=sc.ConfirmIn, responses={200: sc.ChairList})
@once
def confirm(cycle_id: int, body: sc.ConfirmIn):
    """Confirm appointments after the window closed with no objection upheld (A6.5)."""
    chairs = ops.confirm_appointments(v.get_cycle(cycle_id), actor=_actor(), roles=g.roles,
                                      term_start=body.term_start)
    return jsonify({"items": [{"id": c.id, "name": c.name, "nomination_id": c.nomination_id,
                               "term_start": c.term_start.isoformat(), "term_end": c.term_end.isoformat()}
                              for c in chairs]})


# --- rotation roster (A4) --------------------------------------------------------------------

def rotation_json(e: RotationEntry, turn: int) -> dict:
    return {"id": e.id, "turn": turn, "position": e.position, "union": {"id": e.union_id, "name": e.union.name},
            "school": {"id": e.union.school_id, "name": e.union.school.name}, "served_years": e.years,
            "last_served_year": e.last_served_year, "times_served": len(e.years)}


def _roster():
    return jsonify({"items": [rotation_json(e, i) for i, e in enumerate(ops.rotation_roster(), 1)]})


@bp.get("/rotation")
@require_roles(*ROLE_STAFF)
@operation(responses={200: sc.RotationList})
def rotation():
    """The rotation roster of presidium member organizations in turn order (A4)."""
    return _roster()


@bp.post("/rotation/sync")
@require_roles(*ROLE_STAFF)
@operation(body=sc.RotationSyncIn, responses={200: sc.RotationList})
@once
def rotation_sync(body: sc.RotationSyncIn):
    """Add presidium member organizations missing from the roster (A4)."""
    from portal.core import clock

    ops.ensure_rotation_roster(g.tenant, on=body.on or clock.today(), actor=_actor())
    return _roster()


@bp.post("/rotation/<int:entry_id>/move")
@require_roles(*ROLE_STAFF)
@operation(body=sc.RotationMoveIn, responses={200: sc.RotationList})
@once
def rotation_move(entry_id: int, body: sc.RotationMoveIn):
    """Move an organization up or down among those with the same last rotation year (A4)."""
    ops.move_rotation_entry(db.get_or_404(RotationEntry, entry_id), body.direction, actor=_actor())
    return _roster()


@bp.post("/rotation/<int:entry_id>/served")
@require_roles(*ROLE_STAFF)
@operation(body=sc.RotationServedIn, responses={200: sc.RotationList})
@once
def rotation_served(entry_id: int, body: sc.RotationServedIn):
    """Record (or with "remove": true, delete) the academic year an organization served (A4)."""
    e = db.get_or_404(RotationEntry, entry_id)
    if body.remove:
        ops.unmark_rotation_served(e, body.academic_year, actor=_actor())
    else:
        ops.mark_rotation_served(e, body.academic_year, actor=_actor(), note=body.note)
    return _roster()


# --- panel: pool, conflicts, per-panelist scores (A6.4) ---------------------------------------

def _panelist(cycle: SelectionCycle, panelist_id: int) -> Panelist:
    p = db.session.scalar(sa.select(Panelist).where(Panelist.id == panelist_id,
                                                    Panelist.cycle_id == cycle.id))
    if p is None:
        raise DomainError("没有这位评委", status=404, code="not_found")
    return p


@bp.get("/cycles/<int:cycle_id>/panelists")
@require_roles(*ROLE_STAFF)
@operation(responses={200: sc.PanelistList})
def panelists(cycle_id: int):
    """The cycle's pool of interviewers, their panels and declared conflicts (A6.4)."""
    c = v.get_cycle(cycle_id)
    conflicts = ops.conflicts_of(c.id)
    rows = db.session.scalars(sa.select(Panelist).where(Panelist.cycle_id == c.id).order_by(Panelist.id))
    return jsonify({"items": [{"id": p.id, "name": p.name, "affiliation": p.affiliation, "school_id": p.school_id,
                               "province_code": p.province_code, "panel_id": p.panel_id,
                               "conflicts": [{"nomination_id": x.nomination_id, "reason": x.reason}
                                             for x in conflicts if x.panelist_id == p.id]} for p in rows]})


@bp.post("/cycles/<int:cycle_id>/panelists")
@require_roles(*ROLE_STAFF)
@operation(body=sc.NewPanelistIn, responses={201: sc.PanelistCreated})
@once
def add_panelist(cycle_id: int, body: sc.NewPanelistIn):
    """Add an interviewer to the cycle's pool (A6.4)."""
    c = v.get_cycle(cycle_id)
    if not body.name.strip() or not body.affiliation.strip():
        raise DomainError("请填写评委姓名和单位", status=422, code="invalid_fields",
                          details={k: "不能为空" for k in ("name", "affiliation") if not getattr(body, k).strip()})
    p = ops.add_panelist(c, name=body.name, affiliation=body.affiliation, school_id=body.school_id,
                         province_code=body.province_code, actor=_actor())
    return jsonify({"id": p.id, "name": p.name}), 201


@bp.post("/cycles/<int:cycle_id>/conflicts")
@require_roles(*ROLE_STAFF)
@operation(body=sc.ConflictIn, responses={201: sc.ConflictOut})
@once
def declare_conflict(cycle_id: int, body: sc.ConflictIn):
    """Declare a panelist's conflict of interest with a candidate (A6.4, A7)."""
    c = v.get_cycle(cycle_id)
    nom = db.session.scalar(sa.select(Nomination).where(Nomination.id == body.nomination_id,
                                                        Nomination.cycle_id == c.id))
    if nom is None:
        raise DomainError("没有这名人选", status=404, code="not_found")
    x = ops.declare_conflict(_panelist(c, body.panelist_id), nom, body.reason, actor=_actor())
    return jsonify({"id": x.id, "panelist_id": x.panelist_id, "nomination_id": x.nomination_id,
                    "reason": x.reason}), 201


def sheet_json(n: Nomination) -> dict:
    return {"nomination_id": n.id, "interview_score": _num(n.interview_score),
            "rubric": [{"item": label, "weight": w} for label, w in ops.rubric(v.get_cycle(n.cycle_id))],
            "panelists": [{"id": r.panelist.id, "name": r.panelist.name, "recused": r.recused,
                           "score": _num(r.score.score) if r.score else None,
                           "criteria": r.score.criteria if r.score else None} for r in ops.score_sheet(n)]}


@bp.get("/nominations/<int:nom_id>/interview-scores")
@require_roles(*ROLE_STAFF)
@operation(responses={200: sc.SheetOut})
def interview_scores(nom_id: int):
    """The candidate's interview sheet: each panelist's score or recusal (A6.4)."""
    return jsonify(sheet_json(v.get_nomination(nom_id)))


@bp.post("/nominations/<int:nom_id>/interview-scores")
@require_roles(*ROLE_STAFF)
@operation(body=sc.InterviewScoresIn, responses={200: sc.SheetOut})
@once
def record_interview_scores(nom_id: int, body: sc.InterviewScoresIn):
    """Record panelists' rubric scores {"scores": {panelist_id: {item: score}}}; mean of the panel (A6.4)."""
    n = v.get_nomination(nom_id)
    ops.record_interview_scores(n, {int(k): val for k, val in body.scores.items() if k.isdigit() and len(k) < 10},
                                actor=_actor())
    return jsonify(sheet_json(n))
