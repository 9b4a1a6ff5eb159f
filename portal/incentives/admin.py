"""flask-admin views over Chapter 4's tables, for the corrections a secretariat admin makes.

Scoped to the tenant by :class:`portal.admin.views.TenantModelView` (every edit audited there).
Money that was paid and documents that were issued never change here: allowance runs and their
lines, the A16 schooling record and the appraisals are read only (they move through their
declared workflows, on the incentives pages). A rate used by a locked or approved run, an
assignment that has ended and a welfare grant are kept as history: what may be corrected is a
rate no run has used, a bed's label, an open assignment's planned end, a grant's note.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import ValidationError

from portal.admin.views import TenantModelView
from portal.extensions import db
from portal.incentives.models import (APPRAISAL_LABELS, RUN_KIND_LABELS, RUN_STATUS_LABELS, AllowanceLine,
                                      AllowanceRate, AllowanceRun, Appraisal, Bed, BedAssignment, RunStatus,
                                      WelfareGrant)

CATEGORY = _l("激励保障")


def _label(labels: dict, attr: str):
    def fmt(v, c, m, p):
        value = getattr(m, attr)
        label = labels.get(getattr(value, "value", value), value)
        return _(label) if isinstance(label, str) else label
    return fmt


def _chair(v, c, m, p):
    return m.residency.chair.name


class RateAdmin(TenantModelView):
    """A15/A22: the province's own rate rows. A row used by a run is history (edit refused)."""

    can_create = False  # added on the rates page, with the overlap and source checks
    form_columns = ["source"]
    column_list = ["degree_level", "effective_on", "monthly_amount", "source", "created_at"]
    column_labels = {"degree_level": _l("学历层次"), "effective_on": _l("生效日期"), "monthly_amount": _l("月标准（元）"),
                     "source": _l("依据文件"), "created_at": _l("录入时间"), "created_by_id": _l("录入人")}
    column_default_sort = ("effective_on", True)
    article = "A15"

    def _used(self, model) -> bool:
        return bool(db.session.scalar(sa.select(sa.func.count()).select_from(AllowanceLine).where(
            AllowanceLine.rate_scope == "own", AllowanceLine.rate_id == model.id)))

    def on_model_change(self, form, model, is_created):
        if self._used(model):
            raise ValidationError(_("该标准已用于补贴发放，不能修改；请在补贴标准页新增一条自新日期起执行的标准"))
        if not (model.source or "").strip():
            raise ValidationError(_("请填写标准依据的文件"))
        super().on_model_change(form, model, is_created)

    def on_model_delete(self, model):
        if self._used(model):
            raise ValidationError(_("该标准已用于补贴发放，不能删除"))
        super().on_model_delete(model)


class RunAdmin(TenantModelView):
    """A15: read only. Runs are computed, approved and locked on the incentives pages; a locked
    run is corrected by an adjusting run, never edited."""

    can_create = can_edit = can_delete = False
    column_list = ["month", "seq", "kind", "status", "chairs", "total", "computed_at", "corrects_id"]
    column_labels = {"month": _l("月份"), "seq": _l("序号"), "kind": _l("类型"), "status": _l("状态"), "chairs": _l("人数"),
                     "total": _l("合计（元）"), "computed_at": _l("计算时间"), "corrects_id": _l("更正的发放表"), "note": _l("调整原因")}
    column_formatters = {"kind": _label(RUN_KIND_LABELS, "kind"), "status": _label(RUN_STATUS_LABELS, "status")}
    column_details_exclude_list = ["lines"]
    column_filters = ["month", "status"]
    column_default_sort = ("month", True)
    article = "A15"


class LineAdmin(TenantModelView):
    """A15: read only, the lines of every run."""

    can_create = can_edit = can_delete = False
    column_list = ["run_id", "name", "school", "degree_level", "period_start", "period_end", "days", "amount",
                   "rate_version"]
    column_labels = {"run_id": _l("发放表"), "name": _l("姓名"), "school": _l("学校"), "degree_level": _l("学历层次"),
                     "period_start": _l("起始日期"), "period_end": _l("截止日期"), "days": _l("天数"), "amount": _l("金额（元）"),
                     "rate_version": _l("标准版本"), "month_days": _l("当月天数"), "monthly_amount": _l("月标准（元）"),
                     "rate_source": _l("标准依据"), "ended_reason": _l("结束原因"), "note": _l("备注")}
    column_filters = ["run_id"]
    column_searchable_list = ["name"]
    article = "A15"


class BedAdmin(TenantModelView):
    """A15: the bed inventory; a bed is retired (inactive), never deleted once assigned."""

    can_delete = False
    form_columns = ["building", "room", "bed", "active"]
    column_list = ["building", "room", "bed", "active"]
    column_labels = {"building": _l("楼栋"), "room": _l("房间"), "bed": _l("床位"), "active": _l("可用")}
    column_searchable_list = ["building", "room"]
    article = "A15"

    def on_model_change(self, form, model, is_created):
        for attr, label in (("building", "楼栋"), ("room", "房间"), ("bed", "床位")):
            if not (getattr(model, attr) or "").strip():
                raise ValidationError(_("请填写%(label)s", label=_(label)))
        clash = db.session.scalar(sa.select(Bed.id).where(
            Bed.building == model.building, Bed.room == model.room, Bed.bed == model.bed, Bed.id != (model.id or 0)))
        if clash is not None:
            raise ValidationError(_("该床位已登记"))
        super().on_model_change(form, model, is_created)


