"""Chapter 2's part of each role's home page: what waits on the signed-in user (A6, A7).

Every count uses the user's nomination scope (portal/selection/access.py), the same rule as
the lists it links to: a provincial reviewer counts its province's candidates only, a
liaison its school's.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from portal.core import clock
from portal.core.calendar import calendar
from portal.core.todo import Count, Todo
from portal.extensions import db
from portal.selection.access import scope_for
from portal.selection.models import (
    CycleStatus, Invitation, Nomination, NominationStatus, Objection, ObjectionStatus, PublicNotice,
    SelectionCycle,
)
from tenants.models import Role

STAFF = {Role.secretariat_admin, Role.secretariat_staff}
DEADLINE_WORKDAYS = 10  # the secretariat sees the deadlines of the next ten working days


def _count(stmt) -> Count:
    return Count(stmt)  # run with the other providers' counts in one statement (core.todo)


def current_cycle() -> SelectionCycle | None:
    """The cycle under way: the latest not yet closed, else the latest (once per request: the
    to-do list and the charts of one home page read the same cycle)."""
    from flask import g, has_request_context

    if has_request_context() and "_current_cycle" in g:
        return g._current_cycle
    cycle = db.session.scalar(sa.select(SelectionCycle).order_by(
        (SelectionCycle.status == CycleStatus.closed).asc(), SelectionCycle.academic_year.desc()).limit(1))
    if has_request_context():
        g._current_cycle = cycle
    return cycle


def _noms(cycle, scope, *statuses):
    return sa.select(Nomination.id).where(Nomination.cycle_id == cycle.id, Nomination.status.in_(statuses),
                                          scope.clause())


def todo(memberships) -> list[Todo]:
    roles = {m.role for m in memberships if getattr(m, "active", True)}
    cycle = current_cycle()
    if cycle is None:
        if roles & STAFF:
            return [Todo("secretariat", _("尚未开始本学年的选拔：新建选拔周期"), url=url_for("selection.index"),
                         article="A4")]
        return []
    scope = scope_for(memberships)
    items: list[Todo] = []
    cycle_url = url_for("selection.cycle", cycle_id=cycle.id)
    list_url = lambda status: url_for("selection.nominations", cycle_id=cycle.id, status=status)  # noqa: E731
    if roles & STAFF:
        items.append(Todo("secretariat", _("%(title)s：当前阶段「%(stage)s」", title=cycle.title,
                                           stage=_(cycle.status_label)), url=cycle_url, article="A6"))
        if cycle.status == CycleStatus.open:
            items.append(Todo("secretariat", _("未发出的推荐函"), url=cycle_url + "#letters", article="A6.1",
                              count=_count(sa.select(Invitation.id).where(Invitation.cycle_id == cycle.id,
                                                                          Invitation.sent_at.is_(None)))))
        items.append(Todo("secretariat", _("学校已报送、待资格审查的人选"), url=list_url("submitted"),
                          article="A5", count=_count(_noms(cycle, scope, NominationStatus.submitted))))
        objections = _count(sa.select(Objection.id).join(PublicNotice, Objection.notice_id == PublicNotice.id)
                            .where(PublicNotice.cycle_id == cycle.id, Objection.status == ObjectionStatus.received))
        items.append(Todo("secretariat", _("待核查的异议"), url=cycle_url + "#objections", article="A6.5",
                          count=objections, urgent_if_waiting=True))
        today = clock.today()
        horizon = calendar().add_workdays(today, DEADLINE_WORKDAYS)
        due_soon = [s for s in cycle.steps if s.done_at is None and s.due_on is not None and s.due_on <= horizon]
        for step in sorted(due_soon, key=lambda s: (s.due_on, s.position)):
            items.append(Todo("secretariat", _("截止：%(step)s", step=_(step.label)), url=cycle_url, due=step.due_on,
                              article=step.article, urgent=step.due_on < today,
                              detail=_("已逾期") if step.due_on < today else None))
    if Role.provincial_reviewer in roles and scope.is_provincial:
        # one item per list it links to, so a count never shows more than its list
        items.append(Todo("reviewer", _("本省待审查考察的人选"), article="A6.3", url=list_url("eligibility_checked"),
                          count=_count(_noms(cycle, scope, NominationStatus.eligibility_checked))))
        items.append(Todo("reviewer", _("本省审查考察中的人选"), article="A6.3", url=list_url("under_review"),
                          count=_count(_noms(cycle, scope, NominationStatus.under_review))))
    if Role.approver in roles and cycle.status == CycleStatus.deciding:
        items.append(Todo("approver", _("报批的拟任人选"), url=cycle_url, article="A6.5",
                          count=_count(_noms(cycle, scope, NominationStatus.proposed))))
    if Role.school_liaison in roles and scope.school_ids:
        mine = Invitation.school_id.in_(sorted(scope.school_ids))
        unanswered = _count(sa.select(Invitation.id).where(Invitation.cycle_id == cycle.id, mine,
                                                           Invitation.sent_at.is_not(None),
                                                           Invitation.acknowledged_at.is_(None)))
        items.append(Todo("liaison", _("待确认收到的推荐函"), article="A6.1", count=unanswered,
                          url=_invitation_url(cycle, scope)))
        drafts = _count(_noms(cycle, scope, NominationStatus.draft))
        items.append(Todo("liaison", _("待完善、尚未报送的人选"), article="A6.2", count=drafts,
                          url=_invitation_url(cycle, scope)))
    return items


def _invitation_url(cycle, scope) -> str | None:
    inv_id = db.session.scalar(sa.select(Invitation.id).where(
        Invitation.cycle_id == cycle.id, Invitation.school_id.in_(sorted(scope.school_ids)),
        Invitation.sent_at.is_not(None)).order_by(Invitation.id).limit(1))
    return url_for("selection.invitation", inv_id=inv_id) if inv_id else None


# --- the cycle's charts (drawn on the server as SVG: no script, no outside CDN) ---------------

FUNNEL = (  # A6: each stage counts the nominations that reached it (or went further)
    ("submitted", "学校报送", "A6.2"), ("eligibility_checked", "资格审查", "A5"), ("reviewed", "审查考察", "A6.3"),
    ("examined", "笔试面试", "A6.4"), ("proposed", "拟任报批", "A6.5"), ("publicized", "公示", "A6.5"),
    ("appointed", "任用", "A6.5"),
)
_ORDER = [s.value for s in NominationStatus]


def stages_reached(by_status) -> list[dict]:
    """The funnel: per stage, the nominations at it or past it (disqualified and withdrawn ones
    count as submitted only: the stage they had reached is not kept)."""
    counts = {str(k): v for k, v in by_status.items()}
    last = _ORDER.index("appointed")
    out = []
    for key, label, article in FUNNEL:
        reached = sum(counts.get(status, 0) for status in _ORDER[_ORDER.index(key):last + 1])
        if key == "submitted":
            reached += counts.get("disqualified", 0) + counts.get("withdrawn", 0)
        out.append({"key": key, "label": label, "article": article, "count": reached})
    return out


def charts() -> dict | None:
    """The home page's charts of the current cycle, for the roles that see the whole cycle or a
    province of it (None for the others)."""
    from flask import g

    from portal.selection.access import CYCLE_PAGE

    memberships = g.get("memberships") or []
    if not any(m.role in CYCLE_PAGE for m in memberships):
        return None
    cycle = current_cycle()
    if cycle is None:
        return None
    from portal.reference.operations import province_names
    from portal.selection.operations import funnel

    f = funnel(cycle, scope_for(memberships))
    stages = stages_reached(f.by_status)
    names = province_names()
    stages = [{"label": _(s["label"]), "count": s["count"]} for s in stages]
    provinces = [{"label": names.get(code, code), "count": n} for code, n in f.by_province[:12]]
    routes = [{"label": _("轮值") if str(k) == "rotation" else _("遴选"), "count": n}
              for k, n in sorted(f.by_route.items(), key=lambda kv: str(kv[0]))]
    top = max([s["count"] for s in stages + provinces + routes] + [1])
    return {"cycle": cycle, "funnel": stages, "provinces": provinces, "routes": routes, "top": top}
