"""A20 (issue 14 item 3): confidentiality — the vault's internal materials, their access log,
the chair's pledge, seals and their use, the term-end handover. Flush, never commit; every
change is audited citing A20.

Rules (tenant's effective rules, A22): ``confidentiality.pledge_version`` and ``.pledge_text``
(the 保密承诺书 by reference), ``.seal_use_approver_roles`` (who approves a 用印申请),
``.handover_items`` (the checklist's default lines).
"""
from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa

from portal.core import audit, clock, vault
from portal.core.concurrency import compare_and_set, lock_row, refresh
from portal.core.db import current_tenant_id, utcnow
from portal.core.errors import Conflict, DomainError
from portal.core.obligations import FieldError
from portal.core.workflow import SYSTEM, Machine, Refusal, transition
from portal.confidentiality.models import (
    MATERIAL_PURPOSE, SEAL_KINDS, HandoverItem, HandoverStatus, Pledge, Seal, SealHandover, SealRequestStatus,
    SealStatus, SealUse, SealUseRequest, VaultRevocation,
)
from portal.extensions import db

ARTICLE = "A20"
CITE = "第二十条"
STAFF = frozenset({"secretariat_admin", "secretariat_staff"})
MANAGERS = frozenset({"secretariat_admin"})  # see and manage every material
MATERIAL_TYPES = ("pdf", "docx", "xlsx", "jpg", "png")
ACCESS_ROLES = ("secretariat_admin", "secretariat_staff", "department_head", "approver", "chair")
LOG_PAGE = 50


def _rules():
    from flask import g, has_request_context

    from tenants.models import Tenant
    from tenants.rules.operations import effective_rules

    if has_request_context() and getattr(g, "tenant", None) is not None and g.tenant.id == current_tenant_id():
        cached = g.get("_confidentiality_rules")
        if cached is None:
            cached = g._confidentiality_rules = effective_rules(g.tenant)
        return cached
    return effective_rules(db.session.get(Tenant, current_tenant_id()))


def rule(key: str):
    return _rules()[key]


def _roles(roles) -> set[str]:
    return set() if roles == SYSTEM else {str(r) for r in roles or ()}


def _text(value, field: str, label: str, max_len: int, *, required: bool = True) -> str | None:
    v = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not v:
        if required:
            raise FieldError(f"请填写{label}", field)
        return None
    if len(v) > max_len:
        raise FieldError(f"{label}不能超过{max_len}字", field)
    return v


# --- who reaches the vault ------------------------------------------------------------------------

def revoked(user) -> bool:
    """The user's residency ended and no later one is running: a chair appointed again (a later
    cohort) reaches the vault again through the new residency, without anyone lifting the old
    revocation by hand (it stays as the record of the first residency's end)."""
    from portal.residency.models import Chair, Residency, ResidencyStatus

    uid = getattr(user, "id", None)
    if uid is None:
        return False
    running = (sa.select(sa.literal(1)).select_from(Residency).join(Chair, Chair.id == Residency.chair_id)
               .where(Chair.user_id == uid, Residency.status == ResidencyStatus.in_residence,
                      sa.or_(VaultRevocation.residency_id.is_(None), Residency.id != VaultRevocation.residency_id)))
    return db.session.scalar(
        sa.select(sa.literal(1)).select_from(VaultRevocation)
        .where(VaultRevocation.user_id == uid, ~running.exists()).limit(1)) is not None


def is_chair_only(roles) -> bool:
    """A chair without any other role in the tenant: the pledge gate and revocation apply."""
    r = _roles(roles)
    return "chair" in r and not (r - {"chair"})


def gate(user, roles) -> str | None:
    """Why the vault stays closed to ``user``: ``"revoked"`` (their residency ended), ``"pledge"``
    (a chair who has not signed the current 保密承诺书, A20), or None (open)."""
    r = _roles(roles)
    if "chair" not in r:
        return None
    if revoked(user):
        return "revoked" if is_chair_only(roles) else None
    if current_pledge(user) is None and is_chair_only(roles):
        return "pledge"
    return None


def effective_roles(user, roles) -> set[str]:
    """The roles that reach files: a chair's reach (``role:chair``) ends with the residency and
    waits for the signed pledge."""
    r = _roles(roles)
    if "chair" in r and (revoked(user) or current_pledge(user) is None):
        r.discard("chair")
    return r


