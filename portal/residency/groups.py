"""A13 working groups: the federation committee's groups (``residency.working_groups``, read
through the cohort's pinned rules), each led by one or more chairs, with member organizations
(小组成员单位) drawn from the A2 presidium registry and an activity log that feeds the A17
appraisal. ``Residency.working_group`` mirrors the chair's lead assignment. Flush, never commit.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import audit, clock
from portal.core.obligations import FieldError
from portal.extensions import db
from portal.reference.models import PresidiumMembership, StudentUnion
from portal.residency.models import (ENDED, Residency, WorkingGroup, WorkingGroupActivity, WorkingGroupLead,
                                    WorkingGroupMember, WorkingGroupParticipant)


def _cohort_residencies(cohort: str) -> list[Residency]:
    return list(db.session.scalars(sa.select(Residency).where(Residency.cohort == cohort).order_by(Residency.id)))


def group_names(cohort: str, tenant=None) -> list[str]:
    """The cohort's groups as its residencies' pinned rules name them (A23); a cohort without
    residencies reads the tenant's effective rules."""
    res = db.session.scalar(sa.select(Residency).where(Residency.cohort == cohort).order_by(Residency.id).limit(1))
    if res is not None:
        return list(res.rule("residency.working_groups"))
    if tenant is None:
        return []
    from tenants.rules.operations import effective_rules

    return list(effective_rules(tenant)["residency.working_groups"])


def ensure_groups(tenant, cohort: str) -> list[WorkingGroup]:
    """The cohort's groups, made once from the rule (a group the rule no longer names is kept
    with its history; it just takes no new leads)."""
    names = group_names(cohort, tenant)
    have = {g.name: g for g in db.session.scalars(sa.select(WorkingGroup).where(WorkingGroup.cohort == cohort))}
    for i, name in enumerate(names):
        if name not in have:
            g = WorkingGroup(tenant_id=tenant.id, cohort=cohort, name=name, sort=i)
            db.session.add(g)
            have[name] = g
    db.session.flush()
    return groups_of(cohort)


def groups_of(cohort: str) -> list[WorkingGroup]:
    return list(db.session.scalars(sa.select(WorkingGroup).where(WorkingGroup.cohort == cohort)
                                   .order_by(WorkingGroup.sort, WorkingGroup.id)))


def get_group(group_id: int) -> WorkingGroup | None:
    return db.session.scalar(sa.select(WorkingGroup).where(WorkingGroup.id == group_id))


def _ids(values, field: str) -> list[int]:
    out = []
    for v in values or []:
        try:
            i = int(v)
        except (TypeError, ValueError):
            raise FieldError(f"「{str(v)[:20]}」不是有效的编号", field) from None
        if i not in out:
            out.append(i)
    return out


def set_leads(group: WorkingGroup, residency_ids, *, actor) -> WorkingGroup:
    """A13: the chairs leading this group (one or more, of the group's cohort, in residence; a
    chair leading another group is moved here, and ``Residency.working_group`` follows)."""
    ids = _ids(residency_ids, "residency_ids")
    if group.name not in group_names(group.cohort):
        raise FieldError(f"「{group.name}」已不在本届工作小组规则中", "residency_ids")
    found = {r.id: r for r in db.session.scalars(sa.select(Residency).where(Residency.id.in_(ids)))} if ids else {}
    for rid in ids:
        r = found.get(rid)
        if r is None or r.cohort != group.cohort:
            raise FieldError(f"驻会执行主席 {rid} 不属于 {group.cohort} 届", "residency_ids")
        if r.status in ENDED:
            raise FieldError(f"{r.chair.name}的驻会已结束", "residency_ids")
    before = [lead.residency_id for lead in group.leads]
    for lead in list(group.leads):
        if lead.residency_id not in ids:
            group.leads.remove(lead)
            r = db.session.get(Residency, lead.residency_id)
            if r is not None and r.working_group == group.name:
                r.working_group = None
    db.session.flush()
    for rid in ids:
        if rid in before:
            continue
        other = db.session.scalar(sa.select(WorkingGroupLead).where(WorkingGroupLead.residency_id == rid))
        if other is not None:  # one group per chair: moved here
            db.session.delete(other)
            db.session.flush()
        group.leads.append(WorkingGroupLead(tenant_id=group.tenant_id, residency_id=rid))
        found[rid].working_group = group.name
    db.session.flush()
    audit.record("working_group.leads", "working_group", group.id, actor=actor, article="A13",
                 before={"residency_ids": before}, after={"residency_ids": ids, "group": group.name})
    return group


