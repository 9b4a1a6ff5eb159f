"""A14 pages (on residency's blueprint): relation transfers, organizational life and dues on the
chair's profile and 我的驻会, the secretariat's list of receipts not returned, and the calendar
feed (its page and the secret .ics address)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import clock, ratelimit
from portal.core.errors import DomainError
from portal.core.once import once
from portal.core.permissions import require_roles
from portal.extensions import db
from portal.residency import calendar_feed as feed
from portal.residency import operations as ops
from portal.residency import relations as rel
from portal.residency.relations_models import DUES_LABELS, KIND_LABELS, RelationTransfer
from portal.residency.views import VIEW_ROLES, _date, _refused, bp, get_residency
from tenants.context import public_endpoint
from tenants.models import Role

STAFF_ROLES = (Role.secretariat_admin, Role.secretariat_staff)
FEED_PER_HOUR = 120


def _user():
    return current_user._get_current_object()


def _roles():
    return g.get("roles", frozenset())


def panel(res) -> dict:
    """What the profile and 我的驻会 show of A14 (a Jinja global: ``relations_panel(res)``)."""
    today = clock.today()
    mine = ops.roles_toward(res, _user(), _roles())
    transfers = rel.transfers_of(res)
    return {"transfers": transfers, "months": rel.months(res, today), "kinds": rel.kinds_for(res),
            "dues_kind": rel.dues_kind(res), "kind_labels": KIND_LABELS, "dues_labels": DUES_LABELS,
            "staff": bool(mine & set(ops.STAFF)), "chair": "chair" in mine,
            "actions": {t.id: [x.name for x in rel.TRANSFER.allowed(t, mine)] for t in transfers},
            "records": set(ops.spec_for(res, rel.DUES_KEY).recorded_by) & mine, "today": today,
            "streaks": rel.lapse_streaks(rel.months(res, today, with_due=False)),
            "alarm": int(res.rule("residency.relation_alarm_months"))}


def get_transfer(tid: int) -> RelationTransfer:
    t = rel.get_transfer(tid)
    if t is None:
        abort(404)
    get_residency(t.residency_id)  # another chair's transfer is 404
    return t


@bp.route("/<int:res_id>/relations/transfers", methods=["POST"])
@require_roles(*STAFF_ROLES)
@once
def open_transfer(res_id: int):
    res = get_residency(res_id)
    try:
        rel.open_transfer(res, request.form.get("kind", ""), request.form.get("direction", "outbound"),
                          actor=_user(), from_org=request.form.get("from_org") or res.school.name,
                          to_org=request.form.get("to_org"))
    except DomainError as exc:
        return _refused(res, exc)
    flash("已建立组织关系转接", "success")
    return redirect(url_for("residency.profile", res_id=res.id, _anchor="relations"), 303)


def apply_action(t: RelationTransfer, action: str, data: dict):
    actor, roles = _user(), _roles()
    if action == "issue_letter":
        return rel.issue_letter(t, letter_no=data.get("letter_no"), letter_date=_date(data.get("letter_date"),
                                "letter_date"), validity_days=data.get("validity_days") or None,
                                to_org=data.get("to_org"), actor=actor, roles=roles)
    if action == "report":
        return rel.report(t, reported_on=_date(data.get("reported_on"), "reported_on"), actor=actor, roles=roles)
    if action == "return_receipt":
        return rel.return_receipt(t, receipt_on=_date(data.get("receipt_on"), "receipt_on"), actor=actor, roles=roles)
    if action == "cancel":
        return rel.cancel(t, note=data.get("note"), actor=actor, roles=roles)
    abort(404)


@bp.route("/relations/transfers/<int:tid>/<action>", methods=["POST"])
@require_roles(*VIEW_ROLES)
@once
def transfer_action(tid: int, action: str):
    t = get_transfer(tid)
    if action not in rel.TRANSFER.transitions:
        abort(404)
    try:
        apply_action(t, action, request.form)
    except DomainError as exc:
        return _refused(t.residency, exc)
    flash(f"{t.kind_label}：{t.status_label}", "success")
    return _back(t.residency)


def _back(res):
    if ops.roles_toward(res, _user(), _roles()) == {"chair"}:
        return redirect(url_for("residency.mine", _anchor="relations"), 303)
    return redirect(url_for("residency.profile", res_id=res.id, _anchor="relations"), 303)


@bp.route("/<int:res_id>/org-life", methods=["POST"])
@require_roles(*VIEW_ROLES)
@once
def add_org_life(res_id: int):
    res = get_residency(res_id)
    f = request.form
    try:
        rel.record_org_life(res, attended_on=_date(f.get("attended_on"), "attended_on"),
                            organization=f.get("organization"), topic=f.get("topic"), content=f.get("content"),
                            actor=_user(), roles=_roles())
    except DomainError as exc:
        return _refused(res, exc)
    flash("已记录组织生活", "success")
    return _back(res)


def _month(value):
    if not value:
        return None
    d = _date(str(value).strip()[:7] + "-01", "month")
    return d


@bp.route("/<int:res_id>/dues", methods=["POST"])
@require_roles(*VIEW_ROLES)
@once
def add_dues(res_id: int):
    res = get_residency(res_id)
    f = request.form
    try:
        pay = rel.record_dues(res, month=_month(f.get("month")), amount_paid=f.get("amount_paid"),
                              paid_on=_date(f.get("paid_on"), "paid_on"), note=f.get("note"), actor=_user(),
                              roles=_roles())
    except DomainError as exc:
        return _refused(res, exc)
    flash(f"已记录 {pay.month.year}年{pay.month.month}月：应缴 {pay.amount_due} 元，实缴 {pay.amount_paid} 元"
          f"{'' if pay.on_time else '（逾期）'}{'' if pay.in_full else '（未足额）'}", "success")
    return _back(res)


@bp.route("/relations")
@require_roles(*STAFF_ROLES)
def relations_list():
    """A14: letters issued whose receipt has not come back, and transfers not yet begun."""
    page = db.paginate(rel.receipts_pending_query(), page=max(1, request.args.get("page", 1, type=int)),
                       per_page=100, error_out=False)
    waiting = list(db.session.scalars(sa.select(RelationTransfer).where(RelationTransfer.status == "open")
                                      .order_by(RelationTransfer.id).limit(200)))
    return render_template("residency/relations_list.html", pagination=page, waiting=waiting, today=clock.today())


# --- the calendar feed ----------------------------------------------------------------------

@bp.route("/calendar", methods=["GET", "POST"])
@require_roles(*VIEW_ROLES)
def calendar_feed():
    """Make, remake or revoke one's own feed address; the address is shown once, on making it."""
    url = None
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            feed.revoke(g.tenant.id, _user())
            flash("已停用日历订阅地址", "success")
        else:
            token = feed.issue_token(g.tenant.id, _user())
            url = url_for("residency.calendar_ics", token=token, _external=True)
    row = feed.active_token(g.tenant.id, _user().id)
    events = feed.deadlines(g.tenant.id, _user(), {str(r) for r in _roles()})
    return render_template("residency/calendar_feed.html", url=url, row=row, events=events[:50])


@bp.route("/calendar/<token>.ics")
@public_endpoint
def calendar_ics(token: str):
    """The feed itself: the secret address is the credential (404 when unknown or revoked)."""
    found = feed.token_owner(g.tenant.id, token)
    if found is None:
        abort(404)
    row, user = found
    roles = feed.roles_of(g.tenant.id, user.id)
    if not roles:
        abort(404)
    [(count, ttl)] = ratelimit.hit((f"ics:{row.token_hash}", 3600))
    limit = int(current_app.config.get("CALENDAR_FEED_PER_HOUR", FEED_PER_HOUR))
    if count > limit:
        return Response("too many requests", status=429, headers={"Retry-After": str(ttl)})
    body = feed.render_ics(g.tenant, user, feed.deadlines(g.tenant.id, user, roles))
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300",
                                                            "Content-Disposition": "inline; filename=deadlines.ics"})
