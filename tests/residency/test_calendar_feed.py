"""Issue 12 item 8: each user's own deadlines as an ICS feed behind a revocable secret address
(A9 talks, A14 receipts and dues among them): only the hash is stored, a new address or a
revocation ends the old one, the feed is tenant-scoped and shows only what its user may see."""
from __future__ import annotations

import datetime as dt
import hashlib
import re

import sqlalchemy as sa
from icalendar import Calendar

from portal.core.db import tenant_context
from portal.extensions import db
from portal.residency import relations as rel
from portal.residency.relations_models import CalendarToken
from tenants.models import Role
from tests.factories import PASSWORD, member
from tests.factories_residency import cohort
from tests.residency.relations_helpers import chair_user, set_status
from tests.residency.rotation_helpers import departments, halves, place


def _issue(client, slug):
    page = client.post(f"/{slug}/residency/calendar", data={"action": "issue"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    (url,) = re.findall(r"<code>(http[^<]+\.ics)</code>", html)
    return url.split("://", 1)[1].split("/", 1)[1]


def _events(body: bytes):
    cal = Calendar.from_ical(body)
    return [(str(e.get("summary")), e.decoded("dtstart")) for e in cal.walk("VEVENT")]


def test_A14_a_chairs_feed_holds_their_deadlines_and_never_anothers(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2025-10-09"
    w, (res, other) = cohort(2)
    with tenant_context(w.tenant.id, db.session):
        for r in (res, other):
            set_status(r, "中共党员")
            (t,) = rel.open_outbound(r, actor=w.admin)
            rel.issue_letter(t, letter_no="8号", letter_date=dt.date(2025, 9, 26), to_org="机关党委",
                             actor=w.admin, roles={Role.secretariat_admin}, today=dt.date(2025, 9, 26))
    login_as(chair_user(res, with_password=True))
    path = _issue(client, w.tenant.slug)
    anon = app.test_client()
    got = anon.get("/" + path)
    assert got.status_code == 200 and got.mimetype == "text/calendar"
    events = _events(got.data)
    names = " ".join(s for s, _ in events)
    assert res.chair.name in names and other.chair.name not in names
    assert ("党组织关系转接回执（%s）" % res.chair.name, dt.date(2025, 10, 30)) in events  # A14 receipt due
    assert any(s.startswith("及时、足额缴纳党（团）费") and d == dt.date(2025, 10, 31) for s, d in events)
    assert not any(s.startswith("部门主要负责同志谈心谈话") for s, _ in events)   # the head's, not the chair's
    token = path.rsplit("/", 1)[1][:-4]
    with tenant_context(w.tenant.id, db.session):
        (row,) = db.session.scalars(sa.select(CalendarToken)).all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash


def test_A14_a_new_address_or_a_revocation_ends_the_old_one_and_the_feed_is_tenant_scoped(app, client, login_as,
                                                                                          session):
    app.config["FIXED_TODAY"] = "2025-10-09"
    w, (res,) = cohort(1)
    w2, _ = cohort(1)
    login_as(chair_user(res, with_password=True))
    first = _issue(client, w.tenant.slug)
    anon = app.test_client()
    assert anon.get("/" + first).status_code == 200
    second = _issue(client, w.tenant.slug)
    assert anon.get("/" + first).status_code == 404 and anon.get("/" + second).status_code == 200
    other_tenant = "/" + second.replace(w.tenant.slug, w2.tenant.slug, 1)
    assert anon.get(other_tenant).status_code == 404             # the address is this tenant's only
    api = client.get(f"/api/v1/{w.tenant.slug}/residency/calendar-feed").get_json()
    assert api["active"] is True and api["url"] is None          # the address is never shown again
    page = client.post(f"/{w.tenant.slug}/residency/calendar", data={"action": "revoke"}, follow_redirects=True)
    assert page.status_code == 200
    assert anon.get("/" + second).status_code == 404
    assert anon.get(f"/{w.tenant.slug}/residency/calendar/not-a-token.ics").status_code == 404
    r = client.post(f"/api/v1/{w.tenant.slug}/residency/calendar-feed")
    assert r.status_code == 201 and r.get_json()["url"].endswith(".ics")
    third = r.get_json()["url"].split("://", 1)[1].split("/", 1)[1]
    assert anon.get("/" + third).status_code == 200
    assert client.delete(f"/api/v1/{w.tenant.slug}/residency/calendar-feed").get_json()["active"] is False
    assert anon.get("/" + third).status_code == 404


def test_A9_a_department_heads_feed_holds_the_talks_they_owe_and_the_feed_is_rate_limited(app, client, login_as,
                                                                                         session):
    app.config["FIXED_TODAY"] = "2025-10-09"
    app.config["CALENDAR_FEED_PER_HOUR"] = 2
    w, (res,) = cohort(1)
    _sec, (dept,), (head,) = departments(w, 1)
    place(w, res, dept, dt.date(2025, 9, 1), dt.date(2026, 2, 28))
    head.set_password(PASSWORD)
    head.password_set_at = dt.datetime(2026, 1, 1)
    login_as(head)
    path = _issue(client, w.tenant.slug)
    anon = app.test_client()
    events = _events(anon.get("/" + path).data)
    assert any(s == f"部门主要负责同志谈心谈话（{res.chair.name}）" for s, _ in events)
    assert not any(s.startswith("及时、足额缴纳") for s, _ in events)          # the chair's own duty
    assert anon.get("/" + path).status_code == 200
    limited = anon.get("/" + path)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    # a user who leaves the tenant loses the feed
    from tenants.models import Membership

    with tenant_context(w.tenant.id, db.session):
        for m in db.session.scalars(sa.select(Membership).where(Membership.user_id == head.id)):
            m.active = False
    db.session.commit()
    app.config["CALENDAR_FEED_PER_HOUR"] = 100
    assert anon.get("/" + path).status_code == 404


def test_A9_A12_a_heads_feed_holds_only_the_talks_of_the_chairs_in_the_heads_department(app, client, login_as,
                                                                                       session):
    """The feed's scope is the desk's: a head owes the talks of the segments in the head's
    department, not every chair's (issue 12 item 8 with A12's rotation)."""
    app.config["FIXED_TODAY"] = "2025-10-09"
    w, (a, b, c) = cohort(3)
    _sec, (dept1, dept2), (head1, head2) = departments(w, 2)
    halves(w, a, dept1, dept2)      # a: head1's first half, head2's second
    halves(w, b, dept2, dept1)      # b: the other way round
    halves(w, c, dept2, dept2)      # c: never in head1's department
    for h in (head1, head2):
        h.set_password(PASSWORD)
        h.password_set_at = dt.datetime(2026, 1, 1)

    def feed(head):
        login_as(head)
        return _events(app.test_client().get("/" + _issue(client, w.tenant.slug)).data)

    def talks(events, res):
        return sorted(d for s, d in events if s == f"部门主要负责同志谈心谈话（{res.chair.name}）")

    first, second = feed(head1), feed(head2)
    assert talks(first, a) and all(d <= dt.date(2026, 2, 28) for d in talks(first, a))   # a's first half only
    assert talks(first, b) and all(d >= dt.date(2026, 3, 1) for d in talks(first, b))    # b's second half only
    assert talks(first, c) == []                                                          # never in dept1
    assert talks(second, c) and all(d >= dt.date(2026, 3, 1) for d in talks(second, a))
    assert all(d <= dt.date(2026, 2, 28) for d in talks(second, b))
    assert not set(talks(first, a)) & set(talks(second, a))      # each talk period owed by one head
    assert not any(s.startswith("及时、足额缴纳") for s, _ in first + second)   # the chairs' own duties
