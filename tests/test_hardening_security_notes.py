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


def test_the_tenant_context_ends_with_its_request(app, session):
    from flask.testing import FlaskClient

    t = TenantFactory()
    session.commit()
    plain = FlaskClient(app, app.response_class)  # not the suite's client, which carries the tenant on
    assert plain.get(f"/{t.slug}/public/").status_code == 200
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


# --- notification templates: sandboxed and bounded -------------------------------------------

HOSTILE_TEMPLATES = {
    "repeat": '{{ "x" * 1000000000 }}',
    "repeat-list": "{{ [1] * 1000000000 }}",
    "power": "{{ 10 ** 100000000 }}",
    "percent-width": '{{ "%999999999d" % 1 }}',
    "format-filter-width": '{{ "%999999999s"|format(1) }}',
    "str-format-width": '{{ "{:999999999}".format(1) }}',
    "center-filter": '{{ "x"|center(1000000000) }}',
    "ljust-method": '{{ "x".ljust(1000000000) }}',
    "replace-filter": '{{ ("a" * 10000)|replace("a", "b" * 10000) }}',
    "replace-method": '{{ ("a" * 10000).replace("a", "b" * 10000) }}',
    "huge-range": "{% for i in range(100000000) %}{% endfor %}",
    "silent-nested-loops": "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}",
    "loud-loop": "{% for a in range(10000) %}{{ 'y' * 50 }}{% endfor %}",
    "recursion": "{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}",
    "too-long-source": "正文" * 10001,
}


@pytest.mark.parametrize("name", sorted(HOSTILE_TEMPLATES))
def test_a_hostile_template_is_refused_quickly(name):
    from portal.notifications.catalog import TemplateProblem, render_text

    started = time.monotonic()
    with pytest.raises(TemplateProblem) as ei:
        render_text(HOSTILE_TEMPLATES[name], {"name": "张三"}, "正文")
    assert time.monotonic() - started < 5
    assert "模板错误（正文" in str(ei.value)


def test_ordinary_templates_still_render():
    from portal.notifications.catalog import render_text

    text = render_text("{{ name }}：{% for i in range(3) %}{{ i }}{% endfor %} {{ '%05.1f'|format(3.14159) }} "
                       "{{ '{:,}'.format(1234567) }} {{ 'ab'|center(6) }} {{ '-' * 10 }} {{ 2 ** 10 }}",
                       {"name": "张三"}, "正文")
    assert text == "张三：012 003.1 1,234,567   ab   ---------- 1024"


def test_preview_of_a_hostile_template_answers_422_at_once(app, session, login_as, client):
    t = TenantFactory()
    admin = member(t)
    login_as(admin)
    started = time.monotonic()
    resp = client.post(f"/{t.slug}/notification-templates/jobs.failed", data={
        "action": "preview", "subject": "标题", "reason": "",
        "body": HOSTILE_TEMPLATES["silent-nested-loops"]})
    assert resp.status_code == 422 and "已停止" in resp.get_data(as_text=True)
    assert time.monotonic() - started < 5
    resp = client.post(f"/{t.slug}/notification-templates/jobs.failed", data={
        "action": "save", "subject": "标题", "reason": "测试", "body": HOSTILE_TEMPLATES["repeat"]})
    assert resp.status_code == 422  # nothing saved
