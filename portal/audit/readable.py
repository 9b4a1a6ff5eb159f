"""The audit trail as people read it: each record a sentence in the user's language, its
object named and linked, its before/after a diff.

Features name their objects with ``portal.core.audit.register_object`` (in their ``init_app``): the model, how
to name one, and the page that shows it. Names are looked up per page in one query per object
type (never one per row). An action without a sentence of its own reads from its parts
("nomination.withdraw" → 人选 · withdraw), so a new action is never shown as nothing.
"""
from __future__ import annotations

from importlib import import_module

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.core.workflow import transition_for_action
from portal.extensions import db

# What each action did, as a verb phrase; the object's name follows it.
ACTIONS = {
    "api_token.issued": _l("签发了 API 令牌"), "api_token.revoked": _l("吊销了 API 令牌"),
    "approval.requested": _l("报请审批"), "approval.withdrawn": _l("撤回了报批"),
    "approval.approved": _l("批准了"), "approval.refused": _l("未批准"),
    "chair.appointed": _l("确认任用驻会执行主席"), "cycle.approval": _l("记录了审批结果"),
    "cycle.deadline": _l("调整了期限"), "cycle.opened": _l("开始了选拔"), "cycle.ranked": _l("排定了名次"),
    "cycle.status": _l("变更了选拔阶段"), "document.ready": _l("生成了文件"), "document.requested": _l("请求生成文件"),
    "eligibility.checked": _l("核查了资格条件"), "exam.import": _l("导入了笔试成绩"), "exam.score": _l("录入了笔试成绩"),
    "interview.panelist_score": _l("录入了面试评分"), "interview.score": _l("确定了面试成绩"),
    "interview.score_struck": _l("撤销了面试评分"),
    "invitation.bulk_invite_started": _l("开始批量添加学校"), "invitation.bulk_send_started": _l("开始批量发出推荐函"),
    "invitation.created": _l("添加了学校"), "invitation.delivered": _l("登记推荐函已送达"),
    "invitation.opened": _l("打开了推荐函"), "invitation.acknowledged": _l("确认收到推荐函"),
    "invitation.extra_nominees": _l("调整了推荐名额"), "invitation.sent": _l("发出了推荐函"),
    "job.failed": _l("后台任务失败"), "job.retry": _l("重试了后台任务"),
    "member.enabled": _l("启用了成员"), "member.invitation_accepted": _l("接受了成员邀请"),
    "member.invitation_resent": _l("重新发送了成员邀请"), "member.invited": _l("邀请了成员"),
    "member.role_changed": _l("变更了成员角色"), "membership.granted": _l("授予了角色"),
    "nomination.attachment": _l("上传了附件"), "nomination.created": _l("填写了推荐人选"),
    "nomination.disqualification": _l("取消了人选资格"), "nomination.drafts_replaced": _l("以新上传的名单替换了草稿"),
    "nomination.imported": _l("导入了推荐人选"), "nomination.updated": _l("修改了推荐人选"),
    "nomination.submit": _l("报送了人选"), "notice.opened": _l("发布了公示"),
    "notification.retry": _l("重试了通知"), "notification_template.override": _l("修改了通知模板"),
    "notification_template.override_cleared": _l("恢复了全国通知模板"),
    "objection.received": _l("收到了异议"), "objection.resolved": _l("处理了异议"),
    "panel.conflict_declared": _l("申报了回避"), "panel.drawn": _l("抽取了面试小组"),
    "panel.panelist_added": _l("添加了面试评委"), "presidium.added": _l("登记了主席团成员团体任期"),
    "reference.import": _l("导入了基础数据"), "review.signed": _l("签署了审查意见"),
    "rotation.reordered": _l("调整了轮值顺序"), "rotation.roster_extended": _l("补充了轮值名册"),
    "rotation.served": _l("登记了轮值"), "rotation.served_removed": _l("撤销了轮值登记"),
    "rule.override": _l("调整了规则"), "rule.override_cleared": _l("恢复了全国规则"),
    "tenant.created": _l("开通了学联"), "user.disabled": _l("停用了账号"), "user.login_locked": _l("账号因多次登录失败被锁定"),
    "user.login_unlocked": _l("解锁了账号"), "user.password_changed": _l("修改了密码"),
    "workdays.year_imported": _l("导入了年度节假日安排"),
    # Chapters 3–5 (the transitions of their declared workflows read from the workflow's own labels)
    "allowance.adjusting_run_started": _l("开始了补发（调整）核算"),
    "allowance.rate_added": _l("登记了生活补贴标准"),
    "allowance.rate_deleted": _l("删除了生活补贴标准"),
    "allowance.run_computed": _l("核算了生活补贴"),
    "allowance.run_started": _l("开始了生活补贴月度核算"),
    "appraisal.correction_started": _l("开始更正工作鉴定"),
    "appraisal.drafted": _l("起草了工作鉴定"),
    "appraisal.issued_document": _l("生成了工作鉴定正式文本"),
    "appraisal.opinion": _l("填写了部门鉴定意见"),
    "calendar_feed.issued": _l("开通了日历订阅"),
    "calendar_feed.replaced": _l("更换了日历订阅地址"),
    "calendar_feed.revoked": _l("停用了日历订阅"),
    "chair.login_linked": _l("为驻会执行主席关联了登录账号"),
    "confidentiality.pledge_signed": _l("签署了保密承诺书"),
    "department.added": _l("添加了部门"),
    "department.changed": _l("修改了部门"),
    "document_template.override": _l("修改了文件模板"),
    "document_template.override_cleared": _l("恢复了全国文件模板"),
    "handover.item_added": _l("添加了交接事项"),
    "handover.opened": _l("开始了离任交接"),
    "incentives.bed_added": _l("登记了宿舍床位"),
    "incentives.bed_assigned": _l("分配了宿舍床位"),
    "incentives.bed_released": _l("收回了宿舍床位"),
    "incentives.certificate_issued": _l("出具了学籍与工龄证明"),
    "incentives.schooling_recorded": _l("登记了休学情况"),
    "incentives.welfare_given": _l("发放了福利"),
    "relation.dues": _l("登记了交纳党（团）费"),
    "relation.org_life": _l("登记了参加组织生活"),
    "relation_transfer.letter": _l("登记了组织关系介绍信"),
    "relation_transfer.opened": _l("开始了组织关系转接"),
    "relation_transfer.receipt_on": _l("登记了组织关系回执"),
    "relation_transfer.reported_on": _l("登记了组织关系报到"),
    "residency.ended": _l("结束了驻会"),
    "residency.meeting": _l("记录了书记处见面会"),
    "residency.opened": _l("开始了驻会"),
    "residency.post": _l("调整了驻会职务"),
    "residency.talk_reader": _l("指定了谈心谈话内容查阅人"),
    "rotation.plan_proposed": _l("提出了轮岗计划"),
    "rotation.segment_added": _l("添加了轮岗阶段"),
    "rotation.segment_changed": _l("修改了轮岗阶段"),
    "rotation.segment_cut": _l("截止了轮岗阶段"),
    "rotation.segment_removed": _l("删除了轮岗阶段"),
    "seal.handed_over": _l("记录了印鉴交接"),
    "seal.registered": _l("登记了印鉴"),
    "seal.used": _l("登记了用印"),
    "seal_request.submitted": _l("提交了用印申请"),
    "supervision.declaration_signed": _l("签署了对外活动报告承诺"),
    "supervision.matters_closed": _l("因驻会结束关闭了未结事项"),
    "supervision_case.notice_delivered": _l("登记了处理通知已送达学校"),
    "supervision_case.notice_sent": _l("向学校发出了处理通知"),
    "vault.access_changed": _l("调整了资料的密级和访问范围"),
    "vault.access_revoked": _l("收回了资料库访问权限"),
    "vault.stored": _l("存入了资料库"),
    "vault.swept": _l("清理了资料库"),
    "vault.view": _l("查看了资料"),
    "vault.download": _l("下载了资料"),
    "vault.export": _l("导出了资料"),
    "vault.log_read": _l("查阅了资料库访问记录"),
    "working_group.activity": _l("记录了工作小组活动"),
    "working_group.leads": _l("指定了工作小组负责人"),
    "working_group.members": _l("调整了工作小组成员"),
    "ymp.recommended": _l("推荐参加青年马克思主义者培养工程"),
    "obligation.recorded": _l("记录了履职事项"),
    "supervision_activity.requested": _l("申报了对外活动"),
    "supervision_activity.unapproved": _l("登记了未经批准的对外活动"),
    "supervision_case.evidence": _l("补充了案件证据"),
    "supervision_case.opened": _l("立了案"),
    "appraisal.delivered": _l("登记了工作鉴定已送达学校"),
    "appraisal.sent_to_school": _l("将工作鉴定送交学校存档"),
    "incentives.suspension_letter_issued": _l("出具了商请休学函"),
    "obligation.submitted": _l("提交了履职记录"),
    "obligation.accepted": _l("确认了履职记录"),
    "obligation.returned": _l("退回修改履职记录"),
}

