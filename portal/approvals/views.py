"""The approvals queue (web and API): approvers decide; the secretariat follows its requests."""
from __future__ import annotations

import datetime as dt
from typing import Literal

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.api.common import api_blueprint
from portal.api.schemas import Body, Out, operation, text
from portal.core import approvals
from portal.core.approvals import ApprovalRequest, ApprovalStatus
from portal.core.errors import DomainError
from portal.core.permissions import require_roles
from portal.extensions import db
from portal.core.clock import utc_iso
from tenants.context import has_role
from tenants.models import Role

bp = Blueprint("approvals", __name__, url_prefix="/<tenant>/approvals", template_folder="templates")
api_bp = api_blueprint("approvals_api", __name__, "/api/v1/<tenant>/approvals")

VIEWERS = (Role.approver, Role.secretariat_admin, Role.secretariat_staff)
PER_PAGE = 50


def badge() -> int:
    """Pending requests this user may decide (the navigation's badge)."""
    return approvals.pending_count(g.get("roles", frozenset()))


def todo(memberships):
    """The approver's home: requests waiting for its decision."""
    from portal.core.todo import Todo

    roles = frozenset(m.role for m in memberships if getattr(m, "active", True))
    if "approver" not in {str(r) for r in roles}:
        return []
    return [Todo("approver", _("待审批的请示"), count=approvals.pending_count(roles), url=url_for("approvals.index"))]


def _get(request_id: int) -> ApprovalRequest:
    req = db.session.scalar(sa.select(ApprovalRequest).where(ApprovalRequest.id == request_id))
    if req is None:
        abort(404)
    return req


def _may_decide(req: ApprovalRequest) -> bool:
    kind = approvals.KINDS.get(req.kind)
    return kind is not None and has_role(*[Role(r) for r in kind.decider_roles])


def _date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(f"日期格式应为 YYYY-MM-DD，收到「{str(value)[:20]}」", field="decision_date") from None


def _status_arg():
    raw = request.args.get("status", "pending")
    if raw == "all":
        return None
    return ApprovalStatus(raw) if raw in ApprovalStatus.__members__ else ApprovalStatus.pending


@bp.route("/")
@require_roles(*VIEWERS)
def index():
    status = _status_arg()
    page = db.paginate(approvals.queue(status), page=max(1, request.args.get("page", 1, type=int)),
                       per_page=PER_PAGE, error_out=False)
    return render_template("approvals/index.html", pagination=page, status=status.value if status else "all",
                           kinds=approvals.KINDS)


@bp.route("/<int:request_id>")
@require_roles(*VIEWERS)
def detail(request_id: int):
    req = _get(request_id)
    return render_template("approvals/detail.html", req=req, kind=approvals.KINDS.get(req.kind),
                           may_decide=_may_decide(req))


@bp.route("/<int:request_id>/decide", methods=["POST"])
@require_roles(*VIEWERS)
def decide(request_id: int):
    req = _get(request_id)
    if not _may_decide(req):
        abort(403, description="您的角色无权审批此事项")
    f = request.form
    upload = request.files.get("scan")
    scan = (upload.filename, upload.read()) if upload is not None and upload.filename else None
    try:
        approvals.decide(req, f.get("decision") == "approve", actor=current_user._get_current_object(),
                         reason=f.get("reason"), document_number=f.get("document_number"),
                         decision_date=_date(f.get("decision_date")), scan=scan)
    except DomainError as exc:
        db.session.rollback()
        g._no_commit = True
        flash(exc.message, "error")
        return render_template("approvals/detail.html", req=_get(request_id), kind=approvals.KINDS.get(req.kind),
                               may_decide=True, form=f.to_dict()), exc.status
    flash(f"已记录审批结果：{req.status_label}", "success")
    return redirect(url_for("approvals.detail", request_id=req.id)), 303


class ApprovalOut(Out):
    id: int
    kind: str
    title: str
    status: str
    status_label: str


class ApprovalPage(Out):
    items: list[ApprovalOut]
    total: int
    page: int


class ApprovalsQuery(Body):
    status: text(max_len=20) | None = None
    page: int = 1


class DecideIn(Body):
    decision: Literal["approve", "refuse"]
    reason: text(max_len=2000) | None = None
    document_number: text(max_len=60) | None = None
    decision_date: dt.date | None = None


def request_json(req: ApprovalRequest) -> dict:
    iso = utc_iso
    return {"id": req.id, "kind": req.kind, "title": req.title, "summary": req.summary,
            "subject": {"type": req.subject_type, "id": req.subject_id}, "payload": req.payload,
            "body": {"rule": req.body_rule_key, "name": req.body_name}, "article": req.article,
            "status": req.status.value, "status_label": req.status_label,
            "requested_at": iso(req.requested_at), "decided_at": iso(req.decided_at), "reason": req.reason,
            "document_number": req.document_number,
            "decision_date": req.decision_date.isoformat() if req.decision_date else None,
            "scan": {"type": req.scan_type, "sha256": req.scan_sha256} if req.scan_sha256 else None}


@api_bp.get("")
@require_roles(*VIEWERS)
@operation(query=ApprovalsQuery, responses={200: ApprovalPage})
def api_list(query: ApprovalsQuery):
    page = max(1, query.page)
    p = db.paginate(approvals.queue(_status_arg()), page=page, per_page=PER_PAGE, error_out=False)
    return jsonify({"items": [request_json(r) for r in p.items], "total": p.total, "page": page})


@api_bp.get("/<int:request_id>")
@require_roles(*VIEWERS)
@operation(responses={200: ApprovalOut})
def api_detail(request_id: int):
    return jsonify(request_json(_get(request_id)))


@api_bp.post("/<int:request_id>/decide")
@require_roles(*VIEWERS)
@operation(body=DecideIn, responses={200: ApprovalOut})
def api_decide(request_id: int, body: DecideIn):
    req = _get(request_id)
    if not _may_decide(req):
        abort(403, description="您的角色无权审批此事项")
    approvals.decide(req, body.decision == "approve", actor=current_user._get_current_object(),
                     reason=body.reason, document_number=body.document_number, decision_date=body.decision_date)
    return jsonify(request_json(req))
