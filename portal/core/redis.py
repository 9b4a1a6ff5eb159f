"""One Redis connection per process, or None in the embedded default."""
from __future__ import annotations

from flask import current_app

_clients: dict[str, object] = {}


def get_redis(url: str | None = None):
    url = url or current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url)
        _clients[url] = client
    return client
