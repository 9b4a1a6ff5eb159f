"""Periodic jobs declared as data (Redash ``tasks/schedule.py`` style).

``flask worker`` runs a small ticker thread that enqueues each periodic job on its queue
when due; a Redis ``SET NX EX`` lock per job and period means several workers enqueue it
once. In the embedded mode (no Redis) the same table is run by an in-process timer.
Every periodic job is idempotent (conditional claims, dedupe keys), so a double run is
harmless anyway.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from werkzeug.utils import import_string

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    func: str            # dotted path, called with no arguments inside an app context
    interval: int        # seconds
    queue: str = "default"


# The periodic table: the jobs package's own and core's; features add theirs from their
# init_app with register_periodic (the table names dotted paths, so jobs imports no feature).
PERIODIC = [
    Periodic("stuck-jobs", "portal.jobs.operations.sweep_stuck_jobs", 300, "default"),
    Periodic("form-tokens", "portal.core.once.purge_expired", 86400, "default"),
    Periodic("vault-sweep", "portal.core.vault.sweep_orphans", 3600, "default"),
]

# Sweeps run by ``flask jobs sweep`` (re-dispatch what a crash left behind): (label, dotted path,
# unit). The function returns how many it re-dispatched.
SWEEPS = [("任务：重新派发", "portal.jobs.operations.sweep_stuck_jobs", "个")]


def register_periodic(periodic: Periodic) -> None:
    """A feature's periodic job (once per name: a second app in the process registers nothing twice)."""
    if all(p.name != periodic.name for p in PERIODIC):
        PERIODIC.append(periodic)


def register_sweep(label: str, func: str, unit: str = "条") -> None:
    if all(f != func for _l, f, _u in SWEEPS):
        SWEEPS.insert(0, (label, func, unit))


def enqueue_due(conn, now: float | None = None) -> list[str]:
    """Enqueue every periodic job whose lock is free (one enqueue per period cluster-wide)."""
    from rq import Queue

    done = []
    for p in PERIODIC:
        if conn.set(f"portal:periodic:{p.name}", int(now or time.time()), nx=True, ex=p.interval):
            Queue(p.queue, connection=conn).enqueue(
                "portal.jobs.runner.execute_periodic", p.func, job_timeout=max(60, p.interval),
                result_ttl=600, description=f"periodic {p.name}")
            done.append(p.name)
    return done


def start_ticker(conn, stop: threading.Event, tick: float = 5.0) -> threading.Thread:
    def loop():
        while not stop.is_set():
            try:
                enqueue_due(conn)
            except Exception:
                log.warning("periodic ticker: Redis unavailable", exc_info=True)
            stop.wait(tick)

    t = threading.Thread(target=loop, name="portal-periodic", daemon=True)
    t.start()
    return t


_embedded_started: set[int] = set()


def start_embedded_timer(app) -> None:
    """Embedded mode: run the periodic table in-process (once per app)."""
    if id(app) in _embedded_started:
        return
    _embedded_started.add(id(app))
    last: dict[str, float] = {}

    def loop():
        while True:
            for p in PERIODIC:
                if time.time() - last.get(p.name, 0) >= p.interval:
                    last[p.name] = time.time()
                    with app.app_context():
                        try:
                            import_string(p.func)()
                        except Exception:
                            log.warning("periodic %s failed", p.name, exc_info=True)
                        finally:
                            from portal.extensions import db

                            db.session.remove()
            time.sleep(10)

    threading.Thread(target=loop, name="portal-embedded-timer", daemon=True).start()
