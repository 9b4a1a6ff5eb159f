"""A17 (第十七条): the work appraisal (工作鉴定), assembled from the record.

The draft is written from :func:`portal.core.record.gather`: each statement is a fact some
chapter's source wrote from its rows, with those rows as refs and its article; a statement with
nothing behind it is not written, and what the record lacks is kept as the draft's gaps (shown
beside it, so nobody signs praise the record does not support).

Workflow (declared, compare-and-set): draft → summarized (the chair's 个人总结) → concluded (the
secretariat's conclusion, from ``incentives.appraisal_conclusions``) → issued (numbered, locked,
DOCX and PDF in the vault, the DOCX's hash in the audit trail) → sent (to the sending school, for
the archive). Each department the chair worked in (from the rotation segments) gives its opinion
through its head before the appraisal is issued; an issued appraisal is never edited: a
correction is a new version naming the one it replaces.
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa

from portal.core import audit, clock
from portal.core.errors import Conflict, DomainError
from portal.core.obligations import FieldError
from portal.core.record import SECTION_LABELS, SECTIONS, gather
from portal.core.workflow import Machine, Refusal, transition
from portal.extensions import db
from portal.incentives.models import APPRAISAL_LABELS, Appraisal, AppraisalOpinion, AppraisalStatus
from portal.residency.models import Residency, RotationSegment

ARTICLE = "A17"
ADMIN = ("secretariat_admin",)
STAFF = ("secretariat_admin", "secretariat_staff")
S = AppraisalStatus


def departments_of(res: Residency) -> list[dict]:
    """The departments the chair worked in (from the segments, in order) and each one's head:
    the head of its latest segment."""
    out: dict[int, dict] = {}
    for seg in db.session.scalars(sa.select(RotationSegment).where(RotationSegment.residency_id == res.id)
                                  .order_by(RotationSegment.starts_on, RotationSegment.id)):
        out[seg.department_id] = {"department_id": seg.department_id, "name": seg.department.name,
                                  "head_user_id": seg.head_user_id,
                                  "head_name": getattr(seg.head, "name", None) if seg.head else None}
    return list(out.values())


def missing_opinions(appr: Appraisal) -> list[dict]:
    given = {o.department_id for o in appr.opinions}
    return [d for d in departments_of(appr.residency) if d["department_id"] not in given]


def _opinions_in(appr, ctx):
    if not departments_of(appr.residency):
        return Refusal("no_departments", f"{appr.residency.chair.name}没有轮岗记录（第十二条），无法征求部门意见，不能印发")
    missing = missing_opinions(appr)
    if missing:
        return Refusal("opinions_missing", "以下部门尚未提出意见，不能印发："
                       + "、".join(f"{d['name']}（{d['head_name'] or '未指定负责同志'}）" for d in missing))
    return None


def term_ended(res: Residency, today=None) -> bool:
    """The term is over on its last day (``term_end``) or once the residency ended early
    (removal, leaving: ``ended_on``, or any status other than 在驻)."""
    from portal.residency.models import ResidencyStatus

    today = today or clock.today()
    if res.ended_on is not None or res.status != ResidencyStatus.in_residence:
        return True
    return today >= res.term_end


def _term_over(appr, ctx):
    res = appr.residency
    if not term_ended(res):
        return Refusal("term_not_ended", f"{res.chair.name}的驻会期至{res.term_end.isoformat()}，驻会期满后方可印发工作鉴定"
                                         "（第十七条）")
    return None


def _has_statements(appr, ctx):
    if not appr.statements:
        return Refusal("empty_record", "驻会记录中没有可写入鉴定的内容，不能印发")
    return None


MACHINE = Machine(
    "incentives.appraisal", subject="appraisal", noun="该工作鉴定", labels=APPRAISAL_LABELS,
    transitions=[
        transition("summarize", "提交个人总结", [S.draft], S.summarized, ("chair",), ARTICLE),
        transition("conclude", "作出鉴定结论", [S.summarized], S.concluded, ADMIN, ARTICLE),
        transition("reopen", "退回修改结论", [S.concluded], S.summarized, ADMIN, ARTICLE, takes_back=True),
        transition("issue", "印发", [S.concluded], S.issued, ADMIN, ARTICLE, guards=[_term_over, _has_statements, _opinions_in]),
        transition("send", "送派出学校归档", [S.issued], S.sent, STAFF, ARTICLE),
    ])

OPEN = (S.draft, S.summarized, S.concluded)


def versions(res: Residency) -> list[Appraisal]:
    return list(db.session.scalars(sa.select(Appraisal).where(Appraisal.residency_id == res.id)
                                   .order_by(Appraisal.version)))


def current(res: Residency) -> Appraisal | None:
    vs = versions(res)
    return vs[-1] if vs else None


def get(appr_id: int) -> Appraisal | None:
    return db.session.scalar(sa.select(Appraisal).where(Appraisal.id == appr_id))


def _assemble(res: Residency) -> tuple[list[dict], list[dict]]:
    facts, gaps = gather(res)
    statements = [{"section": f.section, "text": f.text, "article": f.article,
                   "refs": [{"type": r.object_type, "id": r.object_id, "label": r.label} for r in f.refs]}
                  for f in facts]
    return statements, [{"section": g.section, "text": g.text, "article": g.article} for g in gaps]


def draft(res: Residency, *, actor) -> Appraisal:
    """Draft (or redraft, while still a draft) the chair's appraisal from the record."""
    cur = current(res)
    if cur is not None and cur.status in (S.summarized, S.concluded):
        raise Conflict(f"工作鉴定状态为「{cur.status_label}」，不能重新起草", code="bad_state")
    if cur is not None and cur.status in (S.issued, S.sent):
        raise Conflict(f"工作鉴定状态为「{cur.status_label}」（{cur.number}），不能修改；如需更正请另起新版本", code="issued")
    statements, gaps = _assemble(res)
    if cur is None:
        cur = Appraisal(tenant_id=res.tenant_id, residency_id=res.id, version=1, status=S.draft,
                        drafted_by_id=getattr(actor, "id", None))
        db.session.add(cur)
    cur.statements, cur.gaps = statements, gaps
    db.session.flush()
    audit.record("appraisal.drafted", "appraisal", cur.id, actor=actor, article=ARTICLE,
                 after={"residency_id": res.id, "version": cur.version, "statements": len(statements),
                        "gaps": len(gaps)})
    return cur


