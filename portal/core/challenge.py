"""A challenge for anonymous forms that needs no outside service (no CAPTCHA provider).

The page carries a small sum to work out and a signed token (itsdangerous, the app's
secret) holding the issue time, a random one-time id and an HMAC of the answer; the
answer itself is not in the page. A submission passes when:

- the token's signature holds and it is for this form and this object;
- it was issued at least ``FORM_MIN_SECONDS`` ago (a person reads the page; a script posts
  at once) and at most ``FORM_MAX_AGE_SECONDS`` ago;
- the sum is right;
- the hidden honeypot field is empty (people never see it; form-filling scripts fill it).

The one-time id (``Solved.once``) is stored with what the form creates under a unique
constraint, so the same form posted twice is recognised and answered with the first result.

Accessible: the question is plain text with a label, in digits, and works without
JavaScript or images.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from portal.core.errors import DomainError

HONEYPOT_FIELD = "website"


@dataclass(frozen=True)
class Challenge:
    question: str
    token: str


@dataclass(frozen=True)
class Solved:
    once: str   # the one-time id of this form instance


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="form-challenge")


def _mac(once: str, answer: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{once}:{answer}".encode(), hashlib.sha256).hexdigest()[:32]


def issue(purpose: str) -> Challenge:
    """A fresh challenge for the form ``purpose`` (e.g. ``objection:<tenant>:<notice>``)."""
    rng = secrets.SystemRandom()
    a, b = rng.randint(2, 19), rng.randint(2, 9)
    if rng.random() < 0.5:
        question, answer = f"{a} + {b} = ?", a + b
    else:
        a = max(a, b + 1)
        question, answer = f"{a} − {b} = ?", a - b
    once = secrets.token_urlsafe(16)
    token = _serializer().dumps({"p": purpose, "o": once, "t": int(time.time()), "h": _mac(once, answer)})
    return Challenge(question, token)


def verify(purpose: str, token: str | None, answer: str | None, honeypot: str | None) -> Solved:
    """The submission's one-time id, or a DomainError (field ``challenge``) naming what failed."""
    cfg = current_app.config
    if honeypot:
        raise DomainError(_("提交未通过校验，请刷新页面后重新填写"), field="challenge", code="challenge_failed")
    try:
        data = _serializer().loads(token or "")
        once, issued, mac, for_what = str(data["o"]), int(data["t"]), str(data["h"]), data["p"]
    except (BadSignature, KeyError, TypeError, ValueError):
        raise DomainError(_("表单已失效，请刷新页面后重新填写"), field="challenge", code="challenge_invalid") from None
    age = time.time() - issued
    if for_what != purpose or age > cfg["FORM_MAX_AGE_SECONDS"]:
        raise DomainError(_("表单已失效，请刷新页面后重新填写"), field="challenge", code="challenge_invalid")
    if age < cfg["FORM_MIN_SECONDS"]:
        raise DomainError(_("提交过快，请确认内容后再提交"), field="challenge", code="challenge_too_fast")
    try:
        value = int((answer or "").strip())
    except ValueError:
        value = None
    if value is None or not hmac.compare_digest(_mac(once, value), mac):
        raise DomainError(_("验证算式的答案不正确，请重新计算"), field="challenge", code="challenge_wrong")
    return Solved(once)
