from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from portal.api.common import api_blueprint
from portal.api.schemas import Body, Out, operation, text
from portal.core.calendar import HolidayYear, calendar
from portal.core.errors import DomainError
from portal.core.permissions import ROLE_ADMIN, require_roles
from portal.core.workdays import NoCalendarData
from portal.extensions import db
from portal.workdays.operations import HolidayImportError, import_holiday_year

bp = Blueprint("workdays", __name__, url_prefix="/<tenant>/workdays", template_folder="templates")
api_bp = api_blueprint("workdays_api", __name__, "/api/v1/<tenant>/workdays")


def _years():
    cal = calendar()
    imported = {y.year: y for y in db.session.scalars(sa.select(HolidayYear).order_by(HolidayYear.year))}
    return [{"year": y, "source": imported[y].source if y in imported else "chinese_calendar 库",
             "imported": y in imported,
             "imported_at": imported[y].imported_at if y in imported else None}
            for y in cal.covered_years()]


@bp.route("/")
def index():
    result = error = None
    start, n = request.args.get("start", ""), request.args.get("n", "")
    if start:
        try:
            day = dt.date.fromisoformat(start)
            count = int(n)
            if abs(count) > 1000:
                raise ValueError
            result = {"start": day, "n": count, "end": calendar().add_workdays(day, count)}
        except NoCalendarData as exc:
            error = str(exc)
        except ValueError:
            error = "请输入日期（YYYY-MM-DD）和不超过 1000 的工作日天数"
    return render_template("workdays/index.html", years=_years(), result=result, error=error,
                           start=start, n=n, can_import=g.tenant.is_national)


@bp.route("/import", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def import_year():
    upload = request.files.get("file")
    try:
        year = int(request.form.get("year", ""))
    except ValueError:
        year = None
    try:
        if year is None:
            raise HolidayImportError("请填写年份")
        if upload is None or not upload.filename:
            raise HolidayImportError("请上传 CSV 或 XLSX 文件")
        row = import_holiday_year(g.tenant, year, upload.filename, upload.read(),
                                  request.form.get("source", ""), current_user._get_current_object())
    except DomainError as exc:
        g._no_commit = True
        flash(f"未导入：{exc.message}", "error")
        return render_template("workdays/index.html", years=_years(), result=None, error=None, start="",
                               n="", can_import=g.tenant.is_national), 422 if exc.status < 403 else exc.status
    flash(f"已导入 {year} 年节假日安排（{len(row.days)} 天）", "success")
    return redirect(url_for("workdays.index")), 303


class HolidaySourceForm(Body):
    source: text(HolidayYear.source) = ""


class YearOut(Out):
    year: int
    source: str
    imported: bool
    imported_at: str | None


class YearsOut(Out):
    years: list[YearOut]


class YearImportOut(Out):
    year: int
    source: str
    days: int


@api_bp.get("/years")
@operation(responses={200: YearsOut})
def api_years():
    return jsonify({"years": [{**y, "imported_at": y["imported_at"].isoformat() + "Z" if y["imported_at"] else None}
                              for y in _years()]})


@api_bp.post("/years/<int:year>")
@require_roles(*ROLE_ADMIN)
@operation(form=HolidaySourceForm, files=("file",), responses={201: YearImportOut})
def api_import(year: int, form: HolidaySourceForm):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise HolidayImportError("请上传 CSV 或 XLSX 文件（字段名 file）", code="missing_file")
    row = import_holiday_year(g.tenant, year, upload.filename, upload.read(), form.source,
                              current_user._get_current_object())
    return jsonify({"year": year, "source": row.source, "days": len(row.days)}), 201
