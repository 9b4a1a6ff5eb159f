"""Security headers on every response."""
from __future__ import annotations

from flask import request

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# flask-admin's templates carry inline scripts; only its pages get 'unsafe-inline'.
ADMIN_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


def init_app(app):
    @app.after_request
    def _headers(response):
        is_admin = "/admin/" in request.path or request.path.endswith("/admin")
        response.headers.setdefault("Content-Security-Policy", ADMIN_CSP if is_admin else CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