def set_lead_of(res: Residency, group_name: str | None, *, actor, tenant=None) -> None:
    """The profile's group field: lead ``group_name`` (or none), through the group's leads."""
    from tenants.models import Tenant

    tenant = tenant or db.session.get(Tenant, res.tenant_id)
    current = db.session.scalar(sa.select(WorkingGroupLead).where(WorkingGroupLead.residency_id == res.id))
    if current is not None:
        g = db.session.get(WorkingGroup, current.group_id)
        if group_name == g.name:
            return
        set_leads(g, [lead.residency_id for lead in g.leads if lead.residency_id != res.id], actor=actor)
    if group_name:
        groups = {g.name: g for g in ensure_groups(tenant, res.cohort)}
        g = groups[group_name]
        set_leads(g, [lead.residency_id for lead in g.leads] + [res.id], actor=actor)
    else:
        res.working_group = None
        db.session.flush()


def presidium_unions(on: dt.date | None = None) -> list[StudentUnion]:
    """A2: the unions sitting on the presidium on ``on`` (the registry)."""
    on = on or clock.today()
    return list(db.session.scalars(
        sa.select(StudentUnion).join(PresidiumMembership, PresidiumMembership.union_id == StudentUnion.id)
        .where(PresidiumMembership.term_start <= on,
               sa.or_(PresidiumMembership.term_end.is_(None), PresidiumMembership.term_end >= on))
        .distinct().order_by(StudentUnion.id)))


def set_members(group: WorkingGroup, union_ids, *, actor, today: dt.date | None = None) -> WorkingGroup:
    """A13: the group's member organizations, each a presidium member today (A2)."""
    today = today or clock.today()
    ids = _ids(union_ids, "union_ids")
    allowed = {u.id: u for u in presidium_unions(today)}
    for uid in ids:
        if uid not in allowed:
            raise FieldError(f"组织 {uid} 不是主席团成员团体（第二条），不能作为小组成员单位", "union_ids")
    before = [m.union_id for m in group.members]
    for m in list(group.members):
        if m.union_id not in ids:
            group.members.remove(m)
    for uid in ids:
        if uid not in before:
            group.members.append(WorkingGroupMember(tenant_id=group.tenant_id, union_id=uid))
    db.session.flush()
    audit.record("working_group.members", "working_group", group.id, actor=actor, article="A13",
                 before={"union_ids": before}, after={"union_ids": ids})
    return group


def record_activity(group: WorkingGroup, *, held_on, title, outcome, union_ids, actor,
                    today: dt.date | None = None) -> WorkingGroupActivity:
    """A13: one activity of the group: its date (inside the cohort's term, not in the future),
    title, the member organizations taking part (of this group), and its outcome."""
    today = today or clock.today()
    title, outcome = (title or "").strip(), (outcome or "").strip()
    if held_on is None:
        raise FieldError("请填写活动日期", "held_on")
    if held_on > today:
        raise FieldError(f"活动日期 {held_on.isoformat()} 晚于今天", "held_on")
    residencies = _cohort_residencies(group.cohort)
    if residencies:
        first, last = min(r.term_start for r in residencies), max(r.term_end for r in residencies)
        if not first <= held_on <= last:
            raise FieldError(f"活动日期应在 {group.cohort} 届驻会期间（{first.isoformat()} 至 {last.isoformat()}）内",
                             "held_on")
    if not title:
        raise FieldError("请填写活动名称", "title")
    if len(title) > 200:
        raise FieldError("活动名称不能超过200字", "title")
    if not outcome:
        raise FieldError("请填写活动成果", "outcome")
    if len(outcome) > 20000:
        raise FieldError("活动成果不能超过20000字", "outcome")
    ids = _ids(union_ids, "union_ids")
    members = {m.union_id for m in group.members}
    for uid in ids:
        if uid not in members:
            raise FieldError(f"组织 {uid} 不是「{group.name}」的成员单位", "union_ids")
    a = WorkingGroupActivity(tenant_id=group.tenant_id, group_id=group.id, held_on=held_on, title=title,
                             outcome=outcome, recorded_by_id=getattr(actor, "id", None))
    a.participants = [WorkingGroupParticipant(tenant_id=group.tenant_id, union_id=uid) for uid in ids]
    db.session.add(a)
    db.session.flush()
    audit.record("working_group.activity", "working_group", group.id, actor=actor, article="A13",
                 after={"activity_id": a.id, "held_on": held_on, "title": title, "union_ids": ids})
    return a


def activities_of(group_ids) -> dict[int, list[WorkingGroupActivity]]:
    ids = list(group_ids)
    out: dict[int, list[WorkingGroupActivity]] = {i: [] for i in ids}
    if not ids:
        return out
    for a in db.session.scalars(sa.select(WorkingGroupActivity).where(WorkingGroupActivity.group_id.in_(ids))
                                .order_by(WorkingGroupActivity.held_on, WorkingGroupActivity.id)):
        out[a.group_id].append(a)
    return out


def led_by(res: Residency) -> WorkingGroup | None:
    lead = db.session.scalar(sa.select(WorkingGroupLead).where(WorkingGroupLead.residency_id == res.id))
    return db.session.get(WorkingGroup, lead.group_id) if lead is not None else None

