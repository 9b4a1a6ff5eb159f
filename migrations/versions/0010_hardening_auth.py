"""hardening (issue 8): shared throttle counters replace login_attempts; one-time objection tokens

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 18:30:00

"""
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('throttle_counters',
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('grp', sa.String(length=300), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=100), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_counters_grp'), ['grp'], unique=False)
        batch_op.create_index(batch_op.f('ix_throttle_counters_expires_at'), ['expires_at'], unique=False)
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempts_key'))
        batch_op.drop_index(batch_op.f('ix_login_attempts_at'))
    op.drop_table('login_attempts')
    with op.batch_alter_table('selection_objections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_token', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint('uq_selection_objections_tenant_id_form_token', ['tenant_id', 'form_token'])
    if rls.is_postgres():
        rls.ensure_app_role()
        rls.grant_table('throttle_counters')


def downgrade():
    with op.batch_alter_table('selection_objections', schema=None) as batch_op:
        batch_op.drop_constraint('uq_selection_objections_tenant_id_form_token', type_='unique')
        batch_op.drop_column('form_token')
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempts_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempts_key'), ['key'], unique=False)
    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_counters_expires_at'))
        batch_op.drop_index(batch_op.f('ix_throttle_counters_grp'))
    op.drop_table('throttle_counters')
    if rls.is_postgres():
        rls.grant_table('login_attempts')
