"""The JSON API: /api/v1/<tenant>/..., bearer tokens or the browser session."""


def init_app(app):
    from portal.api.views import bp, public_bp

    app.register_blueprint(bp)
    app.register_blueprint(public_bp)
