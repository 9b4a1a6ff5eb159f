"""Notifications: the outbox (A6.1 letters go out once), templates by reference (A22),
the mailbox and the inbox."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db
from portal.jobs.models import JobRecord, JobStatus
from portal.notifications.catalog import TemplateProblem, render
from portal.notifications.jobs import deliver, sweep_outbox
from portal.notifications.models import InboxItem, MailboxMessage, Notification, NotificationStatus
from portal.notifications.operations import notify, set_template_override
from tests.factories import NationalTenantFactory, TenantFactory, member
from tenants.models import Role

LETTER_CTX = {"school_name": "示例大学", "academic_year": "2025-2026", "deadline": "2025-10-31",
              "contact": "秘书处"}


def _count(model, **where):
    stmt = sa.select(sa.func.count()).select_from(model)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    return db.session.scalar(stmt)


def test_outbox_rollback_sends_nothing_A6_1(session, as_tenant):
    tenant = TenantFactory()
    admin = member(tenant)
    session.commit()
    with as_tenant(tenant):
        notify(tenant.id, template_key="selection.cultivation_letter", context=LETTER_CTX,
               recipient_user_id=admin.id)
        assert _count(Notification) == 1
        session.rollback()
        assert _count(Notification) == 0
        assert _count(MailboxMessage) == 0
        assert _count(JobRecord) == 0
    # and a later commit does not resurrect the dropped delivery
    session.commit()
    with as_tenant(tenant):
        assert _count(MailboxMessage) == 0


def test_commit_delivers_email_and_inbox_once_A6_1(session, as_tenant):
    tenant = TenantFactory()
    admin = member(tenant)
    with as_tenant(tenant):
        n = notify(tenant.id, template_key="selection.cultivation_letter", context=LETTER_CTX,
                   recipient_user_id=admin.id, related_type="school", related_id=1)
        session.commit()
        session.expire_all()
        n = session.get(Notification, n.id)
        assert n.status == NotificationStatus.sent, n.error
        assert "示例大学党委" in n.body
        mail = session.scalars(sa.select(MailboxMessage)).all()
        assert [(m.recipient, m.transport) for m in mail] == [(admin.email, "local")]
        assert mail[0].message_id == n.message_id
        assert _count(InboxItem, user_id=admin.id) == 1
        job = session.scalars(sa.select(JobRecord)).one()
        assert job.status == JobStatus.finished and job.queue == "notifications"


def test_delivery_is_idempotent_when_the_job_runs_twice_A6_1(app, session, as_tenant):
    from portal.jobs.runner import run_eager

    tenant = TenantFactory()
    users = [member(tenant, Role.secretariat_staff) for _ in range(3)]
    with as_tenant(tenant):
        ids = [notify(tenant.id, template_key="general.notice", context={"title": "例会", "body": "周一开会"},
                      recipient_user_id=u.id).id for u in users]
        session.commit()
        assert _count(MailboxMessage) == 3
        # the queue hands the same job out again, and a second worker runs the batch too
        job = session.scalars(sa.select(JobRecord)).one()
        job.status = JobStatus.queued
        session.commit()
        run_eager(app, job.id, tenant.id)
        stats = deliver(ids)
        session.commit()
        assert stats["sent"] == 0 and stats["skipped"] == 3
        assert _count(MailboxMessage) == 3
        assert _count(InboxItem) == 3


def test_dead_worker_lease_expires_and_sweep_sends_once_A6_1(session, as_tenant, monkeypatch):
    tenant = TenantFactory()
    admin = member(tenant)
    # the sweep counts what it re-enqueues in this tenant (rows another test of the same process
    # committed elsewhere are not this test's)
    monkeypatch.setattr("portal.jobs.operations.tenant_ids", lambda: [tenant.id])
    with as_tenant(tenant):
        n = notify(tenant.id, template_key="general.notice", context={"title": "t", "body": "b"},
                   recipient_email="school@example.cn", channels=("email",))
        session.flush()
        session.info.pop("portal_outbox_new")  # as if Redis lost the job
        # a worker claimed it and died: still "sending", lease expired
        n.status = NotificationStatus.sending
        n.claim_token = "dead"
        n.lease_until = dt.datetime(2000, 1, 1)
        session.commit()
        assert _count(MailboxMessage) == 0
        assert sweep_outbox() == 1
        assert sweep_outbox() == 0
        assert _count(MailboxMessage) == 1
        session.refresh(n)
        assert n.status == NotificationStatus.sent and n.attempts == 1
    assert admin


def test_dedupe_key_sends_once(session, as_tenant):
    tenant = TenantFactory()
    admin = member(tenant)
    with as_tenant(tenant):
        a = notify(tenant.id, template_key="general.notice", context={"title": "t", "body": "b"},
                   recipient_user_id=admin.id, dedupe_key="k1")
        b = notify(tenant.id, template_key="general.notice", context={"title": "t", "body": "b"},
                   recipient_user_id=admin.id, dedupe_key="k1")
        assert a.id == b.id
        session.commit()
        assert _count(Notification) == 1 and _count(MailboxMessage) == 1


def test_provincial_override_used_and_national_default_kept_A22(session, as_tenant):
    national = NationalTenantFactory()
    province = TenantFactory(parent=national)
    admin = member(province)
    with as_tenant(province):
        set_template_override(province, "general.notice", "【{{ tenant_short_name }}】{{ title }}",
                              "{{ body }}\n本省联系人：团省委学校部", "本省统一标题格式", admin)
        subject, body = render(province, "general.notice", {"title": "例会", "body": "周一"})
        assert subject == f"【{province.short_name}】例会"
        assert "团省委学校部" in body
    with as_tenant(national):
        subject, body = render(national, "general.notice", {"title": "例会", "body": "周一"})
        assert subject == "例会"


def test_template_error_names_the_line_and_nothing_is_sent_A22(session, as_tenant):
    tenant = TenantFactory()
    admin = member(tenant)
    with as_tenant(tenant):
        try:
            set_template_override(tenant, "general.notice", "{{ title }}", "第一行\n{{ missing_var }}\n",
                                  "试验", admin)
        except TemplateProblem as exc:
            assert exc.line == 2 and exc.part == "正文"
            assert "第2行" in exc.message
        else:
            raise AssertionError("an undefined variable must be refused")
        try:
            set_template_override(tenant, "general.notice", "{{ title }}", "a\nb\n{% if %}", "试验", admin)
        except TemplateProblem as exc:
            assert exc.line == 3 and "语法错误" in exc.message
        # a caller that forgets a variable: the notification fails with the error, nothing sent
        n = notify(tenant.id, template_key="general.notice", context={"title": "只有标题"},
                   recipient_user_id=admin.id)
        session.commit()
        session.refresh(n)
        assert n.status == NotificationStatus.failed
        assert "正文第1行" in n.error and "body" in n.error
        assert _count(MailboxMessage) == 0 and _count(InboxItem) == 0


def test_template_pages_preview_error_and_override_A22(client, login_as, session):
    tenant = TenantFactory()
    admin = member(tenant)
    login_as(admin)
    resp = client.get(f"/{tenant.slug}/notification-templates/")
    assert resp.status_code == 200 and "致学校党委的培养推荐函" in resp.get_data(as_text=True)
    url = f"/{tenant.slug}/notification-templates/general.notice"
    resp = client.post(url, data={"subject": "{{ title }}", "body": "x\n{{ nope }}", "reason": "r",
                                  "action": "preview"})
    assert resp.status_code == 422
    assert "正文第2行" in resp.get_data(as_text=True)
    resp = client.post(url, data={"subject": "{{ title }}（省）", "body": "{{ body }}", "reason": "本省格式",
                                  "action": "save"})
    assert resp.status_code == 303
    page = client.get(f"/{tenant.slug}/notification-templates/").get_data(as_text=True)
    assert "本地模板" in page
    staff = member(tenant, Role.secretariat_staff)
    client.post("/logout")
    login_as(staff)
    assert client.get(url).status_code == 403


def test_mailbox_page_lists_sent_mail_admin_only(client, login_as, session, as_tenant):
    tenant = TenantFactory()
    other = TenantFactory()
    admin = member(tenant)
    with as_tenant(tenant):
        notify(tenant.id, template_key="selection.cultivation_letter", context=LETTER_CTX,
               recipient_email="party@school.example.cn", channels=("email",))
        session.commit()
    login_as(admin)
    resp = client.get(f"/{tenant.slug}/mailbox/")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "所有已发送邮件" in text
    assert "party@school.example.cn" in text and "培养推荐工作的函" in text
    client.post("/logout")
    login_as(member(other))
    assert "party@school.example.cn" not in client.get(f"/{other.slug}/mailbox/").get_data(as_text=True)
    client.post("/logout")
    login_as(member(tenant, Role.chair))
    assert client.get(f"/{tenant.slug}/mailbox/").status_code == 403


def test_inbox_unread_badge_and_read(client, login_as, session, as_tenant):
    tenant = TenantFactory()
    chair = member(tenant, Role.chair)
    with as_tenant(tenant):
        for i in range(2):
            notify(tenant.id, template_key="general.notice", context={"title": f"通知{i}", "body": "内容"},
                   recipient_user_id=chair.id, channels=("inbox",))
        session.commit()
    login_as(chair)
    assert client.get(f"/api/v1/{tenant.slug}/inbox/unread-count").get_json() == {"unread": 2}
    page = client.get(f"/{tenant.slug}/inbox/").get_data(as_text=True)
    assert "站内消息" in page and '<span class="badge" title="未读">2</span>' in page
    item_id = client.get(f"/api/v1/{tenant.slug}/inbox").get_json()["items"][0]["id"]
    assert client.get(f"/{tenant.slug}/inbox/{item_id}").status_code == 200
    assert client.get(f"/api/v1/{tenant.slug}/inbox/unread-count").get_json() == {"unread": 1}
    # nobody else's inbox item can be opened
    other = member(tenant, Role.chair)
    client.post("/logout")
    login_as(other)
    assert client.get(f"/{tenant.slug}/inbox/{item_id}").status_code == 404


def test_reminders_declared_as_data_sent_once_A6_2(session, as_tenant):
    from portal.core.calendar import calendar
    from portal.notifications.reminders import run_reminders

    national = NationalTenantFactory()
    admin = member(national)
    session.commit()
    last = max(calendar().covered_years())
    day = dt.date(last, 12, 28)
    assert run_reminders(day) >= 1
    assert run_reminders(day) == 0
    with tenant_context(national.id, session):
        rows = session.scalars(sa.select(Notification).where(Notification.recipient_user_id == admin.id)).all()
        assert len(rows) == 1
        assert rows[0].template_key == "workdays.next_year_missing"
        assert rows[0].status == NotificationStatus.sent
        assert f"{last + 1}年" in rows[0].subject


@pytest.mark.parametrize("sender", ["noreply@portal.local", "秘书处 <noreply@portal.local>", '"A, B" <x@y.cn>'])
@pytest.mark.parametrize("subject", ["关于推荐2025-2026学年全国学联驻会执行主席人选的函", "Plain subject", "长" * 300])
def test_letter_bytes_read_as_flask_mail_builds_them(app, sender, subject):
    """The letters a fan-out writes directly parse to what Flask-Mail would have sent: the same
    headers, the same body, no line over SMTP's 998 octets."""
    import email
    import email.policy

    from flask_mail import Message

    from portal.notifications.jobs import letter_bytes

    body = "各高校学生会：\n根据全国学联章程，现就有关事项函告如下。\n" * 8
    ref = Message(subject=subject, recipients=["a@school.example.cn"], body=body, sender=sender)
    ref.msgId = "<n1.x@portal.local>"
    raw = letter_bytes(sender, "a@school.example.cn", subject, body, "<n1.x@portal.local>")
    with app.app_context():
        want = email.message_from_bytes(ref.as_bytes(), policy=email.policy.default)
    got = email.message_from_bytes(raw, policy=email.policy.default)
    for h in ("Subject", "From", "To", "Message-ID", "Content-Type", "Content-Transfer-Encoding", "MIME-Version"):
        assert str(got[h]) == str(want[h]), h
    assert got.get_content() == want.get_content()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
