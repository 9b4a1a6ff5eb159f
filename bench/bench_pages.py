"""The cycle page and the nomination list (page 1 and a deep keyset page) at 10,000 nominations,
each against a floor of the same SQL through the bare driver, rendered with a bare Jinja template.

* The app: each page through the Flask test client, logged in as the secretariat (tenant lookup,
  memberships, scope, templates, the commit hook: everything a request pays).
* The floor: the exact statements that request ran (captured once with their parameters at the
  DB-API level), replayed on a raw DB-API connection of the same database, every row fetched and
  rendered by a bare Jinja template of one table per statement. The same work minus the app.
* Rounds alternate (app, floor, floor, app, ...) so a machine's drift hits both; each round gives
  a median; the report gives the median of the rounds' medians and the best round, and the
  ratio of each. Also the statements per request and the HTML size.

Sizes: BENCH_PAGE_NOMINATIONS (default 10,000) over BENCH_PAGE_SCHOOLS (default 3,000). Above
10,000 it refuses unless BENCH_ALLOW_LARGE=1 (the shared 2-core machine must not run it).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOMINATIONS = int(os.environ.get("BENCH_PAGE_NOMINATIONS", 10_000))
SCHOOLS = int(os.environ.get("BENCH_PAGE_SCHOOLS", 3000))
ROUNDS = int(os.environ.get("BENCH_PAGE_ROUNDS", 5))
PER_ROUND = int(os.environ.get("BENCH_PAGE_REQUESTS", 10))
TODAY = dt.date(2026, 3, 16)
PASSWORD = "bench-password-1"
NOTICE_NAMES = 10  # the nominees named in the open 公示 the public-notice row reads
STATUSES = ("draft", "submitted", "under_review", "reviewed")
# The goals: the cycle page within 2x its floor and under 200 KB; the lists within 1.5x.
GOALS = {"cycle": 2.0, "list_page_1": 1.5, "list_deep": 1.5, "cycle_html_kb": 200.0}

FLOOR_TEMPLATE = """<!doctype html><html><body>{% for rows in results %}<table>{% for r in rows %}<tr>
{% for c in r %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</table>{% endfor %}</body></html>"""


def _world(app) -> dict:
    import sqlalchemy as sa

    from bench.bench_selection import _insert, _invitations, _nomination_row, _tenant_data
    from portal.auth.models import User
    from portal.core.db import tenant_context
    from portal.extensions import db
    from portal.selection import operations as ops
    from portal.selection.models import Nomination
    from tenants.models import Membership, Role, Tenant, TenantKind

    with app.app_context():
        nat = Tenant(slug="benchpages", name="全国学联（基准）", short_name="全国学联", kind=TenantKind.national)
        db.session.add(nat)
        admin = User(email="bench-pages@example.cn", name="基准管理员")
        admin.set_password(PASSWORD)
        db.session.add(admin)
        db.session.flush()
        with tenant_context(nat.id, db.session):
            db.session.add(Membership(tenant_id=nat.id, user_id=admin.id, role=Role.secretariat_admin, active=True))
            schools, union_of = _tenant_data(nat, SCHOOLS, "43")
            cycle = ops.open_cycle(nat, "2026-2027", actor=admin, opened_on=dt.date(2026, 3, 2))
            inv_of = _invitations(cycle, schools)
            rows = []
            for i in range(NOMINATIONS):
                s = schools[i % len(schools)]
                r = _nomination_row(cycle, inv_of[s], s, union_of[s], 700_000 + i)
                r["status"] = STATUSES[i % len(STATUSES)]
                rows.append(r)
                if len(rows) == 2000:
                    _insert(Nomination, rows)
                    rows = []
            _insert(Nomination, rows)
            db.session.commit()
            # a deep page: the cursor of the row halfway down the list's order
            from portal.selection.access import EVERYTHING
            from portal.selection.lists import encode_cursor
            from portal.reference.models import School

            stmt = ops.nominations_query(cycle.id, scope=EVERYTHING).with_only_columns(
                School.province_code, School.code, Nomination.id)
            key = db.session.execute(stmt.offset(NOMINATIONS // 2).limit(1)).one()
            # an open 公示 (A6.5) naming the cycle's first NOTICE_NAMES nominees, as the public reads it
            from portal.selection.models import PublicNotice

            named = list(db.session.scalars(sa.select(Nomination.id).where(Nomination.cycle_id == cycle.id)
                                            .order_by(Nomination.id).limit(NOTICE_NAMES)))
            for rank, nid in enumerate(named, 1):
                db.session.execute(sa.update(Nomination).where(Nomination.id == nid).values(rank=rank))
            notice = PublicNotice(tenant_id=nat.id, cycle_id=cycle.id, title="2026-2027学年驻会执行主席拟任人选公示",
                                  body="经推荐、审查、考察，现将拟任人选予以公示。", website_name="全国学联网站",
                                  starts_on=TODAY - dt.timedelta(days=1), ends_on=TODAY + dt.timedelta(days=6),
                                  min_workdays=5, nomination_ids=named)
            db.session.add(notice)
            db.session.commit()
            out = {"slug": nat.slug, "cycle_id": cycle.id, "cursor": encode_cursor(tuple(key)), "notice_id": notice.id}
        db.session.remove()
    return out


def _client(app):
    client = app.test_client()
    r = client.post("/login", data={"email": "bench-pages@example.cn", "password": PASSWORD})
    assert r.status_code == 302, r.status_code
    return client


def _capture(app, client, url) -> tuple[list, int]:
    """The statements (DB-API text and parameters) one request runs, and its HTML size."""
    import sqlalchemy as sa

    from portal.extensions import db

    import threading

    seen = []
    me = threading.get_ident()

    def before(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == me:  # the request's own (a job's thread is not the page's)
            seen.append((statement, parameters, executemany))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return seen, len(r.data)


def _floor(raw, template, statements):
    """The same SQL on the bare driver, every row fetched, rendered by a bare Jinja template."""
    cur = raw.cursor()
    results = []
    for statement, params, many in statements:
        if many:
            cur.executemany(statement, params)
            continue
        cur.execute(statement, params)
        if cur.description is not None:
            results.append(cur.fetchall())
    raw.rollback()
    return template.render(results=results)


def _rounds(app_call, floor_call) -> dict:
    app_med, floor_med = [], []
    for i in range(ROUNDS):
        order = (("app", app_call), ("floor", floor_call))
        if i % 2:
            order = order[::-1]
        for name, call in order:
            times = []
            for _ in range(PER_ROUND):
                t0 = time.perf_counter()
                call()
                times.append(time.perf_counter() - t0)
            (app_med if name == "app" else floor_med).append(statistics.median(times) * 1000)
    app_ms, floor_ms = statistics.median(app_med), statistics.median(floor_med)
    return {"app_ms": app_ms, "app_best_ms": min(app_med), "floor_ms": floor_ms, "floor_best_ms": min(floor_med),
            "ratio": app_ms / floor_ms, "ratio_best": min(app_med) / min(floor_med),
            "rounds_app_ms": app_med, "rounds_floor_ms": floor_med}


def run() -> dict:
    if NOMINATIONS > 10_000 and os.environ.get("BENCH_ALLOW_LARGE") != "1":
        raise SystemExit("bench_pages: above 10,000 nominations needs BENCH_ALLOW_LARGE=1 (not on a shared machine)")
    import jinja2
    import sqlalchemy as sa

    from bench.common import bench_app
    from bench.bench_selection import _analyze

    app = bench_app(WTF_CSRF_ENABLED=False, FIXED_TODAY=TODAY)
    t0 = time.perf_counter()
    world = _world(app)
    _analyze(app)
    setup_s = time.perf_counter() - t0
    client = _client(app)
    base = f"/{world['slug']}/selection/cycles/{world['cycle_id']}"
    urls = {"cycle": base, "list_page_1": f"{base}/nominations",
            "list_deep": f"{base}/nominations?cursor={world['cursor']}"}
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    raw = engine.raw_connection().driver_connection  # the bare DB-API connection
    template = jinja2.Environment(autoescape=True).from_string(FLOOR_TEMPLATE)
    out = {"database": engine.dialect.name, "nominations": NOMINATIONS, "schools": SCHOOLS, "rounds": ROUNDS,
           "per_round": PER_ROUND, "setup_seconds": setup_s, "pages": {}}
    for name, url in urls.items():
        for _ in range(3):  # warm: templates compiled, counts cached, pages in the OS cache
            client.get(url)
        statements, size = _capture(app, client, url)
        floor_html = _floor(raw, template, statements)
        m = _rounds(lambda u=url: client.get(u), lambda s=statements: _floor(raw, template, s))
        m.update(statements=len(statements), html_kb=size / 1024, floor_html_kb=len(floor_html.encode()) / 1024)
        out["pages"][name] = m
    raw.close()
    engine.dispose()
    _report(out)
    dest = ROOT / "bench-results"
    dest.mkdir(exist_ok=True)
    (dest / "pages.json").write_text(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    return out


def _report(r: dict) -> None:
    print(f"\n== Pages at {r['nominations']:,} nominations ({r['schools']:,} schools, {r['database']}); "
          f"{r['rounds']} alternating rounds of {r['per_round']} requests ==")
    print(f"{'measure':<14}{'median ms':>10}{'best ms':>9}{'floor ms':>10}{'floor best':>11}{'ratio':>7}"
          f"{'best':>6}{'goal':>6}{'met':>5}{'stmts':>6}{'HTML KB':>9}")
    for name, m in r["pages"].items():
        goal = GOALS[name]
        met = m["ratio"] <= goal and (name != "cycle" or m["html_kb"] < GOALS["cycle_html_kb"])
        print(f"{name:<14}{m['app_ms']:>10.1f}{m['app_best_ms']:>9.1f}{m['floor_ms']:>10.1f}{m['floor_best_ms']:>11.1f}"
              f"{m['ratio']:>7.2f}{m['ratio_best']:>6.2f}{goal:>6.1f}{'yes' if met else 'no':>5}"
              f"{m['statements']:>6}{m['html_kb']:>9.1f}")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    run()
