"""The outbox: ``notify`` writes in the caller's transaction; delivery is enqueued after commit.

A rollback leaves neither the notification nor its delivery job. ``before_commit`` groups
the new notifications of each tenant into delivery jobs (JobRecords written in the same
transaction); the jobs module dispatches them once the commit has succeeded.
"""
from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql  # noqa: F401  (notify_many's ON CONFLICT)
import sqlalchemy.dialects.sqlite  # noqa: F401
from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session as FSASession
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.db import any_of, current_tenant_id, insert_rows, tenant_context, utcnow
from portal.core.errors import DomainError
from portal.extensions import db
from portal.notifications.catalog import (REGISTRY, TemplateProblem, register_default_template,  # noqa: F401
                                          render, template_def)
from portal.notifications.models import (InboxItem, Notification, NotificationStatus,
                                         NotificationTemplateOverride)

OUTBOX_KEY = "portal_outbox_new"
CHANNELS = ("email", "inbox")
BATCH = 50


class NotificationError(DomainError):
    pass


def _jsonable(context) -> dict:
    try:
        return json.loads(json.dumps(context or {}, ensure_ascii=False, default=str))
    except (TypeError, ValueError) as exc:
        raise NotificationError(f"通知内容无法保存：{exc}") from None


def new_message_id(tenant_id: int) -> str:
    domain = (current_app.config.get("MAIL_DEFAULT_SENDER") or "portal.local").rsplit("@", 1)[-1].strip(">")
    return f"<n{tenant_id}.{uuid.uuid4().hex}@{domain}>"


def notify(tenant_id: int, *, template_key: str, context: dict, recipient_user_id: int | None = None,
           recipient_email: str | None = None, channels=("email", "inbox"), related_type: str | None = None,
           related_id=None, dedupe_key: str | None = None, created_by=None) -> Notification:
    """Put one notification in ``tenant_id``'s outbox (flushes, never commits).

    With ``dedupe_key``, a second call returns the first notification instead of a new one.
    """
    template_def(template_key)
    chans = tuple(dict.fromkeys(channels))
    if not chans or any(c not in CHANNELS for c in chans):
        raise NotificationError(f"通知渠道应为 {'、'.join(CHANNELS)} 之一")
    if recipient_user_id is None and not recipient_email:
        raise NotificationError("通知必须有收件人（用户或邮箱）")
    if "inbox" in chans and recipient_user_id is None:
        chans = tuple(c for c in chans if c != "inbox") or ("email",)
    ctx = _jsonable(context)
    switch = tenant_context(tenant_id, db.session) if tenant_id != current_tenant_id() else _Null()
    with switch:
        if dedupe_key:
            existing = db.session.scalar(sa.select(Notification).where(
                Notification.tenant_id == tenant_id, Notification.dedupe_key == dedupe_key))
            if existing is not None:
                return existing
        n = Notification(tenant_id=tenant_id, template_key=template_key, context=ctx,
                         recipient_user_id=recipient_user_id, recipient_email=recipient_email or None,
                         channels=",".join(chans), related_type=related_type,
                         related_id=None if related_id is None else str(related_id),
                         dedupe_key=dedupe_key, status=NotificationStatus.pending,
                         message_id=new_message_id(tenant_id), enqueued_at=utcnow(),
                         created_by_id=getattr(created_by, "id", None))
        if dedupe_key:
            try:
                with db.session.begin_nested():
                    db.session.add(n)
            except IntegrityError:  # a concurrent writer won the dedupe key
                return db.session.scalar(sa.select(Notification).where(
                    Notification.tenant_id == tenant_id, Notification.dedupe_key == dedupe_key))
        else:
            db.session.add(n)
            db.session.flush()
    db.session.info.setdefault(OUTBOX_KEY, []).append((tenant_id, n.id))
    return n


def _shared_json(seen: dict, context) -> dict:
    found = seen.get(id(context))
    if found is None or found[0] is not context:
        found = seen[id(context)] = (context, _jsonable(context))
    return found[1]


