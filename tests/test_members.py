"""A federation manages its own members (issue 9, item 1): invite one, a school's liaison or a
list; resend; change a role; disable — audited, tenant-scoped, admin-only, CSRF on."""
from __future__ import annotations

import io
import re
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from portal.auth.models import User
from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.extensions import db
from portal.members.models import MemberInvitation
from portal.notifications.models import Notification
from tenants.models import Membership, Role
from tests.factories import SchoolFactory, TenantFactory, UserFactory, member


def _audits(action, tenant):
    with tenant_context(tenant.id, db.session):
        return db.session.scalars(sa.select(AuditRecord).where(AuditRecord.action == action)).all()


def _invitation_mail(tenant, email):
    with tenant_context(tenant.id, db.session):
        return db.session.scalars(sa.select(Notification).where(
            Notification.template_key == "members.invitation", Notification.recipient_email == email)
            .order_by(Notification.id.desc())).first()


def _path(link: str) -> str:
    return urlparse(link).path


@pytest.fixture()
def fed(session):
    tenant = TenantFactory()
    school = SchoolFactory(tenant=tenant, name="中山大学")
    admin = member(tenant)
    return tenant, school, admin


def test_admin_invites_a_liaison_who_sets_a_password_and_signs_in(client, login_as, fed):
    tenant, school, admin = fed
    login_as(admin)
    resp = client.post(f"/{tenant.slug}/members/invite",
                       data={"name": "陈联络", "email": "Liaison@SYSU.example.cn", "role": "school_liaison",
                             "school_id": str(school.id)})
    assert resp.status_code == 303
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.email == "liaison@sysu.example.cn"))
    assert user is not None and user.password_set_at is None
    with tenant_context(tenant.id, db.session):
        m = db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id))
        assert m.role == Role.school_liaison and m.school_id == school.id
    mail = _invitation_mail(tenant, user.email)
    assert mail is not None and "/join/" in mail.context["link"] and mail.context["school_name"] == "中山大学"
    assert _audits("member.invited", tenant)[-1].after["email"] == user.email

    client.get("/logout")
    page = client.get(_path(mail.context["link"]))
    assert page.status_code == 200 and "设置密码" in page.get_data(as_text=True)
    resp = client.post(_path(mail.context["link"]), data={"password": "a-new-password-1", "confirm": "a-new-password-1"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("a-new-password-1")
    assert _audits("member.invitation_accepted", tenant)
    # the link works once
    again = client.post(_path(mail.context["link"]), data={"password": "another-password", "confirm": "another-password"})
    assert again.status_code in (400, 404)
    assert db.session.get(User, user.id).check_password("a-new-password-1")


def test_an_existing_account_is_never_given_a_set_password_link(app, client, login_as, fed):
    tenant, school, admin = fed
    someone = UserFactory(email="known@example.cn")
    login_as(admin)
    assert client.post(f"/{tenant.slug}/members/invite",
                       data={"name": "已有账号", "email": "known@example.cn", "role": "secretariat_staff"}
                       ).status_code == 303
    mail = _invitation_mail(tenant, "known@example.cn")
    assert mail.context["link"] == "" and "/login" in mail.context["login_url"]
    from portal.members.operations import invitation_link

    with app.test_request_context(), tenant_context(tenant.id, db.session):
        inv = db.session.scalar(sa.select(MemberInvitation).where(MemberInvitation.user_id == someone.id))
        assert inv.sets_password is False
        link = invitation_link(inv)
    client.get("/logout")
    client.post(_path(link), data={"password": "taken-over-password", "confirm": "taken-over-password"})
    db.session.expire_all()
    assert db.session.get(User, someone.id).check_password("correct horse battery")
    assert not db.session.get(User, someone.id).check_password("taken-over-password")


def test_resend_replaces_the_link(client, login_as, fed):
    tenant, school, admin = fed
    login_as(admin)
    client.post(f"/{tenant.slug}/members/invite", data={"name": "王审批", "email": "approver@example.cn",
                                                          "role": "approver"})
    first = _invitation_mail(tenant, "approver@example.cn").context["link"]
    with tenant_context(tenant.id, db.session):
        inv = db.session.scalar(sa.select(MemberInvitation).join(User, User.id == MemberInvitation.user_id)
                                .where(User.email == "approver@example.cn"))
    assert client.post(f"/{tenant.slug}/members/invitations/{inv.id}/resend").status_code == 303
    second = _invitation_mail(tenant, "approver@example.cn").context["link"]
    assert second != first
    with tenant_context(tenant.id, db.session):
        db.session.refresh(inv)
        assert inv.sent_count == 2
    client.get("/logout")
    assert client.get(_path(first)).status_code == 404
    assert client.get(_path(second)).status_code == 200
    assert _audits("member.invitation_resent", tenant)


def test_change_role_and_disable_are_audited_and_guarded(client, login_as, fed):
    tenant, school, admin = fed
    staff = member(tenant, Role.secretariat_staff)
    with tenant_context(tenant.id, db.session):
        staff_m = db.session.scalar(sa.select(Membership).where(Membership.user_id == staff.id))
        admin_m = db.session.scalar(sa.select(Membership).where(Membership.user_id == admin.id))
        staff_m_id, admin_m_id = staff_m.id, admin_m.id
    login_as(admin)
    resp = client.post(f"/{tenant.slug}/members/{staff_m_id}/role", data={"role": "approver"})
    assert resp.status_code == 303
    rec = _audits("member.role_changed", tenant)[-1]
    assert rec.before["role"] == "secretariat_staff" and rec.after["role"] == "approver"
    # the only admin can neither be demoted nor disabled, nor disable themself
    resp = client.post(f"/{tenant.slug}/members/{admin_m_id}/role", data={"role": "secretariat_staff"})
    assert resp.status_code == 409 and "唯一的管理员" in resp.get_data(as_text=True)
    resp = client.post(f"/{tenant.slug}/members/{admin_m_id}/active", data={"active": "0"})
    assert resp.status_code == 409
    # a liaison needs a school of this federation
    resp = client.post(f"/{tenant.slug}/members/{staff_m_id}/role", data={"role": "school_liaison"})
    assert resp.status_code == 400 and "学校" in resp.get_data(as_text=True)
    resp = client.post(f"/{tenant.slug}/members/{staff_m_id}/active", data={"active": "0"})
    assert resp.status_code == 303
    with tenant_context(tenant.id, db.session):
        db.session.refresh(staff_m)
        assert staff_m.active is False
    assert _audits("member.disabled", tenant)[-1].after["email"] == staff.email
    client.get("/logout")
    login_as(staff)
    assert client.get(f"/{tenant.slug}/selection/").status_code == 403


def test_liaisons_for_the_schools_without_one_all_or_nothing(client, login_as, fed):
    tenant, school, admin = fed
    other = SchoolFactory(tenant=tenant, name="华南理工大学")
    login_as(admin)
    page = client.get(f"/{tenant.slug}/members/").get_data(as_text=True)
    assert "尚无联络员的学校" in page and "华南理工大学" in page
    bad = {"school_id": [str(school.id), str(other.id)],
           f"name_{school.id}": "甲", f"email_{school.id}": "a@example.cn",
           f"name_{other.id}": "乙", f"email_{other.id}": "not-an-email"}
    resp = client.post(f"/{tenant.slug}/members/liaisons", data=bad)
    assert resp.status_code == 422 and "格式不正确" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "a@example.cn")) is None
    bad[f"email_{other.id}"] = "b@example.cn"
    assert client.post(f"/{tenant.slug}/members/liaisons", data=bad).status_code == 303
    with tenant_context(tenant.id, db.session):
        n = db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(
            Membership.role == Role.school_liaison))
    assert n == 2
    assert "尚无联络员的学校" not in client.get(f"/{tenant.slug}/members/").get_data(as_text=True)


