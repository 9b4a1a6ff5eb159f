"""PostgreSQL row-level security and grants, used by the migrations.

Every tenant-owned table gets RLS ENABLEd and FORCEd with one policy keyed on the
per-transaction setting ``app.tenant_id``; the app role gets DML on ordinary tables,
only SELECT/INSERT on the audit trail (append-only) and only SELECT on the chain's heads.
"""
from __future__ import annotations

from alembic import op

POLICY = "tenant_isolation"
APPEND_ONLY = {"audit_records"}
# Written only by a SECURITY DEFINER trigger function (the audit chain's heads): the app role reads.
READ_ONLY = {"audit_chain_heads"}


def app_role() -> str:
    from flask import current_app

    return current_app.config.get("DATABASE_APP_ROLE") or "portal_app"


def is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def ensure_app_role() -> None:
    role = app_role()
    op.execute(f"""
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
        CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
      END IF;
    END $$;""")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")


def enable_tenant_rls(table: str) -> None:
    if not is_postgres():
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
    op.execute(
        f"CREATE POLICY {POLICY} ON {table} "
        f"USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer) "
        f"WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer)"
    )


def grant_table(table: str) -> None:
    if not is_postgres():
        return
    role = app_role()
    if table in READ_ONLY:
        op.execute(f"REVOKE ALL ON {table} FROM {role}")
        op.execute(f"GRANT SELECT ON {table} TO {role}")
    elif table in APPEND_ONLY:
        op.execute(f"REVOKE ALL ON {table} FROM {role}")
        op.execute(f"GRANT SELECT, INSERT ON {table} TO {role}")
    else:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}")


def grant_sequences() -> None:
    if is_postgres():
        op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app_role()}")


def protect_tenant_tables(*tables: str, shared: tuple[str, ...] = ()) -> None:
    """A migration's new tables: each tenant-owned one gets RLS and the app role's grants, each
    ``shared`` (platform) one only the grants; then the sequences (PostgreSQL only)."""
    if not is_postgres():
        return
    for table in tables:
        enable_tenant_rls(table)
        grant_table(table)
    for table in shared:
        grant_table(table)
    grant_sequences()