def notify_many(tenant_id: int, items) -> list[int]:
    """Put many deduplicated notifications in ``tenant_id``'s outbox, set-wise (the reminder
    sweep): one statement reads which dedupe keys exist, one insert (:func:`insert_rows`) writes the rest
    with ``ON CONFLICT DO NOTHING`` on the (tenant, dedupe key) unique key, so a concurrent
    writer of the same key wins and this call neither fails nor writes a second copy. Each item
    is a dict of ``notify``'s keyword arguments with a ``dedupe_key`` and a
    ``recipient_user_id``; returns the ids written (queued for delivery at commit)."""
    items = [it for it in items if it.get("dedupe_key")]
    if not items:
        return []
    checked: set = set()
    for it in items:
        tk, chans = it["template_key"], tuple(dict.fromkeys(it.get("channels") or CHANNELS))
        if (tk, chans) not in checked:
            template_def(tk)
            if not chans or any(c not in CHANNELS for c in chans):
                raise NotificationError(f"通知渠道应为 {'、'.join(CHANNELS)} 之一")
            checked.add((tk, chans))
        if it.get("recipient_user_id") is None:
            raise NotificationError("通知必须有收件人（用户或邮箱）")
    by_key = {it["dedupe_key"]: it for it in items}  # one row per key (the first wins, as notify's)
    keys = list(by_key)
    table = Notification.__table__
    written: list[int] = []
    switch = tenant_context(tenant_id, db.session) if tenant_id != current_tenant_id() else _Null()
    with switch:
        db.session.flush()
        existing: set = set()
        for i in range(0, len(keys), 5000):
            existing.update(db.session.scalars(sa.select(Notification.dedupe_key).where(
                Notification.tenant_id == tenant_id, any_of(Notification.dedupe_key, keys[i:i + 5000]))))
        now = utcnow()
        rows, contexts = [], {}  # one context is shared by a deadline's recipients: made JSON once
        for key in keys:
            if key in existing:
                continue
            it = by_key[key]
            rows.append({"tenant_id": tenant_id, "template_key": it["template_key"],
                         "context": _shared_json(contexts, it.get("context")), "recipient_user_id": it["recipient_user_id"],
                         "recipient_email": None,
                         "channels": ",".join(dict.fromkeys(it.get("channels") or CHANNELS)),
                         "related_type": it.get("related_type"),
                         "related_id": None if it.get("related_id") is None else str(it["related_id"]),
                         "dedupe_key": key, "status": NotificationStatus.pending, "attempts": 0,
                         "message_id": new_message_id(tenant_id), "enqueued_at": now, "created_at": now,
                         "created_by_id": None})
        written.extend(insert_rows(db.session.connection(), table, rows,
                                   skip_conflicts_on=("tenant_id", "dedupe_key"), returning=table.c.id))
    db.session.info.setdefault(OUTBOX_KEY, []).extend((tenant_id, nid) for nid in written)
    return written


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@event.listens_for(FSASession, "before_commit")
def _enqueue_outbox(session):
    if session.in_nested_transaction() or not has_app_context():
        return
    new = session.info.pop(OUTBOX_KEY, None)
    if not new:
        return
    by_tenant: dict[int, list[int]] = {}
    for tid, nid in new:
        by_tenant.setdefault(tid, []).append(nid)
    for tid, ids in by_tenant.items():
        enqueue_delivery(tid, ids)