def reach(f: vault.StoredFile, user, roles, *, standing: tuple | None = None) -> str | None:
    """What lets ``user`` have material ``f``, or None (then: 404). ``standing``: the user's
    (effective roles, gate) worked out once for a list (:func:`standing_of`)."""
    if f is None or f.purpose != MATERIAL_PURPOSE:
        return None
    r, closed = standing if standing is not None else standing_of(user, roles)
    if r & MANAGERS:
        return "role:secretariat_admin"
    if closed:
        return None
    return vault.granted_by(f, user, r)


def standing_of(user, roles) -> tuple[set[str], str | None]:
    return effective_roles(user, roles), gate(user, roles)


def get_material(file_id: int, user, roles) -> tuple[vault.StoredFile, str]:
    from flask import abort

    f = db.session.scalar(sa.select(vault.StoredFile).where(vault.StoredFile.id == file_id,
                                                             vault.StoredFile.purpose == MATERIAL_PURPOSE))
    granted = reach(f, user, roles) if f is not None else None
    if granted is None:
        abort(404)
    return f, granted


def materials_query(user, roles, *, classification: str | None = None):
    """The materials this user may see (the access list, checked in SQL where it can be and
    then per row: a JSON list is not portably searchable)."""
    q = sa.select(vault.StoredFile).where(vault.StoredFile.purpose == MATERIAL_PURPOSE)
    if classification:
        q = q.where(vault.StoredFile.classification == vault.Classification(classification))
    return q.order_by(vault.StoredFile.id.desc())


def materials(user, roles, *, classification: str | None = None, limit: int = 500) -> list[vault.StoredFile]:
    rows = db.session.scalars(materials_query(user, roles, classification=classification).limit(limit)).all()
    standing = standing_of(user, roles)
    return [f for f in rows if reach(f, user, roles, standing=standing) is not None]


def _access_entries(roles, users) -> list[str]:
    entries = ["owner"]
    for r in roles or ():
        r = str(r).strip()
        if not r:
            continue
        if r not in ACCESS_ROLES:
            raise FieldError(f"未知的角色「{r[:20]}」", "roles")
        entries.append(f"role:{r}")
    for u in users or ():
        try:
            uid = int(u)
        except (TypeError, ValueError):
            raise FieldError("可查阅人员应为用户编号", "users") from None
        from portal.auth.models import User  # noqa: F401 (the users table)
        from tenants.models import Membership

        member = db.session.scalar(sa.select(Membership.user_id).where(Membership.user_id == uid,
                                                                       Membership.active.is_(True)).limit(1))
        if member is None:
            raise FieldError(f"用户 {uid} 不是本学联的成员", "users")
        entries.append(f"user:{uid}")
    return sorted(set(entries))


def upload_material(data: bytes, filename: str | None, *, title: str | None, classification, downloadable: bool,
                    roles=(), users=(), actor) -> vault.StoredFile:
    """Store an internal material (A20): its level checked first (a 秘密/机密/绝密 marking is
    refused with the non-classified notice), then its content; access list by role and person."""
    from flask import current_app

    from portal.core.uploads.errors import UploadError

    level = vault.check_classification(classification)
    entries = _access_entries(roles, users)
    name = _text(title, "title", "文件名称", 200, required=False)
    try:
        f = vault.store(current_tenant_id(), data, filename=filename, purpose=MATERIAL_PURPOSE,
                        allowed=MATERIAL_TYPES, stored_by=actor, access=entries, classification=level,
                        downloadable=downloadable, max_size=current_app.config.get("MAX_CONTENT_LENGTH"),
                        name=vault.stored_filename(name, vault.detect_type(data) or "pdf") if name else None)
    except UploadError as exc:
        raise FieldError(str(exc), "file") from None
    audit.record("vault.stored", "vault_file", f.id, actor=actor, article=ARTICLE,
                 after={"name": f.original_name, "classification": level.value, "downloadable": f.downloadable,
                        "access": f.access, "sha256": f.sha256, "size": f.size})
    return f


