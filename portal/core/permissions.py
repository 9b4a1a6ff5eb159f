"""Server-side role checks for views, API calls and admin pages."""
from __future__ import annotations

import functools

from flask import abort
from flask_login import current_user

from portal.core.roles import STAFF_ROLES, Role, has_role

ROLE_ADMIN = (Role.secretariat_admin,)
ROLE_STAFF = STAFF_ROLES


def require_roles(*roles: Role):
    """403 unless the user holds one of ``roles`` in the current tenant."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not has_role(*roles):
                abort(403, description="您的角色无权执行此操作")
            return view(*args, **kwargs)

        wrapped._portal_roles = roles  # read by the isolation/route tests
        return wrapped

    return decorator


def operator_required(view):
    """401 for a visitor, 403 unless the signed-in user is the platform operator (平台运营方)."""

    @functools.wraps(view)
    def wrapped(*a, **kw):
        if not current_user.is_authenticated:
            abort(401)
        if not current_user.is_platform_operator:
            abort(403, description="仅平台运营方可访问")
        return view(*a, **kw)

    return wrapped
