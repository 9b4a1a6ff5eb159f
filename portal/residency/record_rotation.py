"""The A17 appraisal's record of A12 and A13: the chair's posts (多岗锻炼) and working-group
leadership and activities (工作小组), each fact tied to the rows it comes from; gaps where the
record lacks them (no segment in a department, no group activity)."""
from __future__ import annotations

from portal.core.record import Fact, Gap, Ref
from portal.reference.models import DepartmentKind


def _d(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def rotation_record(residency):
    from portal.residency import groups as wg
    from portal.residency import rotation

    out = []
    segs = rotation.history(residency)
    for i, s in enumerate(segs):
        where = s.department.name if s.post == s.department.name else f"{s.department.name}（{s.post}）"
        out.append(Fact("rotation", f"{_d(s.starts_on)}至{_d(s.ends_on)}在{where}参与工作。", "A12",
                        refs=(Ref("rotation_segment", s.id, where),), order=i))
    kinds = {s.department.kind for s in segs}
    if DepartmentKind.secretariat not in kinds:
        out.append(Gap("rotation", "未见在秘书处参与工作的轮岗记录", "A12"))
    if DepartmentKind.department not in kinds:
        out.append(Gap("rotation", "未见在相关部门参与工作的轮岗记录", "A12"))
    group = wg.led_by(residency)
    if group is None:
        out.append(Gap("group", "未见牵头工作小组的记录", "A13"))
        return out
    lead = next(lead for lead in group.leads if lead.residency_id == residency.id)
    out.append(Fact("group", f"牵头{group.name}相关工作。", "A13",
                    refs=(Ref("working_group_lead", lead.id, group.name),), order=0))
    acts = [a for a in wg.activities_of([group.id])[group.id]
            if residency.term_start <= a.held_on <= residency.term_end]
    for i, a in enumerate(acts, start=1):
        units = "、".join(p.union.name for p in a.participants)
        text = f"{_d(a.held_on)}组织{group.name}开展“{a.title}”"
        text += f"，{units}参加" if units else ""
        text += f"：{a.outcome}"
        out.append(Fact("group", text if text.endswith("。") else text + "。", "A13",
                        refs=(Ref("working_group_activity", a.id, a.title),), order=i))
    if not acts:
        out.append(Gap("group", f"未见{group.name}在驻会期间开展活动的记录", "A13"))
    return out
