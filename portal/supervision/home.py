"""Chapter 5 on the home page: the chair's statements and self-criticisms due; the secretariat's
cases to move and activity requests to decide; the approver's removals (via the approvals queue)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.todo import Count, Todo
from portal.supervision import operations as ops
from portal.supervision.models import Activity, ActivityStatus, CaseStatus, SupervisionCase

STAFF = {"secretariat_admin", "secretariat_staff"}


def _count(stmt) -> Count:
    return Count(stmt)


def todo(memberships) -> list[Todo]:
    roles = {str(m.role) for m in memberships if getattr(m, "active", True)}
    user = current_user._get_current_object()
    items: list[Todo] = []
    if "chair" in roles:
        mine = ops.visible_cases(user, {"chair"})
        waiting = _count(mine.where(SupervisionCase.status.in_((CaseStatus.hearing, CaseStatus.awaiting_self_criticism))))
        items.append(Todo("chair", _("待我提交的申辩或检讨书"), count=waiting, url=url_for("supervision.index"),
                          article="A21", urgent=True, only_if_waiting=True))
        filed = _count(ops.visible_activities(user, {"chair"}).where(Activity.status == ActivityStatus.approved))
        items.append(Todo("chair", _("已批准、待报备结果的对外活动"), count=filed, url=url_for("supervision.activities"),
                          article="A19"))
    if roles & STAFF:
        moving = _count(sa.select(SupervisionCase).where(SupervisionCase.status.in_(
            (CaseStatus.open, CaseStatus.heard, CaseStatus.self_criticism_filed))))
        items.append(Todo("secretariat", _("待办理的监督案件"), count=moving, url=url_for("supervision.index"),
                          article="A18"))
    held = roles & {"secretariat_admin", "secretariat_staff", "approver"}
    if held:
        tenant_roles = set(ops.rule(memberships[0].tenant_id, "supervision.activity_approver_roles")) if memberships else set()
        if held & tenant_roles:
            pending = _count(sa.select(Activity).where(Activity.status == ActivityStatus.pending))
            section = "approver" if held == {"approver"} else "secretariat"
            items.append(Todo(section, _("待审批的对外活动"), count=pending, url=url_for("supervision.activities"),
                              article="A19"))
    return items
