"""vault: stored files per tenant (type by content, sha256, access list) and their access log;
nomination attachments, generated documents and approval scans move into it, their files copied

Revision ID: 0011_vault
Revises: 0010
Create Date: 2026-12-02 00:10:00

The data step (:func:`adopt_legacy_files`) is idempotent: it takes only rows that have no vault
file yet, copies each legacy file (``UPLOAD_FOLDER/<stored_name>`` for attachments,
``UPLOAD_FOLDER/documents/<tenant>/<storage_name>`` for documents) to the tenant's folder
``UPLOAD_FOLDER/<tenant>/files/`` under the same generated name, and records it. The legacy
files are left where they were (a copy, so a failed run loses nothing); a row whose legacy file
is missing is left without a vault file (its download answers 410, as it did) and is taken by a
later run once the file is back.
"""
import hashlib
import os
import re
import shutil
import sys
import uuid

import sqlalchemy as sa
from alembic import op

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import rls  # noqa: E402

revision = '0011_vault'
down_revision = '0010'
branch_labels = None
depends_on = None

MIME = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# As the features store them today (selection: every role that may see nominations, and the
# uploader; documents: the secretariat and the requester).
ATTACHMENT_ACCESS = ["owner", "role:approver", "role:department_head", "role:provincial_reviewer",
                     "role:school_liaison", "role:secretariat_admin", "role:secretariat_staff"]
DOCUMENT_ACCESS = ["owner", "role:secretariat_admin", "role:secretariat_staff"]
SCAN_ACCESS = ["owner", "role:approver", "role:secretariat_admin", "role:secretariat_staff"]
_NAME = re.compile(r"[0-9a-f]{32}\.(pdf|jpg|png|docx|xlsx)")


