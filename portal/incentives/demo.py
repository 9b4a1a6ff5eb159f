"""Demo data for Chapter 4 (issue 13 item 8), on the demo's cohort in residence (portal.residency.demo).

The national rate table and a provincial override (the amounts are demo figures, marked so in
their source); last month's allowance run locked and this month's approved; beds assigned; two
chairs who left early, one having suspended schooling and one not (their certificates can be
downloaded); the Young Marxist program; and appraisals at every stage, one issued."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from portal.auth.operations import find_user
from portal.core import clock
from portal.core.db import tenant_context
from portal.extensions import db
from portal.incentives.models import AllowanceRun, NationalAllowanceRate
from portal.incentives.operations import allowance, appraisal, housing, schooling, ymp
from portal.reference.models import Department, DepartmentKind
from portal.residency import operations as rops
from portal.residency.models import Residency, ResidencyStatus, RotationSegment
from tenants.models import Tenant

DEMO_SOURCE = "人薪发〔1990〕20号（演示金额，以财务核定为准）"
ADMIN = {"secretariat_admin"}


def _month(d: dt.date, back: int) -> dt.date:
    y, m = d.year, d.month - back
    while m < 1:
        y, m = y - 1, m + 12
    return dt.date(y, m, 1)


def load_incentives_demo(tenants: dict[str, Tenant]) -> None:
    acsf, gd = tenants["acsf"], tenants.get("gd")
    admin, head = find_user("admin@acsf.demo.cn"), find_user("head@acsf.demo.cn")
    today = clock.today()
    with tenant_context(acsf.id, db.session):
        residencies = list(db.session.scalars(sa.select(Residency).order_by(Residency.id)))
        if not residencies or db.session.scalar(sa.select(sa.func.count()).select_from(AllowanceRun)):
            return
        start = min(r.term_start for r in residencies).replace(day=1)
        if not db.session.scalar(sa.select(sa.func.count()).select_from(NationalAllowanceRate)):
            for level, amount in (("本科", "2800.00"), ("硕士", "3200.00"), ("博士", "3800.00")):
                allowance.add_rate(acsf, effective_on=start, degree_level=level, monthly_amount=Decimal(amount),
                                   source=DEMO_SOURCE, actor=admin)
        _departments(acsf, residencies, head)
        beds = [housing.add_bed(acsf, building="团中央机关宿舍2号楼", room=room, bed=bed, actor=admin)
                for room, bed in (("301", "1"), ("301", "2"), ("302", "1"), ("302", "2"))]
        housed = residencies[:3] + residencies[4:5]  # the fifth leaves early: the bed is released
        for res, bed in zip(housed, beds):
            housing.assign_bed(res, bed, starts_on=res.term_start, ends_on=None, actor=admin)
        for res in residencies[:3]:
            items = list(res.rule("incentives.welfare_items"))
            housing.give_welfare(res, item=items[1 % len(items)], given_on=max(res.term_start, today - dt.timedelta(days=30)),
                                 note=None, actor=admin)
        # Two chairs left early (A21 / their own request): one had suspended schooling, one could not.
        left_on = max(residencies[0].term_start, today - dt.timedelta(days=10))
        leaving = residencies[-2:] if len(residencies) >= 5 else []
        if leaving:
            susp, kept = leaving
            schooling.record_schooling(susp, status="suspended", approval_ref="北大学〔2026〕休学第18号",
                                       evidence=_pdf("学校批准休学通知", f"同意{susp.chair.name}同学休学一年，保留学籍。"),
                                       actor=admin)
            schooling.record_schooling(kept, status="not_suspended", reason="所在专业为毕业年级，学校未批准休学", actor=admin)
            rops.end_residency(susp, "left", ended_on=left_on, reason="本人申请提前结束驻会，返校（演示）", actor=admin)
            rops.end_residency(kept, "left", ended_on=left_on, reason="本人申请提前结束驻会，返校（演示）", actor=admin)
        for res in residencies[1:3]:
            schooling.record_schooling(res, status="suspended", approval_ref="示范大学〔2026〕休学第3号",
                                       evidence=_pdf("学校批准休学通知", f"同意{res.chair.name}同学休学一年。"), actor=admin)
        # Last month locked, this month approved (A15).
        last, this = _month(today, 1), _month(today, 0)
        if last >= start:
            run = allowance.start_run(acsf, last, actor=admin, inline=True)
            allowance.approve_run(run, actor=admin, roles=ADMIN)
            allowance.lock_run(run, actor=admin, roles=ADMIN)
        run = allowance.start_run(acsf, this, actor=admin, inline=True)
        allowance.approve_run(run, actor=admin, roles=ADMIN)
        # The Young Marxist program (A17).
        if len(residencies) >= 3:
            ymp.recommend(residencies[1], reason="驻会期间理论学习扎实，积极参与调研。", actor=admin)
            r = ymp.recommend(residencies[2], reason="驻会期间表现突出，推荐参加高校班学习。", actor=admin)
            ymp.advance(r, "admit", actor=admin, roles=ADMIN)
        _appraisals(residencies, admin, head)
    if gd is not None:
        load_provincial_demo(gd, rates_from=start)


def load_provincial_demo(gd: Tenant, *, rates_from: dt.date) -> None:
    """A22: 广东省学联 walks through Chapter 4 with its own cohort in residence — its own 本科 rate
    (硕士 and 博士 on the national table, by reference), beds, last month's run locked and this
    month's approved, one chair suspended and one not, welfare, and an appraisal drafted."""
    from portal.reference.models import School

    admin = find_user("admin@gd.demo.cn")
    today = clock.today()
    with tenant_context(gd.id, db.session):
        if db.session.scalar(sa.select(sa.func.count()).select_from(AllowanceRun)):
            return
        residencies = list(db.session.scalars(sa.select(Residency).order_by(Residency.id)))
        if not residencies:
            residencies = _provincial_cohort(gd, list(db.session.scalars(sa.select(School).order_by(School.id))),
                                             admin)
        if not residencies:
            return
        allowance.add_rate(gd, effective_on=dt.date(rates_from.year, 1, 1), degree_level="本科",
                           monthly_amount=Decimal("3000.00"), source="粤学联〔2026〕示例（演示金额）", actor=admin)
        depts = list(db.session.scalars(sa.select(Department).where(Department.head_user_id.is_not(None))
                                        .order_by(Department.sort, Department.id)))
        for res in residencies:
            if depts and not db.session.scalar(sa.select(RotationSegment.id).where(RotationSegment.residency_id == res.id)
                                               .limit(1)):
                d = depts[res.id % len(depts)]
                db.session.add(RotationSegment(tenant_id=gd.id, residency_id=res.id, department_id=d.id,
                                               post="驻会执行主席", starts_on=res.term_start, ends_on=res.term_end,
                                               head_user_id=d.head_user_id))
        db.session.flush()
        beds = [housing.add_bed(gd, building="广东省青年之家公寓A座", room=room, bed=bed, actor=admin)
                for room, bed in (("501", "1"), ("501", "2"), ("502", "1"))]
        for res, bed in zip(residencies, beds):
            housing.assign_bed(res, bed, starts_on=res.term_start, ends_on=None, actor=admin)
        items = list(residencies[0].rule("incentives.welfare_items"))
        housing.give_welfare(residencies[0], item=items[0], given_on=max(residencies[0].term_start,
                                                                         today - dt.timedelta(days=20)),
                             note=None, actor=admin)
        schooling.record_schooling(residencies[0], status="suspended", approval_ref="中大教〔2026〕休学第5号",
                                   evidence=_pdf("学校批准休学通知", f"同意{residencies[0].chair.name}同学休学一年，保留学籍。"),
                                   actor=admin)
        schooling.suspension_letter_context(residencies[0], actor=admin)  # the 商请休学函, numbered
        if len(residencies) > 1:
            schooling.record_schooling(residencies[1], status="not_suspended", reason="所在专业为毕业年级，学校未批准休学",
                                       actor=admin)
        start = min(r.term_start for r in residencies).replace(day=1)
        last, this = _month(today, 1), _month(today, 0)
        if last >= start:
            run = allowance.start_run(gd, last, actor=admin, inline=True)
            allowance.approve_run(run, actor=admin, roles=ADMIN)
            allowance.lock_run(run, actor=admin, roles=ADMIN)
        run = allowance.start_run(gd, this, actor=admin, inline=True)
        allowance.approve_run(run, actor=admin, roles=ADMIN)
        appraisal.draft(residencies[0], actor=admin)


