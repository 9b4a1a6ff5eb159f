"""Invitations to a federation's members (who was invited, by whom, when, accepted or not)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import TenantScoped, utcnow
from portal.extensions import db


class MemberInvitation(TenantScoped, db.Model):
    """One invitation of a user to one membership; ``nonce`` changes on every resend.

    ``sets_password`` is true when the account did not have a password its owner chose:
    only then does the mailed link let its holder set one.
    """

    __tablename__ = "member_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("memberships.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    nonce: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    sets_password: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    sent_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    last_sent_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    membership = relationship("Membership", lazy="joined")

    @property
    def pending(self) -> bool:
        return self.accepted_at is None