# What the object types are called, for a sentence and the filter.
OBJECT_TYPES = {
    "invitation": _l("推荐函"), "nomination": _l("推荐人选"), "selection_cycle": _l("选拔"), "chair": _l("驻会执行主席"),
    "document": _l("文件"), "user": _l("账号"), "membership": _l("成员"), "member_invitation": _l("成员邀请"),
    "objection": _l("异议"), "public_notice": _l("公示"), "approval_request": _l("请示"), "rule": _l("规则"),
    "tenant": _l("学联"), "job": _l("后台任务"), "notification": _l("通知"), "school": _l("学校"),
    "api_token": _l("API 令牌"), "workdays": _l("工作日"), "rotation_entry": _l("轮值名册"),
    "allowance_rate": _l("生活补贴标准"),
    "allowance_run": _l("生活补贴核算"),
    "appraisal": _l("工作鉴定"),
    "department": _l("部门"),
    "document_template": _l("文件模板"),
    "holiday_year": _l("年度节假日安排"),
    "incentive_bed": _l("宿舍床位"),
    "incentive_bed_assignment": _l("床位分配"),
    "incentive_schooling": _l("学籍情况"),
    "incentive_welfare_grant": _l("福利发放"),
    "interview_panel": _l("面试小组"),
    "notification_template": _l("通知模板"),
    "panelist": _l("面试评委"),
    "pledge": _l("保密承诺书"),
    "presidium_membership": _l("主席团成员团体任期"),
    "relation_transfer": _l("组织关系转接"),
    "residency": _l("驻会"),
    "residency_meeting": _l("书记处见面会"),
    "rotation": _l("轮值"),
    "rotation_plan": _l("轮岗计划"),
    "school_import": _l("学校导入"),
    "seal": _l("印鉴"),
    "seal_request": _l("用印申请"),
    "supervision_case": _l("案件"),
    "vault_file": _l("资料"),
    "vault_access_log": _l("资料库访问记录"),
    "working_group": _l("工作小组"),
    "ymp_recommendation": _l("青马工程推荐"),
}


