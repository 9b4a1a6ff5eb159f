"""Users (global accounts) and API tokens."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import TenantScoped, utcnow
from portal.extensions import db

# argon2id with the library's RFC 9106 low-memory profile.
_hasher = PasswordHasher()


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(200), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    is_platform_operator: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    # Rotated on logout, password change and disabling: every session everywhere ends.
    session_token: Mapped[str] = mapped_column(
        sa.String(32), default=new_session_token, nullable=False
    )
    locale: Mapped[str | None] = mapped_column(sa.String(12), nullable=True)
    # When its owner last chose the password; NULL for an invited account not yet accepted
    # (its hash is of a random secret): only such an account may be given a set-password link.
    password_set_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)

    memberships = relationship("Membership", back_populates="user", lazy="select")

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)
        self.password_set_at = utcnow()

    def set_random_password(self) -> None:
        """An invited account: no one knows its password until the invitation is accepted."""
        self.password_hash = _hasher.hash(secrets.token_urlsafe(24))
        self.password_set_at = None

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def end_all_sessions(self) -> None:
        self.session_token = new_session_token()

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email}>"


_dummy_hash: list[str] = []


def check_password_of(user: User | None, password: str) -> bool:
    """``user``'s password check, or the same argon2 work against a dummy hash when there is
    no such user: an unknown address takes as long to refuse as a known one."""
    if user is not None:
        return user.check_password(password)
    if not _dummy_hash:
        _dummy_hash.append(_hasher.hash(secrets.token_hex(16)))
    try:
        _hasher.verify(_dummy_hash[0], password)
    except (VerificationError, InvalidHashError):
        pass
    return False


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(TenantScoped, db.Model):
    """A bearer token for /api/v1/<tenant>/...; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)

    user = relationship("User", lazy="joined")
