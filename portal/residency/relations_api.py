"""A14's JSON under /api/v1/<tenant>/residency/... : relations, transfers, organizational life,
dues month by month, the receipts not returned, and one's calendar-feed address."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from flask import abort, g, jsonify, url_for
from flask_login import current_user
from pydantic import Field

from portal.api.schemas import Body, Out, PageQuery, operation, text
from portal.core import clock
from portal.core.permissions import require_roles
from portal.extensions import db
from portal.residency import calendar_feed as feed
from portal.residency import relations as rel
from portal.residency.api import api_bp
from portal.residency.relations_models import RelationTransfer
from portal.residency.relations_views import STAFF_ROLES, get_transfer
from portal.residency.views import VIEW_ROLES, get_residency


def _user():
    return current_user._get_current_object()


def _roles():
    return g.get("roles", frozenset())


class TransferOut(Out):
    id: int
    residency_id: int
    kind: str
    direction: str
    status: str
    letter_no: str | None = None
    letter_date: dt.date | None = None
    validity_days: int | None = None
    letter_valid_until: dt.date | None = None
    from_org: str | None = None
    to_org: str | None = None
    reported_on: dt.date | None = None
    receipt_due: dt.date | None = None
    receipt_on: dt.date | None = None
    actions: list[str]


class OrgLifeOut(Out):
    record_id: int
    attended_on: dt.date
    organization: str
    topic: str
    status: str


class MonthOut(Out):
    month: str
    closed: bool
    amount_due: str | None = None
    basis: str | None = None
    amount_paid: str | None = None
    paid_on: dt.date | None = None
    on_time: bool | None = None
    in_full: bool | None = None
    dues_status: str | None = None
    org_life: list[OrgLifeOut]


class RelationsOut(Out):
    residency_id: int
    kinds: list[str]
    dues_kind: str | None = None
    transfers: list[TransferOut]
    months: list[MonthOut]
    lapse: dict[str, dict]


class TransferIn(Body):
    kind: Literal["party", "league"]
    direction: Literal["outbound", "back"] = "outbound"
    from_org: text(max_len=120) | None = None
    to_org: text(max_len=120) | None = None


class TransferActionIn(Body):
    letter_no: text(max_len=60) | None = None
    letter_date: dt.date | None = None
    validity_days: int | None = Field(None, ge=1, le=365)
    to_org: text(max_len=120) | None = None
    reported_on: dt.date | None = None
    receipt_on: dt.date | None = None
    note: text(max_len=500) | None = None


class OrgLifeIn(Body):
    attended_on: dt.date
    organization: text(max_len=120)
    topic: text(max_len=200)
    content: text(max_len=20000) | None = None


class DuesIn(Body):
    month: dt.date = Field(description="任一日期，取其所在月份")
    amount_paid: Decimal = Field(gt=0, le=100000, decimal_places=2)
    paid_on: dt.date
    note: text(max_len=2000) | None = None


class DuesOut(Out):
    record_id: int
    month: str
    amount_due: str
    basis: str
    amount_paid: str
    paid_on: dt.date
    on_time: bool
    in_full: bool


class TransferPage(Out):
    items: list[TransferOut]
    total: int
    page: int


class FeedOut(Out):
    url: str | None = None
    active: bool
    created_at: dt.datetime | None = None


def transfer_json(t: RelationTransfer, roles=None) -> dict:
    from portal.residency import operations as ops

    mine = ops.roles_toward(t.residency, _user(), _roles() if roles is None else roles)
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return {"id": t.id, "residency_id": t.residency_id, "kind": t.kind.value, "direction": t.direction.value,
            "status": t.status.value, "status_label": t.status_label, "letter_no": t.letter_no,
            "letter_date": iso(t.letter_date), "validity_days": t.validity_days,
            "letter_valid_until": iso(t.letter_valid_until), "from_org": t.from_org, "to_org": t.to_org,
            "reported_on": iso(t.reported_on), "receipt_due": iso(t.receipt_due), "receipt_on": iso(t.receipt_on),
            "actions": [x.name for x in rel.TRANSFER.allowed(t, mine)]}


def dues_json(p) -> dict:
    return {"record_id": p.record_id, "month": p.month.isoformat()[:7], "amount_due": str(p.amount_due),
            "basis": p.basis, "amount_paid": str(p.amount_paid), "paid_on": p.paid_on.isoformat(),
            "on_time": p.on_time, "in_full": p.in_full}


def relations_json(res) -> dict:
    today = clock.today()
    rows = rel.months(res, today)
    kind = rel.dues_kind(res)
    return {"residency_id": res.id, "kinds": [k.value for k in rel.kinds_for(res)],
            "dues_kind": kind.value if kind else None,
            "transfers": [transfer_json(t) for t in rel.transfers_of(res)],
            "months": [{"month": m.month.isoformat()[:7], "closed": m.closed,
                        "amount_due": str(m.due.amount) if m.due else None, "basis": m.due.basis if m.due else None,
                        "amount_paid": str(m.payment.amount_paid) if m.payment else None,
                        "paid_on": m.payment.paid_on.isoformat() if m.payment else None,
                        "on_time": m.on_time, "in_full": m.in_full,
                        "dues_status": m.payment_record.status.value if m.payment_record else None,
                        "org_life": [{"record_id": rec.id, "attended_on": row.attended_on.isoformat(),
                                      "organization": row.organization, "topic": row.topic,
                                      "status": rec.status.value} for row, rec in m.org_life]} for m in rows],
            "lapse": {what: {"since": s.isoformat(), "months": n}
                      for what, (s, n) in rel.lapse_streaks(rel.months(res, today, with_due=False)).items()}}


@api_bp.get("/residencies/<int:res_id>/relations")
@require_roles(*VIEW_ROLES)
@operation(responses={200: RelationsOut})
def api_relations(res_id: int):
    """党团组织关系：转接、组织生活、党（团）费（按月）（A14）"""
    return jsonify(relations_json(get_residency(res_id)))


@api_bp.post("/residencies/<int:res_id>/relations/transfers")
@require_roles(*STAFF_ROLES)
@operation(body=TransferIn, responses={201: TransferOut})
def api_open_transfer(res_id: int, body: TransferIn):
    """建立组织关系转接（A14）"""
    res = get_residency(res_id)
    t = rel.open_transfer(res, body.kind, body.direction, actor=_user(), from_org=body.from_org or res.school.name,
                          to_org=body.to_org)
    return jsonify(transfer_json(t)), 201


@api_bp.post("/relations/transfers/<int:tid>/<action>")
@require_roles(*VIEW_ROLES)
@operation(body=TransferActionIn, responses={200: TransferOut})
def api_transfer_action(tid: int, action: str, body: TransferActionIn):
    """组织关系转接的一步：issue_letter 开具介绍信、report 报到、return_receipt 回执返回、cancel 撤销（A14）"""
    from portal.residency.relations_views import apply_action

    t = get_transfer(tid)
    if action not in rel.TRANSFER.transitions:
        abort(404)
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in body.model_dump().items()}
    apply_action(t, action, data)
    return jsonify(transfer_json(t))


@api_bp.get("/relations/receipts-pending")
@require_roles(*STAFF_ROLES)
@operation(query=PageQuery, responses={200: TransferPage})
def api_receipts_pending(query: PageQuery):
    """回执尚未返回的组织关系转接（A14）"""
    page = max(1, query.page)
    p = db.paginate(rel.receipts_pending_query(), page=page, per_page=100, error_out=False)
    return jsonify({"items": [transfer_json(t) for t in p.items], "total": p.total, "page": page})


@api_bp.post("/residencies/<int:res_id>/org-life")
@require_roles(*VIEW_ROLES)
@operation(body=OrgLifeIn, responses={201: OrgLifeOut})
def api_add_org_life(res_id: int, body: OrgLifeIn):
    """记录参加组织生活（A14）"""
    res = get_residency(res_id)
    row = rel.record_org_life(res, attended_on=body.attended_on, organization=body.organization, topic=body.topic,
                              content=body.content, actor=_user(), roles=_roles())
    from portal.residency import operations as ops

    rec = ops.get_record(row.record_id)
    return jsonify({"record_id": row.record_id, "attended_on": row.attended_on.isoformat(),
                    "organization": row.organization, "topic": row.topic, "status": rec.status.value}), 201


@api_bp.post("/residencies/<int:res_id>/dues")
@require_roles(*VIEW_ROLES)
@operation(body=DuesIn, responses={201: DuesOut})
def api_add_dues(res_id: int, body: DuesIn):
    """记录一个月的党（团）费：应缴按规则计算，及时、足额自动核对（A14）"""
    res = get_residency(res_id)
    pay = rel.record_dues(res, month=body.month, amount_paid=body.amount_paid, paid_on=body.paid_on,
                          note=body.note, actor=_user(), roles=_roles())
    return jsonify(dues_json(pay)), 201


@api_bp.get("/calendar-feed")
@require_roles(*VIEW_ROLES)
@operation(responses={200: FeedOut})
def api_feed_state():
    """我的日历订阅地址是否有效（地址本身只在生成时返回一次）"""
    row = feed.active_token(g.tenant.id, _user().id)
    return jsonify({"url": None, "active": row is not None,
                    "created_at": clock.utc_iso(row.created_at) if row else None})


@api_bp.post("/calendar-feed")
@require_roles(*VIEW_ROLES)
@operation(responses={201: FeedOut})
def api_feed_issue():
    """生成（或重新生成）我的日历订阅地址；旧地址随即失效"""
    token = feed.issue_token(g.tenant.id, _user())
    row = feed.active_token(g.tenant.id, _user().id)
    return jsonify({"url": url_for("residency.calendar_ics", token=token, _external=True), "active": True,
                    "created_at": clock.utc_iso(row.created_at)}), 201


@api_bp.delete("/calendar-feed")
@require_roles(*VIEW_ROLES)
@operation(responses={200: FeedOut})
def api_feed_revoke():
    """停用我的日历订阅地址"""
    feed.revoke(g.tenant.id, _user())
    return jsonify({"url": None, "active": False, "created_at": None})
