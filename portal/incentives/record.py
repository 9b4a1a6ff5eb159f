"""Chapter 4's part of the chair's record (portal.core.record): the A17 recommendation to the
Young Marxist training program, as the appraisal's 思想政治表现 may state it."""
from __future__ import annotations

from portal.core.record import Fact, Ref


def incentives_source(res):
    from portal.incentives.models import YmpStatus
    from portal.incentives.operations import ymp

    rec = ymp.of(res)
    if rec is None:
        return
    text = {YmpStatus.recommended: "被推荐为“青年马克思主义者培养工程”高校班学员。",
            YmpStatus.admitted: "入选“青年马克思主义者培养工程”高校班学员。",
            YmpStatus.completed: "参加“青年马克思主义者培养工程”高校班学习并结业。"}[rec.status]
    yield Fact("political", text, "A17", (Ref("ymp_recommendation", rec.id, rec.status_label),), order=200)
