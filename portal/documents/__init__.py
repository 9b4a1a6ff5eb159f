"""Official documents (公文) and exports: rendered by jobs on the ``documents`` queue.

``render.py`` holds the pure renderers; ``operations.request_document`` creates a
:class:`GeneratedDocument` and its job; ``builders.py`` has the demo builders.
"""


def init_app(app):
    import portal.documents.builders  # noqa: F401  (registers the builders)
    from portal.core.templating import register_nav
    from portal.documents.views import api_bp, bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    register_nav(app, "documents.index", "文件")
    from portal.core.audit import register_object

    register_object(app, "document", "portal.documents.models:GeneratedDocument", lambda d: d.filename,
                    "documents.download", "doc_id")
