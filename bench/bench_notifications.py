"""Fan-out of 3,000 letters (A6.1): rendered and delivered to a local aiosmtpd sink by 1 and 2
RQ workers, against the floor: the same letters rendered and sent to the same sink in one plain
loop over one SMTP connection, in a fresh process (``bench/notify_floor.py``).

The workers are ``flask worker notifications``, as production runs them for fan-out (README):
a worker of that queue alone runs its batches in its own process, and each batch goes out over
NOTIFY_SMTP_CONNECTIONS connections with one commit per group (portal/notifications/jobs.py).
The workers are started and registered before the letters are committed (the floor pays no
interpreter start-up either); the clock runs from the commit that enqueues the batches to the
sink holding every letter. Rounds alternate floor and app; median and best are reported, and
duplicates (by Message-ID) must be 0. Needs REDIS_URL (a scratch Redis database).
"""
from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LETTERS = int(os.environ.get("BENCH_LETTERS", 3000))
ROUNDS = int(os.environ.get("BENCH_NOTIFY_ROUNDS", 3))
BATCH = int(os.environ.get("BENCH_NOTIFY_BATCH", 50))  # the production default (NOTIFY_BATCH)
GOAL_SECONDS, GOAL_RATIO = 8.0, 2.5
TEMPLATE = "selection.cultivation_letter"


def _sink_class():
    """The tests' aiosmtpd sink, counting by Message-ID from the headers alone (no MIME parse per
    message: the sink is shared by app and floor and must not be the bottleneck)."""
    import re

    from tests.test_notifications_reliability import Sink

    header = re.compile(rb"^Message-ID:\s*(\S+)", re.I | re.M)

    class FastSink(Sink):
        async def handle_DATA(self, server, session, envelope):
            head = envelope.content.split(b"\r\n\r\n", 1)[0]
            m = header.search(head)
            with self.lock:
                self.ids[m.group(1).decode() if m else None] += 1
            return "250 OK"

    return FastSink


def _context(i: int) -> dict:
    return {"school_name": f"第{i}大学", "academic_year": "2025-2026", "deadline": "2025-10-31", "contact": "秘书处"}


def _workers(app, redis_url, n, port):
    env = dict(os.environ)
    env.update({"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                "DATABASE_OWNER_URL": app.config["DATABASE_OWNER_URL"] or "",
                "REDIS_URL": redis_url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port),
                "NOTIFY_BATCH": str(BATCH), "FLASK_APP": "wsgi.py", "PYTHONPATH": str(ROOT),
                "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"], "SECRET_KEY": "bench"})
    procs = []
    for i in range(n):
        cmd = [sys.executable, "-m", "flask", "worker", "notifications", "--no-periodic",
               "--name", f"bench-{os.getpid()}-{port}-{i}"]
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    return procs


def _wait_registered(redis_url, procs):
    from redis import Redis
    from rq import Worker

    conn = Redis.from_url(redis_url)
    names = {f"bench-{os.getpid()}-" in w.name for w in Worker.all(connection=conn)}
    for _ in range(600):
        for p in procs:
            if p.poll() is not None:
                raise SystemExit(f"worker failed: {p.stderr.read().decode(errors='replace')[-2000:]}")
        mine = [w for w in Worker.all(connection=conn) if w.name.startswith(f"bench-{os.getpid()}-")]
        if len(mine) >= len(procs):
            return
        time.sleep(0.1)
    raise SystemExit(f"workers did not register ({names})")


def _stop(procs):
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _app_round(app, redis_url, workers, sink) -> dict:
    from bench.common import new_tenant
    from portal.core.db import tenant_context
    from portal.extensions import db
    from portal.notifications.operations import notify

    procs = _workers(app, redis_url, workers, sink.port)
    try:
        _wait_registered(redis_url, procs)
        before = sink.total
        with app.app_context():
            t = new_tenant()
            with tenant_context(t.id, db.session):
                for i in range(LETTERS):
                    notify(t.id, template_key=TEMPLATE, context=_context(i),
                           recipient_email=f"party{i}@school.example.cn", channels=("email",))
                db.session.flush()
                t0 = time.perf_counter()
                db.session.commit()  # enqueues LETTERS / BATCH delivery jobs
            db.session.remove()
        deadline = t0 + 600
        while sink.total - before < LETTERS and time.perf_counter() < deadline:
            time.sleep(0.01)
        seconds = time.perf_counter() - t0
    finally:
        _stop(procs)
    return {"seconds": seconds, "delivered": sink.total - before}


def _floor_spec(app, port, tmp) -> str:
    from bench.common import new_tenant
    from portal.notifications.catalog import base_context, template_def

    with app.app_context():
        t = new_tenant()
        base = base_context(t)
        d = template_def(TEMPLATE)
        from portal.extensions import db

        db.session.remove()
    spec = {"port": port, "subject": d.subject, "body": d.body, "base": base,
            "sender": app.config.get("MAIL_DEFAULT_SENDER") or "noreply@portal.local",
            "contexts": [{**_context(i), "_to": f"party{i}@school.example.cn"} for i in range(LETTERS)]}
    path = os.path.join(tmp, "notify_floor.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(spec, fh, ensure_ascii=False, default=str)
    return path


def _floor_round(path) -> float:
    out = subprocess.run([sys.executable, "-m", "bench.notify_floor", path], cwd=ROOT, capture_output=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    return json.loads(out.stdout.decode().strip().splitlines()[-1])["seconds"]


def run() -> list[dict]:
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        print("== notifications: skipped (set REDIS_URL, e.g. redis://127.0.0.1:6379/11)")
        return []
    from redis import Redis

    from bench.common import bench_app
    Sink = _sink_class()

    Redis.from_url(redis_url).flushdb()
    app = bench_app(REDIS_URL=redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=25, NOTIFY_BATCH=BATCH)
    rows = []
    with Sink() as sink:
        app.config["MAIL_PORT"] = sink.port
        app.extensions["mail"].port = sink.port
        path = _floor_spec(app, sink.port, app.bench_tmp)
        floors, runs = [], {1: [], 2: []}
        for r in range(ROUNDS):
            for workers in (1, 2):
                if r % 2:
                    runs[workers].append(_app_round(app, redis_url, workers, sink))
                    floors.append(_floor_round(path))
                else:
                    floors.append(_floor_round(path))
                    runs[workers].append(_app_round(app, redis_url, workers, sink))
        dupes = sum(1 for v in sink.ids.values() if v > 1)
    floor, floor_best = statistics.median(floors), min(floors)
    for workers in (1, 2):
        secs = [m["seconds"] for m in runs[workers]]
        lost = sum(LETTERS - m["delivered"] for m in runs[workers])
        value = statistics.median(secs)
        ratio = value / floor
        met = dupes == 0 and lost == 0 and (workers == 1 or (value < GOAL_SECONDS and ratio <= GOAL_RATIO))
        rows.append({"measure": f"{LETTERS:,} letters, {workers} worker{'s' if workers > 1 else ''} (s)",
                     "value": value, "best": min(secs), "floor": floor, "floor_best": floor_best, "ratio": ratio,
                     "goal": "no dup/loss" if workers == 1 else f"< {GOAL_SECONDS:g} s, <= {GOAL_RATIO:g}x",
                     "met": met, "note": f"runs {', '.join(f'{s:.1f}' for s in secs)}; dup {dupes}, lost {lost}"})
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    for row in run():
        print(row)