def _provincial_cohort(gd: Tenant, schools, admin) -> list[Residency]:
    """This year's provincial cycle, run some weeks ago and finished, as the national demo's
    (portal.selection.demo): its chairs are in residence."""
    from portal.core.calendar import calendar
    from portal.core.workflow import SYSTEM
    from portal.selection import operations as sops
    from portal.selection.demo import APPOINTED_BACK, FINISHED_BACK, _run_cycle, academic_years
    from portal.selection.models import SelectionCycle

    current, _upcoming = academic_years(clock.today())
    if not schools or db.session.scalar(sa.select(SelectionCycle.id).where(SelectionCycle.academic_year == current)):
        return []
    cal = calendar()
    picked = schools[:3]
    with clock.pinned(cal.add_workdays(clock.today(), -FINISHED_BACK)):
        done = _run_cycle(gd, current, picked, admin, admin, stages=["ranked"] * len(picked), open_notice=True)
    with clock.pinned(cal.add_workdays(clock.today(), -APPOINTED_BACK)):
        sops.confirm_appointments(done, actor=admin, roles=SYSTEM, term_start=clock.today())
    db.session.flush()
    return list(db.session.scalars(sa.select(Residency).order_by(Residency.id)))


def _departments(tenant, residencies, head) -> None:
    """Two departments headed by the demo's department head, and a rotation between them (A12),
    for a residency that has no segments yet."""
    depts = []
    for i, (name, kind) in enumerate((("全国学联秘书处", DepartmentKind.secretariat), ("团中央学校部", DepartmentKind.department))):
        d = db.session.scalar(sa.select(Department).where(Department.name == name))
        if d is None:
            d = Department(tenant_id=tenant.id, name=name, kind=kind, head_user_id=getattr(head, "id", None), sort=i)
            db.session.add(d)
            db.session.flush()
        depts.append(d)
    for res in residencies:
        if db.session.scalar(sa.select(RotationSegment.id).where(RotationSegment.residency_id == res.id).limit(1)):
            continue
        mid = res.term_start + dt.timedelta(days=60)
        for d, (s, e) in zip(depts, ((res.term_start, mid), (mid + dt.timedelta(days=1), res.term_end))):
            db.session.add(RotationSegment(tenant_id=tenant.id, residency_id=res.id, department_id=d.id,
                                           post="驻会执行主席", starts_on=s, ends_on=e, head_user_id=d.head_user_id))
    db.session.flush()


