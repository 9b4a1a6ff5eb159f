"""confidentiality (A20): vault levels and view-only files, the access log's seek indexes,
pledges, vault revocations, seals and their custody, seal-use requests and uses, the term-end
handover checklist

Revision ID: 0022_confidentiality
Revises: 0021_rotation
Create Date: 2026-12-02 05:00:00

"""
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0022_confidentiality'
down_revision = '0021_rotation'
branch_labels = None
depends_on = None

TABLES = ('confidentiality_pledges', 'confidentiality_vault_revocations', 'confidentiality_seals',
          'confidentiality_seal_handovers', 'confidentiality_seal_requests', 'confidentiality_seal_uses',
          'confidentiality_handover_items')


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def _tenant(table):
    return [sa.Column('tenant_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
            sa.PrimaryKeyConstraint('id')]


def _index_tenant(table, *more):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_tenant_id'), ['tenant_id'], unique=False)
        for col in more:
            batch_op.create_index(batch_op.f(f'ix_{table}_{col}'), [col], unique=False)


def upgrade():
    with op.batch_alter_table('vault_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('classification', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('downloadable', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.create_check_constraint(
            'classification', "classification IN ('public', 'internal', 'sensitive')")
    with op.batch_alter_table('vault_access_log', schema=None) as batch_op:
        batch_op.create_index('ix_vault_access_log_file_seek', ['tenant_id', 'file_id', 'id'], unique=False)
        batch_op.create_index('ix_vault_access_log_user_seek', ['tenant_id', 'user_id', 'id'], unique=False)

    op.create_table(
        'confidentiality_pledges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('chair_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('version', sa.String(length=20), nullable=False),
        sa.Column('text_sha256', sa.String(length=64), nullable=False),
        sa.Column('signed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['chair_id'], ['chairs.id'], ondelete='SET NULL'),
        sa.UniqueConstraint('tenant_id', 'user_id', 'version'),
        *_tenant('confidentiality_pledges'),
    )
    _index_tenant('confidentiality_pledges')
    op.create_table(
        'confidentiality_vault_revocations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('residency_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('removed_entries', sa.Integer(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['residency_id'], ['residencies.id'], ondelete='SET NULL'),
        sa.UniqueConstraint('tenant_id', 'user_id'),
        *_tenant('confidentiality_vault_revocations'),
    )
    _index_tenant('confidentiality_vault_revocations')
    op.create_table(
        'confidentiality_seals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('custodian_name', sa.String(length=40), nullable=False),
        sa.Column('custodian_user_id', sa.Integer(), nullable=True),
        sa.Column('status', _enum('sealstatus', 'in_use', 'retired'), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['custodian_user_id'], ['users.id']),
        sa.UniqueConstraint('tenant_id', 'name'),
        *_tenant('confidentiality_seals'),
    )
    _index_tenant('confidentiality_seals')
    op.create_table(
        'confidentiality_seal_handovers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seal_id', sa.Integer(), nullable=False),
        sa.Column('from_name', sa.String(length=40), nullable=False),
        sa.Column('to_name', sa.String(length=40), nullable=False),
        sa.Column('to_user_id', sa.Integer(), nullable=True),
        sa.Column('handed_on', sa.Date(), nullable=False),
        sa.Column('witness', sa.String(length=40), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['seal_id'], ['confidentiality_seals.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['to_user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id']),
        *_tenant('confidentiality_seal_handovers'),
    )
    _index_tenant('confidentiality_seal_handovers', 'seal_id')
    op.create_table(
        'confidentiality_seal_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seal_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('copies', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', _enum('sealrequeststatus', 'pending', 'approved', 'rejected', 'used'), nullable=False),
        sa.Column('copies_used', sa.Integer(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.CheckConstraint('copies > 0', name='copies_positive'),
        sa.CheckConstraint('copies_used >= 0 AND copies_used <= copies', name='copies_within'),
        sa.ForeignKeyConstraint(['seal_id'], ['confidentiality_seals.id']),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id']),
        *_tenant('confidentiality_seal_requests'),
    )
    _index_tenant('confidentiality_seal_requests', 'seal_id', 'status', 'requested_by_id')
    op.create_table(
        'confidentiality_seal_uses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('seal_id', sa.Integer(), nullable=False),
        sa.Column('copies', sa.Integer(), nullable=False),
        sa.Column('used_on', sa.Date(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('copies > 0', name='use_copies_positive'),
        sa.ForeignKeyConstraint(['request_id'], ['confidentiality_seal_requests.id']),
        sa.ForeignKeyConstraint(['seal_id'], ['confidentiality_seals.id']),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id']),
        *_tenant('confidentiality_seal_uses'),
    )
    _index_tenant('confidentiality_seal_uses', 'request_id')
    op.create_table(
        'confidentiality_handover_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('residency_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('status', _enum('handoverstatus', 'open', 'returned'), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('checked_by_id', sa.Integer(), nullable=True),
        sa.Column('checked_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['residency_id'], ['residencies.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['checked_by_id'], ['users.id']),
        sa.UniqueConstraint('tenant_id', 'residency_id', 'title'),
        *_tenant('confidentiality_handover_items'),
    )
    _index_tenant('confidentiality_handover_items', 'residency_id')
    rls.protect_tenant_tables(*TABLES)


def downgrade():
    for table in reversed(TABLES):
        op.drop_table(table)
    with op.batch_alter_table('vault_access_log', schema=None) as batch_op:
        batch_op.drop_index('ix_vault_access_log_user_seek')
        batch_op.drop_index('ix_vault_access_log_file_seek')
    with op.batch_alter_table('vault_files', schema=None) as batch_op:
        batch_op.drop_constraint('classification', type_='check')
        batch_op.drop_column('downloadable')
        batch_op.drop_column('classification')
