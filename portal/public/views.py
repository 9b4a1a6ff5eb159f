"""The tenant's public 公示 page: anonymous, read-only except the objection form (A6.5)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.core import challenge, clock, ratelimit
from portal.core.errors import DomainError
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Nomination, PublicNotice
from tenants.context import public_endpoint

bp = Blueprint("public", __name__, url_prefix="/<tenant>/public", template_folder="templates")


def _notice(notice_id: int) -> PublicNotice:
    """A notice the public may read: published and started (A6.5). Until its first day it
    does not exist for the public, whatever the id: ids are sequential, names are not public yet."""
    n = db.get_or_404(PublicNotice, notice_id)
    if n.starts_on > clock.today():
        abort(404)
    return n


def _listed(notice):
    from sqlalchemy.orm import lazyload

    # the notice names the nominee and the school (A6.5): the union is not loaded
    return db.session.scalars(sa.select(Nomination).where(Nomination.id.in_(notice.nomination_ids))
                              .options(lazyload(Nomination.union)).order_by(Nomination.rank)).all()


@bp.route("/")
@public_endpoint
def index():
    today = clock.today()
    # only notices that have started (A6.5): a future one is not public yet, not even its title
    notices = db.session.scalars(sa.select(PublicNotice).where(PublicNotice.starts_on <= today).order_by(
        PublicNotice.starts_on.desc(), PublicNotice.id.desc()).limit(50)).all()
    return render_template("public/index.html", notices=notices, today=today,
                           current=[n for n in notices if n.is_open(today)],
                           past=[n for n in notices if not n.is_open(today)])


def _form_purpose(n: PublicNotice) -> str:
    return f"objection:{n.tenant_id}:{n.id}"


def _objection_throttle(n: PublicNotice) -> int:
    """Count this post per IP, then per notice (one atomic step each); seconds to wait if over.
    A post the IP limit refuses does not use up the notice's budget, so one flooding client
    cannot close the form for everybody else."""
    cfg = current_app.config
    window = cfg["OBJECTION_WINDOW_SECONDS"]
    ip = request.remote_addr or "-"
    [(count, ttl)] = ratelimit.hit((f"objection:ip:{ip}", window))
    if count > cfg["OBJECTION_IP_MAX"]:
        return ttl
    [(count, ttl)] = ratelimit.hit((f"objection:notice:{n.tenant_id}:{n.id}", window))
    return ttl if count > cfg["OBJECTION_NOTICE_MAX"] else 0


def _received():
    flash(_("异议已收到，秘书处将核查处理。"), "success")


@bp.route("/notices/<int:notice_id>", methods=["GET", "POST"])
@public_endpoint
def notice(notice_id: int):
    n = _notice(notice_id)
    error, status, headers = None, 200, {}
    form = {}
    if request.method == "POST":
        f = request.form
        form = {"content": f.get("content", ""), "contact": f.get("contact", ""),
                "nomination_id": f.get("nomination_id", type=int)}
        try:
            solved = challenge.verify(_form_purpose(n), f.get("challenge_token"), f.get("challenge_answer"),
                                      f.get(challenge.HONEYPOT_FIELD))
            if ops.objection_for_form(n, solved.once) is not None:
                _received()  # the same form again: the first post's answer, nothing new
                return redirect(url_for("public.notice", notice_id=n.id))
            wait = _objection_throttle(n)
            if wait:
                g._no_commit = True
                error, status = _("提交过于频繁，请 %(n)s 分钟后再试", n=max(1, (wait + 59) // 60)), 429
                headers = {"Retry-After": str(wait)}
            else:
                ops.submit_objection(n, form["content"], contact=form["contact"],
                                     nomination_id=form["nomination_id"], form_token=solved.once)
                _received()
                return redirect(url_for("public.notice", notice_id=n.id))
        except DomainError as exc:
            g._no_commit = True
            error, status = exc.message, 400
    return render_template("public/notice.html", notice=n, noms=_listed(n), error=error, form=form,
                           challenge=challenge.issue(_form_purpose(n)), honeypot=challenge.HONEYPOT_FIELD,
                           is_open=n.is_open(clock.today())), status, headers


@bp.route("/notices/<int:notice_id>/notice.pdf")
@public_endpoint
def notice_pdf(notice_id: int):
    """The PDF the documents job built when the notice opened; never rendered per request."""
    n = _notice(notice_id)
    from portal.documents.models import GeneratedDocument
    from portal.documents.views import send_document

    doc = db.session.get(GeneratedDocument, n.pdf_document_id) if n.pdf_document_id else None
    if doc is None or doc.status.value != "ready":
        # queued/running: the job is on its way; failed/missing: the secretariat regenerates it
        from portal.core.errors import error_response

        resp, status = error_response(503, _("公示文件正在生成，请稍后再试；网页上的公示内容与 PDF 一致。"),
                                      "not_ready")
        return resp, status, {"Retry-After": "60"}
    return send_document(doc, inline=True, public=True)
