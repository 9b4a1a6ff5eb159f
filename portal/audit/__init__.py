"""Browsing the tenant's audit trail (A7)."""


def init_app(app):
    from portal.core.audit import register_object
    from portal.audit.api import bp as api_bp
    from portal.audit.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    register_object(app, "user", "portal.auth.models:User", lambda u: f"{u.name}（{u.email}）")
