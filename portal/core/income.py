"""A chair's monthly income, as other chapters need it without importing the one that pays it.

A14's party and league dues are by bracket on the chair's income: a student without income pays
the student rate, a chair paid the A15 allowance pays on it. Incentives (A15) pays the allowance
and registers a source (``register_income_source(app, "module:function")``); a source takes a
Residency and a month's first day and returns the month's amount (``Decimal``), or ``None``
when it knows nothing of that month. With no source answering, the chair has no income on record.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import current_app

from portal.core.registries import resolve


def register_income_source(app, source: str) -> None:
    app.extensions.setdefault("portal_income_sources", []).append(source)



def monthly_income(residency, month: dt.date) -> Decimal | None:
    """The first registered source's answer for ``month`` (its first day), or ``None``."""
    month = month.replace(day=1)
    for spec in current_app.extensions.get("portal_income_sources", []):
        amount = resolve(spec)(residency, month)
        if amount is not None:
            return Decimal(amount)
    return None
