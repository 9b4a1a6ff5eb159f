"""party and league relations (A14): relation transfers, organizational life and dues month by
month; each user's calendar-feed token

Revision ID: 0023_relations
Revises: 0022_confidentiality
Create Date: 2026-12-02 05:00:00

"""
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0023_relations'
down_revision = '0022_confidentiality'
branch_labels = None
depends_on = None

TABLES = ('residency_relation_transfers', 'residency_org_life', 'residency_dues', 'residency_calendar_tokens')


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def _kind():
    return _enum('relationkind', 'party', 'league')


def _tenant(table):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_tenant_id'), ['tenant_id'], unique=False)


def upgrade():
    op.create_table(
        'residency_relation_transfers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('residency_id', sa.Integer(), nullable=False),
        sa.Column('kind', _kind(), nullable=False),
        sa.Column('direction', _enum('transferdirection', 'outbound', 'back'), nullable=False),
        sa.Column('status', _enum('transferstatus', 'open', 'letter_issued', 'reported', 'receipt_returned',
                                  'cancelled'), nullable=False),
        sa.Column('letter_no', sa.String(length=60), nullable=True),
        sa.Column('letter_date', sa.Date(), nullable=True),
        sa.Column('validity_days', sa.Integer(), nullable=True),
        sa.Column('from_org', sa.String(length=120), nullable=True),
        sa.Column('to_org', sa.String(length=120), nullable=True),
        sa.Column('reported_on', sa.Date(), nullable=True),
        sa.Column('receipt_due', sa.Date(), nullable=True),
        sa.Column('receipt_on', sa.Date(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['residency_id'], ['residencies.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('residency_id', 'kind', 'direction'),
    )
    _tenant('residency_relation_transfers')
    with op.batch_alter_table('residency_relation_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residency_relation_transfers_residency_id'), ['residency_id'])
    op.create_table(
        'residency_org_life',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('residency_id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('kind', _kind(), nullable=False),
        sa.Column('attended_on', sa.Date(), nullable=False),
        sa.Column('organization', sa.String(length=120), nullable=False),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['residency_id'], ['residencies.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['record_id'], ['obligation_records.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('record_id'),
    )
    _tenant('residency_org_life')
    with op.batch_alter_table('residency_org_life', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residency_org_life_residency_id'), ['residency_id'])
    op.create_table(
        'residency_dues',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('residency_id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('kind', _kind(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('income', sa.Numeric(12, 2), nullable=True),
        sa.Column('basis', sa.String(length=200), nullable=False),
        sa.Column('amount_due', sa.Numeric(10, 2), nullable=False),
        sa.Column('amount_paid', sa.Numeric(10, 2), nullable=False),
        sa.Column('paid_on', sa.Date(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['residency_id'], ['residencies.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['record_id'], ['obligation_records.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('record_id'),
        sa.UniqueConstraint('residency_id', 'kind', 'month'),
    )
    _tenant('residency_dues')
    with op.batch_alter_table('residency_dues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residency_dues_residency_id'), ['residency_id'])
    op.create_table(
        'residency_calendar_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    _tenant('residency_calendar_tokens')
    with op.batch_alter_table('residency_calendar_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_residency_calendar_tokens_user', ['tenant_id', 'user_id'])
    rls.protect_tenant_tables(*TABLES)


def downgrade():
    for table in reversed(TABLES):
        op.drop_table(table)
