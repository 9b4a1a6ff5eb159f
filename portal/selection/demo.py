"""Demo data for Chapter 2: a national cycle with nominations at every stage, a provincial
cycle under gd's overridden rules, and a public notice window open (called by load_demo)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.auth.operations import find_user
from portal.core import clock
from portal.core.calendar import calendar
from portal.core.db import tenant_context
from portal.core.idcard import make_id_number
from portal.extensions import db
from portal.reference.models import School
from portal.selection import operations as ops
from portal.selection import workflow
from portal.selection.models import ReviewLevel, Route, SelectionCycle
from portal.selection.workflow import SYSTEM
from tenants.models import Membership, Tenant

NAMES = ["李明远", "王思涵", "张若溪", "陈嘉豪", "刘雨桐", "杨子墨", "赵一鸣", "黄诗琪", "周子航", "吴欣然",
         "徐浩然", "孙梦瑶"]


def _nominee(i: int, today: dt.date, publicity_days: int) -> dict:
    birth = dt.date(2002, 1, 15) + dt.timedelta(days=37 * i)
    cal = calendar()
    start = cal.add_workdays(today, -12)
    return {"name": NAMES[i % len(NAMES)], "gender": "女" if i % 2 else "男", "ethnicity": "汉族",
            "birth_date": birth, "id_number": make_id_number("110108", birth, 200 + i),
            "political_status": "中共党员" if i % 3 == 0 else "共青团员", "union": "学生会",
            "presidium_position": "主席" if i % 2 else "副主席", "elected_on": dt.date(2025, 11, 20),
            "degree_level": "本科生" if i % 4 else "硕士研究生", "major": "法学", "grade_rank": 2 + i,
            "grade_cohort": 150, "baoyan_eligible": "是" if i % 2 else "否", "languages": "英语六级",
            "computer_skills": "计算机二级", "discipline_record": "无", "phone": "13800138000",
            "email": f"nominee{i}@demo.cn", "publicity_start": start, "publicity_end": cal.period_end(start, publicity_days)}


def _run_cycle(tenant: Tenant, year: str, schools: list[School], actor, approver, *, stages: list[str],
               open_notice: bool) -> SelectionCycle:
    today = clock.today()
    cal = calendar()
    opened = cal.add_workdays(today, -10)
    cycle = ops.open_cycle(tenant, year, actor=actor, opened_on=opened)
    ops.ensure_rotation_roster(tenant, on=opened, actor=actor)
    invs = ops.invite_schools(cycle, [s.id for s in schools], Route.selection, actor=actor)
    for inv in invs:
        ops.send_invitation(inv, actor=actor)
    ms = list(db.session.scalars(sa.select(Membership).where(Membership.user_id == actor.id)))
    noms = []
    for i, (inv, stage) in enumerate(zip(invs, stages)):
        values, errors = ops.clean_nomination(
            inv, _nominee(i, today, cycle.rule("selection.school_publicity_min_workdays")))  # A6.2
        if errors:
            continue
        n = ops.create_nomination(inv, values, actor=actor, today=opened)
        noms.append((n, stage))
        if stage == "draft":
            continue
        ops.submit_nomination(n, actor=actor, roles=SYSTEM, today=today)
        if stage == "submitted":
            continue
        failed = [c for c in ops.run_eligibility(n, cycle, actor=actor) if c.result.value == "failed"]
        if failed:  # A7: e.g. a union whose presidium term lapsed (A5.2)
            ops.disqualify(n, failed[0].reason, "系统自动核查记录（资格条件核查）", actor=actor, roles=SYSTEM)
            continue
        ops.attest(n, "A5.3", True, "成绩单、综合测评排名证明", actor=actor)
        ops.attest(n, "A5.4", True, "英语六级证书、获奖证书", actor=actor)
        workflow.apply(n, "confirm_eligibility", actor=actor, roles=SYSTEM)
        if stage == "eligibility_checked":
            continue
        workflow.apply(n, "start_review", actor=actor, roles=SYSTEM)
        if stage == "under_review":
            continue
        for level in (ReviewLevel.provincial, ReviewLevel.national):
            ops.sign_review(n, level, qualified=True, notes="资格符合第五条", report="考察表现良好", actor=actor,
                            memberships=ms)
        workflow.apply(n, "complete_review", actor=actor, roles=SYSTEM)
        if stage == "reviewed":
            continue
        ops.enter_exam_score(n, 70 + (i * 7) % 25, actor=actor)
        ops.set_interview_score(n, 75 + (i * 5) % 20, actor=actor)
    scored = sorted([n for n, s in noms if s == "ranked" and n.status.value == "ranked"], key=lambda n: n.rank or 0)
    if any(s == "ranked" and n.status.value == "reviewed" for n, s in noms):
        ops.rank_cycle(cycle, actor=actor, roles=SYSTEM)
        scored = sorted([n for n, s in noms if n.status.value == "ranked"], key=lambda n: n.rank)
    if scored:
        top = scored[: max(1, min(cycle.quota, len(scored) - 1))]
        ops.propose(cycle, [n.id for n in top], actor=actor, roles=SYSTEM)
        ops.decide(cycle, True, "同意", actor=approver, roles=SYSTEM)
        if open_notice:
            # A notice published on the previous working day, from that day (it starts no earlier, A6.5)
            published = cal.add_workdays(today, -1)
            ops.open_notice(cycle, actor=actor, roles=SYSTEM, starts_on=published, today=published)
    return cycle


def load_selection_demo(tenants: dict[str, Tenant], schools: dict[str, dict[str, School]]) -> None:
    admin = find_user("admin@acsf.demo.cn")
    approver = find_user("approver@acsf.demo.cn")
    acsf = tenants["acsf"]
    year = f"{clock.today().year}-{clock.today().year + 1}"
    with tenant_context(acsf.id, db.session):
        picked = list(schools["acsf"].values())[:12]
        stages = ["draft", "submitted", "eligibility_checked", "under_review", "reviewed",
                  "ranked", "ranked", "ranked", "ranked", "submitted", "ranked", "draft"]
        _run_cycle(acsf, year, picked, admin, approver, stages=stages, open_notice=True)
        # A4: organizations that sent chairs by rotation in earlier years (the roster shows who, when)
        for entry, served in zip(ops.rotation_roster()[:2], ("2023-2024", "2024-2025")):
            ops.mark_rotation_served(entry, served, actor=admin, note="往年轮值")
    gd = tenants["gd"]
    gd_admin = find_user("admin@gd.demo.cn")
    with tenant_context(gd.id, db.session):
        picked = list(schools["gd"].values())
        _run_cycle(gd, year, picked, gd_admin, gd_admin, stages=["ranked", "ranked", "reviewed", "submitted", "draft"],
                   open_notice=True)


DEMO_CHAIR = "chair@acsf.demo.cn"


def load_cohort_in_residence(acsf: Tenant, schools: list[School]) -> None:
    """Chapter 3's demo cohort: last year's cycle, selected about seven months before the demo's
    day and confirmed (A6.5); the ``chair.appointed`` signal opens each residency. The demo
    chair login (chair@acsf.demo.cn) is the first appointee's."""
    from portal.core.workdays import NoCalendarData
    from portal.selection.models import Nomination, NominationStatus

    cal = calendar()
    try:
        opened = cal.add_workdays(clock.today(), -150)
        term_start = cal.add_workdays(opened, 20)
    except NoCalendarData:
        return
    admin, approver = find_user("admin@acsf.demo.cn"), find_user("approver@acsf.demo.cn")
    with tenant_context(acsf.id, db.session):
        with clock.pinned(opened):
            cycle = _run_cycle(acsf, f"{opened.year - 1}-{opened.year}", schools, admin, approver,
                               stages=["ranked"] * len(schools), open_notice=True)
        publicized = list(db.session.scalars(sa.select(Nomination).where(
            Nomination.cycle_id == cycle.id, Nomination.status == NominationStatus.publicized)
            .order_by(Nomination.rank)))
        if not publicized:
            return
        publicized[0].email = DEMO_CHAIR
        confirm_on = cal.add_workdays(opened, 10)
        with clock.pinned(confirm_on):
            ops.confirm_appointments(cycle, actor=admin, roles=SYSTEM, term_start=term_start, today=confirm_on)
        db.session.flush()  # written inside the tenant