def _members_xlsx(rows):
    wb = Workbook()
    ws = wb.active
    ws.title = "成员"
    ws.append(["姓名", "邮箱", "角色", "学校", "省份"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_members_workbook_reports_every_bad_row_then_invites(client, login_as, fed):
    tenant, school, admin = fed
    login_as(admin)
    data = _members_xlsx([["张三", "zs@example.cn", "学校联络员", "中山大学", ""],
                          ["李四", "ls@example.cn", "省级学联审查人", "", "火星"],
                          ["王五", "ww@example.cn", "学校联络员", "不存在大学", ""]])
    resp = client.post(f"/{tenant.slug}/members/import", data={"file": (io.BytesIO(data), "m.xlsx")})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "第3行" in page and "第4行" in page and "不存在大学" in page
    assert db.session.scalar(sa.select(User).where(User.email == "zs@example.cn")) is None
    data = _members_xlsx([["张三", "zs@example.cn", "学校联络员", "中山大学", ""],
                          ["李四", "ls@example.cn", "省级学联审查人", "", "广东省"]])
    resp = client.post(f"/{tenant.slug}/members/import", data={"file": (io.BytesIO(data), "m.xlsx")})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    assert len(_audits("member.invited", tenant)) == 2


def test_members_api_and_isolation(client, login_as, fed):
    tenant, school, admin = fed
    elsewhere = TenantFactory()
    foreign_school = SchoolFactory(tenant=elsewhere)
    foreign_admin = member(elsewhere)
    with tenant_context(elsewhere.id, db.session):
        foreign_id = db.session.scalar(sa.select(Membership.id).where(Membership.user_id == foreign_admin.id))
    login_as(admin)
    base = f"/api/v1/{tenant.slug}/members"
    resp = client.post(base, json={"name": "赵", "email": "zhao@example.cn", "role": "school_liaison",
                                   "school_id": foreign_school.id})
    assert resp.status_code == 422 and "school" in resp.get_json()["error"]["details"]
    resp = client.post(base, json={"name": "", "email": "x", "role": "boss"})
    fields = set(resp.get_json()["error"]["details"])
    assert resp.status_code == 422 and {"name", "email", "role"} <= fields
    resp = client.post(base, json={"name": "赵", "email": "zhao@example.cn", "role": "school_liaison",
                                   "school_id": school.id})
    assert resp.status_code == 201 and resp.get_json()["invitation"]["sent_count"] == 1
    listed = client.get(f"{base}?status=pending").get_json()
    assert [m["email"] for m in listed["items"]] == ["zhao@example.cn"]
    assert client.post(f"{base}/{foreign_id}/active", json={"active": False}).status_code == 404
    assert client.post(f"/{tenant.slug}/members/{foreign_id}/role", data={"role": "approver"}).status_code == 404
    assert client.post(f"{base}/{listed['items'][0]['id']}/active", json={"active": "maybe"}).status_code == 422


@pytest.mark.parametrize("role", [Role.secretariat_staff, Role.school_liaison, Role.chair])
def test_members_are_for_the_admin_only(client, login_as, fed, role):
    tenant, school, admin = fed
    kw = {"school_id": school.id} if role == Role.school_liaison else {}
    login_as(member(tenant, role, **kw))
    assert client.get(f"/{tenant.slug}/members/").status_code == 403
    assert client.get(f"/api/v1/{tenant.slug}/members").status_code == 403
    assert client.post(f"/{tenant.slug}/members/invite", data={"name": "x", "email": "x@example.cn",
                                                                "role": "secretariat_admin"}).status_code == 403


def test_invite_needs_the_csrf_token_of_the_page(app, client, login_as, fed):
    tenant, school, admin = fed
    login_as(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        data = {"name": "钱", "email": "qian@example.cn", "role": "department_head"}
        assert client.post(f"/{tenant.slug}/members/invite", data=data).status_code == 400
        page = client.get(f"/{tenant.slug}/members/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert client.post(f"/{tenant.slug}/members/invite", data={**data, "csrf_token": token}).status_code == 303
        assert client.post(f"/api/v1/{tenant.slug}/members", json=data).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