def set_access(f: vault.StoredFile, *, classification, downloadable: bool, roles=(), users=(), actor) -> vault.StoredFile:
    level = vault.check_classification(classification)
    entries = _access_entries(roles, users)
    before = {"classification": f.classification.value if f.classification else None,
              "downloadable": f.downloadable, "access": list(f.access or ())}
    f.classification, f.downloadable, f.access = level, bool(downloadable), entries
    db.session.flush()
    audit.record("vault.access_changed", "vault_file", f.id, actor=actor, article=ARTICLE, before=before,
                 after={"classification": level.value, "downloadable": f.downloadable, "access": entries})
    return f


def stamp_for(user):
    """The watermark for ``user`` now (A20): their name, the tenant and the time."""
    from flask import g

    from portal.confidentiality.watermark import stamp_pdf, watermark_lines

    lines = watermark_lines(user, getattr(g, "tenant", None), clock.now())
    return lambda data: stamp_pdf(data, lines)


def send_material(f: vault.StoredFile, granted: str, *, user, inline: bool):
    """View (inline) or download; a PDF is watermarked; logged and audited (A20)."""
    stamp = stamp_for(user) if f.file_type == "pdf" else None
    return vault.send(f, user=user, roles=(), grant=granted, inline=inline, stamp=stamp)


# --- the access log -------------------------------------------------------------------------------

def access_log(*, file_id: int | None = None, user_id: int | None = None, before_id: int | None = None,
               limit: int = LOG_PAGE) -> list[vault.FileAccess]:
    """Newest first, by document and/or person, keyset-paged on the id (the seek indexes
    ``(tenant_id, file_id, id)`` and ``(tenant_id, user_id, id)``)."""
    F = vault.FileAccess
    q = sa.select(F).where(F.tenant_id == current_tenant_id())
    if file_id is not None:
        q = q.where(F.file_id == file_id)
    if user_id is not None:
        q = q.where(F.user_id == user_id)
    if before_id is not None:
        q = q.where(F.id < before_id)
    return list(db.session.scalars(q.order_by(F.id.desc()).limit(max(1, min(int(limit), 500)))))


def read_access_log(*, actor, roles, file_id=None, user_id=None, before_id=None, limit=LOG_PAGE,
                    export: bool = False) -> list[vault.FileAccess]:
    """Staff only; the reading itself is logged and audited (A20)."""
    r = _roles(roles)
    if not r & STAFF:
        raise DomainError("只有秘书处可以查阅资料库访问记录（第二十条）", status=403, code="forbidden")
    rows = access_log(file_id=file_id, user_id=user_id, before_id=before_id, limit=limit)
    vault.record_access(None, "export" if export else "log_read", actor, sorted(r & STAFF)[0],
                        tenant_id=current_tenant_id(),
                        details={"file_id": file_id, "user_id": user_id, "before_id": before_id, "rows": len(rows)})
    return rows


# --- the pledge (保密承诺书) ----------------------------------------------------------------------

def pledge_template() -> tuple[str, str]:
    """(version, text) of the tenant's current pledge (rule data, A20)."""
    return str(rule("confidentiality.pledge_version")), str(rule("confidentiality.pledge_text"))


def current_pledge(user) -> Pledge | None:
    uid = getattr(user, "id", None)
    if uid is None:
        return None
    version, _ = pledge_template()
    return db.session.scalar(sa.select(Pledge).where(Pledge.user_id == uid, Pledge.version == version))


def own_pledges(user) -> list[Pledge]:
    return list(db.session.scalars(sa.select(Pledge).where(Pledge.user_id == user.id).order_by(Pledge.id.desc())))


def sign_pledge(user, *, version: str, actor=None) -> Pledge:
    """The chair signs the pledge of ``version`` (the one they read); a changed text is refused
    (they must read the new one). Signing twice returns the first signature."""
    current, text = pledge_template()
    if (version or "").strip() != current:
        raise Conflict(f"保密承诺书已更新为第 {current} 版，请阅读新版本后再签署（{CITE}）", code="pledge_changed")
    found = current_pledge(user)
    if found is not None:
        return found
    from portal.residency.operations import own_residency

    res = own_residency(user)
    p = Pledge(tenant_id=current_tenant_id(), user_id=user.id, chair_id=res.chair_id if res else None,
               name=(res.chair.name if res else user.name)[:40], version=current,
               text_sha256=hashlib.sha256(text.encode()).hexdigest())
    try:
        with db.session.begin_nested():
            db.session.add(p)
            db.session.flush()
    except sa.exc.IntegrityError:
        found = current_pledge(user)
        if found is None:
            raise
        return found
    audit.record("confidentiality.pledge_signed", "pledge", p.id, actor=actor or user, article=ARTICLE,
                 after={"user_id": user.id, "version": current, "text_sha256": p.text_sha256})
    return p


