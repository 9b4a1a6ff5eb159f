"""``flask worker [queues...]`` and ``flask jobs ...``."""
from __future__ import annotations

import threading

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from portal.jobs.operations import IN_PROCESS_QUEUES, QUEUES

jobs_cli = AppGroup("jobs", help="后台任务")


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="处理完队列后退出")
@click.option("--simple/--fork", default=None,
              help="在本进程内执行任务（SimpleWorker），或每个任务 fork 一个子进程；"
                   "默认：只监听 notifications 时在本进程内，否则 fork")
@click.option("--no-periodic", is_flag=True, help="不启动周期任务（出件箱巡检、提醒）")
@click.option("--name", default=None)
@with_appcontext
def worker(queues, burst, simple, no_periodic, name):
    """Start an RQ worker (with the RQ scheduler) inside the app context."""
    from rq import Queue, SimpleWorker, Worker

    from portal.core.redis import get_redis

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("未配置 REDIS_URL：嵌入式模式下任务在网站进程内执行，无需启动 worker")
    names = list(queues) or list(QUEUES)
    unknown = [q for q in names if q not in QUEUES]
    if unknown:
        raise click.ClickException(f"未知的队列：{'、'.join(unknown)}（可用：{'、'.join(QUEUES)}）")
    conn = get_redis(worker=True)  # blocks while waiting for work: RQ sets its socket timeout
    stop = threading.Event()
    if not no_periodic:
        from portal.jobs.periodic import start_ticker

        start_ticker(conn, stop)
    if simple is None:
        # A fork per job costs a notification batch ~100 ms (the fork itself, then every cache
        # cold: compiled SQL, templates, a new database connection), as much as sending 30
        # letters; its jobs are many and small, so a worker of that queue alone keeps them in
        # process. Documents (large, memory-heavy) keep a fork each: the memory goes back at
        # each job's end.
        simple = all(n in IN_PROCESS_QUEUES for n in names)
    cls = SimpleWorker if simple else Worker
    from portal.core.heap import freeze_startup_heap

    freeze_startup_heap()  # the worker's own objects live as long as it does (portal/core/heap.py)
    w = cls([Queue(n, connection=conn) for n in names], connection=conn, name=name)
    try:
        w.work(with_scheduler=True, burst=burst)
    finally:
        stop.set()


@jobs_cli.command("sweep")
@with_appcontext
def sweep():
    """Re-enqueue stale outbox rows and stuck jobs once (every registered sweep)."""
    from werkzeug.utils import import_string

    from portal.jobs.periodic import SWEEPS

    click.echo("；".join(f"{label} {import_string(func)()} {unit}" for label, func, unit in SWEEPS))
