"""Accounts, sessions, throttling, CSRF and security headers."""
import pytest

from portal.extensions import db
from tenants.models import Role
from tests.factories import PASSWORD, TenantFactory, UserFactory, member


def test_passwords_are_argon2id(session):
    user = UserFactory()
    assert user.password_hash.startswith("$argon2id$")
    assert user.check_password(PASSWORD) and not user.check_password("wrong")


def test_login_throttled_after_repeated_failures_429(client, session, app):
    user = UserFactory()
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        resp = client.post("/login", data={"email": user.email, "password": "nope"})
        assert resp.status_code == 200 and "不正确" in resp.get_data(as_text=True)
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 429
    assert "登录失败次数过多" in resp.get_data(as_text=True)
    assert int(resp.headers["Retry-After"]) > 0


@pytest.mark.redis
def test_login_throttle_is_shared_across_processes_via_redis(client, session, app):
    """The counter lives in Redis: a second app (another process) sees it."""
    from portal.core.redis import get_redis

    user = UserFactory()
    r = get_redis(app.config["REDIS_URL"])
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"email": user.email, "password": "nope"})
    from portal.core import throttle

    assert int(r.get(throttle.pair_key(user.email, "127.0.0.1"))) == app.config["LOGIN_MAX_FAILURES"]


def test_logout_ends_sessions_everywhere(app, session, login_as, client):
    t = TenantFactory()
    user = member(t)
    login_as(user)
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": PASSWORD})
    assert other.get(f"/{t.slug}/").status_code == 200
    client.post("/logout")
    resp = other.get(f"/{t.slug}/")
    assert resp.status_code == 302 and "/login" in resp.location


def test_password_change_ends_other_sessions(app, session, login_as, client):
    t = TenantFactory()
    user = member(t)
    login_as(user)
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": PASSWORD})
    resp = client.post("/account/password", data={"current": PASSWORD, "new": "a much longer pass",
                                                   "confirm": "a much longer pass"})
    assert resp.status_code == 302
    assert client.get(f"/{t.slug}/").status_code == 200  # this session continues
    assert other.get(f"/{t.slug}/").status_code == 302  # the other one ended
    resp = client.post("/account/password", data={"current": "wrong", "new": "another long pass",
                                                   "confirm": "another long pass"})
    assert resp.status_code == 400 and "当前密码不正确" in resp.get_data(as_text=True)


def test_disabled_user_loses_access(app, session, login_as, client, as_tenant):
    from portal.auth.operations import set_user_active

    t = TenantFactory()
    user = member(t)
    login_as(user)
    with as_tenant(t):
        set_user_active(user, False, actor="测试")
    db.session.commit()
    assert client.get(f"/{t.slug}/").status_code == 302
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert "停用" in resp.get_data(as_text=True)


def test_csrf_is_enforced_on_forms_and_admin(app, session, login_as, client):
    t = TenantFactory()
    admin = member(t)
    login_as(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        resp = client.post(f"/{t.slug}/rules/selection.nominees_per_school/override",
                           data={"value": "3", "reason": "x"})
        assert resp.status_code == 400
        resp = client.post(f"/{t.slug}/admin/admin_schools/new/", data={"code": "1234567", "name": "x"})
        assert resp.status_code in (200, 400)
        from portal.reference.models import School

        assert not db.session.query(School).filter_by(code="1234567").count()
        resp = client.put(f"/api/v1/{t.slug}/rules/selection.nominees_per_school", json={"value": 3, "reason": "x"})
        assert resp.status_code == 400 and "CSRF" in resp.json["error"]["message"]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_api_token_authenticates_without_csrf(app, session, client, as_tenant):
    from portal.auth.operations import issue_token

    t = TenantFactory()
    admin = member(t)
    with as_tenant(t):
        _tok, raw = issue_token(admin, "ci", admin)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        headers = {"Authorization": f"Bearer {raw}"}
        assert client.get(f"/api/v1/{t.slug}/me", headers=headers).json["roles"] == ["secretariat_admin"]
        resp = client.put(f"/api/v1/{t.slug}/rules/selection.default_quota", headers=headers,
                          json={"value": 4, "reason": "名额"})
        assert resp.status_code == 200
        other = TenantFactory(parent=t.parent)
        assert client.get(f"/api/v1/{other.slug}/me", headers=headers).status_code == 401
        assert client.get(f"/api/v1/{t.slug}/me", headers={"Authorization": "Bearer bad"}).status_code == 401
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_security_headers_and_cookie_flags(app, session, client):
    resp = client.get("/login")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_roles_are_checked_on_the_server(session, login_as, client):
    t = TenantFactory()
    liaison_school = __import__("tests.factories", fromlist=["SchoolFactory"]).SchoolFactory(tenant=t)
    user = member(t, Role.school_liaison, school_id=liaison_school.id)
    login_as(user)
    assert client.get(f"/{t.slug}/").status_code == 200
    for url in (f"/{t.slug}/audit/", f"/{t.slug}/schools/", f"/{t.slug}/admin/", f"/{t.slug}/admin/admin_schools/",
                f"/api/v1/{t.slug}/schools", f"/{t.slug}/schools/import"):
        assert client.get(url).status_code == 403, url


def test_anonymous_gets_login_redirect_or_json_401(session, client):
    t = TenantFactory()
    db.session.commit()
    resp = client.get(f"/{t.slug}/rules/")
    assert resp.status_code == 302 and "/login" in resp.location
    resp = client.get(f"/api/v1/{t.slug}/rules")
    assert resp.status_code == 401 and resp.json["error"]["status"] == 401


def test_every_unsafe_api_call_on_the_browser_session_needs_csrf(app, session, login_as, client):
    """Every JSON API blueprint shares one CSRF rule: a session-authenticated POST/PUT/DELETE
    without the token is refused before any view runs (tokens in headers are exempt)."""
    import re

    t = TenantFactory()
    login_as(member(t))
    app.config["WTF_CSRF_ENABLED"] = True
    checked = 0
    try:
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/api/v1/<tenant>"):
                continue
            for method in sorted(rule.methods & {"POST", "PUT", "DELETE", "PATCH"}):
                url = rule.rule.replace("<tenant>", t.slug)
                url = re.sub(r"<int:\w+>", "1", url)
                url = re.sub(r"<any\(([^,)]+)[^>]*>", lambda m: m.group(1).strip(), url)  # a choice: its first
                url = re.sub(r"<[^>]+>", "x", url)
                resp = client.open(url, method=method, json={})
                assert resp.status_code == 400 and "CSRF" in resp.json["error"]["message"], (method, url)
                checked += 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert checked > 20
