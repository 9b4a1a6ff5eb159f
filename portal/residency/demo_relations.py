"""Demo data for A14 (issue 12 item 7): each chair of the demo cohort's relation transfer at a
different stage, months of organizational life and dues; the demo chair has one month paid late
and one paid short, another chair has missed the last months (the lapse alarm shows)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.auth.operations import find_user
from portal.core import clock, obligations
from portal.core.db import tenant_context
from portal.core.errors import DomainError
from portal.extensions import db
from portal.residency import relations as rel
from portal.residency.models import Residency
from portal.residency.relations_models import DuesPayment
from tenants.models import Role

ADMINS = {"acsf": "admin@acsf.demo.cn", "gd": "admin@gd.demo.cn"}
STAFF = {Role.secretariat_admin}


def load_relations_demo(tenants: dict) -> None:
    today = clock.today()
    for slug, email in ADMINS.items():
        tenant, admin = tenants.get(slug), find_user(email)
        if tenant is None or admin is None:
            continue
        with tenant_context(tenant.id, db.session):
            residencies = list(db.session.scalars(sa.select(Residency).order_by(Residency.id)))
            if not residencies or db.session.scalar(sa.select(sa.func.count()).select_from(DuesPayment)):
                continue
            for i, res in enumerate(residencies):
                _fill(res, i, today, admin)


def _fill(res: Residency, i: int, today: dt.date, admin) -> None:
    from portal.auth.models import User

    chair = db.session.get(User, res.chair.user_id) if res.chair.user_id else None
    actor, roles = (chair, {Role.chair}) if chair is not None else (admin, STAFF)
    start = res.term_start
    for t in rel.open_outbound(res, actor=admin):
        if i % 3 == 2:
            continue  # 待开具介绍信
        letter_day = min(today, start + dt.timedelta(days=3))
        try:
            rel.issue_letter(t, letter_no=f"{res.cohort[:4]}组字第{res.id:03d}号", letter_date=letter_day,
                             to_org="共青团中央机关党委" if t.kind.value == "party" else "共青团中央机关团委",
                             actor=admin, roles=STAFF, today=today)
        except DomainError:
            continue
        if i % 3 == 0 and letter_day + dt.timedelta(days=14) <= today:
            rel.report(t, reported_on=letter_day + dt.timedelta(days=2), actor=actor, roles=roles, today=today)
            rel.return_receipt(t, receipt_on=letter_day + dt.timedelta(days=14), actor=admin, roles=STAFF,
                               today=today)
    if rel.dues_kind(res) is None:
        return
    month = start.replace(day=1)
    n = 0
    closed = []
    while month <= min(today, res.term_end):
        closed.append(month)
        month = obligations.add_months(month, 1)
    for k, m in enumerate(closed):
        first = max(m, start)
        if first > today:
            break
        skip = i % 3 == 1 and k >= len(closed) - 4 and len(closed) > 4  # a run of missed months: the alarm
        if skip:
            continue
        meet = min(today, first + dt.timedelta(days=14))
        rel.record_org_life(res, attended_on=meet, organization="共青团中央机关团委第三支部",
                            topic=["主题团日", "三会一课", "专题学习", "组织生活会"][k % 4], actor=actor, roles=roles,
                            today=today)
        due = rel.dues_due(res, rel.dues_kind(res), m).amount
        month_end = obligations.add_months(m, 1) - dt.timedelta(days=1)
        paid_on, amount = min(today, first + dt.timedelta(days=9), month_end), due
        if i == 0 and k == 0 and len(closed) >= 2:      # the demo chair: the first month paid late
            paid_on = min(today, month_end + dt.timedelta(days=3))
        if i == 0 and k == 1:                           # ... and the second a cent short
            amount = due - rel.CENT
        pay = rel.record_dues(res, month=m, amount_paid=amount, paid_on=paid_on, actor=actor, roles=roles,
                              today=today)
        n += 1
        rec = db.session.get(obligations.ObligationRecord, pay.record_id)
        if rec.status.value == "submitted" and n % 4:
            from portal.residency import operations as ops

            ops.review(rec, True, actor=admin, roles=STAFF)
