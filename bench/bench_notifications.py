"""Fan-out of 3,000 letters (A6.1) rendered and delivered to a local aiosmtpd sink by 1 and
2 RQ workers, against the floor: the same number of RQ no-op jobs on the same worker class.

Needs REDIS_URL (uses its queues; run it on a scratch Redis database). The database is
BENCH_DATABASE_URL or a fresh SQLite file.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LETTERS = int(os.environ.get("BENCH_LETTERS", 3000))
BATCH = 50


def _workers(app, redis_url, n, port):
    env = dict(os.environ)
    env.update({"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                "DATABASE_OWNER_URL": app.config["DATABASE_OWNER_URL"] or "",
                "REDIS_URL": redis_url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port),
                "NOTIFY_BATCH": str(BATCH), "FLASK_APP": "wsgi.py", "PYTHONPATH": str(ROOT),
                "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"], "SECRET_KEY": "bench"})
    cmd = [sys.executable, "-m", "flask", "worker", "notifications", "default", "--burst", "--no-periodic"]
    return [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for _ in range(n)]


def _wait(procs):
    for p in procs:
        _, err = p.communicate()
        if p.returncode:
            raise SystemExit(f"worker failed: {err.decode(errors='replace')[-2000:]}")


def _fan_out(app, n):
    from bench.common import new_tenant
    from portal.core.db import tenant_context
    from portal.extensions import db
    from portal.notifications.operations import notify

    with app.app_context():
        t = new_tenant()
        with tenant_context(t.id, db.session):
            for i in range(n):
                notify(t.id, template_key="selection.cultivation_letter",
                       context={"school_name": f"第{i}大学", "academic_year": "2025-2026",
                                "deadline": "2025-10-31", "contact": "秘书处"},
                       recipient_email=f"party{i}@school.example.cn", channels=("email",))
            db.session.commit()  # enqueues n / BATCH delivery jobs
        db.session.remove()
    return t.id


def _floor(redis_url, jobs, workers, app, port):
    from redis import Redis
    from rq import Queue

    q = Queue("default", connection=Redis.from_url(redis_url))
    for _ in range(jobs):
        q.enqueue("bench.noop.noop")
    t0 = time.perf_counter()
    _wait(_workers(app, redis_url, workers, port))
    return time.perf_counter() - t0


def run() -> dict | None:
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        print("== notifications: skipped (set REDIS_URL, e.g. redis://127.0.0.1:6379/14)")
        return None
    from tests.test_notifications_reliability import Sink  # the same aiosmtpd sink as the tests

    from bench.common import bench_app

    app = bench_app(REDIS_URL=redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=25, NOTIFY_BATCH=BATCH)
    results = {}
    print(f"== notifications: {LETTERS} letters, batches of {BATCH}, "
          f"database {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    for workers in (1, 2):
        with Sink() as sink:
            app.config["MAIL_PORT"] = sink.port
            app.extensions["mail"].port = sink.port
            _fan_out(app, LETTERS)
            t0 = time.perf_counter()
            _wait(_workers(app, redis_url, workers, sink.port))
            elapsed = time.perf_counter() - t0
            delivered = sink.total
            dupes = sum(1 for v in sink.ids.values() if v > 1)
            floor = _floor(redis_url, -(-LETTERS // BATCH), workers, app, sink.port)
        results[workers] = {"seconds": elapsed, "delivered": delivered, "duplicates": dupes, "floor": floor}
        print(f"  {workers} worker(s): {delivered} delivered in {elapsed:.2f} s "
              f"({delivered / elapsed:.0f}/s), duplicates {dupes}; floor ({-(-LETTERS // BATCH)} no-op jobs, "
              f"same worker class) {floor:.2f} s; ratio {elapsed / floor:.2f}x"
              + ("  goal < 30 s: " + ("ok" if elapsed < 30 else "MISSED") if workers == 2 else ""))
    return results


if __name__ == "__main__":
    run()
