"""WSGI entry point: `gunicorn wsgi:app`."""
from portal import create_app
from portal.core.heap import freeze_startup_heap

app = create_app()
freeze_startup_heap()  # the app's own objects live as long as the process (portal/core/heap.py)
