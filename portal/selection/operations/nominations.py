"""A6.2: the schools' nominations (fields, limits, submission), the cycle-wide import, attachments."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import lazyload

from portal.core import audit, clock
from portal.core.calendar import calendar
from portal.core.db import check_tenant_write, utcnow
from portal.core.errors import Conflict, DomainError
from portal.core.idcard import IdNumberError, mask_id_number, validate_id_number
from portal.core.uploads import (
    UploadError, parse_date_cell, parse_enum_cell, parse_int_cell, parse_phone_cell, parse_text_cell,
)
from portal.extensions import db
from portal.reference.models import School, StudentUnion
from portal.selection import workflow
from portal.selection.models import (
    DEGREE_LEVELS, EligibilityCheck, GENDERS, Invitation, Nomination, NominationAttachment,
    NominationStatus as S, POLITICAL_STATUS_ALIASES, POLITICAL_STATUSES, PRESIDIUM_POSITIONS, Review,
    SelectionCycle,
)
from tenants.models import Role
from tenants.rules.registry import article_citation

from portal.selection.operations.common import COUNTED, _today
from portal.selection.operations.letters import nominee_limit


FIELDS = [
    # key, Chinese label, kind, extra
    ("name", "姓名", "text", 40), ("gender", "性别", "choice", GENDERS), ("ethnicity", "民族", "text", 20),
    ("birth_date", "出生日期", "date", None), ("id_number", "身份证号", "id", None),
    ("political_status", "政治面貌", "choice", POLITICAL_STATUSES), ("union", "所在学生组织", "union", None),
    ("presidium_position", "主席团职务", "choice", PRESIDIUM_POSITIONS),
    ("elected_on", "当选日期", "date", None), ("degree_level", "学历层次", "choice", DEGREE_LEVELS),
    ("major", "专业", "text", 80), ("grade_rank", "成绩排名", "int", None),
    ("grade_cohort", "专业人数", "int", None), ("baoyan_eligible", "是否符合保研条件", "bool", None),
    ("languages", "外语水平", "text", 200), ("computer_skills", "计算机水平", "text", 200),
    ("discipline_record", "违纪违法记录", "optional_text", 2000), ("phone", "联系电话", "phone", None),
    ("email", "电子邮箱", "email", None), ("publicity_start", "校内公示开始日期", "date", "day"),
    ("publicity_end", "校内公示结束日期", "date", "day"),  # "day": a month alone (2026年11月) is refused
]


LABELS = {k: label for k, label, _, _ in FIELDS}


# The nominee form's sections (the 推荐表's own grouping); every field belongs to one.
FIELD_SECTIONS = [
    ("基本信息", ("name", "gender", "ethnicity", "birth_date", "id_number", "political_status")),
    ("学生组织任职", ("union", "presidium_position", "elected_on")),
    ("学业与能力", ("degree_level", "major", "grade_rank", "grade_cohort", "baoyan_eligible", "languages",
                  "computer_skills")),
    ("品行与联系方式", ("discipline_record", "phone", "email")),
    ("校内公示（第六条第（二）项）", ("publicity_start", "publicity_end")),
]


OPTIONAL_FIELDS = frozenset({"discipline_record"})


CHOICE_ALIASES = {POLITICAL_STATUSES: POLITICAL_STATUS_ALIASES}


# Fields whose other ways of writing are read as the canonical value; the reading is shown back.
READ_AS_FIELDS = frozenset({"phone", "political_status"})


class UnionRef(NamedTuple):
    """What validating a row needs of a union: its id."""

    id: int


def school_unions(school_id: int) -> dict[str, UnionRef]:
    """The school's unions by kind (学生会, 研究生会): ids only, which is all validation needs."""
    return {kind.value: UnionRef(union_id) for kind, union_id in db.session.execute(
        sa.select(StudentUnion.kind, StudentUnion.id).where(StudentUnion.school_id == school_id))}


