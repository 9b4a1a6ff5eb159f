def init_app(app):
    from portal.reference.views import bp

    app.register_blueprint(bp)
