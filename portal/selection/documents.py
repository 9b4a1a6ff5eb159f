"""Document builders for request_document (A6.1 letters, A6.5 notice, exports)."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core import clock
from portal.documents.render import DocumentSpec, SheetSpec, TableSpec
from portal.extensions import db
from portal.selection.models import Invitation, Nomination, PublicNotice, SelectionCycle


def invitation_letter(tenant_id: int, invitation_id: int) -> DocumentSpec:
    inv = db.session.get(Invitation, invitation_id)
    cycle = inv.cycle
    due = cycle.step("nominations").due_on
    fed = cycle.rule("federation.name")
    n = cycle.rule("selection.nominees_per_school")
    days = cycle.rule("selection.school_publicity_min_workdays")
    return DocumentSpec(
        title=f"关于推荐{cycle.academic_year}学年驻会执行主席人选的函", doc_number=inv.letter_number,
        addressee=f"{inv.school.name}党委：",
        paragraphs=[
            f"根据《全国学联驻会执行主席管理办法（试行）》第六条，{fed}拟于{cycle.academic_year}学年选拔驻会执行主席。"
            f"请贵校党委提前物色、培养人选，经审核后推荐。",
            f"贵校一般推荐 {n} 名人选，推荐前须在校内公示不少于 {days} 个工作日。",
            f"请于{due:%Y年%m月%d日}前通过驻会执行主席管理平台报送推荐材料。" if due else "请按时报送推荐材料。",
        ],
        signature=fed, date=clock.today())


def public_notice(tenant_id: int, notice_id: int) -> DocumentSpec:
    notice = db.session.get(PublicNotice, notice_id)
    noms = db.session.scalars(sa.select(Nomination).where(Nomination.id.in_(notice.nomination_ids))
                              .order_by(Nomination.rank)).all()
    return DocumentSpec(title=notice.title, paragraphs=[notice.body],
                        tables=[TableSpec(["姓名", "性别", "学校", "学历层次", "政治面貌"],
                                          [[n.name, n.gender, n.school.name, n.degree_level, n.political_status]
                                           for n in noms])],
                        signature=db.session.get(SelectionCycle, notice.cycle_id).rule("federation.name"),
                        date=notice.starts_on)


def nominations_export(tenant_id: int, cycle_id: int, *, scope) -> list[SheetSpec]:
    """The cycle's nominations and ranking as far as ``scope`` may see them (A6.3)."""
    from portal.selection.operations import nominations_query

    noms = db.session.scalars(nominations_query(cycle_id, scope=scope)).all()
    return [
        SheetSpec("推荐人选", ["编号", "姓名", "性别", "学校", "省份", "途径", "状态", "身份证号（脱敏）", "政治面貌",
                             "学历层次", "专业", "成绩排名", "保研资格", "联系电话"],
                  [[n.id, n.name, n.gender, n.school.name, n.school.province.name, n.route_label, n.status_label,
                    n.masked_id, n.political_status, n.degree_level, n.major, f"{n.grade_rank}/{n.grade_cohort}",
                    "是" if n.baoyan_eligible else "否", n.phone] for n in noms]),
        SheetSpec("成绩与排名", ["排名", "姓名", "学校", "笔试", "面试", "综合成绩"],
                  [[n.rank, n.name, n.school.name, float(n.exam_score) if n.exam_score is not None else None,
                    float(n.interview_score) if n.interview_score is not None else None,
                    float(n.total_score) if n.total_score is not None else None]
                   for n in sorted([n for n in noms if n.rank], key=lambda n: n.rank)]),
    ]
