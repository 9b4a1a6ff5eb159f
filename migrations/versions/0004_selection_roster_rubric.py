"""selection: years each rotation organization served (A4); per-item interview scores (A6.4)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('selection_rotation_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('served_years', sa.JSON(), server_default='[]', nullable=False))
    with op.batch_alter_table('selection_interview_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('criteria', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('selection_interview_scores', schema=None) as batch_op:
        batch_op.drop_column('criteria')
    with op.batch_alter_table('selection_rotation_entries', schema=None) as batch_op:
        batch_op.drop_column('served_years')
