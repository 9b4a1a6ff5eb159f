"""audit: the chain's head out of the app role's reach, and the chain keyed with HMAC (A7)

Each tenant's head (last seq and digest) is kept in audit_chain_heads. Only a trigger on
INSERT into audit_records advances it, and the trigger refuses a record that does not follow
the head (its seq and prev_hash). On PostgreSQL the app role may only SELECT the heads; the
trigger function runs SECURITY DEFINER as the owner. Deleting the newest records therefore
leaves the head past the chain's end, which verify reports.

Existing chains were digested with plain SHA-256: they are verified under that scheme and
re-keyed with HMAC-SHA256 (AUDIT_HMAC_KEY, or the key derived from SECRET_KEY). A chain that
does not verify is not re-keyed: the migration stops and names the tenant and record, so that
a fresh key never blesses an edited trail.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 19:00:00

"""
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

GENESIS = "0" * 64

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_chain_advance() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF NEW.seq = 1 AND NEW.prev_hash = '{GENESIS}' THEN
    INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES (NEW.tenant_id, 1, NEW.hash);
    RETURN NULL;
  END IF;
  UPDATE audit_chain_heads SET seq = NEW.seq, hash = NEW.hash
   WHERE tenant_id = NEW.tenant_id AND seq = NEW.seq - 1 AND hash = NEW.prev_hash;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'audit record % of tenant % does not follow the chain head', NEW.seq, NEW.tenant_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$;
"""

SQLITE_TRIGGER = f"""
CREATE TRIGGER audit_chain_advance AFTER INSERT ON audit_records
BEGIN
  SELECT RAISE(ABORT, 'audit record does not follow the chain head')
   WHERE NOT (NEW.seq = 1 AND NEW.prev_hash = '{GENESIS}')
     AND NOT EXISTS (SELECT 1 FROM audit_chain_heads
                      WHERE tenant_id = NEW.tenant_id AND seq = NEW.seq - 1 AND hash = NEW.prev_hash);
  INSERT INTO audit_chain_heads (tenant_id, seq, hash)
  SELECT NEW.tenant_id, 1, NEW.hash WHERE NEW.seq = 1 AND NEW.prev_hash = '{GENESIS}';
  UPDATE audit_chain_heads SET seq = NEW.seq, hash = NEW.hash
   WHERE tenant_id = NEW.tenant_id AND seq = NEW.seq - 1 AND hash = NEW.prev_hash;
END;
"""


def upgrade():
    rekeyed = _rekey_plan()  # verifies every chain first: a broken one stops before any change
    op.create_table(
        'audit_chain_heads',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_audit_chain_heads_tenant_id_tenants'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_audit_chain_heads')),
    )
    _apply(rekeyed)
    if rls.is_postgres():
        op.execute(PG_FUNCTION)
        op.execute("REVOKE ALL ON FUNCTION audit_chain_advance() FROM PUBLIC")
        op.execute("CREATE TRIGGER audit_chain_advance AFTER INSERT ON audit_records "
                   "FOR EACH ROW EXECUTE FUNCTION audit_chain_advance()")
        rls.ensure_app_role()
        rls.enable_tenant_rls('audit_chain_heads')
        rls.grant_table('audit_chain_heads')
    else:
        op.execute(SQLITE_TRIGGER)


def _set_tenant(conn, tenant_id):
    if conn.dialect.name == "postgresql":  # the owner may be subject to the FORCEd policy
        conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})


def _rekey_plan():
    """{tenant_id: [(record id, prev_hash, hash), ...]} for every chain, re-keyed with HMAC."""
    from portal.core.audit import AuditRecord, _hash, chain_key, legacy_hash

    conn = op.get_bind()
    key = chain_key()
    records = AuditRecord.__table__
    plan = {}
    for (tenant_id,) in conn.execute(sa.text("SELECT id FROM tenants ORDER BY id")).all():
        _set_tenant(conn, tenant_id)
        rows = conn.execute(sa.select(records).where(records.c.tenant_id == tenant_id)
                            .order_by(records.c.seq)).mappings().all()
        prev_old, prev_new, updates = GENESIS, GENESIS, []
        for expected, row in enumerate(rows, start=1):
            rec = AuditRecord(**{k: row[k] for k in row.keys()})
            if rec.seq != expected or rec.prev_hash != prev_old or legacy_hash(rec.payload()) != rec.hash:
                raise RuntimeError(f"tenant {tenant_id}: audit record {expected} does not verify; "
                                   "not re-keyed (run `flask audit verify` on the previous release)")
            prev_old = rec.hash
            rec.prev_hash = prev_new
            prev_new = _hash(rec.payload(), key)
            updates.append((row["id"], rec.prev_hash, prev_new))
        if updates:
            plan[tenant_id] = updates
    return plan


def _apply(plan):
    conn = op.get_bind()
    for tenant_id, updates in plan.items():
        _set_tenant(conn, tenant_id)
        for record_id, prev_hash, digest in updates:
            conn.execute(sa.text("UPDATE audit_records SET prev_hash = :p, hash = :h WHERE id = :i"),
                         {"p": prev_hash, "h": digest, "i": record_id})
        conn.execute(sa.text("INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES (:t, :s, :h)"),
                     {"t": tenant_id, "s": len(updates), "h": updates[-1][2]})


def downgrade():
    if rls.is_postgres():
        op.execute("DROP TRIGGER IF EXISTS audit_chain_advance ON audit_records")
        op.execute("DROP FUNCTION IF EXISTS audit_chain_advance()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_chain_advance")
    op.drop_table('audit_chain_heads')
