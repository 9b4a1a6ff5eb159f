def init_app(app):
    from flask import g

    from portal.auth.views import bp, tenant_bp
    from portal.extensions import login_manager

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(user_id: str):
        # "<id>:<session token>": a rotated token ends every session (logout, password, disable)
        uid, _, token = user_id.partition(":")
        if not uid.isdigit():
            return None
        user = _load_user_with_memberships(int(uid))
        if user is None or not user.active or user.session_token != token:
            return None
        return user

    @login_manager.request_loader
    def _from_token(request):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not request.path.startswith("/api/"):
            return None
        if g.get("tenant") is None:
            return None
        from portal.auth.operations import user_for_token

        user = user_for_token(header[7:].strip())
        if user is not None:
            g.token_auth = True
        return user

    app.register_blueprint(bp)
    app.register_blueprint(tenant_bp)


def _load_user_with_memberships(user_id: int):
    """The signed-in user and, inside a tenant's URL, their active memberships there, in one
    statement (the request's prologue: Flask-Login's loader, then ``_check_membership``, which
    takes them from ``g``)."""
    import sqlalchemy as sa
    from flask import g, has_request_context

    from portal.auth.models import User
    from portal.extensions import db
    from tenants.context import PRELOADED
    from tenants.models import Membership

    tenant = g.get("tenant") if has_request_context() else None
    if tenant is None:
        return db.session.get(User, user_id)
    rows = db.session.execute(
        sa.select(User, Membership).outerjoin(Membership, sa.and_(
            Membership.user_id == User.id, Membership.tenant_id == tenant.id, Membership.active.is_(True)))
        .options(sa.orm.lazyload(Membership.user)).where(User.id == user_id)
        .order_by(Membership.id)).unique().all()
    if not rows:
        return None
    user = rows[0][0]
    g.setdefault(PRELOADED, {})[(user.id, tenant.id)] = [m for _u, m in rows if m is not None]
    return user
