from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from portal.api.schemas import Out, operation
from portal.core.clock import utc_iso
from portal.core.permissions import ROLE_ADMIN, require_roles
from portal.extensions import db
from portal.notifications import operations as ops
from portal.notifications.catalog import REGISTRY, TemplateProblem, effective_template, effective_templates
from portal.notifications.models import InboxItem, MailboxMessage, Notification, NotificationStatus

bp = Blueprint("notifications", __name__, url_prefix="/<tenant>", template_folder="templates")
api_bp = Blueprint("notifications_api", __name__, url_prefix="/api/v1/<tenant>")


def _me():
    return current_user._get_current_object()


# --- inbox (every member) ----------------------------------------------------------------

@bp.route("/inbox/")
def inbox():
    stmt = (sa.select(InboxItem).where(InboxItem.user_id == current_user.id)
            .order_by(InboxItem.id.desc()))
    page = db.paginate(stmt, page=max(1, request.args.get("page", 1, type=int)), per_page=30, error_out=False)
    return render_template("notifications/inbox.html", page=page)


@bp.route("/inbox/<int:item_id>")
def inbox_item(item_id: int):
    item = db.get_or_404(InboxItem, item_id)
    if item.user_id != current_user.id:
        abort(404)
    ops.mark_read(item, _me())
    return render_template("notifications/inbox_item.html", item=item)


@bp.route("/inbox/read-all", methods=["POST"])
def inbox_read_all():
    n = ops.mark_all_read(_me())
    flash(f"已将 {n} 条消息标为已读", "success")
    return redirect(url_for("notifications.inbox")), 303


# --- mailbox: every email sent (admin) -----------------------------------------------------

@bp.route("/mailbox/")
@require_roles(*ROLE_ADMIN)
def mailbox():
    stmt = sa.select(MailboxMessage).order_by(MailboxMessage.id.desc())
    q = (request.args.get("q") or "").strip()
    if q:
        stmt = stmt.where(sa.or_(MailboxMessage.recipient.contains(q), MailboxMessage.subject.contains(q)))
    page = db.paginate(stmt, page=max(1, request.args.get("page", 1, type=int)), per_page=30, error_out=False)
    confirmed = {}
    ids = [m.notification_id for m in page.items]
    if ids:
        confirmed = dict(db.session.execute(sa.select(Notification.id, Notification.smtp_confirmed_at)
                                            .where(Notification.id.in_(ids))).all())
    from flask import current_app

    return render_template("notifications/mailbox.html", page=page, q=q, confirmed=confirmed,
                           smtp=bool(current_app.config.get("MAIL_SERVER")))


@bp.route("/mailbox/<int:message_id>")
@require_roles(*ROLE_ADMIN)
def mailbox_message(message_id: int):
    return render_template("notifications/mailbox_message.html", m=db.get_or_404(MailboxMessage, message_id))


# --- outbox (admin) -------------------------------------------------------------------------

@bp.route("/notifications/")
@require_roles(*ROLE_ADMIN)
def outbox():
    stmt = sa.select(Notification).order_by(Notification.id.desc())
    status = request.args.get("status")
    if status in {s.value for s in NotificationStatus}:
        stmt = stmt.where(Notification.status == status)
    page = db.paginate(stmt, page=max(1, request.args.get("page", 1, type=int)), per_page=50, error_out=False)
    counts = dict(db.session.execute(sa.select(Notification.status, sa.func.count())
                                     .group_by(Notification.status)).all())
    return render_template("notifications/outbox.html", page=page, status=status,
                           counts={getattr(k, "value", k): v for k, v in counts.items()})


@bp.route("/notifications/<int:nid>/retry", methods=["POST"])
@require_roles(*ROLE_ADMIN)
def outbox_retry(nid: int):
    n = db.get_or_404(Notification, nid)
    try:
        ops.retry_notification(n, _me())
    except ops.NotificationError as exc:
        flash(exc.message, "error")
        return redirect(url_for("notifications.outbox")), 303
    flash("已重新放入出件箱", "success")
    return redirect(url_for("notifications.outbox")), 303


# --- templates (admin) ------------------------------------------------------------------------

@bp.route("/notification-templates/")
@require_roles(*ROLE_ADMIN)
def templates():
    return render_template("notifications/templates.html", templates=effective_templates(g.tenant))


@bp.route("/notification-templates/<key>", methods=["GET", "POST"])
@require_roles(*ROLE_ADMIN)
def edit_template(key: str):
    if key not in REGISTRY:
        abort(404)
    eff = effective_template(g.tenant, key)
    form = {"subject": eff.subject, "body": eff.body, "reason": eff.reason or ""}
    preview = problem = None
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "preview")
        form = {k: request.form.get(k, "") for k in ("subject", "body", "reason")}
        try:
            if action == "clear":
                ops.clear_template_override(g.tenant, key, _me())
                flash("已恢复为全国模板", "success")
                return redirect(url_for("notifications.templates")), 303
            if action == "save":
                ops.set_template_override(g.tenant, key, form["subject"], form["body"], form["reason"], _me())
                flash("本地模板已保存", "success")
                return redirect(url_for("notifications.edit_template", key=key)), 303
            preview = ops.preview_template(g.tenant, key, form["subject"], form["body"])
        except TemplateProblem as exc:
            g._no_commit = True
            problem = exc
            status = 422
        except ops.NotificationError as exc:
            g._no_commit = True
            flash(exc.message, "error")
            status = 400
    return render_template("notifications/template_edit.html", eff=eff, form=form, preview=preview,
                           problem=problem, sample=eff.definition.sample), status


# --- API --------------------------------------------------------------------------------

class InboxItemOut(Out):
    id: int
    subject: str
    body: str
    read: bool
    created_at: str
    related_type: str | None
    related_id: str | int | None


class InboxOut(Out):
    unread: int
    items: list[InboxItemOut]


class UnreadOut(Out):
    unread: int


class NotificationOut(Out):
    id: int
    template_key: str
    status: str
    channels: list[str]
    recipient_user_id: int | None
    recipient_email: str | None
    subject: str
    error: str | None
    attempts: int
    related_type: str | None
    related_id: str | int | None
    created_at: str
    sent_at: str | None


@api_bp.get("/inbox")
@operation(responses={200: InboxOut})
def api_inbox():
    """The user's in-app inbox (latest 100) and unread count."""
    items = db.session.scalars(sa.select(InboxItem).where(InboxItem.user_id == current_user.id)
                               .order_by(InboxItem.id.desc()).limit(100)).all()
    return jsonify({"unread": ops.unread_count(current_user.id), "items": [
        {"id": i.id, "subject": i.subject, "body": i.body, "read": i.read_at is not None,
         "created_at": utc_iso(i.created_at), "related_type": i.related_type,
         "related_id": i.related_id} for i in items]})


@api_bp.get("/inbox/unread-count")
@operation(responses={200: UnreadOut})
def api_unread():
    """The user's unread count."""
    return jsonify({"unread": ops.unread_count(current_user.id)})


@api_bp.get("/notifications/<int:nid>")
@require_roles(*ROLE_ADMIN)
@operation(responses={200: NotificationOut})
def api_notification(nid: int):
    """One notification's delivery status (outbox)."""
    return jsonify(db.get_or_404(Notification, nid).as_json())
