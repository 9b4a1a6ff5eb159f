"""The floor under the same gunicorn: a bare Flask app replaying, per page, the exact statements
the portal's request ran (captured with their parameters at the DB-API level) on a bare driver
connection (sqlite3 / psycopg), every row fetched and rendered by a bare Jinja template.
The same work minus the app: no login, tenant look-up, rules, templates of the portal, commit hook."""
import os
import pickle

import jinja2
from flask import Flask

TEMPLATE = """<!doctype html><html><body>{% for rows in results %}<table>{% for r in rows %}<tr>
{% for c in r %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</table>{% endfor %}</body></html>"""

with open(os.environ["BENCH_FLOOR_STATEMENTS"], "rb") as fh:
    PAGES = pickle.load(fh)
URL = os.environ["BENCH_FLOOR_DB"]
template = jinja2.Environment(autoescape=True).from_string(TEMPLATE)
app = Flask("floor")
_conn = None


def _connect():
    global _conn
    if _conn is None:
        if URL.startswith("sqlite"):
            import sqlite3

            _conn = sqlite3.connect(URL.split("///", 1)[1])
        else:
            import psycopg

            _conn = psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"))
    return _conn


@app.get("/ping")
def ping():
    return "ok"


@app.get("/page/<name>")
def page(name):
    raw = _connect()
    cur = raw.cursor()
    results = []
    for statement, params, many in PAGES[name]:
        if many:
            cur.executemany(statement, params)
            continue
        cur.execute(statement, params)
        if cur.description is not None:
            results.append(cur.fetchall())
    raw.rollback()
    return template.render(results=results)
