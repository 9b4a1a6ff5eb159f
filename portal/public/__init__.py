"""Public notices (公示, A6.5) and the anonymous objection form."""


def init_app(app):
    from portal.public.views import bp

    app.register_blueprint(bp)
