"""Issue 8, security notes: API tokens end with the password; the tenant context does not
outlive its request; notification templates render within bounds."""
from __future__ import annotations

import time

import pytest

from portal.core.db import current_tenant_id
from portal.extensions import db
from tests.factories import PASSWORD, MembershipFactory, TenantFactory, member


def _token(as_tenant, tenant, user):
    from portal.auth.operations import issue_token

    with as_tenant(tenant):
        _tok, raw = issue_token(user, "ci", user)
    return raw


def test_api_tokens_in_every_tenant_end_with_a_password_change(app, session, login_as, client, as_tenant):
    t = TenantFactory()
    t2 = TenantFactory(parent=t.parent)
    user = member(t)
    MembershipFactory(user=user, tenant=t2)
    raw1, raw2 = _token(as_tenant, t, user), _token(as_tenant, t2, user)
    login_as(user)
    for tenant, raw in ((t, raw1), (t2, raw2)):
        assert client.get(f"/api/v1/{tenant.slug}/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    resp = client.post("/account/password", data={"current": PASSWORD, "new": "a much longer pass",
                                                   "confirm": "a much longer pass"})
    assert resp.status_code == 302
    api = app.test_client()
    for tenant, raw in ((t, raw1), (t2, raw2)):
        assert api.get(f"/api/v1/{tenant.slug}/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_api_tokens_end_when_the_account_is_disabled_and_stay_ended_after(app, session, client, as_tenant):
    from portal.auth.operations import set_user_active

    t = TenantFactory()
    user = member(t)
    raw = _token(as_tenant, t, user)
    with as_tenant(t):
        set_user_active(user, False, actor="测试")
        set_user_active(user, True, actor="测试")
    db.session.commit()
    assert client.get(f"/api/v1/{t.slug}/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_the_tenant_context_ends_with_its_request(app, session, client):
    t = TenantFactory()
    session.commit()
    assert client.get(f"/{t.slug}/public/").status_code == 200
    # the same thread serves the next request (a sync worker): nothing of the last tenant is left
    assert current_tenant_id() is None
    from portal.core.db import activate_tenant

    activate_tenant(t.id)  # as if a previous request had left it behind
    try:
        with app.test_request_context("/login"):
            app.preprocess_request()
            assert current_tenant_id() is None  # the next request starts with no tenant
    finally:
        activate_tenant(None)
