"""Demo data for Chapter 3 (issue 12 item 10): last year's cohort in residence.

The cohort is this year's finished cycle of portal.selection.demo (its pipeline, the A6.5
confirmation, the ``chair.appointed`` signal opening each residency); here the chairs, the department head and the secretariat record their obligations, some
met, some due, some overdue, one returned for changes. The demo chair (chair@acsf.demo.cn)
holds the first residency and lands on 我的驻会.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.auth.operations import find_user
from portal.core import clock
from portal.core.db import tenant_context
from portal.core.obligations import ObligationRecord
from portal.extensions import db
from portal.residency import operations as rops
from portal.residency.models import Residency
from tenants.models import Role, Tenant

DEMO_CHAIR = "chair@acsf.demo.cn"
POSTS = ["全国学联秘书处", "团中央学校部", "全国学联秘书处", "团中央宣传部", "全国学联秘书处"]


def load_residency_demo(tenants: dict[str, Tenant]) -> None:
    """Each residency of the demo's cohort (opened by the A6.5 confirmation in
    portal.selection.demo) gets its post, group and the year's records so far."""
    acsf = tenants["acsf"]
    today = clock.today()
    admin, head = find_user("admin@acsf.demo.cn"), find_user("head@acsf.demo.cn")
    with tenant_context(acsf.id, db.session):
        residencies = list(db.session.scalars(sa.select(Residency).order_by(Residency.id)))
        if not residencies or db.session.scalar(sa.select(sa.func.count()).select_from(ObligationRecord)):
            return
        demo_chair = find_user(DEMO_CHAIR)
        if demo_chair is not None:  # the demo's chair login holds the first residency
            residencies[0].chair.user_id = demo_chair.id
            db.session.flush()
        for i, res in enumerate(residencies):
            groups = list(res.rule("residency.working_groups"))
            rops.set_post(res, post=POSTS[i % len(POSTS)], working_group=groups[i % len(groups)], actor=admin)
            _fill(res, i, today, admin=admin, head=head)
    from portal.residency.demo_relations import load_relations_demo

    load_relations_demo(tenants)  # A14: transfers, organizational life and dues (acsf, and gd if in residence)


def _fill(res: Residency, i: int, today: dt.date, *, admin, head) -> None:
    """Record what a chair at this point of the year has done: the first chair keeps one
    record returned for changes; the others miss every third period."""
    from portal.auth.models import User

    chair = db.session.get(User, res.chair.user_id) if res.chair.user_id else None
    returned = i != 0
    for st in rops.statuses(res, today):
        spec = st.spec
        if spec.key in rops.DETAILED_KEYS:
            continue  # A14 dues and meetings: portal.residency.demo_relations, with their details
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
