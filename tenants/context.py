"""The current tenant: resolved from the URL prefix, checked against memberships.

Every tenant page is ``/<tenant>/...`` and every API path ``/api/v1/<tenant>/...``; the
URL value preprocessor pops ``tenant`` so views never take it, and url_defaults puts it
back, so ``url_for`` inside a tenant (flask-admin included) keeps the prefix.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, g, has_request_context, request
from flask_login import current_user

from portal.core.db import activate_tenant
from portal.core.roles import has_role  # noqa: F401  (re-exported)
from portal.extensions import db
from tenants.models import Membership, Role, Tenant

PUBLIC_ATTR = "_portal_public"


def public_endpoint(view):
    """Mark a tenant view as open to anonymous visitors (公示, objections, login)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def current_tenant() -> Tenant | None:
    return g.get("tenant") if has_request_context() else None


def tenant_by_slug(slug: str) -> Tenant | None:
    """The active tenant of ``slug``, cached per process (issue 10 item 4).

    A hit costs no SQL: the cached detached copy is merged into this request's session
    (``merge(load=False)``). Any write to a tenant row in this process clears the cache
    (``portal.core.proc_cache``); other processes see a rename or a deactivation within
    ``TENANT_CACHE_SECONDS``.
    """
    from flask import current_app
    from sqlalchemy.orm import make_transient_to_detached

    from portal.core import proc_cache

    ttl = float(current_app.config.get("TENANT_CACHE_SECONDS", 5) or 0)
    if ttl > 0:
        snap = proc_cache.get("tenants", slug, ttl)
        if snap is not None:
            present = db.session.identity_map.get(sa.orm.util.identity_key(Tenant, snap.id))
            if present is not None:  # this session already holds it (maybe with changes): keep that
                return present if present.slug == slug and present.active else _lookup(slug)
            return db.session.merge(snap, load=False)
    tenant = _lookup(slug)
    if tenant is not None and ttl > 0 and not db.session.is_modified(tenant):
        cols = {a.key: getattr(tenant, a.key) for a in sa.inspect(Tenant).column_attrs}
        snap = Tenant(**cols)
        make_transient_to_detached(snap)
        proc_cache.put("tenants", slug, snap)
    return tenant


def _lookup(slug: str) -> Tenant | None:
    return db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug, Tenant.active.is_(True)))


def _watch() -> None:
    from portal.core import proc_cache

    proc_cache.watch(Tenant, "tenants")


_watch()


def _pull_tenant(endpoint, values):
    if not values or "tenant" not in values:
        return
    slug = values.pop("tenant")
    tenant = tenant_by_slug(slug)
    if tenant is None:
        abort(404, description="没有这个学联")
    g.tenant = tenant
    activate_tenant(tenant.id, db.session)


def _add_tenant(endpoint, values):
    if "tenant" in values or not g.get("tenant"):
        return
    from flask import current_app

    if current_app.url_map.is_endpoint_expecting(endpoint, "tenant"):
        values["tenant"] = g.tenant.slug


# The request's memberships, when the user loader read them with the user (portal.auth:
# {(user id, tenant id): [Membership]}).
PRELOADED = "_memberships_preloaded"


def memberships_in(user, tenant: Tenant) -> list[Membership]:
    if user is None or not user.is_authenticated:
        return []
    preloaded = g.get(PRELOADED, {}).get((user.id, tenant.id))
    if preloaded is not None:
        return list(preloaded)
    # the user is the one already loaded (identity map): no join to the users table again
    return list(
        db.session.scalars(
            sa.select(Membership).options(sa.orm.lazyload(Membership.user)).where(
                Membership.tenant_id == tenant.id,
                Membership.user_id == user.id,
                Membership.active.is_(True),
            )
        )
    )


def _check_membership():
    tenant = g.get("tenant")
    g.memberships = []
    g.roles = frozenset()
    if tenant is None:
        return None
    view = None
    if request.endpoint:
        from flask import current_app

        view = current_app.view_functions.get(request.endpoint)
    is_public = bool(view is not None and getattr(view, PUBLIC_ATTR, False))
    if current_user.is_authenticated:
        g.memberships = memberships_in(current_user, tenant)
        g.roles = frozenset(m.role for m in g.memberships)
    if is_public:
        return None
    if not current_user.is_authenticated:
        abort(401)
    if not g.memberships:
        abort(403, description="您不是该学联的成员，无权访问")
    return None


def membership_for(role: Role) -> Membership | None:
    for m in g.get("memberships", []):
        if m.role == role:
            return m
    return None


def init_app(app):
    app.url_value_preprocessor(_pull_tenant)
    app.url_defaults(_add_tenant)
    app.before_request(_check_membership)
