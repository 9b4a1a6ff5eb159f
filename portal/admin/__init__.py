"""flask-admin for secretariat administrators, scoped to the tenant on every path."""


def init_app(app):
    from portal.admin.views import build_admin

    build_admin(app)
