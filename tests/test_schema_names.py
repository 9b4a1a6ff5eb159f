"""The schema's names (issue 11, item 7): the migrated database's constraints carry the names
the models declare through the naming convention, and migration 0017 renames an older
database's unnamed (SQLite) or PostgreSQL-named constraints to them, keeping rows and triggers."""
from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.extensions import db
from tests.conftest import IS_PG

MIGRATION = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "0017_constraint_names.py"


def _migration():
    spec = importlib.util.spec_from_file_location("m0017", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _owner_url(app) -> str:
    return app.config["DATABASE_OWNER_URL"]


def _pg_admin(owner_url: str, statements) -> None:
    admin = sa.create_engine(sa.engine.make_url(owner_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        for stmt in statements:
            c.execute(sa.text(stmt))
    admin.dispose()


def _names(engine) -> dict[str, dict]:
    insp = sa.inspect(engine)
    out = {}
    for table in insp.get_table_names():
        if table == "alembic_version":
            continue
        out[table] = {
            "pk": insp.get_pk_constraint(table).get("name"),
            "uq": sorted(u["name"] or "" for u in insp.get_unique_constraints(table)),
            "fk": sorted(f["name"] or "" for f in insp.get_foreign_keys(table)),
            "ck": sorted(c["name"] or "" for c in insp.get_check_constraints(table)),
        }
    return out


def test_migrated_schema_has_the_names_the_models_declare(app):
    """Every model table: the migrated schema's constraint names equal those of a database made
    from the models' metadata (create_all), on this run's database."""
    with app.app_context():
        owner_url = _owner_url(app)
        migrated = _names(sa.create_engine(owner_url))
        if IS_PG:
            url = sa.engine.make_url(owner_url)
            scratch = f"{url.database}_names"
            _pg_admin(owner_url, [f'DROP DATABASE IF EXISTS "{scratch}"', f'CREATE DATABASE "{scratch}"'])
            scratch_url = url.set(database=scratch)
        else:
            scratch_url = f"sqlite:///{tempfile.mkdtemp()}/names.db"
        engine = sa.create_engine(scratch_url)
        try:
            db.metadata.create_all(engine)
            declared = _names(engine)
        finally:
            engine.dispose()
            if IS_PG:
                _pg_admin(owner_url, [f'DROP DATABASE IF EXISTS "{scratch}"'])
    assert set(declared) <= set(migrated), set(declared) - set(migrated)
    wrong = {t: (migrated[t], declared[t]) for t in declared if migrated[t] != declared[t]}
    assert not wrong, wrong
    assert migrated["residencies"]["pk"] == "pk_residencies"
    assert "fk_residencies_chair_id_chairs" in migrated["residencies"]["fk"]
    assert "ck_residencies_term_order" in migrated["residencies"]["ck"]


OLD_TABLES = """
CREATE TABLE parents (
    id INTEGER NOT NULL,
    code VARCHAR(10) NOT NULL,
    kind VARCHAR(40) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (code),
    CONSTRAINT parentkind CHECK (kind IN ('a', 'b'))
);
CREATE TABLE children (
    id INTEGER NOT NULL,
    parent_id INTEGER NOT NULL,
    starts INTEGER NOT NULL,
    ends INTEGER NOT NULL,
    note VARCHAR(20) DEFAULT 'x, (y)',
    PRIMARY KEY (id),
    FOREIGN KEY(parent_id) REFERENCES parents (id) ON DELETE CASCADE,
    UNIQUE (parent_id, starts),
    CONSTRAINT span CHECK (ends >= starts)
);
"""


def _old_schema(conn):
    for stmt in OLD_TABLES.split(";"):
        if stmt.strip():
            conn.execute(sa.text(stmt))
    conn.execute(sa.text("INSERT INTO parents (id, code, kind) VALUES (1, 'p1', 'a')"))
    conn.execute(sa.text("INSERT INTO children (id, parent_id, starts, ends) VALUES (1, 1, 1, 2)"))


EXPECTED = {
    "parents": {"pk": "pk_parents", "uq": ["uq_parents_code"], "fk": [], "ck": ["ck_parents_parentkind"]},
    "children": {"pk": "pk_children", "uq": ["uq_children_parent_id_starts"],
                 "fk": ["fk_children_parent_id_parents"], "ck": ["ck_children_span"]},
}


def test_sqlite_database_made_before_the_convention_is_renamed_in_place():
    m = _migration()
    path = os.path.join(tempfile.mkdtemp(), "old.db")
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("PRAGMA foreign_keys = ON"))
        _old_schema(conn)
        conn.execute(sa.text("CREATE TRIGGER children_guard BEFORE DELETE ON children "
                             "BEGIN SELECT RAISE(ABORT, 'append-only'); END"))
        assert m.rename_sqlite(conn) == 2
        assert m.rename_sqlite(conn) == 0  # a second run finds nothing to rename
    engine.dispose()
    engine = sa.create_engine(f"sqlite:///{path}")
    assert _names(engine) == EXPECTED
    with engine.begin() as conn:
        assert conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
        assert conn.execute(sa.text("SELECT note FROM children")).scalar() == "x, (y)"  # the default kept
        assert conn.execute(sa.text("SELECT count(*) FROM parents")).scalar() == 1
        conn.execute(sa.text("PRAGMA foreign_keys = ON"))
        with pytest.raises(sa.exc.IntegrityError):   # the constraints still hold under their new names
            conn.execute(sa.text("INSERT INTO children (id, parent_id, starts, ends) VALUES (2, 9, 1, 2)"))
    with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.execute(sa.text("INSERT INTO children (id, parent_id, starts, ends) VALUES (3, 1, 5, 4)"))
    with engine.begin() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        conn.execute(sa.text("DELETE FROM children"))  # the trigger survived
    engine.dispose()


@pytest.mark.postgres
def test_postgresql_database_made_before_the_convention_is_renamed(app):
    m = _migration()
    owner_url = _owner_url(app)
    engine = sa.create_engine(owner_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS names_old CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA names_old"))
        conn.execute(sa.text("SET LOCAL search_path TO names_old"))
        _old_schema(conn)
        before = {r[0] for r in conn.execute(sa.text(
            "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = 'names_old'"))}
        assert "parents_pkey" in before and "children_parent_id_fkey" in before
        assert m.rename_postgresql(conn) == 7  # PostgreSQL's names, and the two bare CHECK names
        assert m.rename_postgresql(conn) == 0
    try:
        insp_engine = sa.create_engine(owner_url, connect_args={"options": "-csearch_path=names_old"})
        assert _names(insp_engine) == EXPECTED
        insp_engine.dispose()
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA names_old CASCADE"))
        engine.dispose()


def test_a_long_name_is_cut_the_way_sqlalchemy_cuts_it():
    m = _migration()
    name = m.conventional("f", "selection_nomination_attachments", ["verified_by_id"], "users_with_long_names",
                          limit=63)
    assert len(name) == 60 and name.startswith("fk_selection_nomination_attachments_verified_by_id_u")
