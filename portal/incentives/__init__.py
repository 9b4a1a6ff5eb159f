"""Chapter 4 (A15–A17): the allowance, housing and welfare, schooling and seniority, the Young
Marxist training program, and the work appraisal (工作鉴定) written from the record."""


def init_app(app):
    from portal.core.income import register_income_source
    from portal.core.record import register_record_source
    from portal.core.signals import residency_ended
    from portal.core.templating import register_admin_views, register_nav, register_todo
    from portal.incentives import documents  # noqa: F401  (document kinds)
    from portal.incentives.api import api_bp
    from portal.incentives.operations.housing import on_residency_ended
    from portal.incentives.views import bp
    from portal.incentives.operations.appraisal import RELATED, delivered
    from portal.notifications.catalog import register_default_template
    from portal.notifications.jobs import register_sent_hook
    from portal.notifications.reminders import Reminder, register_reminder

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    # A18/A21 end the residency by signal: the bed is released (history kept), same transaction.
    residency_ended.connect(on_residency_ended, weak=False)
    # A14's dues are by bracket on the income the A15 allowance is.
    register_income_source(app, "portal.incentives.operations.allowance:monthly_income")
    register_record_source(app, "portal.incentives.record:incentives_source")
    register_nav(app, "incentives.index", "激励保障",
                 roles=("secretariat_admin", "secretariat_staff", "department_head"))
    register_nav(app, "incentives.mine", "我的待遇与鉴定", roles=("chair",))
    register_todo(app, "portal.incentives.home:todo")
    register_admin_views(app, "portal.incentives.admin:register")
    # A17: the appraisal sent to the school is delivered once the liaison's message goes out.
    register_sent_hook(RELATED, delivered)
    # A22: the rates (and the chapter's templates) beside the rules on the comparison page.
    app.extensions.setdefault("portal_rules_blocks", []).append(
        ("incentives/_rules_block.html", "portal.incentives.operations.allowance:comparison"))
    register_reminder(Reminder("incentives-resume-schooling", "驻会期满前办理复学", "incentives.resume_schooling",
                               roles=(), workdays_before=0,
                               deadlines="portal.incentives.operations.schooling.resume_deadlines",
                               article="A16"))
    register_default_template(
        "incentives.resume_schooling", "复学提醒", article="A16",
        subject="请在 {{ term_end }} 驻会期满前办理复学手续：{{ name }}",
        body="""{{ name }}同志（{{ school }}）的驻会将于 {{ term_end }} 期满。驻会期间已休学，请于期满前向学校申请办理复学手续
（依据{{ article }}）。未按时办理复学的，可能按退学处理。""",
        sample={"name": "王某", "school": "示例大学", "term_end": "2027-08-31", "workdays": 15, "article": "第十六条"})
    register_default_template(
        "incentives.appraisal_sent", "工作鉴定送派出学校归档", article="A17",
        subject="工作鉴定（{{ number }}）：{{ name }}",
        body="""{{ school }}：
{{ name }}同志（驻会期 {{ term }}）的驻会执行主席工作鉴定（{{ number }}）已印发，依据{{ article }}送贵校存入本人档案。
加盖公章的原件另行送达，请注意查收。""",
        sample={"school": "示例大学", "name": "王某", "number": "学联鉴〔2027〕1号",
                "term": "2026-09-01 至 2027-08-31", "article": "第十七条"})
