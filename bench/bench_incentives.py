"""Chapter 4 at SaaS scale (BENCH_INC_TENANTS tenants × BENCH_INC_CHAIRS chairs each, default
400 × 20 = 8,000 chairs), each figure beside a floor measured in the same run:

* the month's allowance run for every tenant, with its XLSX export (goal < 10 s). Floor: the same
  rows read with one plain SELECT per tenant, prorated in Python, the lines written with a bare
  executemany and the same sheet written with the same XLSX writer — the work minus the app (no
  rules, no workflow, no audit, no ORM, no run row).
* 1,000 appraisals drafted by 2 worker processes (goal < 60 s), peak memory per worker; one
  draft alone (goal < 1 s). Floor: the same records read per chair with plain SELECTs and joined
  into strings.

Rounds alternate floor and app; each row gives the median and the best (``run()`` returns the
rows of the one ``make bench`` table).
"""
from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import sys
import time

TENANTS = int(os.environ.get("BENCH_INC_TENANTS", 400))
CHAIRS = int(os.environ.get("BENCH_INC_CHAIRS", 20))
APPRAISALS = int(os.environ.get("BENCH_INC_APPRAISALS", 1000))
WORKERS = 2
MONTH = dt.date(2025, 11, 1)
TERM = (dt.date(2025, 9, 1), dt.date(2026, 8, 31))
GOALS = {"runs_seconds": 10.0, "appraisals_seconds": 60.0, "appraisal_max_seconds": 1.0}


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _world(app) -> list[int]:
    """TENANTS provincial tenants with CHAIRS chairs in residence each, a national rate table,
    and three obligation records per chair (for the appraisals)."""
    import sqlalchemy as sa

    from bench.bench_selection import _insert, _invitations, _nomination_row, _tenant_data
    from portal.auth.models import User
    from portal.core.db import tenant_context
    from portal.core.obligations import ObligationRecord
    from portal.extensions import db
    from portal.incentives.models import NationalAllowanceRate
    from portal.residency.models import Chair, Residency
    from portal.selection import operations as sops
    from portal.selection.models import Nomination
    from tenants.models import Tenant, TenantKind

    ids = []
    with app.app_context():
        nat = Tenant(slug="incbench", name="全国学联（基准）", short_name="全国学联", kind=TenantKind.national)
        db.session.add(nat)
        admin = User(email="inc-bench@example.cn", name="基准管理员")
        admin.set_password("bench-password-1")
        db.session.add(admin)
        db.session.flush()
        for level, amount in (("本科", "3100.00"), ("硕士", "3500.00"), ("博士", "4200.00")):
            db.session.add(NationalAllowanceRate(effective_on=dt.date(2025, 1, 1), degree_level=level,
                                                 monthly_amount=amount, source="人薪发〔1990〕20号"))
            db.session.add(NationalAllowanceRate(effective_on=dt.date(2025, 11, 16), degree_level=level,
                                                 monthly_amount=str(float(amount) + 200), source="基准调整"))
        now = dt.datetime(2025, 9, 1)
        for n in range(TENANTS):
            t = Tenant(slug=f"incb{n}", name=f"省学联{n}（基准）", short_name=f"省学联{n}", kind=TenantKind.provincial,
                       parent_id=nat.id, province_code="44")
            db.session.add(t)
            db.session.flush()
            with tenant_context(t.id, db.session):
                schools, unions = _tenant_data(t, CHAIRS, f"9{n:04d}")
                cycle = sops.open_cycle(t, "2025-2026", actor=admin, opened_on=dt.date(2025, 3, 3))
                inv = _invitations(cycle, schools)
                _insert(Nomination, [_nomination_row(cycle, inv[s], s, unions[s], n * 1000 + i)
                                     for i, s in enumerate(schools)])
                noms = db.session.execute(sa.select(Nomination.id, Nomination.school_id, Nomination.name)
                                          .where(Nomination.cycle_id == cycle.id)).all()
                _insert(Chair, [{"tenant_id": t.id, "cycle_id": cycle.id, "nomination_id": nid, "school_id": sid,
                                 "name": name, "term_start": TERM[0], "term_end": TERM[1], "active": True,
                                 "created_at": now, "updated_at": now} for nid, sid, name in noms])
                chairs = db.session.execute(sa.select(Chair.id, Chair.school_id).where(Chair.cycle_id == cycle.id)).all()
                # a tenth of the chairs removed mid-month, a tenth starting mid-month
                _insert(Residency, [{"tenant_id": t.id, "chair_id": cid, "cycle_id": cycle.id, "cohort": "2025-2026",
                                     "school_id": sid, "union_id": unions[sid],
                                     "term_start": dt.date(2025, 11, 10) if i % 10 == 1 else TERM[0],
                                     "term_end": dt.date(2025, 11, 20) if i % 10 == 2 else TERM[1],
                                     "appointed_term_end": TERM[1],
                                     "status": "removed" if i % 10 == 2 else "in_residence",
                                     "ended_on": dt.date(2025, 11, 20) if i % 10 == 2 else None,
                                     "rules_version": cycle.rules_version, "rules_snapshot": cycle.rules_snapshot,
                                     "created_at": now, "updated_at": now} for i, (cid, sid) in enumerate(chairs)])
                res_ids = list(db.session.scalars(sa.select(Residency.id).where(Residency.cycle_id == cycle.id)))
                _insert(ObligationRecord, [
                    {"tenant_id": t.id, "subject_type": "residency", "subject_id": rid, "obligation_key": key,
                     "occurred_on": day, "title": title, "status": "accepted", "recorded_role": "chair",
                     "recorded_at": now}
                    for rid in res_ids for key, day, title in (
                        ("residency.obligation.a9_report", dt.date(2025, 10, 9), "思想汇报"),
                        ("residency.obligation.a10_2_course", dt.date(2025, 10, 20), "课程研学心得"),
                        ("residency.obligation.a11_1_survey", dt.date(2025, 11, 3), "学生思想动态调研"))])
            ids.append(t.id)
            if n % 50 == 49:
                db.session.commit()
        db.session.commit()
        db.session.remove()
    return ids


