"""One place owns the transaction (Indico ``RH.process``): the request, the job, the CLI.

Views and operations only ``flush()``. A request that ends with a status below 400
commits; anything else (an error page, an exception) rolls back, so a failed multi-step
write leaves nothing half-written.
"""
from __future__ import annotations

import contextlib

from flask import g

from portal.extensions import db


def init_app(app):
    @app.after_request
    def _commit(response):
        if g.get("_no_commit"):
            db.session.rollback()
        elif response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def _rollback(exc):
        if exc is not None:
            db.session.rollback()


@contextlib.contextmanager
def transaction():
    """For jobs and commands: commit on success, roll back on any exception."""
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