def _parse_field(kind: str, extra, raw):
    """One nominee field of a cell-independent kind (not the ID number, not the union)."""
    if kind == "text":
        return parse_text_cell(raw, extra)
    if kind == "optional_text":
        v = parse_text_cell(raw, extra, required=False, allow_newlines=True)
        return None if v in (None, "无", "否", "没有") else v
    if kind == "choice":
        return parse_enum_cell(raw, extra, aliases=CHOICE_ALIASES.get(extra))
    if kind == "date":
        return parse_date_cell(raw, min_year=1950, max_year=2100, require_day=extra == "day")
    if kind == "int":
        return parse_int_cell(raw, min_value=1, max_value=100000)
    if kind == "bool":
        return raw if isinstance(raw, bool) else parse_enum_cell(raw, {"是": True, "否": False})
    if kind == "phone":
        return parse_phone_cell(raw)
    if kind == "email":
        v = parse_text_cell(raw, 200)
        if "@" not in v or v.startswith("@") or "." not in v.split("@")[-1]:
            raise UploadError(f"「{v}」不是有效的电子邮箱", "bad_value")
        return v
    raise AssertionError(kind)  # pragma: no cover - FIELDS names only the kinds above


class NomineeCleaner:
    """Validates nominees for one cycle (A6.2). The cycle's pinned rules and the working-day
    calendar are read once, and a cell value a column has already seen is not parsed again: a
    workbook's genders, ethnicities, dates and majors repeat row after row."""

    MEMO_KINDS = frozenset({"text", "optional_text", "choice", "date", "int", "bool"})

    def __init__(self, cycle: SelectionCycle):
        self.opened_on = cycle.opened_on
        self.publicity_days = cycle.rule("selection.school_publicity_min_workdays")
        self.calendar = calendar()
        self.today = clock.today()  # an ID number's birth date may not be after it (read once)
        self._memo: dict[tuple, tuple[bool, object]] = {}
        self._workdays: dict[tuple[dt.date, dt.date], int] = {}
        self.read_as: dict[str, tuple[str, str]] = {}  # the last row's {field: (as written, as read)}

    @staticmethod
    def _parse(kind: str, extra, raw) -> tuple[bool, object]:
        """(True, value) or (False, the Chinese error)."""
        try:
            return True, _parse_field(kind, extra, raw)
        except ValueError as exc:  # UploadError is a ValueError
            return False, getattr(exc, "message", None) or str(exc)

    def clean(self, data: dict, unions: dict, *, by_label: bool = False) -> tuple[dict, dict[str, str]]:
        """(clean values, {field: Chinese error}); ``data`` keyed by field, or by the
        workbook's Chinese header with ``by_label``."""
        out, errors, id_info = {}, {}, None
        memo, get, parse, memo_kinds = self._memo, data.get, self._parse, self.MEMO_KINDS
        self.read_as = read_as = {}
        for key, label, kind, extra in FIELDS:
            raw = get(label) if by_label else get(key)
            if kind in memo_kinds:
                try:  # the class is in the key too: 1, 1.0 and True are equal keys
                    ok, value = memo[key, raw.__class__, raw]
                except KeyError:
                    ok, value = memo[key, raw.__class__, raw] = parse(kind, extra, raw)
                except TypeError:  # an unhashable value (a list in a JSON body): parsed, not kept
                    ok, value = parse(kind, extra, raw)
            elif kind == "id":
                try:
                    if raw in (None, ""):
                        raise IdNumberError("身份证号不能为空", code="empty")
                    id_info = validate_id_number(raw, today=self.today)
                    ok, value = True, id_info.number
                except IdNumberError as exc:
                    ok, value = False, exc.message
            elif kind == "union":
                try:
                    v = parse_enum_cell(raw, sorted(unions) or ["学生会", "研究生会"])
                    if v not in unions:
                        raise UploadError(f"本校没有登记「{v}」", "bad_choice")
                    ok, value, key = True, unions[v].id, "union_id"
                except UploadError as exc:
                    ok, value = False, exc.message
            else:
                ok, value = parse(kind, extra, raw)
            if ok:
                out[key] = value
                if key in READ_AS_FIELDS and isinstance(raw, str) and raw.strip() != value:
                    read_as[key] = (raw.strip(), value)
            else:
                errors[key] = value
        if not errors:
            self._check_row(out, id_info, errors)
        return out, errors

    def _check_row(self, out: dict, id_info, errors: dict) -> None:
        if out["grade_rank"] > out["grade_cohort"]:
            errors["grade_rank"] = "成绩排名不能大于专业人数"
        if out["publicity_end"] < out["publicity_start"]:
            errors["publicity_end"] = "校内公示结束日期不能早于开始日期"
        if id_info.birth_date != out["birth_date"]:
            errors["birth_date"] = f"出生日期与身份证号不一致（身份证号为 {id_info.birth_date:%Y-%m-%d}）"
        if out["elected_on"] > self.opened_on:
            errors["elected_on"] = "当选日期不能晚于本次选拔开始日期"
        if errors:
            return
        # A6.2: school publicity at least N working days (the rule, pinned).
        span = out["publicity_start"], out["publicity_end"]
        got = self._workdays.get(span)
        if got is None:
            got = self._workdays[span] = self.calendar.period_workdays(*span)  # first day counts
        if got < self.publicity_days:
            errors["publicity_end"] = (f"校内公示仅 {got} 个工作日，至少应为 {self.publicity_days} 个工作日"
                                       f"（{article_citation('A6.2')}）")


