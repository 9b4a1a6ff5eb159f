"""本省规则与全国规则对照: the effective rules page and local overrides (A22, A23)."""


def init_app(app):
    from flask_babel import get_locale

    from portal.rules.views import bp
    from tenants.rules.registry import choice_label, cite

    app.register_blueprint(bp)
    # The rules' words in every template: an article's citation, a choice's label.
    @app.template_filter("citation")
    def _citation(article):
        return cite(article, english=str(get_locale() or "").startswith("en")) if article else ""

    @app.template_filter("choice_label")
    def _choice_label(value):
        return choice_label(value, english=str(get_locale() or "").startswith("en"))
