"""The cycle page by stage (A6.1-A6.5): which step is current, each step's state, and which
cycle-level actions the workflow allows now.

Nothing here decides a rule twice. A stage's nominations are the sources of its transitions in
``workflow.TRANSITIONS``; who may act is the transition's roles; an action is offered only
while the cycle's status still lets its operation run (letters and nominations while the cycle
is in ``workflow.NOMINATING``; ranking moves it to 研究决定; the notice to 公示中) and only when
the transition it makes has a nomination to make it on. The counts come from the funnel the
page already has (one grouped count), so the decision costs no statement.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from portal.selection import workflow
from portal.selection.models import CycleStatus, NominationStatus as S, SelectionCycle

# (stage key = CycleStep.key, the transitions made in it)
STAGE_TRANSITIONS: list[tuple[str, tuple[str, ...]]] = [
    ("invitations", ()),
    ("nominations", ("submit",)),
    ("review", ("confirm_eligibility", "start_review", "complete_review")),
    ("exam", ("record_exam", "rank")),
    ("decision", ("propose", "approve")),
    ("notice", ("publicize", "appoint")),
    ("appointment", ()),
]
KEYS = [k for k, _ in STAGE_TRANSITIONS]
INDEX = {k: i for i, k in enumerate(KEYS)}
LABELS = {"invitations": "发函培养", "nominations": "学校推荐与校内公示", "review": "资格审查和考察",
          "exam": "笔试和面试", "decision": "研究决定与审批", "notice": "公示", "appointment": "确认任用"}
ARTICLES = {"invitations": "A6.1", "nominations": "A6.2", "review": "A6.3", "exam": "A6.4",
            "decision": "A6.5", "notice": "A6.5", "appointment": "A6.5"}

# The stages whose operations a cycle's status still lets run.
# Letters and nominations run while the cycle is in ``workflow.NOMINATING`` (until the A6.2
# deadline); review and exams may begin on the first nominations meanwhile.
_EARLY = {"invitations", "nominations", "review", "exam"}
OPEN_BY_STATUS = {
    CycleStatus.open: _EARLY,
    CycleStatus.reviewing: _EARLY,
    CycleStatus.examining: _EARLY,
    CycleStatus.deciding: {"decision", "notice"},
    CycleStatus.publicizing: {"notice"},
    CycleStatus.closed: set(),
}
STATE_LABELS = {"upcoming": "未开始", "open": "进行中", "closed": "已结束"}


def statuses(key: str) -> frozenset:
    """The nominations a stage holds: the sources of its transitions (the appointed for the last)."""
    if key == "appointment":
        return frozenset({workflow.TRANSITIONS["appoint"].target})
    names = dict(STAGE_TRANSITIONS)[key]
    return frozenset().union(*(workflow.TRANSITIONS[n].sources for n in names)) if names else frozenset()


@dataclass
class Stage:
    key: str
    label: str
    article: str
    state: str  # upcoming | open | closed
    current: bool
    count: int  # nominations in the stage now (scoped)
    step: object | None = None  # the CycleStep with its dates
    actions: set = field(default_factory=set)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def _may(name: str, roles) -> bool:
    return bool(set(roles) & workflow.TRANSITIONS[name].roles)


def _n(by_status: dict, names) -> int:
    return sum(by_status.get(s, 0) for s in frozenset().union(*(workflow.TRANSITIONS[n].sources for n in names)))


def stages(cycle: SelectionCycle, by_status: dict, roles, *, invitations: int, unsent: int,
           today: dt.date) -> list[Stage]:
    """The cycle's steps, the current one marked, each with its state and the actions allowed now."""
    open_keys = set(OPEN_BY_STATUS[cycle.status])
    # A step with a deadline past is closed (A6.2's nomination window), whatever the status.
    steps = {s.key: s for s in cycle.steps}
    for key in list(open_keys):
        st = steps.get(key)
        if st is not None and st.due_on and today > st.due_on:
            open_keys.discard(key)
    current = _current(cycle, by_status, invitations)
    out = []
    for i, key in enumerate(KEYS):
        if cycle.status == CycleStatus.closed:
            state = "closed"
        elif i > INDEX[current]:
            state = "upcoming"
        else:
            state = "open" if key in open_keys else "closed"
        count = sum(by_status.get(s, 0) for s in statuses(key))
        out.append(Stage(key, LABELS[key], ARTICLES[key], state, key == current, count, steps.get(key)))
    by_key = {s.key: s for s in out}
    staff = bool(set(roles) & workflow.STAFF)

    def allow(key, action, ok=True):
        if by_key[key].state == "open" and ok:
            by_key[key].actions.add(action)

    # A6.1: letters only while the cycle is 推荐中 (``invite_schools``)
    nominating = cycle.status in workflow.NOMINATING
    allow("invitations", "invite", staff and nominating)
    allow("invitations", "send_all", staff and nominating and unsent > 0)
    allow("nominations", "import", staff and nominating)
    # A6.4: the pool, recusals and the draw before ranking; ranking moves the cycle on
    allow("exam", "panel", _may("record_exam", roles))
    allow("exam", "draw", _may("record_exam", roles) and by_status.get(S.reviewed, 0) > 0)
    allow("exam", "rank", _may("rank", roles) and _n(by_status, ("record_exam", "rank")) > 0)
    # A6.5: proposing, the approving body's decision, the notice, the appointment
    allow("decision", "propose", _may("propose", roles) and _n(by_status, ("propose",)) > 0)
    allow("decision", "decide", _may("approve", roles) and _n(by_status, ("approve",)) > 0)
    allow("notice", "open_notice", _may("publicize", roles) and _n(by_status, ("publicize",)) > 0
          and cycle.status == CycleStatus.deciding)
    allow("notice", "confirm", _may("appoint", roles) and _n(by_status, ("appoint",)) > 0
          and cycle.status == CycleStatus.publicizing)
    return out


def _current(cycle: SelectionCycle, by_status: dict, invitations: int) -> str:
    if cycle.status == CycleStatus.closed:
        return "appointment"
    if cycle.status == CycleStatus.publicizing:
        return "notice"
    if cycle.status == CycleStatus.deciding:
        return "notice" if by_status.get(S.approved, 0) else "decision"
    # 推荐中 (and review or exams begun meanwhile): the furthest stage any candidate has reached
    for key in ("exam", "review"):
        if any(by_status.get(s, 0) for s in statuses(key)):
            return key
    if cycle.status == CycleStatus.examining:
        return "exam"
    if cycle.status == CycleStatus.reviewing:
        return "review"
    return "nominations" if invitations else "invitations"


def next_free_year(taken, today: dt.date) -> str:
    """The first academic year from this one on that has no cycle yet (「2026-2027」)."""
    taken = set(taken)
    y = today.year
    while f"{y}-{y + 1}" in taken:
        y += 1
    return f"{y}-{y + 1}"