class AssignmentAdmin(TenantModelView):
    """A15: assignments are made on the beds page (overlaps refused there). Here an assignment
    not yet released may have its planned end corrected, inside the term; history stays."""

    can_create = can_delete = False
    form_columns = ["ends_on"]
    column_list = ["residency", "bed", "starts_on", "ends_on", "released_on", "release_reason"]
    column_labels = {"residency": _l("驻会执行主席"), "bed": _l("床位"), "starts_on": _l("起始日期"), "ends_on": _l("截止日期"),
                     "released_on": _l("释放日期"), "release_reason": _l("释放原因"), "created_at": _l("分配时间"),
                     "assigned_by_id": _l("分配人")}
    column_formatters = {"residency": _chair, "bed": lambda v, c, m, p: m.bed.label}
    column_default_sort = ("starts_on", True)
    article = "A15"

    def on_model_change(self, form, model, is_created):
        if model.released_on is not None:
            raise ValidationError(_("该床位已释放，分配记录不能修改"))
        res = model.residency
        if model.ends_on < model.starts_on:
            raise ValidationError(_("截止日期不能早于起始日期"))
        if model.ends_on > (res.ended_on or res.term_end):
            raise ValidationError(_("床位分配不能超出驻会期"))
        clash = db.session.scalar(sa.select(BedAssignment.id).where(
            BedAssignment.bed_id == model.bed_id, BedAssignment.id != model.id,
            BedAssignment.starts_on <= model.ends_on,
            sa.func.coalesce(BedAssignment.released_on, BedAssignment.ends_on) >= model.starts_on))
        if clash is not None:
            raise ValidationError(_("该床位在这段时间已分配给他人"))
        super().on_model_change(form, model, is_created)


class WelfareAdmin(TenantModelView):
    """A15: welfare given is recorded on the chair's page; here only the note is corrected."""

    can_create = can_delete = False
    form_columns = ["note"]
    column_list = ["residency", "item", "given_on", "note"]
    column_labels = {"residency": _l("驻会执行主席"), "item": _l("福利项目"), "given_on": _l("发放日期"), "note": _l("备注"),
                     "given_by_id": _l("登记人")}
    column_formatters = {"residency": _chair}
    column_default_sort = ("given_on", True)
    article = "A15"


class AppraisalAdmin(TenantModelView):
    """A17: read only. An appraisal moves through its workflow; issued, it is never edited (a
    correction is a new version naming it)."""

    can_create = can_edit = can_delete = False
    column_list = ["residency", "version", "status", "number", "conclusion", "issued_on", "sent_at", "delivered_at"]
    column_labels = {"residency": _l("驻会执行主席"), "version": _l("版本"), "status": _l("状态"), "number": _l("编号"),
                     "conclusion": _l("鉴定结论"), "issued_on": _l("印发日期"), "sent_at": _l("送派出学校时间"),
                     "delivered_at": _l("送达时间"), "sha256": _l("文件摘要"), "supersedes_id": _l("更正的版本")}
    column_formatters = {"residency": _chair, "status": _label(APPRAISAL_LABELS, "status"),
                         "conclusion": lambda v, c, m, p: _(m.conclusion) if m.conclusion else ""}
    # statements, opinions and the chair's own summary stay on the appraisal's page (and off exports)
    column_details_exclude_list = ["statements", "gaps", "self_summary", "opinions", "residency"]
    column_export_exclude_list = ["statements", "gaps", "self_summary", "conclusion_note"]
    column_filters = ["status"]
    column_default_sort = ("id", True)
    article = "A17"


def register(admin) -> None:
    s = db
    for view, model, name, endpoint in [
        (RateAdmin, AllowanceRate, _l("补贴标准"), "admin_incentives_rates"),
        (RunAdmin, AllowanceRun, _l("补贴发放表"), "admin_incentives_runs"),
        (LineAdmin, AllowanceLine, _l("补贴发放明细"), "admin_incentives_lines"),
        (BedAdmin, Bed, _l("床位"), "admin_incentives_beds"),
        (AssignmentAdmin, BedAssignment, _l("床位分配"), "admin_incentives_assignments"),
        (WelfareAdmin, WelfareGrant, _l("工会福利发放"), "admin_incentives_welfare"),
        (AppraisalAdmin, Appraisal, _l("工作鉴定"), "admin_incentives_appraisals"),
    ]:
        admin.add_view(view(model, s, name=name, endpoint=endpoint, category=CATEGORY))


__all__ = ["register", "RunStatus"]
