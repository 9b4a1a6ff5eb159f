"""What every JSON API blueprint shares: CSRF for browser-session calls (bodies: portal.api.schemas)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, request
from flask_wtf.csrf import validate_csrf

from portal.extensions import csrf

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def csrf_for_session_calls():
    # Bearer-token calls are exempt; a call riding the browser session needs the token.
    if (request.method in UNSAFE and not g.get("token_auth")
            and current_app.config.get("WTF_CSRF_ENABLED", True)):
        try:
            validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
        except Exception:
            abort(400, description="缺少或无效的 CSRF 令牌")


def api_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A JSON API blueprint under /api/v1/...: Flask-WTF's form check is replaced by ours."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    csrf.exempt(bp)
    bp.before_request(csrf_for_session_calls)
    return bp

