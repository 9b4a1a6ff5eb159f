"""Today's date in Beijing, with two seams for rehearsals and tests.

Deadlines, working days and document dates are Beijing dates (Asia/Shanghai, UTC+8 all
year), whatever the server's own zone: at 23:30 UTC it is already the next day in Beijing.

``FIXED_TODAY`` in the app config (a date or an ISO string, also from the environment)
pins the date for a whole app: tests, the browser walk and rehearsals use it instead of
waiting for the calendar. :func:`pinned` pins it for one block of code in one thread
(the demo load plans its data "as of" a day the working-day calendar covers).
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

BEIJING = ZoneInfo("Asia/Shanghai")

_pinned: contextvars.ContextVar[dt.date | None] = contextvars.ContextVar("portal_clock_pinned", default=None)


def now() -> dt.datetime:
    """The current moment, aware, in Beijing time."""
    return dt.datetime.now(BEIJING)


def today() -> dt.date:
    """The date operations and pages treat as today (Beijing)."""
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    fixed = current_app.config.get("FIXED_TODAY") if has_app_context() else None
    if not fixed:
        return now().date()
    if isinstance(fixed, dt.datetime):
        return fixed.date()
    if isinstance(fixed, dt.date):
        return fixed
    return dt.date.fromisoformat(str(fixed))


@contextlib.contextmanager
def pinned(day: dt.date):
    """Treat ``day`` as today inside the block (this thread/context only)."""
    token = _pinned.set(day)
    try:
        yield day
    finally:
        _pinned.reset(token)


def utc_iso(moment: dt.datetime | None) -> str | None:
    """A stored moment (naive UTC, as every ``*_at`` column holds it) as RFC 3339 with its
    offset, the "date-time" the OpenAPI document promises; None stays None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
