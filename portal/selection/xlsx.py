"""The school's nomination workbook (A6.2): template with dropdowns, and its import."""
from __future__ import annotations

import io

from portal.selection import operations as ops
from portal.selection.models import DEGREE_LEVELS, GENDERS, POLITICAL_STATUSES, PRESIDIUM_POSITIONS, YES_NO

SHEET = "推荐人选"
HEADERS = [label for _, label, _, _ in ops.FIELDS]
KEY_OF = {label: key for key, label, _, _ in ops.FIELDS}
MAX_ROWS = 200


def build_template(inv, unions: list[str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    from portal.core.sheets import append_row

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    append_row(ws, HEADERS)
    for c in ws[1]:
        c.font = Font(bold=True)
    lists = {"gender": GENDERS, "political_status": POLITICAL_STATUSES, "presidium_position": PRESIDIUM_POSITIONS,
             "degree_level": DEGREE_LEVELS, "baoyan_eligible": YES_NO, "union": tuple(unions) or ("学生会", "研究生会")}
    from openpyxl.utils import get_column_letter

    for i, (key, label, kind, _) in enumerate(ops.FIELDS, 1):
        col = get_column_letter(i)
        ws.column_dimensions[col].width = max(12, len(label) * 2 + 2)
        if key in lists:
            dv = DataValidation(type="list", formula1='"' + ",".join(lists[key]) + '"', allow_blank=False,
                                showErrorMessage=True, errorTitle="无效选项", error=f"请从下拉列表中选择{label}")
            ws.add_data_validation(dv)
            dv.add(f"{col}2:{col}{MAX_ROWS + 1}")
        if kind in ("id", "phone"):
            for r in range(2, MAX_ROWS + 2):
                ws[f"{col}{r}"].number_format = "@"  # text: ID numbers must not become numbers
        if kind == "date":
            for r in range(2, MAX_ROWS + 2):
                ws[f"{col}{r}"].number_format = "yyyy-mm-dd"
    info = wb.create_sheet("填写说明")
    need = inv.cycle.rule("selection.nominees_per_school")
    days = inv.cycle.rule("selection.school_publicity_min_workdays")
    for line in [
        f"{inv.cycle.title} — {inv.school.name}推荐人选",
        f"1. 每行一名人选；一般推荐 {need} 名（{ops.article_citation('A6.2')}），超过须由秘书处记录理由。",
        "2. 身份证号、联系电话列为文本格式，请勿改为数字（否则会丢失位数）。",
        "3. 日期填写为 2003-05-01 格式；带下拉列表的列请从列表中选择。",
        f"4. 校内公示不少于 {days} 个工作日（{ops.article_citation('A6.2')}）。",
        f"5. 违纪违法记录：无则填「无」（{ops.article_citation('A5.5')}）。",
        "6. 重新上传将替换本校尚未报送的草稿；文件有任何错误则不会导入任何内容。",
    ]:
        append_row(info, [line])  # the cycle's title and the school's name are typed by people
    info.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def clean_row(cleaner: ops.NomineeCleaner, r, unions: dict, seen: dict, errors: list,
              read_as: list | None = None) -> dict | None:
    """One workbook row through the A6.2 checks, shared by the liaison's and the secretariat's
    imports: the clean values, or None with the row's errors (by row and column) appended.
    ``seen`` maps ID numbers to the first row that had them (duplicates within the file);
    ``read_as`` gets what was normalised ({row, column, written, read}: 党员 → 中共党员)."""
    values, errs = cleaner.clean(r, unions, by_label=True)
    if read_as is not None and not errs:
        read_as.extend({"row": r.row, "column": ops.LABELS[k], "written": w, "read": v}
                       for k, (w, v) in cleaner.read_as.items())
    for key, msg in errs.items():
        errors.append({"row": r.row, "column": ops.LABELS[key], "message": msg})
    if errs:
        return None
    idn = values["id_number"]
    if idn in seen:
        errors.append({"row": r.row, "column": "身份证号", "message": f"与第 {seen[idn]} 行的身份证号重复"})
        return None
    seen[idn] = r.row
    return values


def parse_upload(inv, data: bytes, read_as: list | None = None) -> tuple[list[dict], list[dict]]:
    """Returns (clean rows, errors [{row, column, message}]). Raises UploadError for the file.
    Errors stop at MAX_REPORTED_ERRORS (a note says so)."""
    from portal.core.uploads import UploadError, read_xlsx_sheet

    sheet = read_xlsx_sheet(data, SHEET, HEADERS, max_rows=MAX_ROWS, fast=True)
    if len(sheet) == 0:
        raise UploadError("文件中没有人选数据", "empty")
    rows, errors, seen = [], [], {}
    unions = ops.school_unions(inv.school_id)
    cleaner = ops.NomineeCleaner(inv.cycle)
    for r in sheet:
        if _enough_errors(errors):
            break
        values = clean_row(cleaner, r, unions, seen, errors, read_as)
        if values is not None:
            rows.append(values)
    return rows, errors


def _enough_errors(errors: list) -> bool:
    """True (with a closing note appended) once ``errors`` holds MAX_REPORTED_ERRORS: the rest of
    the file is not checked, so that neither the page nor the marked copy grows with the file."""
    from portal.core.uploads import MAX_REPORTED_ERRORS, too_many_errors_note

    if len(errors) < MAX_REPORTED_ERRORS:
        return False
    errors.append({"row": None, "column": None, "message": too_many_errors_note()})
    return True


# --- the secretariat's workbook for a whole cycle ----------------------------------------------
# The liaison's columns plus the school (学校标识码) and, for rows beyond a school's A6.2 limit,
# the reason the secretariat records (as allow_extra_nominees does for one school).

SCHOOL_HEADER, REASON_HEADER = "学校标识码", "超额推荐理由"
CYCLE_HEADERS = [SCHOOL_HEADER, *HEADERS, REASON_HEADER]
CYCLE_MAX_ROWS = 10_000


def _school_code(v) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip() if v is not None else ""


def parse_cycle_upload(cycle, data: bytes, read_as: list | None = None) -> tuple[list[tuple], list[dict], dict]:
    """Returns (clean rows [(invitation, values)], errors [{row, column, message}],
    extra nominees {invitation id: (invitation, extra, reason)}). Raises UploadError for the file.
    Schools, unions, ID numbers already in the cycle and per-school counts are read once."""
    from portal.core.uploads import UploadError, excerpt, read_xlsx_sheet

    sheet = read_xlsx_sheet(data, SHEET, CYCLE_HEADERS, max_rows=CYCLE_MAX_ROWS, fast=True)
    if len(sheet) == 0:
        raise UploadError("文件中没有人选数据", "empty")
    invs = ops.cycle_invitations_by_code(cycle.id)
    unions = ops.unions_by_school([inv.school_id for inv in invs.values()])
    taken = ops.cycle_id_numbers(cycle.id)
    counted = ops.counted_by_invitation(cycle.id)
    per_school = cycle.rule("selection.nominees_per_school")
    cleaner = ops.NomineeCleaner(cycle)
    rows, errors, seen, used, extras = [], [], {}, {}, {}
    for r in sheet:
        if _enough_errors(errors):
            break
        code = _school_code(r.get(SCHOOL_HEADER))
        inv = invs.get(code)
        if inv is None:
            errors.append({"row": r.row, "column": SCHOOL_HEADER, "message": (
                f"本次选拔未向学校标识码为「{excerpt(code)}」的学校发出邀请" if code else "学校标识码不能为空")})
            continue
        n = used[inv.id] = used.get(inv.id, counted.get(inv.id, 0)) + 1
        limit = per_school + inv.extra_nominees
        reason = str(r.get(REASON_HEADER) or "").strip()
        if n > limit:
            if not reason:
                errors.append({"row": r.row, "column": REASON_HEADER, "message": (
                    f"{inv.school_name}本次已有 {n - 1} 名人选，达到规定的 {limit} 名上限；"
                    f"超过规定人数推荐须填写理由（{ops.article_citation('A6.2')}）")})
                continue
            _, _, reasons = extras.get(inv.id, (inv, 0, []))
            if reason not in reasons:
                reasons.append(reason)
            extras[inv.id] = (inv, n - per_school, reasons)
        values = clean_row(cleaner, r, unions.get(inv.school_id, {}), seen, errors, read_as)
        if values is None:
            continue
        if values["id_number"] in taken:
            errors.append({"row": r.row, "column": "身份证号", "message": "该身份证号已在本次选拔中被推荐"})
            continue
        rows.append((inv, values))
    return rows, errors, {k: (inv, extra, "；".join(reasons)) for k, (inv, extra, reasons) in extras.items()}
