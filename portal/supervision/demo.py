"""Demo data for Chapter 5 (issue 14 item 8), made through the operations over the first working
days of the demo's residency year (the clock pinned day by day, as the steps would happen):

* one removal awaiting the approving body, one completed (approved with its number, the residency
  ended, the notice to the school generated and delivered by hand);
* outside-activity requests of the demo chair: pending, approved, lapsed (the sweep's own
  transition) and filed, with the declaration signed;
* a 责令检讨 case of the demo chair awaiting the self-criticism.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.auth.models import User
from portal.auth.operations import find_user
from portal.core import approvals, clock
from portal.core.calendar import calendar
from portal.core.db import tenant_context, utcnow
from portal.extensions import db
from portal.residency.models import Residency, ResidencyStatus
from portal.supervision import operations as ops
from portal.supervision.models import SupervisionCase
from portal.supervision.workflow import ACTIVITY
from tenants.models import Role, Tenant

STAFF = {Role.secretariat_admin}


def _pdf(title: str, text: str) -> tuple[str, bytes]:
    from portal.documents.render import DocumentSpec, render_pdf

    return f"{title}.pdf", render_pdf(DocumentSpec(title=title, paragraphs=[text]))


def load_supervision_demo(tenants: dict[str, Tenant]) -> None:
    acsf = tenants["acsf"]
    admin, approver = find_user("admin@acsf.demo.cn"), find_user("approver@acsf.demo.cn")
    start = clock.today()
    cal = calendar()

    def day(n: int) -> dt.date:
        return cal.add_workdays(start, n)

    with tenant_context(acsf.id, db.session):
        if db.session.scalar(sa.select(sa.func.count()).select_from(SupervisionCase)):
            return
        residencies = list(db.session.scalars(sa.select(Residency).where(
            Residency.status == ResidencyStatus.in_residence).order_by(Residency.id)))
        if len(residencies) < 3:
            return
        mine, waiting, removed = residencies[0], residencies[1], residencies[2]
        chair = db.session.get(User, mine.chair.user_id) if mine.chair.user_id else None
        if chair is not None:
            _activities(mine, chair, admin, day)
        # A21: a 责令检讨 awaiting the demo chair's self-criticism
        with clock.pinned(day(1)):
            case = ops.open_case(mine, "discipline", actor=admin, title="多次无故缺席集体学习",
                                 facts="2次无故缺席每月集体学习，未事先请假。",
                                 evidence=[_pdf("集体学习签到表", "签到表显示本人两次缺席。")])
            ops.hear(case, actor=admin, roles=STAFF)
            if chair is not None:
                ops.file_statement(case, actor=chair, roles={Role.chair}, statement="确有缺席，因课程冲突未及时请假。")
        with clock.pinned(day(3 if chair is not None else 7)):
            if case.statement is None:
                ops.close_hearing(case, actor=admin, roles=STAFF)
            ops.decide_measure(case, actor=admin, roles=STAFF, measure="责令检讨",
                               reason="两次缺席且未请假，情节较轻但须深刻反思")
        # A18: a removal awaiting the approving body
        _removal(waiting, admin, day, title="违反廉洁纪律", ground="违纪违法",
                 facts="经查，以驻会执行主席名义接受企业宴请，并收受礼品。")
        # A18: a removal completed, its notice delivered by hand
        case, req = _removal(removed, admin, day, title="学位论文抄袭", ground="学术不端",
                             facts="派出学校学术委员会认定其学位论文存在抄袭，已作出处理决定。")
        with clock.pinned(day(9)):
            approvals.decide(req, True, actor=approver, document_number=f"中青办复〔{day(9).year}〕3号",
                             decision_date=day(9), scan=_pdf("批复", "同意取消其驻会资格。"))
            ops.record_manual_delivery(case, "in_person", utcnow(), "秘书处王老师", "学校党委办公室李老师",
                                       actor=admin)


def _removal(res, admin, day, *, title, ground, facts):
    with clock.pinned(day(1)):
        case = ops.open_case(res, "removal", actor=admin, title=title, ground=ground, facts=facts,
                             evidence=[_pdf("调查材料", facts)])
        ops.hear(case, actor=admin, roles=STAFF)
    with clock.pinned(day(7)):
        ops.close_hearing(case, actor=admin, roles=STAFF)
        req = ops.request_approval(case, actor=admin, roles=STAFF)
    return case, req


def _activities(res, chair, admin, day) -> None:
    roles = {Role.chair}
    invite = _pdf("邀请函", "诚邀您出席并作交流发言。")
    with clock.pinned(day(0)):
        ops.sign_declaration(res, actor=chair, roles=roles)
        filed = ops.request_activity(res, actor=chair, roles=roles, kind="event", capacity="chair",
                                     title="高校学生会改革座谈会", organizer="某省学联", event_date=day(9),
                                     artefacts=[invite])
        lapsed = ops.request_activity(res, actor=chair, roles=roles, kind="interview", capacity="chair",
                                      title="校园媒体专访", organizer="某大学学生记者团", outlet="某大学校报",
                                      event_date=day(8), artefacts=[_pdf("采访提纲", "1. 驻会工作的体会？")])
    with clock.pinned(day(1)):
        ops.decide_activity(filed, True, actor=admin, roles=STAFF, note="同意，注意发言口径")
    with clock.pinned(day(2)):
        approved = ops.request_activity(res, actor=chair, roles=roles, kind="article", capacity="federation",
                                        title="新时代学生会工作的几点思考", organizer="中国青年报", outlet="中国青年报",
                                        event_date=day(20), artefacts=[_pdf("文章草稿", "学生会工作要坚持……")])
        ops.decide_activity(approved, True, actor=admin, roles=STAFF)
        ops.request_activity(res, actor=chair, roles=roles, kind="position", capacity="chair",
                             title="青年志愿者协会理事", organizer="某青年志愿者协会", event_date=day(25),
                             artefacts=[_pdf("聘任函", "拟聘请您担任本会理事。")])
    with clock.pinned(day(8)):
        # the sweep's own transition: not decided by the last working day before the event
        ACTIVITY.advance(lapsed, "lapse", actor="后台任务",
                         note=f"活动前最后一个工作日（{lapsed.decide_by.isoformat()}）前未作出决定")
    with clock.pinned(day(10)):
        ops.file_outcome(filed, actor=chair, roles=roles, link="https://example.cn/news/forum",
                         note="在座谈会上介绍了驻会工作情况。", clippings=[_pdf("新闻截图", "座谈会报道")])


__all__ = ["load_supervision_demo"]