def correct(appr: Appraisal, *, reason: str, actor) -> Appraisal:
    """An issued appraisal is corrected by a new version that names it (and is redrafted)."""
    if appr.status not in (S.issued, S.sent):
        raise Conflict("只有已印发的工作鉴定需要以新版本更正；未印发的可直接修改", code="bad_state")
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("请说明更正原因", "reason")
    res = appr.residency
    if current(res).id != appr.id:
        raise Conflict("该鉴定已有更新的版本", code="superseded")
    statements, gaps = _assemble(res)
    new = Appraisal(tenant_id=res.tenant_id, residency_id=res.id, version=appr.version + 1, supersedes_id=appr.id,
                    correction_reason=reason[:2000], status=S.draft, statements=statements, gaps=gaps,
                    drafted_by_id=getattr(actor, "id", None))
    db.session.add(new)
    db.session.flush()
    audit.record("appraisal.correction_started", "appraisal", new.id, actor=actor, article=ARTICLE,
                 after={"supersedes_id": appr.id, "supersedes_number": appr.number, "reason": new.correction_reason})
    return new


def _editable(appr: Appraisal) -> None:
    if appr.status not in OPEN:
        raise Conflict(f"工作鉴定状态为「{appr.status_label}」（{appr.number}），不能修改；如需更正请另起新版本", code="issued")


def submit_summary(appr: Appraisal, text: str, *, actor, roles) -> Appraisal:
    _editable(appr)
    text = (text or "").strip()
    if not text:
        raise FieldError("请填写个人总结", "self_summary")
    if len(text) > 8000:
        raise FieldError("个人总结不能超过8000字", "self_summary")
    appr.self_summary = text
    db.session.flush()
    return MACHINE.apply(appr, "summarize", actor=actor, roles=roles)


