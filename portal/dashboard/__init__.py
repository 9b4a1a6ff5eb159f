def init_app(app):
    from portal.dashboard.views import bp

    app.register_blueprint(bp)
