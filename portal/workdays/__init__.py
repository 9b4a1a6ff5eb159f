"""The working-day calendar's pages: calculator, covered years, holiday-table import."""


def init_app(app):
    from portal.core.templating import register_nav
    from portal.extensions import csrf
    from portal.workdays.views import api_bp, bp

    app.register_blueprint(bp)
    csrf.exempt(api_bp)  # bearer-token calls; session calls are checked in the view
    app.register_blueprint(api_bp)
    register_nav(app, "workdays.index", "工作日")
