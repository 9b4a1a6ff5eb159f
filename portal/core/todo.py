"""The home page's "what to do next": work waiting for the signed-in user, per role.

Features register a provider (``register_todo(app, "module:function")``); each returns
``Todo`` items counted within what the user may see (the same scope as the lists they link
to), so a count never shows what its list would hide. Items with nothing waiting are still
returned with ``count=0`` where the role expects to see them ("nothing to review").
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app

from portal.core.registries import resolve

# Sections of the home page, in order; an item names the role it is addressed to.
SECTIONS = ("secretariat", "reviewer", "approver", "department_head", "liaison", "chair")
SECTION_LABELS = {"secretariat": "秘书处待办", "reviewer": "审查待办", "approver": "审批待办",
                  "department_head": "部门待办", "liaison": "学校待办", "chair": "我的待办"}


@dataclass(frozen=True)
class Count:
    """A count the home page runs together with every other provider's: ``collect`` puts them all
    in one statement (``SELECT (SELECT count(*) ...), (SELECT count(*) ...), ...``), so a home
    page of nine counters pays one round trip, not nine. ``stmt`` is a SELECT whose rows are
    counted (its ORDER BY dropped); the session's tenant filter and RLS apply to it as to any."""

    stmt: Any


@dataclass(frozen=True)
class Todo:
    section: str
    label: str
    count: int | Count | None = None  # None: an entry without a number (a stage, a notice)
    url: str | None = None
    article: str | None = None
    due: dt.date | None = None
    detail: str | None = None
    urgent: bool = False
    urgent_if_waiting: bool = False   # with a Count: urgent when it is above zero
    only_if_waiting: bool = False     # with a Count: shown only when it is above zero


@dataclass
class Home:
    sections: dict[str, list[Todo]] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        return sum(t.count or 0 for items in self.sections.values() for t in items)



def resolve_counts(items: list[Todo]) -> list[Todo]:
    """Every deferred :class:`Count` of ``items``, run in one statement, written into its item."""
    from portal.extensions import db

    pending = [i for i, item in enumerate(items) if isinstance(item.count, Count)]
    if not pending:
        return items
    columns = [sa.select(sa.func.count()).select_from(items[i].count.stmt.order_by(None).subquery())
               .scalar_subquery().label(f"c{n}") for n, i in enumerate(pending)]
    values = db.session.execute(sa.select(*columns)).one()
    out = list(items)
    for i, value in zip(pending, values):
        n = int(value or 0)
        item = items[i]
        out[i] = None if item.only_if_waiting and n == 0 else dataclasses.replace(
            item, count=n, urgent=item.urgent or (item.urgent_if_waiting and n > 0))
    return [item for item in out if item is not None]


def collect(memberships) -> Home:
    home = Home()
    items: list[Todo] = []
    for spec in current_app.extensions.get("portal_todo", []):
        items.extend(resolve(spec)(memberships))
    for item in resolve_counts(items):
        home.sections.setdefault(item.section, []).append(item)
    home.sections = {s: home.sections[s] for s in SECTIONS if s in home.sections}
    return home
