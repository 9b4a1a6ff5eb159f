"""A20 on each role's home: the chair's unsigned pledge, the approver's waiting seal-use
requests, the secretariat's open handover lines."""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.confidentiality import operations as ops
from portal.confidentiality.models import HandoverItem, HandoverStatus, SealRequestStatus, SealUseRequest
from portal.core.todo import Count, Todo


def todo(memberships) -> list[Todo]:
    roles = {str(m.role) for m in memberships if getattr(m, "active", True)}
    items: list[Todo] = []
    user = current_user._get_current_object()
    if "chair" in roles and not ops.revoked(user) and ops.current_pledge(user) is None:
        items.append(Todo("chair", _("签署保密承诺书（签署后方可进入资料库）"), url=url_for("confidentiality.pledge"),
                          urgent=True, article="A20"))
    approvers = set(ops.rule("confidentiality.seal_use_approver_roles"))
    if roles & approvers:
        section = "secretariat" if roles & ops.STAFF else sorted(roles & approvers)[0]
        waiting = Count(sa.select(SealUseRequest.id).where(SealUseRequest.status == SealRequestStatus.pending))
        items.append(Todo(section, _("待审批的用印申请"), count=waiting, url=url_for("confidentiality.seals"),
                          article="A20"))
    if roles & ops.STAFF:
        open_lines = Count(sa.select(HandoverItem.id).where(HandoverItem.status == HandoverStatus.open))
        items.append(Todo("secretariat", _("未完成的期满交接事项"), count=open_lines,
                          url=url_for("confidentiality.handover"), article="A20"))
    return items