def clean_nomination(inv: Invitation, data: dict, *, unions: dict[str, UnionRef] | None = None
                     ) -> tuple[dict, dict[str, str]]:
    """Validate one nominee's fields; returns (clean values, {field: Chinese error}). A whole
    sheet goes through one ``NomineeCleaner`` instead."""
    return NomineeCleaner(inv.cycle).clean(data, school_unions(inv.school_id) if unions is None else unions)


def _check_open_for_nominations(inv: Invitation, today: dt.date) -> None:
    _check_cycle_open(inv.cycle, today)


def _check_cycle_open(cycle: SelectionCycle, today: dt.date) -> None:
    if cycle.status not in workflow.NOMINATING:
        raise Conflict(f"推荐已结束（选拔处于「{cycle.status_label}」阶段）")
    step = cycle.step("nominations")
    if step and step.due_on and today > step.due_on:
        raise Conflict(f"推荐材料报送已于{step.due_on:%Y年%m月%d日}截止（{article_citation('A6.2')}）",
                       code="deadline_passed")


def create_nomination(inv: Invitation, values: dict, *, actor, source: str = "web",
                      today: dt.date | None = None) -> Nomination:
    _check_open_for_nominations(inv, today or _today())
    return _create_nominations(inv, [values], actor=actor, source=source)[0]


def _create_nominations(inv: Invitation, rows: list[dict], *, actor, source: str) -> list[Nomination]:
    """Drafts for one school: one duplicate check, one batched INSERT, one batch of audit records."""
    if not rows:
        return []
    taken = set(db.session.scalars(sa.select(Nomination.id_number).where(
        Nomination.cycle_id == inv.cycle_id, Nomination.id_number.in_([r["id_number"] for r in rows]),
        Nomination.status != S.withdrawn)))
    dup = next((r for r in rows if r["id_number"] in taken), None)
    if dup is not None:
        who = f"{dup['name']}（身份证号 {mask_id_number(dup['id_number'])}）" if len(rows) > 1 else "该身份证号"
        raise Conflict(f"{who}已在本次选拔中被推荐", field="id_number")
    # One executemany, then the new rows read back: ORM inserts with RETURNING go row by row on SQLite.
    now = utcnow()
    records = [dict(values, tenant_id=inv.tenant_id, cycle_id=inv.cycle_id, invitation_id=inv.id,
                    school_id=inv.school_id, route=inv.route, status=S.draft, source=source, created_at=now,
                    updated_at=now) for values in rows]
    check_tenant_write(inv.tenant_id, "Nomination", model=Nomination, rows=records)
    db.session.execute(sa.insert(Nomination), records)
    noms = list(db.session.scalars(sa.select(Nomination).where(
        Nomination.cycle_id == inv.cycle_id, Nomination.id_number.in_([r["id_number"] for r in rows]))
        .order_by(Nomination.id).options(lazyload(Nomination.school), lazyload(Nomination.union))))  # in the session
    audit.record_many([audit.Entry("nomination.created", "nomination", n.id, article="A6.2",
                                   after={"name": n.name, "school_id": n.school_id, "source": source,
                                          "id_number": n.masked_id}) for n in noms], actor=actor)
    return noms


