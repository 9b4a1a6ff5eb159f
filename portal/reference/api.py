"""Schools and their unions (A2) as JSON: /api/v1/<tenant>/schools..."""
from __future__ import annotations

from flask import abort, g, jsonify, request
from flask_login import current_user

from portal.api import schemas as sc
from portal.api.common import api_blueprint
from portal.api.schemas import operation
from portal.core.errors import DomainError
from portal.core.permissions import ROLE_ADMIN, ROLE_STAFF, require_roles
from portal.extensions import db
from portal.reference import operations as reference_ops
from portal.reference.models import School
from portal.reference.views import schools_query

bp = api_blueprint("reference_api", __name__, "/api/v1/<tenant>")


def school_json(s: School) -> dict:
    return {
        "id": s.id, "code": s.code, "name": s.name, "province_code": s.province_code,
        "province": s.province.name,
        "unions": [
            {"id": u.id, "kind": u.kind.value, "name": u.name,
             "presidium_terms": [
                 {"id": m.id, "term": m.term_label, "start": m.term_start.isoformat(),
                  "end": m.term_end.isoformat() if m.term_end else None} for m in u.memberships]}
            for u in s.unions
        ],
    }


@bp.get("/schools")
@require_roles(*ROLE_STAFF)
@operation(query=sc.SchoolsQuery, responses={200: sc.SchoolPage})
def schools(query: sc.SchoolsQuery):
    page, per_page = query.page, min(200, query.per_page)
    p = db.paginate(schools_query(query.province, query.q), page=page, per_page=per_page, error_out=False)
    return jsonify({"items": [school_json(s) for s in p.items], "page": page, "per_page": per_page,
                    "total": p.total})


@bp.get("/schools/<int:school_id>")
@require_roles(*ROLE_STAFF)
@operation(responses={200: sc.SchoolOut})
def school(school_id: int):
    s = db.session.scalar(schools_query().where(School.id == school_id))
    if s is None:
        abort(404)
    return jsonify(school_json(s))


@bp.post("/schools/import")
@require_roles(*ROLE_ADMIN)
@operation(files=("file",), responses={201: sc.SchoolImportOut})
def import_schools():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise DomainError("请上传 .xlsx 或 .csv 文件", code="missing_file")
    report = reference_ops.import_schools(g.tenant, upload.filename, upload.read(),
                                          current_user._get_current_object())
    if not report.ok:
        g._no_commit = True
        return jsonify({"error": {"status": 422, "code": "invalid_rows", "message": "文件中有错误，未导入任何内容",
                                  "details": report.as_json()}}), 422
    return jsonify(report.as_json()), 201
