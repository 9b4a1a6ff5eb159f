"""The login throttle, on the shared counters of portal/core/ratelimit.py.

Every attempt is counted *before* the password is checked, in one atomic step, and an
attempt over the limit is refused without checking it: 30 simultaneous guesses get exactly
``LOGIN_MAX_FAILURES`` password checks. A successful login takes its count back.

Who is throttled, so that nobody can lock somebody else out from one machine:

- the pair (account, IP): ``LOGIN_MAX_FAILURES`` attempts per window;
- the IP, whatever the account: ``LOGIN_IP_MAX_FAILURES`` attempts per window;
- the whole account only after failures from ``LOGIN_ACCOUNT_LOCK_IPS`` different IPs in a
  window (a distributed guess); it stays locked ``LOGIN_ACCOUNT_LOCK_SECONDS`` unless its
  owner lifts the lock with the link mailed to them (portal/auth/operations.py).

Keys carry a hash of the typed address, never the address (any length, any characters).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app

from portal.core import ratelimit


def _who(email: str) -> str:
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]


def pair_key(email: str, ip: str) -> str:
    return f"login:pair:{_who(email)}:{ip}"


def ip_key(ip: str) -> str:
    return f"login:ip:{ip}"


def account_ips_key(email: str) -> str:
    return f"login:acct-ips:{_who(email)}"


def account_lock_key(email: str) -> str:
    return f"login:lock:{_who(email)}"


def _cfg():
    c = current_app.config
    return (c["LOGIN_MAX_FAILURES"], c["LOGIN_IP_MAX_FAILURES"], c["LOGIN_WINDOW_SECONDS"],
            c["LOGIN_ACCOUNT_LOCK_IPS"], c["LOGIN_ACCOUNT_LOCK_SECONDS"])


@dataclass(frozen=True)
class Refusal:
    wait: int                 # seconds until another attempt may succeed
    account_locked: bool = False


def begin_attempt(email: str, ip: str) -> Refusal | None:
    """Count this attempt; a Refusal if it is over a limit (then do not check the password)."""
    pair_max, ip_max, window, _, _ = _cfg()
    lock = ratelimit.held(account_lock_key(email))
    if lock is not None:
        return Refusal(lock[1], account_locked=True)
    (pair_n, pair_ttl), (ip_n, ip_ttl) = ratelimit.hit((pair_key(email, ip), window), (ip_key(ip), window))
    waits = [ttl for n, limit, ttl in ((pair_n, pair_max, pair_ttl), (ip_n, ip_max, ip_ttl)) if n > limit]
    return Refusal(max(waits)) if waits else None


def succeeded(email: str, ip: str) -> None:
    """The password was right: this pair starts afresh and the IP gets its attempt back."""
    ratelimit.clear(pair_key(email, ip))
    ratelimit.undo(ip_key(ip))


def failed(email: str, ip: str) -> str | None:
    """Record a failure from ``ip``; returns a new lock's id when this failure locked the account."""
    _, _, window, lock_ips, lock_seconds = _cfg()
    n_ips = ratelimit.add_member(account_ips_key(email), ip, window)
    if n_ips < lock_ips:
        return None
    import secrets

    lock_id = secrets.token_urlsafe(12)
    return lock_id if ratelimit.hold(account_lock_key(email), lock_id, lock_seconds) else None


def lock_id(email: str) -> str | None:
    lock = ratelimit.held(account_lock_key(email))
    return lock[0] if lock else None


def unlock(email: str, ip: str | None = None) -> None:
    """Lift an account lock (its owner's link); the failing IPs start counting afresh."""
    keys = [account_lock_key(email), account_ips_key(email)]
    if ip:
        keys.append(pair_key(email, ip))
    ratelimit.clear(*keys)