def give_opinion(appr: Appraisal, department_id: int, opinion: str, *, actor, roles) -> AppraisalOpinion:
    """The opinion of a department the chair worked in, by that department's head (from the
    segments); an opinion given is replaced only while the appraisal is open."""
    _editable(appr)
    dept = next((d for d in departments_of(appr.residency) if d["department_id"] == department_id), None)
    if dept is None:
        raise FieldError("该驻会执行主席未在该部门轮岗", "department_id")
    if dept["head_user_id"] is None or dept["head_user_id"] != getattr(actor, "id", None):
        raise DomainError(f"「{dept['name']}」的意见由该部门负责同志提出（第十七条）", status=403,
                          code="not_department_head")
    opinion = (opinion or "").strip()
    if not opinion:
        raise FieldError("请填写部门意见", "opinion")
    if len(opinion) > 4000:
        raise FieldError("部门意见不能超过4000字", "opinion")
    found = next((o for o in appr.opinions if o.department_id == department_id), None)
    before = None
    if found is None:
        found = AppraisalOpinion(tenant_id=appr.tenant_id, appraisal_id=appr.id, department_id=department_id,
                                 department_name=dept["name"], opinion=opinion, given_by_id=actor.id)
        appr.opinions.append(found)
    else:
        before = {"opinion": found.opinion}
        found.opinion, found.given_by_id = opinion, actor.id
    db.session.flush()
    audit.record("appraisal.opinion", "appraisal", appr.id, actor=actor, article=ARTICLE, before=before,
                 after={"department_id": department_id, "department": dept["name"], "opinion": opinion})
    return found


def conclude(appr: Appraisal, conclusion: str, note: str | None, *, actor, roles) -> Appraisal:
    _editable(appr)
    allowed = list(appr.residency.rule("incentives.appraisal_conclusions"))
    if conclusion not in allowed:
        raise FieldError(f"鉴定结论只能是：{'、'.join(allowed)}", "conclusion")
    note = (note or "").strip() or None
    if note and len(note) > 2000:
        raise FieldError("结论说明不能超过2000字", "conclusion_note")
    appr.conclusion, appr.conclusion_note = conclusion, note
    db.session.flush()
    return MACHINE.apply(appr, "conclude", actor=actor, roles=roles, ctx={"conclusion": conclusion})


def context(appr: Appraisal) -> dict:
    """Everything the document says, from the appraisal's stored record (never made up)."""
    from portal.documents.render import chinese_date
    from portal.incentives.operations.schooling import _base

    res = appr.residency
    sections = []
    for key in SECTIONS:
        texts = [s["text"] for s in appr.statements if s["section"] == key]
        if texts:
            sections.append({"label": SECTION_LABELS[key], "statements": texts})
    old = db.session.get(Appraisal, appr.supersedes_id) if appr.supersedes_id else None
    return _base(res) | {
        "number": appr.number or "", "sections": sections, "self_summary": appr.self_summary or "",
        "opinions": [{"department": o.department_name, "opinion": o.opinion} for o in appr.opinions],
        "conclusion": appr.conclusion or "", "conclusion_note": appr.conclusion_note or "",
        "supersedes": (old.number or f"第{old.version}版") if old else "",
        "date": chinese_date(appr.issued_on or clock.today())}


def issue(appr: Appraisal, *, actor, roles) -> Appraisal:
    """Number, render (DOCX from the tenant's template for stamping, and PDF), store and lock."""
    from portal.core import vault
    from portal.core.numbering import year_of_issue_number
    from portal.documents.templating import render_kind
    from portal.documents.render import render_pdf, spec_from_docx
    from portal.incentives.documents import APPRAISAL

    refusal = MACHINE.check(appr, "issue")
    if appr.status == S.concluded and refusal is not None:
        raise refusal.error()
    MACHINE.apply(appr, "issue", actor=actor, roles=roles)
    today = clock.today()
    appr.issued_on = today
    appr.number = year_of_issue_number("incentives.appraisal", appr.residency.rule("incentives.appraisal_number_template"),
                                       issued_on=today)
    docx = render_kind(appr.tenant_id, APPRAISAL, context(appr), "docx")
    pdf = render_pdf(spec_from_docx(docx))
    appr.sha256 = hashlib.sha256(docx).hexdigest()
    chair_uid = appr.residency.chair.user_id
    access = ("owner", "role:secretariat_admin", "role:secretariat_staff") + ((f"user:{chair_uid}",) if chair_uid else ())
    name = f"工作鉴定-{appr.residency.chair.name}-{appr.number}"
    d = vault.store(appr.tenant_id, docx, filename=f"{name}.docx", name=f"{name}.docx", purpose="incentives.appraisal",
                    allowed=("docx",), stored_by=actor, access=access)
    p = vault.store(appr.tenant_id, pdf, filename=f"{name}.pdf", name=f"{name}.pdf", purpose="incentives.appraisal",
                    allowed=("pdf",), stored_by=actor, access=access)
    appr.docx_file_id, appr.pdf_file_id = d.id, p.id
    db.session.flush()
    audit.record("appraisal.issued_document", "appraisal", appr.id, actor=actor, article=ARTICLE,
                 after={"number": appr.number, "docx_sha256": appr.sha256, "pdf_sha256": p.sha256,
                        "supersedes_id": appr.supersedes_id})
    return appr


