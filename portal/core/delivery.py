"""Delivery of an official letter to a school (A6.1 letters, A18/A21 notices): 待送达 until the
outbox's message reaches the school's liaison (the notifications' sent hook) or a member of the
secretariat records by hand how it got there (fax, post, in person), when and to whom.

The features keep the delivery columns on their own rows; what is shared is the vocabulary, the
Beijing time as typed, and the checks a hand-recorded delivery must pass."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import clock
from portal.core.db import utcnow
from portal.core.errors import Conflict, DomainError

# A school without a liaison account receives the letter by other means.
DELIVERY_METHODS = {"fax": "传真", "post": "邮寄", "in_person": "当面送达"}
STATE_LABELS = {"unsent": "未发出", "pending": "待送达", "delivered": "已送达"}


def state(sent_at, delivered_at) -> str:
    if sent_at is None:
        return "unsent"
    return "delivered" if delivered_at is not None else "pending"


def beijing_to_utc(value: str) -> dt.datetime:
    """A Beijing date and time as typed (``YYYY-MM-DDTHH:MM`` or a bare date) to naive UTC."""
    text = (value or "").strip()
    try:
        local = dt.datetime.fromisoformat(text) if "T" in text or " " in text else \
            dt.datetime.combine(dt.date.fromisoformat(text), dt.time(12, 0))
    except ValueError:
        raise DomainError(f"送达时间格式应为 YYYY-MM-DD HH:MM，收到「{text[:40]}」", field="delivered_at") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=clock.BEIJING)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def manual_delivery(method: str, delivered_at: dt.datetime, handed_by: str, received_by: str,
                    note: str | None, *, sent_at: dt.datetime, what: str) -> tuple[dict, str]:
    """Check a delivery recorded by hand (``delivered_at`` naive UTC) and return the cleaned
    values and the note to keep; ``what`` names the letter in messages (「推荐函」)."""
    if method not in DELIVERY_METHODS:
        raise DomainError("请选择送达方式：" + "、".join(DELIVERY_METHODS.values()), field="method")
    handed_by, received_by, note = (handed_by or "").strip(), (received_by or "").strip(), (note or "").strip()
    if not handed_by or len(handed_by) > 60:
        raise DomainError("请填写送达人（不超过60字）", field="handed_by")
    if not received_by or len(received_by) > 60:
        raise DomainError("请填写学校签收人（不超过60字）", field="received_by")
    if len(note) > 200:
        raise DomainError("备注不能超过200字", field="note")
    if delivered_at > utcnow() + dt.timedelta(minutes=5):
        raise DomainError("送达时间不能晚于现在", field="delivered_at")
    if delivered_at < sent_at - dt.timedelta(days=1):
        raise DomainError(f"送达时间不能早于{what}发出的时间", field="delivered_at")
    text = f"{DELIVERY_METHODS[method]}；送达人：{handed_by}；签收人：{received_by}" + (f"；{note}" if note else "")
    return {"method": method, "handed_by": handed_by, "received_by": received_by, "note": note or None}, text[:400]


def record_by_hand(obj, method: str, delivered_at: dt.datetime, handed_by: str, received_by: str,
                   note: str | None, *, actor, sent_at: dt.datetime | None, what: str, not_sent: Conflict,
                   already: Conflict, delivered_column: str = "delivered_at") -> dict:
    """A delivery recorded by hand on ``obj``'s row, once: the letter must have gone out
    (``not_sent`` otherwise), the values pass :func:`manual_delivery`, and the row's delivery
    columns are a compare-and-set from undelivered (``already`` when another click or endpoint
    won). Returns the cleaned values for the feature's audit record."""
    from portal.extensions import db

    if sent_at is None:
        raise not_sent
    values, text = manual_delivery(method, delivered_at, handed_by, received_by, note, sent_at=sent_at, what=what)
    model = type(obj)
    changed = db.session.execute(
        sa.update(model).where(model.id == obj.id, getattr(model, delivered_column).is_(None))
        .values({delivered_column: delivered_at, "delivery_method": method, "delivery_note": text,
                 "delivery_recorded_by_id": getattr(actor, "id", None)})
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise already
    db.session.refresh(obj)
    return values
