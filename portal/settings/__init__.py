"""The tenant's own settings page: the secretariat's contact for its letters and notices."""


def init_app(app):
    from portal.core.templating import register_nav
    from portal.settings.views import api_bp, bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    register_nav(app, "settings.index", "本会设置", roles=("secretariat_admin",))
