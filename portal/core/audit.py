"""The append-only, hash-chained audit trail (A7: no black-box operation).

Each tenant has one chain: record n stores the digest of record n-1. The digest is an
HMAC-SHA256 keyed with AUDIT_HMAC_KEY, a secret the database does not hold: whoever can rewrite
the table (the owner, a copy of the SQLite file) cannot recompute a chain that verifies.

The chain's head (last seq and digest per tenant) lives in ``audit_chain_heads``, advanced only
by a trigger on INSERT into audit_records, which also refuses a record that does not follow the
head. On PostgreSQL the application role has SELECT and INSERT on audit_records and only SELECT
on the heads (the trigger runs SECURITY DEFINER as the owner): deleting the newest records
leaves the head pointing past the end, and verify names the missing ones.

Writers lock the tenant's chain before reading its head: a transaction-scoped advisory lock on
PostgreSQL; on SQLite a write (to the head row) first, which takes the database's write lock
before the read (pysqlite opens the transaction only at the first write, so a read-then-insert
raced: two writers read the same head).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import TenantScoped, check_tenant_write, current_tenant_id, utcnow
from portal.extensions import db

GENESIS = "0" * 64


class AuditRecord(TenantScoped, db.Model):
    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    actor_label: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(80), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    object_id: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    article: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    before: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    after: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "seq"),)

    def payload(self) -> dict:
        return {
            "tenant_id": self.tenant_id,
            "seq": self.seq,
            "at": self.at.replace(microsecond=self.at.microsecond).isoformat(),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "article": self.article,
            "before": self.before,
            "after": self.after,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        return _hash(self.payload())


class AuditChainHead(TenantScoped, db.Model):
    """The last record of a tenant's chain, written only by the audit_records INSERT trigger."""

    __tablename__ = "audit_chain_heads"

    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)


# json.dumps with options builds an encoder per call; one encoder, the same output.
_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str).encode


_KEYS: dict = {}


def chain_key() -> bytes:
    """AUDIT_HMAC_KEY, or (unset) a key derived from SECRET_KEY for this one purpose."""
    from flask import current_app

    configured = current_app.config.get("AUDIT_HMAC_KEY") or None
    secret = current_app.config["SECRET_KEY"]
    cache_key = (configured, secret)
    key = _KEYS.get(cache_key)
    if key is None:
        if configured:
            key = configured.encode() if isinstance(configured, str) else bytes(configured)
        else:
            raw = secret.encode() if isinstance(secret, str) else bytes(secret)
            key = hmac.new(raw, b"portal audit chain v1", hashlib.sha256).digest()
        _KEYS.clear()
        _KEYS[cache_key] = key
    return key


def _hash(payload: dict, key: bytes | None = None) -> str:
    blob = _ENCODE(payload)
    return hmac.new(key if key is not None else chain_key(), blob.encode(), hashlib.sha256).hexdigest()


def legacy_hash(payload: dict) -> str:
    """The unkeyed SHA-256 of the chains written before migration 0005 (which re-keys them)."""
    return hashlib.sha256(_ENCODE(payload).encode()).hexdigest()


_JSON_SCALARS = (str, int, float, bool, type(None))


def _jsonable(value):
    if value is None:
        return None
    # A flat dict of JSON scalars is already what the round trip would give (the common case).
    if type(value) is dict and all(type(v) in _JSON_SCALARS and type(k) is str for k, v in value.items()):
        return value
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _lock_chain(tenant_id: int) -> None:
    bind = db.session.connection()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, %s)", (720101, tenant_id))
    elif bind.dialect.name == "sqlite":
        # A write before the read: it takes SQLite's write lock (waiting for the busy timeout
        # while another writer holds it), so the head read below is the head we extend.
        bind.exec_driver_sql("UPDATE audit_chain_heads SET seq = seq WHERE tenant_id = ?", (tenant_id,))


def actor_of(user) -> tuple[int | None, str]:
    if user is None:
        return None, "系统"
    if isinstance(user, str):
        return None, user
    return user.id, f"{user.name} <{user.email}>"


def record(action: str, obj_type: str, obj_id=None, *, actor=None, before=None, after=None,
           article: str | None = None, tenant_id: int | None = None) -> None:
    """Append one record to the current tenant's chain; flushes, never commits."""
    record_many([Entry(action, obj_type, obj_id, before=before, after=after, article=article)],
                actor=actor, tenant_id=tenant_id)


@dataclass
class Entry:
    action: str
    obj_type: str
    obj_id: Any = None
    before: Any = None
    after: Any = None
    article: str | None = None


