"""A6.5 on the shared approvals engine: selection_approvals rows become approval_requests

Each decision of the old table becomes a decided request of kind ``selection.proposed_list``
on its cycle (approved or refused, the note as its reason, the list in its payload with the
old row's id under ``migrated_from``), then the old table is dropped. The downgrade copies
them back.

Revision ID: 0014_workflow_approvals
Revises: 0010
Create Date: 2026-12-02 00:30:00

"""
import os
import sys

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0014_workflow_approvals'
down_revision = '0013_residency'
branch_labels = None
depends_on = None

KIND = "selection.proposed_list"

old = sa.table(
    "selection_approvals", sa.column("id", sa.Integer), sa.column("cycle_id", sa.Integer),
    sa.column("approving_body", sa.String), sa.column("approved", sa.Boolean), sa.column("note", sa.Text),
    sa.column("nomination_ids", sa.JSON), sa.column("decided_by_id", sa.Integer),
    sa.column("decided_at", sa.DateTime), sa.column("tenant_id", sa.Integer))
new = sa.table(
    "approval_requests", sa.column("id", sa.Integer), sa.column("kind", sa.String),
    sa.column("subject_type", sa.String), sa.column("subject_id", sa.Integer), sa.column("title", sa.String),
    sa.column("summary", sa.Text), sa.column("payload", sa.JSON), sa.column("body_rule_key", sa.String),
    sa.column("body_name", sa.String), sa.column("article", sa.String), sa.column("status", sa.String),
    sa.column("requested_by_id", sa.Integer), sa.column("requested_at", sa.DateTime),
    sa.column("decided_by_id", sa.Integer), sa.column("decided_at", sa.DateTime), sa.column("reason", sa.Text),
    sa.column("tenant_id", sa.Integer))
cycles = sa.table("selection_cycles", sa.column("id", sa.Integer), sa.column("title", sa.String))


def _tenants(conn):
    for (tenant_id,) in conn.execute(sa.text("SELECT id FROM tenants ORDER BY id")).all():
        if conn.dialect.name == "postgresql":  # the owner is subject to the FORCEd policy
            conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})
        yield tenant_id


def upgrade():
    conn = op.get_bind()
    for tenant_id in _tenants(conn):
        rows = conn.execute(sa.select(old, cycles.c.title).join(cycles, cycles.c.id == old.c.cycle_id)
                            .where(old.c.tenant_id == tenant_id).order_by(old.c.id)).mappings().all()
        for r in rows:
            conn.execute(new.insert().values(
                kind=KIND, subject_type="selection_cycle", subject_id=r["cycle_id"],
                title=f"{r['title']}：拟任人选名单"[:200], summary=None,
                payload={"nomination_ids": list(r["nomination_ids"] or []),
                         "migrated_from": f"selection_approvals:{r['id']}"},
                body_rule_key="selection.approving_body", body_name=(r["approving_body"] or "")[:120],
                article="A6.5", status="approved" if r["approved"] else "refused",
                requested_by_id=None, requested_at=r["decided_at"], decided_by_id=r["decided_by_id"],
                decided_at=r["decided_at"], reason=r["note"], tenant_id=tenant_id))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT set_config('app.tenant_id', '', true)"))
    with op.batch_alter_table('selection_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_approvals_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_selection_approvals_cycle_id'))
    op.drop_table('selection_approvals')


def downgrade():
    op.create_table('selection_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('approving_body', sa.String(length=60), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('nomination_ids', sa.JSON(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['selection_cycles.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('selection_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selection_approvals_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_selection_approvals_tenant_id'), ['tenant_id'], unique=False)
    if rls.is_postgres():
        rls.enable_tenant_rls('selection_approvals')
        rls.grant_table('selection_approvals')
        rls.grant_sequences()
    conn = op.get_bind()
    for tenant_id in _tenants(conn):
        rows = conn.execute(sa.select(new).where(
            new.c.tenant_id == tenant_id, new.c.kind == KIND, new.c.status.in_(["approved", "refused"]))
            .order_by(new.c.id)).mappings().all()
        for r in rows:
            conn.execute(old.insert().values(
                cycle_id=r["subject_id"], approving_body=(r["body_name"] or "")[:60],
                approved=r["status"] == "approved", note=r["reason"],
                nomination_ids=list((r["payload"] or {}).get("nomination_ids", [])),
                decided_by_id=r["decided_by_id"], decided_at=r["decided_at"] or r["requested_at"],
                tenant_id=tenant_id))
        conn.execute(new.delete().where(new.c.tenant_id == tenant_id, new.c.kind == KIND))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT set_config('app.tenant_id', '', true)"))