# --- the allowance run for every tenant -----------------------------------------------------

def _runs(app, tenant_ids) -> float:
    from portal.core.db import tenant_context
    from portal.extensions import db
    from portal.incentives.operations import allowance
    from tenants.models import Tenant

    total = 0
    with app.app_context():
        t0 = time.perf_counter()
        for tid in tenant_ids:
            with tenant_context(tid, db.session):
                tenant = db.session.get(Tenant, tid)
                run = allowance.start_run(tenant, MONTH, actor="基准", inline=True)
                total += len(allowance.export_xlsx(run))
                db.session.commit()
        seconds = time.perf_counter() - t0
        db.session.remove()
    return seconds


def _runs_floor(app, tenant_ids) -> float:
    """The same work minus the app: per tenant one plain SELECT of the chairs and one of the
    rates, proration in Python, the lines written with a bare executemany, and the same sheet
    (same rows and columns) written with the same XLSX writer — no rules, workflow, audit, ORM,
    run row or compare-and-set."""
    import calendar
    from decimal import ROUND_HALF_UP, Decimal

    import sqlalchemy as sa

    from portal.extensions import db
    import io

    from portal.core.xlsx import MONEY, Sheet, write_workbook

    q = sa.text("SELECT r.id, c.name, s.name, n.degree_level, r.term_start, COALESCE(r.ended_on, r.term_end) "
                "FROM residencies r JOIN chairs c ON c.id = r.chair_id JOIN schools s ON s.id = r.school_id "
                "JOIN selection_nominations n ON n.id = c.nomination_id WHERE r.tenant_id = :t")
    rates = sa.text("SELECT id, degree_level, effective_on, monthly_amount, source FROM allowance_national_rates "
                    "ORDER BY degree_level, effective_on")
    ins = sa.text("INSERT INTO bench_floor_lines (residency_id, amount, days) VALUES (:r, :a, :d)")
    first = MONTH
    last = MONTH.replace(day=calendar.monthrange(MONTH.year, MONTH.month)[1])
    mdays = (last - first).days + 1
    headers = ["序号", "姓名", "学校", "学历层次", "起始日期", "截止日期", "驻会天数", "当月天数", "月标准（元）",
               "金额（元）", "标准版本", "标准依据", "条款", "备注"]
    from bench.common import floor_table

    floor_table(app, "CREATE TABLE IF NOT EXISTS bench_floor_lines (residency_id INTEGER, amount TEXT, days INTEGER)",
                "bench_floor_lines")
    with app.app_context():
        t0 = time.perf_counter()
        pg = db.engine.dialect.name == "postgresql"
        for tid in tenant_ids:
            with db.engine.begin() as conn:
                if pg:  # the app role's row-level security: the tenant of this transaction, as the app sets it
                    conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tid)})
                by_level: dict = {}
                for rid, level, eff, amount, source in conn.execute(rates):
                    eff = eff if isinstance(eff, dt.date) else dt.date.fromisoformat(str(eff))
                    by_level.setdefault(level[:2], []).append((eff, Decimal(str(amount)), f"national:{level}:{eff}#{rid}",
                                                               source))
                out = []
                for rid, name, school, level, start, end in conn.execute(q, {"t": tid}):
                    start = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))
                    end = end if isinstance(end, dt.date) else dt.date.fromisoformat(str(end))
                    a, b = max(first, start), min(last, end)
                    rows = by_level[level[:2]]
                    for i, (eff, amount, version, source) in enumerate(rows):
                        to = rows[i + 1][0] - dt.timedelta(days=1) if i + 1 < len(rows) else dt.date.max
                        x, y = max(a, eff), min(b, to)
                        if x <= y:
                            days = (y - x).days + 1
                            out.append((rid, name, school, level[:2], x, y, days, amount, (amount * days / mdays).quantize(
                                Decimal("0.01"), rounding=ROUND_HALF_UP), version, source))
                if out:
                    conn.execute(ins, [{"r": r[0], "a": str(r[8]), "d": r[6]} for r in out])
                sheet = [["补贴发放表"], headers]
                sheet += [[n, r[1], r[2], r[3], r[4], r[5], r[6], mdays, r[7], r[8], r[9], r[10], "第十五条", ""]
                          for n, r in enumerate(out, 1)]
                sheet.append(["合计", "", "", "", "", "", "", "", "", sum(r[8] for r in out)])
                write_workbook(io.BytesIO(), [Sheet("补贴", sheet, kinds={8: MONEY, 9: MONEY})])
        seconds = time.perf_counter() - t0
        db.session.remove()
    return seconds


