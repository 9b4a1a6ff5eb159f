"""本省规则与全国规则对照: the effective rules page and local overrides (A22, A23)."""


def init_app(app):
    from portal.rules.views import bp

    app.register_blueprint(bp)