def pledges_query():
    return sa.select(Pledge).order_by(Pledge.signed_at.desc(), Pledge.id.desc())


# --- revocation (A18 removal, A21, the term's end) ------------------------------------------------

def revoke_vault_access(res, *, status: str, actor) -> VaultRevocation | None:
    """The chair's person entries leave every material's access list and their chair-role
    reach ends (A20). Runs inside the ending transaction; flushes only."""
    chair = res.chair
    uid = chair.user_id
    if uid is None:
        return None
    entry = f"user:{uid}"
    removed = 0
    for f in db.session.scalars(sa.select(vault.StoredFile).where(vault.StoredFile.purpose == MATERIAL_PURPOSE)):
        if entry in (f.access or ()):
            f.access = [e for e in f.access if e != entry]
            removed += 1
    found = db.session.scalar(sa.select(VaultRevocation).where(VaultRevocation.user_id == uid))
    if found is None:
        found = VaultRevocation(tenant_id=res.tenant_id, user_id=uid, residency_id=res.id, status=status,
                                removed_entries=removed)
        db.session.add(found)
    else:
        found.residency_id, found.status, found.removed_entries = res.id, status, found.removed_entries + removed
    db.session.flush()
    audit.record("vault.access_revoked", "residency", res.id, actor=actor, article=ARTICLE,
                 after={"user_id": uid, "status": status, "removed_entries": removed})
    ensure_checklist(res, actor=actor)  # what the chair holds stays to be handed over
    return found


def on_residency_ended(res, **kw):
    revoke_vault_access(res, status=kw.get("status") or "ended", actor=kw.get("actor"))


# --- seals (印鉴) ---------------------------------------------------------------------------------

def register_seal(*, name, kind, custodian_name, custodian_user_id=None, actor) -> Seal:
    name = _text(name, "name", "印鉴名称", 80)
    if kind not in SEAL_KINDS:
        raise FieldError(f"印鉴类别只能是：{'、'.join(SEAL_KINDS.values())}", "kind")
    custodian = _text(custodian_name, "custodian_name", "保管人", 40)
    if db.session.scalar(sa.select(Seal.id).where(Seal.name == name)):
        raise FieldError("已有同名印鉴", "name")
    seal = Seal(tenant_id=current_tenant_id(), name=name, kind=kind, custodian_name=custodian,
                custodian_user_id=custodian_user_id, status=SealStatus.in_use)
    db.session.add(seal)
    db.session.flush()
    audit.record("seal.registered", "seal", seal.id, actor=actor, article=ARTICLE,
                 after={"name": name, "kind": kind, "custodian": custodian})
    return seal


def hand_over_seal(seal: Seal, *, to_name, witness, handed_on: dt.date, to_user_id=None, actor) -> SealHandover:
    """A custody handover, witnessed; compare-and-set on the custodian (two handovers from the
    same custodian: the second is refused)."""
    to_name = _text(to_name, "to_name", "接收人", 40)
    witness = _text(witness, "witness", "监交人", 40)
    if seal.status != SealStatus.in_use:
        raise Conflict("该印鉴已停用，不能交接", code="bad_state")
    if not isinstance(handed_on, dt.date):
        raise FieldError("请填写交接日期", "handed_on")
    if to_name == seal.custodian_name:
        raise FieldError("接收人与当前保管人相同", "to_name")
    if witness in (to_name, seal.custodian_name):
        raise FieldError("监交人不能是交接双方", "witness")
    before = seal.custodian_name
    if not compare_and_set(seal, "custodian_name", before, to_name, custodian_user_id=to_user_id):
        refresh(seal)
        raise Conflict(f"该印鉴的保管人已变更为「{seal.custodian_name}」，请刷新后查看", code="stale_state")
    h = SealHandover(tenant_id=seal.tenant_id, seal_id=seal.id, from_name=before, to_name=to_name,
                     to_user_id=to_user_id, handed_on=handed_on, witness=witness,
                     recorded_by_id=getattr(actor, "id", None))
    db.session.add(h)
    db.session.flush()
    audit.record("seal.handed_over", "seal", seal.id, actor=actor, article=ARTICLE, before={"custodian": before},
                 after={"custodian": to_name, "witness": witness, "handed_on": handed_on})
    return h


