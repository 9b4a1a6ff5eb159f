"""Building blocks for the chapter 5 tests: a cohort in residence, logins, a scan."""
from __future__ import annotations

import datetime as dt
import io

from portal.extensions import db
from tests.factories import PASSWORD

IN_TERM = "2026-03-16"  # a Monday inside the cohort's term (tests.factories_residency)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def login_user(u):
    u.set_password(PASSWORD)
    u.password_set_at = dt.datetime(2026, 1, 1)
    return u


def chair_user(res):
    from portal.auth.models import User

    return login_user(db.session.get(User, res.chair.user_id))


def pdf(name="证据.pdf"):
    return (io.BytesIO(PDF), name)


def switch(client, login_as, user):
    client.post("/logout")
    login_as(user)
