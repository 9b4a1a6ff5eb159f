"""Reference data operations: schools, unions, presidium memberships and their import."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

import sqlalchemy as sa

from portal.core import audit
from portal.core.errors import DomainError
from portal.extensions import db
from portal.reference.models import PresidiumMembership, Province, School, StudentUnion, UnionKind
from portal.reference.provinces import PROVINCES

IMPORT_HEADERS = ["学校标识码", "学校名称", "所在省份", "组织类型", "组织名称",
                  "是否主席团成员团体", "届次", "任期开始", "任期结束"]


def ensure_provinces() -> None:
    existing = set(db.session.scalars(sa.select(Province.code)))
    for code, name, short in PROVINCES:
        if code not in existing:
            db.session.add(Province(code=code, name=name, short_name=short))
    db.session.flush()


def province_names() -> dict[str, str]:
    """Code -> name, per process (the provinces are platform reference data, written only by
    ``ensure_provinces``; a write in this process clears it, another's is seen within
    ``TENANT_CACHE_SECONDS``)."""
    from portal.core import proc_cache

    return dict(proc_cache.remember("provinces", "names", lambda: tuple(
        db.session.execute(sa.select(Province.code, Province.name)).all())))


def _watch() -> None:
    from portal.core import proc_cache

    proc_cache.watch(Province, "provinces")


_watch()


def province_lookup() -> dict[str, str]:
    """Province name, short name or code -> code."""
    lookup = {}
    for p in db.session.scalars(sa.select(Province)):
        lookup[p.code] = lookup[p.name] = lookup[p.short_name] = p.code
    return lookup


@dataclass
class RowError:
    row: int
    column: str
    message: str


# A national school list: a few thousand schools, two unions each. Bounded before reading.
MAX_IMPORT_ROWS = 20_000
MAX_REPORTED_ERRORS = 200


@dataclass
class ImportReport:
    rows: int = 0
    schools_created: int = 0
    unions_created: int = 0
    memberships_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_hidden: int = 0  # errors beyond MAX_REPORTED_ERRORS: counted, not listed

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.errors_hidden

    def error(self, row: int, column: str, message: str) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, column, message))
        else:
            self.errors_hidden += 1

    def as_json(self) -> dict:
        return {
            "rows": self.rows, "schools_created": self.schools_created,
            "unions_created": self.unions_created, "memberships_created": self.memberships_created,
            "errors": [e.__dict__ for e in self.errors], "errors_hidden": self.errors_hidden,
        }


def _too_many_rows() -> DomainError:
    return DomainError(f"文件超过 {MAX_IMPORT_ROWS} 行的上限，请分批导入", code="too_many_rows")


def _read_csv(data: bytes) -> list[tuple[int, dict]]:
    from portal.core.uploads import normalize_header, to_halfwidth

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise DomainError("CSV 文件编码无法识别，请保存为 UTF-8 编码") from None
    if text.count("\n") > MAX_IMPORT_ROWS + 1:  # counted before a single row is parsed
        raise _too_many_rows()
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, [])
        # Headers compared as the xlsx reader does: spaces (trailing ones too) and full-width forms ignored.
        wanted = {normalize_header(h): h for h in IMPORT_HEADERS}
        columns = {wanted[k]: i for i, raw in enumerate(header) if (k := normalize_header(raw)) in wanted}
        missing = [h for h in IMPORT_HEADERS if h not in columns]
        if missing:
            raise DomainError(f"缺少列：{'、'.join(missing)}")
        out = []
        for i, row in enumerate(reader):
            if i >= MAX_IMPORT_ROWS:
                raise _too_many_rows()
            out.append((i + 2, {h: to_halfwidth(row[c]).strip() if c < len(row) else "" for h, c in columns.items()}))
    except csv.Error:
        raise DomainError("CSV 文件格式有误（例如引号不成对或单元格过长），请用 Excel 另存为 CSV 后重试") from None
    return out


def _read_rows(filename: str, data: bytes) -> list[tuple[int, dict]]:
    from portal.core.uploads import UploadError, read_xlsx_sheet

    name = (filename or "").lower()
    if name.endswith(".csv"):
        return _read_csv(data)
    try:
        sheet = read_xlsx_sheet(data, "学校与组织", IMPORT_HEADERS, max_rows=MAX_IMPORT_ROWS)
    except UploadError as exc:
        raise DomainError(str(exc), code=getattr(exc, "code", None) or "bad_file") from None
    return [(row.row, {k: row.get(k) for k in IMPORT_HEADERS}) for row in sheet.rows]


def _text(v) -> str:
    from portal.core.uploads import to_halfwidth

    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return to_halfwidth(str(v)).strip()


def import_schools(tenant, filename: str, data: bytes, actor) -> ImportReport:
    """All or nothing: any bad row and nothing from the file is saved."""
    from portal.core.lengths import max_length, too_long_message
    from portal.core.uploads import excerpt, parse_date_cell, safe_filename

    # Every length is the column's, so no value reaches the database longer than it allows.
    code_max, name_max = max_length(School.code), max_length(School.name)
    union_max, term_max = max_length(StudentUnion.name), max_length(PresidiumMembership.term_label)
    report = ImportReport()
    provinces = province_lookup()
    rows = _read_rows(filename, data)
    schools = {s.code: s for s in db.session.scalars(sa.select(School))}
    unions = {(u.school_id, u.kind): u for u in db.session.scalars(sa.select(StudentUnion))}
    kinds = {k.value: k for k in UnionKind}
    pending_schools: dict[str, School] = {}
    for rownum, raw in rows:
        values = {k: raw.get(k) for k in IMPORT_HEADERS}
        if not any(_text(v) for v in values.values()):
            continue
        report.rows += 1
        errors_before = report.error_count

        def err(col, msg):
            report.error(rownum, col, msg)

        code = _text(values["学校标识码"])
        name = _text(values["学校名称"])
        prov = provinces.get(_text(values["所在省份"]))
        kind = kinds.get(_text(values["组织类型"]))
        union_name = _text(values["组织名称"])
        member_flag = _text(values["是否主席团成员团体"])
        if not code.isdigit() or not 5 <= len(code) <= code_max:
            err("学校标识码", f"学校标识码应为5至{code_max}位数字")
        if not name or len(name) > name_max:
            err("学校名称", f"学校名称不能为空且不超过{name_max}字")
        if prov is None:
            err("所在省份", f"无法识别的省份「{excerpt(_text(values['所在省份']))}」")
        if kind is None:
            err("组织类型", "组织类型只能是：学生会、研究生会")
        if not union_name or len(union_name) > union_max:
            err("组织名称", f"组织名称不能为空且不超过{union_max}字")
        if member_flag not in ("是", "否"):
            err("是否主席团成员团体", "只能填写「是」或「否」")
        term_start = term_end = None
        if member_flag == "是":
            if not _text(values["届次"]):
                err("届次", "主席团成员团体须填写届次")
            elif len(_text(values["届次"])) > term_max:
                err("届次", too_long_message("届次", term_max, len(_text(values["届次"]))))
            try:
                term_start = parse_date_cell(values["任期开始"])
            except ValueError as exc:
                err("任期开始", str(exc) if _text(values["任期开始"]) else "主席团成员团体须填写任期开始日期")
            if _text(values["任期结束"]):
                try:
                    term_end = parse_date_cell(values["任期结束"])
                except ValueError as exc:
                    err("任期结束", str(exc))
            if term_start and term_end and term_end < term_start:
                err("任期结束", "任期结束日期早于开始日期")
        if report.error_count > errors_before:
            continue
        school = schools.get(code) or pending_schools.get(code)
        if school is None:
            school = School(code=code, name=name, province_code=prov)
            db.session.add(school)
            pending_schools[code] = school
            report.schools_created += 1
        elif school.name != name:
            err("学校名称", f"标识码 {code} 已登记为「{school.name}」，与本行不一致")
            continue
        db.session.flush()
        union = unions.get((school.id, kind))
        if union is None:
            union = StudentUnion(school_id=school.id, kind=kind, name=union_name)
            db.session.add(union)
            db.session.flush()
            unions[(school.id, kind)] = union
            report.unions_created += 1
        if member_flag == "是":
            db.session.add(PresidiumMembership(union_id=union.id, term_label=_text(values["届次"]),
                                               term_start=term_start, term_end=term_end))
            report.memberships_created += 1
    if report.errors:
        return report  # the caller rolls back: nothing from this file is kept
    db.session.flush()
    audit.record("reference.import", "school_import", None, actor=actor,
                 after={k: v for k, v in report.as_json().items() if k != "errors"} | {"file": safe_filename(filename)},
                 article="A2")
    return report


def add_presidium_membership(union: StudentUnion, term_label: str, term_start: dt.date,
                             term_end: dt.date | None, actor) -> PresidiumMembership:
    if term_end and term_end < term_start:
        raise DomainError("任期结束日期早于开始日期")
    pm = PresidiumMembership(union_id=union.id, term_label=term_label, term_start=term_start,
                             term_end=term_end)
    db.session.add(pm)
    db.session.flush()
    audit.record("presidium.added", "presidium_membership", pm.id, actor=actor, article="A2",
                 after={"union": union.name, "term": term_label, "start": term_start, "end": term_end})
    return pm


def template_rows() -> list[list]:
    return [
        ["4111010001", "北京示例大学", "北京市", "学生会", "北京示例大学学生会", "是", "第二十七届", "2023-08-01", ""],
        ["4111010001", "北京示例大学", "北京市", "研究生会", "北京示例大学研究生会", "否", "", "", ""],
    ]
