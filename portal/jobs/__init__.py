"""Background jobs on RQ: named queues, tenant-carrying jobs, JobRecord progress, retries."""
from portal.jobs.operations import QUEUES, enqueue  # noqa: F401
from portal.jobs.runner import set_progress  # noqa: F401


def init_app(app):
    from flask import request

    from portal.core.templating import register_nav
    from portal.jobs import cli
    from portal.jobs.views import api_bp, bp, platform_bp

    app.config.setdefault("JOBS_EAGER", False)
    app.config.setdefault("JOBS_THREADS", 2)
    app.register_blueprint(bp)
    app.register_blueprint(platform_bp)
    app.register_blueprint(api_bp)
    app.cli.add_command(cli.worker)
    app.cli.add_command(cli.jobs_cli)
    register_nav(app, "jobs.index", "后台任务", roles=("secretariat_admin",))

    @app.before_request
    def _start_embedded_timer():
        # The embedded default (no Redis): sweeps and reminders on an in-process timer.
        from portal.jobs.operations import mode

        if not app.config.get("TESTING") and mode(app) == "thread" and request.endpoint != "static":
            from portal.jobs.periodic import start_embedded_timer

            start_embedded_timer(app)
