"""obligation evidence in the vault (issue 11, item 3): obligation_records.file_id, and the
evidence stored before (``UPLOAD_FOLDER/<tenant>/obligations/<name>``) copied into the vault

Revision ID: 0018_evidence_vault
Revises: 0017_constraint_names
Create Date: 2026-12-02 05:00:00

Like 0011's data step, idempotent and a copy: rows that have no vault file yet are taken, each
legacy file copied to ``UPLOAD_FOLDER/<tenant>/files/`` and recorded; a missing file leaves its
row as it was (its download answers as before) for a later run.
"""
import importlib.util
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))

revision = '0018_evidence_vault'
down_revision = '0017_constraint_names'
branch_labels = None
depends_on = None

EVIDENCE_ACCESS = ["owner", "role:secretariat_admin", "role:secretariat_staff"]


def _vault_migration():
    path = os.path.join(os.path.dirname(__file__), "0011_vault.py")
    spec = importlib.util.spec_from_file_location("migration_0011_vault", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    with op.batch_alter_table('obligation_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_obligation_records_file_id'), ['file_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_obligation_records_file_id_vault_files'), 'vault_files',
                                    ['file_id'], ['id'], ondelete='SET NULL')
    from flask import current_app

    adopt_legacy_evidence(op.get_bind(), current_app.config["UPLOAD_FOLDER"])


def adopt_legacy_evidence(bind, root: str) -> dict:
    v = _vault_migration()
    pg = bind.dialect.name == "postgresql"
    previous = bind.execute(sa.text("SELECT current_setting('app.tenant_id', true)")).scalar() if pg else None
    done = {"evidence": 0, "missing": 0}
    for tid in bind.execute(sa.text("SELECT id FROM tenants ORDER BY id")).scalars().all():
        if pg:
            bind.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tid)})
        for r in bind.execute(sa.text(
                "SELECT id, evidence_stored, evidence_name, evidence_type, recorded_by_id, recorded_at "
                "FROM obligation_records WHERE tenant_id = :t AND file_id IS NULL AND evidence_stored IS NOT NULL "
                "ORDER BY id"), {"t": tid}).all():
            name = os.path.basename(r.evidence_stored)
            src = os.path.join(root, str(tid), "obligations", name)
            ok = v._adopt(bind, root, tid, src=src, name=name, table="obligation_records", row_id=r.id,
                          values=v._row("obligation.evidence", r.evidence_type,
                                        (r.evidence_name or name)[:255], EVIDENCE_ACCESS,
                                        r.recorded_by_id, r.recorded_at))
            done["evidence" if ok else "missing"] += 1
    if pg:
        bind.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": previous or ""})
    return done


def downgrade():
    with op.batch_alter_table('obligation_records', schema=None) as batch_op:
        batch_op.drop_constraint('fk_obligation_records_file_id_vault_files', type_='foreignkey')
        batch_op.drop_index('ix_obligation_records_file_id')
        batch_op.drop_column('file_id')