def update_nomination(nom: Nomination, values: dict, *, actor) -> Nomination:
    if nom.status != S.draft:
        raise Conflict("只有草稿可以修改；已报送的材料如需更正请联系秘书处")
    before = {k: audit._jsonable(getattr(nom, k)) for k in values}
    for k, v in values.items():
        setattr(nom, k, v)
    db.session.flush()
    audit.record("nomination.updated", "nomination", nom.id, actor=actor, article="A6.2",
                 before={k: v for k, v in before.items() if k != "id_number"},
                 after={k: audit._jsonable(v) for k, v in values.items() if k != "id_number"})
    return nom


def replace_drafts(inv: Invitation, rows: list[dict], *, actor, today: dt.date | None = None) -> list[Nomination]:
    """A re-upload replaces the school's drafts (submitted nominations stay)."""
    _check_open_for_nominations(inv, today or _today())
    draft_ids = list(db.session.scalars(sa.select(Nomination.id).where(Nomination.invitation_id == inv.id,
                                                                      Nomination.status == S.draft)))
    if draft_ids:
        # A few set-wise DELETEs: the ORM's cascade would load each draft's checks, reviews and
        # attachments one draft at a time (600 statements for a 200-row re-upload). These are the
        # children it cascades to; the foreign keys cascade too on PostgreSQL, not on SQLite.
        for child in (EligibilityCheck, Review, NominationAttachment):
            db.session.execute(sa.delete(child).where(child.nomination_id.in_(draft_ids)))
        db.session.execute(sa.delete(Nomination).where(Nomination.id.in_(draft_ids)))
        audit.record("nomination.drafts_replaced", "invitation", inv.id, actor=actor, article="A6.2",
                     before={"draft_ids": draft_ids})
    return _create_nominations(inv, rows, actor=actor, source="xlsx")


class InvitationRef(NamedTuple):
    """What validating and storing a workbook row needs of an invitation (no ORM object: a
    national cycle has 3,000 of them, and a row reads four of these values)."""

    id: int
    school_id: int
    route: str
    extra_nominees: int
    school_name: str


def cycle_invitations_by_code(cycle_id: int) -> dict[str, InvitationRef]:
    """The cycle's invitations by the school's 学校标识码 (one statement, the school joined)."""
    return {code: InvitationRef(i, sid, route, extra or 0, name) for i, sid, route, extra, code, name in db.session.execute(
        sa.select(Invitation.id, Invitation.school_id, Invitation.route, Invitation.extra_nominees, School.code,
                  School.name).join(School, School.id == Invitation.school_id).where(Invitation.cycle_id == cycle_id))}


def unions_by_school(school_ids) -> dict[int, dict[str, UnionRef]]:
    """``school_unions`` for many schools in one statement (ids only: a sheet validates
    against them, nationally 6,000 unions, so no ORM objects are built)."""
    out: dict[int, dict[str, UnionRef]] = {}
    ids = set(school_ids)
    rows = db.session.execute(sa.select(StudentUnion.school_id, StudentUnion.kind, StudentUnion.id))
    for school_id, kind, union_id in rows:
        if school_id in ids:
            out.setdefault(school_id, {})[kind.value] = UnionRef(union_id)
    return out


def cycle_id_numbers(cycle_id: int) -> set[str]:
    """Every ID number in the cycle, withdrawn ones included (one nomination per person per cycle)."""
    return set(db.session.scalars(sa.select(Nomination.id_number).where(Nomination.cycle_id == cycle_id)))