RELATED = "incentives_appraisal"  # the outbox's related type: its sent hook marks the delivery


def school_liaisons(school_id: int) -> list[int]:
    from tenants.models import Membership, Role

    return list(db.session.scalars(sa.select(Membership.user_id).where(
        Membership.role == Role.school_liaison, Membership.school_id == school_id, Membership.active.is_(True))
        .order_by(Membership.id)))


def send(appr: Appraisal, *, actor, roles) -> Appraisal:
    """Send the issued appraisal to the sending school for the student's archive (A17), like the
    A6.1 letters (``portal.core.delivery``): the school's liaisons are notified through the
    outbox; the appraisal is 待送达 until that message goes out (the sent hook) or a delivery by
    hand is recorded (a school without a liaison receives the stamped original by post, fax or in
    person). Once: the transition is a compare-and-set on the row."""
    from portal.core.db import utcnow
    from portal.notifications.operations import notify

    MACHINE.apply(appr, "send", actor=actor, roles=roles)
    appr.sent_on = clock.today()
    appr.sent_at = utcnow()
    db.session.flush()
    res = appr.residency
    users = school_liaisons(res.school_id)
    for uid in users:
        notify(appr.tenant_id, template_key="incentives.appraisal_sent",
               context={"school": res.school.name, "name": res.chair.name, "number": appr.number,
                        "term": f"{res.term_start.isoformat()} 至 {(res.ended_on or res.term_end).isoformat()}",
                        "article": "第十七条"},
               recipient_user_id=uid, related_type=RELATED, related_id=appr.id,
               dedupe_key=f"appraisal-sent:{appr.id}:{uid}")
    audit.record("appraisal.sent_to_school", "appraisal", appr.id, actor=actor, article=ARTICLE,
                 after={"number": appr.number, "school_id": res.school_id, "liaisons": len(users)})
    return appr


def delivered(related_id, sent_at) -> None:
    """The outbox's sent hook: the first message to the school's liaison went out — 已送达."""
    from portal.core.concurrency import compare_and_set

    appr = db.session.get(Appraisal, int(related_id))
    if appr is None or appr.delivered_at is not None or not compare_and_set(appr, "delivered_at", None, sent_at):
        return
    appr.delivery_method = "email"
    db.session.flush()
    audit.record("appraisal.delivered", "appraisal", appr.id, actor="通知服务", article=ARTICLE,
                 after={"delivered_at": sent_at, "method": "email"})


def record_manual_delivery(appr: Appraisal, method: str, delivered_at, handed_by: str, received_by: str,
                           note: str | None = None, *, actor) -> Appraisal:
    """By hand (传真、邮寄、当面送达): how, when, by whom, to whom; once."""
    from portal.core.delivery import record_by_hand

    values = record_by_hand(appr, method, delivered_at, handed_by, received_by, note, actor=actor,
                            sent_at=appr.sent_at, what="工作鉴定",
                            not_sent=Conflict("工作鉴定尚未送派出学校，发出后才能登记送达", code="not_sent"),
                            already=Conflict("该工作鉴定已登记送达", code="already_delivered"))
    audit.record("appraisal.delivered", "appraisal", appr.id, actor=actor, article=ARTICLE,
                 after={"delivered_at": delivered_at, **values})
    return appr


def refs_index(appr: Appraisal) -> dict:
    """Statements by section, for the page (each with its refs)."""
    out = {k: [] for k in SECTIONS}
    for s in appr.statements:
        out.setdefault(s["section"], []).append(s)
    return out
