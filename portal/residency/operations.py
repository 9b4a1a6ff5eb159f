"""Chapter 3 (A8–A14): the year in residence. Plain functions over the models; flush, never commit.

A confirmed appointment (A6.5) reaches this module as the ``chair.appointed`` signal
(:func:`open_residency`): selection never imports residency. The obligations (A9, A10, A11,
A14) are rule data read through :mod:`portal.core.obligations` under the cycle's pinned rules.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import defer
from flask import current_app, has_request_context

from portal.core import audit, clock, obligations
from portal.core.db import any_of
from portal.core.errors import DomainError, Conflict
from portal.core.obligations import FieldError, ObligationRecord, ObligationSpec, Subject
from portal.core.signals import residency_ended
from portal.extensions import db
from portal.reference.models import School
from portal.residency.models import (ENDED, Chair, LeadershipMeeting, MeetingAttendee, Residency, ResidencyStatus,
                                    Talk, TalkReader)
from tenants.models import Membership, Role, Tenant

OBLIGATION_PREFIX = "residency.obligation."
SUBJECT_TYPE = "residency"
STAFF = ("secretariat_admin", "secretariat_staff")


# --- opening a residency (A8, on A6.5's confirmation) -----------------------------------------

def open_residency(chair: Chair, *, cycle, nomination, actor) -> Residency:
    """The chair's residency under the cycle's pinned rules, and the chair's login; once per chair
    (a second signal for the same chair returns the first residency)."""
    existing = db.session.scalar(sa.select(Residency).where(Residency.chair_id == chair.id))
    if existing is not None:
        return existing
    res = Residency(tenant_id=chair.tenant_id, chair_id=chair.id, cycle_id=cycle.id, cohort=cycle.academic_year,
                    school_id=chair.school_id, union_id=getattr(nomination, "union_id", None),
                    term_start=chair.term_start, term_end=chair.term_end, appointed_term_end=chair.term_end,
                    status=ResidencyStatus.in_residence, rules_version=cycle.rules_version,
                    rules_snapshot=dict(cycle.rules_snapshot or {}))
    try:
        with db.session.begin_nested():
            db.session.add(res)
            db.session.flush()
    except sa.exc.IntegrityError:  # a concurrent confirmation opened it first
        found = db.session.scalar(sa.select(Residency).where(Residency.chair_id == chair.id))
        if found is None:
            raise
        return found
    audit.record("residency.opened", "residency", res.id, actor=actor, article="A8",
                 after={"chair_id": chair.id, "name": chair.name, "cohort": res.cohort,
                        "term_start": res.term_start, "term_end": res.term_end, "rules_version": res.rules_version})
    email = (getattr(nomination, "email", None) or "").strip().lower()
    if email:
        link_login(res, email, actor=actor)
    return res


def on_chair_appointed(chair, **kw):
    open_residency(chair, cycle=kw["cycle"], nomination=kw.get("nomination"), actor=kw.get("actor"))


@contextlib.contextmanager
def _url_context():
    """Invitation links are absolute: outside a request (a job, the demo, a test) build them
    against the public address."""
    if has_request_context():
        yield
        return
    with current_app.test_request_context(base_url=current_app.config.get("PUBLIC_BASE_URL") or None):
        yield


def link_login(res: Residency, email: str, *, actor):
    """Create or link the chair's account with the 'chair' role, and invite them to set a
    password (the members invitation: only a new account gets a set-password link)."""
    from portal.auth.operations import find_user
    from portal.members.operations import Invitee, invite

    chair = res.chair
    user = find_user(email)
    if user is not None:
        held = db.session.scalar(sa.select(Membership).where(
            Membership.user_id == user.id, Membership.role == Role.chair, Membership.active.is_(True)))
        if held is not None:
            chair.user_id = user.id
            db.session.flush()
            return user
    tenant = db.session.get(Tenant, res.tenant_id)
    with _url_context():
        inv = invite(tenant, Invitee(name=chair.name, email=email, role=Role.chair), actor=actor)
    chair.user_id = inv.user_id
    db.session.flush()
    audit.record("chair.login_linked", "chair", chair.id, actor=actor, article="A8",
                 after={"user_id": inv.user_id, "email": email, "invitation_id": inv.id})
    return inv.user


# --- the term and its obligations ---------------------------------------------------------------

def segments(res: Residency, segs=None) -> tuple[tuple[dt.date, dt.date], ...]:
    """A12: the chair's recorded rotation segments; until a plan is recorded, the term cut into
    stretches of ``residency.rotation_period_months`` (in principle a new post each)."""
    from portal.residency import rotation

    segs = rotation.history(res) if segs is None else segs
    if segs:
        return tuple((s.starts_on, s.ends_on) for s in segs)
    months = int(res.rule("residency.rotation_period_months"))
    out, k = [], 0
    while (s := obligations.add_months(res.term_start, k * months)) <= res.term_end:
        out.append((s, min(obligations.add_months(res.term_start, (k + 1) * months) - dt.timedelta(days=1),
                           res.term_end)))
        k += 1
    return tuple(out)


TALK_STRETCHES = "talk_segments"


def subject(res: Residency, segs=None) -> Subject:
    """The residency as an obligations subject: its term, its segments, and (A9) the stretches
    its talks fall due in under ``residency.talk_segments``."""
    from portal.residency import rotation

    segs = rotation.history(res) if segs is None else segs
    talk = rotation.talk_stretches(res, segs)
    return Subject(res.tenant_id, SUBJECT_TYPE, res.id, res.term_start, res.term_end, segments(res, segs),
                   stretches={TALK_STRETCHES: talk} if talk is not None else {})


def specs_for(res: Residency) -> list[ObligationSpec]:
    """Every obligation rule, as pinned by the residency's cycle (A9's talks run inside the
    stretches ``residency.talk_segments`` names)."""
    import dataclasses

    from tenants.rules.registry import REGISTRY

    out = []
    for r in REGISTRY:
        if r.type == "obligation" and r.key.startswith(OBLIGATION_PREFIX):
            spec = ObligationSpec.from_rule(r.key, r.article, res.rule(r.key), res.rule, r.citation)
            if spec.key == TALK_KEY and not spec.within:
                spec = dataclasses.replace(spec, within=TALK_STRETCHES)
            out.append(spec)
    return out


def spec_for(res: Residency, key: str) -> ObligationSpec:
    full = key if key.startswith(OBLIGATION_PREFIX) else OBLIGATION_PREFIX + key
    for s in specs_for(res):
        if s.key == full:
            return s
    raise FieldError(f"未知的驻会义务「{key[:60]}」", "obligation")


def statuses(res: Residency, today: dt.date | None = None, records=None,
             segs=None) -> list[obligations.ObligationStatus]:
    today = today or clock.today()
    if records is None:
        records = obligations.records_for(SUBJECT_TYPE, [res.id])[res.id]
    return obligations.compute(subject(res, segs), specs_for(res), records, today)


@dataclass
class Summary:
    """One chair's standing (the roster's row): what was due so far and what is met."""

    residency: Residency
    statuses: list
    required: int
    met: int
    overdue: list
    next_due: tuple | None  # (date, spec, period)
    post: str | None = None  # A12: the segment covering today (else the recorded post)

    @property
    def all_met(self) -> bool:
        return self.met >= self.required and not self.overdue


def summarize(res: Residency, sts, today: dt.date) -> Summary:
    due_so_far = [(st, p) for st in sts for p in st.periods if p.due is not None and p.due <= today]
    met = sum(1 for _, p in due_so_far if p.met)
    overdue = [(st.spec, p) for st in sts for p in st.overdue]
    upcoming = sorted(((p.due, st.spec, p) for st in sts for p in st.periods
                       if not p.met and p.due is not None and p.due >= today),
                      key=lambda x: (x[0], x[1].key))
    return Summary(res, sts, len(due_so_far), met, overdue, upcoming[0] if upcoming else None)


def roster_query(*, cohort: str | None = None, status: str | None = None, province: str | None = None,
                 head_user_id: int | None = None):
    """The roster's statement; ``head_user_id`` scopes it to a department head's chairs (those
    who are or were in the head's departments: A9, A12), for the list and its count alike."""
    stmt = (sa.select(Residency).join(School, School.id == Residency.school_id)
            .order_by(Residency.cohort.desc(), School.province_code, School.code, Residency.id))
    if head_user_id is not None:
        from portal.residency.rotation import head_residency_ids

        stmt = stmt.where(Residency.id.in_(head_residency_ids(head_user_id)))
    if cohort:
        stmt = stmt.where(Residency.cohort == cohort)
    if status:
        stmt = stmt.where(Residency.status == ResidencyStatus(status))
    if province:
        stmt = stmt.where(School.province_code == province)
    return stmt


def roster(residencies: list[Residency], today: dt.date | None = None) -> list[Summary]:
    """Each chair's standing, with every record and every segment read in one statement each."""
    from portal.residency import rotation

    today = today or clock.today()
    share_snapshots(residencies)
    ids = [r.id for r in residencies]
    recs = obligations.records_for(SUBJECT_TYPE, ids)
    segs = rotation.segments_of(ids)
    memo: dict = {}
    out = []
    for r in residencies:
        sts = obligations.compute(subject(r, segs[r.id]), _specs_shared(r, memo), recs[r.id], today)
        s = summarize(r, sts, today)
        s.post = rotation.current_post(r, segs[r.id], today)
        out.append(s)
    return out


def cohorts() -> list[str]:
    return list(db.session.scalars(sa.select(Residency.cohort).distinct().order_by(Residency.cohort.desc())))


# --- who may do what ----------------------------------------------------------------------------

def roles_toward(res: Residency, user, roles) -> set[str]:
    """The actor's roles toward this residency: their staff roles, and "chair" only for its own
    chair (who may see it at all is :func:`may_view`; which head may record a talk on which day
    is :func:`portal.residency.rotation.check_talk_recorder`)."""
    held = {str(r) for r in roles} & {"secretariat_admin", "secretariat_staff", "department_head"}
    if user is not None and res.chair.user_id is not None and res.chair.user_id == getattr(user, "id", None):
        held.add("chair")
    return held


def may_view(res: Residency, user, roles) -> bool:
    """Staff any chair; a department head the chairs who are or were in the head's departments
    (A9, A12); a chair their own."""
    held = roles_toward(res, user, roles)
    if held & set(STAFF) or "chair" in held:
        return True
    if "department_head" in held:
        from portal.residency import rotation

        uid = getattr(user, "id", None)
        return any(rotation.heads_segment(s, uid) for s in rotation.history(res))
    return False


def own_residency(user) -> Residency | None:
    """The signed-in chair's current residency (the latest, if a chair served twice)."""
    if user is None or not getattr(user, "id", None):
        return None
    return db.session.scalar(sa.select(Residency).join(Chair, Chair.id == Residency.chair_id)
                             .where(Chair.user_id == user.id).order_by(Residency.term_start.desc()).limit(1))


# --- records (A9–A14) ---------------------------------------------------------------------------

def record(res: Residency, key: str, *, actor, roles, occurred_on, title, content=None, evidence=None,
           today: dt.date | None = None) -> ObligationRecord:
    spec = spec_for(res, key)
    if spec.key == TALK_KEY and set(spec.recorded_by) & roles_toward(res, actor, roles):
        from portal.residency.rotation import check_talk_recorder

        check_talk_recorder(res, actor, occurred_on)  # A9: the head of the segment covering the day
    return obligations.submit(subject(res), spec, actor=actor, roles=roles_toward(res, actor, roles),
                              occurred_on=occurred_on, title=title, content=content, evidence=evidence,
                              today=today or clock.today())


def review(rec: ObligationRecord, accept: bool, *, actor, roles, note=None) -> ObligationRecord:
    res = residency_of(rec)
    spec = spec_for(res, rec.obligation_key)
    return obligations.review(rec, spec, accept, actor=actor, roles=roles_toward(res, actor, roles), note=note)


def residency_of(rec: ObligationRecord) -> Residency:
    res = db.session.scalar(sa.select(Residency).where(Residency.id == rec.subject_id))
    if rec.subject_type != SUBJECT_TYPE or res is None:
        raise DomainError("该记录不属于驻会执行主席", status=404)
    return res


def get_record(rec_id: int) -> ObligationRecord | None:
    return db.session.scalar(sa.select(ObligationRecord).where(ObligationRecord.id == rec_id,
                                                               ObligationRecord.subject_type == SUBJECT_TYPE))


# --- talks (A9): the head's record, read only by those it concerns ----------------------------

TALK_KEY = OBLIGATION_PREFIX + "a9_talk"
# A14: recorded with their details (portal.residency.relations), not through the generic form
DETAILED_KEYS = (OBLIGATION_PREFIX + "a14_dues", OBLIGATION_PREFIX + "a14_org_life")


def record_talk(res: Residency, *, actor, roles, occurred_on, place, topic, content, others_present=None,
                follow_up=None, today: dt.date | None = None) -> ObligationRecord:
    """A9: the department head records a one-to-one talk (date, place, who talked, who was
    talked to, who else was present, topic, content, follow-up); counted as an a9_talk."""
    spec = spec_for(res, TALK_KEY)
    if not set(spec.recorded_by) & roles_toward(res, actor, roles):  # the role first: 403 before any field
        raise obligations.WrongRole(f"「{spec.label}」由{spec.recorder_label}记录（{spec.citation}）")
    place, topic = (place or "").strip(), (topic or "").strip()
    others = (others_present or "").strip() or None
    if not place:
        raise FieldError("请填写谈话地点", "place")
    if len(place) > 100:
        raise FieldError("谈话地点不能超过100字", "place")
    if not topic:
        raise FieldError("请填写谈话主题", "topic")
    if len(topic) > 200:
        raise FieldError("谈话主题不能超过200字", "topic")
    if others and len(others) > 200:
        raise FieldError("其他在场人员不能超过200字", "others_present")
    if not (content or "").strip():
        raise FieldError("请填写谈话内容", "content")
    rec = record(res, TALK_KEY, actor=actor, roles=roles, occurred_on=occurred_on, title="谈心谈话",
                 content=content, today=today)
    db.session.add(Talk(tenant_id=res.tenant_id, residency_id=res.id, record_id=rec.id,
                        talked_by_id=getattr(actor, "id", None), place=place, others_present=others, topic=topic,
                        follow_up=(follow_up or "").strip() or None))
    db.session.flush()
    return rec


def talk_readers() -> set[int]:
    return set(db.session.scalars(sa.select(TalkReader.user_id)))


def may_read(rec: ObligationRecord, res: Residency, user, readers: set[int] | None = None) -> bool:
    """A talk's content: the head who held it, the chair, the designated officers; any other
    record: whoever may see the residency."""
    if rec.obligation_key != TALK_KEY:
        return True
    uid = getattr(user, "id", None)
    if uid is None:
        return False
    if uid in (rec.recorded_by_id, res.chair.user_id):
        return True
    return uid in (talk_readers() if readers is None else readers)


def talks_by_record(record_ids) -> dict[int, Talk]:
    ids = list(record_ids)
    if not ids:
        return {}
    return {t.record_id: t for t in db.session.scalars(sa.select(Talk).where(Talk.record_id.in_(ids)))}


def designate_talk_reader(tenant, user, *, actor) -> TalkReader:
    """A secretariat officer allowed to read talk content (A9)."""
    held = {m.role.value for m in db.session.scalars(sa.select(Membership).where(
        Membership.user_id == user.id, Membership.active.is_(True)))}
    if not held & set(STAFF):
        raise FieldError("只能指定本学联秘书处工作人员", "user")
    found = db.session.scalar(sa.select(TalkReader).where(TalkReader.user_id == user.id))
    if found is not None:
        return found
    reader = TalkReader(tenant_id=tenant.id, user_id=user.id, designated_by_id=getattr(actor, "id", None))
    db.session.add(reader)
    db.session.flush()
    audit.record("residency.talk_reader", "user", user.id, actor=actor, article="A9", after={"user_id": user.id})
    return reader


# --- meetings with the leadership (A9) ------------------------------------------------------

def record_meeting(*, held_on, place, leaders, minutes, residency_ids, actor,
                   today: dt.date | None = None) -> LeadershipMeeting:
    """A9: the secretariat records a meeting between the leaders and the chairs present; each
    chair present must have been in residence that day."""
    today = today or clock.today()
    place, leaders, minutes = (place or "").strip(), (leaders or "").strip(), (minutes or "").strip()
    if held_on is None:
        raise FieldError("请填写座谈日期", "held_on")
    if held_on > today:
        raise FieldError(f"座谈日期 {held_on.isoformat()} 晚于今天", "held_on")
    for field, value, limit, label in (("place", place, 100, "地点"), ("leaders", leaders, 200, "出席的领导同志"),
                                       ("minutes", minutes, 20000, "纪要")):
        if not value:
            raise FieldError(f"请填写{label}", field)
        if len(value) > limit:
            raise FieldError(f"{label}不能超过{limit}字", field)
    ids = list(dict.fromkeys(int(i) for i in residency_ids or []))
    if not ids:
        raise FieldError("请选择参加座谈的驻会执行主席", "residency_ids")
    found = {r.id: r for r in db.session.scalars(sa.select(Residency).where(Residency.id.in_(ids)))}
    for rid in ids:
        r = found.get(rid)
        if r is None:
            raise FieldError(f"驻会执行主席 {rid} 不存在", "residency_ids")
        if not r.term_start <= held_on <= r.term_end:
            raise FieldError(f"{r.chair.name}在 {held_on.isoformat()} 不在驻会期间", "residency_ids")
    m = LeadershipMeeting(tenant_id=found[ids[0]].tenant_id, held_on=held_on, place=place, leaders=leaders,
                          minutes=minutes, recorded_by_id=getattr(actor, "id", None))
    m.attendees = [MeetingAttendee(tenant_id=m.tenant_id, residency_id=rid) for rid in ids]
    db.session.add(m)
    db.session.flush()
    audit.record("residency.meeting", "residency_meeting", m.id, actor=actor, article="A9",
                 after={"held_on": held_on, "place": place, "leaders": leaders, "residency_ids": ids})
    return m


def meetings_of(res: Residency) -> list[LeadershipMeeting]:
    return list(db.session.scalars(sa.select(LeadershipMeeting).join(MeetingAttendee).where(
        MeetingAttendee.residency_id == res.id).order_by(LeadershipMeeting.held_on)))


def meetings_query():
    return sa.select(LeadershipMeeting).order_by(LeadershipMeeting.held_on.desc(), LeadershipMeeting.id.desc())


# --- the end of the term (A18, A21, or the term's end) -----------------------------------------

# What other chapters hold against a term's completion (A20: the handover checklist): each is
# ``residency -> Refusal | None``, registered from its package's init_app (no import back).
COMPLETION_GUARDS: list = []


def register_completion_guard(guard) -> None:
    if guard not in COMPLETION_GUARDS:
        COMPLETION_GUARDS.append(guard)


def end_residency(res: Residency, status: str, *, ended_on: dt.date, reason: str | None, actor) -> Residency:
    """The term ends (cut short on a removal or a departure): every due date recomputes from the
    new end; ``residency.ended`` tells the other chapters. Completion waits for every
    :data:`COMPLETION_GUARDS` (a removal or a departure does not)."""
    try:
        to = ResidencyStatus(status)
    except ValueError:
        raise FieldError("结束状态只能是 completed、removed 或 left", "status") from None
    if to not in ENDED:
        raise FieldError("结束状态只能是 completed、removed 或 left", "status")
    reason = (reason or "").strip() or None
    if to != ResidencyStatus.completed and not reason:
        raise FieldError("提前结束驻会须说明理由", "reason")
    if not res.term_start <= ended_on <= res.appointed_term_end:
        raise FieldError(f"结束日期应在 {res.term_start.isoformat()} 至 {res.appointed_term_end.isoformat()} 之间",
                         "ended_on")
    if to == ResidencyStatus.completed:
        for guard in COMPLETION_GUARDS:
            refusal = guard(res)
            if refusal is not None:
                raise refusal.error()
    from portal.core.concurrency import compare_and_set

    before = {"status": res.status.value, "term_end": res.term_end}
    if not compare_and_set(res, "status", ResidencyStatus.in_residence, to, term_end=ended_on, ended_on=ended_on,
                           end_reason=reason):
        raise Conflict("该驻会已结束（可能已被他人处理），请刷新页面")
    audit.record("residency.ended", "residency", res.id, actor=actor,
                 article={"removed": "A18", "left": "A21"}.get(to.value, "A8"), before=before,
                 after={"status": to.value, "term_end": ended_on, "reason": reason})
    residency_ended.send(res, status=to.value, ended_on=ended_on, actor=actor)
    return res


def set_post(res: Residency, *, post: str | None, working_group: str | None, actor) -> Residency:
    """A12 post (shown when no rotation segment covers the day) and A13 working group (the group
    from ``residency.working_groups``, through the group's leads, so the two never disagree)."""
    from portal.residency import groups as wg

    post = (post or "").strip() or None
    group = (working_group or "").strip() or None
    if post and len(post) > 60:
        raise FieldError("岗位不能超过60字", "post")
    groups = list(res.rule("residency.working_groups"))
    if group and group not in groups:
        raise FieldError(f"工作小组只能是：{'、'.join(groups)}", "working_group")
    before = {"post": res.post, "working_group": res.working_group}
    res.post = post
    db.session.flush()
    if group != res.working_group:
        wg.set_lead_of(res, group, actor=actor)
    audit.record("residency.post", "residency", res.id, actor=actor, article="A12", before=before,
                 after={"post": post, "working_group": res.working_group})
    return res


# --- reminders and escalation (portal.notifications.reminders) ---------------------------------

def in_residence_now() -> list[Residency]:
    """The tenant's chairs in residence, read once per tenant in a reminder sweep (the
    obligations' and A14's deadline sources share them)."""
    from portal.notifications.reminders import sweep_cache

    cache = sweep_cache()
    if "residency.in_residence" not in cache:
        cache["residency.in_residence"] = _with_shared_snapshots(
            sa.select(Residency).where(Residency.status == ResidencyStatus.in_residence).order_by(Residency.id))
    return cache["residency.in_residence"]


def _with_shared_snapshots(stmt) -> list[Residency]:
    return share_snapshots(list(db.session.scalars(stmt.options(snapshot_deferred()))))


def snapshot_deferred():
    """The load option that leaves the pinned rules to :func:`share_snapshots`."""
    return defer(Residency.rules_snapshot)


def share_snapshots(residencies: list[Residency]) -> list[Residency]:
    """Residencies loaded with :func:`snapshot_deferred` get their pinned rules decoded once per
    distinct snapshot (one statement): the chairs of one cycle carry the same copy, so its text
    is compared, not parsed, per row (the snapshot is read-only: A23's pinned rules)."""
    import json

    from sqlalchemy.orm.attributes import set_committed_value

    todo = [r for r in residencies if "rules_snapshot" not in r.__dict__]
    texts: dict[int, str] = {}
    ids = [r.id for r in todo]
    for i in range(0, len(ids), 5000):
        texts.update(db.session.execute(sa.select(Residency.id, sa.cast(Residency.rules_snapshot, sa.Text))
                                        .where(any_of(Residency.id, ids[i:i + 5000]))).all())
    decoded: dict[str, dict] = {}
    for r in todo:
        text = texts.get(r.id)
        if text not in decoded:
            decoded[text] = json.loads(text) if text is not None else None
        set_committed_value(r, "rules_snapshot", decoded[text])
    return residencies


def members_by_role() -> dict[str, list[int]]:
    """The tenant's active memberships by role (once per tenant in a sweep)."""
    from portal.notifications.reminders import sweep_cache

    cache = sweep_cache()
    if "residency.by_role" not in cache:
        by_role: dict[str, list[int]] = {}
        for role, uid in db.session.execute(sa.select(Membership.role, Membership.user_id).where(
                Membership.active.is_(True)).order_by(Membership.id)):
            by_role.setdefault(role.value, []).append(uid)
        cache["residency.by_role"] = by_role
    return cache["residency.by_role"]


def _specs_shared(res: Residency, memo: dict) -> list[ObligationSpec]:
    """``specs_for`` once per pinned ruleset: the chairs of one cycle share its snapshot."""
    key = (res.cycle_id, res.rules_version)
    found = memo.get(key)
    if found is None or found[0] != res.rules_snapshot:
        found = memo[key] = (res.rules_snapshot, specs_for(res))
    return found[1]


def _open_alerts(tenant):
    """The unmet periods of every chair in residence whose reminder window holds today, and
    those past their escalation day, with whom to tell (the sweep fires each once, by its
    dedupe key); computed once per tenant in a sweep for both reminders."""
    from portal.notifications.reminders import sweep_cache

    cache = sweep_cache()
    if "residency.alerts" in cache:
        return cache["residency.alerts"]
    residencies = in_residence_now()
    if not residencies:
        return [], [], {}
    from portal.residency import rotation

    recs = obligations.records_for(SUBJECT_TYPE, [r.id for r in residencies])
    segs = rotation.segments_of([r.id for r in residencies])
    by_role = members_by_role()
    today = clock.today()
    memo: dict = {}
    remind, escalate = [], []
    for res in residencies:
        sts = obligations.compute(subject(res, segs[res.id]), _specs_shared(res, memo), recs[res.id], today)
        for st in sts:
            for p in st.periods:
                if p.done >= p.required or p.due is None:
                    continue
                if p.remind_from <= today <= p.due:
                    remind.append((res, st.spec, p, rotation.covering(segs[res.id], p.start)))
                if p.escalate_on <= today:
                    escalate.append((res, st.spec, p, None))
    cache["residency.alerts"] = found = (remind, escalate, by_role)
    return found


def _context(res, spec, p, **extra) -> dict:
    return {"name": res.chair.name, "label": spec.label, "article": spec.citation, "due": p.due.isoformat(),
            "period_start": p.start.isoformat(), "period_end": p.end.isoformat(), "required": p.required,
            "done": p.done, "evidence": spec.evidence, **extra}


def owed_by(spec) -> tuple[str, ...]:
    """Who owes an obligation (and is reminded of it): the chair when the chair records it (the
    secretariat may also record A14 dues on the chair's behalf), else its recorders."""
    return ("chair",) if "chair" in spec.recorded_by else tuple(spec.recorded_by)


def reminder_deadlines(tenant):
    """Before each due date, to whoever records the obligation (the chair, or the department
    heads / the secretariat), from ``remind_workdays`` working days before it."""
    from portal.notifications.reminders import Deadline

    items, _esc, by_role = _open_alerts(tenant)
    out = []
    for res, spec, p, seg in items:
        users: list[int] = []
        for role in owed_by(spec):
            if role == "chair":
                if res.chair.user_id:
                    users.append(res.chair.user_id)
            elif role == "department_head" and seg is not None:
                # A9/A12: the head the segment names (the department's head, if it names none)
                head = seg.head_user_id or seg.department.head_user_id
                if head in by_role.get(role, []):
                    users.append(head)
            else:
                users.extend(by_role.get(role, []))
        if not users:
            continue
        out.append(Deadline(p.due, "residency_obligation", f"{res.id}:{spec.key}:{p.index}", _context(res, spec, p),
                            user_ids=tuple(dict.fromkeys(users)), fires_from=p.remind_from, until=p.due))
    return out


def escalation_deadlines(tenant):
    """An obligation still unmet ``escalate_workdays`` working days after its due date goes to
    the secretariat's administrators."""
    from portal.notifications.reminders import Deadline

    _remind, items, by_role = _open_alerts(tenant)
    admins = tuple(dict.fromkeys(by_role.get("secretariat_admin", [])))
    if not admins:
        return []
    return [Deadline(p.escalate_on, "residency_obligation", f"{res.id}:{spec.key}:{p.index}",
                     _context(res, spec, p), user_ids=admins, fires_from=p.escalate_on)
            for res, spec, p, _seg in items]
