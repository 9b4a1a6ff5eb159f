"""Official documents (公文) and exports: rendered by jobs on the ``documents`` queue.

``render/`` holds the pure renderers (spec, fonts, pdf, docx, xlsx); ``templating`` the
DOCX templates of official documents (national by reference, or the tenant's own);
``operations.request_document`` creates a :class:`GeneratedDocument` and its job;
each feature registers the exports staff may order from the documents page
(``document_builder``: the schools table in ``portal/reference/documents.py``).
"""


def init_app(app):
    from portal.core.templating import register_nav
    from portal.documents.views import api_bp, bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    register_nav(app, "documents.index", "文件")
    from portal.core.audit import register_object

    register_object(app, "document", "portal.documents.models:GeneratedDocument", lambda d: d.filename,
                    "documents.download", "doc_id")
    register_nav(app, "documents.templates_page", "公文模板", roles=("secretariat_admin",))
