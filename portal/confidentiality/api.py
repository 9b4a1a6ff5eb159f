"""A20's JSON under /api/v1/<tenant>/supervision/{vault,pledges,seals,handover}/... (thin: schema
in, operation, schema out). The whole of Chapter 5 shares the /supervision prefix."""
from __future__ import annotations

import datetime as dt
from typing import Literal

import sqlalchemy as sa
from flask import abort, g, jsonify, request
from flask_login import current_user
from pydantic import Field

from portal.api.common import api_blueprint
from portal.api.schemas import Body, Id, Out, operation, text
from portal.confidentiality import operations as ops
from portal.confidentiality.models import HandoverItem, Seal
from portal.core.clock import utc_iso
from portal.core import vault
from portal.core.errors import DomainError
from portal.core.permissions import require_roles
from portal.extensions import db
from tenants.models import Role

api_bp = api_blueprint("confidentiality_api", __name__, "/api/v1/<tenant>/supervision")

STAFF = (Role.secretariat_admin, Role.secretariat_staff)
MEMBERS = (Role.secretariat_admin, Role.secretariat_staff, Role.department_head, Role.approver, Role.chair)


def _user():
    return current_user._get_current_object()


def _roles():
    return g.get("roles", frozenset())


def _open_gate():
    why = ops.gate(_user(), _roles())
    if why == "pledge":
        raise DomainError("请先签署保密承诺书，签署后方可进入资料库（第二十条）", status=403, code="pledge_required")
    if why == "revoked":
        abort(404)


# --- schemas ----------------------------------------------------------------------------------------

class MaterialForm(Body):
    title: text(max_len=200) | None = None
    # Free text on purpose: a 秘密/机密/绝密 marking must reach the A20 refusal, not a type error.
    classification: text(max_len=20)
    downloadable: Literal["0", "1", "true", "false"] = "1"
    roles: text(max_len=200) | None = None   # comma-separated role names
    users: text(max_len=400) | None = None   # comma-separated user ids


class AccessIn(Body):
    classification: text(max_len=20)
    downloadable: bool = True
    roles: list[text(max_len=40)] = Field(default_factory=list, max_length=10)
    users: list[Id] = Field(default_factory=list, max_length=200)


class MaterialOut(Out):
    id: int
    name: str
    classification: str
    classification_label: str
    downloadable: bool
    file_type: str
    size: int
    sha256: str
    stored_at: dt.datetime
    access: list[str] | None = None


class MaterialPage(Out):
    items: list[MaterialOut]


class LogQuery(Body):
    file_id: Id | None = None
    user_id: Id | None = None
    before: Id | None = None
    limit: int = Field(50, ge=1, le=500)


class LogEntryOut(Out):
    id: int
    at: dt.datetime
    action: str
    file_id: int | None = None
    user_id: int | None = None
    granted_by: str


class LogPage(Out):
    items: list[LogEntryOut]
    next_before: int | None = None


class PledgeIn(Body):
    version: text(max_len=20, min_len=1)
    agree: Literal[True]


class PledgeOut(Out):
    id: int
    user_id: int
    name: str
    version: str
    text_sha256: str
    signed_at: dt.datetime


class PledgeTemplateOut(Out):
    version: str
    text: str
    article: str
    signed: PledgeOut | None = None


class PledgePage(Out):
    items: list[PledgeOut]


class SealIn(Body):
    name: text(max_len=80, min_len=1)
    kind: Literal["official", "department", "special", "signature"]
    custodian_name: text(max_len=40, min_len=1)


class SealOut(Out):
    id: int
    name: str
    kind: str
    custodian_name: str
    status: str


class SealPage(Out):
    items: list[SealOut]


class HandoverIn(Body):
    to_name: text(max_len=40, min_len=1)
    witness: text(max_len=40, min_len=1)
    handed_on: dt.date


class SealHandoverOut(Out):
    id: int
    seal_id: int
    from_name: str
    to_name: str
    witness: str
    handed_on: dt.date


class SealRequestIn(Body):
    seal_id: Id
    title: text(max_len=200, min_len=1)
    copies: int = Field(ge=1, le=1000)
    reason: text(max_len=2000, min_len=1)


class DecisionIn(Body):
    decision: Literal["approve", "reject"]
    note: text(max_len=2000) | None = None


