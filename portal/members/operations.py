"""A federation's members: invite (one, a school's liaison, a spreadsheet), resend, change role,
disable. Plain functions over the models; flush and audit, never commit.

An invitation mails the person (through the outbox) a link to set a password when their
account is new, or tells an existing account's owner what they were given; nobody but the
mailbox's owner ever sees a set-password link.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.core import audit
from portal.core.db import tenant_context, utcnow
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from portal.members.models import MemberInvitation
from portal.reference.models import Province, School
from tenants.models import ROLE_LABELS, Membership, Role, Tenant

INVITE_MAX_AGE = 7 * 24 * 3600
MAX_IMPORT_ROWS = 500
MAX_NAME, MAX_EMAIL = 80, 200  # users.name, users.email
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")

# Chairs get their accounts from the appointment (A6.5), not from an invitation.
INVITABLE = (Role.secretariat_admin, Role.secretariat_staff, Role.approver, Role.department_head,
             Role.provincial_reviewer, Role.school_liaison)
ROLE_BY_LABEL = {ROLE_LABELS[r]: r for r in INVITABLE} | {r.value: r for r in INVITABLE}


class MemberError(DomainError):
    code = "invalid_member"


@dataclass
class Invitee:
    """One person to invite, as typed or read from a row; ``row`` for the error report."""

    name: str
    email: str
    role: Role
    school_id: int | None = None
    province_code: str | None = None
    row: int | None = None


@dataclass
class RowProblem:
    row: int | None
    column: str | None
    message: str


@dataclass
class BulkResult:
    invited: list[MemberInvitation] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- checking what was typed ------------------------------------------------------------------


def clean_invitee(name, email, role, school_id=None, province_code=None, *, row=None) -> tuple[Invitee | None,
                                                                                            list[RowProblem]]:
    """Check one invitee against the tenant's schools and the provinces; every problem named."""
    problems: list[RowProblem] = []

    def bad(column, message):
        problems.append(RowProblem(row, column, message))

    name = (name or "").strip() if isinstance(name, str) else ("" if name is None else str(name).strip())
    email = (email or "").strip().lower() if isinstance(email, str) else ""
    if not name:
        bad("name", "请填写姓名")
    elif len(name) > MAX_NAME:
        bad("name", f"姓名不能超过 {MAX_NAME} 个字")
    if not email:
        bad("email", "请填写邮箱")
    elif len(email) > MAX_EMAIL or not _EMAIL.match(email):
        bad("email", f"邮箱「{email[:60]}」格式不正确")
    if isinstance(role, Role):
        r = role
    else:
        r = ROLE_BY_LABEL.get((role or "").strip() if isinstance(role, str) else "")
    if r is None or r not in INVITABLE:
        bad("role", "请选择角色：" + "、".join(ROLE_LABELS[x] for x in INVITABLE))
    school = None
    if r == Role.school_liaison:
        try:
            sid = int(school_id) if school_id not in (None, "") else None
        except (TypeError, ValueError):
            sid = None
        school = db.session.scalar(sa.select(School).where(School.id == sid)) if sid else None
        if school is None:
            bad("school", "学校联络员须选择本学联的一所学校")
    province = None
    if r == Role.provincial_reviewer:
        code = (province_code or "").strip() if isinstance(province_code, str) else ""
        province = db.session.get(Province, code) if code else None
        if province is None:
            bad("province", "省级学联审查人须选择省份")
    if problems:
        return None, problems
    return Invitee(name=name, email=email, role=r, school_id=school.id if school else None,
                   province_code=province.code if province else None, row=row), []


# --- inviting -----------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="member-invite")


def invitation_link(inv: MemberInvitation) -> str:
    token = _serializer().dumps({"t": inv.tenant_id, "i": inv.id, "n": inv.nonce})
    return url_for("members_public.accept", token=token, _external=True)


