"""The residency's part of the chair's record (portal.core.record), for the A17 appraisal:
the A9 reports, talks and meetings, the A10 study and research, the A11 surveys and exchanges.

Each statement is written from the rows behind it (an obligation record not returned for
revision, a meeting attended) and carries them as refs; what the record should hold and does
not (a period due and unmet) is a Gap, so the draft says what is missing instead of praising.
"""
from __future__ import annotations

from portal.core import clock
from portal.core.obligations import RecordStatus
from portal.core.record import Fact, Gap, Ref

# obligation key (after residency.obligation.) -> appraisal section, by article:
#   A9 reports and talks: 思想政治表现; A10.1 collective study, A10.2 courses with their study
#   reflections, A10.3 the research topic and result: 学习研究; A11.1 observing student-opinion
#   surveys, A11.3 joint surveys, A11.4 exchanges: 调查研究. A11.2's forums are 纳入研学成果 (the
#   Chinese original: their findings are folded into the study results), so they go to 学习研究.
SECTION_OF = {"a9_report": "political", "a9_talk": "political", "a10_1_study": "study", "a10_2_course": "study",
              "a10_3_topic": "study", "a10_3_result": "study", "a11_1_survey": "research",
              "a11_2_forum": "study", "a11_3_joint_survey": "research", "a11_4_exchange": "research"}


def _dates(records) -> str:
    ds = sorted({r.occurred_on for r in records})
    shown = "、".join(f"{d.year}年{d.month}月{d.day}日" for d in ds[:6])
    return shown + ("等" if len(ds) > 6 else "")


def residency_source(res):
    from portal.residency import operations as ops

    today = clock.today()
    last = min(today, res.ended_on or res.term_end)
    for order, st in enumerate(ops.statuses(res, today)):
        short = st.spec.key.removeprefix(ops.OBLIGATION_PREFIX)
        section = SECTION_OF.get(short)
        if section is None:
            continue  # A14 and others: their own chapters' sources
        kept = [r for r in st.records if r.status != RecordStatus.returned and r.occurred_on <= last]
        if kept:
            titles = "；".join(dict.fromkeys(r.title for r in kept if r.title))[:300]
            text = (f"{st.spec.label}{len(kept)}次（{_dates(kept)}）"
                    + (f"：{titles}" if titles and short != "a9_talk" else "") + "。")
            if short == "a9_talk":
                text = f"所在部门负责同志与其谈心谈话{len(kept)}次（{_dates(kept)}）。"
            yield Fact(section, text, st.spec.article,
                       tuple(Ref("obligation_record", r.id, r.title) for r in kept), order=order)
        unmet = [p for p in st.periods if p.due is not None and p.due <= today and p.done < p.required]
        if unmet:
            yield Gap(section, f"{st.spec.label}：{len(unmet)}个周期未见记录"
                               f"（最近一期 {unmet[-1].start.isoformat()} 至 {unmet[-1].end.isoformat()}）",
                      st.spec.article)
    meetings = [m for m in ops.meetings_of(res) if m.held_on <= last]
    if meetings:
        yield Fact("political", f"参加团中央书记处同志与驻会执行主席座谈{len(meetings)}次"
                                f"（{'、'.join(f'{m.held_on.year}年{m.held_on.month}月{m.held_on.day}日' for m in meetings[:6])}）。",
                   "A9", tuple(Ref("residency_meeting", m.id, m.place) for m in meetings), order=100)
