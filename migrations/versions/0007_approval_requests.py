"""approvals: requests to a higher body (A6.5 consent; later A18, A19, A20)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:40:00

"""
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'approval_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=60), nullable=False),
        sa.Column('subject_type', sa.String(length=40), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('summary', sa.Text(), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('body_rule_key', sa.String(length=80), nullable=False),
        sa.Column('body_name', sa.String(length=120), nullable=False),
        sa.Column('article', sa.String(length=20), nullable=True),
        sa.Column('status', sa.Enum('pending', 'approved', 'refused', 'withdrawn', name='approvalstatus',
                                    native_enum=False, create_constraint=True, length=40), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('document_number', sa.String(length=60), nullable=True),
        sa.Column('decision_date', sa.Date(), nullable=True),
        sa.Column('scan_path', sa.String(length=300), nullable=True),
        sa.Column('scan_type', sa.String(length=80), nullable=True),
        sa.Column('scan_sha256', sa.String(length=64), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('approval_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_requests_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_requests_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_requests_status'), ['status'], unique=False)
    op.create_index('uq_approval_requests_open', 'approval_requests',
                    ['tenant_id', 'kind', 'subject_type', 'subject_id'], unique=True,
                    sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
    if rls.is_postgres():
        rls.enable_tenant_rls('approval_requests')
        rls.grant_table('approval_requests')
        rls.grant_sequences()


def downgrade():
    op.drop_index('uq_approval_requests_open', table_name='approval_requests')
    op.drop_table('approval_requests')