def _model(spec: str):
    module, _, name = spec.partition(":")
    return getattr(import_module(module), name)


def sentence(action: str) -> str:
    known = ACTIONS.get(action)
    if known is not None:
        return str(known)
    t = transition_for_action(action)
    if t is not None:  # a declared transition reads as its own label (the button that did it)
        return _(t.label)
    head, _dot, verb = action.rpartition(".")
    return f"{object_label(head.split('.')[0])} · {verb}" if head else action


def object_label(object_type: str) -> str:
    label = OBJECT_TYPES.get(object_type)
    return str(label) if label is not None else object_type


def resolve(records) -> dict[tuple[str, str], tuple[str, str | None]]:
    """{(object_type, object_id): (name, url)} for the records' objects: one query per type."""
    kinds = current_app.extensions.get("audit_objects", {})
    wanted: dict[str, set[int]] = {}
    for r in records:
        if r.object_type in kinds and r.object_id and str(r.object_id).isdigit():
            wanted.setdefault(r.object_type, set()).add(int(r.object_id))
    out = {}
    for object_type, ids in wanted.items():
        kind = kinds[object_type]
        model = _model(kind.model)
        for obj in db.session.scalars(sa.select(model).where(model.id.in_(sorted(ids)))):
            try:
                name = kind.name(obj)
            except Exception:  # a name that needs what is gone: the bare object still reads
                name = f"{object_label(object_type)} {obj.id}"
            url = url_for(kind.endpoint, **{kind.id_arg: obj.id}) if kind.endpoint else None
            out[(object_type, str(obj.id))] = (name, url)
    return out


def diff(before, after) -> list[dict]:
    """Rows of (field, before, after, changed) over both records' keys, in a stable order."""
    before = before if isinstance(before, dict) else ({} if before is None else {"": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"": after})
    keys = list(before) + [k for k in after if k not in before]
    return [{"field": k, "before": _text(before.get(k)), "after": _text(after.get(k)),
             "changed": before.get(k) != after.get(k)} for k in keys]


def _text(value) -> str:
    if value is None:
        return "—"
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    if isinstance(value, (list, tuple)):
        return "、".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_text(v)}" for k, v in value.items())
    return str(value)
