"""Issue 8 items 6 and 19: the login throttle is atomic, keyed so nobody locks anybody out
from one machine, costs argon2 for unknown addresses too, and holds while Redis is down."""
from __future__ import annotations

import contextlib
import os
import re
import threading

import pytest
import sqlalchemy as sa

from portal.auth import models as auth_models
from portal.core import ratelimit, throttle
from portal.core.db import tenant_context
from portal.extensions import db
from portal.notifications.models import MailboxMessage, Notification
from tests.factories import PASSWORD, TenantFactory, UserFactory, member

CLOSED_PORT_REDIS = "redis://127.0.0.1:5129/0"  # in this engineer's port range; nothing listens


class CountingHasher:
    """Counts argon2 verifications (the real ones: it delegates)."""

    def __init__(self, real):
        self.real, self.verified, self._lock = real, 0, threading.Lock()

    def verify(self, hash_, password):
        with self._lock:
            self.verified += 1
        return self.real.verify(hash_, password)

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture()
def hasher(monkeypatch):
    h = CountingHasher(auth_models._hasher)
    monkeypatch.setattr(auth_models, "_hasher", h)
    return h


@contextlib.contextmanager
def config(app, **values):
    old = {k: app.config.get(k) for k in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(old)


BACKENDS = [pytest.param("redis", marks=pytest.mark.redis), "database", "redis-down"]


def _backend_config(app, backend):
    if backend == "database":
        return config(app, REDIS_URL=None)
    if backend == "redis-down":
        return config(app, REDIS_URL=CLOSED_PORT_REDIS)
    return config(app, REDIS_URL=os.environ["TEST_REDIS_URL"])


def _post(client, email, password, ip="10.0.0.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def _clear_throttle(app):
    with app.app_context():
        db.session.execute(sa.delete(ratelimit.ThrottleCounter))
        db.session.commit()
        if os.environ.get("TEST_REDIS_URL"):
            from portal.core.redis import get_redis

            get_redis(os.environ["TEST_REDIS_URL"]).flushdb()


# --- the race (item 6) -------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_30_simultaneous_wrong_passwords_get_exactly_the_limit_of_checks(app, hasher, backend):
    with app.app_context():
        user = UserFactory()
        db.session.commit()
        email, uid = user.email, user.id
        db.session.remove()
    limit = app.config["LOGIN_MAX_FAILURES"]
    n = 30
    barrier = threading.Barrier(n)
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt():
        c = app.test_client()
        barrier.wait(timeout=30)
        resp = _post(c, email, "wrong password")
        with lock:
            statuses.append(resp.status_code)

    try:
        with _backend_config(app, backend):
            threads = [threading.Thread(target=attempt) for _ in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
        assert len(statuses) == n
        assert sorted(set(statuses)) == [200, 429], statuses
        assert statuses.count(200) == limit, statuses       # checked and refused
        assert hasher.verified == limit                      # exactly that many argon2 checks
    finally:
        _clear_throttle(app)
        with app.app_context():
            db.session.execute(sa.delete(auth_models.User).where(auth_models.User.id == uid))
            db.session.commit()


# --- timing (item 6) ----------------------------------------------------------------------

def test_unknown_address_costs_the_same_argon2_check(client, session, hasher):
    user = UserFactory()
    session.commit()
    assert _post(client, user.email, "wrong").status_code == 200
    assert hasher.verified == 1
    assert _post(client, "nobody-here@example.cn", "wrong", ip="10.0.0.2").status_code == 200
    assert hasher.verified == 2  # the dummy hash: the same work when there is no such user
    assert _post(client, "x" * 5000 + "@example.cn", "wrong", ip="10.0.0.3").status_code == 200
    assert hasher.verified == 3


# --- who is throttled (item 6) --------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_failures_from_one_ip_do_not_lock_the_owner_out_elsewhere(app, client, session, backend):
    user = UserFactory()
    session.commit()
    limit = app.config["LOGIN_MAX_FAILURES"]
    with _backend_config(app, backend):
        for _ in range(limit):
            assert _post(client, user.email, "guess", ip="203.0.113.9").status_code == 200
        refused = _post(client, user.email, PASSWORD, ip="203.0.113.9")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert "登录失败次数过多" in refused.get_data(as_text=True)
        owner = app.test_client()
        assert _post(owner, user.email, PASSWORD, ip="198.51.100.7").status_code == 302
    _clear_throttle(app)


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_ip_is_throttled_across_accounts(app, client, session, backend):
    ip_limit = app.config["LOGIN_IP_MAX_FAILURES"]
    with _backend_config(app, backend):
        for i in range(ip_limit):
            assert _post(client, f"spray{i}@example.cn", "guess", ip="203.0.113.50").status_code == 200
        assert _post(client, "spray-last@example.cn", "guess", ip="203.0.113.50").status_code == 429
        assert _post(client, "spray-last@example.cn", "guess", ip="203.0.113.51").status_code == 200
    _clear_throttle(app)


def test_a_successful_login_gives_the_ip_its_attempt_back(app, client, session):
    user = UserFactory()
    session.commit()
    with config(app, LOGIN_IP_MAX_FAILURES=3):
        for _ in range(5):  # five good logins from one office NAT: never throttled
            assert _post(app.test_client(), user.email, PASSWORD, ip="192.0.2.1").status_code == 302


@pytest.mark.parametrize("backend", BACKENDS)
def test_account_locks_after_failures_from_many_ips_and_its_owner_unlocks_it_by_mail(
        app, client, session, backend):
    t = TenantFactory()
    user = member(t)
    session.commit()
    with _backend_config(app, backend), config(app, LOGIN_ACCOUNT_LOCK_IPS=3):
        for i in range(3):
            assert _post(client, user.email, "guess", ip=f"203.0.113.{i + 1}").status_code == 200
        owner = app.test_client()
        locked = _post(owner, user.email, PASSWORD, ip="198.51.100.7")
        assert locked.status_code == 429
        assert "临时锁定" in locked.get_data(as_text=True)
        with tenant_context(t.id, db.session):
            n = db.session.scalar(sa.select(Notification).where(Notification.template_key == "auth.login_unlock"))
            assert n is not None and n.recipient_user_id == user.id
            mail = db.session.scalar(sa.select(MailboxMessage).where(MailboxMessage.notification_id == n.id))
        assert mail is not None and mail.recipient == user.email
        link = re.search(r"https?://\S+/login/unlock/\S+", mail.body).group(0)
        path = "/" + link.split("/", 3)[3]
        page = owner.get(path)
        assert page.status_code == 200 and "解除锁定" in page.get_data(as_text=True)
        assert _post(owner, user.email, PASSWORD, ip="198.51.100.7").status_code == 429  # GET changed nothing
        done = owner.post(path, environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert done.status_code == 302
        assert _post(owner, user.email, PASSWORD, ip="198.51.100.7").status_code == 302
        again = app.test_client().post(path)
        assert again.status_code == 400 and "无效或已过期" in again.get_data(as_text=True)
        # the guessing IPs are still throttled on their pair, each after its own limit
        assert _post(client, user.email, "guess", ip="203.0.113.1").status_code == 200
    _clear_throttle(app)


def test_a_forged_unlock_link_is_refused(client, session):
    assert client.post("/login/unlock/not-a-token").status_code == 400


# --- Redis down (item 19) -------------------------------------------------------------------

def test_login_with_redis_unreachable_is_throttled_by_the_database_never_a_500(app, client, session):
    t = TenantFactory()
    user = member(t)
    session.commit()
    limit = app.config["LOGIN_MAX_FAILURES"]
    with config(app, REDIS_URL=CLOSED_PORT_REDIS):
        for _ in range(limit):
            assert _post(client, user.email, "guess").status_code == 200
        assert _post(client, user.email, PASSWORD).status_code == 429
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ratelimit.ThrottleCounter)) > 0
        other = app.test_client()
        assert _post(other, user.email, PASSWORD, ip="10.9.9.9").status_code == 302
        page = other.get(f"/{t.slug}/", environ_base={"REMOTE_ADDR": "10.9.9.9"})
        assert page.status_code == 200  # the session goes on
    _clear_throttle(app)


def test_throttle_messages_in_english(app, client, session):
    client.get("/lang/en")
    resp = _post(client, "nobody@example.cn", "guess", ip="192.0.2.99")
    assert "Wrong email or password" in resp.get_data(as_text=True)
    with config(app, LOGIN_MAX_FAILURES=1):
        resp = _post(client, "nobody@example.cn", "guess", ip="192.0.2.99")
    assert resp.status_code == 429 and "Too many failed sign-ins" in resp.get_data(as_text=True)
