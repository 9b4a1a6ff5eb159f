"""The audit trail (A7: no black-box operation): append-only and hash-chained."""
import threading

import pytest
import sqlalchemy as sa

from portal.core import audit
from portal.core.audit import AuditRecord, verify_chain
from portal.core.db import tenant_context
from portal.extensions import db
from tests.conftest import IS_PG, OWNER_URL
from tests.factories import TenantFactory, member


def _records(tenant, n):
    with tenant_context(tenant.id, db.session):
        for i in range(n):
            audit.record("test.changed", "thing", i, actor="测试", before={"v": i}, after={"v": i + 1},
                         article="A7")


def test_A7_every_record_chains_to_the_previous(session):
    t = TenantFactory()
    _records(t, 5)
    with tenant_context(t.id, db.session):
        recs = db.session.scalars(sa.select(AuditRecord).order_by(AuditRecord.seq)).all()
        assert [r.seq for r in recs] == [1, 2, 3, 4, 5]
        assert all(recs[i].prev_hash == recs[i - 1].hash for i in range(1, 5))
        assert verify_chain(t.id) is None


@pytest.fixture()
def committed_chain(app, session):
    """A four-record chain, committed for real, and a way to tamper with it as the owner.

    On SQLite the chain lives in the test's transaction and is edited there. On PostgreSQL
    the app role may not touch the table, so the chain is committed on its own connection
    and edited through the owner's; the rows are removed afterwards (as the owner)."""
    if not IS_PG:
        t = TenantFactory()
        _records(t, 4)
        db.session.commit()
        def tamper_here(sql, params):
            db.session.execute(sa.text(sql), params)
            db.session.commit()  # survives a later rollback (the CLI rolls back before it reads)

        yield t.id, tamper_here
        return
    owner = sa.create_engine(OWNER_URL)
    with owner.begin() as c:
        tid = c.execute(sa.text(
            "INSERT INTO tenants (slug, name, short_name, kind, active, created_at) "
            "VALUES (:s, '篡改检测', '篡改', 'national', true, now()) RETURNING id"),
            {"s": f"tamper-{id(owner)}"}).scalar()
    engine = sa.create_engine(db.engine.url)
    from sqlalchemy.orm import Session

    with Session(engine) as s, s.begin():
        s.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tid)})
        prev = audit.GENESIS
        for seq in range(1, 5):
            rec = AuditRecord(tenant_id=tid, seq=seq, at=audit.utcnow().replace(microsecond=0),
                              actor_id=None, actor_label="测试", action="test.changed", object_type="thing",
                              object_id=str(seq), article="A7", before={"v": seq}, after={"v": seq + 1},
                              prev_hash=prev)
            rec.hash = rec.compute_hash()
            prev = rec.hash
            s.add(rec)

    def tamper(sql, params):
        with owner.begin() as c:
            c.execute(sa.text(sql), params)

    try:
        yield tid, tamper
    finally:
        with owner.begin() as c:
            c.execute(sa.text("DELETE FROM audit_records WHERE tenant_id = :t"), {"t": tid})
            c.execute(sa.text("DELETE FROM tenants WHERE id = :t"), {"t": tid})
        engine.dispose()
        owner.dispose()


def test_A7_verify_reports_first_edited_record(committed_chain):
    tid, tamper = committed_chain
    assert verify_chain(tid) is None
    tamper("UPDATE audit_records SET after = :a WHERE tenant_id = :t AND seq = 3", {"a": '{"v": 99}', "t": tid})
    db.session.expire_all()
    problem = verify_chain(tid)
    assert problem.seq == 3 and problem.kind == "edited"


def test_A7_verify_reports_deleted_record(committed_chain):
    tid, tamper = committed_chain
    tamper("DELETE FROM audit_records WHERE tenant_id = :t AND seq = 2", {"t": tid})
    db.session.expire_all()
    problem = verify_chain(tid)
    assert problem.seq == 2 and problem.kind == "deleted"


def test_flask_audit_verify_command(app, session):
    t = TenantFactory()
    _records(t, 3)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify", "--tenant", t.slug])
    assert result.exit_code == 0, result.output
    assert "完整：3 条记录" in result.output


