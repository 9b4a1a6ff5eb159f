"""A8's roster at any size runs the same statements (issue 12's benchmark goal): every chair's
records, segments (with their departments and heads), school and login are read set-wise, never
row by row. Each chair here has a rotation segment, a report, a talk and a returned record."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db
from portal.residency import operations as rops
from tenants.models import Role
from tests.factories_residency import cohort
from tests.residency.rotation_helpers import departments, halves

TODAY = "2026-03-16"


def _cohort_with_a_year(n: int):
    from portal.auth.models import User

    w, chairs = cohort(n)
    sec, (dept,), (head,) = departments(w, 1)
    with tenant_context(w.tenant.id, db.session):
        for res in chairs:
            halves(w, res, dept, sec)
            chair = db.session.get(User, res.chair.user_id)
            rops.record(res, "a9_report", actor=chair, roles={Role.chair}, occurred_on=dt.date(2025, 12, 1),
                        title="思想汇报", content="汇报", today=dt.date(2025, 12, 1))
            rops.record_talk(res, actor=head, roles={Role.department_head}, occurred_on=dt.date(2025, 10, 9),
                             place="办公室", topic="工作", content="谈话内容", today=dt.date(2025, 10, 9))
            back = rops.record(res, "a14_dues", actor=chair, roles={Role.chair}, occurred_on=dt.date(2025, 9, 10),
                               title="9月团费", today=dt.date(2025, 9, 10))
            rops.review(back, False, actor=w.admin, roles={Role.secretariat_admin}, note="金额不符")
    db.session.flush()
    return w, chairs


def _statements(app, client, login_as, w) -> tuple[int, str]:
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    login_as(w.admin)
    client.get(f"/{w.tenant.slug}/residency/")  # warm: the session's first request loads its caches
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = client.get(f"/{w.tenant.slug}/residency/")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert page.status_code == 200
    return len(seen), page.get_data(as_text=True)


def test_A8_the_roster_runs_the_same_statements_at_two_sizes(app, client, login_as, session):
    app.config["FIXED_TODAY"] = TODAY
    (small, few), (large, many) = _cohort_with_a_year(2), _cohort_with_a_year(12)
    n_small, html_small = _statements(app, client, login_as, small)
    n_large, html_large = _statements(app, client, login_as, large)
    for w, chairs, html in ((small, few, html_small), (large, many, html_large)):
        for res in chairs:  # every row is there, with its profile link and its name
            assert f'href="/{w.tenant.slug}/residency/{res.id}"' in html and res.chair.name in html
    assert html_large.count('class="badge red"') == 12     # each row's overdue items counted
    assert n_small == n_large, (n_small, n_large)
