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


# --- files written inside a transaction ---------------------------------------------------------
# A file that belongs to a database row is written only after the row has been flushed (a row the
# database refuses — a NUL in a name on PostgreSQL — leaves no file behind), and is removed again
# if the transaction rolls back after all (a later step fails, or the commit does).

_FILES_KEY = "portal.files_written"


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary name, so no half-written file is ever seen."""
    import os
    import uuid

    tmp = f"{path}.{uuid.uuid4().hex[:8]}.part"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def write_file(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` (:func:`write_atomically`) and remember it in the session: a
    rollback of the transaction deletes it. (The vault, ``portal.core.vault``, writes only after
    the commit instead.)"""
    write_atomically(path, data)
    db.session.info.setdefault(_FILES_KEY, []).append(path)


def _forget_files(session) -> None:
    session.info.pop(_FILES_KEY, None)


def _remove_files(session, previous_transaction) -> None:
    import os

    if previous_transaction.parent is not None:  # a savepoint inside the transaction: not the end
        return
    for path in session.info.pop(_FILES_KEY, []):
        with contextlib.suppress(OSError):
            os.remove(path)


def _listen() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _forget_files):
        event.listen(Session, "after_commit", _forget_files)
        event.listen(Session, "after_soft_rollback", _remove_files)


_listen()
