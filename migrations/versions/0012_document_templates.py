"""document templates by reference (issue 11 item 5): tenant overrides of the national DOCX
templates; the secretariat's contact in the tenant's settings (issue 9 item 9)

Revision ID: 0012_document_templates
Revises: 0010
Create Date: 2026-12-02 00:10:00

"""
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0012_document_templates'
down_revision = '0011_vault'
branch_labels = None
depends_on = None

CONTACT_COLUMNS = [('contact_person', 60), ('contact_phone', 40), ('contact_email', 120), ('contact_address', 200)]


def upgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        for name, length in CONTACT_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))

    op.create_table('document_template_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=80), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('length(reason) > 0', name='reason_required'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'kind')
    )
    with op.batch_alter_table('document_template_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_template_overrides_tenant_id'), ['tenant_id'], unique=False)
    rls.enable_tenant_rls('document_template_overrides')
    rls.grant_table('document_template_overrides')
    rls.grant_sequences()


def downgrade():
    with op.batch_alter_table('document_template_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_template_overrides_tenant_id'))
    op.drop_table('document_template_overrides')
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        for name, _ in reversed(CONTACT_COLUMNS):
            batch_op.drop_column(name)