def _appraisals(residencies, admin, head) -> None:
    """Every stage: a draft (the demo chair's own), a self-summary in, a conclusion, issued, sent; a
    chair whose record is thin keeps a draft that says what is missing."""
    from portal.auth.models import User

    # A17: an appraisal is issued at the term's end: the chairs whose residency has ended (the two
    # who left early) hold the issued and the sent one; those still in residence the earlier stages.
    ended = [r for r in residencies if appraisal.term_ended(r)]
    current = [r for r in residencies if not appraisal.term_ended(r)]
    plan = list(zip(current, ("draft", "summarized", "concluded", "draft"))) + list(zip(ended, ("sent", "issued")))
    for res, _stage in plan:
        if res in ended:  # a stretch in the secretariat with no head named: its opinion is the admin's
            for seg in db.session.scalars(sa.select(RotationSegment).where(RotationSegment.residency_id == res.id,
                                                                           RotationSegment.head_user_id.is_(None))):
                seg.head_user_id = admin.id
    db.session.flush()
    for res, stage in plan:
        a = appraisal.draft(res, actor=admin)
        if not a.statements or stage == "draft":
            continue
        chair = db.session.get(User, res.chair.user_id) if res.chair.user_id else admin
        worked_in = "、".join(d["name"] for d in appraisal.departments_of(res)) or "秘书处"
        appraisal.submit_summary(a, f"驻会期间，我先后在{worked_in}工作，认真完成各项工作。——{res.chair.name}",
                                 actor=chair, roles={"chair"})
        if stage == "summarized":
            continue
        heads = {d["department_id"]: db.session.get(User, d["head_user_id"]) if d["head_user_id"] else None
                 for d in appraisal.departments_of(res)}
        for d in appraisal.departments_of(res)[: (1 if stage == "concluded" else None)]:
            if heads[d["department_id"]] is not None:  # each opinion by that department's own head
                appraisal.give_opinion(a, d["department_id"], f"{res.chair.name}同志在{d['name']}工作期间认真负责。",
                                       actor=heads[d["department_id"]], roles={"department_head"})
        conclusions = list(res.rule("incentives.appraisal_conclusions"))
        appraisal.conclude(a, conclusions[1], None, actor=admin, roles=ADMIN)
        if stage == "concluded" or appraisal.missing_opinions(a):
            continue
        appraisal.issue(a, actor=admin, roles=ADMIN)
        if stage == "sent":
            appraisal.send(a, actor=admin, roles={"secretariat_admin"})


def _pdf(title: str, text: str) -> tuple[str, bytes]:
    from portal.documents.render import DocumentSpec, render_pdf

    return f"{title}.pdf", render_pdf(DocumentSpec(title=title, paragraphs=[text, "（演示文件）"]))