def counted_by_invitation(cycle_id: int) -> dict[int, int]:
    """Per school, the nominations that take a place under the A6.2 limit (drafts included:
    they are waiting to be submitted)."""
    return dict(db.session.execute(
        sa.select(Nomination.invitation_id, sa.func.count()).where(
            Nomination.cycle_id == cycle_id, Nomination.status.not_in([S.withdrawn, S.disqualified]))
        .group_by(Nomination.invitation_id)).all())


def import_cycle_nominations(cycle: SelectionCycle, rows: list[tuple[InvitationRef, dict]], extras: dict, *, actor,
                             filename: str | None = None, today: dt.date | None = None) -> list[int]:
    """Store a validated secretariat workbook (``xlsx.parse_cycle_upload``): the schools' extra
    places with their reasons (A6.2), the drafts in one executemany, and one audit record per
    nomination plus one for the import, in one batch. Returns the new ids in row order."""
    from portal.core.uploads import safe_filename

    _check_cycle_open(cycle, today or _today())
    if not rows:
        return []
    entries = []
    for ref, extra, reason in extras.values():
        inv = db.session.get(Invitation, ref.id)
        before = {"extra": inv.extra_nominees, "reason": inv.extra_reason}
        inv.extra_nominees, inv.extra_reason = extra, reason
        entries.append(audit.Entry("invitation.extra_nominees", "invitation", inv.id, article="A6.2",
                                   before=before, after={"extra": extra, "reason": reason}))
    # A Core executemany on the table: the ids come back by a query below, so the ORM's bulk
    # bookkeeping (a third of the import's time at 10,000 rows) buys nothing here.
    # One timestamp for the batch, given: a column default would be called twice per row.
    now = utcnow()
    records = [dict(values, tenant_id=cycle.tenant_id, cycle_id=cycle.id, invitation_id=inv.id,
                    school_id=inv.school_id, route=inv.route, status=S.draft, source="xlsx", created_at=now,
                    updated_at=now) for inv, values in rows]
    check_tenant_write(cycle.tenant_id, "Nomination", model=Nomination, rows=records)
    db.session.execute(Nomination.__table__.insert(), records)
    new = {v["id_number"] for _, v in rows}
    id_of = {idn: i for i, idn in db.session.execute(
        sa.select(Nomination.id, Nomination.id_number).where(Nomination.cycle_id == cycle.id)) if idn in new}
    ids = [id_of[v["id_number"]] for _, v in rows]
    entries += [audit.Entry("nomination.created", "nomination", nid, article="A6.2",
                            after={"name": v["name"], "school_id": inv.school_id, "source": "secretariat_xlsx",
                                   "id_number": mask_id_number(v["id_number"])})
                for nid, (inv, v) in zip(ids, rows)]
    entries.append(audit.Entry("nomination.imported", "cycle", cycle.id, article="A6.2",
                               after={"rows": len(rows), "schools": len({inv.id for inv, _ in rows}),
                                      "extra_places": sorted(extras), "filename": safe_filename(filename)}))
    audit.record_many(entries, actor=actor)
    return ids


def lock_invitation(inv_id: int) -> Invitation:
    """Serialize submissions for one school in one cycle (A6.2 limit).

    PostgreSQL: SELECT ... FOR UPDATE on the school's per-cycle row. SQLite: the UPDATE takes
    the database write lock before we count, so the count below sees every committed rival.
    """
    bind = db.session.connection()
    if bind.dialect.name == "postgresql":
        from sqlalchemy.orm import lazyload

        inv = db.session.scalar(sa.select(Invitation).where(Invitation.id == inv_id)
                                .options(lazyload("*")).with_for_update(of=Invitation)
                                .execution_options(populate_existing=True))
        inv.submissions += 1
        db.session.flush()
    else:
        db.session.execute(sa.update(Invitation).where(Invitation.id == inv_id)
                           .values(submissions=Invitation.submissions + 1)
                           .execution_options(synchronize_session=False))
        inv = db.session.scalar(sa.select(Invitation).where(Invitation.id == inv_id)
                                .execution_options(populate_existing=True))
    return inv


