"""本省规则与全国规则对照: the effective rules page and local overrides (A22, A23)."""


def init_app(app):
    from flask_babel import get_locale

    from portal.core.templating import per_request
    from portal.rules.views import bp
    from tenants.rules.registry import choice_label, cite

    app.register_blueprint(bp)

    # The rules' words in every template: an article's citation, a choice's label (per request:
    # never folded into a compiled template in one language).
    def _citation(article):
        return cite(article, english=str(get_locale() or "").startswith("en")) if article else ""

    def _choice_label(value):
        return choice_label(value, english=str(get_locale() or "").startswith("en"))

    app.jinja_env.filters["citation"] = per_request(_citation)
    app.jinja_env.filters["choice_label"] = per_request(_choice_label)
