"""Chapter 5 (A18, A19, A21): removal, outside activities and discipline. A20 is portal.confidentiality."""


def init_app(app):
    from portal.core.audit import register_object
    from portal.core.record import register_record_source
    from portal.core.templating import register_nav, register_todo
    from portal.core import vault
    from portal.jobs.periodic import Periodic, register_periodic
    from portal.notifications.catalog import register_default_template
    from portal.notifications.jobs import register_sent_hook
    from portal.supervision import documents  # noqa: F401  (the notice's template kind)
    from portal.supervision import models  # noqa: F401
    from portal.supervision.api import api_bp
    from portal.supervision.operations import notice_delivered
    from portal.supervision.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    register_nav(app, "supervision.index", "监督管理",
                 roles=("secretariat_admin", "secretariat_staff", "department_head", "approver", "chair"))
    register_todo(app, "portal.supervision.home:todo")
    register_record_source(app, "portal.supervision.record:facts")
    register_sent_hook("supervision_notice", notice_delivered)  # A18/A21: the notice reached the school
    vault.register_referrer(vault.Referrer("supervision.file", "supervision_files"))
    register_periodic(Periodic("supervision-lapse", "portal.supervision.jobs.lapse_activities", 3600, "default"))
    register_object(app, "supervision_case", "portal.supervision.models:SupervisionCase",
                    lambda c: f"{c.residency.chair.name} · {c.title}", endpoint="supervision.case", id_arg="case_id")
    register_object(app, "supervision_activity", "portal.supervision.models:Activity",
                    lambda a: f"{a.residency.chair.name} · {a.title}", endpoint="supervision.activity",
                    id_arg="activity_id")
    register_default_template(
        "supervision.hearing", "立案告知与申辩期限", article="A18",
        subject="请于 {{ due }} 前提交申辩：{{ title }}",
        body="""{{ name }}同学：
秘书处已就「{{ title }}」立案（{{ kind }}）。请于 {{ due }} 前登录平台在“监督管理”中提交书面申辩。""",
        sample={"name": "李明", "title": "违反工作纪律", "due": "2026-12-09", "kind": "纪律处置"})
    register_default_template(
        "supervision.self_criticism", "责令检讨", article="A21",
        subject="请于 {{ due }} 前提交检讨书：{{ title }}",
        body="""{{ name }}同学：
根据《全国学联驻会执行主席管理办法（试行）》第二十一条，秘书处责令你就「{{ title }}」作出书面检讨，请于 {{ due }} 前在“监督管理”中上传检讨书。""",
        sample={"name": "李明", "title": "违反工作纪律", "due": "2026-12-09"})
    register_default_template(
        "supervision.school_notice", "致派出学校党委的通报", article="A18",
        subject="通报：关于{{ name }}同学{{ what }}（{{ notice_number }}）",
        body="""{{ school }}党委：
现将关于{{ name }}同学{{ what }}的通报（{{ notice_number }}）送达贵校，请登录平台查收。""",
        sample={"school": "示例大学", "name": "王某", "what": "取消驻会资格", "notice_number": "学联驻通〔2026〕1号"})
    register_default_template(
        "supervision.activity_requested", "对外活动报批", article="A19",
        subject="请审批：{{ name }} · {{ kind }} · {{ title }}",
        body="""驻会执行主席{{ name }}申请{{ kind }}「{{ title }}」（{{ event_date }}）。请于 {{ decide_by }} 前在“监督管理”中审批，逾期未批的申请自动失效。""",
        sample={"name": "李明", "kind": "参加活动", "title": "青年论坛", "event_date": "2026-12-20",
                "decide_by": "2026-12-18"})