def submit_nomination(nom: Nomination, *, actor, roles, today: dt.date | None = None,
                      reason: str | None = None) -> Nomination:
    """Submit a draft; never more than the rules' number per school (A6.2)."""
    today = today or _today()
    inv = lock_invitation(nom.invitation_id)
    _check_open_for_nominations(inv, today)
    # Re-read the nomination under the lock (another tab may have submitted it).
    db.session.refresh(nom)
    counted = db.session.scalar(sa.select(sa.func.count()).select_from(Nomination).where(
        Nomination.invitation_id == inv.id, Nomination.status.not_in(COUNTED)))
    limit = nominee_limit(inv)
    if nom.status == S.draft and counted >= limit:
        raise Conflict(f"{inv.school.name}已报送 {counted} 名人选，达到规定的 {limit} 名上限；"
                       f"如确需多推荐，须由秘书处记录理由后增加名额（{article_citation('A6.2')}）",
                       code="nominee_limit")
    workflow.apply(nom, "submit", actor=actor, roles=roles, ctx={"cycle": inv.cycle, "today": today},
                   note=reason)
    nom.submitted_at = utcnow()
    nom.submitted_by_id = getattr(actor, "id", None)
    db.session.flush()
    return nom


def withdraw_nomination(nom: Nomination, *, actor, roles, reason: str) -> Nomination:
    return workflow.apply(nom, "withdraw", actor=actor, roles=roles, note=reason)


def store_attachment(nom: Nomination, kind: str, filename: str, data: bytes, *, actor) -> NominationAttachment:
    """Checked by content (PDF/JPG/PNG), kept in the vault under a generated name; the original
    name kept, cleaned (no control characters, base name only, extension following the content).
    Only a draft takes attachments (A6.2: what was submitted is what the secretariat reviews). The
    file is written once the transaction commits; a rollback writes nothing."""
    from portal.core import vault

    if kind not in ("photo", "publicity", "evidence"):
        raise DomainError("附件类型无效", field="kind")
    status = db.session.execute(sa.select(Nomination.status).where(Nomination.id == nom.id)
                                .with_for_update()).scalar_one()
    if status != S.draft:
        raise Conflict("推荐已报送，不能再上传附件；如需补充材料请联系秘书处")
    try:
        f = vault.store(nom.tenant_id, data, filename=filename, purpose="selection.attachment",
                        allowed=("jpg", "png") if kind == "photo" else ("pdf", "jpg", "png"),
                        stored_by=actor, access=ATTACHMENT_ACCESS,
                        max_size=current_app.config.get("MAX_CONTENT_LENGTH"))
    except UploadError as exc:
        raise DomainError(exc.message, field="file") from None
    att = NominationAttachment(tenant_id=nom.tenant_id, nomination_id=nom.id, kind=kind, original_name=f.original_name,
                               stored_name=f.storage_key.rsplit("/", 1)[-1], file_type=f.file_type, size=f.size,
                               sha256=f.sha256, uploaded_by_id=f.stored_by_id, file_id=f.id)
    db.session.add(att)
    db.session.flush()
    audit.record("nomination.attachment", "nomination", nom.id, actor=actor, article="A6.2",
                 after={"kind": kind, "name": f.original_name, "sha256": f.sha256})
    return att


# Who may have an attachment at all (which nomination, the access rule of portal/selection/access.py
# decides before): every role that sees nominations, and the uploader; not a chair.
ATTACHMENT_ACCESS = ("owner", *(f"role:{r}" for r in Role if r != Role.chair))


def attachment_path(att: NominationAttachment) -> str:
    from portal.core import vault

    if att.file_id is None:
        raise LookupError(f"attachment {att.id} has no file in the vault")
    return vault.path_of(db.session.get(vault.StoredFile, att.file_id))
