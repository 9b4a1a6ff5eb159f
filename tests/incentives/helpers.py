"""Chapter 4 test helpers: a cohort with rates, and the chair's login."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from portal.core.db import tenant_context
from portal.extensions import db
from portal.incentives.operations import allowance
from tests.factories import PASSWORD


def national_rate(w, level="本科", amount="3100.00", on=dt.date(2025, 1, 1), source="人薪发〔1990〕20号"):
    with tenant_context(w.tenant.id, db.session):
        return allowance.add_rate(w.tenant, effective_on=on, degree_level=level, monthly_amount=Decimal(amount),
                                  source=source, actor=w.admin)


def chair_user(res):
    from portal.auth.models import User

    u = db.session.get(User, res.chair.user_id)
    u.set_password(PASSWORD)
    u.password_set_at = dt.datetime(2026, 1, 1)
    return u