@pytest.mark.postgres
def test_A7_app_role_cannot_update_delete_or_truncate_audit(session):
    t = TenantFactory()
    _records(t, 1)
    for stmt in ("UPDATE audit_records SET action = 'x'", "DELETE FROM audit_records",
                 "TRUNCATE audit_records"):
        nested = db.session.begin_nested()
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            db.session.execute(sa.text(stmt))
        nested.rollback()


@pytest.mark.postgres
def test_A7_concurrent_writers_never_fork_the_chain(app):
    """Eight threads, each with its own connection and transaction, append to one chain."""
    from portal.auth.models import User  # noqa: F401
    from tenants.models import Tenant, TenantKind

    with app.app_context():
        owner = sa.create_engine(OWNER_URL)
        with owner.begin() as c:
            tid = c.execute(sa.text(
                "INSERT INTO tenants (slug, name, short_name, kind, active, created_at) "
                "VALUES ('audit-race', '并发', '并发', 'national', true, now()) RETURNING id")).scalar()
        errors = []

        def writer(i):
            with app.app_context():
                try:
                    for j in range(5):
                        with tenant_context(tid, db.session):
                            audit.record("race", "thing", f"{i}-{j}", actor="并发")
                            db.session.commit()
                except Exception as exc:  # pragma: no cover - reported below
                    errors.append(exc)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors
        with tenant_context(tid, db.session):
            seqs = db.session.scalars(sa.select(AuditRecord.seq).order_by(AuditRecord.seq)).all()
            assert seqs == list(range(1, 41))
            assert verify_chain(tid) is None
        db.session.remove()
        owner.dispose()


def test_admin_browses_and_filters_the_trail_A7(client, login_as, session, as_tenant):
    t = TenantFactory()
    admin = member(t)
    _records(t, 2)
    with as_tenant(t):
        audit.record("rule.override", "rule", "x", actor=admin, article="A22")
    login_as(admin)
    page = client.get(f"/{t.slug}/audit/?action=rule.").get_data(as_text=True)
    rows = page.split("<table>")[1]
    assert "调整了规则" in rows and "changed" not in rows  # a sentence, not the raw code
    page = client.get(f"/{t.slug}/audit/?verify=1").get_data(as_text=True)
    assert "哈希链完整" in page
    data = client.get(f"/api/v1/{t.slug}/audit?article=A7").json
    assert data["total"] == 2


# --- the chain's head and its key (issue 8, item 9) -------------------------------------------

def test_A7_deleting_the_newest_record_is_detected(committed_chain):
    tid, tamper = committed_chain
    tamper("DELETE FROM audit_records WHERE tenant_id = :t AND seq = 4", {"t": tid})
    db.session.expire_all()
    problem = verify_chain(tid)
    assert (problem.seq, problem.kind) == (4, "deleted")
    assert "第 4 条审计记录缺失" in problem.message


def test_A7_deleting_the_newest_records_names_the_range(committed_chain):
    tid, tamper = committed_chain
    tamper("DELETE FROM audit_records WHERE tenant_id = :t AND seq >= 3", {"t": tid})
    db.session.expire_all()
    problem = verify_chain(tid)
    assert (problem.seq, problem.kind) == (3, "deleted")
    assert "第 3 至 4 条审计记录缺失" in problem.message


def test_A7_deleting_the_whole_chain_is_detected(committed_chain):
    tid, tamper = committed_chain
    tamper("DELETE FROM audit_records WHERE tenant_id = :t", {"t": tid})
    db.session.expire_all()
    problem = verify_chain(tid)
    assert (problem.seq, problem.kind) == (1, "deleted") and "第 1 至 4 条" in problem.message


def _rechain(tid, tamper, digest, *, from_seq=3):
    """What someone with the database (not the app's key) can do: edit a record, then recompute
    every digest from there on, head included."""
    with tenant_context(tid, db.session):
        db.session.expire_all()
        recs = db.session.scalars(sa.select(AuditRecord).where(AuditRecord.tenant_id == tid)
                                  .order_by(AuditRecord.seq)).all()
        prev = recs[from_seq - 2].hash
        updates = []
        for rec in recs[from_seq - 1:]:
            payload = rec.payload()
            payload["prev_hash"] = prev
            if rec.seq == from_seq:
                payload["after"] = {"v": 99}
            prev = digest(payload)
            updates.append((rec.seq, payload["prev_hash"], prev, payload["after"]))
        db.session.rollback()
    import json

    for seq, prev_hash, h, after in updates:
        tamper("UPDATE audit_records SET prev_hash = :p, hash = :h, after = :a WHERE tenant_id = :t AND seq = :s",
               {"p": prev_hash, "h": h, "a": json.dumps(after), "t": tid, "s": seq})
    tamper("UPDATE audit_chain_heads SET hash = :h WHERE tenant_id = :t", {"h": prev, "t": tid})
    db.session.expire_all()


