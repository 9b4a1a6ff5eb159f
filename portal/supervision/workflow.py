"""The declared states of chapter 5 (portal.core.workflow): removal cases (A18), disciplinary
cases (A21) and outside-activity requests (A19). Every state change goes through these machines:
compare-and-set on the row, one audit record citing the article."""
from __future__ import annotations

from portal.core import clock
from portal.core.workflow import SYSTEM, Machine, Refusal, transition as _t  # noqa: F401
from portal.supervision.models import (ACTIVITY_STATUS_LABELS, CASE_STATUS_LABELS, ActivityStatus as A,
                                       CaseStatus as C)
from tenants.models import Role
from tenants.rules.registry import article_citation

STAFF = frozenset({Role.secretariat_admin, Role.secretariat_staff})
CHAIR = frozenset({Role.chair})
ANY_DECIDER = frozenset({Role.secretariat_admin, Role.secretariat_staff, Role.approver})


def _g_statement_in_time(case, ctx) -> Refusal | None:
    today = ctx.get("today") or clock.today()
    if case.statement_due is not None and today > case.statement_due:
        return Refusal("statement_late", f"申辩期限已于{case.statement_due:%Y年%m月%d日}届满"
                                         f"（{article_citation(case.article)}）")
    return None


def _g_statement_due_passed(case, ctx) -> Refusal | None:
    today = ctx.get("today") or clock.today()
    if case.statement_due is not None and today <= case.statement_due and not case.statement:
        return Refusal("statement_running", f"申辩期限至{case.statement_due:%Y年%m月%d日}，期满前须等待本人申辩"
                                            f"（{article_citation(case.article)}）")
    return None


def _g_self_criticism_in_time(case, ctx) -> Refusal | None:
    today = ctx.get("today") or clock.today()
    if case.self_criticism_due is not None and today > case.self_criticism_due:
        return Refusal("self_criticism_late", f"检讨书提交期限已于{case.self_criticism_due:%Y年%m月%d日}届满"
                                              f"（{article_citation('A21')}）")
    return None


def _hearing(article: str):
    return [
        _t("hear", "告知并听取申辩", [C.open], C.hearing, STAFF, article),
        _t("file_statement", "提交申辩", [C.hearing], C.heard, CHAIR, article, guards=[_g_statement_in_time]),
        _t("close_hearing", "结束申辩", [C.hearing], C.heard, STAFF, article, guards=[_g_statement_due_passed]),
        _t("withdraw", "撤销立案", [C.open, C.hearing, C.heard], C.withdrawn, STAFF, article, takes_back=True),
    ]


REMOVAL = Machine("supervision.removal", subject="supervision_case", cite=article_citation, noun="该案件",
                  labels={s: CASE_STATUS_LABELS[s.value] for s in (
                      C.open, C.hearing, C.heard, C.awaiting_approval, C.approved, C.notified, C.refused,
                      C.withdrawn)},
                  transitions=[
    *_hearing("A18"),
    _t("request_approval", "报请审批", [C.heard], C.awaiting_approval, STAFF, "A18"),
    # A18: made only by the approving body's decision on the approvals engine.
    _t("approve", "批准取消驻会资格", [C.awaiting_approval], C.approved, {Role.approver}, "A18"),
    _t("refuse", "不予批准", [C.awaiting_approval], C.refused, {Role.approver}, "A18"),
    # A18: the school is notified only after the approval is recorded (the source state says so).
    _t("notify", "通报派出学校党委", [C.approved], C.notified, STAFF, "A18"),
])

DISCIPLINE = Machine("supervision.discipline", subject="supervision_case", cite=article_citation, noun="该案件",
                     labels={s: CASE_STATUS_LABELS[s.value] for s in (
                         C.open, C.hearing, C.heard, C.awaiting_self_criticism, C.self_criticism_filed, C.closed,
                         C.withdrawn)},
                     transitions=[
    *_hearing("A21"),
    _t("measure", "作出处置", [C.heard], C.closed, STAFF, "A21"),
    _t("order_self_criticism", "责令检讨", [C.heard], C.awaiting_self_criticism, STAFF, "A21"),
    _t("dismiss", "劝退", [C.heard], C.closed, STAFF, "A21"),
    _t("file_self_criticism", "提交检讨书", [C.awaiting_self_criticism], C.self_criticism_filed, CHAIR, "A21",
       guards=[_g_self_criticism_in_time]),
    _t("accept_self_criticism", "认可检讨书", [C.self_criticism_filed], C.closed, STAFF, "A21"),
    _t("return_self_criticism", "退回检讨书", [C.self_criticism_filed], C.awaiting_self_criticism, STAFF, "A21",
       takes_back=True),
    # The residency ended otherwise (an A18 removal): the case is closed with it.
    _t("close_on_end", "驻会结束，案件办结", [C.open, C.hearing, C.heard, C.awaiting_self_criticism,
                                    C.self_criticism_filed], C.closed, STAFF, "A21"),
])


def machine_for(case):
    return REMOVAL if case.kind.value == "removal" else DISCIPLINE


def _g_decider(act, ctx) -> Refusal | None:
    # A19: the approvers are the roles the tenant's rules name.
    allowed = set(ctx.get("approver_roles") or ())
    if ctx.get("system") or set(map(str, ctx.get("actor_roles") or ())) & allowed:
        return None
    return Refusal("not_an_approver", f"对外活动由规则指定的人员审批（{article_citation('A19')}）")


def _g_before_event(act, ctx) -> Refusal | None:
    today = ctx.get("today") or clock.today()
    if today >= act.event_date:
        return Refusal("event_passed", f"活动日期（{act.event_date:%Y年%m月%d日}）已到，须在活动前审批，"
                                       f"逾期未批的申请自动失效（{article_citation('A19')}）")
    return None


def _g_after_event(act, ctx) -> Refusal | None:
    today = ctx.get("today") or clock.today()
    if today < act.event_date:
        return Refusal("event_not_yet", f"活动（{act.event_date:%Y年%m月%d日}）结束后方可报备结果"
                                        f"（{article_citation('A19')}）")
    return None


ACTIVITY = Machine("supervision.activity", subject="supervision_activity", cite=article_citation, noun="该申请",
                   labels={s: ACTIVITY_STATUS_LABELS[s.value] for s in A}, transitions=[
    _t("approve", "批准", [A.pending], A.approved, ANY_DECIDER, "A19", guards=[_g_decider, _g_before_event]),
    _t("refuse", "不予批准", [A.pending], A.refused, ANY_DECIDER, "A19", guards=[_g_decider]),
    _t("lapse", "逾期失效", [A.pending], A.lapsed, STAFF, "A19"),
    _t("file_outcome", "报备活动结果", [A.approved], A.filed, CHAIR, "A19", guards=[_g_after_event]),
    _t("close_on_end", "驻会结束，申请关闭", [A.pending, A.approved], A.closed, STAFF, "A19"),
])
