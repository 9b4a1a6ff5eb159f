"""post rotation plans (A12) and working groups (A13): the planner's proposals, the groups of
each cohort with their lead chairs, member organizations and activity log

Revision ID: 0021_rotation
Revises: 0020_supervision
Create Date: 2026-12-02 05:00:00

"""
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0021_rotation'
down_revision = '0020_supervision'
branch_labels = None
depends_on = None

TABLES = ('residency_rotation_plans', 'residency_working_groups', 'residency_working_group_leads',
          'residency_working_group_members', 'residency_working_group_activities',
          'residency_working_group_participants')


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def _tenant():
    return [sa.Column('tenant_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT')]


def _tenant_index(table):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_tenant_id'), ['tenant_id'], unique=False)


def upgrade():
    op.create_table(
        'residency_rotation_plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort', sa.String(length=9), nullable=False),
        sa.Column('status', _enum('planstatus', 'proposed', 'accepted', 'discarded'), nullable=False),
        sa.Column('period_months', sa.Integer(), nullable=False),
        sa.Column('rows', sa.JSON(), nullable=False),
        sa.Column('proposed_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        *_tenant(),
        sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    _tenant_index('residency_rotation_plans')
    with op.batch_alter_table('residency_rotation_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residency_rotation_plans_cohort'), ['cohort'], unique=False)
    op.create_table(
        'residency_working_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort', sa.String(length=9), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('sort', sa.Integer(), nullable=False),
        *_tenant(),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'cohort', 'name'),
    )
    _tenant_index('residency_working_groups')
    op.create_table(
        'residency_working_group_leads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('residency_id', sa.Integer(), nullable=False),
        *_tenant(),
        sa.ForeignKeyConstraint(['group_id'], ['residency_working_groups.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['residency_id'], ['residencies.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('residency_id'),
    )
    _tenant_index('residency_working_group_leads')
    with op.batch_alter_table('residency_working_group_leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residency_working_group_leads_group_id'), ['group_id'], unique=False)
    op.create_table(
        'residency_working_group_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('union_id', sa.Integer(), nullable=False),
        *_tenant(),
        sa.ForeignKeyConstraint(['group_id'], ['residency_working_groups.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['union_id'], ['student_unions.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('group_id', 'union_id'),
    )
    _tenant_index('residency_working_group_members')
    with op.batch_alter_table('residency_working_group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residency_working_group_members_group_id'), ['group_id'], unique=False)
    op.create_table(
        'residency_working_group_activities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('outcome', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        *_tenant(),
        sa.ForeignKeyConstraint(['group_id'], ['residency_working_groups.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    _tenant_index('residency_working_group_activities')
    with op.batch_alter_table('residency_working_group_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residency_working_group_activities_group_id'), ['group_id'],
                              unique=False)
    op.create_table(
        'residency_working_group_participants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('activity_id', sa.Integer(), nullable=False),
        sa.Column('union_id', sa.Integer(), nullable=False),
        *_tenant(),
        sa.ForeignKeyConstraint(['activity_id'], ['residency_working_group_activities.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['union_id'], ['student_unions.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('activity_id', 'union_id'),
    )
    _tenant_index('residency_working_group_participants')
    with op.batch_alter_table('residency_working_group_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residency_working_group_participants_activity_id'), ['activity_id'],
                              unique=False)
    rls.protect_tenant_tables(*TABLES)


def downgrade():
    for table in reversed(TABLES):
        op.drop_table(table)
