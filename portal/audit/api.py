"""The audit trail (A7) as JSON: /api/v1/<tenant>/audit..."""
from __future__ import annotations

from flask import jsonify

from portal.api import schemas as sc
from portal.api.common import api_blueprint
from portal.api.schemas import operation
from portal.core.audit import AuditRecord
from portal.core.permissions import ROLE_ADMIN, require_roles
from portal.extensions import db
from portal.core.clock import utc_iso

bp = api_blueprint("audit_api", __name__, "/api/v1/<tenant>")


@bp.get("/audit")
@require_roles(*ROLE_ADMIN)
@operation(query=sc.AuditQuery, responses={200: sc.AuditPage})
def audit_list(query: sc.AuditQuery):
    from portal.audit.views import filtered_query

    page = query.page
    p = db.paginate(filtered_query(query.model_dump(exclude_none=True)), page=page, per_page=100, error_out=False)
    return jsonify({"items": [audit_json(r) for r in p.items], "total": p.total, "page": page})


@bp.get("/audit/<int:record_id>")
@require_roles(*ROLE_ADMIN)
@operation(responses={200: sc.AuditRecordOut})
def audit_detail(record_id: int):
    return jsonify(audit_json(db.get_or_404(AuditRecord, record_id)))


def audit_json(r: AuditRecord) -> dict:
    return {"id": r.id, "seq": r.seq, "at": utc_iso(r.at), "actor": r.actor_label,
            "action": r.action, "object_type": r.object_type, "object_id": r.object_id,
            "article": r.article, "before": r.before, "after": r.after, "hash": r.hash,
            "prev_hash": r.prev_hash}
