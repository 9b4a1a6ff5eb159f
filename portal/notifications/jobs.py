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
   (conditional on our token), and only then write the terminating ``.``. A batch goes out
   in groups of ``NOTIFY_SMTP_CONNECTIONS`` (10) messages, each on its own open connection:
   the group's bodies, one COMMIT for the group, then the group's dots (all written before
   any reply is read). A worker SIGKILLed before the commit leaves the server with
   unterminated DATA, which it discards, and the rows ``sending``; after the lease expires
   the sweep re-enqueues them and each is sent once. Where the token no longer matches (our
   lease was taken over) we drop that connection instead of finishing. After the server's 250 we stamp ``smtp_confirmed_at``.
   **Remaining window** (documented, not hidden): a crash *between our COMMIT and the
   final dots reaching their sockets* (microseconds: a few bytes written to each of at most
   ``NOTIFY_SMTP_CONNECTIONS`` sockets) loses those emails -- the row says
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
import time
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
# Marks a group's claimed rows sent; matches only the rows where our claim token and
# ``sending`` still stand, and says which (RETURNING: PostgreSQL, SQLite >= 3.35).
_SENT = (sa.update(_N)
         .where(_N.c.id.in_(sa.bindparam("nids", expanding=True)), _N.c.claim_token == sa.bindparam("token"),
                _N.c.status == NotificationStatus.sending)
         .values(status=NotificationStatus.sent, sent_at=sa.bindparam("sent_at"), error=None,
                 claim_token=None, lease_until=None)
         .returning(_N.c.id))
_TEXT = sa.update(_N).where(_N.c.id == sa.bindparam("nid")).values(subject=sa.bindparam("subject"),
                                                                   body=sa.bindparam("body"))
_MAILBOX = sa.insert(MailboxMessage.__table__)
_INBOX = sa.insert(InboxItem.__table__)


def _group_size() -> int:
    """Messages whose DATA is held open at once (one SMTP connection each) and committed
    ``sent`` in one transaction (NOTIFY_SMTP_CONNECTIONS)."""
    return max(1, int(current_app.config.get("NOTIFY_SMTP_CONNECTIONS", 10)))


def deliver(notification_ids: list[int]) -> dict:
    """The delivery job for one tenant's batch (runs under that tenant).

    The batch goes out in groups of up to ``NOTIFY_SMTP_CONNECTIONS`` messages, one open SMTP
    connection each: every message of a group is sent up to its final dot, then one
    transaction marks the group ``sent`` (with its mailbox and inbox copies), then the dots go
    out. One commit per group instead of one per message, with the guarantee of the module
    docstring unchanged: before that commit no message of the group is complete."""
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
    size = _group_size()
    channels = [SmtpChannel() for _ in range(size)] if current_app.config.get("MAIL_SERVER") else None
    render = Renderer(tenant)
    errors = []
    confirmed: list[int] = []
    # plain values read once: each commit expires the ORM rows, and reading an attribute of an
    # expired row would cost a SELECT per message
    batch = [(n.id, n.message_id, n.channel_list, n.recipient_email, n.recipient_user_id, n.template_key,
              n.context, n.related_type, n.related_id, n.attempts) for n in rows]
    users = {uid: (u.id, u.email) for uid, u in users.items()}
    done, reported = 0, time.monotonic()
    try:
        for g in range(0, len(batch), size):
            group = []  # (nid, msgid, chans, to, user, rtype, rid, subject, body, channel or None)
            for nid, msgid, chans, email, uid, key, ctx, rtype, rid, attempts in batch[g:g + size]:
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
                send_email = "email" in chans and bool(to)
                channel = channels[len(group)] if (channels and send_email) else None
                if channel is not None:
                    try:
                        channel.begin(sender, to, subject, body, msgid)
                    except Exception as exc:  # SMTP refused before DATA ended: nothing was delivered
                        db.session.rollback()
                        _release(nid, token, attempts, f"邮件服务器拒绝或不可达：{exc}")
                        db.session.commit()
                        errors.append(f"{nid}: {exc}")
                        channel.reset()
                        continue
                group.append((nid, msgid, chans, to if send_email else None, user, rtype, rid, subject, body,
                              channel))
            if not group:
                continue
            # ``sent`` (conditional on our token) and the copies, one short transaction of plain
            # statements for the whole group: the write lock (SQLite) or row locks are held briefly
            now = utcnow()
            conn = db.session.connection()
            ours = set(conn.execute(_SENT, {"nids": [m[0] for m in group], "token": token,
                                            "sent_at": now}).scalars())
            mine = [m for m in group if m[0] in ours]
            for m in group:
                if m[0] not in ours and m[9] is not None:  # our lease was taken over: abandon it
                    m[9].abort()
            if mine:
                conn.execute(_TEXT, [{"nid": m[0], "subject": m[7], "body": m[8]} for m in mine])
                mails = [{"tenant_id": tid, "notification_id": m[0], "message_id": m[1],
                          "transport": "smtp" if channels else "local", "sender": sender, "recipient": m[3],
                          "subject": m[7], "body": m[8], "created_at": now} for m in mine if m[3]]
                if mails:
                    conn.execute(_MAILBOX, mails)
                inbox = [{"tenant_id": tid, "user_id": m[4][0], "notification_id": m[0], "subject": m[7],
                          "body": m[8], "related_type": m[5], "related_id": m[6], "created_at": now}
                         for m in mine if "inbox" in m[2] and m[4] is not None]
                if inbox:
                    conn.execute(_INBOX, inbox)
                for m in mine:
                    run_sent_hooks(m[5], m[6], now)  # in the same transaction as ``sent``
            db.session.commit()
            pending = [m for m in mine if m[9] is not None]
            for m in pending:  # every dot first (the window after the commit stays microseconds)
                m[9].send_dot()
            for m in pending:
                try:
                    m[9].finish()
                except Exception as exc:  # rejected after the dot: record it
                    db.session.execute(sa.update(Notification).where(Notification.id == m[0]).values(
                        status=NotificationStatus.failed, error=f"邮件服务器拒收：{exc}"))
                    db.session.execute(sa.delete(MailboxMessage).where(MailboxMessage.notification_id == m[0]))
                    db.session.commit()
                    stats["failed"] += 1
                    m[9].reset()
                    continue
                confirmed.append(m[0])
            stats["sent"] += len(mine)
            done += len(group)
            # progress for a batch that takes a while (a slow server): at most once a second, so
            # a quick batch is not a commit per group more
            if time.monotonic() - reported >= 1.0:
                set_progress(100 * done / len(rows), f"已发送 {stats['sent']} / {len(rows)}")
                reported = time.monotonic()
    finally:
        for channel in channels or ():
            channel.close()
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