def handovers(seal_ids) -> dict[int, list[SealHandover]]:
    out: dict[int, list] = {i: [] for i in seal_ids}
    if out:
        for h in db.session.scalars(sa.select(SealHandover).where(SealHandover.seal_id.in_(list(out)))
                                    .order_by(SealHandover.handed_on, SealHandover.id)):
            out[h.seal_id].append(h)
    return out


def _approver_by_rule(req, ctx):
    allowed = set(rule("confidentiality.seal_use_approver_roles"))
    if ctx.get("roles") != SYSTEM and not (_roles(ctx.get("roles")) & allowed):
        return Refusal("approver_by_rule", "用印申请须由规则指定的角色审批（第二十条）")
    return None


def _exhausted(req, ctx):
    if req.copies_used < req.copies:
        return Refusal("copies_left", "该用印申请尚有未用份数")
    return None


APPROVERS = frozenset({"secretariat_admin", "secretariat_staff", "department_head", "approver"})
SEAL_REQUESTS = Machine(
    "confidentiality.seal_request", subject="seal_request", noun="该用印申请", cite=lambda a: CITE,
    labels={SealRequestStatus.pending: "待审批", SealRequestStatus.approved: "已批准",
            SealRequestStatus.rejected: "未批准", SealRequestStatus.used: "已用印"},
    transitions=[
        transition("approve", "批准用印", [SealRequestStatus.pending], SealRequestStatus.approved, APPROVERS,
                   ARTICLE, guards=[_approver_by_rule], audit_action="seal_request.approved"),
        transition("reject", "不予批准", [SealRequestStatus.pending], SealRequestStatus.rejected, APPROVERS,
                   ARTICLE, guards=[_approver_by_rule], audit_action="seal_request.rejected"),
        transition("exhaust", "用印完毕", [SealRequestStatus.approved], SealRequestStatus.used, (), ARTICLE,
                   guards=[_exhausted], audit_action="seal_request.used"),
    ])


def request_seal_use(*, seal_id, title, copies, reason, actor) -> SealUseRequest:
    seal = db.session.scalar(sa.select(Seal).where(Seal.id == seal_id)) if seal_id else None
    if seal is None:
        raise FieldError("请选择印鉴", "seal_id")
    if seal.status != SealStatus.in_use:
        raise FieldError("该印鉴已停用", "seal_id")
    title = _text(title, "title", "用印文件", 200)
    reason = _text(reason, "reason", "用印事由", 2000)
    try:
        n = int(copies)
    except (TypeError, ValueError):
        raise FieldError("份数应为正整数", "copies") from None
    if not 1 <= n <= 1000:
        raise FieldError("份数应在 1 至 1000 之间", "copies")
    req = SealUseRequest(tenant_id=seal.tenant_id, seal_id=seal.id, title=title, copies=n, reason=reason,
                         status=SealRequestStatus.pending, copies_used=0, requested_by_id=getattr(actor, "id", None))
    db.session.add(req)
    db.session.flush()
    audit.record("seal_request.submitted", "seal_request", req.id, actor=actor, article=ARTICLE,
                 after={"seal": seal.name, "title": title, "copies": n, "reason": reason})
    return req


def decide_seal_request(req: SealUseRequest, *, approve: bool, actor, roles, note=None) -> SealUseRequest:
    if roles != SYSTEM and not (_roles(roles) & set(rule("confidentiality.seal_use_approver_roles"))):
        raise DomainError("用印申请须由规则指定的角色审批（第二十条）", status=403, code="forbidden_transition")
    SEAL_REQUESTS.apply(req, "approve" if approve else "reject", actor=actor, roles=roles,
                        ctx={"roles": roles}, note=note)
    req.decided_by_id, req.decided_at, req.decision_note = getattr(actor, "id", None), utcnow(), (note or None)
    db.session.flush()
    return req


