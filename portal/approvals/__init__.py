"""The approver's queue: requests to a higher body (portal.core.approvals), decided here."""


def init_app(app):
    from portal.approvals.views import api_bp, bp
    from portal.core.templating import register_nav, register_todo
    from portal.notifications.catalog import register_default_template

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    register_nav(app, "approvals.index", "待审批", roles=("approver", "secretariat_admin", "secretariat_staff"),
                 badge="portal.approvals.views:badge")
    register_todo(app, "portal.approvals.views:todo")
    register_default_template(
        "approvals.requested", "报请审批", article=None,
        subject="请审批：{{ title }}",
        body="""{{ body }}：
秘书处报请审批「{{ title }}」（{{ kind }}）。请在“待审批”页面审阅并作出决定。""",
        sample={"title": "2026-2027学年驻会执行主席拟任人选", "body": "团中央书记处", "kind": "拟任人选", "id": 1})
    register_default_template(
        "approvals.decided", "审批结果", article=None,
        subject="审批结果：{{ title }}（{{ status }}）",
        body="""「{{ title }}」（{{ kind }}）：{{ body }}{{ status }}。{% if document_number %}
批复文号：{{ document_number }}{% endif %}{% if reason %}
理由：{{ reason }}{% endif %}""",
        sample={"title": "2026-2027学年驻会执行主席拟任人选", "body": "团中央书记处", "kind": "拟任人选",
                "status": "已同意", "reason": "", "document_number": "中青办发〔2026〕1号"})
