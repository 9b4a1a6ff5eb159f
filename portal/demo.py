"""Demo data for `make run`: three tenants, ~30 schools, one login for every role."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import clock

from portal.auth.operations import create_user, find_user
from portal.core.db import tenant_context
from portal.core.transactions import transaction
from portal.extensions import db
from portal.reference.models import PresidiumMembership, School, StudentUnion, UnionKind
from portal.reference.operations import ensure_provinces
from tenants.models import Role, Tenant, TenantKind
from tenants.operations import create_tenant, grant_role
from tenants.rules.operations import load_national_file, set_override

DEMO_PASSWORD = "demo-password"

SCHOOLS = [
    ("11", "4111010001", "北京大学"), ("11", "4111010002", "中国人民大学"), ("11", "4111010003", "清华大学"),
    ("11", "4111010027", "北京师范大学"), ("11", "4111010006", "北京航空航天大学"),
    ("31", "4131010246", "复旦大学"), ("31", "4131010248", "上海交通大学"), ("31", "4131010269", "华东师范大学"),
    ("32", "4132010284", "南京大学"), ("32", "4132010286", "东南大学"),
    ("33", "4133010335", "浙江大学"), ("34", "4134010358", "中国科学技术大学"),
    ("35", "4135010384", "厦门大学"), ("37", "4137010422", "山东大学"),
    ("42", "4142010486", "武汉大学"), ("42", "4142010487", "华中科技大学"),
    ("43", "4143010533", "中南大学"), ("43", "4143010532", "湖南大学"),
    ("44", "4144010558", "中山大学"), ("44", "4144010561", "华南理工大学"), ("44", "4144010574", "华南师范大学"),
    ("44", "4144010559", "暨南大学"), ("44", "4144010590", "深圳大学"),
    ("51", "4151010610", "四川大学"), ("51", "4151010614", "电子科技大学"),
    ("61", "4161010698", "西安交通大学"), ("61", "4161010699", "西北工业大学"),
    ("21", "4121010141", "大连理工大学"), ("23", "4123010213", "哈尔滨工业大学"),
    ("12", "4112010055", "南开大学"), ("50", "4150010611", "重庆大学"),
]

USERS = [
    ("operator@demo.cn", "平台运营方", None, None),
    ("admin@acsf.demo.cn", "全国学联秘书处管理员", "acsf", Role.secretariat_admin),
    ("staff@acsf.demo.cn", "全国学联秘书处工作人员", "acsf", Role.secretariat_staff),
    ("approver@acsf.demo.cn", "团中央书记处（审批）", "acsf", Role.approver),
    ("head@acsf.demo.cn", "部门负责同志", "acsf", Role.department_head),
    ("reviewer-gd@acsf.demo.cn", "广东省学联审查人", "acsf", Role.provincial_reviewer),
    ("liaison-pku@acsf.demo.cn", "北京大学联络员", "acsf", Role.school_liaison),
    ("chair@acsf.demo.cn", "驻会执行主席", "acsf", Role.chair),
    ("admin@gd.demo.cn", "广东省学联秘书处管理员", "gd", Role.secretariat_admin),
    ("liaison-sysu@gd.demo.cn", "中山大学联络员（省学联）", "gd", Role.school_liaison),
    ("admin@bj.demo.cn", "北京市学联秘书处管理员", "bj", Role.secretariat_admin),
]


def _add_schools(tenant: Tenant, rows) -> dict[str, School]:
    found = {}
    with tenant_context(tenant.id, db.session):
        for i, (prov, code, name) in enumerate(rows):
            school = School(tenant_id=tenant.id, code=code, name=name, province_code=prov)
            db.session.add(school)
            db.session.flush()
            for kind in (UnionKind.undergraduate, UnionKind.graduate):
                union = StudentUnion(tenant_id=tenant.id, school_id=school.id, kind=kind,
                                     name=f"{name}{kind.value}")
                db.session.add(union)
                db.session.flush()
                # Most unions sit on the presidium; a few have lapsed terms or none (A5.2).
                if kind == UnionKind.undergraduate or i % 3 == 0:
                    end = dt.date(2028, 8, 31) if i % 7 != 3 else dt.date(2024, 8, 31)
                    db.session.add(PresidiumMembership(tenant_id=tenant.id, union_id=union.id,
                                                       term_label="第二十七届", term_start=dt.date(2023, 8, 21),
                                                       term_end=end))
            found[name] = school
        db.session.flush()
    return found


# How far, in working days, the demo's dates reach from its planning day: back to the
# finished cycle's letters and schools' publicity (about 75), ahead to the nomination window's and the
# public notice's ends (15 and 7 by the rules, with room for the dashboards' look-ahead).
DEMO_REACH_BACK, DEMO_REACH_AHEAD = 90, 40


def demo_planning_day(today: dt.date | None = None) -> tuple[dt.date, str | None]:
    """The day the demo plans its cycles on, and a note when it is not today.

    The working-day calendar only knows the years with an official notice (the library's
    and those imported at /acsf/workdays). When today's dates would reach past them, the
    demo is planned on the latest day it can be, inside the known years, and says so;
    it never invents a year's holidays.
    """
    from portal.core.calendar import calendar

    cal = calendar()
    day, missing = cal.planning_day(today or clock.today(), back=DEMO_REACH_BACK, ahead=DEMO_REACH_AHEAD)
    if missing is None:
        return day, None
    last = cal.last_covered_day()
    note = (f"工作日日历只有到{last.year}年的官方节假日安排，{missing}年的安排尚未导入："
            f"演示数据按{day.isoformat()}安排（其后的期限无法按工作日计算）。"
            f"导入{missing}年的国务院办公厅通知（/acsf/workdays）后重新载入演示数据，即按今天安排。")
    return day, note


def load_demo() -> list[tuple[str, str]]:
    """Load the demo (once); its dates are planned on :func:`demo_planning_day`."""
    day, _ = demo_planning_day()
    with clock.pinned(day):
        return _load_demo()


def _load_demo() -> list[tuple[str, str]]:
    with transaction():
        ensure_provinces()
        load_national_file()
        if db.session.scalar(sa.select(Tenant).where(Tenant.slug == "acsf")):
            return [(u[1], u[0]) for u in USERS]
        acsf = create_tenant(slug="acsf", name="中华全国学生联合会", short_name="全国学联",
                             kind=TenantKind.national, actor="演示数据")
        gd = create_tenant(slug="gd", name="广东省学生联合会", short_name="广东省学联",
                           province_code="44", actor="演示数据")
        bj = create_tenant(slug="bj", name="北京市学生联合会", short_name="北京市学联",
                           province_code="11", actor="演示数据")
        schools = {"acsf": _add_schools(acsf, SCHOOLS),
                   "gd": _add_schools(gd, [s for s in SCHOOLS if s[0] == "44"]),
                   "bj": _add_schools(bj, [s for s in SCHOOLS if s[0] == "11"])}
        tenants = {"acsf": acsf, "gd": gd, "bj": bj}
        users = {}
        for email, name, slug, role in USERS:
            user = find_user(email) or create_user(email, name, DEMO_PASSWORD,
                                                   platform_operator=role is None)
            users[email] = user
            if slug is None:
                continue
            kw = {}
            if role == Role.school_liaison:
                kw["school_id"] = schools[slug]["北京大学" if slug == "acsf" else "中山大学"].id
            if role == Role.provincial_reviewer:
                kw["province_code"] = "44"
            grant_role(tenants[slug], user, role, actor="演示数据", **kw)
        # A provincial federation adopting the national rules with its own overrides (A22).
        admin_gd = users["admin@gd.demo.cn"]
        with tenant_context(gd.id, db.session):
            set_override(gd, "federation.name", "广东省学联", "本省学联名称", admin_gd)
            set_override(gd, "federation.website_name", "广东省学联官方网站", "本省学联官网发布公示", admin_gd)
            set_override(gd, "selection.approving_body", "共青团广东省委", "省级学联由团省委审批（第二十二条参照执行）", admin_gd)
            set_override(gd, "selection.default_quota", 3, "本省名额", admin_gd)
            set_override(gd, "selection.public_notice_min_workdays", 7, "省学联常委会决定公示7个工作日", admin_gd)
            set_override(gd, "selection.review_partner_body", "市级学联秘书处",
                         "省学联秘书处会同地级以上市学联秘书处审查考察（第六条第（三）项参照执行）", admin_gd)
        admin_bj = users["admin@bj.demo.cn"]
        with tenant_context(bj.id, db.session):
            set_override(bj, "federation.name", "北京市学联", "本市学联名称", admin_bj)
            set_override(bj, "selection.approving_body", "共青团北京市委", "参照执行，由团市委审批", admin_bj)
            set_override(bj, "selection.review_partner_body", "区学联秘书处", "市学联秘书处会同区学联秘书处审查考察",
                         admin_bj)
        # Chapter 2: cycles at every stage and an open public notice (portal/selection/demo.py).
        from portal.selection.demo import load_selection_demo

        load_selection_demo(tenants, schools)
        # Chapter 3: the finished cycle's chairs in residence, with the year's records so far.
        from portal.residency.demo import load_residency_demo

        load_residency_demo(tenants)
        from portal.incentives.demo import load_incentives_demo  # Chapter 4 (A15–A17)

        load_incentives_demo(tenants)
        # Chapter 5: removals, outside activities and a disciplinary case (portal/supervision/demo.py).
        from portal.supervision.demo import load_supervision_demo

        load_supervision_demo(tenants)
        # Chapter 5, A20: the vault at each level with its access log, pledges, seals, seal use.
        from portal.confidentiality.demo import load_confidentiality_demo

        load_confidentiality_demo(tenants)
    load_demo_notifications_and_documents()
    return [(u[1], u[0]) for u in USERS]


def load_demo_notifications_and_documents() -> None:
    """Issue 3 demo: an A6.1 letter in the mailbox, inbox messages, a finished document.

    Without REDIS_URL the jobs run in this process right after the commit (the embedded
    executor); with Redis they wait for `flask worker`."""
    from portal.documents.operations import request_document
    from portal.notifications.operations import notify

    with transaction():
        acsf = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "acsf"))
        admin = find_user("admin@acsf.demo.cn")
        chair = find_user("chair@acsf.demo.cn")
        with tenant_context(acsf.id, db.session):
            notify(acsf.id, template_key="selection.cultivation_letter",
                   context={"school_name": "北京大学", "academic_year": "2025-2026", "deadline": "2025-10-31",
                            "contact": "全国学联秘书处 010-00000000"},
                   recipient_email="party-committee@pku.demo.cn", channels=("email",),
                   related_type="school", related_id="4111010001", created_by=admin)
            for title, body, who in [("关于召开驻会执行主席工作例会的通知", "定于本周五下午召开工作例会。", chair),
                                     ("请审核本学年选拔工作安排", "选拔工作安排已提交，请审核。", admin),
                                     ("欢迎使用驻会执行主席管理平台", "站内消息会提醒您需要办理的事项。", admin)]:
                notify(acsf.id, template_key="general.notice", context={"title": title, "body": body},
                       recipient_user_id=who.id, channels=("inbox",))
            request_document(acsf.id, kind="schools_table", fmt="xlsx",
                             builder="portal.reference.documents.schools_table",
                             params={}, filename="主席团成员学校名单", requested_by=admin)
