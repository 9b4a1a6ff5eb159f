"""The portal as the bench serves it through gunicorn: ``create_app`` with BENCH_APP_CONFIG (JSON)."""
import json
import os

from portal import create_app

app = create_app(**json.loads(os.environ["BENCH_APP_CONFIG"]))
