"""Base model, tenant scoping safety net and the PostgreSQL RLS session setting.

Two layers keep tenants apart (STYLE.md habit 4):
  1. the application: every ORM SELECT/UPDATE/DELETE of a ``TenantScoped`` model gets a
     ``tenant_id = :current`` criterion (``do_orm_execute`` + ``with_loader_criteria``);
     ``Session.get`` re-checks identity-map hits; ``before_flush`` refuses writes of
     another tenant's rows;
  2. PostgreSQL row-level security, FORCEd, keyed on ``app.tenant_id`` which is set per
     transaction with ``set_config(..., true)`` so it never outlives the transaction.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import enum

import sqlalchemy as sa
from flask_sqlalchemy.model import Model as FSAModel
from flask_sqlalchemy.session import Session as FSASession
from sqlalchemy import event
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship, with_loader_criteria

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(FSAModel):
    """The base of every model (its metadata, with :data:`NAMING_CONVENTION`, is the extension's:
    see ``portal.extensions``)."""


_EXTENSION = []  # the Flask-SQLAlchemy extension built on this module (portal.extensions binds it)


def bind_extension(ext) -> None:
    """``portal.extensions`` hands over the extension it builds from :class:`Model`, so that the
    guards below reach its session and registry without importing it (the ground imports nothing
    above itself)."""
    _EXTENSION[:] = [ext]


def _extension():
    return _EXTENSION[0]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class TenantViolation(Exception):
    """A write touched a row of a tenant other than the current one."""


class NoTenant(Exception):
    """A tenant-owned row was written with no tenant in context."""


class ForeignReference(TenantViolation):
    """A tenant-owned row names (by a foreign key) a row that is not the current tenant's: an id
    taken from a request that belongs to another tenant, or to no row at all."""

    def __init__(self, model: str, column: str, value):
        super().__init__(f"{model}.{column} = {value!r} is not a row of the current tenant")
        self.model, self.column, self.value = model, column, value


# --- the current tenant -------------------------------------------------------------
_current_tenant: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_tenant", default=None
)
_unscoped: contextvars.ContextVar[bool] = contextvars.ContextVar("unscoped", default=False)
_app_filter_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "app_filter_enabled", default=True
)


def current_tenant_id() -> int | None:
    return _current_tenant.get()


def set_app_filter(enabled: bool):
    """Switch the whole application layer (query filter, get() re-check, write guard) on
    or off; the tests switch it off to prove RLS alone also isolates. Returns a token."""
    return _app_filter_enabled.set(enabled)


def reset_app_filter(token) -> None:
    _app_filter_enabled.reset(token)


class TenantScoped:
    """Mixin: a NOT NULL tenant key on every tenant-owned table."""

    __tenant_scoped__ = True

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(
            sa.ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False, index=True
        )

    @declared_attr
    def tenant(cls):
        return relationship("Tenant", viewonly=True, lazy="select")


def tenant_scoped_tables(metadata: sa.MetaData) -> list[str]:
    return sorted(
        t.name for t in metadata.sorted_tables if "tenant_id" in t.c and t.name != "tenants"
    )


_RLS_KEY = "portal.rls_tenant"  # on the pooled connection: the value set in its open transaction


def _set_rls_tenant(connection, tenant_id: int | None) -> None:
    if connection.dialect.name != "postgresql":
        return
    value = "" if tenant_id is None else str(tenant_id)
    if connection.info.get(_RLS_KEY) == value:  # already set in this transaction: no round trip
        return
    connection.exec_driver_sql("SELECT set_config('app.tenant_id', %s, true)", (value,))
    connection.info[_RLS_KEY] = value


# ``set_config(..., true)`` lasts until the transaction ends (a rolled-back savepoint restores the
# value it had): whenever one ends, the remembered value is forgotten and the next statement's
# transaction sets it again.
def _forget_rls(conn, *args) -> None:
    conn.info.pop(_RLS_KEY, None)


for _name in ("commit", "rollback", "rollback_savepoint", "commit_twophase", "rollback_twophase"):
    event.listen(sa.engine.Engine, _name, _forget_rls)


@event.listens_for(sa.pool.Pool, "reset")
def _forget_rls_on_reset(dbapi_connection, connection_record, reset_state):
    connection_record.info.pop(_RLS_KEY, None)


@event.listens_for(sa.pool.Pool, "checkin")
def _forget_rls_on_checkin(dbapi_connection, connection_record):
    if connection_record is not None:
        connection_record.info.pop(_RLS_KEY, None)


class TenantSession(FSASession):
    def get_bind(self, mapper=None, clause=None, bind=None, **kw):
        # An explicitly bound session (the tests' outer transaction) keeps its connection;
        # Flask-SQLAlchemy would otherwise pick the engine by the model's bind key.
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kw)

    def get(self, entity, ident, **kw):  # type: ignore[override]
        # Identity-map hits bypass do_orm_execute: re-check the tenant here.
        obj = super().get(entity, ident, **kw)
        if (obj is not None and getattr(obj, "__tenant_scoped__", False) and not _unscoped.get()
                and _app_filter_enabled.get()):
            if obj.tenant_id != current_tenant_id():
                return None
        return obj

    def apply_tenant(self) -> None:
        """Push the current tenant into an already-open transaction (RLS)."""
        if self.in_transaction():
            _set_rls_tenant(self.connection(), current_tenant_id())


def _apply(session) -> None:
    if session is None:
        return
    real = session if hasattr(session, "apply_tenant") else session()  # scoped_session
    real.apply_tenant()


@contextlib.contextmanager
def tenant_context(tenant_id: int | None, session=None):
    """Run a block as ``tenant_id`` (jobs, CLI, platform console)."""
    token = _current_tenant.set(tenant_id)
    try:
        _apply(session)
        yield
    finally:
        _current_tenant.reset(token)
        _apply(session)


def activate_tenant(tenant_id: int | None, session=None) -> None:
    """Set the tenant for the rest of this context (one request)."""
    _current_tenant.set(tenant_id)
    _apply(session)


def begin_request_tenant():
    """A request starts with no tenant, whatever its thread last served; returns the token
    that :func:`end_request_tenant` gives back."""
    return _current_tenant.set(None)


def end_request_tenant(token) -> None:
    if token is None:
        return
    try:
        _current_tenant.reset(token)
    except ValueError:  # ended in another context than it began: leave no tenant behind
        _current_tenant.set(None)


@contextlib.contextmanager
def unscoped():
    """Skip the application filter (platform-level code only; RLS still applies)."""
    token = _unscoped.set(True)
    try:
        yield
    finally:
        _unscoped.reset(token)


@event.listens_for(FSASession, "after_begin")
def _after_begin(session, transaction, connection):
    _set_rls_tenant(connection, current_tenant_id())


@event.listens_for(FSASession, "do_orm_execute")
def _scope_tenant(state):
    if _unscoped.get() or not _app_filter_enabled.get():
        return
    if state.execution_options.get("skip_tenant_filter"):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load:
        # Refreshing an already-loaded row by primary key (expired attributes): the row was
        # filtered when first loaded, TenantSession.get re-checks identity-map hits and RLS
        # still applies. Adding the criterion here would accumulate one more option in the
        # object's load options on every refresh (SQLAlchemy's filter_public example skips
        # column loads for the same reason), making long sessions quadratic.
        return
    tid = current_tenant_id()
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped,
            # no tenant in context: tenant-owned rows are invisible
            (lambda cls: cls.tenant_id == tid) if tid is not None else (lambda cls: sa.false()),
            include_aliases=True,
            track_closure_variables=True,
        )
    )


def check_tenant_write(tenant_id: int | None, what: str, *, model=None, rows=()) -> None:
    """The write guard below, for rows a bulk INSERT writes past the unit of work: the rows'
    tenant, and (given the ``model`` and its ``rows``) every tenant-scoped foreign key in them."""
    if _unscoped.get() or not _app_filter_enabled.get():
        return
    tid = current_tenant_id()
    if tid is None:
        raise NoTenant(f"{what} written with no tenant in context")
    if tenant_id != tid:
        raise TenantViolation(f"{what} belongs to tenant {tenant_id}")
    if model is not None and rows:
        refs = _References(_extension().session(), tid)
        for fk_column, attr in _tenant_foreign_keys(sa.inspect(model)):
            distinct: dict = {}  # each value once (10,000 rows name a few thousand schools)
            for row in rows:
                value = row[attr] if attr in row else row.get(fk_column.key)
                if value is None:
                    continue
                distinct.setdefault((value.__class__, value), value)  # (1 and True are equal keys; True is refused)
            for value in distinct.values():
                refs.want(model.__name__, attr, fk_column, value)
        refs.check()


# --- foreign keys between tenants ------------------------------------------------------------
# The write guard checks a row's own tenant_id; a foreign key taken from a request (a school_id,
# a union_id) can still name another tenant's row, and neither the database's FOREIGN KEY nor
# RLS (foreign-key checks bypass it) stops that. Every tenant-scoped foreign key written is
# therefore checked here, for every model: the referenced row must be the current tenant's.

_FK_CACHE: dict = {}


def _tenant_foreign_keys(mapper) -> list[tuple[sa.Column, str]]:
    """(local foreign-key column, attribute key) for each foreign key of ``mapper``'s table to a
    tenant-scoped table, other than the tenant key itself."""
    found = _FK_CACHE.get(mapper)
    if found is None:
        found = []
        for column in mapper.local_table.columns:
            if column.key == "tenant_id":
                continue
            for fk in column.foreign_keys:
                if "tenant_id" in fk.column.table.c and fk.column.table.name != "tenants":
                    found.append((column, mapper.get_property_by_column(column).key))
        _FK_CACHE[mapper] = found
    return found


class _References:
    """Referenced ids gathered over one flush, checked with one query per referenced table
    (ids whose row is already in the session's identity map are checked there, without SQL)."""

    def __init__(self, session, tenant_id: int):
        self.session, self.tenant_id = session, tenant_id
        self.wanted: dict[sa.Column, dict] = {}
        self.seen: set = set()

    def want(self, model: str, attr: str, fk_column: sa.Column, value) -> None:
        (fk,) = fk_column.foreign_keys
        target = fk.column
        if (target, value) in self.seen:
            return
        self.seen.add((target, value))
        if target.primary_key and self._known(target.table, value):
            return
        self.wanted.setdefault(target, {}).setdefault(value, (model, attr))

    def _known(self, table, value) -> bool:
        for mapper in _mappers_of(table):
            obj = self.session.identity_map.get(mapper.identity_key_from_primary_key([value]))
            if obj is not None:
                tid = sa.inspect(obj).dict.get("tenant_id")
                if tid == self.tenant_id:
                    return True
        return False

    def check(self) -> None:
        if not self.wanted:
            return
        conn = self.session.connection()
        for target, values in self.wanted.items():
            wanted = set()
            for value, (model, attr) in values.items():
                coerced = _coerced(target, value)
                if coerced is _UNREADABLE:
                    raise ForeignReference(model, attr, value)  # "abc" for an integer key names no row
                wanted.add(coerced)
            found = set(conn.execute(sa.select(target).where(
                target.in_(list(wanted)), target.table.c.tenant_id == self.tenant_id)).scalars())
            for value, (model, attr) in values.items():
                if _coerced(target, value) not in found:
                    raise ForeignReference(model, attr, value)


_UNREADABLE = object()


def _coerced(column, value):
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return value
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        return _UNREADABLE  # True is not row 1, nor 1.5 row 1
    if isinstance(value, python_type):
        return value
    try:
        return python_type(value)
    except (TypeError, ValueError):
        return _UNREADABLE


_MAPPERS_OF: dict = {}


def _mappers_of(table) -> list:
    found = _MAPPERS_OF.get(table)
    if found is None:
        found = [m for m in _extension().Model.registry.mappers if m.local_table is table]
        _MAPPERS_OF[table] = found
    return found


def _check_references(session, tid: int, objs) -> None:
    refs = _References(session, tid)
    for obj in objs:
        state = sa.inspect(obj)
        mapper = state.mapper
        new = state.key is None
        for fk_column, attr in _tenant_foreign_keys(mapper):
            if attr not in state.dict:
                continue
            if not new and not state.attrs[attr].history.added:
                continue  # unchanged since loaded
            value = state.dict[attr]
            if value is not None:
                refs.want(mapper.class_.__name__, attr, fk_column, value)
        # a related object set on a relationship: its key is copied to the column during the flush
        for rel in mapper.relationships:
            if rel.direction is not sa.orm.MANYTOONE or rel.viewonly or rel.key not in state.dict:
                continue
            if not getattr(rel.mapper.class_, "__tenant_scoped__", False) or rel.key == "tenant":
                continue
            if not new and not state.attrs[rel.key].history.added:
                continue
            related = state.dict[rel.key]
            if related is None:
                continue
            rstate = sa.inspect(related)
            rtid = rstate.dict.get("tenant_id")
            if rstate.key is None and rtid in (None, tid):
                continue  # new in this flush: the guard gives it (or checks) the current tenant
            if rtid is not None and rtid != tid:
                raise ForeignReference(mapper.class_.__name__, rel.key, rstate.identity)
    refs.check()


@event.listens_for(FSASession, "before_flush")
def _guard_writes(session, flush_context, instances):
    if _unscoped.get() or not _app_filter_enabled.get():
        return
    tid = current_tenant_id()
    for obj in session.new:
        if not getattr(obj, "__tenant_scoped__", False):
            continue
        if obj.tenant_id is None:
            if tid is None:
                raise NoTenant(f"{type(obj).__name__} written with no tenant in context")
            obj.tenant_id = tid
        elif obj.tenant_id != tid:
            raise TenantViolation(f"{type(obj).__name__} belongs to tenant {obj.tenant_id}")
    dirty = [obj for obj in session.dirty if getattr(obj, "__tenant_scoped__", False)]
    for obj in dirty + list(session.deleted):
        if not getattr(obj, "__tenant_scoped__", False):
            continue
        history = sa.inspect(obj).attrs.tenant_id.history
        original = history.deleted[0] if history.deleted else obj.tenant_id
        if original != tid or obj.tenant_id != tid:
            raise TenantViolation(f"{type(obj).__name__} belongs to tenant {original}")
    _check_references(session, tid, [o for o in session.new if getattr(o, "__tenant_scoped__", False)] + dirty)


# --- SQLite planner statistics ---------------------------------------------------------------
# Every tenant-scoped statement carries ``tenant_id = ?``. Without sqlite_stat1, SQLite may
# plan on the tenant_id index (a whole tenant's rows) instead of the selective one
# (invitation_id, school_id, ...): a 10,000-nomination cycle then costs ~1 ms per lookup instead
# of ~10 µs. ``PRAGMA optimize`` when a connection returns to the pool analyzes the tables that
# connection used and that lack statistics or grew 25-fold since; otherwise it costs nothing.
# (PostgreSQL keeps its statistics itself.)

def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(sa.engine.Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    if _is_sqlite(dbapi_connection):
        dbapi_connection.execute("PRAGMA analysis_limit=1000")  # each ANALYZE reads a sample, not a table
        # WAL: readers never block the writer (the web process and the workers share one file),
        # and a commit is an append to the log, synced at checkpoints (synchronous=NORMAL): a
        # killed process loses nothing it committed; only a power cut may lose the last commits.
        # The outbox commits once per message (exactly-once SMTP), so this is its floor.
        try:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        except Exception:  # a read-only or locked file keeps its own journal mode
            pass


OPTIMIZE_EVERY_SECONDS = 30.0  # per pooled connection: at most this often (it costs ~0.2 ms a check-in)


@event.listens_for(sa.engine.Engine, "checkin")
def _sqlite_optimize(dbapi_connection, connection_record):
    if dbapi_connection is not None and _is_sqlite(dbapi_connection):
        import sqlite3
        import time

        info = connection_record.info if connection_record is not None else {}
        now = time.monotonic()
        last = info.get("portal.optimized_at")
        if last is not None and now - last < OPTIMIZE_EVERY_SECONDS:
            return
        try:
            dbapi_connection.execute("PRAGMA optimize")
            info["portal.optimized_at"] = now
        except sqlite3.Error:  # another writer holds the lock: a later check-in gathers them
            pass


class StrEnum(str, enum.Enum):
    def __str__(self) -> str:
        return self.value


def enum_column(enum_cls, **kw):
    """Enums stored as strings with a CHECK constraint (Indico habit)."""
    return mapped_column(
        sa.Enum(
            enum_cls,
            native_enum=False,
            create_constraint=True,
            length=40,
            values_callable=lambda e: [m.value for m in e],
            validate_strings=True,
        ),
        **kw,
    )


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


# --- set-wise statements -------------------------------------------------------------------------
# A long IN list or a many-row VALUES is a statement as long as its data: on PostgreSQL psycopg
# parses it afresh each time (its query cache keeps only short statements) and the server plans
# it afresh, ~25 µs a value before anything is read. Arrays keep the statement short and constant.

def any_of(column, values, session=None):
    """``column IN values`` as a criterion: ``column = ANY(:array)`` on PostgreSQL (one parameter,
    one cached statement whatever the count), an IN list elsewhere."""
    values = list(values)
    bind = (session or _extension().session).get_bind()
    if bind.dialect.name != "postgresql":
        return column.in_(values)
    from sqlalchemy.dialects.postgresql import ARRAY

    return column == sa.any_(sa.bindparam(None, values, type_=ARRAY(column.type)))


def insert_rows(connection, table: sa.Table, rows: list[dict], *, skip_conflicts_on=(), returning=None) -> list:
    """Insert many rows (every row the same keys; no Python-side column defaults are applied)
    in one statement; ``skip_conflicts_on`` names a unique key whose existing rows win (ON
    CONFLICT DO NOTHING); returns the ``returning`` column's values of the rows written. On
    PostgreSQL the rows go as one JSON document read by ``json_to_recordset`` with the columns'
    own types (one parameter for ten thousand rows, encoded in C; a text array escapes every
    element through a regex); elsewhere as SQLAlchemy's batched multi-row VALUES."""
    if not rows:
        return []
    dialect = connection.dialect
    if dialect.name != "postgresql":  # the embedded default: SQLite
        from sqlalchemy.dialects import sqlite

        stmt = sqlite.insert(table)
        if skip_conflicts_on:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
        if returning is not None:
            return list(connection.execute(stmt.returning(returning), rows).scalars())
        connection.execute(stmt, rows)
        return []
    import json

    quote = dialect.identifier_preparer.quote
    names = list(rows[0])
    processors = {}
    for name in names:
        col = table.c[name]
        if not isinstance(col.type, sa.JSON):
            process = col.type.bind_processor(dialect)
            if process is not None:
                processors[name] = process
    if processors:
        rows = [{**r, **{n: p(r[n]) for n, p in processors.items()}} for r in rows]
    doc = json.dumps(rows, ensure_ascii=False, default=_json_value)
    shape = ", ".join(f"{quote(n)} {table.c[n].type.compile(dialect=dialect)}" for n in names)
    cols = ", ".join(quote(n) for n in names)
    sql = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({cols}) "
           f"SELECT {cols} FROM json_to_recordset(CAST(:rows AS JSON)) AS u({shape})")
    if skip_conflicts_on:
        sql += f" ON CONFLICT ({', '.join(quote(n) for n in skip_conflicts_on)}) DO NOTHING"
    if returning is not None:
        sql += f" RETURNING {quote(returning.name)}"
        return list(connection.execute(sa.text(sql), {"rows": doc}).scalars())
    connection.execute(sa.text(sql), {"rows": doc})
    return []


def _json_value(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not a column value")