def invite(tenant: Tenant, who: Invitee, *, actor) -> MemberInvitation:
    """Create or reuse the account, grant the role, record and mail the invitation."""
    from portal.auth.operations import create_user, find_user
    from tenants.operations import grant_role

    user = find_user(who.email)
    new_account = user is None
    if new_account:
        user = create_user(who.email, who.name, None)
    existing = db.session.scalar(sa.select(Membership).where(
        Membership.user_id == user.id, Membership.role == who.role, Membership.active.is_(True)))
    if existing is not None:
        raise Conflict(f"{who.email} 已是本学联的{ROLE_LABELS[who.role]}")
    membership = grant_role(tenant, user, who.role, actor=actor, school_id=who.school_id,
                            province_code=who.province_code)
    inv = MemberInvitation(tenant_id=tenant.id, user_id=user.id, membership_id=membership.id,
                           nonce=secrets.token_hex(16), sets_password=user.password_set_at is None,
                           invited_by_id=getattr(actor, "id", None), sent_count=1, last_sent_at=utcnow())
    db.session.add(inv)
    db.session.flush()
    _mail(tenant, inv, membership)
    audit.record("member.invited", "membership", membership.id, actor=actor,
                 after={"email": user.email, "name": who.name, "role": who.role.value,
                        "school_id": who.school_id, "province": who.province_code,
                        "new_account": new_account})
    return inv


def invite_many(tenant: Tenant, invitees: list[Invitee], *, actor) -> BulkResult:
    """All or nothing: a duplicate or an existing member stops the whole batch."""
    result = BulkResult()
    if len(invitees) > MAX_IMPORT_ROWS:
        result.problems.append(RowProblem(None, None, f"一次最多邀请 {MAX_IMPORT_ROWS} 人，请分批导入"))
        return result
    seen: dict[tuple[str, Role], int | None] = {}
    for who in invitees:
        key = (who.email, who.role)
        if key in seen:
            result.problems.append(RowProblem(who.row, "email", f"{who.email} 与第{seen[key]}行重复"))
        seen[key] = who.row
    if result.problems:
        return result
    for who in invitees:
        try:
            with db.session.begin_nested():
                result.invited.append(invite(tenant, who, actor=actor))
        except DomainError as exc:
            result.problems.append(RowProblem(who.row, "email", exc.message))
    return result


