"""Chapter 3 at SaaS scale (issue 12): the reminder sweep over every tenant, and the roster page.

* Reminder sweep: 400 tenants, 8,000 chairs in residence (20 each), every obligation the ruleset
  declares (A9–A14: 12 obligation rules, each over its periods: about 50 periods a chair) plus
  the A14 relation transfer whose receipt is due. ``run_reminders`` on one day sends every
  reminder due that day; a second run on the same day must send nothing. The floor, measured
  in the same run: the same reads per tenant (residencies, their records, the memberships, the
  pending transfers) and the same outbox rows written (the notifications the app wrote, by their
  dedupe keys) with the bare driver, one transaction per tenant. Delivery (the jobs enqueued
  after commit) is left out of both: bench_notifications measures it.
* Roster page: the first page (100 rows) of a tenant with 1,000 chairs and of one with 10,
  through the Flask test client as the secretariat; the same number of statements at both
  sizes; p95 against the floor of the same statements on the bare driver rendered by a bare
  Jinja template (as bench_pages). Before the roster's rounds the bench process's heap is
  collected and frozen (``portal.core.heap.freeze_startup_heap``), as ``wsgi.py`` freezes a
  production web process's start-up heap: unfrozen, Python's full collections walked the ~300,000
  objects of the app and the set-up, 120-360 ms each, and those pauses landed on requests of the
  app and of the floor alike (they were the p95 of both: app 271 ms at a median of 49, floor 230
  at 13). A gunicorn worker freezes its own start-up heap; what the requests allocate is
  collected as before, in both columns.

The sweep runs over every tenant (the two roster tenants too: 9,010 chairs by default), in
BENCH_RES_ROUNDS alternating rounds, each from no reminder sent; ``run`` returns the rows of
``make bench``'s table (measure, value = median, best, floor, floor best, ratio, goal, met, note).

Sizes: BENCH_RES_TENANTS (400), BENCH_RES_CHAIRS (20 per tenant), BENCH_RES_ROSTER (1,000),
BENCH_RES_ROUNDS (2), BENCH_RES_REQUESTS (40 roster requests, alternating with the floor).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TENANTS = int(os.environ.get("BENCH_RES_TENANTS", 400))
CHAIRS = int(os.environ.get("BENCH_RES_CHAIRS", 20))
ROSTER = int(os.environ.get("BENCH_RES_ROSTER", 1000))
REQUESTS = int(os.environ.get("BENCH_RES_REQUESTS", 40))
ROUNDS = int(os.environ.get("BENCH_RES_ROUNDS", 2))
PAGE_ROWS = 100  # portal.residency.views.PER_PAGE
TERM_START, TERM_END = dt.date(2026, 3, 2), dt.date(2026, 11, 30)  # every offset inside the calendar's known years
TODAY = dt.date(2026, 3, 25)  # March's monthly reminders and the receipts' reminders are due
PASSWORD = "bench-password-1"
GOALS = {"sweep_seconds": 30.0, "roster_p95_ms": 150.0}


def _cohort(t, admin, n: int, prefix: str, receipt_due: dt.date, tag: str, base: int) -> int:
    """``n`` chairs in residence in tenant ``t``, each with a login and an outbound transfer."""
    import sqlalchemy as sa

    from bench.bench_selection import _insert, _invitations, _nomination_row, _tenant_data
    from portal.auth.models import User
    from portal.extensions import db
    from portal.residency.models import Chair, Residency
    from portal.residency.relations_models import RelationTransfer
    from portal.selection import operations as sops
    from portal.selection.models import Nomination
    from tenants.models import Membership, Role

    now = dt.datetime(2026, 3, 2, 9)
    db.session.add(Membership(tenant_id=t.id, user_id=admin.id, role=Role.secretariat_admin, active=True))
    schools, union_of = _tenant_data(t, n, prefix)
    cycle = sops.open_cycle(t, "2025-2026", actor=admin, opened_on=dt.date(2025, 9, 1))
    inv = _invitations(cycle, schools)
    rows = []
    for i, s in enumerate(schools):
        r = _nomination_row(cycle, inv[s], s, union_of[s], base + i)
        r["political_status"] = "中共党员" if i % 3 == 0 else "共青团员"
        rows.append(r)
    _insert(Nomination, rows)
    noms = list(db.session.execute(sa.select(Nomination.id, Nomination.school_id, Nomination.name)
                                   .where(Nomination.cycle_id == cycle.id).order_by(Nomination.id)))
    _insert(User, [{"email": f"chair-{tag}-{i}@bench.cn", "name": nm, "password_hash": "!", "active": True,
                    "created_at": now, "is_platform_operator": False} for i, (_nid, _s, nm) in enumerate(noms)])
    users = list(db.session.scalars(sa.select(User.id).where(User.email.like(f"chair-{tag}-%"))
                                    .order_by(User.id)))
    _insert(Chair, [{"tenant_id": t.id, "cycle_id": cycle.id, "nomination_id": nid, "user_id": u, "school_id": s,
                     "name": nm, "term_start": TERM_START, "term_end": TERM_END, "active": True, "created_at": now,
                     "updated_at": now} for (nid, s, nm), u in zip(noms, users)])
    chairs = list(db.session.execute(sa.select(Chair.id, Chair.school_id).where(Chair.cycle_id == cycle.id)
                                     .order_by(Chair.id)))
    snap = dict(cycle.rules_snapshot or {})
    _insert(Residency, [{"tenant_id": t.id, "chair_id": c, "cycle_id": cycle.id, "cohort": "2025-2026",
                         "school_id": s, "union_id": union_of[s], "term_start": TERM_START, "term_end": TERM_END,
                         "appointed_term_end": TERM_END, "status": "in_residence", "rules_version": cycle.rules_version,
                         "rules_snapshot": snap, "created_at": now, "updated_at": now} for c, s in chairs])
    res_ids = list(db.session.scalars(sa.select(Residency.id).where(Residency.cycle_id == cycle.id)))
    _insert(RelationTransfer, [{"tenant_id": t.id, "residency_id": r, "kind": "party" if i % 3 == 0 else "league",
                                "direction": "outbound", "status": "letter_issued", "letter_no": f"组字{r}号",
                                "letter_date": TERM_START, "validity_days": 30, "to_org": "机关党委",
                                "receipt_due": receipt_due, "created_at": now, "updated_at": now}
                               for i, r in enumerate(res_ids)])
    return cycle.id


def _world(app) -> dict:
    from bench.bench_selection import PROVINCES
    from portal.auth.models import User
    from portal.core.calendar import calendar
    from portal.core.db import tenant_context
    from portal.extensions import db
    from tenants.models import Tenant, TenantKind

    with app.app_context():
        receipt_due = calendar().add_workdays(TERM_START, 20)
        nat = Tenant(slug="benchres", name="全国学联（基准）", short_name="全国学联", kind=TenantKind.national)
        db.session.add(nat)
        db.session.flush()
        tenants = [nat] + [Tenant(slug=f"benchres{i}", name=f"省学联{i}（基准）", short_name=f"省学联{i}",
                                  kind=TenantKind.provincial, parent_id=nat.id,
                                  province_code=PROVINCES[i % len(PROVINCES)]) for i in range(1, TENANTS)]
        db.session.add_all(tenants[1:])
        admin = User(email="bench-res-admin@example.cn", name="基准管理员")
        admin.set_password(PASSWORD)
        db.session.add(admin)
        db.session.flush()
        for i, t in enumerate(tenants):
            with tenant_context(t.id, db.session):
                _cohort(t, admin, CHAIRS, f"{600 + i}", receipt_due, f"s{i}", i * CHAIRS)
            if i % 50 == 49:
                db.session.commit()
        roster = Tenant(slug="benchroster", name="学联（名册基准）", short_name="名册", kind=TenantKind.provincial,
                        parent_id=nat.id, province_code="44")
        small = Tenant(slug="benchroster10", name="学联（名册十人）", short_name="十人", kind=TenantKind.provincial,
                       parent_id=nat.id, province_code="45")
        db.session.add_all([roster, small])
        db.session.flush()
        with tenant_context(roster.id, db.session):
            _cohort(roster, admin, ROSTER, "1044", receipt_due, "r", 100_000)
        with tenant_context(small.id, db.session):
            _cohort(small, admin, 10, "1045", receipt_due, "q", 200_000)
        db.session.commit()
        out = {"sweep_tenants": [t.id for t in tenants], "roster": roster.slug, "small": small.slug,
               "excluded": [roster.id, small.id]}
        db.session.remove()
    return out


def _sweep(app, world) -> tuple[float, int]:
    """The app's reminder sweep over the sweep's tenants (the roster tenants left out)."""
    from portal.notifications.reminders import run_reminders

    with app.app_context():
        t0 = time.perf_counter()
        n = run_reminders(TODAY)
        return time.perf_counter() - t0, n


def _floor(app, world) -> tuple[float, int]:
    """The same reads per tenant and the same outbox rows, with the bare driver."""
    import sqlalchemy as sa

    from portal.extensions import db

    rows = [r for found in _each_tenant(app, world, lambda t: db.session.execute(sa.text(
        "SELECT tenant_id, dedupe_key, recipient_user_id, template_key, context, related_type, related_id "
        "FROM notifications WHERE tenant_id = :t AND dedupe_key LIKE 'reminder:%'"), {"t": t}).all()) for r in found]
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    from bench.common import floor_table

    floor_table(app, "CREATE TABLE IF NOT EXISTS bench_floor_outbox (tenant_id INTEGER, dedupe_key VARCHAR(300) UNIQUE, "
                "recipient_user_id INTEGER, template_key VARCHAR(80), context TEXT, related_type VARCHAR(40), "
                "related_id VARCHAR(80))", "bench_floor_outbox")
    engine = sa.create_engine(url)
    raw = engine.raw_connection().driver_connection
    cur = raw.cursor()
    cur.execute("DELETE FROM bench_floor_outbox")
    raw.commit()
    by_tenant: dict[int, list] = {}
    for r in rows:
        ctx = r[4] if isinstance(r[4], str) else json.dumps(r[4], ensure_ascii=False)
        by_tenant.setdefault(r[0], []).append((r[0], r[1], r[2], r[3], ctx, r[5], r[6]))
    ph = "%s" if engine.dialect.name == "postgresql" else "?"
    t0 = time.perf_counter()
    pg = engine.dialect.name == "postgresql"
    for tid in world["sweep_tenants"] + world["excluded"]:
        if pg:  # the app role's row-level security: the tenant of this transaction, as the app sets it
            cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tid),))
        cur.execute(f"SELECT * FROM residencies WHERE tenant_id = {ph} AND status = 'in_residence'", (tid,))
        ids = [r[0] for r in cur.fetchall()]
        if ids:
            marks = ",".join([ph] * len(ids))
            cur.execute(f"SELECT * FROM obligation_records WHERE subject_type = 'residency' AND subject_id IN ({marks})",
                        ids)
            cur.fetchall()
            cur.execute(f"SELECT * FROM residency_relation_transfers WHERE residency_id IN ({marks})", ids)
            cur.fetchall()
        cur.execute(f"SELECT * FROM memberships WHERE tenant_id = {ph} AND active", (tid,))
        cur.fetchall()
        batch = by_tenant.get(tid, [])
        if batch:
            cur.executemany(f"INSERT INTO bench_floor_outbox VALUES ({','.join([ph] * 7)})", batch)
        raw.commit()
    elapsed = time.perf_counter() - t0
    raw.close()
    engine.dispose()
    return elapsed, len(rows)


def _login(app):
    client = app.test_client()
    r = client.post("/login", data={"email": "bench-res-admin@example.cn", "password": PASSWORD})
    assert r.status_code == 302, r.status_code
    return client


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[18] * 1000 if len(times) >= 20 else max(times) * 1000


def _roster(app, world) -> dict:
    import jinja2
    import sqlalchemy as sa

    from bench.bench_pages import FLOOR_TEMPLATE, _capture, _floor as page_floor

    client = _login(app)
    big, small = f"/{world['roster']}/residency/", f"/{world['small']}/residency/"
    for url in (big, small):
        for _ in range(3):
            assert client.get(url).status_code == 200
    stmts_big, size_big = _capture(app, client, big)
    stmts_small, _ = _capture(app, client, small)
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    raw = engine.raw_connection().driver_connection
    template = jinja2.Environment(autoescape=True).from_string(FLOOR_TEMPLATE)
    app_t, floor_t = [], []
    for i in range(REQUESTS):
        for name in (("app", "floor") if i % 2 else ("floor", "app")):
            t0 = time.perf_counter()
            if name == "app":
                client.get(big)
            else:
                page_floor(raw, template, stmts_big)
            (app_t if name == "app" else floor_t).append(time.perf_counter() - t0)
    raw.close()
    engine.dispose()
    return {"chairs": ROSTER, "rows_on_page": PAGE_ROWS, "statements_big": len(stmts_big),
            "statements_10": len(stmts_small), "html_kb": size_big / 1024, "app_p95_ms": _p95(app_t),
            "app_median_ms": statistics.median(app_t) * 1000, "app_best_ms": min(app_t) * 1000,
            "floor_p95_ms": _p95(floor_t), "floor_median_ms": statistics.median(floor_t) * 1000,
            "floor_best_ms": min(floor_t) * 1000, "ratio_p95": _p95(app_t) / _p95(floor_t)}


def _each_tenant(app, world, read) -> list:
    """``read(tenant_id)`` as each tenant of the world (the statements name the tenant too: SQLite
    has no RLS, and the app's filter does not reach raw SQL), one transaction each: on PostgreSQL the app role's
    row-level security shows a statement without a tenant nothing (a count of 0, a DELETE of
    nothing: the second round then started from the first round's reminders)."""
    from portal.core.db import tenant_context
    from portal.extensions import db

    out = []
    with app.app_context():
        for tid in world["sweep_tenants"] + world["excluded"]:
            with tenant_context(tid, db.session):
                out.append(read(tid))
                db.session.commit()
        db.session.remove()
    return out


def _clear_reminders(app, world) -> None:
    """Back to before the first sweep: its notifications and their delivery jobs removed."""
    import sqlalchemy as sa

    from portal.extensions import db

    def clear(t):
        db.session.execute(sa.text("DELETE FROM notifications WHERE tenant_id = :t AND dedupe_key LIKE 'reminder:%'"),
                           {"t": t})
        db.session.execute(sa.text("DELETE FROM job_records WHERE tenant_id = :t AND kind = 'notifications.deliver'"),
                           {"t": t})

    _each_tenant(app, world, clear)


def run() -> list[dict]:
    """The sweep in ``ROUNDS`` alternating rounds (each from no reminders sent: the app's sweep,
    then a second sweep that must send nothing, against the floor), and the roster page; rows
    for ``make bench``'s table (details in bench-results/residency.json)."""
    import portal.jobs.operations as jobs_ops
    from bench.bench_selection import _analyze
    from bench.common import bench_app

    app = bench_app(WTF_CSRF_ENABLED=False, FIXED_TODAY=TODAY)
    t0 = time.perf_counter()
    world = _world(app)
    _analyze(app)
    setup_s = time.perf_counter() - t0
    dispatch = jobs_ops.dispatch
    jobs_ops.dispatch = lambda app, pending: None  # delivery is bench_notifications' (both sides leave it out)
    firsts, seconds, floors, sent, again = [], [], [], [], []
    try:
        for i in range(ROUNDS):
            for side in (("app", "floor") if i % 2 == 0 else ("floor", "app")):
                if side == "floor":
                    if not sent:  # the floor writes the rows the app wrote: the app goes first once
                        continue
                    f_s, _rows = _floor(app, world)
                    floors.append(f_s)
                    continue
                _clear_reminders(app, world)
                s1, n1 = _sweep(app, world)
                s2, n2 = _sweep(app, world)
                firsts.append(s1), seconds.append(s2), sent.append(n1), again.append(n2)
        if len(floors) < len(firsts):
            floors.append(_floor(app, world)[0])
    finally:
        jobs_ops.dispatch = dispatch
    floor_s, floor_rows = statistics.median(floors), _floor(app, world)[1]
    import sqlalchemy as sa

    from portal.extensions import db

    outbox = sum(_each_tenant(app, world, lambda t: db.session.execute(sa.text(
        "SELECT COUNT(*) FROM notifications WHERE tenant_id = :t AND dedupe_key LIKE 'reminder:%'"), {"t": t}).scalar()))
    chairs = sum(_each_tenant(app, world, lambda t: db.session.execute(sa.text(
        "SELECT COUNT(*) FROM residencies WHERE tenant_id = :t"), {"t": t}).scalar()))
    with app.app_context():
        from tenants.rules.registry import REGISTRY

        obligations_declared = sum(1 for r in REGISTRY if r.type == "obligation")
    from portal.core.heap import freeze_startup_heap

    freeze_startup_heap()  # as wsgi.py does in a production web process (see the module docstring)
    roster = _roster(app, world)
    database = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    out = {"database": database, "tenants": TENANTS + 2, "sweep_tenants": TENANTS, "chairs": chairs,
           "obligation_rules": obligations_declared, "setup_seconds": setup_s,
           "sweep": {"rounds": firsts, "sent": sent, "outbox_rows": outbox, "second_runs": seconds,
                     "second_run_sent": again, "floor_rounds": floors, "floor_rows": floor_rows},
           "roster": roster}
    dest = ROOT / "bench-results"
    dest.mkdir(exist_ok=True)
    (dest / "residency.json").write_text(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    value, best = statistics.median(firsts), min(firsts)
    once = all(n == 0 for n in again) and len(set(sent)) == 1 and outbox == sent[-1]
    rows = [
        {"measure": f"reminder sweep, {TENANTS + 2} tenants/{chairs:,} chairs (s)", "value": value, "best": best,
         "floor": floor_s, "floor_best": min(floors), "ratio": value / floor_s if floor_s else None,
         "goal": f"< {GOALS['sweep_seconds']:g} s, once", "met": value < GOALS["sweep_seconds"] and once,
         "note": f"{sent[-1]:,} reminders; rounds {', '.join(f'{x:.1f}' for x in firsts)}; floor: the same reads "
                 f"and rows, bare driver"},
        {"measure": "reminder sweep again, same day (s)", "value": statistics.median(seconds), "best": min(seconds),
         "floor": None, "floor_best": None, "ratio": None, "goal": "sends 0", "met": all(n == 0 for n in again),
         "note": f"sent {', '.join(str(n) for n in again)}"},
        {"measure": f"roster p95, {ROSTER:,} chairs, {PAGE_ROWS}/page (ms)", "value": roster["app_p95_ms"],
         "best": roster["app_best_ms"], "floor": roster["floor_p95_ms"], "floor_best": roster["floor_best_ms"],
         "ratio": roster["ratio_p95"], "goal": f"< {GOALS['roster_p95_ms']:g} ms",
         "met": roster["app_p95_ms"] < GOALS["roster_p95_ms"],
         "note": f"median {roster['app_median_ms']:.0f} ms; {REQUESTS} requests; {roster['html_kb']:.0f} KB"},
        {"measure": f"roster statements, {ROSTER:,} vs 10 chairs", "value": roster["statements_big"],
         "best": roster["statements_big"], "floor": roster["statements_10"], "floor_best": roster["statements_10"],
         "ratio": roster["statements_big"] / roster["statements_10"], "goal": "equal",
         "met": roster["statements_big"] == roster["statements_10"], "note": "floor column: the 10-chair roster"},
    ]
    return rows


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    from bench.__main__ import table

    print(table(run(), os.environ.get("BENCH_DATABASE_URL", "sqlite").split(":")[0]), end="")
