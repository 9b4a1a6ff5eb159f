"""Chapter 4's part of each role's home: a draft allowance run waiting for approval (A15), a
chair's appraisal waiting for their summary, a department's opinion waiting (A17)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.todo import Count, Todo
from portal.incentives.models import AllowanceRun, Appraisal, AppraisalStatus, RunStatus

STAFF = {"secretariat_admin", "secretariat_staff"}


def todo(memberships) -> list[Todo]:
    roles = {str(m.role) for m in memberships if getattr(m, "active", True)}
    items: list[Todo] = []
    if "secretariat_admin" in roles:
        n = Count(sa.select(AllowanceRun.id).where(AllowanceRun.status.in_([RunStatus.draft, RunStatus.approved])))
        items.append(Todo("secretariat", _("待审核或锁定的补贴发放表"), count=n, url=url_for("incentives.index"),
                          article="A15"))
    if "chair" in roles:
        from portal.residency.operations import own_residency

        res = own_residency(current_user._get_current_object())
        if res is not None:
            n = Count(sa.select(Appraisal.id).where(Appraisal.residency_id == res.id,
                                                    Appraisal.status == AppraisalStatus.draft))
            items.append(Todo("chair", _("待提交个人总结的工作鉴定"), count=n, url=url_for("incentives.mine"),
                              article="A17"))
    return items