@event.listens_for(FSASession, "after_soft_rollback")
def _drop_outbox(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(OUTBOX_KEY, None)


def enqueue_delivery(tenant_id: int, ids: list[int], label: str = "发送通知") -> list:
    from portal.jobs import enqueue

    deliver = "portal.notifications.jobs.deliver"  # by path: the job module imports this one
    size = current_app.config.get("NOTIFY_BATCH", BATCH)
    jobs = []
    for i in range(0, len(ids), size):
        chunk = ids[i:i + size]
        jobs.append(enqueue(deliver, chunk, queue="notifications", tenant_id=tenant_id,
                            kind="notifications.deliver", label=f"{label}（{len(chunk)} 条）",
                            max_attempts=current_app.config.get("NOTIFY_MAX_ATTEMPTS", 5)))
    return jobs


def retry_notification(n: Notification, actor) -> Notification:
    if n.status != NotificationStatus.failed:
        raise NotificationError("只有发送失败的通知可以重新发送")
    before = {"status": n.status.value, "error": n.error}
    n.status = NotificationStatus.pending
    n.error = None
    n.attempts = 0
    n.enqueued_at = utcnow()
    db.session.flush()
    audit.record("notification.retry", "notification", n.id, actor=actor, before=before,
                 after={"status": "pending"})
    db.session.info.setdefault(OUTBOX_KEY, []).append((n.tenant_id, n.id))
    return n


# --- templates ---------------------------------------------------------------------------

def preview_template(tenant, key: str, subject: str, body: str) -> tuple[str, str]:
    d = template_def(key)
    return render(tenant, key, d.sample, subject=subject, body=body)


def set_template_override(tenant, key: str, subject: str, body: str, reason: str, actor):
    """A tenant replaces a national template (A22); the reason is required and the
    template must render against the sample context, else nothing is saved."""
    d = template_def(key)
    subject, body, reason = (subject or "").strip(), (body or "").replace("\r\n", "\n"), (reason or "").strip()
    if not subject or not body.strip():
        raise NotificationError("标题和正文都不能为空")
    if not reason:
        raise NotificationError(f"修改「{d.label}」须填写理由")
    preview_template(tenant, key, subject, body)  # raises TemplateProblem with the line
    o = db.session.scalar(sa.select(NotificationTemplateOverride).where(
        NotificationTemplateOverride.tenant_id == tenant.id, NotificationTemplateOverride.key == key))
    before = {"subject": o.subject, "body": o.body, "reason": o.reason} if o else {"source": "national"}
    if o is None:
        o = NotificationTemplateOverride(tenant_id=tenant.id, key=key, subject=subject, body=body,
                                         reason=reason, updated_by_id=getattr(actor, "id", None))
        db.session.add(o)
    else:
        o.subject, o.body, o.reason = subject, body, reason
        o.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record("notification_template.override", "notification_template", key, actor=actor,
                 before=before, after={"subject": subject, "body": body, "reason": reason},
                 article=d.article or "A22")
    return o


def clear_template_override(tenant, key: str, actor) -> None:
    d = template_def(key)
    o = db.session.scalar(sa.select(NotificationTemplateOverride).where(
        NotificationTemplateOverride.tenant_id == tenant.id, NotificationTemplateOverride.key == key))
    if o is None:
        raise NotificationError(f"「{d.label}」没有本地模板")
    before = {"subject": o.subject, "body": o.body, "reason": o.reason}
    db.session.delete(o)
    db.session.flush()
    audit.record("notification_template.override_cleared", "notification_template", key, actor=actor,
                 before=before, after={"source": "national"}, article=d.article or "A22")


# --- inbox -------------------------------------------------------------------------------

def unread_count(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(InboxItem).where(
        InboxItem.user_id == user_id, InboxItem.read_at.is_(None))) or 0


def mark_read(item: InboxItem, user) -> InboxItem:
    if item.user_id != user.id:
        raise NotificationError("只能标记自己的消息", status=404)
    if item.read_at is None:
        item.read_at = utcnow()
        db.session.flush()
    return item


def mark_all_read(user) -> int:
    res = db.session.execute(sa.update(InboxItem).where(
        InboxItem.user_id == user.id, InboxItem.read_at.is_(None)).values(read_at=utcnow()))
    return res.rowcount or 0


def staff_recipients(tenant_id: int, roles) -> list:
    """Users holding one of ``roles`` in the tenant (for reminders and job-failure notices)."""
    from portal.auth.models import User
    from tenants.models import Membership

    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id, Membership.active.is_(True), User.active.is_(True),
               Membership.role.in_(list(roles)))
        .distinct().order_by(User.id)))


__all__ = ["notify", "TemplateProblem", "REGISTRY"]