def _plain(value: str) -> bool:
    return value.isascii() and "\r" not in value and "\n" not in value


def letter_bytes(sender: str, to: str, subject: str, body: str, message_id: str) -> bytes:
    """The plain-text letter as Flask-Mail builds it (the same headers, a UTF-8 body sent 8bit),
    written directly: Flask-Mail re-parses and re-folds every header through the email
    package's header registry, 0.5 ms a letter, a third of a worker's time in a fan-out.
    Anything out of the ordinary (a non-ASCII or multi-line address) goes through Flask-Mail."""
    from email.header import Header
    from email.utils import formataddr, formatdate, parseaddr

    name, addr = parseaddr(sender)
    if not (_plain(to) and _plain(addr) and _plain(name.encode("unicode_escape").decode()) and _plain(
            subject.encode("unicode_escape").decode())):
        from flask_mail import Message

        msg = Message(subject=subject, recipients=[to], body=body, sender=sender)
        msg.msgId = message_id
        return msg.as_bytes()
    frm = formataddr((name, addr), charset="utf-8") if name else addr
    subj = subject if subject.isascii() else Header(subject, "utf-8").encode(linesep="\r\n")
    head = ('Content-Type: text/plain; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
            "Content-Transfer-Encoding: 8bit\r\n"
            f"Subject: {subj}\r\nFrom: {frm}\r\nTo: {to}\r\nDate: {formatdate(localtime=True)}\r\n"
            f"Message-ID: {message_id}\r\n\r\n")
    text = body.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    return head.encode("ascii") + text.encode("utf-8")


class SmtpChannel:
    """Flask-Mail builds the message and opens the connection; we split DATA so the DB
    commit happens before the terminating dot (see the module docstring)."""

    def __init__(self):
        from portal.extensions import mail

        self._mail = mail
        self._host = None
        self._dot_sent = False

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
        data = letter_bytes(sender, to, subject, body, message_id)
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

    def send_dot(self) -> None:
        """The terminating dot; the server's reply (or a broken connection) is read by
        :meth:`finish`."""
        self._dot_sent = True
        try:
            self._smtp().send(b".\r\n")
        except Exception:
            pass

    def finish(self) -> None:
        s = self._smtp()
        if not self._dot_sent:
            s.send(b".\r\n")
        self._dot_sent = False
        code, resp = s.getreply()
        if code != 250:
            raise DeliveryError(f"{code} {resp!r}")

    def abort(self) -> None:
        # Never send the dot: drop the connection so the server discards the message.
        self.close(graceful=False)

    def reset(self) -> None:
        self.close(graceful=False)

    def close(self, graceful: bool = True) -> None:
        self._dot_sent = False
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
