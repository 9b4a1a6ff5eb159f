"""Chapter 3 (A8–A14): the year in residence — the chair's record, roster and obligations."""


def init_app(app):
    from portal.core.record import register_record_source
    from portal.core.signals import chair_appointed
    from portal.core.templating import register_nav, register_todo
    from portal.notifications.catalog import register_default_template
    from portal.notifications.reminders import Reminder, register_reminder
    from portal.core.record import register_record_source
    from portal.core.signals import residency_ended
    from portal.residency import api_rotation, views_rotation  # noqa: F401  (routes on bp / api_bp)
    from portal.residency.api import api_bp
    from portal.residency.operations import on_chair_appointed
    from portal.residency.rotation import on_residency_ended
    from portal.residency.views import bp
    from portal.residency import relations_api, relations_views  # noqa: F401 (A14 routes, before registering)

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    # A6.5 -> A8: selection emits, residency opens the chair's year (no import between them).
    chair_appointed.connect(on_chair_appointed, weak=False)
    # A18/A21 -> A12: a term cut short cuts the open rotation segment.
    residency_ended.connect(on_residency_ended, weak=False)
    register_record_source(app, "portal.residency.record_rotation:rotation_record")
    register_nav(app, "residency.roster", "驻会名册",
                 roles=("secretariat_admin", "secretariat_staff", "department_head"))
    register_nav(app, "residency.mine", "我的驻会", roles=("chair",))
    register_nav(app, "residency.head_desk", "部门工作台", roles=("department_head",))
    register_todo(app, "portal.residency.home:todo")
    register_record_source(app, "portal.residency.record:residency_source")  # A17: A9–A11 facts
    from portal.residency.relations_setup import init_relations

    init_relations(app)
    register_reminder(Reminder("residency-obligation-due", "驻会义务即将到期", "residency.obligation_due", roles=(),
                               workdays_before=0, deadlines="portal.residency.operations.reminder_deadlines",
                               article="A9"))
    register_reminder(Reminder("residency-obligation-overdue", "驻会义务逾期上报", "residency.obligation_overdue",
                               roles=(), workdays_before=0,
                               deadlines="portal.residency.operations.escalation_deadlines", article="A8"))
    sample = {"name": "李明", "label": "向团中央书记处汇报思想、学习和工作情况", "article": "第九条", "due": "2027-07-30",
              "period_start": "2026-09-01", "period_end": "2027-08-31", "required": 1, "done": 0,
              "evidence": "汇报材料"}
    register_default_template(
        "residency.obligation_due", "驻会义务到期提醒", article="A9",
        subject="请于 {{ due }} 前完成：{{ label }}",
        body="""{{ name }}同志的驻会义务「{{ label }}」（依据{{ article }}）须于 {{ due }} 前完成：
本期（{{ period_start }} 至 {{ period_end }}）应完成 {{ required }} 次，已记录 {{ done }} 次。
请登录平台在“我的驻会”中提交{{ evidence }}。""",
        sample=sample)
    register_default_template(
        "residency.obligation_overdue", "驻会义务逾期", article="A8",
        subject="逾期未完成：{{ name }} · {{ label }}",
        body="""驻会执行主席{{ name }}的「{{ label }}」（依据{{ article }}）已于 {{ due }} 到期，
本期（{{ period_start }} 至 {{ period_end }}）应完成 {{ required }} 次，目前仅记录 {{ done }} 次。
请在驻会名册中查看并督促完成。""",
        sample=sample)
