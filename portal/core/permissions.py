"""Server-side role checks for views, API calls and admin pages."""
from __future__ import annotations

import functools

from flask import abort

from tenants.context import has_role
from tenants.models import STAFF_ROLES, Role

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
