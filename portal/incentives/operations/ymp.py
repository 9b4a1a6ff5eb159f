"""A17 (第十七条): recommending chairs to the university class of 青年马克思主义者培养工程.

The program's published conditions (``incentives.ymp_conditions``) are shown beside the
recommendation as warnings for the secretariat to weigh, never as a decision."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core import audit
from portal.core.errors import Conflict
from portal.core.obligations import FieldError
from portal.core.workflow import Machine, transition
from portal.extensions import db
from portal.incentives.models import YMP_LABELS, YmpRecommendation, YmpStatus
from portal.residency.models import Residency

ARTICLE = "A17"
STAFF = ("secretariat_admin", "secretariat_staff")

MACHINE = Machine("incentives.ymp", subject="ymp_recommendation", noun="该推荐", labels=YMP_LABELS, transitions=[
    transition("admit", "录取", [YmpStatus.recommended], YmpStatus.admitted, STAFF, ARTICLE),
    transition("complete", "结业", [YmpStatus.admitted], YmpStatus.completed, STAFF, ARTICLE),
])


def form(res: Residency) -> dict:
    """The recommendation form, prefilled from the record (the nomination's data)."""
    from portal.residency.models import Chair
    from portal.selection.models import Nomination

    nom = db.session.scalar(sa.select(Nomination).join(Chair, Chair.nomination_id == Nomination.id)
                            .where(Chair.id == res.chair_id))
    return {"name": res.chair.name, "school": res.school.name, "cohort": res.cohort,
            "term_start": res.term_start, "term_end": res.term_end, "post": res.post,
            "working_group": res.working_group,
            "gender": getattr(nom, "gender", None), "political_status": getattr(nom, "political_status", None),
            "degree_level": getattr(nom, "degree_level", None), "major": getattr(nom, "major", None)}


def warnings(res: Residency) -> list[str]:
    """Each published condition, as a warning to check (with what the record says of it)."""
    f = form(res)
    out = []
    for cond in res.rule("incentives.ymp_conditions"):
        note = ""
        if ("党员" in cond or "团员" in cond) and f.get("political_status"):
            note = f"（记录：{f['political_status']}）"
        out.append(f"请核对：{cond}{note}")
    return out


def recommend(res: Residency, *, reason: str, actor) -> YmpRecommendation:
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("请填写推荐理由", "reason")
    if len(reason) > 4000:
        raise FieldError("推荐理由不能超过4000字", "reason")
    if db.session.scalar(sa.select(YmpRecommendation).where(YmpRecommendation.residency_id == res.id)):
        raise Conflict(f"{res.chair.name}已被推荐", code="already_recommended")
    rec = YmpRecommendation(tenant_id=res.tenant_id, residency_id=res.id, reason=reason, warnings=warnings(res),
                            status=YmpStatus.recommended, recommended_by_id=getattr(actor, "id", None))
    db.session.add(rec)
    db.session.flush()
    audit.record("ymp.recommended", "ymp_recommendation", rec.id, actor=actor, article=ARTICLE,
                 after={"residency_id": res.id, "reason": reason, "warnings": rec.warnings})
    return rec


def of(res: Residency) -> YmpRecommendation | None:
    return db.session.scalar(sa.select(YmpRecommendation).where(YmpRecommendation.residency_id == res.id))


def advance(rec: YmpRecommendation, name: str, *, actor, roles) -> YmpRecommendation:
    if name not in MACHINE.transitions:
        raise FieldError("未知的操作", "action")
    return MACHINE.apply(rec, name, actor=actor, roles=roles)
