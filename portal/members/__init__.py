"""A federation's members: invitations, roles, disabling (issue 9, item 1)."""


def init_app(app):
    from portal.core.templating import register_nav
    from portal.members.views import api_bp, bp, public_bp
    from portal.notifications.catalog import register_default_template

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(public_bp)
    register_nav(app, "members.index", "成员", roles=("secretariat_admin",))
    register_default_template(
        "members.invitation", "成员邀请", article=None,
        subject="{{ federation_name }}邀请您担任{{ role }}",
        body="""{{ name }}同志：

{{ federation_name }}秘书处邀请您在驻会执行主席管理平台担任{{ role }}{% if school_name %}（{{ school_name }}）{% endif %}。
{% if link %}请在{{ days }}天内通过以下链接设置密码并登录（链接只能使用一次）：
{{ link }}{% else %}请使用您现有的账号登录：
{{ login_url }}{% endif %}

如非本人所需，请忽略本邮件。
{{ federation_name }}秘书处""",
        sample={"name": "李明", "federation_name": "全国学联", "role": "学校联络员", "school_name": "示例大学",
                "link": "https://portal.example.cn/join/…", "login_url": "https://portal.example.cn/login",
                "days": 7})
