"""departments and post rotation (A12): per-tenant departments with their heads, and the
rotation segments of each residency

Revision ID: 0016_departments_rotation
Revises: 0015_list_indexes
Create Date: 2026-12-02 04:40:00

"""
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0016_departments_rotation'
down_revision = '0015_list_indexes'
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def upgrade():
    op.create_table(
        'departments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('kind', _enum('departmentkind', 'secretariat', 'department'), nullable=False),
        sa.Column('head_user_id', sa.Integer(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('sort', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['head_user_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'name'),
    )
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_departments_tenant_id'), ['tenant_id'], unique=False)
    op.create_table(
        'residency_rotation_segments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('residency_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('post', sa.String(length=60), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('head_user_id', sa.Integer(), nullable=True),
        sa.Column('deviation_reason', sa.Text(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('ends_on >= starts_on', name='segment_order'),
        sa.ForeignKeyConstraint(['residency_id'], ['residencies.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id']),
        sa.ForeignKeyConstraint(['head_user_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('residency_rotation_segments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residency_rotation_segments_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residency_rotation_segments_department_id'), ['department_id'],
                              unique=False)
        batch_op.create_index('ix_residency_rotation_segments_residency_starts', ['residency_id', 'starts_on'],
                              unique=False)
    if rls.is_postgres():
        for table in ('departments', 'residency_rotation_segments'):
            rls.enable_tenant_rls(table)
            rls.grant_table(table)
        rls.grant_sequences()


def downgrade():
    op.drop_table('residency_rotation_segments')
    op.drop_table('departments')
