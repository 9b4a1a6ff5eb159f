"""Building blocks for the selection tests: a national tenant with presidium schools."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.core.db import tenant_context
from portal.core.idcard import make_id_number
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import ReviewLevel, Route
from portal.selection.workflow import SYSTEM
from tests.factories import NationalTenantFactory, PresidiumFactory, SchoolFactory, UnionFactory, member
from tenants.models import Role
from tests.suite_clock import SUITE_TODAY

OPENED = dt.date(2026, 3, 2)          # a Monday; nominations due 15 working days later
IN_WINDOW = dt.date(2026, 3, 16)
PUB_START, PUB_END = dt.date(2026, 3, 5), dt.date(2026, 3, 11)  # 5 working days


def consent_papers() -> dict:
    """A6.5: what recording the approving body's consent takes (its document number and date)."""
    from portal.core import clock

    return {"document_number": "中青办发〔2026〕1号", "decision_date": clock.today()}


@dataclass
class World:
    tenant: object
    admin: object
    schools: list
    unions: list
    cycle: object = None


def world(n_schools=2, tenant=None, province="44") -> World:
    tenant = tenant or NationalTenantFactory()
    admin = member(tenant, Role.secretariat_admin)
    schools, unions = [], []
    for i in range(n_schools):
        s = SchoolFactory(tenant=tenant, province_code=province if i % 2 == 0 else "11")
        u = UnionFactory(school=s, tenant=tenant)
        PresidiumFactory(union=u, tenant=tenant)
        schools.append(s)
        unions.append(u)
    return World(tenant, admin, schools, unions)


def nominee(seq=1, **over) -> dict:
    birth = dt.date(2003, 5, 1) + dt.timedelta(days=seq)
    data = {
        "name": f"候选人{seq}", "gender": "女", "ethnicity": "汉族", "birth_date": birth,
        "id_number": make_id_number("440106", birth, 100 + seq), "political_status": "共青团员",
        "union": "学生会", "presidium_position": "主席", "elected_on": dt.date(2025, 11, 20),
        "degree_level": "本科生", "major": "法学", "grade_rank": 3, "grade_cohort": 120,
        "baoyan_eligible": "是", "languages": "英语六级", "computer_skills": "计算机二级",
        "discipline_record": "无", "phone": "13800138000", "email": f"c{seq}@example.cn",
        "publicity_start": PUB_START, "publicity_end": PUB_END,
    }
    data.update(over)
    return data


def open_cycle(w: World, **kw):
    with tenant_context(w.tenant.id, db.session):
        w.cycle = ops.open_cycle(w.tenant, kw.pop("year", "2026-2027"), actor=w.admin, opened_on=OPENED, **kw)
    return w.cycle


def invite(w: World, school, route=Route.selection):
    with tenant_context(w.tenant.id, db.session):
        (inv,) = ops.invite_schools(w.cycle, [school.id], route, actor=w.admin) or [None]
        ops.send_invitation(inv, actor=w.admin)
    return inv


def draft(w: World, inv, seq=1, **over):
    with tenant_context(w.tenant.id, db.session):
        values, errors = ops.clean_nomination(inv, nominee(seq, **over))
        assert not errors, errors
        return ops.create_nomination(inv, values, actor=w.admin, today=IN_WINDOW)


def submitted(w: World, inv, seq=1, **over):
    nom = draft(w, inv, seq, **over)
    with tenant_context(w.tenant.id, db.session):
        ops.submit_nomination(nom, actor=w.admin, roles=SYSTEM, today=IN_WINDOW)
    return nom


def advance_to_reviewed(w: World, nom):
    with tenant_context(w.tenant.id, db.session):
        ops.run_eligibility(nom, w.cycle, actor=w.admin)
        ops.attest(nom, "A5.3", True, "成绩单及综合测评排名证明", actor=w.admin)
        ops.attest(nom, "A5.4", True, "获奖证书与英语六级证书", actor=w.admin)
        from portal.selection import workflow

        workflow.apply(nom, "confirm_eligibility", actor=w.admin, roles=SYSTEM)
        workflow.apply(nom, "start_review", actor=w.admin, roles=SYSTEM)
        ms = list(db.session.scalars(__import__("sqlalchemy").select(
            __import__("tenants.models", fromlist=["Membership"]).Membership)
            .where(__import__("tenants.models", fromlist=["Membership"]).Membership.user_id == w.admin.id)))
        ops.sign_review(nom, ReviewLevel.provincial, qualified=True, notes="资格符合", report="考察良好",
                        actor=w.admin, memberships=ms)
        ops.sign_review(nom, ReviewLevel.national, qualified=True, notes="资格符合", report="考察良好",
                        actor=w.admin, memberships=ms)
        workflow.apply(nom, "complete_review", actor=w.admin, roles=SYSTEM)
    return nom


def score(w: World, nom, exam, interview):
    with tenant_context(w.tenant.id, db.session):
        ops.enter_exam_score(nom, exam, actor=w.admin)
        ops.set_interview_score(nom, interview, actor=w.admin)
    return nom


def notice_open_today(w: World, n_noms: int = 1):
    """A cycle taken through to its public notice, the notice window running from today for a
    week (so the public page takes objections): returns (nominations, notice)."""
    from tests.selection.test_workflow import _through_notice

    noms, notice = _through_notice(w, n_noms)
    with tenant_context(w.tenant.id, db.session):
        notice.starts_on = SUITE_TODAY
        notice.ends_on = SUITE_TODAY + dt.timedelta(days=7)
        db.session.flush()
    return noms, notice


def objection_form(client, url: str, **fields) -> dict:
    """The public objection form as a person fills it: the page's challenge solved (the sum in
    the page, the signed token), the honeypot left empty, plus ``fields``."""
    import html
    import re

    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="challenge_token" value="([^"]+)"', page).group(1)
    a, op, b = re.search(r'class="challenge">(\d+) ([+−]) (\d+) = \?', page).groups()
    answer = int(a) + int(b) if op == "+" else int(a) - int(b)
    return {"challenge_token": html.unescape(token), "challenge_answer": str(answer), **fields}
