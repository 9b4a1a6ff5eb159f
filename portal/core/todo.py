"""The home page's "what to do next": work waiting for the signed-in user, per role.

Features register a provider (``register_todo(app, "module:function")``); each returns
``Todo`` items counted within what the user may see (the same scope as the lists they link
to), so a count never shows what its list would hide. Items with nothing waiting are still
returned with ``count=0`` where the role expects to see them ("nothing to review").
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import current_app

from portal.core.registries import resolve

# Sections of the home page, in order; an item names the role it is addressed to.
SECTIONS = ("secretariat", "reviewer", "approver", "department_head", "liaison", "chair")
SECTION_LABELS = {"secretariat": "秘书处待办", "reviewer": "审查待办", "approver": "审批待办",
                  "department_head": "部门待办", "liaison": "学校待办", "chair": "我的待办"}


@dataclass(frozen=True)
class Todo:
    section: str
    label: str
    count: int | None = None          # None: an entry without a number (a stage, a notice)
    url: str | None = None
    article: str | None = None
    due: dt.date | None = None
    detail: str | None = None
    urgent: bool = False


@dataclass
class Home:
    sections: dict[str, list[Todo]] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        return sum(t.count or 0 for items in self.sections.values() for t in items)



def collect(memberships) -> Home:
    home = Home()
    for spec in current_app.extensions.get("portal_todo", []):
        for item in resolve(spec)(memberships):
            home.sections.setdefault(item.section, []).append(item)
    home.sections = {s: home.sections[s] for s in SECTIONS if s in home.sections}
    return home
