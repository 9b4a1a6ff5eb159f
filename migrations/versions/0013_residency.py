"""residency: the year in residence (A8–A14) and the obligations engine's records

Revision ID: 0013_residency
Revises: 0010
Create Date: 2026-12-02 00:30:00

"""
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0013_residency'
down_revision = '0012_document_templates'
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def upgrade():
    op.create_table(
        'residencies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('chair_id', sa.Integer(), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('cohort', sa.String(length=9), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('union_id', sa.Integer(), nullable=True),
        sa.Column('post', sa.String(length=60), nullable=True),
        sa.Column('working_group', sa.String(length=60), nullable=True),
        sa.Column('term_start', sa.Date(), nullable=False),
        sa.Column('term_end', sa.Date(), nullable=False),
        sa.Column('appointed_term_end', sa.Date(), nullable=False),
        sa.Column('status', _enum('residencystatus', 'in_residence', 'completed', 'removed', 'left'), nullable=False),
        sa.Column('ended_on', sa.Date(), nullable=True),
        sa.Column('end_reason', sa.Text(), nullable=True),
        sa.Column('rules_version', sa.String(length=20), nullable=False),
        sa.Column('rules_snapshot', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('term_end >= term_start', name='term_order'),
        sa.ForeignKeyConstraint(['chair_id'], ['chairs.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['cycle_id'], ['selection_cycles.id']),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id']),
        sa.ForeignKeyConstraint(['union_id'], ['student_unions.id']),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('chair_id'),
    )
    with op.batch_alter_table('residencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residencies_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residencies_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residencies_cohort'), ['cohort'], unique=False)
        batch_op.create_index(batch_op.f('ix_residencies_status'), ['status'], unique=False)
    op.create_table(
        'obligation_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject_type', sa.String(length=40), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('obligation_key', sa.String(length=80), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('content', sa.Text(), nullable=True),
        sa.Column('evidence_name', sa.String(length=255), nullable=True),
        sa.Column('evidence_stored', sa.String(length=120), nullable=True),
        sa.Column('evidence_type', sa.String(length=10), nullable=True),
        sa.Column('evidence_size', sa.Integer(), nullable=True),
        sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
        sa.Column('status', _enum('recordstatus', 'submitted', 'accepted', 'returned'), nullable=False),
        sa.Column('recorded_role', sa.String(length=30), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(), nullable=True),
        sa.Column('review_note', sa.Text(), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('obligation_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_obligation_records_tenant_id'), ['tenant_id'], unique=False)
    op.create_index('ix_obligation_records_subject', 'obligation_records', ['tenant_id', 'subject_type', 'subject_id'])
    op.create_table(
        'residency_talks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('residency_id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('talked_by_id', sa.Integer(), nullable=True),
        sa.Column('place', sa.String(length=100), nullable=False),
        sa.Column('others_present', sa.String(length=200), nullable=True),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('follow_up', sa.Text(), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['residency_id'], ['residencies.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['record_id'], ['obligation_records.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['talked_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('record_id'),
    )
    with op.batch_alter_table('residency_talks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residency_talks_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residency_talks_residency_id'), ['residency_id'], unique=False)
    op.create_table(
        'residency_talk_readers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('designated_by_id', sa.Integer(), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['designated_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'user_id'),
    )
    with op.batch_alter_table('residency_talk_readers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residency_talk_readers_tenant_id'), ['tenant_id'], unique=False)
    op.create_table(
        'residency_meetings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('place', sa.String(length=100), nullable=False),
        sa.Column('leaders', sa.String(length=200), nullable=False),
        sa.Column('minutes', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('residency_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residency_meetings_tenant_id'), ['tenant_id'], unique=False)
    op.create_table(
        'residency_meeting_attendees',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('residency_id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['residency_meetings.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['residency_id'], ['residencies.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('meeting_id', 'residency_id'),
    )
    with op.batch_alter_table('residency_meeting_attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residency_meeting_attendees_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residency_meeting_attendees_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residency_meeting_attendees_residency_id'), ['residency_id'],
                              unique=False)
    if rls.is_postgres():
        for table in ('residencies', 'obligation_records', 'residency_talks', 'residency_talk_readers',
                      'residency_meetings', 'residency_meeting_attendees'):
            rls.enable_tenant_rls(table)
            rls.grant_table(table)
        rls.grant_sequences()


def downgrade():
    op.drop_table('residency_meeting_attendees')
    op.drop_table('residency_meetings')
    op.drop_table('residency_talk_readers')
    op.drop_table('residency_talks')
    op.drop_index('ix_obligation_records_subject', table_name='obligation_records')
    op.drop_table('obligation_records')
    op.drop_table('residencies')
