"""selection: the tenant's rule overrides in force when a cycle opened (A22, A23)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 19:00:00

NULL for cycles opened before this revision: the portal then derives the overrides by
comparing the cycle's pinned values with its national version (reasons unknown).
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('selection_cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rules_overrides', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('selection_cycles', schema=None) as batch_op:
        batch_op.drop_column('rules_overrides')