def test_A7_a_chain_recomputed_without_the_key_is_detected(committed_chain):
    tid, tamper = committed_chain
    _rechain(tid, tamper, audit.legacy_hash)  # plain SHA-256, as the chain was before
    problem = verify_chain(tid)
    assert (problem.seq, problem.kind) == (3, "edited")


def test_A7_a_chain_recomputed_with_another_key_is_detected(committed_chain):
    tid, tamper = committed_chain
    _rechain(tid, tamper, lambda p: audit._hash(p, b"guessed key"))
    problem = verify_chain(tid)
    assert (problem.seq, problem.kind) == (3, "edited")


def test_A7_the_chain_is_keyed_by_AUDIT_HMAC_KEY(app, committed_chain, monkeypatch):
    tid, _ = committed_chain
    assert verify_chain(tid) is None
    monkeypatch.setitem(app.config, "AUDIT_HMAC_KEY", "a-different-key")
    problem = verify_chain(tid)
    assert (problem.seq, problem.kind) == (1, "edited")


def test_flask_audit_verify_names_the_deleted_newest_record(app, committed_chain):
    tid, tamper = committed_chain
    tamper("DELETE FROM audit_records WHERE tenant_id = :t AND seq = 4", {"t": tid})
    db.session.expire_all()
    with tenant_context(None, db.session):
        from tenants.models import Tenant

        slug = db.session.get(Tenant, tid).slug
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--tenant", slug])
    assert result.exit_code == 1, result.output
    assert "第 4 条审计记录缺失" in result.output and "完整" not in result.output


def test_A7_a_record_that_does_not_follow_the_head_is_refused(session):
    """The trigger checks every INSERT against the head: a gap or a wrong prev_hash fails."""
    t = TenantFactory()
    _records(t, 2)
    with tenant_context(t.id, db.session):
        head = db.session.get(audit.AuditChainHead, t.id)
        assert (head.seq, head.hash) == (2, db.session.scalar(
            sa.select(AuditRecord.hash).where(AuditRecord.seq == 2)))
        for seq, prev in ((4, head.hash), (3, "f" * 64), (1, audit.GENESIS)):
            nested = db.session.begin_nested()
            with pytest.raises(sa.exc.IntegrityError):
                db.session.execute(AuditRecord.__table__.insert().values(
                    tenant_id=t.id, seq=seq, at=audit.utcnow(), actor_label="x", action="forged",
                    object_type="thing", prev_hash=prev, hash="e" * 64))
            nested.rollback()
        assert verify_chain(t.id) is None


@pytest.mark.postgres
def test_A7_app_role_cannot_write_the_chain_head(session):
    t = TenantFactory()
    _records(t, 1)
    with tenant_context(t.id, db.session):
        for stmt in ("UPDATE audit_chain_heads SET seq = 0", "DELETE FROM audit_chain_heads",
                     f"INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES ({t.id}, 9, 'x')",
                     "TRUNCATE audit_chain_heads", "DROP TRIGGER audit_chain_advance ON audit_records"):
            nested = db.session.begin_nested()
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied|must be owner"):
                db.session.execute(sa.text(stmt))
            nested.rollback()