def record_many(entries: list[Entry], *, actor=None, tenant_id: int | None = None) -> None:
    """Append several records by one actor, in order, to the tenant's chain: one read of the
    chain's end and one batched INSERT (a school's upload of N nominations is N records, not
    2N statements). Pending changes are flushed first; never commits."""
    tid = tenant_id if tenant_id is not None else current_tenant_id()
    if tid is None:
        raise RuntimeError("audit record needs a tenant")
    if not entries:
        return
    check_tenant_write(tid, "AuditRecord")
    db.session.flush()
    _lock_chain(tid)
    last = db.session.execute(
        sa.select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.tenant_id == tid)
    ).first()
    seq, prev_hash = (last.seq, last.hash) if last else (0, GENESIS)
    actor_id, actor_label = actor_of(actor)
    at = utcnow().replace(microsecond=0)
    key = chain_key()
    rows = []
    for e in entries:
        seq += 1
        row = {"tenant_id": tid, "seq": seq, "at": at.isoformat(), "actor_id": actor_id, "actor_label": actor_label,
               "action": e.action, "object_type": e.obj_type, "object_id": None if e.obj_id is None else str(e.obj_id),
               "article": e.article, "before": _jsonable(e.before), "after": _jsonable(e.after), "prev_hash": prev_hash}
        prev_hash = row["hash"] = _hash(row, key)  # the same digest AuditRecord.compute_hash() recomputes on verify
        row["at"] = at
        rows.append(row)
    _insert_rows(rows)


_INSERT_COLUMNS = ("tenant_id", "seq", "at", "actor_id", "actor_label", "action", "object_type", "object_id",
                   "article", "before", "after", "prev_hash", "hash")


def _insert_rows(rows: list[dict]) -> None:
    """One executemany handed straight to the driver, in the session's transaction (so RLS and
    the tenant's lock apply). The statement is compiled for the dialect once and each value goes
    through its column type's own bind processing, as SQLAlchemy would do it, but without its
    per-row parameter machinery: a third of the cost of a 10,000-record batch."""
    conn = db.session.connection()
    dialect = conn.dialect
    table = AuditRecord.__table__
    compiled = table.insert().inline().compile(dialect=dialect, column_keys=list(_INSERT_COLUMNS))  # no RETURNING
    procs = {}
    for key in _INSERT_COLUMNS:
        proc = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            procs[key] = proc, proc(None)  # a None (before of a creation) processed once
    for row in rows:
        for key, (proc, of_none) in procs.items():
            v = row[key]
            row[key] = of_none if v is None else proc(v)
    if compiled.positional:
        order = compiled.positiontup
        params = [tuple(row[k] for k in order) for row in rows]
    else:
        params = rows
    conn.exec_driver_sql(compiled.string, params)


@dataclass
class ChainProblem:
    tenant_id: int
    seq: int
    kind: str  # edited | deleted | relinked | head_missing | unregistered
    message: str


def verify_chain(tenant_id: int) -> ChainProblem | None:
    """Walk one tenant's chain against its head; return the first edited or deleted record
    (naming its sequence number, or the range of missing ones), or None."""
    from portal.core.db import tenant_context

    with tenant_context(tenant_id, db.session):
        return _walk_chain(tenant_id)


def _missing(tenant_id: int, first: int, last: int, why: str) -> ChainProblem:
    span = f"第 {first} 条" if first == last else f"第 {first} 至 {last} 条"
    return ChainProblem(tenant_id, first, "deleted", f"{span}审计记录缺失（{why}）")


def _walk_chain(tenant_id: int) -> ChainProblem | None:
    key = chain_key()
    expected_prev = GENESIS
    expected_seq = 1
    head = db.session.execute(
        sa.select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.tenant_id == tenant_id)).first()
    rows = db.session.execute(
        sa.select(AuditRecord).where(AuditRecord.tenant_id == tenant_id)
        .order_by(AuditRecord.seq).execution_options(yield_per=1000)
    ).scalars()
    for rec in rows:
        if head is None:
            return ChainProblem(tenant_id, rec.seq, "head_missing", "审计链的链头记录缺失（被删除）")
        if rec.seq > head.seq:
            return ChainProblem(tenant_id, rec.seq, "unregistered",
                                f"第 {rec.seq} 条审计记录不在链头登记的范围内（绕过触发器写入）")
        if rec.seq != expected_seq:
            return _missing(tenant_id, expected_seq, rec.seq - 1, "被删除")
        if rec.prev_hash != expected_prev:
            return ChainProblem(tenant_id, rec.seq, "relinked",
                                f"第 {rec.seq} 条审计记录的前序哈希不符（前一条被改动或删除）")
        if _hash(rec.payload(), key) != rec.hash:
            return ChainProblem(tenant_id, rec.seq, "edited", f"第 {rec.seq} 条审计记录内容被改动")
        expected_prev = rec.hash
        expected_seq += 1
    last = expected_seq - 1
    if head is not None and head.seq > last:
        return _missing(tenant_id, last + 1, head.seq, "最新的记录被删除")
    if head is not None and head.hash != expected_prev:
        return ChainProblem(tenant_id, last, "edited", f"第 {last} 条审计记录与链头登记的哈希不符（被替换）")
    return None


def snapshot(obj, fields: list[str]) -> dict:
    return {f: _jsonable(getattr(obj, f)) for f in fields}


@dataclass(frozen=True)
class ObjectKind:
    """How the audit trail names one kind of object and links to it (portal/audit/readable.py)."""

    model: str                      # "module:Model"
    name: Callable[[Any], str]
    endpoint: str | None = None     # the page showing one, the id passed as ``id_arg``
    id_arg: str = "id"


def register_object(app, object_type: str, model: str, name: Callable[[Any], str],
                    endpoint: str | None = None, id_arg: str = "id") -> None:
    app.extensions.setdefault("audit_objects", {})[object_type] = ObjectKind(model, name, endpoint, id_arg)
