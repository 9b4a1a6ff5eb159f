"""Shared set-up for the A14 tests: a chair's political status, a pinned rule, the chair's login."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.extensions import db
from tests.factories import PASSWORD


def set_status(res, status: str) -> None:
    nominations = sa.table("selection_nominations", sa.column("id"), sa.column("political_status"))
    db.session.execute(sa.update(nominations).where(nominations.c.id == res.chair.nomination_id)
                       .values(political_status=status))


def pin(res, **values) -> None:
    """A residency's pinned rules with ``values`` (keys with __ for dots after residency.)."""
    snap = dict(res.rules_snapshot or {})
    for k, v in values.items():
        snap["residency." + k.replace("__", ".")] = v
    res.rules_snapshot = snap
    db.session.flush()


def chair_user(res, with_password: bool = False):
    from portal.auth.models import User

    u = db.session.get(User, res.chair.user_id)
    if with_password:
        u.set_password(PASSWORD)
        u.password_set_at = dt.datetime(2026, 1, 1)
    return u
