"""Demo data for Chapter 2, the whole year at once (called by load_demo):

* 全国学联: this academic year's cycle finished (chairs appointed, in residence) and next
  year's open for nominations, where the demo liaison (北京大学) can nominate;
* 广东省学联: a cycle in 公示, under gd's overridden rules (A22);
* 北京市学联: a cycle in review (审查考察).
"""
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
        if stage == "letter":
            continue  # the letter is out; the school has not answered yet
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


def academic_years(today: dt.date) -> tuple[str, str]:
    """The academic year under way (September to August) and the next one."""
    y = today.year if today.month >= 9 else today.year - 1
    return f"{y}-{y + 1}", f"{y + 1}-{y + 2}"


FINISHED_BACK = 60   # working days before today that the finished cycle opened
APPOINTED_BACK = 30  # ... and that its chairs were confirmed, their notice long over


def load_selection_demo(tenants: dict[str, Tenant], schools: dict[str, dict[str, School]]) -> None:
    admin = find_user("admin@acsf.demo.cn")
    approver = find_user("approver@acsf.demo.cn")
    acsf = tenants["acsf"]
    today = clock.today()
    cal = calendar()
    current, upcoming = academic_years(today)
    with tenant_context(acsf.id, db.session):
        picked = list(schools["acsf"].values())[:12]
        # This year's cycle, run some weeks ago and finished: its chairs are in residence.
        with clock.pinned(cal.add_workdays(today, -FINISHED_BACK)):
            done = _run_cycle(acsf, current, picked[4:12], admin, approver, stages=["ranked"] * 8, open_notice=True)
        with clock.pinned(cal.add_workdays(today, -APPOINTED_BACK)):
            ops.confirm_appointments(done, actor=admin, roles=SYSTEM, term_start=clock.today())
        # Next year's cycle, open for nominations: 北京大学's letter waits for its liaison.
        stages = ["letter", "draft", "submitted", "eligibility_checked", "under_review", "letter", "draft", "submitted",
                  "letter", "submitted", "letter", "draft"]
        _run_cycle(acsf, upcoming, picked, admin, approver, stages=stages, open_notice=False)
        # A4: organizations that sent chairs by rotation in earlier years (the roster shows who, when)
        for entry, served in zip(ops.rotation_roster()[:2], ("2023-2024", "2024-2025")):
            ops.mark_rotation_served(entry, served, actor=admin, note="往年轮值")
    gd = tenants["gd"]
    gd_admin = find_user("admin@gd.demo.cn")
    with tenant_context(gd.id, db.session):
        _run_cycle(gd, upcoming, list(schools["gd"].values()), gd_admin, gd_admin,
                   stages=["ranked", "ranked", "reviewed", "submitted", "draft"], open_notice=True)
    bj = tenants["bj"]
    bj_admin = find_user("admin@bj.demo.cn")
    with tenant_context(bj.id, db.session):
        _run_cycle(bj, upcoming, list(schools["bj"].values()), bj_admin, bj_admin,
                   stages=["under_review", "reviewed", "eligibility_checked", "submitted", "under_review"],
                   open_notice=False)
