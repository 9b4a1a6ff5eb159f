"""Official documents (公文) and exports: rendered by jobs on the ``documents`` queue.

``render.py`` holds the pure renderers; ``operations.request_document`` creates a
:class:`GeneratedDocument` and its job; ``builders.py`` has the demo builders.
"""


def init_app(app):
    import portal.documents.builders  # noqa: F401  (registers the builders)
    from portal.core.templating import register_nav
    from portal.documents.views import api_bp, bp
    from portal.extensions import csrf

    app.register_blueprint(bp)
    csrf.exempt(api_bp)  # bearer-token calls; session calls are checked in the view
    app.register_blueprint(api_bp)
    register_nav(app, "documents.index", "文件")
