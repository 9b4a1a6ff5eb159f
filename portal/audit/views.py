from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, g, render_template, request

from portal.audit import readable
from portal.core.audit import AuditRecord, verify_chain
from portal.core.permissions import ROLE_ADMIN, require_roles
from portal.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/<tenant>/audit", template_folder="templates")


def filtered_query(args):
    stmt = sa.select(AuditRecord).order_by(AuditRecord.seq.desc())
    if args.get("action"):
        stmt = stmt.where(AuditRecord.action.startswith(args["action"]))
    if args.get("object_type"):
        stmt = stmt.where(AuditRecord.object_type == args["object_type"])
    if args.get("object_id"):
        stmt = stmt.where(AuditRecord.object_id == str(args["object_id"])[:60])
    if args.get("actor"):
        stmt = stmt.where(AuditRecord.actor_label.contains(args["actor"]))
    if args.get("article"):
        stmt = stmt.where(AuditRecord.article.startswith(args["article"]))
    for name, op in (("since", "__ge__"), ("until", "__lt__")):
        if args.get(name):
            try:
                day = dt.date.fromisoformat(args[name])
            except ValueError:
                continue
            if name == "until":
                day += dt.timedelta(days=1)
            stmt = stmt.where(getattr(AuditRecord.at, op)(dt.datetime.combine(day, dt.time())))
    return stmt


@bp.route("/")
@require_roles(*ROLE_ADMIN)
def index():
    page = max(1, request.args.get("page", 1, type=int))
    pagination = db.paginate(filtered_query(request.args), page=page, per_page=50, error_out=False)
    actions = db.session.scalars(sa.select(AuditRecord.action).distinct().order_by(AuditRecord.action)).all()
    types = db.session.scalars(sa.select(AuditRecord.object_type).distinct().order_by(AuditRecord.object_type)).all()
    problem = verify_chain(g.tenant.id) if request.args.get("verify") else None
    return render_template("audit/index.html", pagination=pagination, args=request.args,
                           actions=[(a, readable.sentence(a)) for a in actions],
                           types=[(t, readable.object_label(t)) for t in types],
                           names=readable.resolve(pagination.items), readable=readable,
                           verified=bool(request.args.get("verify")), problem=problem)


@bp.route("/<int:record_id>")
@require_roles(*ROLE_ADMIN)
def detail(record_id: int):
    rec = db.get_or_404(AuditRecord, record_id)
    return render_template("audit/detail.html", rec=rec, names=readable.resolve([rec]), readable=readable,
                           rows=readable.diff(rec.before, rec.after))
