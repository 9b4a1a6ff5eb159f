"""Demo builders for the official documents the measures call for."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.documents.operations import document_builder
from portal.documents.render import DocumentSpec, SheetSpec, TableSpec, chinese_date
from portal.extensions import db
from portal.core import clock


def _tenant_and_rules(tenant_id: int):
    from tenants.models import Tenant
    from tenants.rules.operations import effective_rules

    tenant = db.session.get(Tenant, tenant_id)
    return tenant, effective_rules(tenant)


def _schools(limit: int = 50):
    from portal.reference.models import School

    return db.session.scalars(sa.select(School).order_by(School.code).limit(limit)).all()


def _date(value) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value) if value else clock.today()


@document_builder("party_committee_letter", "致学校党委的培养推荐函", article="A6.1",
                  formats=("pdf", "docx"), filename="致学校党委的函")
def party_committee_letter(tenant_id: int, school_name: str | None = None, academic_year: str = "2025-2026",
                           date: str | None = None) -> DocumentSpec:
    with tenant_context(tenant_id, db.session):
        tenant, rules = _tenant_and_rules(tenant_id)
        schools = _schools(1)
    name = school_name or (schools[0].name if schools else "有关高校")
    fed = rules["federation.name"]
    return DocumentSpec(
        title=f"关于做好{academic_year}学年驻会执行主席人选培养推荐工作的函",
        doc_number=f"学联驻函〔{_date(date).year}〕1号",
        addressee=f"{name}党委：",
        paragraphs=[
            f"根据《全国学联驻会执行主席管理办法（试行）》第六条第（一）项，{fed}秘书处商请贵校党委提前发现、"
            f"培养驻会执行主席人选。",
            f"请贵校党委严格审核，择优推荐，原则上推荐{rules['selection.nominees_per_school']}名人选，"
            f"并在校内公示不少于{rules['selection.school_publicity_min_workdays']}个工作日（第六条第（二）项）。",
            "人选应符合第五条规定的条件。推荐材料请按通知要求报送秘书处。",
            "特此函达。",
        ],
        signature=f"{fed}秘书处",
        date=_date(date),
        footer_note="联系人：秘书处",
    )


@document_builder("school_notice", "关于取消驻会执行主席资格的通报", article="A18",
                  formats=("pdf", "docx"), filename="致派出学校党委的通报")
def school_notice(tenant_id: int, chair_name: str = "某某", school_name: str | None = None,
                  date: str | None = None) -> DocumentSpec:
    with tenant_context(tenant_id, db.session):
        tenant, rules = _tenant_and_rules(tenant_id)
        schools = _schools(1)
    name = school_name or (schools[0].name if schools else "有关高校")
    fed = rules["federation.name"]
    return DocumentSpec(
        title="关于取消驻会执行主席资格的通报",
        addressee=f"{name}党委：",
        paragraphs=[
            f"贵校派出的驻会执行主席{chair_name}同志在驻会期间存在违反纪律的行为。根据《全国学联驻会执行主席"
            f"管理办法（试行）》第十八条，经{rules['selection.approving_body']}批准，取消其驻会执行主席资格。",
            "现予通报。请贵校党委做好教育引导工作。",
        ],
        signature=f"{fed}秘书处",
        date=_date(date),
    )


APPRAISAL_SECTIONS = [
    ("思想政治表现", "该同志坚持以习近平新时代中国特色社会主义思想为指导，认真参加集体学习（第十条第（一）项），"
     "按时参加组织生活，按时足额交纳党费（第十四条）。"),
    ("学习研究", "该同志到高校旁听思想政治理论课程并撰写学习体会（第十条第（二）项），围绕所在领域形成调研成果（第十条第（三）项）。"),
    ("调查研究", "该同志作为观察员参与学生发展状况调查，定期与学生和学生会干部座谈交流，参与地方学联联合调研（第十一条）。"),
    # A12, A13: the federation and the rotation period are the tenant's (rules), never written out
    ("多岗锻炼", "该同志先后在{fed}秘书处和团的相关部门工作，每{rotation}轮岗一次（第十二条），熟悉各项工作流程。"),
    ("工作小组", "该同志牵头负责{fed}委员会工作小组的日常工作（第十三条），组织开展多项活动，工作扎实，作风严谨。"),
]


def _months_text(months: int) -> str:
    return {6: "半年", 12: "一年"}.get(int(months), f"{int(months)}个月")


@document_builder("work_appraisal", "驻会执行主席工作鉴定", article="A17",
                  formats=("pdf", "docx"), filename="工作鉴定")
def work_appraisal(tenant_id: int, chair_name: str = "张三", school_name: str = "示例大学",
                   term: str = "2024年9月至2025年8月", date: str | None = None) -> DocumentSpec:
    with tenant_context(tenant_id, db.session):
        tenant, rules = _tenant_and_rules(tenant_id)
    fed = rules["federation.name"]
    paragraphs = [f"{chair_name}同志，{school_name}学生，于{term}在{fed}驻会工作。现根据《全国学联驻会执行主席管理办法"
                  f"（试行）》第十七条，对其驻会期间的表现鉴定如下。"]
    # Three sections of detail per area make the appraisal the customary three pages.
    for title, text in APPRAISAL_SECTIONS:
        text = text.format(fed=fed, rotation=_months_text(rules["residency.rotation_period_months"]))
        paragraphs.append(f"{title}：{text}")
        paragraphs.append(f"在{title}方面，{chair_name}同志态度端正，主动作为，能够将所学所思运用于实际工作，"
                          f"得到所在部门负责同志和同事的一致肯定。{text}")
    paragraphs.append(f"综上，{chair_name}同志驻会期间表现优秀，鉴定为合格，推荐参加“青年马克思主义者培养工程”高校班。")
    return DocumentSpec(
        title="驻会执行主席工作鉴定",
        doc_number=f"{chair_name} · {school_name}",
        paragraphs=paragraphs,
        tables=[TableSpec(headers=["项目", "情况"], rows=[["驻会期间", term], ["所在部门", "秘书处、宣传部"],
                                                         ["汇报次数", "2"], ["鉴定结论", "合格"]],
                          position=1, caption="基本情况")],
        signature=f"{fed}秘书处",
        date=_date(date),
    )


@document_builder("public_notice", "拟任驻会执行主席人选公示", article="A6.5",
                  formats=("pdf",), roles=("secretariat_admin", "secretariat_staff"), filename="公示")
def public_notice(tenant_id: int, start: str | None = None, names: list | None = None) -> DocumentSpec:
    from portal.core.calendar import calendar

    with tenant_context(tenant_id, db.session):
        tenant, rules = _tenant_and_rules(tenant_id)
        schools = _schools(3)
    days = int(rules["selection.public_notice_min_workdays"])
    first = calendar().add_workdays(_date(start), 0)
    end = calendar().period_end(first, days)
    rows = names or [["张三", schools[0].name if schools else "示例大学", "学生会主席团成员"],
                     ["李四", schools[1].name if len(schools) > 1 else "示例大学", "研究生会主席团成员"]]
    fed = rules["federation.name"]
    return DocumentSpec(
        title=f"{fed}拟任驻会执行主席人选公示",
        paragraphs=[
            f"经学校党委推荐、资格审查和考察、笔试面试，并经{rules['selection.approving_body']}同意，"
            f"现将拟任驻会执行主席人选予以公示（第六条第（五）项）。",
            f"公示期为{chinese_date(first)}至{chinese_date(end)}（{days}个工作日）。如有异议，请在公示期内向{fed}秘书处反映。",
        ],
        tables=[TableSpec(headers=["姓名", "学校", "现任职务"], rows=rows, caption="拟任人选名单")],
        signature=f"{fed}秘书处",
        date=first,
    )


@document_builder("schools_table", "主席团成员学校名单", article="A2",
                  formats=("xlsx",), roles=("secretariat_admin", "secretariat_staff"), filename="主席团成员学校名单")
def schools_table(tenant_id: int) -> list[SheetSpec]:
    from portal.reference.models import School

    with tenant_context(tenant_id, db.session):
        rows = [[s.code, s.name, s.province_code] for s in
                db.session.scalars(sa.select(School).order_by(School.code))]
    return [SheetSpec(title="学校", headers=["学校代码", "学校名称", "省份代码"], rows=rows)]
