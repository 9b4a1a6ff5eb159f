from __future__ import annotations

from flask import Blueprint, g, render_template

from portal.core import todo
from tenants.rules.operations import effective_rules

bp = Blueprint("dashboard", __name__, url_prefix="/<tenant>", template_folder="templates")


@bp.route("/")
def index():
    """Each role's home: the work waiting for this user, with counts and links (issue 9)."""
    roles = {str(r) for r in g.get("roles", ())}
    if roles == {"chair"}:  # a chair's home is their own year in residence (A8)
        from flask import redirect, url_for

        return redirect(url_for("residency.mine"))
    rules = effective_rules(g.tenant)
    overridden = [r for r in rules if r.overridden]
    home = todo.collect(g.get("memberships") or [])
    return render_template("dashboard/index.html", home=home, SECTION_LABELS=todo.SECTION_LABELS,
                           overridden=overridden, version=rules.version, rules=rules)
