"""``core.db.insert_rows`` and ``core.db.any_of``: the set-wise writes and reads of the reminder
sweep (issue 12). On PostgreSQL the rows travel as one JSON document and the ids as one array;
what is read back must be what the ORM would have written, on both databases."""
import datetime as dt

import sqlalchemy as sa

from portal.core.db import any_of, insert_rows, tenant_context
from portal.extensions import db
from portal.notifications.models import Notification, NotificationStatus
from tests.factories import TenantFactory, member


def _row(t, user, key, context, **kw):
    now = dt.datetime(2026, 3, 25, 8, 30, 15, 123456)
    return {"tenant_id": t.id, "template_key": "residency.obligation_due", "context": context,
            "recipient_user_id": user.id, "recipient_email": None, "channels": "email,inbox",
            "related_type": "residency_obligation", "related_id": kw.get("related_id", "7:a9:0"),
            "dedupe_key": key, "status": NotificationStatus.pending, "attempts": 0,
            "message_id": f"<{key}@bench>", "enqueued_at": now, "created_at": now, "created_by_id": None}


def test_insert_rows_writes_what_the_orm_reads_back_and_skips_existing_keys(session):
    t = TenantFactory()
    user = member(t)
    tricky = {"name": "张三 \"引号\" \\ 反斜杠", "due": "2026-03-31", "nested": {"n": [1, 2.5, None, True]}, "tab": "a\tb\n"}
    table = Notification.__table__
    with tenant_context(t.id, session):
        first = insert_rows(session.connection(), table, [_row(t, user, "k1", tricky), _row(t, user, "k2", {})],
                            skip_conflicts_on=("tenant_id", "dedupe_key"), returning=table.c.id)
        assert len(first) == 2
        # k2 exists: it is skipped (the row written first wins), k3 is new
        again = insert_rows(session.connection(), table,
                            [_row(t, user, "k2", {"other": 1}, related_id=None), _row(t, user, "k3", {"x": "y"})],
                            skip_conflicts_on=("tenant_id", "dedupe_key"), returning=table.c.id)
        assert len(again) == 1 and again[0] not in first
        session.expire_all()
        got = {n.dedupe_key: n for n in session.scalars(sa.select(Notification).where(Notification.tenant_id == t.id))}
    assert sorted(got) == ["k1", "k2", "k3"]
    assert got["k1"].context == tricky and got["k1"].status is NotificationStatus.pending
    assert got["k1"].created_at == dt.datetime(2026, 3, 25, 8, 30, 15, 123456)
    assert got["k2"].context == {} and got["k2"].related_id == "7:a9:0"
    assert got["k3"].id == again[0] and got["k3"].recipient_email is None


def test_any_of_matches_an_in_list_at_every_size(session):
    t = TenantFactory()
    users = [member(t) for _ in range(3)]
    ids = [u.id for u in users]
    from portal.auth.models import User

    for wanted in ([], ids[:1], ids, ids + [10 ** 9]):
        found = set(db.session.scalars(sa.select(User.id).where(any_of(User.id, wanted))))
        assert found == set(wanted) & set(ids)
