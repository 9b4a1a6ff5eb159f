"""The notice to the sending school (A18 / A21): a national template by reference, a tenant's own
by choice (portal.documents.templating), filled from the case's and the chair's records."""
from __future__ import annotations

import datetime as dt

from portal.documents.render import DocumentSpec, chinese_date
from portal.documents.templating import DocumentKind, TemplatedDocument, base_context, register_document_kind
from portal.extensions import db
from tenants.models import Tenant

KIND = "supervision.school_notice"


def _template() -> DocumentSpec:
    return DocumentSpec(
        title="关于{{ name }}同学{{ what }}的通报", doc_number="{{ notice_number }}", addressee="{{ school }}党委：",
        paragraphs=[
            "贵校{{ name }}同学系{{ federation }}{{ cohort }}学年驻会执行主席。",
            "{%p if removal %}",
            "经查，{{ name }}同学存在{{ ground }}的情形（{{ title }}）。根据《全国学联驻会执行主席管理办法（试行）》"
            "第十八条，经{{ approving_body }}批准（{{ decision_number }}，{{ decision_date }}），决定取消其驻会资格，"
            "自{{ ended_on }}起不再担任驻会执行主席。",
            "{%p else %}",
            "{{ name }}同学在驻会期间违反工作纪律、生活作风要求（{{ title }}）。根据《全国学联驻会执行主席管理办法（试行）》"
            "第二十一条，{{ secretariat }}视情节轻重决定予以劝退，自{{ ended_on }}起结束驻会。",
            "{%p endif %}",
            "特此通报。",
        ],
        signature="{{ secretariat }}", date="{{ date }}")


register_document_kind(DocumentKind(
    KIND, "致派出学校党委的通报", "A18",
    placeholders={"school": "派出学校", "name": "驻会执行主席姓名", "cohort": "驻会学年", "removal": "是否为取消驻会资格（否则为劝退）",
                  "what": "事由（取消驻会资格 / 劝退）", "ground": "取消驻会资格的情形（第十八条）", "title": "案由",
                  "approving_body": "审批机关", "decision_number": "批复文号", "decision_date": "批复日期",
                  "ended_on": "驻会结束日期", "notice_number": "通报文号", "date": "成文日期"},
    national=_template,
    sample={"school": "示例大学", "name": "王某", "cohort": "2026-2027", "removal": True, "what": "取消驻会资格",
            "ground": "违纪违法", "title": "违反廉洁纪律", "approving_body": "共青团中央书记处",
            "decision_number": "中青办发〔2026〕1号", "decision_date": "2026年12月1日", "ended_on": "2026年12月1日",
            "notice_number": "学联驻通〔2026〕1号", "date": "2026年12月2日"},
    filename="致派出学校党委的通报"))


def school_notice(tenant_id: int, case_id: int, issued_on: str | None = None) -> TemplatedDocument:
    """The notice about one case, from its records only (the decision, the chair, the school)."""
    from portal.supervision.models import CaseKind, SupervisionCase

    case = db.session.get(SupervisionCase, case_id)
    res = case.residency
    ctx = base_context(db.session.get(Tenant, tenant_id))
    removal = case.kind == CaseKind.removal
    issued = dt.date.fromisoformat(issued_on) if issued_on else res.ended_on
    return TemplatedDocument(KIND, ctx | {
        "school": res.school.name, "name": res.chair.name, "cohort": res.cohort, "removal": removal,
        "what": "取消驻会资格" if removal else "劝退", "ground": case.ground or "", "title": case.title,
        "approving_body": case.approving_body or "", "decision_number": case.decision_number or "",
        "decision_date": chinese_date(case.decision_date) if case.decision_date else "",
        "ended_on": chinese_date(res.ended_on) if res.ended_on else "", "notice_number": case.notice_number or "",
        "date": chinese_date(issued)})
