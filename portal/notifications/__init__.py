"""Notifications: the outbox, email (Flask-Mail or the local mailbox), the in-app inbox,
templates with national defaults and tenant overrides, and scheduled reminders."""
from portal.notifications.catalog import register_default_template  # noqa: F401


def notify(*args, **kwargs):
    from portal.notifications.operations import notify as _notify

    return _notify(*args, **kwargs)


def _mail_unlock_link(user, *, tenant_id: int, lock_url: str, minutes: int, dedupe_key: str):
    """A locked account's owner gets the link that lifts the lock (portal/core/throttle.py)."""
    from portal.notifications.operations import notify as _notify

    _notify(tenant_id, template_key="auth.login_unlock", recipient_user_id=user.id, channels=("email",),
            context={"name": user.name, "unlock_url": lock_url, "minutes": minutes}, dedupe_key=dedupe_key)


def _tell_deciders(kind_key, *, request, actor=None):
    """An approval request (portal/core/approvals.py) reaches every active decider of its kind."""
    import sqlalchemy as sa

    from portal.core.approvals import KINDS
    from portal.extensions import db
    from portal.notifications.operations import notify as _notify
    from tenants.models import Membership, Role

    req, kind = request, KINDS[kind_key]
    roles = [Role(r) for r in kind.decider_roles]
    for m in db.session.scalars(sa.select(Membership).where(Membership.role.in_(roles),
                                                            Membership.active.is_(True))):
        _notify(req.tenant_id, template_key="approvals.requested",
                context={"title": req.title, "body": req.body_name, "kind": kind.label, "id": req.id},
                recipient_user_id=m.user_id, channels=("email", "inbox"), related_type="approval_request",
                related_id=req.id, dedupe_key=f"approval-requested:{req.id}:{m.user_id}")


def _tell_requester(kind_key, *, request, actor=None):
    """The decision on an approval request reaches whoever asked (a withdrawal is their own)."""
    from portal.core.approvals import KINDS, ApprovalStatus
    from portal.notifications.operations import notify as _notify

    req, kind = request, KINDS[kind_key]
    if req.requested_by_id is None or req.status not in (ApprovalStatus.approved, ApprovalStatus.refused):
        return
    _notify(req.tenant_id, template_key="approvals.decided",
            context={"title": req.title, "body": req.body_name, "kind": kind.label, "status": req.status_label,
                     "reason": req.reason or "", "document_number": req.document_number or ""},
            recipient_user_id=req.requested_by_id, channels=("email", "inbox"), related_type="approval_request",
            related_id=req.id, dedupe_key=f"approval-decided:{req.id}")


def init_app(app):
    import click
    from flask import g
    from flask.cli import AppGroup
    from flask_login import current_user

    import portal.notifications.defaults  # noqa: F401
    import portal.notifications.operations  # noqa: F401  (session hooks)
    from portal.core.templating import register_nav
    from portal.notifications.views import api_bp, bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    from portal.core.signals import account_locked

    from portal.core.approvals import approval_decided, approval_requested

    from portal.jobs.periodic import Periodic, register_periodic, register_sweep

    register_periodic(Periodic("outbox-sweep", "portal.notifications.jobs.sweep_outbox", 60, "notifications"))
    register_periodic(Periodic("reminders", "portal.notifications.reminders.run_reminders", 3600, "default"))
    register_sweep("出件箱：重新入队", "portal.notifications.jobs.sweep_outbox")
    account_locked.connect(_mail_unlock_link, weak=False)
    approval_requested.connect(_tell_deciders, weak=False)
    approval_decided.connect(_tell_requester, weak=False)
    register_nav(app, "notifications.mailbox", "所有已发送邮件", roles=("secretariat_admin",))
    register_nav(app, "notifications.templates", "通知模板", roles=("secretariat_admin",))

    @app.context_processor
    def _inbox_badge():
        if g.get("tenant") is None or not g.get("roles") or not current_user.is_authenticated:
            return {}
        from portal.notifications.operations import unread_count

        return {"inbox_unread": unread_count(current_user.id)}

    reminders_cli = AppGroup("reminders", help="定时提醒")

    @reminders_cli.command("run")
    @click.option("--date", "day", default=None, help="按这一天计算（默认今天）")
    def reminders_run(day):
        import datetime as dt

        from portal.notifications.reminders import run_reminders

        try:
            today = dt.date.fromisoformat(day) if day else None
        except ValueError:
            raise click.BadParameter(f"日期格式应为 YYYY-MM-DD：{day}") from None
        click.echo(f"已生成 {run_reminders(today)} 条提醒")

    app.cli.add_command(reminders_cli)
