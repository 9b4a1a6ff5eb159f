"""list indexes (issue 10): the nomination list's orders and the stage lists walk indexes

Revision ID: 0015_list_indexes
Revises: 0014_workflow_approvals
Create Date: 2026-12-02 00:10:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = '0015_list_indexes'
down_revision = '0014_workflow_approvals'
branch_labels = None
depends_on = None

INDEXES = [
    ('selection_nominations', 'ix_selection_nominations_cycle_school_id', ['cycle_id', 'school_id', 'id']),
    ('selection_nominations', 'ix_selection_nominations_cycle_status_school', ['cycle_id', 'status', 'school_id', 'id']),
    ('selection_nominations', 'ix_selection_nominations_cycle_rank', ['cycle_id', 'rank', 'id']),
    ('schools', 'ix_schools_tenant_province_code', ['tenant_id', 'province_code', 'code', 'id']),
]


def upgrade():
    # Plain indexes on existing tables: no new table, so no RLS policy or grant to add.
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
