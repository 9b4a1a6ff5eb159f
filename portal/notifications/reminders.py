"""Scheduled reminders, declared as data: what, when, to whom, with which template.

A reminder fires on every day from ``workdays_before`` working days before a deadline up
to the deadline itself, so a missed run (worker down for a day) still sends it; the
dedupe key (unique per tenant) makes sure each person gets it once per deadline.
Run by the RQ periodic ticker (``portal.jobs.periodic``), the embedded timer, or
``flask reminders run [--date YYYY-MM-DD]``.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Callable, Iterable

from werkzeug.utils import import_string

from portal.core.db import tenant_context
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
    """Send every reminder due today in every tenant; returns how many were queued."""
    from portal.jobs.operations import tenant_ids
    from portal.notifications.models import Notification
    from portal.notifications.operations import notify, staff_recipients
    from tenants.models import Tenant

    today = today or clock.today()
    created = 0
    for tid in tenant_ids():
        with tenant_context(tid, db.session):
            tenant = db.session.get(Tenant, tid)
            for r in REMINDERS:
                for d in _deadlines(r, tenant):
                    if not due_today(r, d, today):
                        continue
                    if d.user_ids is not None:
                        from portal.auth.models import User

                        users = [db.session.get(User, uid) for uid in d.user_ids]
                    else:
                        users = staff_recipients(tid, r.roles)
                    for user in users:
                        if user is None:
                            continue
                        key = f"reminder:{r.key}:{d.related_type}:{d.related_id}:{d.due.isoformat()}:{user.id}"
                        n = notify(tid, template_key=r.template_key, context=d.context,
                                   recipient_user_id=user.id, channels=r.channels,
                                   related_type=d.related_type, related_id=d.related_id, dedupe_key=key)
                        if n in db.session.new or _is_new(n):
                            created += 1
            db.session.commit()
    return created


def _is_new(n) -> bool:
    from portal.notifications.operations import OUTBOX_KEY

    return any(nid == n.id for _, nid in db.session.info.get(OUTBOX_KEY, []))
