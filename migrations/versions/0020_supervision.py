"""supervision (A18, A19, A21): cases against a chair (removal and discipline) with their notice to
the school, outside-activity requests, the A19 declaration, and the files of cases and activities

Revision ID: 0020_supervision
Revises: 0019_incentives
Create Date: 2026-12-02 04:50:00

"""
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0020_supervision'
down_revision = '0019_incentives'
branch_labels = None
depends_on = None

TABLES = ('supervision_activities', 'supervision_cases', 'supervision_declarations', 'supervision_files')


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def _tenant():
    return sa.Column('tenant_id', sa.Integer(), nullable=False)


def _tenant_fk():
    return sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT')


def _index(table, *cols, name=None, unique=False):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(name or batch_op.f(f"ix_{table}_{'_'.join(cols)}"), list(cols), unique=unique)


def upgrade():
    op.create_table(
        'supervision_activities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('residency_id', sa.Integer(), nullable=False),
        sa.Column('kind', _enum('activitykind', 'position', 'event', 'article', 'interview'), nullable=False),
        sa.Column('capacity', _enum('capacity', 'federation', 'chair'), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('organizer', sa.String(length=120), nullable=False),
        sa.Column('outlet', sa.String(length=120), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('event_date', sa.Date(), nullable=False),
        sa.Column('exchange', sa.Boolean(), nullable=False),
        sa.Column('status', _enum('activitystatus', 'pending', 'approved', 'refused', 'lapsed', 'filed', 'closed',
                                  'unapproved'), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('requested_on', sa.Date(), nullable=False),
        sa.Column('decide_by', sa.Date(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.Column('outcome_link', sa.String(length=500), nullable=True),
        sa.Column('outcome_note', sa.Text(), nullable=True),
        sa.Column('filed_at', sa.DateTime(), nullable=True),
        sa.Column('obligation_record_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        _tenant(),
        sa.ForeignKeyConstraint(['residency_id'], ['residencies.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['obligation_record_id'], ['obligation_records.id'], ondelete='SET NULL'),
        _tenant_fk(),
        sa.PrimaryKeyConstraint('id'),
    )
    _index('supervision_activities', 'tenant_id')
    _index('supervision_activities', 'residency_id')
    _index('supervision_activities', 'status')
    op.create_table(
        'supervision_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('residency_id', sa.Integer(), nullable=False),
        sa.Column('kind', _enum('casekind', 'removal', 'discipline'), nullable=False),
        sa.Column('status', _enum('casestatus', 'open', 'hearing', 'heard', 'awaiting_approval', 'approved',
                                  'notified', 'refused', 'awaiting_self_criticism', 'self_criticism_filed', 'closed',
                                  'withdrawn'), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('ground', sa.String(length=60), nullable=True),
        sa.Column('facts', sa.Text(), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=True),
        sa.Column('opened_by_id', sa.Integer(), nullable=True),
        sa.Column('statement_due', sa.Date(), nullable=True),
        sa.Column('statement', sa.Text(), nullable=True),
        sa.Column('statement_at', sa.DateTime(), nullable=True),
        sa.Column('approval_request_id', sa.Integer(), nullable=True),
        sa.Column('decision_number', sa.String(length=60), nullable=True),
        sa.Column('decision_date', sa.Date(), nullable=True),
        sa.Column('approving_body', sa.String(length=120), nullable=True),
        sa.Column('measure', sa.String(length=40), nullable=True),
        sa.Column('measure_reason', sa.Text(), nullable=True),
        sa.Column('measure_on', sa.Date(), nullable=True),
        sa.Column('self_criticism_due', sa.Date(), nullable=True),
        sa.Column('self_criticism_note', sa.Text(), nullable=True),
        sa.Column('activity_id', sa.Integer(), nullable=True),
        sa.Column('notice_number', sa.String(length=60), nullable=True),
        sa.Column('notice_docx_document_id', sa.Integer(), nullable=True),
        sa.Column('notice_pdf_document_id', sa.Integer(), nullable=True),
        sa.Column('notice_sent_at', sa.DateTime(), nullable=True),
        sa.Column('notice_delivered_at', sa.DateTime(), nullable=True),
        sa.Column('delivery_method', sa.String(length=20), nullable=True),
        sa.Column('delivery_note', sa.String(length=400), nullable=True),
        sa.Column('delivery_recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        _tenant(),
        sa.ForeignKeyConstraint(['residency_id'], ['residencies.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['opened_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['approval_request_id'], ['approval_requests.id']),
        sa.ForeignKeyConstraint(['activity_id'], ['supervision_activities.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['notice_docx_document_id'], ['generated_documents.id']),
        sa.ForeignKeyConstraint(['notice_pdf_document_id'], ['generated_documents.id']),
        sa.ForeignKeyConstraint(['delivery_recorded_by_id'], ['users.id']),
        _tenant_fk(),
        sa.PrimaryKeyConstraint('id'),
    )
    _index('supervision_cases', 'tenant_id')
    _index('supervision_cases', 'residency_id')
    _index('supervision_cases', 'status')
    op.create_table(
        'supervision_declarations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('residency_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('signed_by_id', sa.Integer(), nullable=True),
        sa.Column('signed_at', sa.DateTime(), nullable=False),
        _tenant(),
        sa.ForeignKeyConstraint(['residency_id'], ['residencies.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['signed_by_id'], ['users.id']),
        _tenant_fk(),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('residency_id'),
    )
    _index('supervision_declarations', 'tenant_id')
    op.create_table(
        'supervision_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('activity_id', sa.Integer(), nullable=True),
        sa.Column('role', _enum('filerole', 'evidence', 'statement', 'self_criticism', 'artefact', 'outcome'),
                  nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=True),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        _tenant(),
        sa.CheckConstraint('(case_id IS NULL) <> (activity_id IS NULL)', name='one_owner'),
        sa.ForeignKeyConstraint(['case_id'], ['supervision_cases.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['activity_id'], ['supervision_activities.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['file_id'], ['vault_files.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['added_by_id'], ['users.id']),
        _tenant_fk(),
        sa.PrimaryKeyConstraint('id'),
    )
    _index('supervision_files', 'tenant_id')
    _index('supervision_files', 'case_id')
    _index('supervision_files', 'activity_id')
    rls.protect_tenant_tables(*TABLES)


def downgrade():
    op.drop_table('supervision_files')
    op.drop_table('supervision_declarations')
    op.drop_table('supervision_cases')
    op.drop_table('supervision_activities')
