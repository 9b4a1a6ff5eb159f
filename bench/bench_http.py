"""Pages measured from outside, through gunicorn as production serves them (issue 10 items 4, 6).

* The app: ``gunicorn bench.wsgi_bench:app`` (1 sync worker), logged in as the secretariat over
  HTTP; every page at 10,000 nominations over 3,000 schools.
* The floor: ``gunicorn bench.floor_wsgi:app`` under the same gunicorn settings, replaying the
  exact statements the page's request ran (captured once, warm, with their parameters at the
  DB-API level) on the bare driver, every row fetched and rendered by a bare Jinja template.
* Alternating rounds (app, floor, floor, app, ...) of PER_ROUND requests each, by one client;
  each round gives a median; the table gives the median of the rounds' medians and the best round,
  and the note the app's p95 over every timed request.
* The public notice is an open 公示 naming ten nominees, read as the public reads it: anonymous.
  Sizes: BENCH_PAGE_NOMINATIONS (default 10,000) over BENCH_PAGE_SCHOOLS (bench_pages).
"""
from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import pickle
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("BENCH_HTTP_ROUNDS", 9))
ANONYMOUS = {"public notice"}  # pages measured as the public sees them (no session)
PER_ROUND = int(os.environ.get("BENCH_HTTP_REQUESTS", 15))
APP_PORT = int(os.environ.get("BENCH_APP_PORT", 5111))
FLOOR_PORT = int(os.environ.get("BENCH_FLOOR_PORT", 5112))
TODAY = dt.date(2026, 3, 16)
# (measure, goal ratio to the floor): the small pages within 2x (item 4), the cycle page within
# 2x and the lists within 1.5x (items 1-2).
GOALS = {"dashboard": 2.0, "rules comparison": 2.0, "public notice": 2.0, "cycle page": 2.0,
         "list page 1": 1.5, "list deep page": 1.5}
HTML_GOAL_KB = 200.0
UA = "portal-bench/1"


def _gunicorn(module: str, port: int, env: dict) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "sync", "--bind", f"127.0.0.1:{port}",
           "--log-level", "warning", "--timeout", "120", module]
    return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _request(port, path, method="GET", body=None, cookie=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"User-Agent": UA}
    if cookie:
        headers["Cookie"] = cookie
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, data


def _wait_up(port, path, proc):
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn on {port} died: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            _request(port, path)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn on {port} did not answer")


def _login(port, email, password) -> str:
    body = urllib.parse.urlencode({"email": email, "password": password})
    resp, _ = _request(port, "/login", "POST", body)
    assert resp.status == 302, resp.status
    cookies = [c.split(";", 1)[0] for c in resp.headers.get_all("Set-Cookie") or []]
    return "; ".join(cookies)


def _capture(app, client, url):
    import sqlalchemy as sa

    from portal.extensions import db

    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
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


def _rounds(app_call, floor_call) -> dict:
    app_med, floor_med, app_all = [], [], []
    for i in range(ROUNDS):
        order = (("app", app_call), ("floor", floor_call))
        if i % 2:
            order = order[::-1]
        for name, call in order:
            call()  # the first request of a block is not timed (connection, caches)
            times = []
            for _ in range(PER_ROUND):
                t0 = time.perf_counter()
                call()
                times.append(time.perf_counter() - t0)
            (app_med if name == "app" else floor_med).append(statistics.median(times) * 1000)
            if name == "app":
                app_all.extend(t * 1000 for t in times)
    app_all.sort()
    return {"app_ms": statistics.median(app_med), "app_best_ms": min(app_med),
            "app_p95_ms": app_all[min(len(app_all) - 1, int(len(app_all) * 0.95))],
            "floor_ms": statistics.median(floor_med), "floor_best_ms": min(floor_med)}


def run() -> list[dict]:
    from bench.bench_pages import PASSWORD, _client, _world
    from bench.bench_selection import _analyze
    from bench.common import bench_app

    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/11"
    app = bench_app(WTF_CSRF_ENABLED=False, FIXED_TODAY=TODAY, REDIS_URL=redis_url)
    world = _world(app)
    _analyze(app)
    slug = world["slug"]
    base = f"/{slug}/selection/cycles/{world['cycle_id']}"
    # the public notice: an open 公示 as the public reads it (anonymous: no cookie)
    urls = {"dashboard": f"/{slug}/", "rules comparison": f"/{slug}/rules/",
            "public notice": f"/{slug}/public/notices/{world['notice_id']}",
            "cycle page": base, "list page 1": f"{base}/nominations",
            "list deep page": f"{base}/nominations?cursor={world['cursor']}"}
    client, anonymous = _client(app), app.test_client()
    statements, sizes = {}, {}
    for name, url in urls.items():
        c = anonymous if name in ANONYMOUS else client
        for _ in range(3):  # warm, as the gunicorn worker will be
            c.get(url)
        statements[name], sizes[name] = _capture(app, c, url)
    path = os.path.join(app.bench_tmp, "floor_statements.pickle")
    with open(path, "wb") as fh:
        pickle.dump(statements, fh)
    cfg = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
           "DATABASE_OWNER_URL": app.config["DATABASE_OWNER_URL"], "SECRET_KEY": "bench",
           "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"], "WTF_CSRF_ENABLED": False,
           "FIXED_TODAY": TODAY.isoformat(), "REDIS_URL": redis_url}
    app_proc = _gunicorn("bench.wsgi_bench:app", APP_PORT, {"BENCH_APP_CONFIG": json.dumps(cfg)})
    floor_proc = _gunicorn("bench.floor_wsgi:app", FLOOR_PORT,
                           {"BENCH_FLOOR_STATEMENTS": path, "BENCH_FLOOR_DB": app.config["SQLALCHEMY_DATABASE_URI"]})
    rows = []
    try:
        _wait_up(APP_PORT, "/login", app_proc)
        _wait_up(FLOOR_PORT, "/ping", floor_proc)
        session = _login(APP_PORT, "bench-pages@example.cn", PASSWORD)
        for name, url in urls.items():
            cookie = None if name in ANONYMOUS else session
            resp, data = _request(APP_PORT, url, cookie=cookie)
            assert resp.status == 200, (name, url, resp.status)
            floor_path = f"/page/{urllib.parse.quote(name)}"
            fresp, _ = _request(FLOOR_PORT, floor_path)
            assert fresp.status == 200, (name, fresp.status)
            m = _rounds(lambda u=url, ck=cookie: _request(APP_PORT, u, cookie=ck),
                        lambda p=floor_path: _request(FLOOR_PORT, p))
            goal = GOALS[name]
            ratio = m["app_ms"] / m["floor_ms"]
            rows.append({"measure": f"{name} (HTTP, ms)", "value": m["app_ms"], "best": m["app_best_ms"],
                         "floor": m["floor_ms"], "floor_best": m["floor_best_ms"], "ratio": ratio,
                         "goal": f"<= {goal:g}x", "met": ratio <= goal,
                         "note": f"p95 {m['app_p95_ms']:.1f} ms, {len(statements[name])} statements"
                                 + (", anonymous" if name in ANONYMOUS else "")})
            if name == "cycle page":
                kb = len(data) / 1024
                rows.append({"measure": "cycle page HTML (KB)", "value": kb, "best": kb, "floor": None,
                             "floor_best": None, "ratio": None, "goal": f"< {HTML_GOAL_KB:g} KB",
                             "met": kb < HTML_GOAL_KB, "note": ""})
    finally:
        for p in (app_proc, floor_proc):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    for r in run():
        print(r)
