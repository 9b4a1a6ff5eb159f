"""Settings from the environment, typed (Redash `settings/helpers.py` style)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    # Single-machine default: persist a random key in instance/ so sessions survive restarts.
    path = BASE_DIR / "instance" / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


class Config:
    def __init__(self, **overrides):
        instance = BASE_DIR / "instance"
        self.SECRET_KEY = _secret_key()
        # The audit chain's HMAC key (A7). Kept out of the database, so whoever can rewrite the
        # audit table cannot recompute a valid chain. Unset: derived from SECRET_KEY (see
        # portal.core.audit.chain_key); set it separately to rotate SECRET_KEY independently.
        self.AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY", None)
        # The app role: on PostgreSQL it owns no table and cannot bypass RLS.
        self.SQLALCHEMY_DATABASE_URI = env_str(
            "DATABASE_URL", f"sqlite:///{instance / 'portal.db'}"
        )
        # The owner role runs migrations (`flask db upgrade`); defaults to DATABASE_URL.
        self.DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL", None)
        self.DATABASE_APP_ROLE = env_str("DATABASE_APP_ROLE", "portal_app")
        self.REDIS_URL = env_str("REDIS_URL", None)
        # Seconds before the web gives up on Redis (portal/core/redis.py); the worker's
        # blocking wait for work keeps only the connect timeout.
        self.REDIS_CONNECT_TIMEOUT = float(env_str("REDIS_CONNECT_TIMEOUT", "2"))
        self.REDIS_SOCKET_TIMEOUT = float(env_str("REDIS_SOCKET_TIMEOUT", "5"))
        # PostgreSQL: a pooled connection the server dropped (restart, failover, idle timeout) is
        # replaced before a request uses it. A SQLite file has no server to lose: no ping.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.UPLOAD_FOLDER = env_str("UPLOAD_FOLDER", str(instance / "uploads"))
        self.MAX_CONTENT_LENGTH = env_int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
        self.BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
        self.LANGUAGES = ["zh_Hans_CN", "en"]
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.WTF_CSRF_TIME_LIMIT = None
        # The login throttle (portal/core/throttle.py): attempts per (account, IP) pair and per
        # IP in a window; a whole account locks only after failures from many IPs.
        self.LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
        self.LOGIN_IP_MAX_FAILURES = env_int("LOGIN_IP_MAX_FAILURES", 20)
        self.LOGIN_WINDOW_SECONDS = env_int("LOGIN_WINDOW_SECONDS", 900)
        self.LOGIN_ACCOUNT_LOCK_IPS = env_int("LOGIN_ACCOUNT_LOCK_IPS", 10)
        self.LOGIN_ACCOUNT_LOCK_SECONDS = env_int("LOGIN_ACCOUNT_LOCK_SECONDS", 3600)
        # Anonymous forms (portal/core/challenge.py) and the objection form's limits (A6.5).
        self.FORM_MIN_SECONDS = env_int("FORM_MIN_SECONDS", 3)
        self.FORM_MAX_AGE_SECONDS = env_int("FORM_MAX_AGE_SECONDS", 4 * 3600)
        self.OBJECTION_WINDOW_SECONDS = env_int("OBJECTION_WINDOW_SECONDS", 3600)
        self.OBJECTION_IP_MAX = env_int("OBJECTION_IP_MAX", 5)
        self.OBJECTION_NOTICE_MAX = env_int("OBJECTION_NOTICE_MAX", 60)
        # Behind N reverse proxies, trust N X-Forwarded-For hops for the client's IP (throttles).
        self.PROXY_FIX_X_FOR = env_int("PROXY_FIX_X_FOR", 0)
        self.MAIL_SERVER = env_str("MAIL_SERVER", None)
        self.MAIL_PORT = env_int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
        self.MAIL_USERNAME = env_str("MAIL_USERNAME", None)
        self.MAIL_PASSWORD = env_str("MAIL_PASSWORD", None)
        self.MAIL_DEFAULT_SENDER = env_str("MAIL_DEFAULT_SENDER", "noreply@portal.local")
        self.PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
        self.FLASK_ADMIN_SWATCH = "cerulean"
        # Background jobs and the notification outbox (portal/jobs, portal/notifications).
        self.JOBS_EAGER = env_bool("JOBS_EAGER", False)
        self.JOBS_THREADS = env_int("JOBS_THREADS", 2)
        self.JOBS_TIMEOUT = env_int("JOBS_TIMEOUT", 600)
        self.NOTIFY_BATCH = env_int("NOTIFY_BATCH", 50)
        self.NOTIFY_LEASE_SECONDS = env_int("NOTIFY_LEASE_SECONDS", 300)
        self.NOTIFY_STALE_SECONDS = env_int("NOTIFY_STALE_SECONDS", 120)
        self.NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 5)
        # messages of a batch held open at once, one SMTP connection each, committed together
        self.NOTIFY_SMTP_CONNECTIONS = env_int("NOTIFY_SMTP_CONNECTIONS", 10)
        # Pins "today" (YYYY-MM-DD) for rehearsals and tests; unset in production (portal/core/clock.py).
        self.FIXED_TODAY = env_str("FIXED_TODAY", None)
        self.TESTING = False
        for key, value in overrides.items():
            setattr(self, key, value)
        if "SQLALCHEMY_ENGINE_OPTIONS" not in overrides and not self.is_postgres:
            self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False}

    @property
    def is_postgres(self) -> bool:
        return self.SQLALCHEMY_DATABASE_URI.startswith("postgresql")

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in dir(self) if k.isupper()}
