"""Declared state machines: every feature's states and transitions as data (issue 11, item 1).

A feature declares one :class:`Machine` per stateful model (selection: the nomination and the
cycle; residency and supervision next). Each :class:`Transition` names its source states, its
target, the roles that may make it, its guards, the article it enforces, whether it takes back a
decision (then a reason is required and recorded), the audit action it writes, and whether the
generic transition endpoints may offer it (an allowlist: a transition with its own form, such as
A6.2 submission or A7 disqualification, is never reachable through them).

:meth:`Machine.apply` is the only writer of the state column:

1. the actor's roles against the declaration (403),
2. the source state (409 ``bad_state``),
3. the reason, when the transition takes a decision back (422 ``reason_required``),
4. the row lock the declaration asks for (a quota counted before it is filled), then every guard
   (409 with the guard's own code),
5. compare-and-set on the row (``portal.core.concurrency``; 409 ``stale_state`` if a rival won),
6. one audit record, the declared effects (same transaction), and the ``transition_applied``
   signal for other features.

A guard returns ``None`` or a :class:`Refusal` (a stable code and a Chinese message). Callers
branch on the code, never on the words.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from blinker import Namespace

from portal.core import audit
from portal.core.concurrency import compare_and_set, lock_row, refresh
from portal.core.errors import Conflict, DomainError

SYSTEM = "system"  # the roles value for jobs, demo data, the CLI and engine-driven follow-ups

signals = Namespace()
# sender: the machine's name; kwargs: obj, transition, before (state value), actor, note.
transition_applied = signals.signal("workflow-transition-applied")


@dataclass(frozen=True)
class Refusal:
    """Why a guard refuses: ``code`` for programs, ``message`` (Chinese) for people."""
    code: str
    message: str

    def error(self) -> Conflict:
        return Conflict(self.message, code=self.code)


Guard = Callable[[Any, dict], "Refusal | None"]
Effect = Callable[[Any, dict], None]  # (obj, info) after the state changed; info: actor, note, ctx, before


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset
    target: Any
    roles: frozenset
    article: str
    guards: tuple[Guard, ...] = ()
    takes_back: bool = False           # undoes a decision: a reason is required and audited
    audit_action: str | None = None    # default "<machine subject>.<name>"
    generic: bool = False              # offered by the generic transition endpoints (allowlist)
    lock: Callable[[Any], tuple] | None = None   # obj -> (Model, id) locked before the guards
    effects: tuple[Effect, ...] = ()

    @property
    def guard(self) -> Guard | None:  # the first guard (kept for readers of the old table)
        return self.guards[0] if self.guards else None


def transition(name: str, label: str, sources: Iterable, target, roles: Iterable, article: str, *,
               guards: Iterable[Guard] = (), takes_back: bool = False, audit_action: str | None = None,
               generic: bool = False, lock=None, effects: Iterable[Effect] = ()) -> Transition:
    return Transition(name, label, frozenset(sources), target, frozenset(roles), article, tuple(guards),
                      takes_back, audit_action, generic, lock, tuple(effects))


def _holds(roles, allowed: frozenset) -> bool:
    return roles == SYSTEM or bool(set(roles or ()) & allowed)


MACHINES: dict[str, "Machine"] = {}  # every declared machine by name, as it is built (the audit trail reads them)


def transition_for_action(action: str) -> "Transition | None":
    """The declared transition whose audit records carry ``action`` (for the trail's sentences)."""
    for m in MACHINES.values():
        for t in m.transitions.values():
            if (t.audit_action or f"{m.subject}.{t.name}") == action:
                return t
    return None


@dataclass
class Machine:
    """The states of one model's ``attr`` column and the transitions between them."""
    name: str                     # e.g. "selection.nomination"
    subject: str                  # the audit record's object type, e.g. "nomination"
    attr: str
    labels: dict                  # state -> Chinese label
    transitions: dict[str, Transition] = field(default_factory=dict)
    noun: str = "该记录"           # how messages name the object: 「该人选」
    cite: Callable[[str], str] = str  # article id -> its citation (the feature passes the rules')

    def __init__(self, name: str, *, subject: str, labels: dict, transitions: Iterable[Transition],
                 attr: str = "status", noun: str = "该记录", cite: Callable[[str], str] = str):
        self.name, self.subject, self.attr, self.labels, self.noun = name, subject, attr, labels, noun
        self.cite = cite
        self.transitions = {}
        for t in transitions:
            if t.name in self.transitions:
                raise ValueError(f"{name}: transition {t.name!r} declared twice")
            unknown = (set(t.sources) | {t.target}) - set(labels)
            if unknown:
                raise ValueError(f"{name}.{t.name}: undeclared states {sorted(map(str, unknown))}")
            self.transitions[t.name] = t
        MACHINES[name] = self

    @property
    def states(self) -> list:
        return list(self.labels)

    def __getitem__(self, name: str) -> Transition:
        return self.transitions[name]

    def label(self, state) -> str:
        return self.labels.get(state, str(state))

    def allowed(self, obj, roles) -> list[Transition]:
        """Transitions whose source matches and whose roles the user holds (for buttons)."""
        state = getattr(obj, self.attr)
        return [t for t in self.transitions.values() if state in t.sources and _holds(roles, t.roles)]

    def generic_names(self) -> frozenset[str]:
        return frozenset(n for n, t in self.transitions.items() if t.generic)

    def offered(self, obj, roles) -> list[Transition]:
        """What the generic transition endpoints offer this user for ``obj`` (the allowlist)."""
        return [t for t in self.allowed(obj, roles) if t.generic]

    def generic(self, name: str) -> Transition | None:
        """The declared generic transition ``name``, or None (the endpoints answer 404)."""
        t = self.transitions.get(name)
        return t if t is not None and t.generic else None

    def check(self, obj, name: str, ctx: dict | None = None) -> Refusal | None:
        """The first guard of ``name`` that refuses ``obj`` now, or None (state and roles not checked)."""
        for guard in self.transitions[name].guards:
            refusal = guard(obj, ctx or {})
            if refusal is not None:
                return refusal
        return None

    def apply(self, obj, name: str, *, actor, roles, ctx: dict | None = None, note: str | None = None):
        """Make one transition or raise (403 wrong role, 409 wrong state / failed guard / lost race,
        422 a taken-back decision without its reason)."""
        t = self.transitions[name]
        cite = self.cite(t.article)
        if not _holds(roles, t.roles):
            raise DomainError(f"您的角色无权执行「{t.label}」（{cite}）", status=403, code="forbidden_transition")
        before = getattr(obj, self.attr)
        if before not in t.sources:
            raise Conflict(f"{self.noun}当前状态为「{self.label(before)}」，不能执行「{t.label}」"
                           f"（{cite}规定的程序顺序）", code="bad_state")
        note = (note or "").strip() or None
        if t.takes_back and not note:
            raise DomainError(f"「{t.label}」将撤销已作出的决定，须说明理由（{cite}）", status=422,
                              code="reason_required", field="note")
        ctx = dict(ctx or {})
        if t.lock is not None:
            lock_row(*t.lock(obj))
        refusal = self.check(obj, name, ctx)
        if refusal is not None:
            raise refusal.error()
        # Compare-and-set on the row: a second click or a second user who loaded the same state
        # finds it already changed, and neither the transition nor its audit is written twice.
        if not compare_and_set(obj, self.attr, before, t.target):
            refresh(obj)
            raise Conflict(f"{self.noun}的状态已被他人改为「{self.label(getattr(obj, self.attr))}」，"
                           f"未重复执行「{t.label}」，请刷新后查看", code="stale_state")
        before_value = getattr(before, "value", before)
        after = {self.attr: getattr(t.target, "value", t.target), "note": note}
        if t.takes_back:
            after["reason"] = note
        audit.record(t.audit_action or f"{self.subject}.{name}", self.subject, obj.id, actor=actor,
                     before={self.attr: before_value}, after=after, article=t.article)
        info = {"actor": actor, "note": note, "ctx": ctx, "before": before, "roles": roles}
        for effect in t.effects:
            effect(obj, info)
        transition_applied.send(self.name, obj=obj, transition=t, before=before, actor=actor, note=note)
        return obj

    def advance(self, obj, name: str, *, actor, ctx: dict | None = None, note: str | None = None) -> bool:
        """Make ``name`` if ``obj`` is still in one of its sources; a state already past it (or a
        rival that moved it first) is left as is. True if this call moved it. For stages that
        follow from their parts (a cycle enters review when its first nomination does)."""
        t = self.transitions[name]
        if getattr(obj, self.attr) not in t.sources:
            return False
        try:
            self.apply(obj, name, actor=actor, roles=SYSTEM, ctx=ctx, note=note)
        except Conflict as exc:
            if exc.code == "stale_state" and getattr(obj, self.attr) not in t.sources:
                return False
            raise
        return True
