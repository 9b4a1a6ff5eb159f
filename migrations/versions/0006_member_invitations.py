"""members: invitations to a federation's members; users.password_set_at; letters delivered by hand

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 19:00:00

"""
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_set_at', sa.DateTime(), nullable=True))
    # Every existing account has a password its owner chose (or was given by the demo).
    op.execute("UPDATE users SET password_set_at = created_at")
    op.create_table(
        'member_invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('membership_id', sa.Integer(), nullable=False),
        sa.Column('nonce', sa.String(length=32), nullable=False),
        sa.Column('sets_password', sa.Boolean(), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('sent_count', sa.Integer(), nullable=False),
        sa.Column('last_sent_at', sa.DateTime(), nullable=False),
        sa.Column('accepted_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['invited_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('member_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_invitations_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_invitations_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_invitations_membership_id'), ['membership_id'], unique=False)
    with op.batch_alter_table('selection_invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_method', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('delivery_note', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('delivery_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_selection_invitations_delivery_recorded_by_id_users',
                                    'users', ['delivery_recorded_by_id'], ['id'])
    op.execute("UPDATE selection_invitations SET delivery_method = 'email' WHERE delivered_at IS NOT NULL")
    if rls.is_postgres():
        rls.enable_tenant_rls('member_invitations')
        rls.grant_table('member_invitations')
        rls.grant_sequences()


def downgrade():
    with op.batch_alter_table('selection_invitations', schema=None) as batch_op:
        batch_op.drop_constraint('fk_selection_invitations_delivery_recorded_by_id_users', type_='foreignkey')
        batch_op.drop_column('delivery_recorded_by_id')
        batch_op.drop_column('delivery_note')
        batch_op.drop_column('delivery_method')
    op.drop_table('member_invitations')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('password_set_at')
