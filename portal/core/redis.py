"""One Redis connection per process and purpose, or None in the embedded default.

Every client has timeouts: a Redis that accepts connections but never answers (a partition,
a stalled server) must cost a request seconds, not a gunicorn worker. The web's client gives
up on connecting after ``REDIS_CONNECT_TIMEOUT`` and on any reply after
``REDIS_SOCKET_TIMEOUT`` seconds; its callers then fall back (a job waits for the sweep, the
throttle uses the database). The worker's client blocks on purpose while it waits for work
(RQ's dequeue), so it keeps the connect timeout and leaves the socket timeout to RQ, which
sets it just above its dequeue timeout.
"""
from __future__ import annotations

from flask import current_app

_clients: dict[tuple[str, bool], object] = {}


def get_redis(url: str | None = None, *, worker: bool = False):
    config = current_app.config
    url = url or config.get("REDIS_URL")
    if not url:
        return None
    client = _clients.get((url, worker))
    if client is None:
        import redis

        options = {"socket_connect_timeout": float(config.get("REDIS_CONNECT_TIMEOUT", 2.0)),
                   "health_check_interval": 30}
        if not worker:
            options["socket_timeout"] = float(config.get("REDIS_SOCKET_TIMEOUT", 5.0))
        client = redis.Redis.from_url(url, **options)
        _clients[(url, worker)] = client
    return client
