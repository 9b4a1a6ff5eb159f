"""A chair's record, gathered across chapters: what each feature holds about one residency.

The A17 work appraisal (工作鉴定) is written from the record, and the record is spread over
features that must not import each other: residency (A9–A14), incentives (A15–A17),
supervision (A19 outside activities, A21 discipline). Each registers a source
(``register_record_source(app, "module:function")``); a source takes a residency and returns
:class:`Fact` items, each tied to the rows behind it. A fact with no rows behind it is not
written: a source returns nothing for what did not happen, and :class:`Gap` items for what the
record should hold but does not (so a draft says what is missing instead of praising).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from portal.core.registries import resolve

# The appraisal's customary sections, in order (A17): 思想政治表现, 学习研究, 调查研究, 多岗锻炼,
# 工作小组, 不足与改进.
SECTIONS = ("political", "study", "research", "rotation", "group", "improve")
SECTION_LABELS = {"political": "思想政治表现", "study": "学习研究", "research": "调查研究",
                  "rotation": "多岗锻炼", "group": "工作小组", "improve": "不足与改进"}


@dataclass(frozen=True)
class Ref:
    """One row behind a fact: its object type (as the audit trail names it), id and label."""

    object_type: str
    object_id: int
    label: str = ""
    url: str | None = None


@dataclass(frozen=True)
class Fact:
    section: str            # one of SECTIONS
    text: str               # one statement, in the appraisal's register, from the rows' data
    article: str            # "A9", "A12", ...
    refs: tuple[Ref, ...] = field(default_factory=tuple)
    order: int = 0          # within the section (sources in registration order, then this)


@dataclass(frozen=True)
class Gap:
    section: str
    text: str               # what the record lacks ("未见向书记处汇报的记录")
    article: str


def register_record_source(app, source: str) -> None:
    """``source`` names a function (``"module:function"``) taking a Residency and returning an
    iterable of :class:`Fact` and :class:`Gap` items."""
    app.extensions.setdefault("portal_record_sources", []).append(source)



def gather(residency) -> tuple[list[Fact], list[Gap]]:
    """Every registered source's facts (only those with rows behind them) and gaps."""
    facts: list[Fact] = []
    gaps: list[Gap] = []
    for n, spec in enumerate(current_app.extensions.get("portal_record_sources", [])):
        for item in resolve(spec)(residency) or ():
            if isinstance(item, Fact):
                if item.section not in SECTIONS:
                    raise ValueError(f"unknown appraisal section {item.section!r} from {spec}")
                if item.refs:
                    facts.append((n, item))
            elif isinstance(item, Gap):
                gaps.append(item)
    ordered = [f for _n, f in sorted(facts, key=lambda p: (SECTIONS.index(p[1].section), p[0], p[1].order))]
    return ordered, gaps
