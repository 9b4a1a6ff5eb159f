"""The portal as the bench serves it through gunicorn: ``create_app`` with BENCH_APP_CONFIG (JSON),
its start-up heap frozen as ``wsgi.py`` does in production."""
import json
import os

from portal import create_app
from portal.core.heap import freeze_startup_heap

app = create_app(**json.loads(os.environ["BENCH_APP_CONFIG"]))
freeze_startup_heap()