# --- appraisals by 2 workers ----------------------------------------------------------------

def _worker(args) -> dict:
    db_url, upload, tenant_ids, per_tenant, floor = args
    import sqlalchemy as sa

    from bench.bench_selection import _child_app
    from portal.core.db import tenant_context
    from portal.extensions import db
    from portal.residency.models import Residency

    app = _child_app(db_url, upload)
    done, times = 0, []
    with app.app_context():
        t0 = time.perf_counter()
        for tid in tenant_ids:
            with tenant_context(tid, db.session):
                ids = list(db.session.scalars(sa.select(Residency.id).order_by(Residency.id).limit(per_tenant)))
                for rid in ids:
                    s = time.perf_counter()
                    if floor:
                        _floor_draft(rid)
                    else:
                        from portal.incentives.operations import appraisal

                        appraisal.draft(db.session.get(Residency, rid), actor="基准")
                        db.session.commit()  # one short write each: the two workers share SQLite's write lock
                    times.append(time.perf_counter() - s)
                    done += 1
                db.session.commit()
        seconds = time.perf_counter() - t0
    # the first draft of a worker pays for imports and cold caches: reported apart
    return {"seconds": seconds, "done": done, "cold": times[0] if times else 0.0,
            "slowest": max(times[1:] or [0.0]), "rss_mb": _rss_mb()}


def _floor_draft(rid: int) -> str:
    import sqlalchemy as sa

    from portal.extensions import db

    recs = db.session.execute(sa.text("SELECT id, obligation_key, occurred_on, title FROM obligation_records "
                                      "WHERE subject_type = 'residency' AND subject_id = :r AND status <> 'returned'"),
                              {"r": rid}).all()
    meets = db.session.execute(sa.text("SELECT m.id, m.held_on FROM residency_meetings m JOIN residency_meeting_attendees a "
                                       "ON a.meeting_id = m.id WHERE a.residency_id = :r"), {"r": rid}).all()
    return "；".join(f"{r[1]}{r[2]}{r[3]}" for r in recs) + str(len(meets))


