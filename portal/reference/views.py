from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal.core.errors import DomainError
from portal.core.permissions import ROLE_ADMIN, ROLE_STAFF, require_roles
from portal.extensions import db
from portal.reference import operations
from portal.reference.models import Province, School, StudentUnion

bp = Blueprint("reference", __name__, url_prefix="/<tenant>/schools", template_folder="templates")

PER_PAGE = 50


def schools_query(province: str | None = None, q: str | None = None):
    stmt = (
        sa.select(School)
        .options(selectinload(School.unions).selectinload(StudentUnion.memberships))
        .order_by(School.province_code, School.code)
    )
    if province:
        stmt = stmt.where(School.province_code == province)
    if q:
        stmt = stmt.where(sa.or_(School.name.contains(q), School.code.contains(q)))
    return stmt


@bp.route("/")
@require_roles(*ROLE_STAFF)
def index():
    province = request.args.get("province") or None
    q = (request.args.get("q") or "").strip() or None
    page = max(1, request.args.get("page", 1, type=int))
    pagination = db.paginate(schools_query(province, q), page=page, per_page=PER_PAGE, error_out=False)
    provinces = db.session.scalars(sa.select(Province).order_by(Province.code)).all()
    return render_template("reference/schools.html", pagination=pagination, provinces=provinces,
                           province=province, q=q or "")


@bp.route("/<int:school_id>")
@require_roles(*ROLE_STAFF)
def detail(school_id: int):
    school = db.session.scalar(
        schools_query().where(School.id == school_id)
    )
    if school is None:
        abort(404)
    return render_template("reference/school.html", school=school)


@bp.route("/import", methods=["GET", "POST"])
@require_roles(*ROLE_ADMIN)
def import_file():
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("请选择要导入的文件（.xlsx 或 .csv）", "error")
            return render_template("reference/import.html", report=None), 400
        try:
            report = operations.import_schools(g.tenant, upload.filename, upload.read(),
                                               current_user._get_current_object())
        except DomainError as exc:
            g._no_commit = True
            flash(exc.message, "error")
            return render_template("reference/import.html", report=None), 400
        if not report.ok:
            g._no_commit = True  # nothing from a file with a bad row is saved
            return render_template("reference/import.html", report=report), 400
        flash(f"导入成功：新增学校 {report.schools_created} 所，组织 {report.unions_created} 个，"
              f"主席团成员团体任期 {report.memberships_created} 条", "success")
        return redirect(url_for("reference.index"))
    return render_template("reference/import.html", report=report)


@bp.route("/import/template.xlsx")
@require_roles(*ROLE_ADMIN)
def import_template():
    from portal.documents.render import SheetSpec, content_disposition, write_xlsx

    data = write_xlsx([SheetSpec(title="学校与组织", headers=operations.IMPORT_HEADERS,
                                 rows=operations.template_rows())])
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": content_disposition("学校与组织导入模板.xlsx")})
