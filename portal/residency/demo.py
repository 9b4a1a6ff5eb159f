"""Demo data for Chapter 3 (issue 12 item 10): last year's cohort in residence.

The cohort is selected the real way (portal.selection.demo's pipeline, the A6.5 confirmation,
the ``chair.appointed`` signal opening each residency), about seven months before the demo's
day; then the chairs, the department head and the secretariat record their obligations, some
met, some due, some overdue, one returned for changes. The demo chair (chair@acsf.demo.cn)
holds the first residency and lands on 我的驻会.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.auth.operations import find_user
from portal.core import clock
from portal.core.calendar import calendar
from portal.core.db import tenant_context
from portal.core.workdays import NoCalendarData
from portal.extensions import db
from portal.residency import operations as rops
from portal.residency.models import Residency
from tenants.models import Role, Tenant

DEMO_CHAIR = "chair@acsf.demo.cn"
POSTS = ["全国学联秘书处", "团中央学校部", "全国学联秘书处", "团中央宣传部", "全国学联秘书处"]


def load_residency_demo(tenants: dict[str, Tenant], schools) -> None:
    from portal.selection import operations as sops
    from portal.selection.demo import _run_cycle
    from portal.selection.models import Nomination, NominationStatus
    from portal.selection.workflow import SYSTEM

    acsf = tenants["acsf"]
    today = clock.today()
    cal = calendar()
    try:
        opened = cal.add_workdays(today, -150)
        term_start = cal.add_workdays(opened, 20)
    except NoCalendarData:
        return
    year = f"{opened.year - 1}-{opened.year}"
    admin, approver = find_user("admin@acsf.demo.cn"), find_user("approver@acsf.demo.cn")
    with tenant_context(acsf.id, db.session):
        if db.session.scalar(sa.select(sa.func.count()).select_from(Residency)):
            return
        picked = list(schools["acsf"].values())[12:19]
        with clock.pinned(opened):
            cycle = _run_cycle(acsf, year, picked, admin, approver, stages=["ranked"] * len(picked),
                               open_notice=True)
        publicized = list(db.session.scalars(sa.select(Nomination).where(
            Nomination.cycle_id == cycle.id, Nomination.status == NominationStatus.publicized)
            .order_by(Nomination.rank)))
        if not publicized:
            return
        publicized[0].email = DEMO_CHAIR  # the demo's chair login holds the first residency
        confirm_on = cal.add_workdays(opened, 10)
        with clock.pinned(confirm_on):
            sops.confirm_appointments(cycle, actor=admin, roles=SYSTEM, term_start=term_start, today=confirm_on)
        residencies = list(db.session.scalars(sa.select(Residency).where(Residency.cycle_id == cycle.id)
                                              .order_by(Residency.id)))
        head = find_user("head@acsf.demo.cn")
        groups = list(cycle.rule("residency.working_groups"))
        for i, res in enumerate(residencies):
            rops.set_post(res, post=POSTS[i % len(POSTS)], working_group=groups[i % len(groups)], actor=admin)
            _fill(res, i, today, admin=admin, head=head)


def _fill(res: Residency, i: int, today: dt.date, *, admin, head) -> None:
    """Record what a chair at this point of the year has done: the first chair keeps one
    record returned for changes; the others miss every third period."""
    from portal.auth.models import User

    chair = db.session.get(User, res.chair.user_id) if res.chair.user_id else None
    returned = i != 0
    for st in rops.statuses(res, today):
        spec = st.spec
        for p in st.periods:
            if p.due is None or p.start > today:
                continue
            if (p.index + i) % 3 == 2 and p.due < today:
                continue  # missed: overdue
            if p.due > today and (p.index + i) % 2:
                continue  # not yet done: due
            if "chair" in spec.recorded_by:
                actor, roles = chair, {Role.chair}
            elif "department_head" in spec.recorded_by:
                actor, roles = head, {Role.department_head}
            else:
                actor, roles = admin, {Role.secretariat_admin}
            if actor is None:
                continue
            day = min(p.end, today, max(p.start, p.due - dt.timedelta(days=3)))
            title = f"{spec.label}（{p.start.year}年{p.start.month}月）"[:200]
            content = f"{res.chair.name}，{res.school.name}。{spec.label}，{day.isoformat()}。"
            evidence = _evidence_pdf(title, content) if spec.evidence_required else None
            rec = rops.record(res, spec.key, actor=actor, roles=roles, occurred_on=day, title=title,
                              content=content, evidence=evidence, today=today)
            if rec.status.value != "submitted":
                continue
            if not returned:
                returned = True
                rops.review(rec, False, actor=admin, roles={Role.secretariat_admin},
                            note="请补充与同学交流的具体情况和下一步打算")
            elif (p.index + i) % 4 != 1:
                rops.review(rec, True, actor=admin, roles={Role.secretariat_admin})


def _evidence_pdf(title: str, content: str) -> tuple[str, bytes]:
    """The record's own text as its evidence file (the demo has no scans)."""
    from portal.documents.render import DocumentSpec, render_pdf

    return f"{title}.pdf", render_pdf(DocumentSpec(title=title, paragraphs=[content]))
