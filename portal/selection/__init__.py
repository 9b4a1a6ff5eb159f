"""Chapter 2 (A4-A7): selection and appointment."""

TEMPLATES = [
    ("selection.invitation_letter", "驻会执行主席人选推荐函", "关于推荐{{ cycle }}人选的函（{{ letter_number }}）",
     "{{ school }}党委：\n请贵校按照《全国学联驻会执行主席管理办法（试行）》物色培养并推荐人选，"
     "于 {{ due }} 前通过平台报送推荐材料。", "A6.1"),
    ("selection.disqualification", "取消人选资格通知", "关于取消{{ name }}同学人选资格的通知",
     "{{ school }}党委：\n经核查，{{ name }}同学{{ reason }}，依据管理办法第七条取消其人选资格。", "A7"),
    ("selection.appointment", "任用通知", "关于{{ name }}同学任驻会执行主席的通知",
     "{{ school }}党委：\n{{ name }}同学经公示无异议，确定任驻会执行主席，任期自 {{ term_start }} 至 {{ term_end }}。",
     "A6.5"),
    ("selection.objection_received", "收到公示异议", "收到公示异议：{{ notice }}",
     "公示「{{ notice }}」收到一条异议（编号 {{ objection_id }}），请及时核查处理。", "A6.5"),
]


def init_app(app):
    from portal.core.templating import register_admin_views, register_dashboard_block, register_nav, register_todo
    from portal.selection import home
    import portal.selection.documents  # noqa: F401  (declares the A6.1 letter and A6.5 notice templates)
    from portal.selection import imports, outbox
    from portal.selection.views import bp
    from tenants.models import Role

    app.register_blueprint(bp)
    from portal.selection.api import bp as api_bp
    app.register_blueprint(api_bp)
    imports.init_app(app)  # written-exam score import, page and API (A6.4)
    from portal.selection import turns

    turns.init_app(app)  # whose turn it is now: the next actor is told after each step
    for key, label, subject, body, article in TEMPLATES:
        outbox.register_default_template(key, label, subject, body, article)
    from portal.selection.operations import invitation_delivered

    outbox.on_sent("invitation", invitation_delivered)  # A6.1: 送达 once the letter's notice went out
    register_nav(app, "selection.index", "选拔任用", roles=tuple(Role))
    register_dashboard_block(app, "selection/_dashboard_block.html")
    register_todo(app, "portal.selection.home:todo")
    register_admin_views(app, "portal.selection.admin:register")
    from portal.core.audit import register_object

    register_object(app, "selection_cycle", "portal.selection.models:SelectionCycle", lambda c: c.title,
                    "selection.cycle", "cycle_id")
    register_object(app, "invitation", "portal.selection.models:Invitation",
                    lambda i: f"{i.school.name}" + (f"（{i.letter_number}）" if i.letter_number else ""),
                    "selection.invitation", "inv_id")
    register_object(app, "nomination", "portal.selection.models:Nomination", lambda n: f"{n.name}（{n.school.name}）",
                    "selection.nomination", "nom_id")
    register_object(app, "chair", "portal.selection.models:Chair", lambda c: c.name)
    app.add_template_global(home.charts, "selection_charts")
