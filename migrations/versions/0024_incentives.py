"""incentives (A16, A17): the appraisal sent to the sending school is tracked like the A6.1 letters
(sent through the outbox, delivered by its message or by hand); the 商请休学函's number (文号);
the old unread rules incentives.allowance_standard / incentives.allowance_monthly_yuan leave the
national versions and the provinces' overrides (the dated rate table is the standard).

Revision ID: 0024_incentives
Revises: 0023_relations
Create Date: 2026-12-02 16:00:00

"""
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0024_incentives'
down_revision = '0023_relations'
branch_labels = None
depends_on = None

RETIRED_RULES = ('incentives.allowance_standard', 'incentives.allowance_monthly_yuan')


def upgrade():
    with op.batch_alter_table('incentive_appraisals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('delivery_method', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('delivery_note', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('delivery_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_incentive_appraisals_delivery_recorded_by_id_users'), 'users',
                                    ['delivery_recorded_by_id'], ['id'])
    # an appraisal already marked 已送派出学校 before the outbox: sent that day, delivery unknown
    noon = "sent_on + TIME '04:00'" if rls.is_postgres() else "sent_on || ' 04:00:00.000000'"
    op.execute(sa.text(f"UPDATE incentive_appraisals SET sent_at = {noon} WHERE sent_on IS NOT NULL"))
    op.create_table(
        'incentive_suspension_letters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('residency_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=60), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['residency_id'], ['residencies.id']),
        sa.ForeignKeyConstraint(['issued_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('residency_id'),
        sa.UniqueConstraint('tenant_id', 'number'),
    )
    with op.batch_alter_table('incentive_suspension_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incentive_suspension_letters_tenant_id'), ['tenant_id'], unique=False)
    # The retired rules: no version, override or cycle keeps a value nothing reads. The owner
    # role runs migrations, so row-level security does not hide other tenants' overrides.
    rules = sa.bindparam('keys', RETIRED_RULES, expanding=True)
    op.get_bind().execute(sa.text("DELETE FROM rule_overrides WHERE key IN :keys").bindparams(rules))
    op.get_bind().execute(sa.text("DELETE FROM rule_values WHERE key IN :keys").bindparams(rules))
    rls.protect_tenant_tables('incentive_suspension_letters')


def downgrade():
    op.drop_table('incentive_suspension_letters')
    with op.batch_alter_table('incentive_appraisals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_incentive_appraisals_delivery_recorded_by_id_users'),
                                 type_='foreignkey')
        for col in ('delivery_recorded_by_id', 'delivery_note', 'delivery_method', 'delivered_at', 'sent_at'):
            batch_op.drop_column(col)