def upgrade():
    op.create_table(
        'vault_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=40), nullable=False),
        sa.Column('storage_key', sa.String(length=120), nullable=False),
        sa.Column('file_type', sa.String(length=10), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('original_name', sa.String(length=255), nullable=False),
        sa.Column('access_level', sa.Enum('public', 'tenant', 'restricted', name='accesslevel',
                                          native_enum=False, create_constraint=True, length=40), nullable=False),
        sa.Column('access', sa.JSON(), nullable=False),
        sa.Column('stored_by_id', sa.Integer(), nullable=True),
        sa.Column('stored_at', sa.DateTime(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['stored_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('storage_key'),
    )
    with op.batch_alter_table('vault_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vault_files_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vault_files_purpose'), ['purpose'], unique=False)
    op.create_table(
        'vault_access_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('granted_by', sa.String(length=60), nullable=False),
        sa.Column('remote_addr', sa.String(length=45), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['file_id'], ['vault_files.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('vault_access_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vault_access_log_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vault_access_log_file_id'), ['file_id'], unique=False)
    with op.batch_alter_table('selection_attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_selection_attachments_file_id_vault_files', 'vault_files',
                                    ['file_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index('ix_selection_attachments_file_id', ['file_id'], unique=False)
    with op.batch_alter_table('generated_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_generated_documents_file_id_vault_files', 'vault_files',
                                    ['file_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_generated_documents_file_id', ['file_id'], unique=False)
    if rls.is_postgres():
        for table in ('vault_files', 'vault_access_log'):
            rls.enable_tenant_rls(table)
            rls.grant_table(table)
        rls.grant_sequences()
    from flask import current_app

    adopt_legacy_files(op.get_bind(), current_app.config["UPLOAD_FOLDER"])


def downgrade():
    with op.batch_alter_table('generated_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_generated_documents_file_id')
        batch_op.drop_constraint('fk_generated_documents_file_id_vault_files', type_='foreignkey')
        batch_op.drop_column('file_id')
    with op.batch_alter_table('selection_attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_selection_attachments_file_id')
        batch_op.drop_constraint('fk_selection_attachments_file_id_vault_files', type_='foreignkey')
        batch_op.drop_column('file_id')
    op.drop_table('vault_access_log')
    op.drop_table('vault_files')


# --- the existing files ------------------------------------------------------------------------

def _copy(src: str, dst: str) -> None:
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = f"{dst}.{uuid.uuid4().hex[:8]}.part"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _sha256(path: str) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


def _adopt(bind, root: str, tid: int, *, src: str, name: str, table: str, row_id: int, values: dict) -> bool:
    if not os.path.isfile(src):
        return False
    if not _NAME.fullmatch(name):  # never a name from a user: one derived from the row
        name = f"{uuid.uuid5(uuid.NAMESPACE_URL, f'{table}/{row_id}').hex}.{values['file_type']}"
    key = f"{tid}/files/{name}"
    dst = os.path.join(root, str(tid), "files", name)
    sha, size = _sha256(src)
    if not (os.path.isfile(dst) and _sha256(dst) == (sha, size)):
        _copy(src, dst)
    vf = sa.table("vault_files", sa.column("access", sa.JSON), *(sa.column(c) for c in (
        "id", "tenant_id", "purpose", "storage_key", "file_type", "content_type", "size", "sha256",
        "original_name", "access_level", "stored_by_id", "stored_at")))
    file_id = bind.execute(sa.select(vf.c.id).where(vf.c.storage_key == key)).scalar()
    if file_id is None:  # a run that stopped between the copy and the row: the copy is reused
        bind.execute(vf.insert().values(tenant_id=tid, storage_key=key, size=size, sha256=sha,
                                        content_type=MIME[values["file_type"]], **values))
        file_id = bind.execute(sa.select(vf.c.id).where(vf.c.storage_key == key)).scalar_one()
    if table == "approval_requests":  # the request names its scan by the key
        bind.execute(sa.text("UPDATE approval_requests SET scan_path = :k WHERE id = :i AND tenant_id = :t"),
                     {"k": key, "i": row_id, "t": tid})
    else:
        bind.execute(sa.text(f"UPDATE {table} SET file_id = :f WHERE id = :i AND tenant_id = :t"),
                     {"f": file_id, "i": row_id, "t": tid})
    return True


def _row(purpose: str, file_type: str, original_name: str, access: list, stored_by_id, stored_at) -> dict:
    return {"purpose": purpose, "file_type": file_type, "original_name": original_name,
            "access_level": "restricted", "access": access, "stored_by_id": stored_by_id, "stored_at": stored_at}


def adopt_legacy_files(bind, root: str) -> dict:
    """Copy every legacy attachment and document file into the vault; returns the counts."""
    pg = bind.dialect.name == "postgresql"
    previous = bind.execute(sa.text("SELECT current_setting('app.tenant_id', true)")).scalar() if pg else None
    done = {"attachments": 0, "documents": 0, "scans": 0, "missing": 0}
    for tid in bind.execute(sa.text("SELECT id FROM tenants ORDER BY id")).scalars().all():
        if pg:  # row-level security: each tenant's rows under its own setting
            bind.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tid)})
        for a in bind.execute(sa.text(
                "SELECT id, stored_name, original_name, file_type, uploaded_by_id, uploaded_at "
                "FROM selection_attachments WHERE tenant_id = :t AND file_id IS NULL ORDER BY id"), {"t": tid}):
            ok = _adopt(bind, root, tid, src=os.path.join(root, os.path.basename(a.stored_name)), name=a.stored_name,
                        table="selection_attachments", row_id=a.id,
                        values=_row("selection.attachment", a.file_type, a.original_name, ATTACHMENT_ACCESS,
                                    a.uploaded_by_id, a.uploaded_at))
            done["attachments" if ok else "missing"] += 1
        for d in bind.execute(sa.text(
                "SELECT id, storage_name, filename, fmt, requested_by_id, created_at FROM generated_documents "
                "WHERE tenant_id = :t AND file_id IS NULL AND storage_name IS NOT NULL ORDER BY id"), {"t": tid}):
            src = os.path.join(root, "documents", str(tid), os.path.basename(d.storage_name))
            ok = _adopt(bind, root, tid, src=src, name=d.storage_name, table="generated_documents", row_id=d.id,
                        values=_row("documents.generated", d.fmt, d.filename[:255], DOCUMENT_ACCESS,
                                    d.requested_by_id, d.created_at))
            done["documents" if ok else "missing"] += 1
        for r in bind.execute(sa.text(
                "SELECT id, scan_path, decided_by_id, decided_at, requested_at FROM approval_requests "
                "WHERE tenant_id = :t AND scan_path IS NOT NULL ORDER BY id"), {"t": tid}):
            if r.scan_path.startswith(f"{tid}/files/"):
                continue  # already in the vault
            ext = r.scan_path.rpartition(".")[2].lower()
            ok = ext in ("pdf", "jpg", "png") and _adopt(
                bind, root, tid, src=os.path.join(root, *r.scan_path.split("/")), name=os.path.basename(r.scan_path),
                table="approval_requests", row_id=r.id,
                values=_row("approvals.scan", ext, f"批复扫描件.{ext}", SCAN_ACCESS, r.decided_by_id,
                            r.decided_at or r.requested_at))
            done["scans" if ok else "missing"] += 1
    if pg:
        bind.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": previous or ""})
    return done
