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
from portal.core.errors import DomainError
from portal.core.obligations import ObligationRecord
from portal.extensions import db
from portal.residency import operations as rops
from portal.residency.models import Residency
from tenants.models import Role, Tenant

DEMO_CHAIR = "chair@acsf.demo.cn"
POSTS = ["全国学联秘书处", "团中央学校部", "全国学联秘书处", "团中央宣传部", "全国学联秘书处"]
DEMO_PASSWORD = "demo-password"
# A12: per tenant, the secretariat and the departments chairs work in, with their heads (the
# demo logins of README's table): (name, kind, head's email, head's name).
DEPARTMENTS = {
    "acsf": [("全国学联秘书处", "secretariat", None, None),
             ("团中央学校部", "department", "head@acsf.demo.cn", "部门负责同志"),
             ("团中央宣传部", "department", "head-xcb@acsf.demo.cn", "团中央宣传部负责同志"),
             ("团中央国际联络部", "department", "head-gjb@acsf.demo.cn", "团中央国际联络部负责同志")],
    "gd": [("广东省学联秘书处", "secretariat", None, None),
           ("团省委学校部", "department", "head@gd.demo.cn", "团省委学校部负责同志"),
           ("团省委宣传部", "department", "head-xcb@gd.demo.cn", "团省委宣传部负责同志")],
}
ACTIVITIES = [("小组成员单位工作交流会", "交流本学期工作计划，明确分工和下一步安排"),
              ("专题调研座谈", "形成调研报告一份，提出工作建议三条")]


def _departments(tenant: Tenant, admin) -> None:
    """The tenant's departments and their heads (created with the department_head role)."""
    from portal.auth.operations import create_user
    from portal.reference.models import Department
    from portal.residency import rotation
    from tenants.operations import grant_role

    with tenant_context(tenant.id, db.session):
        if db.session.scalar(sa.select(sa.func.count()).select_from(Department)):
            return
        for i, (name, kind, email, head_name) in enumerate(DEPARTMENTS.get(tenant.slug, [])):
            head_id = None
            if email:
                user = find_user(email) or create_user(email, head_name, DEMO_PASSWORD)
                grant_role(tenant, user, Role.department_head, actor="演示数据")
                head_id = user.id
            rotation.add_department(tenant, name=name, kind=kind, head_user_id=head_id, sort=i, actor=admin)


def _rotation_and_groups(tenant: Tenant, residencies, admin, today: dt.date) -> None:
    """A12: the cohort's rotation plan, proposed and accepted; A13: members and activities."""
    from portal.residency import groups as wg
    from portal.residency import rotation

    staff = {"secretariat_admin"}
    for cohort in sorted({r.cohort for r in residencies}):
        try:
            plan = rotation.save_proposal(tenant, cohort, actor=admin, roles=staff)
        except DomainError:
            continue
        rotation.accept(plan, actor=admin, roles=staff)
        unions = wg.presidium_unions(today)
        for k, group in enumerate(wg.ensure_groups(tenant, cohort)):
            picked = unions[k * 3:k * 3 + 3]
            if not picked:
                continue
            wg.set_members(group, [u.id for u in picked], actor=admin, today=today)
            start = min(r.term_start for r in residencies if r.cohort == cohort)
            for j, (title, outcome) in enumerate(ACTIVITIES):
                day = start + dt.timedelta(days=40 + 60 * j + 7 * k)
                if day > today:
                    continue
                wg.record_activity(group, held_on=day, title=f"{group.name}{title}", outcome=outcome,
                                   union_ids=[u.id for u in picked[:2 + j]], actor=admin, today=today)


def load_residency_demo(tenants: dict[str, Tenant]) -> None:
    """Each residency of the demo's cohort (opened by the A6.5 confirmation in
    portal.selection.demo) gets its post, group and the year's records so far."""
    acsf = tenants["acsf"]
    today = clock.today()
    admin, head = find_user("admin@acsf.demo.cn"), find_user("head@acsf.demo.cn")
    for slug in ("acsf", "gd"):
        if slug in tenants:
            _departments(tenants[slug], find_user(f"admin@{slug}.demo.cn"))
    if "gd" in tenants:  # A22: the province's own rotation period (its next cycles pin it)
        from tenants.rules.operations import set_override

        with tenant_context(tenants["gd"].id, db.session):
            set_override(tenants["gd"], "residency.rotation_period_months", 4,
                         "省学联驻会执行主席每4个月轮岗1次（第十二条参照执行）", find_user("admin@gd.demo.cn"))
    with tenant_context(acsf.id, db.session):
        residencies = list(db.session.scalars(sa.select(Residency).order_by(Residency.id)))
        if not residencies or db.session.scalar(sa.select(sa.func.count()).select_from(ObligationRecord)):
            return
        demo_chair = find_user(DEMO_CHAIR)
        if demo_chair is not None:  # the demo's chair login holds the first residency
            residencies[0].chair.user_id = demo_chair.id
            db.session.flush()
        _rotation_and_groups(acsf, residencies, admin, today)
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

    from portal.residency import rotation

    chair = db.session.get(User, res.chair.user_id) if res.chair.user_id else None
    segs = rotation.history(res)
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
                # A9: the head of the department the chair is in during this period
                seg = rotation.covering(segs, p.start)
                actor = db.session.get(User, seg.head_user_id) if seg is not None and seg.head_user_id else head
                roles = {Role.department_head}
            else:
                actor, roles = admin, {Role.secretariat_admin}
            if actor is None:
                continue
            day = min(p.end, today, max(p.start, p.due - dt.timedelta(days=3)))
            title = f"{spec.label}（{p.start.year}年{p.start.month}月）"[:200]
            content = f"{res.chair.name}，{res.school.name}。{spec.label}，{day.isoformat()}。"
            evidence = _evidence_pdf(title, content) if spec.evidence_required else None
            if spec.key == rops.TALK_KEY:
                rec = rops.record_talk(res, actor=actor, roles=roles, occurred_on=day, place="团中央机关",
                                       topic="驻会以来的学习和工作", content=content, today=today)
            else:
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
