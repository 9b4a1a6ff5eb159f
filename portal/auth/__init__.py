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
        from tenants.context import load_user_with_memberships

        user = load_user_with_memberships(int(uid))
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
