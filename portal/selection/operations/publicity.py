"""A6.5 and A7: the public notice on the website and the objections raised during it."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.calendar import calendar
from portal.core.concurrency import compare_and_set, lock_row
from portal.core.db import utcnow
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from portal.selection import outbox, workflow
from portal.selection.models import (
    NominationStatus as S, Objection, ObjectionStatus, PublicNotice, SelectionCycle,
)
from tenants.models import Membership
from tenants.rules.registry import article_citation

from portal.selection.operations.common import _cycle_noms, _today
from portal.selection.operations.cycles import advance_cycle


def current_notice(cycle: SelectionCycle) -> PublicNotice | None:
    return db.session.scalar(sa.select(PublicNotice).where(PublicNotice.cycle_id == cycle.id)
                             .order_by(PublicNotice.id.desc()).limit(1))


def cycle_notices(cycle: SelectionCycle) -> list[PublicNotice]:
    """The cycle's notices, latest first (a leftover candidate approved later has its own)."""
    return list(db.session.scalars(sa.select(PublicNotice).where(PublicNotice.cycle_id == cycle.id)
                                   .order_by(PublicNotice.id.desc())))


def open_notice(cycle: SelectionCycle, *, actor, roles, starts_on: dt.date | None = None,
                today: dt.date | None = None) -> PublicNotice:
    """Publicize the approved list for at least N working days on the website (A6.5).

    The notice starts no earlier than the day it is published: a window already partly past
    would be shorter than N working days for anyone reading it."""
    today = today or _today()
    lock_row(SelectionCycle, cycle.id)  # one notice at a time for the cycle's approved list
    noms = _cycle_noms(cycle, status=S.approved)
    if not noms:
        raise Conflict(f"没有经{cycle.rule('selection.approving_body')}同意的人选，不能公示（{article_citation('A6.5')}）")
    starts_on = starts_on or today
    if starts_on < today:
        raise DomainError(f"公示开始日期（{starts_on:%Y年%m月%d日}）不能早于发布当日（{today:%Y年%m月%d日}）"
                          f"（{article_citation('A6.5')}）", field="starts_on", code="notice_backdated")
    n_days = cycle.rule("selection.public_notice_min_workdays")
    ends_on = calendar().period_end(starts_on, n_days)
    website = cycle.rule("federation.website_name")
    fed = cycle.rule("federation.name")
    body = (f"根据《全国学联驻会执行主席管理办法（试行）》，经{cycle.rule('selection.approving_body')}同意，"
            f"现将{fed}{cycle.academic_year}学年驻会执行主席拟任人选予以公示。公示期为"
            f"{starts_on:%Y年%m月%d日}至{ends_on:%Y年%m月%d日}（{n_days}个工作日）。"
            f"如有异议，请在公示期内通过本页面反映。")
    notice = PublicNotice(tenant_id=cycle.tenant_id, cycle_id=cycle.id,
                          title=f"{fed}{cycle.academic_year}学年驻会执行主席拟任人选公示", body=body,
                          website_name=website, starts_on=starts_on, ends_on=ends_on, min_workdays=n_days,
                          nomination_ids=[n.id for n in noms])
    db.session.add(notice)
    db.session.flush()
    for n in noms:
        workflow.apply(n, "publicize", actor=actor, roles=roles, ctx={"notice": notice})
    doc = outbox.request_document(cycle.tenant_id, kind="selection.public_notice", fmt="pdf",
                                  builder="portal.selection.documents.public_notice",
                                  params={"notice_id": notice.id}, filename=f"{notice.title}.pdf",
                                  requested_by=None if isinstance(actor, str) else actor)
    notice.pdf_document_id = outbox.document_id(doc)
    advance_cycle(cycle, "begin_publicity", actor=actor)
    audit.record("notice.opened", "public_notice", notice.id, actor=actor, article="A6.5",
                 after={"starts_on": starts_on, "ends_on": ends_on, "workdays": n_days,
                        "nominations": notice.nomination_ids})
    return notice


def objection_for_form(notice: PublicNotice, form_token: str | None) -> Objection | None:
    """The objection an earlier post of the same form made, if any."""
    if not form_token:
        return None
    return db.session.scalar(sa.select(Objection).where(
        Objection.tenant_id == notice.tenant_id, Objection.form_token == form_token))


def submit_objection(notice: PublicNotice, content: str, *, contact: str | None = None,
                     nomination_id: int | None = None, today: dt.date | None = None,
                     form_token: str | None = None) -> Objection:
    """Record a public objection and tell the staff (A6.5). With ``form_token`` (the public
    form's one-time id) a second post of the same form returns the first objection and
    notifies nobody again, even when both posts arrive at once (a unique constraint)."""
    earlier = objection_for_form(notice, form_token)
    if earlier is not None:
        return earlier
    today = today or _today()
    if not notice.is_open(today):
        raise Conflict(f"公示期为{notice.starts_on:%Y年%m月%d日}至{notice.ends_on:%Y年%m月%d日}，当前不在公示期内，"
                       f"不能提交异议（{article_citation('A6.5')}）")
    content = (content or "").strip()
    if len(content) < 10:
        raise DomainError("请具体说明异议内容（至少 10 个字）", field="content")
    if len(content) > 5000:
        raise DomainError("异议内容不能超过 5000 字", field="content")
    if nomination_id is not None and int(nomination_id) not in (notice.nomination_ids or []):
        raise DomainError("所选人选不在本次公示名单中", field="nomination_id")
    o = Objection(tenant_id=notice.tenant_id, notice_id=notice.id,
                  nomination_id=int(nomination_id) if nomination_id else None, content=content,
                  contact=((contact or "").strip()[:200] or None), form_token=form_token)
    try:
        with db.session.begin_nested():
            db.session.add(o)
    except IntegrityError:  # the same form, posted at the same moment, won the token
        winner = objection_for_form(notice, form_token)
        if winner is None:
            raise
        return winner
    audit.record("objection.received", "objection", o.id, actor="公众（匿名）", article="A6.5",
                 after={"notice_id": notice.id, "nomination_id": o.nomination_id})
    for m in db.session.scalars(sa.select(Membership).where(Membership.role.in_(list(workflow.STAFF)),
                                                            Membership.active.is_(True))):
        outbox.notify(notice.tenant_id, template_key="selection.objection_received",
                      context={"notice": notice.title, "objection_id": o.id}, recipient_user_id=m.user_id,
                      related_type="objection", related_id=o.id, dedupe_key=f"objection:{o.id}:{m.user_id}",
                      channels=("inbox",))
    return o


def resolve_objection(o: Objection, upheld: bool, outcome: str, *, actor) -> Objection:
    outcome = (outcome or "").strip()
    if not outcome:
        raise DomainError("请填写核查结论", field="outcome")
    if o.status != ObjectionStatus.received:
        raise Conflict("该异议已经处理")
    if not compare_and_set(o, "status", ObjectionStatus.received,
                           ObjectionStatus.upheld if upheld else ObjectionStatus.rejected):
        raise Conflict("该异议已由他人处理，请刷新后查看")
    o.outcome, o.handled_by_id, o.handled_at = outcome, getattr(actor, "id", None), utcnow()
    db.session.flush()
    audit.record("objection.resolved", "objection", o.id, actor=actor, article="A6.5",
                 after={"status": o.status.value, "outcome": outcome})
    return o
