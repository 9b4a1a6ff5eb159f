"""flask-admin views over the selection tables, for the corrections a secretariat admin makes.

State never changes here: nominations move only through the state machine (workflow.apply),
objections are resolved on the cycle page, cycles open and advance through the operations.
What may be corrected is a letter number, a delivery date, a chair's term, the nomination an
objection concerns — each edit audited by TenantModelView. ID numbers are masked in every
list and detail view and left out of every export.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, ValidationError

from portal.admin.views import TenantModelView
from portal.core.idcard import mask_id_number
from portal.extensions import db
from portal.selection.models import (
    CYCLE_STATUS_LABELS, OBJECTION_LABELS, ROUTE_LABELS, STATUS_LABELS, Chair, Invitation, Nomination, Objection,
    ObjectionStatus, PublicNotice, SelectionCycle,
)

CATEGORY = _l("选拔任用")


def _label(labels: dict, attr: str):
    return lambda v, c, m, p: _(labels[getattr(m, attr)]) if getattr(m, attr) in labels else getattr(m, attr)


def _school(v, c, m, p):
    return m.school.name


class CycleAdmin(TenantModelView):
    """A4/A23: only the title may be corrected; quota, status and the pinned rules never here."""

    can_create = can_delete = False
    form_columns = ["title"]
    column_list = ["academic_year", "title", "quota", "rotation_quota", "selection_quota", "status", "opened_on",
                   "rules_version"]
    column_details_exclude_list = ["rules_snapshot", "rules_overrides", "steps"]
    column_export_exclude_list = ["rules_snapshot", "rules_overrides"]
    column_labels = {"academic_year": _l("学年"), "title": _l("名称"), "quota": _l("名额"), "rotation_quota": _l("轮值名额"),
                     "selection_quota": _l("遴选名额"), "status": _l("阶段"), "opened_on": _l("开启日期"),
                     "rules_version": _l("规则版本"), "created_at": _l("创建时间"), "updated_at": _l("更新时间")}
    column_formatters = {"status": _label(CYCLE_STATUS_LABELS, "status")}
    column_default_sort = ("academic_year", True)
    article = "A4"


class InvitationAdmin(TenantModelView):
    """A6.1: correct the letter number or record a delivery/acknowledgement learnt by phone."""

    can_create = can_delete = False
    form_columns = ["letter_number", "delivered_at", "acknowledged_at"]
    column_list = ["cycle_id", "school", "route", "letter_number", "sent_at", "delivered_at", "acknowledged_at",
                   "extra_nominees"]
    column_labels = {"cycle_id": _l("选拔"), "school": _l("学校"), "route": _l("途径"), "letter_number": _l("文号"),
                     "sent_at": _l("发出时间"), "delivered_at": _l("送达时间"), "opened_at": _l("查看时间"),
                     "acknowledged_at": _l("确认收到时间"), "extra_nominees": _l("增加名额"), "extra_reason": _l("增加理由"),
                     "submissions": _l("报送次数"), "cycle": _l("选拔")}
    column_formatters = {"school": _school, "route": _label(ROUTE_LABELS, "route"),
                         "cycle": lambda v, c, m, p: m.cycle.title}
    column_filters = ["cycle_id", "route"]
    column_searchable_list = ["letter_number"]
    article = "A6.1"

    def on_model_change(self, form, model, is_created):
        if model.sent_at is None and (model.delivered_at or model.acknowledged_at):
            raise ValidationError(_("推荐函尚未发出，不能记录送达或确认收到"))
        super().on_model_change(form, model, is_created)


class NominationAdmin(TenantModelView):
    """A6.2: read only. Status changes go through the state machine, with their guards (A6, A7)."""

    can_create = can_edit = can_delete = False
    column_list = ["id", "name", "school", "id_number", "route", "status", "submitted_at", "exam_score",
                   "interview_score", "total_score", "rank"]
    column_details_exclude_list = ["cycle", "checks", "reviews", "attachments"]
    # Personal data stays in the portal: no ID numbers, phones or e-mails in a downloaded file.
    column_export_exclude_list = ["id_number", "phone", "email"]
    column_labels = {"id": _l("推荐编号"), "name": _l("姓名"), "school": _l("学校"), "id_number": _l("身份证号"), "route": _l("途径"),
                     "status": _l("状态"), "submitted_at": _l("报送时间"), "exam_score": _l("笔试成绩"),
                     "interview_score": _l("面试成绩"), "total_score": _l("综合成绩"), "rank": _l("排名"), "union": _l("学生组织"),
                     "gender": _l("性别"), "ethnicity": _l("民族"), "birth_date": _l("出生日期"), "political_status": _l("政治面貌"),
                     "presidium_position": _l("主席团职务"), "degree_level": _l("学历层次"), "major": _l("专业"),
                     "phone": _l("联系电话"), "email": _l("电子邮箱"), "source": _l("来源")}
    column_formatters = {"id_number": lambda v, c, m, p: mask_id_number(m.id_number), "school": _school,
                         "union": lambda v, c, m, p: m.union.name, "status": _label(STATUS_LABELS, "status"),
                         "route": _label(ROUTE_LABELS, "route")}
    column_filters = ["cycle_id", "status", "route"]
    column_searchable_list = ["name"]  # never by ID number: the list must not confirm a guessed number
    column_default_sort = ("id", False)
    article = "A6.2"


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class ObjectionAdmin(TenantModelView):
    """A6.5: objections are kept as received; while one awaits investigation the secretariat may
    attach it to the candidate it concerns (chosen among that notice's candidates only)."""

    can_create = can_delete = False
    form_columns = ["nomination_id"]
    form_overrides = {"nomination_id": SelectField}
    form_args = {"nomination_id": {"label": _l("涉及人选"), "coerce": _optional_int, "choices": []}}
    column_list = ["id", "notice_id", "nomination_id", "submitted_at", "status", "content", "outcome", "handled_at"]
    column_labels = {"id": _l("编号"), "notice_id": _l("公示"), "nomination_id": _l("涉及人选（推荐编号）"), "content": _l("异议内容"),
                     "contact": _l("联系方式"), "submitted_at": _l("提交时间"), "status": _l("核查状态"), "outcome": _l("核查结论"),
                     "handled_at": _l("处理时间")}
    column_formatters = {"status": _label(OBJECTION_LABELS, "status")}
    column_filters = ["status", "notice_id"]
    column_default_sort = ("id", True)
    article = "A6.5"

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        choices = [(None, _("（整个公示名单）"))]
        notice = db.session.get(PublicNotice, obj.notice_id) if obj is not None else None
        if notice is not None and notice.nomination_ids:
            noms = db.session.scalars(sa.select(Nomination).where(Nomination.id.in_(notice.nomination_ids))
                                      .order_by(Nomination.id))
            choices += [(n.id, _("%(name)s（%(school)s，推荐编号 %(id)s）", name=n.name, school=n.school.name, id=n.id)) for n in noms]
        form.nomination_id.choices = choices
        return form

    def on_model_change(self, form, model, is_created):
        if model.status != ObjectionStatus.received:
            raise ValidationError(_("该异议已有核查结论，涉及的人选不能再更改"))
        super().on_model_change(form, model, is_created)


class ChairAdmin(TenantModelView):
    """A6.5: correct a chair's name or term dates; removal has its own procedure (A18)."""

    can_create = can_delete = False
    form_columns = ["name", "term_start", "term_end"]
    column_list = ["name", "school", "cycle_id", "term_start", "term_end", "active"]
    column_labels = {"name": _l("姓名"), "school": _l("学校"), "cycle_id": _l("选拔"), "term_start": _l("任期开始"),
                     "term_end": _l("任期结束"), "active": _l("在任"), "nomination_id": _l("推荐编号"), "user": _l("用户")}
    column_formatters = {"school": _school}
    column_details_exclude_list = ["user"]
    column_searchable_list = ["name"]
    article = "A6.5"

    def on_model_change(self, form, model, is_created):
        if model.term_end <= model.term_start:
            raise ValidationError(_("任期结束日期应晚于开始日期"))
        super().on_model_change(form, model, is_created)


def register(admin) -> None:
    s = db
    for view, model, name, endpoint in [
        (CycleAdmin, SelectionCycle, _l("选拔"), "admin_selection_cycles"),
        (InvitationAdmin, Invitation, _l("推荐函"), "admin_selection_invitations"),
        (NominationAdmin, Nomination, _l("推荐人选"), "admin_selection_nominations"),
        (ObjectionAdmin, Objection, _l("公示异议"), "admin_selection_objections"),
        (ChairAdmin, Chair, _l("驻会执行主席"), "admin_chairs"),
    ]:
        admin.add_view(view(model, s, name=name, endpoint=endpoint, category=CATEGORY))