NO_APPROVED_REQUEST = "用印须凭已批准的用印申请，未经批准不得用印（第二十条）"


def record_seal_use(req: SealUseRequest | None, *, copies, used_on: dt.date | None = None, actor) -> SealUse:
    """Log a use against its approved request; copies used never pass the approved number. The
    row is locked and the used count compare-and-set: two recorders never both take the last copy."""
    if req is None:
        raise Conflict(NO_APPROVED_REQUEST, code="no_approved_request")
    try:
        n = int(copies)
    except (TypeError, ValueError):
        raise FieldError("份数应为正整数", "copies") from None
    if n < 1:
        raise FieldError("份数应为正整数", "copies")
    lock_row(SealUseRequest, req.id)
    refresh(req)
    if req.status != SealRequestStatus.approved:
        msg = NO_APPROVED_REQUEST if req.status != SealRequestStatus.used else f"该申请批准的 {req.copies} 份已全部用印（{CITE}）"
        raise Conflict(msg, code="no_approved_request" if req.status != SealRequestStatus.used else "copies_exceeded")
    before = req.copies_used
    if before + n > req.copies:
        raise Conflict(f"用印份数超出批准份数：批准 {req.copies} 份，已用 {before} 份（{CITE}）", code="copies_exceeded")
    if not compare_and_set(req, "copies_used", before, before + n):
        raise Conflict("该申请的用印记录已被他人更新，请刷新后重试", code="stale_state")
    use = SealUse(tenant_id=req.tenant_id, request_id=req.id, seal_id=req.seal_id, copies=n,
                  used_on=used_on or clock.today(), recorded_by_id=getattr(actor, "id", None))
    db.session.add(use)
    db.session.flush()
    audit.record("seal.used", "seal_request", req.id, actor=actor, article=ARTICLE,
                 before={"copies_used": before}, after={"copies_used": before + n, "copies": n, "use_id": use.id,
                                                        "used_on": use.used_on})
    if req.copies_used >= req.copies:
        SEAL_REQUESTS.advance(req, "exhaust", actor=actor)
    return use


def seal_requests_query(user, roles):
    """Staff and approvers: all; anyone else (a chair): their own only."""
    q = sa.select(SealUseRequest).order_by(SealUseRequest.id.desc())
    if not _roles(roles) & (STAFF | APPROVERS):
        q = q.where(SealUseRequest.requested_by_id == getattr(user, "id", -1))
    return q


def get_seal_request(req_id: int, user, roles) -> SealUseRequest:
    from flask import abort

    req = db.session.scalar(seal_requests_query(user, roles).where(SealUseRequest.id == req_id))
    if req is None:
        abort(404)
    return req


def uses_of(req_ids) -> dict[int, list[SealUse]]:
    out: dict[int, list] = {i: [] for i in req_ids}
    if out:
        for u in db.session.scalars(sa.select(SealUse).where(SealUse.request_id.in_(list(out))).order_by(SealUse.id)):
            out[u.request_id].append(u)
    return out


# --- the term-end handover (A20) ------------------------------------------------------------------

HANDOVER = Machine(
    "confidentiality.handover_item", subject="handover_item", noun="该交接事项", cite=lambda a: CITE,
    labels={HandoverStatus.open: "待交接", HandoverStatus.returned: "已交接"},
    transitions=[transition("check_off", "确认已交接", [HandoverStatus.open], HandoverStatus.returned, STAFF,
                            ARTICLE, audit_action="handover.checked_off")])


def checklist(res) -> list[HandoverItem]:
    return list(db.session.scalars(sa.select(HandoverItem).where(HandoverItem.residency_id == res.id)
                                   .order_by(HandoverItem.id)))


def ensure_checklist(res, *, actor) -> list[HandoverItem]:
    """The chair's checklist, opened from the tenant's default lines when it has none yet."""
    items = checklist(res)
    if items:
        return items
    for title in rule("confidentiality.handover_items"):
        db.session.add(HandoverItem(tenant_id=res.tenant_id, residency_id=res.id, title=str(title)[:200],
                                    status=HandoverStatus.open))
    db.session.flush()
    items = checklist(res)
    audit.record("handover.opened", "residency", res.id, actor=actor, article=ARTICLE,
                 after={"items": [i.title for i in items]})
    return items


