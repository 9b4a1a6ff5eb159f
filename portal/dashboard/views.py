from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, g, render_template

from portal.extensions import db
from portal.reference.models import PresidiumMembership, School
from tenants.rules.operations import effective_rules

bp = Blueprint("dashboard", __name__, url_prefix="/<tenant>", template_folder="templates")


@bp.route("/")
def index():
    roles = {str(r) for r in g.get("roles", ())}
    if roles == {"chair"}:  # a chair's home is their own year in residence (A8)
        from flask import redirect, url_for

        return redirect(url_for("residency.mine"))
    counts = {
        "schools": db.session.scalar(sa.select(sa.func.count()).select_from(School)),
        "presidium": db.session.scalar(sa.select(sa.func.count()).select_from(PresidiumMembership)),
    }
    rules = effective_rules(g.tenant)
    overridden = [r for r in rules if r.overridden]
    return render_template("dashboard/index.html", counts=counts, overridden=overridden,
                           version=rules.version, rules=rules)
