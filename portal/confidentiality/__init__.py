"""A20 (issue 14 item 3): confidentiality — the vault's internal materials and their access
log, the chair's pledge, seals and their use, the term-end handover."""


def init_app(app):
    from portal.confidentiality import operations as ops
    from portal.confidentiality.api import api_bp
    from portal.confidentiality.views import bp
    from portal.core.signals import residency_ended
    from portal.core.templating import register_nav, register_todo
    from portal.residency.operations import register_completion_guard

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    # A18/A21/term's end -> A20: the chair's vault access ends in the ending transaction.
    residency_ended.connect(ops.on_residency_ended, weak=False)
    # A20: the term is not completed while the handover checklist has open lines.
    register_completion_guard(ops.completion_guard)
    register_nav(app, "confidentiality.vault_index", "资料库",
                 roles=("secretariat_admin", "secretariat_staff", "department_head", "approver", "chair"))
    register_nav(app, "confidentiality.seals", "印鉴管理",
                 roles=("secretariat_admin", "secretariat_staff", "department_head", "approver", "chair"))
    register_nav(app, "confidentiality.handover", "期满交接", roles=("secretariat_admin", "secretariat_staff"))
    register_todo(app, "portal.confidentiality.home:todo")
