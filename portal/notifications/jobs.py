"""Delivery: claim, render, send, mark sent -- once, even if the job runs twice.

Exactly-once design
-------------------
1. **Claim** the batch with one conditional UPDATE (``pending`` -> ``sending``, or a
   ``sending`` row whose lease has expired) stamping a fresh ``claim_token`` and
   ``lease_until``; only rows carrying our token are ours. A second run of the same job,
   or a second worker, claims nothing that is already claimed or sent.
2. **Render** with StrictUndefined; a template error marks the row ``failed`` with the
   error (part and line): nothing half-rendered is sent.
3. **Inbox and local mailbox** rows are inserted in the same transaction that marks the
   notification ``sent``: exactly once, by construction.
4. **SMTP**: we send MAIL/RCPT/DATA and the message body, then COMMIT ``sent``
   (conditional on our token), and only then write the terminating ``.``. A worker
   SIGKILLed before the commit leaves the server with an unterminated DATA, which it
   discards, and the row ``sending``; after the lease expires the sweep re-enqueues it and
   it is sent once. If the token no longer matches (our lease was taken over) we RSET
   instead of finishing. After the server's 250 we stamp ``smtp_confirmed_at``.
   **Remaining window** (documented, not hidden): a crash *between our COMMIT and the
   final dot reaching the socket* (microseconds) loses that one email -- the row says
   sent but ``smtp_confirmed_at`` stays empty, so the mailbox page flags it 「未确认」;
   likewise a server that rejects the message after the dot while we crash before
   recording it. We chose at-most-once for that tiny window instead of at-least-once
   for the much longer 250-to-commit window; the Message-ID is stable across retries
   so a receiving MTA can still drop duplicates if an operator re-sends.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import uuid

import sqlalchemy as sa
from flask import current_app

from portal.core.db import current_tenant_id, tenant_context, utcnow
from portal.extensions import db
from portal.jobs import set_progress
from portal.notifications.catalog import Renderer, TemplateProblem
from portal.notifications.models import InboxItem, MailboxMessage, Notification, NotificationStatus

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    pass


def _lease_seconds() -> int:
    return int(current_app.config.get("NOTIFY_LEASE_SECONDS", 300))


def claim(ids: list[int]) -> str | None:
    token = uuid.uuid4().hex
    now = utcnow()
    res = db.session.execute(
        sa.update(Notification)
        .where(Notification.id.in_(ids),
               sa.or_(Notification.status == NotificationStatus.pending,
                      sa.and_(Notification.status == NotificationStatus.sending,
                              Notification.lease_until < now)))
        .values(status=NotificationStatus.sending, claim_token=token,
                lease_until=now + dt.timedelta(seconds=_lease_seconds()),
                attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return token if res.rowcount else None


def _finish(nid: int, token: str, **values) -> bool:
    res = db.session.execute(
        sa.update(Notification)
        .where(Notification.id == nid, Notification.claim_token == token,
               Notification.status == NotificationStatus.sending)
        .values(claim_token=None, lease_until=None, **values)
        .execution_options(synchronize_session=False))
    return res.rowcount == 1


_N = Notification.__table__
# Marks one claimed row sent; matches only while our claim token and ``sending`` stand.
_SENT = (sa.update(_N)
         .where(_N.c.id == sa.bindparam("nid"), _N.c.claim_token == sa.bindparam("token"),
                _N.c.status == NotificationStatus.sending)
         .values(status=NotificationStatus.sent, sent_at=sa.bindparam("sent_at"),
                 subject=sa.bindparam("subject"), body=sa.bindparam("body"), error=None,
                 claim_token=None, lease_until=None))
_MAILBOX = sa.insert(MailboxMessage.__table__)
_INBOX = sa.insert(InboxItem.__table__)


def deliver(notification_ids: list[int]) -> dict:
    """The delivery job for one tenant's batch (runs under that tenant)."""
    from portal.auth.models import User
    from tenants.models import Tenant

    tid = current_tenant_id()
    tenant = db.session.get(Tenant, tid)
    token = claim(list(notification_ids))
    stats = {"sent": 0, "failed": 0, "skipped": len(notification_ids), "errors": 0}
    if token is None:
        return stats
    rows = db.session.scalars(sa.select(Notification).where(Notification.claim_token == token)
                              .order_by(Notification.id)
                              .execution_options(populate_existing=True)).all()
    stats["skipped"] = len(notification_ids) - len(rows)
    user_ids = {n.recipient_user_id for n in rows if n.recipient_user_id}
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "noreply@portal.local"
    smtp = SmtpChannel() if current_app.config.get("MAIL_SERVER") else None
    render = Renderer(tenant)
    errors = []
    confirmed: list[int] = []
    # plain values read once: each message's commit expires the ORM rows, and reading an
    # attribute of an expired row would cost a SELECT per message
    batch = [(n.id, n.message_id, n.channel_list, n.recipient_email, n.recipient_user_id, n.template_key,
              n.context, n.related_type, n.related_id, n.attempts) for n in rows]
    users = {uid: (u.id, u.email) for uid, u in users.items()}
    try:
        for i, (nid, msgid, chans, email, uid, key, ctx, rtype, rid, attempts) in enumerate(batch):
            user = users.get(uid)
            to = email or (user[1] if user else None)
            try:
                subject, body = render(key, ctx)
            except TemplateProblem as problem:
                _finish(nid, token, status=NotificationStatus.failed, error=problem.message)
                db.session.commit()
                stats["failed"] += 1
                continue
            if "email" in chans and not to and "inbox" not in chans:
                _finish(nid, token, status=NotificationStatus.failed, error="没有可用的收件邮箱")
                db.session.commit()
                stats["failed"] += 1
                continue
            now = utcnow()
            send_email = "email" in chans and bool(to)
            try:
                pending_dot = smtp.begin(sender, to, subject, body, msgid) if (smtp and send_email) else False
            except Exception as exc:  # SMTP refused before DATA ended: nothing was delivered
                db.session.rollback()
                _release(nid, token, attempts, f"邮件服务器拒绝或不可达：{exc}")
                db.session.commit()
                errors.append(f"{nid}: {exc}")
                if smtp:
                    smtp.reset()
                continue
            # ``sent`` (conditional on our token) and the copies, one short transaction of plain
            # statements: the write lock (SQLite) or row lock is held for microseconds
            conn = db.session.connection()
            ok = conn.execute(_SENT, {"nid": nid, "token": token, "sent_at": now, "subject": subject,
                                      "body": body}).rowcount == 1
            if not ok:  # our lease was taken over: abandon this message
                db.session.rollback()
                if pending_dot:
                    smtp.abort()
                continue
            if send_email:
                conn.execute(_MAILBOX, {"tenant_id": tid, "notification_id": nid, "message_id": msgid,
                                        "transport": "smtp" if smtp else "local", "sender": sender,
                                        "recipient": to, "subject": subject, "body": body, "created_at": now})
            if "inbox" in chans and user is not None:
                conn.execute(_INBOX, {"tenant_id": tid, "user_id": user[0], "notification_id": nid,
                                      "subject": subject, "body": body, "related_type": rtype,
                                      "related_id": rid, "created_at": now})
            run_sent_hooks(rtype, rid, now)  # in the same transaction as ``sent``
            db.session.commit()
            if pending_dot:
                try:
                    smtp.finish()
                except Exception as exc:  # rejected after the dot: record it
                    db.session.execute(sa.update(Notification).where(Notification.id == nid).values(
                        status=NotificationStatus.failed, error=f"邮件服务器拒收：{exc}"))
                    db.session.execute(sa.delete(MailboxMessage).where(MailboxMessage.notification_id == nid))
                    db.session.commit()
                    stats["failed"] += 1
                    smtp.reset()
                    continue
                confirmed.append(nid)
            stats["sent"] += 1
            if len(rows) >= 20 and i % max(1, len(rows) // 5) == 0:
                set_progress(100 * (i + 1) / len(rows), f"已发送 {stats['sent']} / {len(rows)}")
    finally:
        if smtp:
            smtp.close()
        if confirmed:  # the server's 250s, recorded once per batch (informational)
            db.session.rollback()
            db.session.execute(sa.update(Notification).where(Notification.id.in_(confirmed))
                               .values(smtp_confirmed_at=utcnow()).execution_options(synchronize_session=False))
            db.session.commit()
    if errors:
        stats["errors"] = len(errors)
        raise DeliveryError(f"{len(errors)} 条通知发送失败，将自动重试：" + "；".join(errors[:3]))
    return stats


# related_type -> callables(related_id, sent_at): features learn that their message went out.
SENT_HOOKS: dict[str, list] = {}


def register_sent_hook(related_type: str, func) -> None:
    """Call ``func(related_id, sent_at)`` when a notification about ``related_type`` is sent."""
    hooks = SENT_HOOKS.setdefault(related_type, [])
    if func not in hooks:
        hooks.append(func)


def run_sent_hooks(related_type, related_id, sent_at) -> None:
    for func in SENT_HOOKS.get(related_type or "", []):
        try:
            with db.session.begin_nested():  # a failing hook never undoes the delivery
                func(related_id, sent_at)
        except Exception:
            log.exception("sent hook %s failed for %s %s", func, related_type, related_id)


def _release(nid, token, attempts, error):
    final = attempts >= int(current_app.config.get("NOTIFY_MAX_ATTEMPTS", 5))
    _finish(nid, token, status=NotificationStatus.failed if final else NotificationStatus.pending,
            error=error[:2000])


class SmtpChannel:
    """Flask-Mail builds the message and opens the connection; we split DATA so the DB
    commit happens before the terminating dot (see the module docstring)."""

    def __init__(self):
        from portal.extensions import mail

        self._mail = mail
        self._host = None

    def _smtp(self):
        if self._host is None:
            from flask_mail import Connection

            # configure_host() directly: MAIL_SUPPRESS_SEND must not fake a delivery here.
            self._host = Connection(current_app.extensions["mail"]).configure_host()
            try:  # the body and the final dot go in separate writes: no Nagle delay
                import socket

                self._host.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (AttributeError, OSError):
                pass
        return self._host

    def begin(self, sender, to, subject, body, message_id) -> bool:
        from flask_mail import Message

        msg = Message(subject=subject, recipients=[to], body=body, sender=sender)
        msg.msgId = message_id
        data = msg.as_bytes()
        data = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", data)
        data = re.sub(rb"(?m)^\.", b"..", data)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        s = self._smtp()
        s.ehlo_or_helo_if_needed()
        code, resp = s.mail(sender)
        if code != 250:
            raise DeliveryError(f"MAIL FROM {code} {resp!r}")
        code, resp = s.rcpt(to)
        if code not in (250, 251):
            raise DeliveryError(f"RCPT TO {code} {resp!r}")
        s.putcmd("data")
        code, resp = s.getreply()
        if code != 354:
            raise DeliveryError(f"DATA {code} {resp!r}")
        s.send(data)
        return True

    def finish(self) -> None:
        s = self._smtp()
        s.send(b".\r\n")
        code, resp = s.getreply()
        if code != 250:
            raise DeliveryError(f"{code} {resp!r}")

    def abort(self) -> None:
        # Never send the dot: drop the connection so the server discards the message.
        self.close(graceful=False)

    def reset(self) -> None:
        self.close(graceful=False)

    def close(self, graceful: bool = True) -> None:
        if self._host is not None:
            try:
                if graceful:
                    self._host.quit()
                self._host.close()
            except Exception:
                pass
            self._host = None


def sweep_outbox() -> int:
    """Re-enqueue rows pending too long (Redis was down, the job was lost) and ``sending``
    rows whose worker died (lease expired). Idempotent: claims decide who sends."""
    from portal.jobs.operations import tenant_ids
    from portal.notifications.operations import enqueue_delivery

    stale = utcnow() - dt.timedelta(seconds=int(current_app.config.get("NOTIFY_STALE_SECONDS", 120)))
    now = utcnow()
    total = 0
    for tid in tenant_ids():
        with tenant_context(tid, db.session):
            ids = list(db.session.scalars(
                sa.select(Notification.id).where(sa.or_(
                    sa.and_(Notification.status == NotificationStatus.pending,
                            sa.or_(Notification.enqueued_at.is_(None), Notification.enqueued_at < stale)),
                    sa.and_(Notification.status == NotificationStatus.sending,
                            Notification.lease_until < now)))
                .order_by(Notification.id).limit(5000)))
            if not ids:
                db.session.rollback()
                continue
            db.session.execute(sa.update(Notification).where(Notification.id.in_(ids))
                               .values(enqueued_at=now).execution_options(synchronize_session=False))
            enqueue_delivery(tid, ids, label="重新发送滞留通知")
            db.session.commit()
            total += len(ids)
    return total
