"""A6.3: the review and inspection opinions of both secretariats."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from portal.selection import workflow
from portal.selection.access import scope_for
from portal.selection.models import Nomination, NominationStatus as S, Review, ReviewLevel, SelectionCycle
from tenants.models import Role
from tenants.rules.registry import article_citation


def reviewer_scope(memberships) -> tuple[bool, set[str]]:
    """(is national secretariat, provinces a provincial reviewer may see): the provinces come
    from the one visibility rule (``access.scope_for``)."""
    staff = any(m.role in workflow.STAFF for m in memberships)
    return staff, set(scope_for([m for m in memberships if m.role == Role.provincial_reviewer]).provinces)


def sign_review(nom: Nomination, level: ReviewLevel, *, qualified: bool, notes: str, report: str,
                actor, memberships) -> Review:
    staff, provinces = reviewer_scope(memberships)
    cycle = db.session.get(SelectionCycle, nom.cycle_id)
    level = ReviewLevel(level)
    if level == ReviewLevel.provincial and nom.school.province_code not in provinces and not staff:
        raise DomainError(f"只能审查本省的人选（{article_citation('A6.3')}）", status=403)
    if level == ReviewLevel.provincial and not provinces and staff:
        pass  # the secretariat may record the partner secretariat's signed opinion on its behalf
    if level == ReviewLevel.national and not staff:
        raise DomainError(f"{cycle.review_body(level)}签署意见须由秘书处人员完成", status=403)
    if nom.status != S.under_review:
        raise Conflict(f"该人选当前状态为「{nom.status_label}」，不能签署审查考察意见（{article_citation('A6.3')}）")
    notes, report = (notes or "").strip(), (report or "").strip()
    if not notes or not report:
        raise DomainError("请填写资格审查意见和考察报告")
    r = db.session.scalar(sa.select(Review).where(Review.nomination_id == nom.id, Review.level == level))
    if r is None:
        r = Review(tenant_id=nom.tenant_id, nomination_id=nom.id, level=level, qualified=qualified,
                   qualification_notes=notes, inspection_report=report)
        db.session.add(r)
    r.qualified, r.qualification_notes, r.inspection_report = qualified, notes, report
    r.reviewer_id, r.signed_at = getattr(actor, "id", None), utcnow()
    db.session.flush()
    audit.record("review.signed", "nomination", nom.id, actor=actor, article="A6.3",
                 after={"level": level.value, "qualified": qualified})
    return r
