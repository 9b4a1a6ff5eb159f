"""The roles a member holds in a tenant, and the check on the request's roles.

Vocabulary every layer needs: core's permission checks and templates, tenants' memberships,
features' views. It lives here, at the ground, so that core never imports tenants (tenants
stands on core and re-exports these names).
"""
from __future__ import annotations

from flask import g

from portal.core.db import StrEnum


class Role(StrEnum):
    secretariat_admin = "secretariat_admin"
    secretariat_staff = "secretariat_staff"
    approver = "approver"
    department_head = "department_head"
    provincial_reviewer = "provincial_reviewer"
    school_liaison = "school_liaison"
    chair = "chair"


ROLE_LABELS = {
    "platform_operator": "平台运营方",
    Role.secretariat_admin: "秘书处管理员",
    Role.secretariat_staff: "秘书处工作人员",
    Role.approver: "审批机关",
    Role.department_head: "部门负责同志",
    Role.provincial_reviewer: "省级学联审查人",
    Role.school_liaison: "学校联络员",
    Role.chair: "驻会执行主席",
}

STAFF_ROLES = (Role.secretariat_admin, Role.secretariat_staff)


def has_role(*roles: Role) -> bool:
    """Whether the signed-in user holds one of ``roles`` in the request's tenant (the tenant
    layer puts the request's roles on ``g`` when it checks the membership)."""
    return bool(g.get("roles", frozenset()) & set(roles))
