"""A14 relations and the calendar feed, hooked in from residency's init_app: signals, routes,
nav, reminders, templates and the record source for the A17 appraisal."""
from __future__ import annotations


def init_relations(app):
    from portal.core.record import register_record_source
    from portal.core.signals import chair_appointed, residency_ended
    from portal.core.templating import register_nav
    from portal.notifications.catalog import register_default_template
    from portal.notifications.reminders import Reminder, register_reminder
    from portal.residency import relations
    from portal.residency.relations_views import panel

    app.jinja_env.globals["relations_panel"] = panel

    # Connected after residency's own subscriber: the residency exists when this one runs.
    chair_appointed.connect(relations.on_chair_appointed, weak=False)
    residency_ended.connect(relations.on_residency_ended, weak=False)
    register_nav(app, "residency.relations_list", "组织关系转接",
                 roles=("secretariat_admin", "secretariat_staff"))
    register_nav(app, "residency.calendar_feed", "日历订阅",
                 roles=("chair", "department_head", "secretariat_admin", "secretariat_staff"))
    register_record_source(app, "portal.residency.record_relations:facts")
    register_reminder(Reminder("relation-receipt-due", "组织关系转接回执即将到期", "residency.relation_receipt_due",
                               roles=(), workdays_before=0, article="A14",
                               deadlines="portal.residency.relations.receipt_deadlines"))
    register_reminder(Reminder("relation-receipt-overdue", "组织关系转接回执逾期上报",
                               "residency.relation_receipt_overdue", roles=(), workdays_before=0, article="A14",
                               deadlines="portal.residency.relations.receipt_escalations"))
    register_reminder(Reminder("relation-transfer-back", "期满转回组织关系", "residency.relation_transfer_back",
                               roles=(), workdays_before=0, article="A14",
                               deadlines="portal.residency.relations.back_transfer_deadlines"))
    register_reminder(Reminder("relation-lapse-alarm", "连续未参加组织生活或未交纳党（团）费预警",
                               "residency.relation_lapse_alarm", roles=(), workdays_before=0, article="A14",
                               deadlines="portal.residency.relations.lapse_deadlines"))
    t = {"name": "李明", "kind": "党组织关系", "direction": "转入驻会单位", "letter_no": "团中央组〔2025〕12号",
         "to_org": "共青团中央机关党委", "due": "2025-10-20", "article": "第十四条"}
    register_default_template(
        "residency.relation_receipt_due", "组织关系转接回执到期提醒", article="A14",
        subject="请于 {{ due }} 前返回回执：{{ name }} · {{ kind }}",
        body="""{{ name }}同志的{{ kind }}（{{ direction }}，介绍信{{ letter_no }}，接收组织{{ to_org }}）
回执应于 {{ due }} 前返回（依据{{ article }}）。请督促接收组织及时返回回执。""", sample=t)
    register_default_template(
        "residency.relation_receipt_overdue", "组织关系转接回执逾期", article="A14",
        subject="回执逾期未返回：{{ name }} · {{ kind }}",
        body="""{{ name }}同志的{{ kind }}（{{ direction }}，介绍信{{ letter_no }}）回执应于 {{ due }} 前返回，
至今未见返回（依据{{ article }}）。请在“组织关系转接”中查看并跟进。""", sample=t)
    register_default_template(
        "residency.relation_transfer_back", "期满转回组织关系", article="A14",
        subject="请办理组织关系转回：{{ name }} · {{ kind }}",
        body="""{{ name }}同志的驻会任期将于 {{ due }} 结束，请为其办理{{ kind }}转回（依据{{ article }}）。""",
        sample={"name": "李明", "kind": "党组织关系", "due": "2026-08-31", "article": "第十四条"})
    register_default_template(
        "residency.relation_lapse_alarm", "组织生活、党（团）费预警", article="A14",
        subject="预警：{{ name }}已连续{{ months }}个月未{{ what }}",
        body="""{{ name }}同志自 {{ since }} 起已连续{{ months }}个月未{{ what }}（依据{{ article }}）。
按照党章规定，连续六个月不参加党的组织生活、或不交纳党费，将被认为是自行脱党；连续六个月将于 {{ lapse_on }} 届满。
请尽快补办并在“我的驻会”中记录。""",
        sample={"name": "李明", "what": "参加组织生活", "months": 3, "since": "2025-09-01", "lapse_on": "2026-02-28",
                "article": "第十四条"})
