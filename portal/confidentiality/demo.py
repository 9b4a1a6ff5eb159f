"""Demo data for A20 (issue 14 item 3): the national federation's vault with a material at each
level and their access lists, an access log, the demo chair's signed pledge, two seals (one
handed over) and seal-use requests pending, approved and used, and a handover checklist."""
from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa

from portal.auth.operations import find_user
from portal.confidentiality import operations as ops
from portal.confidentiality.models import MATERIAL_PURPOSE
from portal.core import clock, vault
from portal.core.db import tenant_context
from portal.extensions import db
from portal.residency.models import Residency
from tenants.models import Tenant

MATERIALS = [
    # (name, level, downloadable, roles, the demo chair by name, lines)
    ("全国学联秘书处工作安排（公开）.pdf", "public", True, ["secretariat_staff", "chair", "department_head"], False,
     ["全国学联秘书处本学期工作安排", "一、组织驻会执行主席参加书记处座谈", "二、筹备全国学联主席团会议"]),
    ("驻会执行主席工作手册（内部）.pdf", "internal", True, ["secretariat_staff", "chair"], False,
     ["驻会执行主席工作手册", "本手册供驻会执行主席内部使用，请勿外传", "第一部分 驻会期间的工作职责"]),
    ("主席团会议材料（敏感）.pdf", "sensitive", False, ["secretariat_staff"], True,
     ["主席团会议材料（讨论稿）", "本材料为敏感信息，仅供指定人员在线查看", "未经批准不得复制、转发"]),
]


def demo_pdf(lines: list[str], pages: int = 1) -> bytes:
    """A small real PDF of ``lines`` (CJK font embedded)."""
    from reportlab.pdfgen import canvas

    from portal.documents.render.fonts import _cjk_font_name

    font = _cjk_font_name()
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for p in range(pages):
        c.setFont(font, 16)
        for k, line in enumerate(lines):
            c.drawString(72, 760 - k * 28, line)
        c.setFont(font, 9)
        c.drawString(72, 40, f"第 {p + 1} 页")
        c.showPage()
    c.save()
    return buf.getvalue()


def load_confidentiality_demo(tenants: dict[str, Tenant]) -> None:
    acsf = tenants["acsf"]
    admin, staff = find_user("admin@acsf.demo.cn"), find_user("staff@acsf.demo.cn")
    approver, chair_user = find_user("approver@acsf.demo.cn"), find_user("chair@acsf.demo.cn")
    with tenant_context(acsf.id, db.session):
        if db.session.scalar(sa.select(sa.func.count()).select_from(vault.StoredFile)
                             .where(vault.StoredFile.purpose == MATERIAL_PURPOSE)):
            return
        files = []
        for name, level, downloadable, roles, to_chair, lines in MATERIALS:
            users = [chair_user.id] if to_chair and chair_user is not None else []
            files.append(ops.upload_material(demo_pdf(lines, pages=2), name, title=name, classification=level,
                                             downloadable=downloadable, roles=roles, users=users, actor=admin))
        # The demo chair signs the pledge; the log: their reading and the staff's.
        if chair_user is not None:
            ops.sign_pledge(chair_user, version=ops.pledge_template()[0])
            for f in files[:2]:
                vault.record_access(f, "view", chair_user, ops.reach(f, chair_user, {"chair"}) or "role:chair")
            vault.record_access(files[1], "download", chair_user, "role:chair")
        for f in files:
            vault.record_access(f, "view", staff, "role:secretariat_staff")
        vault.record_access(None, "log_read", admin, "secretariat_admin", tenant_id=acsf.id,
                            details={"file_id": None, "user_id": None})
        # Seals: the official seal handed over once; requests pending, approved, used.
        official = ops.register_seal(name="全国学联秘书处公章", kind="official", custodian_name="王秘书",
                                     actor=admin)
        ops.register_seal(name="全国学联秘书处财务专用章", kind="special", custodian_name="李会计", actor=admin)
        today = clock.today()
        ops.hand_over_seal(official, to_name="赵秘书", witness="秘书处主任", handed_on=today - dt.timedelta(days=30),
                           actor=admin)
        requester = chair_user or staff
        used = ops.request_seal_use(seal_id=official.id, title="驻会执行主席参加社会实践活动的介绍信", copies=2,
                                    reason="赴地方开展调研，需出具单位介绍信", actor=requester)
        ops.decide_seal_request(used, approve=True, actor=admin, roles={"secretariat_admin"}, note="同意")
        ops.record_seal_use(used, copies=2, used_on=today - dt.timedelta(days=3), actor=staff)
        approved = ops.request_seal_use(seal_id=official.id, title="全国学联秘书处关于召开座谈会的通知", copies=5,
                                        reason="印发通知", actor=staff)
        ops.decide_seal_request(approved, approve=True, actor=admin, roles={"secretariat_admin"}, note="同意")
        ops.record_seal_use(approved, copies=1, used_on=today, actor=staff)
        ops.request_seal_use(seal_id=official.id, title="驻会执行主席在读证明", copies=1,
                             reason="办理学籍相关手续", actor=requester)
        # The first residency's term-end checklist, one line already handed over.
        res = db.session.scalar(sa.select(Residency).order_by(Residency.id).limit(1))
        if res is not None:
            items = ops.ensure_checklist(res, actor=admin)
            ops.check_off(items[0], actor=admin, roles={"secretariat_admin"}, note="已清点移交")
