"""Today's date, with one seam: ``FIXED_TODAY`` in the app config pins it.

Working-day windows (A6.2 school publicity, A6.5 public notice) are decided against
"today"; tests, the browser walk and rehearsals set ``FIXED_TODAY`` (a date or an ISO
string, also from the environment) instead of waiting for the calendar.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app, has_app_context


def today() -> dt.date:
    """The date operations and pages treat as today."""
    fixed = current_app.config.get("FIXED_TODAY") if has_app_context() else None
    if not fixed:
        return dt.date.today()
    if isinstance(fixed, dt.datetime):
        return fixed.date()
    if isinstance(fixed, dt.date):
        return fixed
    return dt.date.fromisoformat(str(fixed))