def _mail(tenant: Tenant, inv: MemberInvitation, membership: Membership) -> None:
    from portal.notifications.operations import notify
    from tenants.rules.operations import effective_rules

    federation = effective_rules(tenant).get("federation.name")
    notify(tenant.id, template_key="members.invitation",
           context={"name": inv.user.name, "federation_name": federation,
                    "role": ROLE_LABELS[membership.role],
                    "school_name": membership.school.name if membership.school else "",
                    "link": invitation_link(inv) if inv.sets_password else "",
                    "login_url": url_for("auth.login", _external=True),
                    "days": INVITE_MAX_AGE // 86400},
           recipient_email=inv.user.email, channels=("email",), related_type="member_invitation",
           related_id=inv.id, dedupe_key=f"member-invite:{inv.id}:{inv.nonce}")


def resend(inv: MemberInvitation, *, actor) -> MemberInvitation:
    """A new link (the old one stops working) mailed again; refused once accepted."""
    new_nonce = secrets.token_hex(16)
    changed = db.session.execute(
        sa.update(MemberInvitation)
        .where(MemberInvitation.id == inv.id, MemberInvitation.nonce == inv.nonce,
               MemberInvitation.accepted_at.is_(None))
        .values(nonce=new_nonce, sent_count=MemberInvitation.sent_count + 1, last_sent_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict("邀请已被接受或刚刚重新发送过，请刷新页面")
    db.session.refresh(inv)
    _mail(inv.tenant, inv, inv.membership)
    audit.record("member.invitation_resent", "membership", inv.membership_id, actor=actor,
                 after={"email": inv.user.email, "sent_count": inv.sent_count})
    return inv


def accept(token: str, password: str | None) -> tuple[MemberInvitation, object]:
    """Accept an invitation from its mailed link; sets the password of a new account."""
    from portal.auth.models import User

    try:
        data = _serializer().loads(token, max_age=INVITE_MAX_AGE)
    except SignatureExpired:
        raise MemberError("邀请链接已过期，请联系学联秘书处重新发送邀请") from None
    except BadSignature:
        raise MemberError("邀请链接无效") from None
    if not isinstance(data, dict) or not {"t", "i", "n"} <= set(data):
        raise MemberError("邀请链接无效")
    with tenant_context(int(data["t"]), db.session):
        inv = db.session.get(MemberInvitation, int(data["i"]))
        if inv is None or inv.nonce != data["n"]:
            raise MemberError("邀请链接已失效（可能已重新发送），请使用最新的邀请邮件")
        if inv.accepted_at is not None:
            raise MemberError("邀请已被接受，请直接登录")
        user = db.session.get(User, inv.user_id)
        if inv.sets_password and user.password_set_at is None:
            if len(password or "") < 10:
                raise MemberError("密码至少10个字符", field="password")
            user.set_password(password)
            user.end_all_sessions()
        changed = db.session.execute(
            sa.update(MemberInvitation)
            .where(MemberInvitation.id == inv.id, MemberInvitation.nonce == data["n"],
                   MemberInvitation.accepted_at.is_(None))
            .values(accepted_at=utcnow()).execution_options(synchronize_session=False)).rowcount
        if changed != 1:
            raise MemberError("邀请已被接受，请直接登录")
        db.session.flush()
        audit.record("member.invitation_accepted", "membership", inv.membership_id, actor=user,
                     after={"email": user.email})
        return inv, user


def needs_password(token: str) -> bool | None:
    """For the accept page: whether the link's account still needs a password (None: bad link)."""
    try:
        data = _serializer().loads(token, max_age=INVITE_MAX_AGE)
        with tenant_context(int(data["t"]), db.session):
            inv = db.session.get(MemberInvitation, int(data["i"]))
            if inv is None or inv.nonce != data["n"] or inv.accepted_at is not None:
                return None
            return inv.sets_password and inv.user.password_set_at is None
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


# --- changing and disabling ------------------------------------------------------------------------


def _active_admins(exclude_id: int | None = None) -> int:
    stmt = sa.select(sa.func.count()).select_from(Membership).where(
        Membership.role == Role.secretariat_admin, Membership.active.is_(True))
    if exclude_id is not None:
        stmt = stmt.where(Membership.id != exclude_id)
    return db.session.scalar(stmt)


def _lock(membership: Membership) -> Membership:
    """Re-read the row under a lock (PostgreSQL) so two admins cannot both pass a guard."""
    stmt = sa.select(Membership).where(Membership.id == membership.id)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Membership)
    return db.session.execute(stmt.execution_options(populate_existing=True)).scalar_one()


def change_role(membership: Membership, role, *, actor, school_id=None, province_code=None) -> Membership:
    membership = _lock(membership)
    who, problems = clean_invitee(membership.user.name, membership.user.email, role, school_id, province_code)
    if problems:
        raise MemberError(problems[0].message, field=problems[0].column)
    if who.role == membership.role and who.school_id == membership.school_id \
            and who.province_code == membership.province_code:
        return membership
    if membership.role == Role.secretariat_admin and who.role != Role.secretariat_admin \
            and membership.active and _active_admins(exclude_id=membership.id) == 0:
        raise Conflict("这是本学联唯一的管理员，须先指定另一位管理员")
    clash = db.session.scalar(sa.select(Membership.id).where(
        Membership.user_id == membership.user_id, Membership.role == who.role, Membership.id != membership.id))
    if clash:
        raise Conflict(f"{membership.user.email} 已有{ROLE_LABELS[who.role]}角色")
    before = {"role": membership.role.value, "school_id": membership.school_id,
              "province": membership.province_code}
    membership.role, membership.school_id, membership.province_code = who.role, who.school_id, who.province_code
    db.session.flush()
    audit.record("member.role_changed", "membership", membership.id, actor=actor, before=before,
                 after={"role": who.role.value, "school_id": who.school_id, "province": who.province_code,
                        "email": membership.user.email})
    return membership


def set_active(membership: Membership, active: bool, *, actor) -> Membership:
    membership = _lock(membership)
    if membership.active == active:
        return membership
    if not active:
        if membership.user_id == getattr(actor, "id", None):
            raise Conflict("不能停用自己的成员资格")
        if membership.role == Role.secretariat_admin and _active_admins(exclude_id=membership.id) == 0:
            raise Conflict("这是本学联唯一的管理员，不能停用")
    membership.active = active
    db.session.flush()
    audit.record("member.enabled" if active else "member.disabled", "membership", membership.id, actor=actor,
                 before={"active": not active}, after={"active": active, "email": membership.user.email,
                                                       "role": membership.role.value})
    return membership


# --- the members list ---------------------------------------------------------------------------------


def members_query(role: str | None = None, status: str | None = None, q: str | None = None):
    """Memberships for the list (one page of them is then given its latest invitation)."""
    from portal.auth.models import User

    latest = (sa.select(MemberInvitation.membership_id, sa.func.max(MemberInvitation.id).label("inv_id"))
              .group_by(MemberInvitation.membership_id).subquery())
    stmt = (sa.select(Membership)
            .join(User, User.id == Membership.user_id)
            .outerjoin(latest, latest.c.membership_id == Membership.id)
            .outerjoin(MemberInvitation, MemberInvitation.id == latest.c.inv_id)
            .order_by(Membership.role, User.name, Membership.id))
    if role and role in Role.__members__:
        stmt = stmt.where(Membership.role == Role(role))
    if status == "active":
        stmt = stmt.where(Membership.active.is_(True),
                          sa.or_(MemberInvitation.id.is_(None), MemberInvitation.accepted_at.is_not(None)))
    elif status == "pending":
        stmt = stmt.where(Membership.active.is_(True), MemberInvitation.id.is_not(None),
                          MemberInvitation.accepted_at.is_(None))
    elif status == "disabled":
        stmt = stmt.where(Membership.active.is_(False))
    if q:
        like = f"%{q[:80]}%"
        stmt = stmt.where(sa.or_(User.name.like(like), User.email.like(like)))
    return stmt


def latest_invitations(memberships) -> dict[int, MemberInvitation]:
    ids = [m.id for m in memberships]
    if not ids:
        return {}
    found: dict[int, MemberInvitation] = {}
    for inv in db.session.scalars(sa.select(MemberInvitation).where(MemberInvitation.membership_id.in_(ids))
                                  .order_by(MemberInvitation.id)):
        found[inv.membership_id] = inv
    return found


def schools_without_liaison(limit: int = 30) -> list[School]:
    has = sa.select(Membership.school_id).where(Membership.role == Role.school_liaison,
                                                Membership.active.is_(True), Membership.school_id.is_not(None))
    return list(db.session.scalars(sa.select(School).where(School.active.is_(True), School.id.not_in(has))
                                   .order_by(School.province_code, School.code).limit(limit)))


IMPORT_SHEET = "成员"
IMPORT_HEADERS = ["姓名", "邮箱", "角色", "学校", "省份"]


def read_invitees(data: bytes) -> tuple[list[Invitee], list[RowProblem]]:
    """Rows of the members workbook (name, email, role, school by name or code, province)."""
    from portal.core.uploads import UploadError, read_xlsx_sheet

    try:
        sheet = read_xlsx_sheet(data, IMPORT_SHEET, IMPORT_HEADERS, max_rows=MAX_IMPORT_ROWS)
    except UploadError as exc:
        return [], [RowProblem(exc.row, exc.column, exc.message if hasattr(exc, "message") else str(exc))]
    schools = {}
    for s in db.session.scalars(sa.select(School)):
        schools[s.name] = s.id
        schools[s.code] = s.id
    provinces = {}
    for p in db.session.scalars(sa.select(Province)):
        provinces[p.name] = p.code
        provinces[p.code] = p.code
    out, problems = [], []
    columns = {"name": "姓名", "email": "邮箱", "role": "角色", "school": "学校", "province": "省份"}
    for row in sheet:
        def text(h):
            v = row.get(h)
            return "" if v is None else str(v).strip()[:200]
        school = text("学校")
        province = text("省份")
        who, bad = clean_invitee(text("姓名"), text("邮箱"), text("角色"),
                                 schools.get(school) if school else None,
                                 provinces.get(province) if province else None, row=row.row)
        for b in bad:
            b.column = columns.get(b.column, b.column)
            if b.column == "学校" and school:
                b.message = f"本学联没有学校「{school[:60]}」（填写学校名称或学校标识码）"
        problems.extend(bad)
        if who:
            out.append(who)
        if len(problems) >= 200:
            problems.append(RowProblem(None, None, "错误过多，仅列出前 200 条"))
            break
    if not out and not problems:
        problems.append(RowProblem(None, None, "表中没有成员"))
    return out, problems


def template_rows() -> list[list[str]]:
    return [["", "", ROLE_LABELS[Role.school_liaison], "", ""]]
