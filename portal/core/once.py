"""One-time form tokens: a second submit of the same form gets the first one's answer.

A form that creates or changes something carries ``{{ form_token() }}``: a hidden field
with a random token issued with the page. The view is wrapped in ``@once``. The first POST
with a token claims it (``INSERT … ON CONFLICT DO NOTHING`` on ``(tenant, token)``) in the
request's own transaction, and stores its answer (the redirect and the flashed messages)
beside it. A second POST with the same token — a double click, the browser's resubmit, a
retry after a timeout — is recognised and answered with that stored answer; the view does
not run again. When both arrive together, the second waits on the first's row (PostgreSQL)
or the write lock (SQLite) and then replays its answer.

If the first POST fails (a refusal, an error), its transaction rolls back with the claim,
so the corrected form can be submitted with the same token. JSON clients may send the same
token as an ``Idempotency-Key`` header. Posts without a token run as before.

Reuse: ``from portal.core.once import once`` on the view (below ``route`` and the role
check), ``{{ form_token() }}`` inside the ``<form>``. Public forms work the same way (no
user: the token alone identifies the submission).
"""
from __future__ import annotations

import functools
import re
import secrets

import sqlalchemy as sa
from flask import flash, make_response, redirect, request, session
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.concurrency import insert_unless_exists
from portal.core.db import TenantScoped, current_tenant_id, utcnow
from portal.core.errors import DomainError
from portal.extensions import db

FIELD = "_once"
HEADER = "Idempotency-Key"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,80}")


class FormSubmission(TenantScoped, db.Model):
    """A claimed form token and the answer its first submit got."""

    __tablename__ = "form_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    endpoint: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    status_code: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    location: Mapped[str | None] = mapped_column(sa.String(2000), nullable=True)
    flashes: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)
    body: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    content_type: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    created_at: Mapped[object] = mapped_column(sa.DateTime, default=utcnow, nullable=False, index=True)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "token"),)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def form_token() -> Markup:
    """The hidden field for a template (a Jinja global)."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{new_token()}">')


def _submitted_token() -> str | None:
    token = request.form.get(FIELD) if request.form else None
    token = token or request.headers.get(HEADER)
    if not token:
        return None
    if not _TOKEN.fullmatch(token):
        raise DomainError("表单标识无效，请刷新页面后重新提交", code="bad_form_token")
    return token


def _user_id() -> int | None:
    from flask_login import current_user

    return current_user.id if getattr(current_user, "is_authenticated", False) else None


def _endpoint() -> str:
    return (request.endpoint or request.path)[:120]


def claim(token: str, endpoint: str) -> FormSubmission | None:
    """None if this request now owns ``token``; else the earlier submission it belongs to."""
    tid = current_tenant_id()
    if tid is None:
        raise DomainError("表单不属于任何学联", code="bad_form_token")
    if insert_unless_exists(FormSubmission, {"tenant_id": tid, "token": token, "user_id": _user_id(),
                                             "endpoint": endpoint, "created_at": utcnow()},
                            keys=("tenant_id", "token")):
        return None
    return db.session.scalar(sa.select(FormSubmission).where(FormSubmission.token == token)
                             .execution_options(populate_existing=True))


def _replay(prior: FormSubmission):
    if prior.user_id != _user_id() or prior.endpoint != _endpoint():
        raise DomainError("该表单标识已用于其他操作，请刷新页面后重新提交", code="bad_form_token")
    if prior.body is not None:  # a JSON answer: the same status and body
        resp = make_response(prior.body, prior.status_code or 200)
        resp.content_type = prior.content_type or "application/json"
        resp.headers["Idempotent-Replay"] = "true"
        return resp
    for category, message in prior.flashes or []:
        flash(message, category)
    if not prior.flashes:
        flash(_("该表单已经提交过，未重复处理"), "info")
    to = prior.location or request.referrer or "/"
    resp = redirect(to, 303)
    resp.headers["Idempotent-Replay"] = "true"
    return resp


def _remember(token: str, response) -> None:
    values = {"status_code": response.status_code, "location": response.headers.get("Location")}
    # What this request flashed (shown on the page it redirects to): shown again on a replay.
    values["flashes"] = [list(f) for f in session.get("_flashes", [])][len(getattr(request, "_once_flashes", [])):]
    if response.is_json and not response.direct_passthrough:
        values["body"] = response.get_data(as_text=True)
        values["content_type"] = response.content_type
    db.session.execute(sa.update(FormSubmission).where(FormSubmission.token == token).values(**values)
                       .execution_options(synchronize_session=False))


def once(view):
    """Run ``view`` once per form token; answer repeats with the first answer."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if request.method != "POST":
            return view(*args, **kwargs)
        token = _submitted_token()
        if token is None:
            return view(*args, **kwargs)
        prior = claim(token, _endpoint())
        if prior is not None:
            return _replay(prior)
        request._once_flashes = list(session.get("_flashes", []))
        response = make_response(view(*args, **kwargs))
        if response.status_code < 400:
            _remember(token, response)
        return response

    wrapper._portal_once = True
    return wrapper


def init_app(app) -> None:
    app.jinja_env.globals["form_token"] = form_token


KEEP_DAYS = 7  # a form left open for a week and submitted again is a new submission


def purge_expired(now=None) -> int:
    """Periodic: forget claimed tokens older than ``KEEP_DAYS`` (every tenant)."""
    import datetime as dt

    from portal.core.db import tenant_context

    tenants = sa.table("tenants", sa.column("id"))  # the tenant layer's table, read by name (core imports no tenants)
    cutoff = (now or utcnow()) - dt.timedelta(days=KEEP_DAYS)
    total = 0
    for tid in db.session.scalars(sa.select(tenants.c.id).order_by(tenants.c.id)).all():
        with tenant_context(tid, db.session):
            total += db.session.execute(sa.delete(FormSubmission).where(FormSubmission.created_at < cutoff)
                                        .execution_options(synchronize_session=False)).rowcount or 0
            db.session.commit()
    return total