class UseIn(Body):
    copies: int = Field(ge=1, le=1000)
    used_on: dt.date | None = None


class SealRequestOut(Out):
    id: int
    seal_id: int
    title: str
    copies: int
    copies_used: int
    reason: str
    status: str


class SealRequestPage(Out):
    items: list[SealRequestOut]


class SealUseOut(Out):
    id: int
    request_id: int
    copies: int
    used_on: dt.date


class ItemIn(Body):
    title: text(max_len=200, min_len=1)


class CheckIn(Body):
    note: text(max_len=2000) | None = None


class ItemOut(Out):
    id: int
    residency_id: int
    title: str
    status: str
    note: str | None = None


class ChecklistOut(Out):
    residency_id: int
    items: list[ItemOut]
    open: int


# --- the vault ----------------------------------------------------------------------------------------

def material_json(f, *, manage: bool = False) -> dict:
    out = {"id": f.id, "name": f.original_name, "classification": f.classification.value,
           "classification_label": vault.CLASSIFICATION_LABELS[f.classification.value],
           "downloadable": f.downloadable, "file_type": f.file_type, "size": f.size, "sha256": f.sha256,
           "stored_at": utc_iso(f.stored_at)}
    if manage:
        out["access"] = list(f.access or ())
    return out


def _manage() -> bool:
    return bool(set(map(str, _roles())) & ops.MANAGERS)


@api_bp.get("/vault/files")
@require_roles(*MEMBERS)
@operation(responses={200: MaterialPage})
def api_materials():
    """资料库中我可查阅的资料（A20）"""
    _open_gate()
    return jsonify({"items": [material_json(f, manage=_manage()) for f in ops.materials(_user(), _roles())]})


def _split(value) -> list[str]:
    return [v.strip() for v in (value or "").replace("，", ",").split(",") if v.strip()]


@api_bp.post("/vault/files")
@require_roles(*STAFF)
@operation(form=MaterialForm, files=("file",), responses={201: MaterialOut})
def api_upload(form: MaterialForm):
    """存入一份内部资料：密级为公开、内部或敏感；本系统为非涉密系统，标注秘密、机密、绝密的一律拒收（A20）"""
    from portal.core.obligations import FieldError

    vault.check_classification(form.classification)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise FieldError("请选择要上传的文件", "file")
    f = ops.upload_material(upload.read(), upload.filename, title=form.title, classification=form.classification,
                            downloadable=form.downloadable in ("1", "true"), roles=_split(form.roles),
                            users=_split(form.users), actor=_user())
    return jsonify(material_json(f, manage=True)), 201


@api_bp.get("/vault/files/<int:file_id>")
@require_roles(*MEMBERS)
@operation(responses={200: MaterialOut})
def api_material(file_id: int):
    """一份资料的说明（A20）"""
    _open_gate()
    f, _granted = ops.get_material(file_id, _user(), _roles())
    return jsonify(material_json(f, manage=_manage()))


@api_bp.put("/vault/files/<int:file_id>/access")
@require_roles(Role.secretariat_admin)
@operation(body=AccessIn, responses={200: MaterialOut})
def api_set_access(file_id: int, body: AccessIn):
    """更改密级、下载权限和访问范围（按角色、按人员）（A20）"""
    f, _granted = ops.get_material(file_id, _user(), _roles())
    ops.set_access(f, classification=body.classification, downloadable=body.downloadable, roles=body.roles,
                   users=body.users, actor=_user())
    return jsonify(material_json(f, manage=True))


@api_bp.get("/vault/files/<int:file_id>/download")
@require_roles(*MEMBERS)
@operation(responses={200: "binary"})
def api_download(file_id: int):
    """下载（PDF 加读者姓名、学联和时间水印；仅可在线查看的资料 403）；记入访问记录和审计日志（A20）"""
    _open_gate()
    f, granted = ops.get_material(file_id, _user(), _roles())
    return ops.send_material(f, granted, user=_user(), inline=False)


@api_bp.get("/vault/files/<int:file_id>/view")
@require_roles(*MEMBERS)
@operation(responses={200: "binary"})
def api_view(file_id: int):
    """在线查看（PDF 加水印）；记入访问记录和审计日志（A20）"""
    _open_gate()
    f, granted = ops.get_material(file_id, _user(), _roles())
    return ops.send_material(f, granted, user=_user(), inline=True)


