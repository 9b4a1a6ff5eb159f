"""The tenant's public 公示 page: anonymous, read-only except the objection form (A6.5)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from portal.core import clock
from portal.core.errors import DomainError
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Nomination, PublicNotice
from tenants.context import public_endpoint

bp = Blueprint("public", __name__, url_prefix="/<tenant>/public", template_folder="templates")


def _notice(notice_id: int) -> PublicNotice:
    return db.get_or_404(PublicNotice, notice_id)


def _listed(notice):
    return db.session.scalars(sa.select(Nomination).where(Nomination.id.in_(notice.nomination_ids))
                              .order_by(Nomination.rank)).all()


@bp.route("/")
@public_endpoint
def index():
    today = clock.today()
    notices = db.session.scalars(sa.select(PublicNotice).order_by(PublicNotice.starts_on.desc(),
                                                                  PublicNotice.id.desc()).limit(50)).all()
    return render_template("public/index.html", notices=notices, today=today,
                           current=[n for n in notices if n.is_open(today)],
                           past=[n for n in notices if not n.is_open(today) and n.starts_on <= today])


@bp.route("/notices/<int:notice_id>", methods=["GET", "POST"])
@public_endpoint
def notice(notice_id: int):
    n = _notice(notice_id)
    error = None
    if request.method == "POST":
        try:
            ops.submit_objection(n, request.form.get("content", ""), contact=request.form.get("contact"),
                                 nomination_id=request.form.get("nomination_id", type=int))
            flash("异议已收到，秘书处将核查处理。", "success")
            return redirect(url_for("public.notice", notice_id=n.id))
        except DomainError as exc:
            g._no_commit = True
            error = exc.message
    return render_template("public/notice.html", notice=n, noms=_listed(n), error=error,
                           is_open=n.is_open(clock.today())), (400 if error else 200)


@bp.route("/notices/<int:notice_id>/notice.pdf")
@public_endpoint
def notice_pdf(notice_id: int):
    n = _notice(notice_id)
    from portal.documents.render import content_disposition, render_pdf
    from portal.selection.documents import public_notice

    return Response(render_pdf(public_notice(g.tenant.id, n.id)), mimetype="application/pdf",
                    headers={"Content-Disposition": content_disposition(f"{n.title}.pdf", "inline")})
