"""Chapter 3's part of each role's home (issue 9 item 2, issue 12 item 1): the chair's next
deadline, what is overdue and what was returned; the department head's and the secretariat's
records waiting for confirmation (A9-A14)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import clock
from portal.core.obligations import ObligationRecord, RecordStatus
from portal.core.todo import Count, Todo
from portal.residency import operations as ops

STAFF = {"secretariat_admin", "secretariat_staff"}


def todo(memberships) -> list[Todo]:
    roles = {str(m.role) for m in memberships if getattr(m, "active", True)}
    items: list[Todo] = []
    today = clock.today()
    if "chair" in roles:
        res = ops.own_residency(current_user._get_current_object())
        if res is not None:
            summary = ops.summarize(res, ops.statuses(res, today), today)
            mine = url_for("residency.mine")
            if summary.next_due:
                due, spec, _period = summary.next_due
                items.append(Todo("chair", _("下一项：%(label)s", label=spec.label), url=mine, due=due,
                                  article=spec.article))
            items.append(Todo("chair", _("已逾期的义务"), count=len(summary.overdue), url=mine,
                              urgent=bool(summary.overdue), article="A9"))
            returned = sum(len(st.returned_records) for st in summary.statuses)
            items.append(Todo("chair", _("退回修改的记录"), count=returned, url=mine, urgent=returned > 0))
    if roles & STAFF:
        waiting = Count(sa.select(ObligationRecord.id).where(
            ObligationRecord.subject_type == ops.SUBJECT_TYPE, ObligationRecord.status == RecordStatus.submitted))
        items.append(Todo("secretariat", _("待确认的驻会记录"), count=waiting, url=url_for("residency.roster"),
                          article="A9"))
        items.append(Todo("secretariat", _("驻会执行主席名册：各项义务完成情况"), url=url_for("residency.roster"),
                          article="A8"))
    if "department_head" in roles:
        # A9/A12: within the head's departments only, the same lists the desk shows
        from portal.residency.desk import desk

        d = desk(current_user._get_current_object(), today)
        url = url_for("residency.head_desk")
        items.append(Todo("department_head", _("本部门驻会执行主席"), count=len(d.current), url=url, article="A12"))
        overdue = [t for t in d.talks_due if t.period.state == "overdue"]
        upcoming = [t for t in d.talks_due if t.period.state != "overdue"]
        items.append(Todo("department_head", _("应进行的谈心谈话"), count=len(d.talks_due), url=url, article="A9",
                          due=upcoming[0].period.due if upcoming else None, urgent=bool(overdue),
                          detail=_("其中已逾期 %(n)s 次", n=len(overdue)) if overdue else None))
        items.append(Todo("department_head", _("待确认的驻会记录"), count=len(d.to_confirm), url=url, article="A9"))
    return items
