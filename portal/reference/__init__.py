def init_app(app):
    import portal.reference.documents  # noqa: F401  (registers its document builder)
    from portal.reference.api import bp as api_bp
    from portal.reference.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