def test_A7_racing_writers_behind_a_barrier_all_land_in_one_chain(app):
    """Both databases: eight threads start together and append 25 records each, each record
    its own transaction with nothing else written (on SQLite 16-35 of 200 used to fail with
    UNIQUE(tenant_id, seq): the head was read before the write lock was taken)."""
    import datetime as dt

    from tenants.models import Tenant

    owner = sa.create_engine(app.config.get("DATABASE_OWNER_URL") or app.config["SQLALCHEMY_DATABASE_URI"])
    with owner.begin() as c:
        tid = c.execute(sa.insert(Tenant.__table__).values(
            slug=f"race{threading.get_ident() % 100000}", name="并发", short_name="并发", kind="national",
            active=True, created_at=dt.datetime(2026, 1, 1)).returning(Tenant.__table__.c.id)).scalar()
    errors, barrier = [], threading.Barrier(8)

    def writer(i):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                for j in range(25):
                    with tenant_context(tid, db.session):
                        audit.record("race", "thing", f"{i}-{j}", actor="并发")
                        db.session.commit()
            except Exception as exc:  # reported below
                errors.append(repr(exc)[:300])
                db.session.rollback()
            finally:
                db.session.remove()

    try:
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        assert not errors, errors
        with app.app_context(), tenant_context(tid, db.session):
            seqs = db.session.scalars(sa.select(AuditRecord.seq).where(AuditRecord.tenant_id == tid)
                                      .order_by(AuditRecord.seq)).all()
            assert seqs == list(range(1, 201))
            assert verify_chain(tid) is None
            db.session.remove()
    finally:
        with owner.begin() as c:
            c.execute(sa.text("DELETE FROM audit_records WHERE tenant_id = :t"), {"t": tid})
            c.execute(sa.text("DELETE FROM audit_chain_heads WHERE tenant_id = :t"), {"t": tid})
            c.execute(sa.text("DELETE FROM tenants WHERE id = :t"), {"t": tid})
        owner.dispose()


def test_migration_0008_rekeys_an_intact_chain_and_refuses_a_broken_one(tmp_path):
    """Chains written before 0008 (plain SHA-256) are re-keyed with HMAC and get their head; a
    chain that does not verify stops the migration rather than being blessed with the new key."""
    import datetime as dt

    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import ensure_migrate

    def legacy_chain(conn, tid, n, *, edit=None):
        prev = audit.GENESIS
        for seq in range(1, n + 1):
            row = {"tenant_id": tid, "seq": seq, "at": dt.datetime(2026, 5, 1, 8, 0, seq), "actor_id": None,
                   "actor_label": "旧版", "action": "legacy", "object_type": "thing", "object_id": str(seq),
                   "article": "A7", "before": None, "after": {"v": seq}, "prev_hash": prev}
            rec = AuditRecord(**row)
            row["hash"] = prev = audit.legacy_hash(rec.payload())
            if edit == seq:
                row["after"] = {"v": -1}
            conn.execute(AuditRecord.__table__.insert().values(**row))

    for broken in (False, True):
        url = f"sqlite:///{tmp_path}/legacy-{broken}.db"
        app = create_app(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="legacy-secret", TESTING=True,
                         UPLOAD_FOLDER=str(tmp_path / "uploads"))
        with app.app_context():
            directory = str(ensure_migrate(app).directory)
            upgrade(directory=directory, revision="0007")
            with db.engine.begin() as conn:
                for slug in ("old1", "old2"):
                    conn.execute(sa.text("INSERT INTO tenants (slug, name, short_name, kind, active, created_at) "
                                         "VALUES (:s, :s, :s, 'national', 1, '2026-01-01')"), {"s": slug})
                legacy_chain(conn, 1, 3)
                legacy_chain(conn, 2, 2, edit=2 if broken else None)
            if broken:
                with pytest.raises(SystemExit):  # flask-migrate's exit on the migration's RuntimeError
                    upgrade(directory=directory)
                with db.engine.connect() as conn:
                    assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0007"
                    assert "audit_chain_heads" not in sa.inspect(conn).get_table_names()
                    assert conn.execute(sa.text("SELECT hash FROM audit_records WHERE tenant_id = 1 AND seq = 1")
                                        ).scalar() == audit.legacy_hash(AuditRecord(**dict(
                                            conn.execute(sa.select(AuditRecord.__table__).where(
                                                AuditRecord.__table__.c.id == 1)).mappings().one())).payload())
            else:
                upgrade(directory=directory)
                for tid, n in ((1, 3), (2, 2)):
                    assert verify_chain(tid) is None
                    with tenant_context(tid, db.session):
                        assert db.session.get(audit.AuditChainHead, tid).seq == n
                        audit.record("after.upgrade", "thing", 1, actor="新版")  # the chain goes on
                        db.session.commit()
                    assert verify_chain(tid) is None
            db.session.remove()
            db.engine.dispose()
