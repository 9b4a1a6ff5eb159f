"""Browsing the tenant's audit trail (A7)."""


def init_app(app):
    from portal.audit.views import bp

    app.register_blueprint(bp)
