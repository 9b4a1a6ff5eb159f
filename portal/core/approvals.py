"""Approval requests to a higher body (issue 11, item 2).

One model and one flow for every "ask the body above": A6.5 (the consent of the body named by
``selection.approving_body`` to the proposed list), and later A18 (removal), A19 (outside
activities) and A20 (seal use). A feature declares a *kind* once (:func:`register_kind`): the
rule key that names the approving body, the article, the role that decides, and a handler the
decision is delivered to, in the same transaction, through the ``approval_decided`` signal.

Every transition is a compare-and-set on the request's row (``pending`` to ``approved`` /
``refused`` / ``withdrawn``): a second click, a second approver or a second endpoint finds no
pending row and changes nothing. A refusal needs its reason; an approval records the decision's
document number and date (and, optionally, a scan of it).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core import audit
from portal.core.db import StrEnum, TenantScoped, enum_column, utcnow
from portal.core.errors import Conflict, DomainError
from portal.extensions import db

# Heard by portal.notifications (the deciders are told of a request, the requester of the
# decision) and by the feature whose subject it is (sender: the kind's key).
signals = Namespace()
approval_requested = signals.signal("approval-requested")
approval_decided = signals.signal("approval-decided")


class ApprovalStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    refused = "refused"
    withdrawn = "withdrawn"


STATUS_LABELS = {ApprovalStatus.pending: "待审批", ApprovalStatus.approved: "已同意",
                 ApprovalStatus.refused: "未同意", ApprovalStatus.withdrawn: "已撤回"}


class ApprovalRequest(TenantScoped, db.Model):
    __tablename__ = "approval_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(60), nullable=False, index=True)
    subject_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    subject_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    summary: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    # The approving body, by its rule key and by the name that rule gave when asked.
    body_rule_key: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    body_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    article: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    status: Mapped[ApprovalStatus] = enum_column(ApprovalStatus, nullable=False, default=ApprovalStatus.pending,
                                                 index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    requested_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    document_number: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    decision_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    scan_path: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)  # the vault key (0011)
    scan_type: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    scan_sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)

    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="joined")
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined")

    __table_args__ = (
        # One open request per subject and kind: asking twice returns the first.
        sa.Index("uq_approval_requests_open", "tenant_id", "kind", "subject_type", "subject_id", unique=True,
                 sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'")),
    )

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    body_rule_key: str
    article: str
    decider_roles: tuple[str, ...] = ("approver",)
    requester_roles: tuple[str, ...] = ("secretariat_admin", "secretariat_staff")
    subject_url: object = None  # callable(request) -> url, for the queue


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    KINDS[kind.key] = kind
    return kind


def kind_of(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise DomainError(f"未知的审批事项「{key}」", code="unknown_approval_kind") from None


def request(tenant, kind_key: str, *, subject_type: str, subject_id: int, title: str, rules, actor,
            summary: str | None = None, payload: dict | None = None) -> ApprovalRequest:
    """Ask the body named by the kind's rule (read from ``rules``: the cycle's pinned ones, or the
    tenant's effective rules); an open request for the same subject is returned, not doubled."""
    kind = kind_of(kind_key)
    existing = open_request(kind_key, subject_type, subject_id)
    if existing is not None:
        return existing
    body = rules(kind.body_rule_key) if callable(rules) else rules[kind.body_rule_key]
    req = ApprovalRequest(tenant_id=tenant.id, kind=kind.key, subject_type=subject_type, subject_id=int(subject_id),
                          title=title[:200], summary=summary, payload=payload or {}, body_rule_key=kind.body_rule_key,
                          body_name=str(body)[:120], article=kind.article, status=ApprovalStatus.pending,
                          requested_by_id=getattr(actor, "id", None), requested_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(req)
            db.session.flush()
    except sa.exc.IntegrityError:
        found = open_request(kind_key, subject_type, subject_id)
        if found is None:
            raise
        return found
    audit.record("approval.requested", "approval_request", req.id, actor=actor, article=kind.article,
                 after={"kind": kind.key, "subject": f"{subject_type}:{subject_id}", "body": req.body_name,
                        "payload": req.payload})
    approval_requested.send(kind.key, request=req, actor=actor)
    return req


def open_request(kind_key: str, subject_type: str, subject_id: int) -> ApprovalRequest | None:
    return db.session.scalar(sa.select(ApprovalRequest).where(
        ApprovalRequest.kind == kind_key, ApprovalRequest.subject_type == subject_type,
        ApprovalRequest.subject_id == int(subject_id), ApprovalRequest.status == ApprovalStatus.pending))


def _transition(req: ApprovalRequest, to: ApprovalStatus, **values) -> None:
    changed = db.session.execute(
        sa.update(ApprovalRequest)
        .where(ApprovalRequest.id == req.id, ApprovalRequest.status == ApprovalStatus.pending)
        .values(status=to, **values).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict("该审批事项已处理（可能已被他人处理或撤回），请刷新页面")
    db.session.refresh(req)


MAX_SCAN_BYTES = 10 * 1024 * 1024


def decide(req: ApprovalRequest, approve: bool, *, actor, reason: str | None = None,
           document_number: str | None = None, decision_date: dt.date | None = None,
           scan: tuple[str, bytes] | None = None, today: dt.date | None = None) -> ApprovalRequest:
    """Record the body's decision; the kind's handler applies it in the same transaction."""
    from portal.core import clock

    kind = kind_of(req.kind)
    reason = (reason or "").strip() or None
    document_number = (document_number or "").strip() or None
    if not approve and not reason:
        raise DomainError("不同意须说明理由", field="reason")
    if reason and len(reason) > 2000:
        raise DomainError("理由不能超过2000字", field="reason")
    if approve and not document_number:
        raise DomainError("请填写批复文号", field="document_number")
    if document_number and len(document_number) > 60:
        raise DomainError("文号不能超过60字", field="document_number")
    if approve and decision_date is None:
        raise DomainError("请填写批复日期", field="decision_date")
    today = today or clock.today()
    asked_on = min(req.requested_at.date(), today)  # a rehearsal clock may lie before the timestamps
    if decision_date is not None and (decision_date > today or decision_date < asked_on - dt.timedelta(days=1)):
        raise DomainError("批复日期应在报批之后、不晚于今天", field="decision_date")
    scan_fields = {}
    if scan is not None:
        scan_fields = _store_scan(req, kind, actor, *scan)
    to = ApprovalStatus.approved if approve else ApprovalStatus.refused
    _transition(req, to, decided_by_id=getattr(actor, "id", None), decided_at=utcnow(), reason=reason,
                document_number=document_number, decision_date=decision_date, **scan_fields)
    audit.record(f"approval.{to.value}", "approval_request", req.id, actor=actor, article=kind.article,
                 before={"status": "pending"},
                 after={"status": to.value, "reason": reason, "document_number": document_number,
                        "decision_date": decision_date, "scan_sha256": req.scan_sha256, "body": req.body_name})
    approval_decided.send(kind.key, request=req, actor=actor)
    return req


def withdraw(req: ApprovalRequest, *, actor, reason: str) -> ApprovalRequest:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("撤回须说明理由", field="reason")
    _transition(req, ApprovalStatus.withdrawn, decided_by_id=getattr(actor, "id", None), decided_at=utcnow(),
                reason=reason[:2000])
    audit.record("approval.withdrawn", "approval_request", req.id, actor=actor, article=req.article,
                 before={"status": "pending"}, after={"status": "withdrawn", "reason": reason})
    approval_decided.send(req.kind, request=req, actor=actor)
    return req


def _store_scan(req: ApprovalRequest, kind: Kind, actor, filename: str, data: bytes) -> dict:
    """The decision's scan (PDF or image), judged by its content and hashed, kept in the vault
    (written once the decision commits) for the requesters and the deciders of its kind."""
    from portal.core import vault
    from portal.core.uploads import UploadError

    if len(data) > MAX_SCAN_BYTES:
        raise DomainError(f"批复扫描件不能超过 {MAX_SCAN_BYTES // (1024 * 1024)} MB", field="scan")
    try:
        f = vault.store(req.tenant_id, data, filename=filename, purpose="approvals.scan",
                        allowed=("pdf", "jpg", "png"), max_size=MAX_SCAN_BYTES, stored_by=actor,
                        access=("owner", *(f"role:{r}" for r in (*kind.requester_roles, *kind.decider_roles))))
    except UploadError as exc:
        raise DomainError(f"批复扫描件：{exc}", field="scan") from None
    return {"scan_path": f.storage_key, "scan_type": f.content_type, "scan_sha256": f.sha256}


def queue(status: ApprovalStatus | None = ApprovalStatus.pending):
    stmt = sa.select(ApprovalRequest).order_by(ApprovalRequest.requested_at.desc(), ApprovalRequest.id.desc())
    if status is not None:
        stmt = stmt.where(ApprovalRequest.status == status)
    return stmt


def pending_count(roles) -> int:
    kinds = [k.key for k in KINDS.values() if set(k.decider_roles) & {str(r) for r in roles}]
    if not kinds:
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(ApprovalRequest).where(
        ApprovalRequest.status == ApprovalStatus.pending, ApprovalRequest.kind.in_(kinds))) or 0
