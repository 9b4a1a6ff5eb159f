"""Whose turn it is now: after each step of selection, the person who acts next is told (issue 9).

The workflow announces every transition (``portal.core.workflow.transition_applied``); this
module hears the nomination's and the cycle's and puts a notification in the outbox for the
members whose work the step opens, in the same transaction (a rolled-back step tells no one):

==========================  ===================================  ====================================
step                        who acts next                        how often
==========================  ===================================  ====================================
报送 (A6.2)                 the secretariat (资格审查)            once per school and cycle
确认资格条件 (A5)           the reviewer of the school's province once per nominee
完成审查考察 (A6.3)          the secretariat (笔试面试)            once per cycle and day
退回排名 (A6.5, approver)    the secretariat                      once per nominee and return
撤回 (A6.2)                 the secretariat                      once per nominee
公示 (A6.5)                 the school's liaison                 once per nominee
进入审查考察 (cycle)         every provincial reviewer            once per cycle
==========================  ===================================  ====================================

The A6.1 letter, the A6.5 consent request (approvals), the decision on it, objections, the
appointment and a disqualification notify from their own operations. Each notification's
dedupe key makes a second worker or a repeated step tell no one twice.
"""
from __future__ import annotations

import sqlalchemy as sa

from portal.core import clock
from portal.core.roles import STAFF_ROLES, Role
from portal.extensions import db
from tenants.rules.registry import article_citation

TEMPLATES = [
    ("selection.turn.submitted", "推荐人选待资格审查", "{{ school }}已报送推荐人选，请进行资格审查",
     "「{{ cycle }}」中，{{ school }}已报送推荐人选（{{ name }}等），请在平台上进行资格条件审查（管理办法{{ article }}）。",
     "A6.2"),
    ("selection.turn.review", "推荐人选待审查考察", "{{ name }}（{{ school }}）待审查考察",
     "「{{ cycle }}」中，{{ school }}推荐的{{ name }}已通过资格条件审查，请进行政治把关和审查考察（管理办法{{ article }}）。",
     "A6.3"),
    ("selection.turn.exams", "审查考察已完成，待组织笔试面试", "「{{ cycle }}」有人选完成审查考察",
     "「{{ cycle }}」中，{{ name }}等人选已完成审查考察，请组织笔试、面试（管理办法{{ article }}）。", "A6.4"),
    ("selection.turn.returned", "拟任人选被退回", "{{ name }}被退回排名",
     "「{{ cycle }}」中，拟任人选{{ name }}（{{ school }}）被退回排名。理由：{{ reason }}。请研究后重新报批（管理办法{{ article }}）。",
     "A6.5"),
    ("selection.turn.withdrawn", "推荐人选被撤回", "{{ school }}撤回了推荐人选{{ name }}",
     "「{{ cycle }}」中，{{ school }}撤回了推荐人选{{ name }}。理由：{{ reason }}（管理办法{{ article }}）。", "A6.2"),
    ("selection.turn.publicized", "推荐人选进入公示", "{{ name }}已进入公示",
     "贵校推荐的{{ name }}已列入「{{ cycle }}」拟任人选公示，公示期内如有异议将另行通知（管理办法{{ article }}）。", "A6.5"),
    ("selection.turn.cycle_review", "选拔进入审查考察阶段", "「{{ cycle }}」进入审查考察阶段",
     "「{{ cycle }}」已进入审查考察阶段，请及时审查本省（区、市）推荐人选（管理办法{{ article }}）。", "A6.3"),
]


def _members(roles, **where):
    from tenants.models import Membership

    stmt = sa.select(Membership).where(Membership.role.in_(list(roles)), Membership.active.is_(True))
    for column, value in where.items():
        stmt = stmt.where(getattr(Membership, column) == value)
    return list(db.session.scalars(stmt))


def _tell(members, key: str, context: dict, *, dedupe: str, related_type: str, related_id) -> int:
    from portal.selection import outbox

    told = set()
    for m in members:
        if m.user_id in told:
            continue
        told.add(m.user_id)
        outbox.notify(m.tenant_id, template_key=key, context=context, recipient_user_id=m.user_id,
                      channels=("email", "inbox"), related_type=related_type, related_id=related_id,
                      dedupe_key=f"{dedupe}:{m.user_id}")
    return len(told)


def _cycle_of(nom):
    from portal.selection.models import SelectionCycle

    return db.session.get(SelectionCycle, nom.cycle_id)


def on_nomination(_machine, *, obj, transition, before, actor, note):
    nom, name = obj, transition.name
    if name not in NOMINATION_TURNS:
        return
    cycle = _cycle_of(nom)
    context = {"cycle": cycle.title, "school": nom.school.name, "name": nom.name, "article": "",
               "reason": note or ""}
    NOMINATION_TURNS[name](nom, cycle, context)


def _submitted(nom, cycle, context):
    _tell(_members(STAFF_ROLES), "selection.turn.submitted", context | {"article": article_citation("A6.2")},
          dedupe=f"turn-submitted:{cycle.id}:{nom.school_id}", related_type="selection_cycle", related_id=cycle.id)


def _eligible(nom, cycle, context):
    reviewers = _members([Role.provincial_reviewer], province_code=nom.school.province_code)
    _tell(reviewers, "selection.turn.review", context | {"article": article_citation("A6.3")},
          dedupe=f"turn-review:{nom.id}", related_type="nomination", related_id=nom.id)


def _reviewed(nom, cycle, context):
    _tell(_members(STAFF_ROLES), "selection.turn.exams", context | {"article": article_citation("A6.4")},
          dedupe=f"turn-exams:{cycle.id}:{clock.today().isoformat()}", related_type="selection_cycle",
          related_id=cycle.id)


def _returned(nom, cycle, context):
    from portal.core.db import utcnow

    _tell(_members(STAFF_ROLES), "selection.turn.returned", context | {"article": article_citation("A6.5")},
          dedupe=f"turn-returned:{nom.id}:{utcnow().isoformat()}", related_type="nomination", related_id=nom.id)


def _withdrawn(nom, cycle, context):
    _tell(_members(STAFF_ROLES), "selection.turn.withdrawn", context | {"article": article_citation("A6.2")},
          dedupe=f"turn-withdrawn:{nom.id}", related_type="nomination", related_id=nom.id)


def _publicized(nom, cycle, context):
    _tell(_members([Role.school_liaison], school_id=nom.school_id), "selection.turn.publicized",
          context | {"article": article_citation("A6.5")}, dedupe=f"turn-publicized:{nom.id}", related_type="nomination",
          related_id=nom.id)


NOMINATION_TURNS = {"submit": _submitted, "confirm_eligibility": _eligible, "complete_review": _reviewed,
                    "unpropose": _returned, "withdraw": _withdrawn, "publicize": _publicized}


def on_cycle(_machine, *, obj, transition, before, actor, note):
    if transition.name != "begin_review":
        return
    _tell(_members([Role.provincial_reviewer]), "selection.turn.cycle_review",
          {"cycle": obj.title, "article": article_citation("A6.3")}, dedupe=f"turn-cycle-review:{obj.id}",
          related_type="selection_cycle", related_id=obj.id)


def init_app(app):
    from portal.core.workflow import transition_applied
    from portal.selection import outbox
    from portal.selection.workflow import CYCLE, NOMINATION

    for key, label, subject, body, article in TEMPLATES:
        outbox.register_default_template(key, label, subject, body, article)
    transition_applied.connect(on_nomination, sender=NOMINATION.name, weak=False)
    transition_applied.connect(on_cycle, sender=CYCLE.name, weak=False)
