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
        yield t.id, lambda sql, params: db.session.execute(sa.text(sql), params)
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
    assert "rule.override" in rows and "test.changed" not in rows
    page = client.get(f"/{t.slug}/audit/?verify=1").get_data(as_text=True)
    assert "哈希链完整" in page
    data = client.get(f"/api/v1/{t.slug}/audit?article=A7").json
    assert data["total"] == 2
