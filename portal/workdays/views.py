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
from portal.workdays.operations import HolidayImportError, import_holiday_year, import_notice, read_notice
from portal.core.clock import utc_iso

bp = Blueprint("workdays", __name__, url_prefix="/<tenant>/workdays", template_folder="templates")
api_bp = api_blueprint("workdays_api", __name__, "/api/v1/<tenant>/workdays")


def _years():
    cal = calendar()
    imported = {y.year: y for y in db.session.scalars(sa.select(HolidayYear).order_by(HolidayYear.year))}
    return [{"year": y, "source": imported[y].source if y in imported else "chinese_calendar 库",
             "imported": y in imported,
             "imported_at": imported[y].imported_at if y in imported else None}
            for y in cal.covered_years()]


# The two counting conventions (README, "Working days"): 'after' excludes the start date,
# 'period' counts its first day, as a 公示期 that starts on the day of publication.
MODES = ("after", "period")


def calculate(day: dt.date, count: int, mode: str) -> dt.date:
    cal = calendar()
    if mode == "period":
        return cal.period_end(day, count)
    return cal.add_workdays(day, count)


def _page(status: int = 200, **extra):
    ctx = dict(years=_years(), result=None, error=None, start="", n="", mode="after",
               can_import=g.tenant.is_national, notice_text="", notice_year="", preview=None)
    ctx.update(extra)
    return render_template("workdays/index.html", **ctx), status


@bp.route("/")
def index():
    result = error = None
    start, n = request.args.get("start", ""), request.args.get("n", "")
    mode = request.args.get("mode", "after")
    if mode not in MODES:
        mode = "after"
    if start:
        try:
            day = dt.date.fromisoformat(start)
            count = int(n)
            if abs(count) > 1000 or (mode == "period" and count < 1):
                raise ValueError
            result = {"start": day, "n": count, "mode": mode, "end": calculate(day, count, mode)}
        except NoCalendarData as exc:
            error = str(exc)
        except ValueError:
            error = ("请输入日期（YYYY-MM-DD）和 1 到 1000 的工作日天数" if mode == "period"
                     else "请输入日期（YYYY-MM-DD）和不超过 1000 的工作日天数")
    return _page(result=result, error=error, start=start, n=n, mode=mode)


def _form_year():
    raw = (request.form.get("year") or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise HolidayImportError("年份应为四位数字", field="year") from None


@bp.route("/notice", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def notice():
    """Paste the State Council's notice: first a preview to confirm, then the import."""
    text = request.form.get("text", "")
    try:
        year = _form_year()
        if request.form.get("action") == "confirm":
            row = import_notice(g.tenant, text, year, current_user._get_current_object(),
                                source=request.form.get("source", ""))
            flash(f"已按通知导入 {row.year} 年节假日安排（{len(row.days)} 天）", "success")
            return redirect(url_for("workdays.index")), 303
        if not g.tenant.is_national:
            raise HolidayImportError("节假日安排全平台通用，只能由全国学联秘书处管理员导入", status=403)
        parsed = read_notice(text, year)
    except DomainError as exc:
        g._no_commit = True
        flash(f"未导入：{exc.message}", "error")
        return _page(422 if exc.status < 403 else exc.status, notice_text=text,
                     notice_year=request.form.get("year", ""))
    g._no_commit = True  # a preview stores nothing
    existing = db.session.get(HolidayYear, parsed.year)
    return _page(notice_text=text, notice_year=parsed.year, preview=_preview(parsed, existing))


def _preview(parsed, existing) -> dict:
    return {"year": parsed.year, "source": parsed.source, "items": parsed.items, "warnings": parsed.warnings,
            "holidays": len(parsed.data.holidays), "workdays": len(parsed.data.workdays),
            "replaces": existing.source if existing is not None else None}


@bp.route("/import", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def import_year():
    upload = request.files.get("file")
    try:
        year = _form_year()
        if year is None:
            raise HolidayImportError("请填写年份", field="year")
        if upload is None or not upload.filename:
            raise HolidayImportError("请上传 CSV 或 XLSX 文件", field="file")
        row = import_holiday_year(g.tenant, year, upload.filename, upload.read(),
                                  request.form.get("source", ""), current_user._get_current_object())
    except DomainError as exc:
        g._no_commit = True
        flash(f"未导入：{exc.message}", "error")
        return _page(422 if exc.status < 403 else exc.status)
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
    return jsonify({"years": [{**y, "imported_at": utc_iso(y["imported_at"])}
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


def _notice_json(parsed) -> dict:
    return {"year": parsed.year, "source": parsed.source, "document_number": parsed.document_number,
            "warnings": parsed.warnings,
            "holidays": [{"date": d.isoformat(), "name": n} for d, n in sorted(parsed.data.holidays.items())],
            "workdays": [{"date": d.isoformat(), "name": n} for d, n in sorted(parsed.data.workdays.items())],
            "items": [{"number": i.number, "name": i.name, "holidays": [d.isoformat() for d in i.holidays],
                       "workdays": [d.isoformat() for d in i.workdays]} for i in parsed.items]}


NoticeText = text(max_len=20_000, min_len=1)


class NoticeIn(Body):
    text: NoticeText
    year: int | None = None
    source: text(HolidayYear.source) | None = None


class NoticeImportIn(NoticeIn):
    confirm: bool = False


class NoticeDayOut(Out):
    date: str
    name: str


class NoticeItemOut(Out):
    number: str
    name: str
    holidays: list[str]
    workdays: list[str]


class NoticeOut(Out):
    year: int
    source: str
    document_number: str | None
    warnings: list[str]
    holidays: list[NoticeDayOut]
    workdays: list[NoticeDayOut]
    items: list[NoticeItemOut]


@api_bp.post("/notice/preview")
@require_roles(*ROLE_ADMIN)
@operation(body=NoticeIn, responses={200: NoticeOut})
def api_notice_preview(body: NoticeIn):
    """Parse the pasted notice and return what would be imported (nothing stored)."""
    if not g.tenant.is_national:
        raise HolidayImportError("节假日安排全平台通用，只能由全国学联秘书处管理员导入", status=403)
    g._no_commit = True
    return jsonify(_notice_json(read_notice(body.text, body.year)))


@api_bp.post("/notice")
@require_roles(*ROLE_ADMIN)
@operation(body=NoticeImportIn, responses={201: YearImportOut})
def api_notice_import(body: NoticeImportIn):
    """Import the year from the pasted notice; ``confirm: true`` says the preview was checked."""
    if body.confirm is not True:
        raise HolidayImportError("请先预览（/notice/preview）并确认后再导入（confirm: true）", status=422,
                                 code="invalid_fields", details={"confirm": "请先预览并确认"})
    row = import_notice(g.tenant, body.text, body.year, current_user._get_current_object(), source=body.source)
    return jsonify({"year": row.year, "source": row.source, "days": len(row.days)}), 201
