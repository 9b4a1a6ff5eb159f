from tests.factories import SchoolFactory, TenantFactory, member


def test_login_and_dashboard_A22(client, login_as):
    tenant = TenantFactory()
    SchoolFactory(tenant=tenant)
    admin = member(tenant)
    login_as(admin)
    resp = client.get(f"/{tenant.slug}/")
    assert resp.status_code == 200
    assert tenant.name in resp.get_data(as_text=True)


def test_migration_commands_are_loaded_by_flask_db_only(app, tmp_path):
    """A web or worker process never imports Flask-Migrate (Alembic and its dependencies); the
    ``flask db`` commands load it when they run."""
    import os
    import subprocess
    import sys

    code = ("import sys, wsgi; print(sorted(m for m in ('flask_migrate', 'alembic', 'mako', 'pygments') "
            "if m in sys.modules))")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
    result = app.test_cli_runner().invoke(args=["db", "heads"])  # (Alembic prints to the real stdout)
    assert result.exit_code == 0, result.output
    assert app.extensions["migrate"].directory.endswith("migrations")
    result = app.test_cli_runner().invoke(args=["db", "nonsense"])
    assert result.exit_code == 2 and "No such command" in result.output
