"""races: document number counters, one-time form tokens, unique letter numbers, job subjects

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 18:30:00

"""
import os
import re
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TENANT_TABLES = ["document_counters", "form_submissions"]
_NUMBER = re.compile(r"^(.*〔(\d{4})〕)(\d+)号$")


def _renumber_duplicate_letters(bind):
    """Letters numbered "count + 1" may share a number: the first sent keeps it, the others
    get the next free numbers of their year, so the unique constraint can hold."""
    tenants = [r[0] for r in bind.execute(sa.text("SELECT id FROM tenants"))]
    for tid in tenants:
        if bind.dialect.name == "postgresql":
            bind.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tid)})
        rows = bind.execute(sa.text(
            "SELECT id, letter_number FROM selection_invitations WHERE tenant_id = :t AND letter_number IS NOT NULL "
            "ORDER BY sent_at, id"), {"t": tid}).all()
        top, seen, again = {}, set(), []
        for inv_id, number in rows:
            m = _NUMBER.match(number)
            if m:
                top[m.group(1)] = max(top.get(m.group(1), 0), int(m.group(3)))
            if number in seen:
                again.append((inv_id, m.group(1) if m else None, number))
            seen.add(number)
        for inv_id, prefix, number in again:
            if prefix is None:
                new = f"{number}-{inv_id}"
            else:
                top[prefix] += 1
                new = f"{prefix}{top[prefix]}号"
            bind.execute(sa.text("UPDATE selection_invitations SET letter_number = :n WHERE id = :i"),
                         {"n": new, "i": inv_id})


def upgrade():
    op.create_table('document_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series', sa.String(length=80), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('last_value >= 0', name=op.f('ck_document_counters_non_negative')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_document_counters_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_counters')),
    sa.UniqueConstraint('tenant_id', 'series', name=op.f('uq_document_counters_tenant_id_series'))
    )
    with op.batch_alter_table('document_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_counters_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('form_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=80), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('endpoint', sa.String(length=120), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('location', sa.String(length=2000), nullable=True),
    sa.Column('flashes', sa.JSON(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('content_type', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_form_submissions_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submissions')),
    sa.UniqueConstraint('tenant_id', 'token', name=op.f('uq_form_submissions_tenant_id_token'))
    )
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_submissions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submissions_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('job_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f('ix_job_records_subject'), ['subject'], unique=False)

    _renumber_duplicate_letters(op.get_bind())
    with op.batch_alter_table('selection_invitations', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_selection_invitations_tenant_id_letter_number'),
                                          ['tenant_id', 'letter_number'])

    for table in TENANT_TABLES:
        rls.enable_tenant_rls(table)
        rls.grant_table(table)
    rls.grant_sequences()


def downgrade():
    with op.batch_alter_table('selection_invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_selection_invitations_tenant_id_letter_number'), type_='unique')
    with op.batch_alter_table('job_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_records_subject'))
        batch_op.drop_column('subject')
    op.drop_table('form_submissions')
    op.drop_table('document_counters')
