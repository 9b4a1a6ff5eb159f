"""Scheduled reminders, declared as data: what, when, to whom, with which template.

A reminder fires on every day from ``workdays_before`` working days before a deadline up
to the deadline itself, so a missed run (worker down for a day) still sends it; the
dedupe key (unique per tenant) makes sure each person gets it once per deadline.
Run by the RQ periodic ticker (``portal.jobs.periodic``), the embedded timer, or
``flask reminders run [--date YYYY-MM-DD]``.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Callable, Iterable

import sqlalchemy as sa
from werkzeug.utils import import_string

from portal.core.db import any_of, tenant_context
from portal.core.workdays import NoCalendarData
from portal.extensions import db
from portal.core import clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deadline:
    due: dt.date
    related_type: str
    related_id: str
    context: dict = field(default_factory=dict)
    # None: the reminder's roles; else only these user ids (e.g. one chair).
    user_ids: tuple[int, ...] | None = None
    # A deadline with its own window (an obligation's reminder offset, an escalation after the
    # due date): it fires from this day on, up to ``until`` when given, whatever workdays_before.
    fires_from: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class Reminder:
    key: str
    label: str
    template_key: str
    roles: tuple[str, ...]          # to whom: every active holder of these roles
    workdays_before: int            # when: N working days before the deadline
    deadlines: str                  # dotted path: f(tenant) -> Iterable[Deadline]
    article: str | None = None
    channels: tuple[str, ...] = ("email", "inbox")


def calendar_year_end(tenant) -> Iterable[Deadline]:
    """The national secretariat must import next year's holidays before this year ends."""
    from portal.core.calendar import calendar

    if not tenant.is_national:
        return []
    years = calendar().covered_years()
    if not years:
        return []
    last = max(years)
    due = dt.date(last, 12, 31)
    return [Deadline(due, "holiday_year", str(last + 1), {"year": last + 1, "due": due.isoformat()})]


REMINDERS: list[Reminder] = [
    Reminder("calendar-next-year", "下一年节假日安排尚未导入", "workdays.next_year_missing",
             roles=("secretariat_admin",), workdays_before=15,
             deadlines="portal.notifications.reminders.calendar_year_end", article="A6.2"),
]


def register_reminder(reminder: Reminder) -> Reminder:
    """Features declare their reminders here (e.g. A9 reports before the term ends)."""
    REMINDERS[:] = [r for r in REMINDERS if r.key != reminder.key] + [reminder]
    return reminder


_sweep: contextvars.ContextVar[dict | None] = contextvars.ContextVar("portal_reminder_sweep", default=None)


def sweep_cache() -> dict:
    """A dict shared by the deadline sources of one tenant in one sweep (e.g. a feature's
    residencies and their records, read once for its several reminders); outside a sweep a
    fresh dict each call, so nothing is cached."""
    found = _sweep.get()
    return {} if found is None else found


def _deadlines(reminder: Reminder, tenant) -> list[Deadline]:
    src: Callable = import_string(reminder.deadlines) if isinstance(reminder.deadlines, str) else reminder.deadlines
    return list(src(tenant) or [])


def due_today(reminder: Reminder, deadline: Deadline, today: dt.date) -> bool:
    from portal.core.calendar import calendar

    if deadline.fires_from is not None:
        return deadline.fires_from <= today and (deadline.until is None or today <= deadline.until)
    if today > deadline.due:
        return False
    try:
        start = calendar().add_workdays(deadline.due, -reminder.workdays_before)
    except NoCalendarData as exc:
        log.warning("reminder %s: %s", reminder.key, exc)
        return False
    return today >= start


def run_reminders(today: dt.date | None = None) -> int:
    """Send every reminder due today in every tenant; returns how many were queued.

    Set-wise per tenant: the deadlines due today are gathered first (the clock pinned to
    ``today``, so every deadline source reads the sweep's day), their recipients read in one
    statement, and the notifications written by :func:`notify_many` (one read of the dedupe
    keys, one insert per chunk, the tenant's unique dedupe key deciding a race between two
    sweeps). One transaction per tenant."""
    from portal.jobs.operations import tenant_ids

    today = today or clock.today()
    created = 0
    with clock.pinned(today):
        for tid in tenant_ids():
            token = _sweep.set({})
            try:
                created += _run_tenant(tid, today)
            finally:
                _sweep.reset(token)
    return created


def _run_tenant(tid: int, today: dt.date) -> int:
    """One tenant's reminders due ``today``, in one transaction; returns how many were written."""
    from portal.auth.models import User
    from portal.notifications.operations import notify_many, staff_recipients
    from tenants.models import Tenant

    with tenant_context(tid, db.session):
        tenant = db.session.get(Tenant, tid)
        due: list[tuple[Reminder, Deadline]] = []
        for r in REMINDERS:
            due.extend((r, d) for d in _deadlines(r, tenant) if due_today(r, d, today))
        named = {uid for _r, d in due if d.user_ids is not None for uid in d.user_ids}
        known: set[int] = set()
        ids = sorted(named)
        for i in range(0, len(ids), 5000):
            known.update(db.session.scalars(sa.select(User.id).where(any_of(User.id, ids[i:i + 5000]))))
        by_roles: dict[tuple, list[int]] = {}
        items = []
        for r, d in due:
            if d.user_ids is not None:
                users = [uid for uid in d.user_ids if uid in known]
            else:
                if r.roles not in by_roles:
                    by_roles[r.roles] = [u.id for u in staff_recipients(tid, r.roles)]
                users = by_roles[r.roles]
            for uid in users:
                items.append({"template_key": r.template_key, "context": d.context, "recipient_user_id": uid,
                              "channels": r.channels, "related_type": d.related_type,
                              "related_id": d.related_id,
                              "dedupe_key": f"reminder:{r.key}:{d.related_type}:{d.related_id}:"
                                            f"{d.due.isoformat()}:{uid}"})
        written = notify_many(tid, items)
        db.session.commit()
        return len(written)
