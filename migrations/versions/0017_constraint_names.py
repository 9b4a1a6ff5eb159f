"""constraint names: the live schema's constraints get the names the models declare

Until now the naming convention in portal/core/db.py reached neither the models nor the
migrations, so the schema's constraints were unnamed (SQLite) or named by PostgreSQL's own
rules (``residencies_pkey``, ``residencies_chair_id_key``, ``residencies_chair_id_fkey``, the
bare ``term_order``). Every constraint is renamed to the convention's name:

    pk_<table>  uq_<table>_<col>_<col>...  fk_<table>_<col>_<referred table>  ck_<table>_<name>

(on PostgreSQL a name over 63 characters is cut the way SQLAlchemy cuts it). A database made
from scratch after this revision already has these names and nothing changes.

PostgreSQL: ``ALTER TABLE ... RENAME CONSTRAINT``. SQLite has no such statement; renaming a
constraint does not change how a table is stored, so each table's CREATE TABLE text is rewritten
in ``sqlite_master`` (the procedure SQLite documents for such changes: writable_schema, a bumped
schema_version, then an integrity check) — data, indexes and triggers stay as they are.

Revision ID: 0017_constraint_names
Revises: 0016_departments_rotation
Create Date: 2026-12-02 04:50:00

"""
import hashlib
import re

import sqlalchemy as sa
from alembic import op

revision = '0017_constraint_names'
down_revision = '0016_departments_rotation'
branch_labels = None
depends_on = None

PG_MAX = 63


def _cut(name: str, limit: int | None) -> str:
    """SQLAlchemy's cut for a conventional name over the dialect's limit."""
    if limit and len(name) > limit:
        return name[:limit - 8] + "_" + hashlib.md5(name.encode()).hexdigest()[-4:]
    return name


def conventional(kind: str, table: str, columns=(), referred: str | None = None, name: str | None = None,
                 limit: int | None = None) -> str:
    if kind == "p":
        full = f"pk_{table}"
    elif kind == "u":
        full = f"uq_{table}_{'_'.join(columns)}"
    elif kind == "f":
        full = f"fk_{table}_{columns[0]}_{referred}"
    elif kind == "c":
        full = name if name.startswith(f"ck_{table}_") else f"ck_{table}_{name}"
    else:
        raise ValueError(kind)
    return _cut(full, limit)


# --- PostgreSQL --------------------------------------------------------------------------------

PG_CONSTRAINTS = sa.text("""
    SELECT c.conname, c.contype, t.relname AS tbl, r.relname AS referred,
           ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n) AS cols
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    JOIN pg_namespace ns ON ns.oid = t.relnamespace
    LEFT JOIN pg_class r ON r.oid = c.confrelid
    WHERE ns.nspname = current_schema() AND c.contype IN ('p', 'u', 'f', 'c') AND t.relname <> 'alembic_version'
    ORDER BY t.relname, c.conname
""")


def rename_postgresql(bind) -> int:
    done = 0
    taken = {}
    rows = bind.execute(PG_CONSTRAINTS).mappings().all()
    for row in rows:
        taken.setdefault(row["tbl"], set()).add(row["conname"])
    for row in rows:
        want = conventional(row["contype"], row["tbl"], list(row["cols"] or ()), row["referred"], row["conname"],
                            limit=PG_MAX)
        if want == row["conname"] or want in taken[row["tbl"]]:
            continue
        bind.execute(sa.text(f'ALTER TABLE "{row["tbl"]}" RENAME CONSTRAINT "{row["conname"]}" TO "{want}"'))
        taken[row["tbl"]].discard(row["conname"])
        taken[row["tbl"]].add(want)
        done += 1
    return done


# --- SQLite ------------------------------------------------------------------------------------

_IDENT = r'(?:"[^"]+"|\w+)'


def _unquote(s: str) -> str:
    s = s.strip()
    return s[1:-1] if s.startswith('"') and s.endswith('"') else s


def _split_top(body: str) -> list[str]:
    """The CREATE TABLE body's elements, split on the commas outside parentheses and quotes."""
    parts, depth, cur, quote = [], 0, [], None
    for ch in body:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return parts


def _cols(text: str) -> list[str]:
    inner = text[text.index("(") + 1:]
    depth, out = 1, []
    for i, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                out = [_unquote(c) for c in inner[:i].split(",")]
                break
    return out


def rewrite_create_table(table: str, sql: str) -> str:
    """The CREATE TABLE text with every table-level constraint named by the convention."""
    head, _, rest = sql.partition("(")
    body, close = rest[:rest.rindex(")")], rest[rest.rindex(")"):]
    out = []
    for part in _split_top(body):
        lead = part[:len(part) - len(part.lstrip())]
        text = part.strip()
        m = re.match(rf"CONSTRAINT\s+({_IDENT})\s+(.*)$", text, re.S | re.I)
        name, clause = (_unquote(m.group(1)), m.group(2)) if m else (None, text)
        upper = clause.upper()
        if upper.startswith("PRIMARY KEY"):
            want = conventional("p", table)
        elif upper.startswith("UNIQUE"):
            want = conventional("u", table, _cols(clause))
        elif upper.startswith("FOREIGN KEY"):
            ref = re.search(rf"REFERENCES\s+({_IDENT})", clause, re.I)
            want = conventional("f", table, _cols(clause), _unquote(ref.group(1)))
        elif upper.startswith("CHECK") and name:
            want = conventional("c", table, name=name)
        else:
            out.append(part)  # a column, or an unnamed CHECK (the models declare none)
            continue
        out.append(f"{lead}CONSTRAINT {want} {clause}")
    return head + "(" + ",".join(out) + close


def rename_sqlite(bind) -> int:
    tables = bind.execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name <> 'alembic_version'")).all()
    changed = [(name, new) for name, sql in tables if (new := rewrite_create_table(name, sql)) != sql]
    if not changed:
        return 0
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    for name, new in changed:
        bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"),
                     {"sql": new, "name": name})
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))
    check = bind.execute(sa.text("PRAGMA integrity_check")).scalar()
    if check != "ok":
        raise RuntimeError(f"SQLite integrity check after renaming constraints: {check}")
    return len(changed)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        rename_postgresql(bind)
    elif bind.dialect.name == "sqlite":
        rename_sqlite(bind)


def downgrade():
    # The old names were no one's choice (unnamed, or PostgreSQL's defaults): nothing to restore.
    pass