def _appraisals(app, tenant_ids, floor: bool) -> dict:
    db_url = app.config["SQLALCHEMY_DATABASE_URI"]
    upload = app.config["UPLOAD_FOLDER"]
    tenants = tenant_ids[: max(1, APPRAISALS // CHAIRS)]
    per_tenant = min(CHAIRS, APPRAISALS)
    shares = [tenants[w::WORKERS] for w in range(WORKERS)]
    ctx = mp.get_context("spawn")
    t0 = time.perf_counter()
    with ctx.Pool(WORKERS) as pool:
        results = pool.map(_worker, [(db_url, upload, s, per_tenant, floor) for s in shares])
    return {"wall": time.perf_counter() - t0, "seconds": max(r["seconds"] for r in results),
            "done": sum(r["done"] for r in results), "cold": max(r["cold"] for r in results),
            "slowest": max(r["slowest"] for r in results), "rss_mb": [round(r["rss_mb"], 1) for r in results]}


ROUNDS = int(os.environ.get("BENCH_INC_ROUNDS", 3))
APPRAISAL_ROUNDS = int(os.environ.get("BENCH_INC_APPRAISAL_ROUNDS", 2))


def _single_draft(app, tenant_ids, rounds: int = 5) -> tuple[list[float], list[float]]:
    """One appraisal drafted alone (warm: the process has drafted before), against the floor's
    plain reads of the same records, alternating."""
    import sqlalchemy as sa

    from portal.core.db import tenant_context
    from portal.extensions import db
    from portal.incentives.operations import appraisal
    from portal.residency.models import Residency

    real, floor = [], []
    with app.app_context():
        tid = tenant_ids[-1]
        with tenant_context(tid, db.session):
            ids = list(db.session.scalars(sa.select(Residency.id).order_by(Residency.id).limit(rounds + 1)))
            appraisal.draft(db.session.get(Residency, ids[0]), actor="基准")  # warm-up
            db.session.commit()
            for rid in ids[1:]:
                t = time.perf_counter()
                _floor_draft(rid)
                floor.append(time.perf_counter() - t)
                db.session.expunge_all()
                t = time.perf_counter()
                appraisal.draft(db.session.get(Residency, rid), actor="基准")
                db.session.commit()
                real.append(time.perf_counter() - t)
        db.session.remove()
    return real, floor


def _row(measure, values, floors, goal, limit, note="") -> dict:
    import statistics

    value, best = statistics.median(values), min(values)
    fl = statistics.median(floors) if floors else None
    return {"measure": measure, "value": value, "best": best, "floor": fl, "floor_best": min(floors) if floors else None,
            "ratio": value / fl if fl else None, "goal": goal, "met": value < limit, "note": note}


def run() -> list[dict]:
    """Alternating rounds (floor, app, floor, app …), median and best of each, as rows for the one
    ``make bench`` table."""
    from bench.common import bench_app

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    app = bench_app(FIXED_TODAY="2026-06-30")
    t0 = time.perf_counter()
    tenant_ids = _world(app)
    print(f"== incentives ({TENANTS} tenants × {CHAIRS} chairs = {TENANTS * CHAIRS}; set-up {time.perf_counter() - t0:.1f} s)")
    floors, reals = [], []
    for _ in range(ROUNDS):  # round 1 creates every tenant's draft run, later rounds recompute it
        floors.append(_runs_floor(app, tenant_ids))
        reals.append(_runs(app, tenant_ids))
    fa, ra = [], []
    for _ in range(APPRAISAL_ROUNDS):  # later rounds redraft the same drafts
        fa.append(_appraisals(app, tenant_ids, floor=True))
        ra.append(_appraisals(app, tenant_ids, floor=False))
    single, single_floor = _single_draft(app, tenant_ids)
    done = ra[-1]["done"]
    rows = [
        _row(f"allowance run + XLSX, {TENANTS} tenants (s)", reals, floors, "< 10 s", GOALS["runs_seconds"],
             f"{TENANTS * CHAIRS:,} chairs, {ROUNDS} rounds"),
        _row(f"{done:,} appraisals drafted, {WORKERS} workers (s)", [r["seconds"] for r in ra],
             [f["seconds"] for f in fa], "< 60 s", GOALS["appraisals_seconds"],
             f"{APPRAISAL_ROUNDS} rounds; slowest in a worker {max(r['slowest'] for r in ra) * 1000:.0f} ms warm"),
        _row("one appraisal drafted alone (ms)", [x * 1000 for x in single], [x * 1000 for x in single_floor],
             "< 1000 ms", GOALS["appraisal_max_seconds"] * 1000, f"{len(single)} drafts, warm"),
        _row("appraisal worker peak RSS (MB)", [max(r["rss_mb"]) for r in ra], [max(f["rss_mb"]) for f in fa],
             "reported", float("inf"), "per worker process"),
    ]
    return rows


if __name__ == "__main__":
    for r in run():
        print(r)
