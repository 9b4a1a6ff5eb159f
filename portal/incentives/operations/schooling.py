"""A16 (第十六条): suspension of schooling for the year, and what it means for seniority.

Per chair one of two: suspended (休学), with the school's approval as evidence; or not suspended,
with the reason. The documents (the letter asking the school to suspend, the certificate at the
term's end) come from that record through the tenant's templates; without it the certificate is
not produced. Before the term ends, a suspended chair and the school's liaison are reminded to
apply to resume schooling (复学): a missed 复学 can count as leaving the school.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import audit, clock
from portal.core.db import utcnow
from portal.core.errors import Conflict, DomainError
from portal.core.obligations import FieldError
from portal.extensions import db
from portal.incentives.models import Schooling, SchoolingStatus, SuspensionLetter
from portal.residency.models import Residency, ResidencyStatus
from tenants.models import Membership, Role

ARTICLE = "A16"
EVIDENCE_TYPES = ("pdf", "jpg", "png")
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


def schooling_of(res: Residency) -> Schooling | None:
    return db.session.scalar(sa.select(Schooling).where(Schooling.residency_id == res.id))


def record_schooling(res: Residency, *, status: str, approval_ref: str | None = None, evidence=None,
                     reason: str | None = None, actor) -> Schooling:
    """Record (or correct, before the certificate is issued) the A16 status."""
    from portal.core import vault

    try:
        st = SchoolingStatus(status)
    except ValueError:
        raise FieldError("休学情况只能是 suspended（已休学）或 not_suspended（未能休学）", "status") from None
    existing = schooling_of(res)
    if existing is not None and existing.certificate_number:
        raise Conflict("驻会证明已出具，休学情况不能再修改", code="certificate_issued")
    approval_ref = (approval_ref or "").strip() or None
    reason = (reason or "").strip() or None
    file_id = existing.approval_file_id if existing is not None and st == existing.status else None
    if st == SchoolingStatus.suspended:
        if approval_ref and len(approval_ref) > 120:
            raise FieldError("学校批准文号不能超过120字", "approval_ref")
        if evidence is not None:
            name, data = evidence
            f = vault.store(res.tenant_id, data, filename=name, purpose="incentives.suspension_approval",
                            allowed=EVIDENCE_TYPES, stored_by=actor, max_size=MAX_EVIDENCE_BYTES,
                            access=("owner", "role:secretariat_admin", "role:secretariat_staff"))
            file_id = f.id
        if file_id is None:
            raise FieldError("已休学的，须上传学校批准休学的文件（PDF 或图片）", "evidence")
        reason = None
    else:
        if not reason:
            raise FieldError("未能休学的，须说明原因", "reason")
        if len(reason) > 2000:
            raise FieldError("原因不能超过2000字", "reason")
        approval_ref, file_id = None, None
    before = None
    if existing is None:
        existing = Schooling(tenant_id=res.tenant_id, residency_id=res.id, status=st)
        db.session.add(existing)
    else:
        before = {"status": existing.status.value, "approval_ref": existing.approval_ref, "reason": existing.reason}
    existing.status, existing.approval_ref, existing.approval_file_id, existing.reason = st, approval_ref, file_id, reason
    existing.recorded_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record("incentives.schooling_recorded", "incentive_schooling", existing.id, actor=actor, article=ARTICLE,
                 before=before, after={"residency_id": res.id, "status": st.value, "approval_ref": approval_ref,
                                       "approval_file_id": file_id, "reason": reason})
    return existing


# --- documents -----------------------------------------------------------------------------

def _base(res: Residency) -> dict:
    from portal.documents.render import chinese_date
    from portal.documents.templating import base_context
    from tenants.models import Tenant

    ctx = base_context(db.session.get(Tenant, res.tenant_id))
    fed = res.rule("federation.name")
    return ctx | {"federation": fed, "secretariat": f"{fed}秘书处", "name": res.chair.name,
                  "school": res.school.name, "term_start": chinese_date(res.term_start),
                  "term_end": chinese_date(res.ended_on or res.term_end), "cohort": res.cohort,
                  "date": chinese_date(clock.today())}


LETTER_SERIES = "incentives.suspension_letter"
LETTER_NUMBER = "学联驻函〔{year}〕{n}号"  # the year is the calendar year of issue (portal.core.numbering)


def letter_of(res: Residency) -> SuspensionLetter | None:
    return db.session.scalar(sa.select(SuspensionLetter).where(SuspensionLetter.residency_id == res.id))


def _letters_numbered_so_far(prefix: str) -> int:
    top = 0
    for number in db.session.scalars(sa.select(SuspensionLetter.number).where(SuspensionLetter.number.like(f"{prefix}%"))):
        digits = number[len(prefix):].removesuffix("号")
        if digits.isdigit():
            top = max(top, int(digits))
    return top


def issue_suspension_letter(res: Residency, *, actor=None) -> SuspensionLetter:
    """The 商请休学函's number (文号), from the tenant's counter for the calendar year of issue,
    given the first time the letter is produced; every later copy carries the same number and
    date. A residency already ended gets no new letter."""
    from portal.core.concurrency import insert_unless_exists, lock_row
    from portal.core.numbering import year_of_issue_number

    found = letter_of(res)
    if found is not None:
        return found
    lock_row(Residency, res.id)  # two first downloads at once: one number, no gap
    found = letter_of(res)
    if found is not None:
        return found
    if res.status != ResidencyStatus.in_residence:
        raise Conflict(f"{res.chair.name}的驻会状态为「{res.status_label}」，不再出具商请休学函", code="residency_ended")
    today = clock.today()
    number = year_of_issue_number(LETTER_SERIES, LETTER_NUMBER, issued_on=today,
                                  numbered_before=_letters_numbered_so_far)
    inserted = insert_unless_exists(SuspensionLetter, {"tenant_id": res.tenant_id, "residency_id": res.id, "number": number,
                                            "issued_on": today, "issued_by_id": getattr(actor, "id", None),
                                            "created_at": utcnow()}, keys=("residency_id",))
    letter = letter_of(res)
    if inserted:
        audit.record("incentives.suspension_letter_issued", "incentive_suspension_letter", letter.id, actor=actor,
                     article=ARTICLE, after={"residency_id": res.id, "number": number, "issued_on": today})
    return letter


def suspension_letter_context(res: Residency, *, actor=None) -> dict:
    """商请休学函: to the sending school, from the residency's own dates, numbered and dated on
    first issue."""
    from portal.documents.render import chinese_date

    letter = issue_suspension_letter(res, actor=actor)
    return _base(res) | {"years": res.rule("incentives.suspension_years"),
                         "shift_years": res.rule("incentives.seniority_shift_years"),
                         "number": letter.number, "date": chinese_date(letter.issued_on)}


def certificate_ready(res: Residency, today: dt.date | None = None) -> str | None:
    """Why the certificate cannot be produced yet (a Chinese sentence), or None."""
    today = today or clock.today()
    if schooling_of(res) is None:
        return f"尚未登记{res.chair.name}的休学情况（第十六条），不能出具驻会证明"
    if res.status == ResidencyStatus.in_residence and today < res.term_end:
        return f"驻会期满（{res.term_end.isoformat()}）后方可出具驻会证明"
    return None


def certificate_context(res: Residency, *, actor=None) -> dict:
    """The A16 certificate: numbered on first issue (the number is kept); refused, naming what is
    missing, when the record does not hold the schooling status or the term has not ended."""
    from portal.core.numbering import year_of_issue_number

    why = certificate_ready(res)
    if why:
        raise Conflict(why, code="certificate_not_ready")
    s = schooling_of(res)
    if not s.certificate_number:
        s.certificate_number = year_of_issue_number("incentives.certificate", "学联证〔{year}〕{n}号",
                                                    issued_on=clock.today())
        db.session.flush()
        audit.record("incentives.certificate_issued", "incentive_schooling", s.id, actor=actor, article=ARTICLE,
                     after={"residency_id": res.id, "number": s.certificate_number, "status": s.status.value})
    suspended = s.status == SchoolingStatus.suspended
    return _base(res) | {"number": s.certificate_number, "suspended": suspended,
                         "approval_ref": s.approval_ref or "学校批准文件", "reason": s.reason or "",
                         "shift_years": res.rule("incentives.seniority_shift_years"),
                         "years": res.rule("incentives.suspension_years"),
                         "status_label": res.status_label}


# --- 复学 reminders ------------------------------------------------------------------------

def resume_deadlines(tenant):
    """A16: ``incentives.resume_reminder_workdays`` working days before the term ends (official
    calendar), the suspended chair and the sending school's liaisons are reminded to apply to
    resume schooling; the reminder stands until the last day of the term."""
    from portal.core.calendar import calendar
    from portal.core.workdays import NoCalendarData
    from portal.notifications.reminders import Deadline

    rows = db.session.execute(sa.select(Residency, Schooling).join(Schooling, Schooling.residency_id == Residency.id)
                              .where(Residency.status == ResidencyStatus.in_residence,
                                     Schooling.status == SchoolingStatus.suspended)).all()
    if not rows:
        return []
    liaisons: dict[int, list[int]] = {}
    for m in db.session.scalars(sa.select(Membership).where(Membership.role == Role.school_liaison,
                                                            Membership.active.is_(True))):
        liaisons.setdefault(m.school_id, []).append(m.user_id)
    out = []
    for res, _s in rows:
        n = int(res.rule("incentives.resume_reminder_workdays"))
        try:
            fires = calendar().add_workdays(res.term_end, -n)
        except NoCalendarData:
            continue
        users = ([res.chair.user_id] if res.chair.user_id else []) + liaisons.get(res.school_id, [])
        if not users:
            continue
        out.append(Deadline(res.term_end, "residency_resume", str(res.id),
                            {"name": res.chair.name, "school": res.school.name, "term_end": res.term_end.isoformat(),
                             "workdays": n, "article": "第十六条"},
                            user_ids=tuple(dict.fromkeys(users)), fires_from=fires, until=res.term_end))
    return out


def require(res: Residency) -> Schooling:
    s = schooling_of(res)
    if s is None:
        raise DomainError("尚未登记休学情况", status=404)
    return s
