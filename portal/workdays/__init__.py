"""The working-day calendar's pages: calculator, covered years, holiday-table import."""


def init_app(app):
    from portal.core.templating import register_nav
    from portal.workdays.views import api_bp, bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    register_nav(app, "workdays.index", "工作日")
