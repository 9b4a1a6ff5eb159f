"""Written-exam scores from the exam office's workbook (A6.4): template, validation, import.

Every row is checked before anything is written — the candidate must exist in this cycle
(by 推荐编号 or 身份证号, with the 姓名 as a cross-check), the score must lie in 0–100, and
the candidate must be through review and inspection (A6.3 before A6.4). One error anywhere
and nothing is stored; the report names each row and column.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask import (Blueprint, Response, abort, current_app, flash, g, jsonify, redirect, render_template, request,
                   send_file, url_for)
from flask_login import current_user

from portal.api.common import api_blueprint
from portal.api.schemas import operation
from portal.selection.schemas import ExamImportOut
from portal.core import audit
from portal.core.errors import DomainError
from portal.core.once import once
from portal.core.idcard import mask_id_number
from portal.core.permissions import ROLE_STAFF, require_roles
from portal.core.uploads import (
    UploadError, mark_errors_xlsx, parse_decimal_cell, parse_id_cell, parse_int_cell, parse_text_cell,
    MAX_REPORTED_ERRORS, read_xlsx_sheet, safe_filename, too_many_errors_note, uploaded_filename,
)
from portal.extensions import db
from portal.reference.models import School
from portal.selection import operations as ops
from portal.selection.models import Nomination, NominationStatus, SelectionCycle
from tenants.rules.registry import article_citation

SHEET = "笔试成绩"
COL_ID, COL_IDN, COL_NAME, COL_SCORE = "推荐编号", "身份证号", "姓名", "笔试成绩"
HEADERS = [COL_ID, COL_IDN, COL_NAME, COL_SCORE]
MAX_ROWS = 10_000


# --- operations ------------------------------------------------------------------------------

def _ready(cycle: SelectionCycle):
    # Who may sit the written exam now: through review and inspection (A6.3).
    return sa.and_(Nomination.cycle_id == cycle.id, Nomination.status == NominationStatus.reviewed)


def exam_candidates(cycle: SelectionCycle) -> list[Nomination]:
    return list(db.session.scalars(
        sa.select(Nomination).join(School, School.id == Nomination.school_id).where(_ready(cycle))
        .order_by(School.province_code, School.code, Nomination.id)))


def count_exam_candidates(cycle: SelectionCycle) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Nomination).where(_ready(cycle)))


def build_exam_template(cycle: SelectionCycle) -> bytes:
    """One row per candidate ready for the exam: 推荐编号 and 姓名 filled, the score to type."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from portal.core.sheets import append_row

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    append_row(ws, HEADERS)
    for c in ws[1]:
        c.font = Font(bold=True)
    for n in exam_candidates(cycle):
        append_row(ws, [n.id, None, n.name, float(n.exam_score) if n.exam_score is not None else None])
    for r in range(2, ws.max_row + 201):
        ws.cell(row=r, column=2).number_format = "@"  # ID numbers stay text (no lost digits)
    for col, width in zip("ABCD", (12, 24, 14, 12)):
        ws.column_dimensions[col].width = width
    info = wb.create_sheet("填写说明")
    for line in [
        f"{cycle.title} — 笔试成绩（{article_citation('A6.4')}）",
        "1. 每行一名人选；「推荐编号」与「身份证号」至少填写一项，两项都填时须指向同一人选。",
        "2. 「姓名」用于核对，须与系统中的姓名一致。",
        "3. 笔试成绩为 0–100 的数字，最多两位小数。",
        f"4. 只有已完成资格审查和考察的人选可以录入笔试成绩（{article_citation('A6.3')}）。",
        "5. 文件有任何错误则不会导入任何成绩；重新导入会覆盖此前录入的笔试成绩。",
    ]:
        append_row(info, [line])
    info.column_dimensions["A"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class ExamImport:
    errors: list[dict] = field(default_factory=list)  # {row, column, message}
    scores: list[tuple[Nomination, Decimal]] = field(default_factory=list)

    def error(self, row, column, message):
        self.errors.append({"row": row, "column": column, "message": message})


def _cell(result: ExamImport, r, header, parser, *args, **kw):
    try:
        return r.cell(header, parser, *args, **kw)
    except UploadError as exc:
        result.error(exc.row, exc.column, exc.message)
        return None


def check_exam_scores(cycle: SelectionCycle, data: bytes) -> ExamImport:
    """Read and validate every row; nothing is written. Raises UploadError for the file."""
    sheet = read_xlsx_sheet(data, SHEET, HEADERS, fast=True, max_rows=MAX_ROWS)
    if len(sheet) == 0:
        raise UploadError("文件中没有成绩数据", "empty")
    result = ExamImport()
    parsed = []
    for r in sheet:
        if len(result.errors) >= MAX_REPORTED_ERRORS:
            result.error(None, None, too_many_errors_note())
            break
        before = len(result.errors)
        nom_id = _cell(result, r, COL_ID, parse_int_cell, min_value=1, required=False)
        idn = _cell(result, r, COL_IDN, parse_id_cell, required=False)
        if nom_id is None and idn is None and len(result.errors) == before:
            result.error(r.row, COL_ID, "请填写推荐编号或身份证号")
        name = _cell(result, r, COL_NAME, parse_text_cell, 40)
        score = _cell(result, r, COL_SCORE, parse_decimal_cell, min_value=0, max_value=100, places=2)
        if len(result.errors) == before:
            parsed.append((r.row, nom_id, idn, name, score))

    # Two statements for the whole file, never one per row.
    ids = {p[1] for p in parsed if p[1] is not None}
    idns = {p[2] for p in parsed if p[2] is not None}
    by_id, by_idn = {}, {}
    base = sa.select(Nomination).where(Nomination.cycle_id == cycle.id)
    if ids:
        by_id = {n.id: n for n in db.session.scalars(base.where(Nomination.id.in_(sorted(ids))))}
    if idns:
        for n in db.session.scalars(base.where(Nomination.id_number.in_(sorted(idns)))
                                    .order_by(Nomination.status == NominationStatus.withdrawn)):
            by_idn.setdefault(n.id_number, n)  # a live nomination wins over a withdrawn one

    seen: dict[int, int] = {}
    for row, nom_id, idn, name, score in parsed:
        nom = by_id.get(nom_id) if nom_id is not None else by_idn.get(idn)
        if nom is None:
            col, what = (COL_ID, f"推荐编号为 {nom_id}") if nom_id is not None else (COL_IDN, f"身份证号为 {mask_id_number(idn)}")
            result.error(row, col, f"本次选拔中没有{what} 的人选")
            continue
        if nom_id is not None and idn is not None and nom.id_number != idn:
            result.error(row, COL_IDN, f"身份证号与推荐编号 {nom_id} 的人选不一致")
            continue
        if name != nom.name:
            result.error(row, COL_NAME, f"姓名与系统记录不一致：推荐编号 {nom.id} 的人选是「{nom.name}」")
            continue
        if nom.id in seen:
            result.error(row, COL_ID, f"与第 {seen[nom.id]} 行是同一名人选，每名人选只能有一行成绩")
            continue
        seen[nom.id] = row
        refusal = ops.exam_score_refusal(nom)
        if refusal:
            result.error(row, COL_SCORE, f"{nom.name}：{refusal}")
            continue
        result.scores.append((nom, score))
    result.errors.sort(key=lambda e: (e["row"] or 0, HEADERS.index(e["column"]) if e["column"] in HEADERS else 99))
    return result


def import_exam_scores(cycle: SelectionCycle, data: bytes, *, actor, filename: str = "") -> ExamImport:
    """All rows valid, or nothing stored. Each score is audited; so is the import itself (A6.4)."""
    try:
        result = check_exam_scores(cycle, data)
    except UploadError as exc:
        return ExamImport(errors=[{"row": exc.row, "column": exc.column, "message": exc.message}])
    if result.errors:
        return result
    for nom, score in result.scores:
        ops.enter_exam_score(nom, score, actor=actor)
    audit.record("exam.import", "selection_cycle", cycle.id, actor=actor, article="A6.4",
                 after={"file": safe_filename(filename), "sha256": hashlib.sha256(data).hexdigest(),
                        "rows": len(result.scores), "nomination_ids": [n.id for n, _ in result.scores]})
    return result


# --- page ------------------------------------------------------------------------------------

bp = Blueprint("selection_exam_import", __name__, url_prefix="/<tenant>/selection/cycles/<int:cycle_id>/exam-import",
               template_folder="templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cycle(cycle_id: int) -> SelectionCycle:
    return db.get_or_404(SelectionCycle, cycle_id)


def _errors_path(cycle: SelectionCycle, token: str) -> str:
    d = os.path.join(current_app.config["UPLOAD_FOLDER"], "import-errors")
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, f"exam-{cycle.tenant_id}-{cycle.id}-{token}.xlsx")


def _marked_copy(cycle: SelectionCycle, data: bytes, errors: list[dict]) -> str | None:
    """Keep the upload with its errors marked in red, for the user to fix and re-upload."""
    if not any(e["row"] for e in errors):
        return None
    token = uuid.uuid4().hex
    try:
        marked = mark_errors_xlsx(data, SHEET, [(e["row"], e["column"], e["message"]) for e in errors])
    except UploadError:
        return None
    with open(_errors_path(cycle, token), "wb") as fh:
        fh.write(marked)
    return token


def _upload() -> tuple[str, bytes]:
    f = request.files.get("file")
    if f is None or not f.filename:
        raise DomainError("请选择要上传的 .xlsx 文件", code="missing_file")
    return uploaded_filename(f), f.read()


@bp.route("/", methods=["GET", "POST"])
@require_roles(*ROLE_STAFF)
@once
def page(cycle_id: int):
    cycle = _cycle(cycle_id)
    result, token = None, None
    if request.method == "POST":
        filename, data = _upload()
        result = import_exam_scores(cycle, data, actor=current_user._get_current_object(), filename=filename)
        if not result.errors:
            flash(f"已导入 {len(result.scores)} 名人选的笔试成绩", "success")
            return redirect(url_for("selection.cycle", cycle_id=cycle.id))
        g._no_commit = True
        token = _marked_copy(cycle, data, result.errors)
    return render_template("selection/exam_import.html", cycle=cycle, result=result, error_file=token,
                           ready=count_exam_candidates(cycle)), (422 if result else 200)


@bp.get("/template.xlsx")
@require_roles(*ROLE_STAFF)
def template(cycle_id: int):
    from portal.documents.render import content_disposition

    cycle = _cycle(cycle_id)
    return Response(build_exam_template(cycle), mimetype=XLSX,
                    headers={"Content-Disposition": content_disposition(f"{cycle.title}-笔试成绩.xlsx")})


@bp.get("/errors/<token>.xlsx")
@require_roles(*ROLE_STAFF)
def marked_file(cycle_id: int, token: str):
    cycle = _cycle(cycle_id)
    if not re.fullmatch(r"[0-9a-f]{32}", token) or not os.path.exists(_errors_path(cycle, token)):
        abort(404)
    return send_file(_errors_path(cycle, token), as_attachment=True, download_name="笔试成绩-错误标注.xlsx")


# --- API -------------------------------------------------------------------------------------

api_bp = api_blueprint("selection_exam_api", __name__, "/api/v1/<tenant>/selection")  # CSRF for session calls


@api_bp.post("/cycles/<int:cycle_id>/exam-scores/import")
@require_roles(*ROLE_STAFF)
@operation(files=("file",), responses={200: ExamImportOut})
def api_import(cycle_id: int):
    """Import written-exam scores from an .xlsx; every row valid or nothing stored (A6.4)."""
    cycle = _cycle(cycle_id)
    filename, data = _upload()
    result = import_exam_scores(cycle, data, actor=current_user._get_current_object(), filename=filename)
    if result.errors:
        g._no_commit = True
        raise DomainError(f"文件中有 {len(result.errors)} 处错误，未导入任何成绩", status=422, code="invalid_rows",
                          details={"errors": result.errors})
    return jsonify({"imported": len(result.scores),
                    "items": [{"id": n.id, "name": n.name, "exam_score": float(s)} for n, s in result.scores]})


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