def add_handover_item(res, *, title, actor) -> HandoverItem:
    title = _text(title, "title", "交接事项", 200)
    if db.session.scalar(sa.select(HandoverItem.id).where(HandoverItem.residency_id == res.id,
                                                          HandoverItem.title == title)):
        raise FieldError("清单中已有该事项", "title")
    item = HandoverItem(tenant_id=res.tenant_id, residency_id=res.id, title=title, status=HandoverStatus.open)
    db.session.add(item)
    db.session.flush()
    audit.record("handover.item_added", "residency", res.id, actor=actor, article=ARTICLE,
                 after={"item_id": item.id, "title": title})
    return item


def check_off(item: HandoverItem, *, actor, roles, note=None) -> HandoverItem:
    HANDOVER.apply(item, "check_off", actor=actor, roles=roles, note=note)
    item.checked_by_id, item.checked_at, item.note = getattr(actor, "id", None), utcnow(), (note or None)
    db.session.flush()
    return item


def open_items(res) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(HandoverItem).where(
        HandoverItem.residency_id == res.id, HandoverItem.status == HandoverStatus.open)) or 0


def completion_guard(res) -> Refusal | None:
    """A20: the term is not completed while the handover checklist has open lines (a removal
    or a departure is not blocked: the checklist stays open for follow-up)."""
    items = checklist(res)
    if not items:
        return Refusal("handover_missing", "期满前须按清单交接文件、资料和借用物品：尚未建立交接清单（第二十条）")
    n = sum(1 for i in items if i.status == HandoverStatus.open)
    if n:
        names = "、".join(i.title for i in items if i.status == HandoverStatus.open)[:200]
        return Refusal("handover_open", f"期满交接尚有 {n} 项未完成（{names}），完成交接后方可办理期满（第二十条）")
    return None


# --- levels from a sheet ----------------------------------------------------------------------------

SHEET_HEADERS = ("文件编号", "密级", "允许下载")


def import_levels(data: bytes, *, actor, roles) -> int:
    """Set the levels (and download) of many materials from an XLSX (文件编号, 密级, 允许下载). Every
    row is checked first: a 秘密/机密/绝密 marking anywhere refuses the whole sheet with the
    non-classified notice and the row (A20); nothing is written then."""
    from portal.core.uploads.errors import UploadError
    from portal.core.uploads.reading import read_xlsx_rows

    try:
        rows = read_xlsx_rows(data, max_rows=2000, max_cols=10)
    except UploadError as exc:
        raise FieldError(str(exc), "file") from None
    if not rows or [str(c or "").strip() for c in rows[0][:3]] != list(SHEET_HEADERS[:len(rows[0][:3])]) \
            or len(rows[0]) < 2:
        raise FieldError(f"表头应为：{'、'.join(SHEET_HEADERS)}", "file")
    plan = []
    for n, row in enumerate(rows[1:], start=2):
        if not row or all(c in (None, "") for c in row):
            continue
        try:
            fid = int(str(row[0]).strip())
        except (TypeError, ValueError):
            raise FieldError(f"第 {n} 行：文件编号应为整数", "file") from None
        try:
            level = vault.check_classification(row[1] if len(row) > 1 else None)
        except DomainError as exc:
            raise DomainError(f"第 {n} 行：{exc.message}", status=422, code=exc.code, field="file",
                              details={"file": f"第 {n} 行：{exc.message}"}) from None
        raw = str(row[2]).strip() if len(row) > 2 and row[2] not in (None, "") else "是"
        if raw not in ("是", "否"):
            raise FieldError(f"第 {n} 行：允许下载应填“是”或“否”", "file")
        f = db.session.scalar(sa.select(vault.StoredFile).where(vault.StoredFile.id == fid,
                                                                 vault.StoredFile.purpose == MATERIAL_PURPOSE))
        if f is None:
            raise FieldError(f"第 {n} 行：找不到编号为 {fid} 的资料", "file")
        plan.append((f, level, raw == "是"))
    for f, level, downloadable in plan:
        set_access(f, classification=level.value, downloadable=downloadable,
                   roles=[e.split(":", 1)[1] for e in f.access or () if e.startswith("role:")],
                   users=[e.split(":", 1)[1] for e in f.access or () if e.startswith("user:")], actor=actor)
    return len(plan)
