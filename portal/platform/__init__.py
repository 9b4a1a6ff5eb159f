"""The SaaS operator's console: onboard provincial federations (A22)."""


def init_app(app):
    from portal.platform.views import bp

    app.register_blueprint(bp)