@api_bp.get("/vault/log")
@require_roles(*STAFF)
@operation(query=LogQuery, responses={200: LogPage})
def api_log(query: LogQuery):
    """资料库访问记录：按文件、按人员筛选，按编号倒序翻页（before）；查阅本身也记入审计日志（A20）"""
    rows = ops.read_access_log(actor=_user(), roles=_roles(), file_id=query.file_id, user_id=query.user_id,
                               before_id=query.before, limit=query.limit)
    return jsonify({"items": [{"id": r.id, "at": utc_iso(r.at), "action": r.action, "file_id": r.file_id,
                               "user_id": r.user_id, "granted_by": r.granted_by} for r in rows],
                    "next_before": rows[-1].id if len(rows) == query.limit else None})


# --- pledges --------------------------------------------------------------------------------------------

def pledge_json(p) -> dict:
    return {"id": p.id, "user_id": p.user_id, "name": p.name, "version": p.version, "text_sha256": p.text_sha256,
            "signed_at": utc_iso(p.signed_at)}


@api_bp.get("/pledges/template")
@require_roles(*MEMBERS)
@operation(responses={200: PledgeTemplateOut})
def api_pledge_template():
    """本学联现行的保密承诺书（版本、文本），及我是否已签署（A20）"""
    version, text_ = ops.pledge_template()
    signed = ops.current_pledge(_user())
    return jsonify({"version": version, "text": text_, "article": "A20",
                    "signed": pledge_json(signed) if signed else None})


@api_bp.post("/pledges")
@require_roles(Role.chair)
@operation(body=PledgeIn, responses={201: PledgeOut})
def api_sign_pledge(body: PledgeIn):
    """签署保密承诺书（须与现行版本一致）（A20）"""
    return jsonify(pledge_json(ops.sign_pledge(_user(), version=body.version))), 201


@api_bp.get("/pledges")
@require_roles(*MEMBERS)
@operation(responses={200: PledgePage})
def api_pledges():
    """签署记录：秘书处看全部，驻会执行主席只看本人的（A20）"""
    if set(map(str, _roles())) & ops.STAFF:
        rows = db.session.scalars(ops.pledges_query().limit(1000)).all()
    else:
        rows = ops.own_pledges(_user())
    return jsonify({"items": [pledge_json(p) for p in rows]})


# --- seals ----------------------------------------------------------------------------------------------

def seal_json(s) -> dict:
    return {"id": s.id, "name": s.name, "kind": s.kind, "custodian_name": s.custodian_name, "status": s.status.value}


def request_json(r) -> dict:
    return {"id": r.id, "seal_id": r.seal_id, "title": r.title, "copies": r.copies, "copies_used": r.copies_used,
            "reason": r.reason, "status": r.status.value, "status_label": r.status_label}


@api_bp.get("/seals")
@require_roles(*MEMBERS)
@operation(responses={200: SealPage})
def api_seals():
    """印鉴登记（A20）"""
    return jsonify({"items": [seal_json(s) for s in db.session.scalars(sa.select(Seal).order_by(Seal.id))]})


@api_bp.post("/seals")
@require_roles(Role.secretariat_admin)
@operation(body=SealIn, responses={201: SealOut})
def api_register_seal(body: SealIn):
    """登记印鉴及其保管人（A20）"""
    s = ops.register_seal(name=body.name, kind=body.kind, custodian_name=body.custodian_name, actor=_user())
    return jsonify(seal_json(s)), 201


@api_bp.post("/seals/<int:seal_id>/handovers")
@require_roles(Role.secretariat_admin)
@operation(body=HandoverIn, responses={201: SealHandoverOut})
def api_seal_handover(seal_id: int, body: HandoverIn):
    """印鉴保管交接：交出人、接收人、日期、监交人（A20）"""
    seal = db.session.scalar(sa.select(Seal).where(Seal.id == seal_id))
    if seal is None:
        abort(404)
    h = ops.hand_over_seal(seal, to_name=body.to_name, witness=body.witness, handed_on=body.handed_on, actor=_user())
    return jsonify({"id": h.id, "seal_id": h.seal_id, "from_name": h.from_name, "to_name": h.to_name,
                    "witness": h.witness, "handed_on": h.handed_on.isoformat()}), 201


