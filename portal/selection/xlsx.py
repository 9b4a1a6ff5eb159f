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

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(HEADERS)
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
        f"1. 每行一名人选；一般推荐 {need} 名（第六条第（二）项），超过须由秘书处记录理由。",
        "2. 身份证号、联系电话列为文本格式，请勿改为数字（否则会丢失位数）。",
        "3. 日期填写为 2003-05-01 格式；带下拉列表的列请从列表中选择。",
        f"4. 校内公示不少于 {days} 个工作日（第六条第（二）项）。",
        "5. 违纪违法记录：无则填「无」（第五条第（五）项）。",
        "6. 重新上传将替换本校尚未报送的草稿；文件有任何错误则不会导入任何内容。",
    ]:
        info.append([line])
    info.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def parse_upload(inv, data: bytes) -> tuple[list[dict], list[dict]]:
    """Returns (clean rows, errors [{row, column, message}]). Raises UploadError for the file."""
    from portal.core.uploads import UploadError, read_xlsx_sheet

    sheet = read_xlsx_sheet(data, SHEET, HEADERS, max_rows=MAX_ROWS, fast=True)
    if len(sheet) == 0:
        raise UploadError("文件中没有人选数据", "empty")
    rows, errors, seen = [], [], {}
    unions = ops.school_unions(inv.school_id)
    for r in sheet:
        raw = {KEY_OF[h]: v for h, v in r.items() if h in KEY_OF}
        values, errs = ops.clean_nomination(inv, raw, unions=unions)
        for key, msg in errs.items():
            errors.append({"row": r.row, "column": ops.LABELS[key], "message": msg})
        if not errs:
            idn = values["id_number"]
            if idn in seen:
                errors.append({"row": r.row, "column": "身份证号", "message": f"与第 {seen[idn]} 行的身份证号重复"})
            seen[idn] = r.row
            rows.append(values)
    return rows, errors