@api_bp.get("/seals/requests")
@require_roles(*MEMBERS)
@operation(responses={200: SealRequestPage})
def api_seal_requests():
    """用印申请：审批和秘书处看全部，其他人只看本人的（A20）"""
    rows = db.session.scalars(ops.seal_requests_query(_user(), _roles()).limit(500)).all()
    return jsonify({"items": [request_json(r) for r in rows]})


@api_bp.post("/seals/requests")
@require_roles(*MEMBERS)
@operation(body=SealRequestIn, responses={201: SealRequestOut})
def api_request_seal(body: SealRequestIn):
    """提交用印申请：文件、印鉴、份数、事由（A20）"""
    r = ops.request_seal_use(seal_id=body.seal_id, title=body.title, copies=body.copies, reason=body.reason,
                             actor=_user())
    return jsonify(request_json(r)), 201


@api_bp.get("/seals/requests/<int:req_id>")
@require_roles(*MEMBERS)
@operation(responses={200: SealRequestOut})
def api_seal_request(req_id: int):
    """一份用印申请（A20）"""
    return jsonify(request_json(ops.get_seal_request(req_id, _user(), _roles())))


@api_bp.post("/seals/requests/<int:req_id>/decision")
@require_roles(*MEMBERS)
@operation(body=DecisionIn, responses={200: SealRequestOut})
def api_decide(req_id: int, body: DecisionIn):
    """审批用印申请（由规则 confidentiality.seal_use_approver_roles 指定的角色）（A20）"""
    r = ops.get_seal_request(req_id, _user(), _roles())
    ops.decide_seal_request(r, approve=body.decision == "approve", actor=_user(), roles=_roles(), note=body.note)
    return jsonify(request_json(r))


@api_bp.post("/seals/requests/<int:req_id>/uses")
@require_roles(*STAFF)
@operation(body=UseIn, responses={201: SealUseOut})
def api_record_use(req_id: int, body: UseIn):
    """凭已批准的用印申请登记用印；未经批准或超出批准份数的一律拒绝（A20）"""
    r = ops.get_seal_request(req_id, _user(), _roles())
    u = ops.record_seal_use(r, copies=body.copies, used_on=body.used_on, actor=_user())
    return jsonify({"id": u.id, "request_id": u.request_id, "copies": u.copies, "used_on": u.used_on.isoformat()}), 201


# --- the term-end handover ------------------------------------------------------------------------------

def checklist_json(res) -> dict:
    items = ops.checklist(res)
    return {"residency_id": res.id, "open": sum(1 for i in items if i.status.value == "open"),
            "items": [{"id": i.id, "residency_id": i.residency_id, "title": i.title, "status": i.status.value,
                       "note": i.note} for i in items]}


def _residency(res_id: int):
    from portal.residency.views import get_residency

    return get_residency(res_id)


@api_bp.get("/handover/<int:res_id>")
@require_roles(*STAFF, Role.chair)
@operation(responses={200: ChecklistOut})
def api_checklist(res_id: int):
    """一名驻会执行主席的期满交接清单（本人或秘书处）（A20）"""
    return jsonify(checklist_json(_residency(res_id)))


@api_bp.post("/handover/<int:res_id>/items")
@require_roles(*STAFF)
@operation(body=ItemIn, responses={201: ChecklistOut})
def api_add_item(res_id: int, body: ItemIn):
    """添加交接事项（A20）"""
    res = _residency(res_id)
    ops.ensure_checklist(res, actor=_user())
    if body.title not in {i.title for i in ops.checklist(res)}:
        ops.add_handover_item(res, title=body.title, actor=_user())
    return jsonify(checklist_json(res)), 201


@api_bp.post("/handover/items/<int:handover_item_id>/check")
@require_roles(*STAFF)
@operation(body=CheckIn, responses={200: ItemOut})
def api_check_item(handover_item_id: int, body: CheckIn):
    """秘书处确认一项已交接（A20）"""
    item = db.session.scalar(sa.select(HandoverItem).where(HandoverItem.id == handover_item_id))
    if item is None:
        abort(404)
    _residency(item.residency_id)
    ops.check_off(item, actor=_user(), roles=_roles(), note=body.note)
    return jsonify({"id": item.id, "residency_id": item.residency_id, "title": item.title,
                    "status": item.status.value, "note": item.note})
