"""Issue 8 item 8: nothing of a public notice is published before it starts; the public PDF
is the one the documents job built (item 7, below: objections are throttled and challenged)."""
from __future__ import annotations

import datetime as dt

import pytest

from portal.core.db import tenant_context
from portal.documents.models import GeneratedDocument
from portal.extensions import db
from tests.selection.helpers import notice_open_today, open_cycle, world


def _future(notice, days=3):
    notice.starts_on = SUITE_TODAY + dt.timedelta(days=days)
    notice.ends_on = notice.starts_on + dt.timedelta(days=7)
    db.session.flush()


@pytest.mark.parametrize("suffix", ["", "/notice.pdf"])
def test_A6_5_a_notice_not_yet_started_is_404_page_and_pdf(client, session, suffix):
    w = world(1)
    open_cycle(w)
    noms, notice = notice_open_today(w)
    with tenant_context(w.tenant.id, db.session):
        _future(notice)
    session.commit()
    name, notice_id, slug = noms[0].name, notice.id, w.tenant.slug  # read while loaded
    resp = client.get(f"/{slug}/public/notices/{notice_id}{suffix}")
    assert resp.status_code == 404
    assert name.encode() not in resp.data
    assert client.post(f"/{slug}/public/notices/{notice_id}",
                       data={"content": "该人选的学生会任职经历与事实不符，请核查。"}).status_code == 404
    index = client.get(f"/{slug}/public/").get_data(as_text=True)
    assert name not in index and f"/notices/{notice_id}" not in index


def test_A6_5_public_pdf_is_the_built_document_not_a_render_per_request(client, session, monkeypatch):
    w = world(1)
    open_cycle(w)
    noms, notice = notice_open_today(w)
    session.commit()
    url = f"/{w.tenant.slug}/public/notices/{notice.id}/notice.pdf"
    with tenant_context(w.tenant.id, db.session):
        doc = db.session.get(GeneratedDocument, notice.pdf_document_id)
        assert doc is not None and doc.status.value == "ready"
        from portal.documents.operations import file_path

        built = open(file_path(doc), "rb").read()
    import portal.documents.render as render

    def no_render(*a, **k):  # a GET must not assemble a PDF
        raise AssertionError("rendered on a GET")

    monkeypatch.setattr(render, "render_pdf", no_render)
    resp = client.get(url)
    assert resp.status_code == 200 and resp.data == built and resp.data.startswith(b"%PDF")
    assert resp.mimetype == "application/pdf" and "inline" in resp.headers["Content-Disposition"]
    # while the job has not finished: a clear 503, not a render and not a 500
    with tenant_context(w.tenant.id, db.session):
        doc = db.session.get(GeneratedDocument, notice.pdf_document_id)
        doc.status = type(doc.status)("queued")
        db.session.flush()
    session.commit()
    resp = client.get(url)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "60"
    assert "正在生成" in resp.get_data(as_text=True)


# --- item 7: objections can't be flooded; item 17's objection part: one form, one objection ------

import threading  # noqa: E402

import sqlalchemy as sa  # noqa: E402

from portal.notifications.models import Notification  # noqa: E402
from portal.selection.models import Objection  # noqa: E402
from tests.selection.helpers import objection_form  # noqa: E402
from tests.suite_clock import SUITE_TODAY

TEXT = "该人选的学生会任职经历与事实不符，请核查。"


@pytest.fixture()
def fast_forms(app, monkeypatch):
    monkeypatch.setitem(app.config, "FORM_MIN_SECONDS", 0)


def _open_notice(session, n_staff=2):
    from tenants.models import Role
    from tests.factories import member

    w = world(1)
    for _ in range(n_staff):
        member(w.tenant, Role.secretariat_staff)
    open_cycle(w)
    noms, notice = notice_open_today(w)
    session.commit()
    return w, notice, f"/{w.tenant.slug}/public/notices/{notice.id}"


def _objections(w):
    with tenant_context(w.tenant.id, db.session):
        return db.session.scalar(sa.select(sa.func.count()).select_from(Objection))


def _objection_notifications(w):
    with tenant_context(w.tenant.id, db.session):
        return db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.template_key == "selection.objection_received"))


def test_A6_5_objection_needs_the_challenge(client, session, fast_forms):
    w, notice, url = _open_notice(session)
    assert client.post(url, data={"content": TEXT}).status_code == 400          # no token
    form = objection_form(client, url, content=TEXT)
    wrong = dict(form, challenge_answer=str(int(form["challenge_answer"]) + 1))
    resp = client.post(url, data=wrong)
    assert resp.status_code == 400 and "答案不正确" in resp.get_data(as_text=True)
    assert client.post(url, data=dict(form, website="http://spam.example")).status_code == 400  # honeypot
    forged = dict(form, challenge_token=form["challenge_token"][:-2] + "xx")
    assert client.post(url, data=forged).status_code == 400
    assert _objections(w) == 0
    assert client.post(url, data=form).status_code == 302
    assert _objections(w) == 1


def test_A6_5_a_challenge_is_for_one_notice_only(client, session, fast_forms):
    w, notice, url = _open_notice(session)
    tenant_id, notice_id = w.tenant.id, notice.id  # read while loaded
    other_url = url.rsplit("/", 1)[0] + f"/{notice_id + 1000}"
    form = objection_form(client, url, content=TEXT)
    assert client.post(other_url, data=form).status_code == 404
    from portal.core import challenge

    with client.application.test_request_context():
        foreign = challenge.issue(f"objection:{tenant_id}:{notice_id + 1}")
    resp = client.post(url, data=dict(form, challenge_token=foreign.token))
    assert resp.status_code == 400 and "已失效" in resp.get_data(as_text=True)


def test_A6_5_objection_posted_at_once_after_the_page_is_refused(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "FORM_MIN_SECONDS", 30)
    w, notice, url = _open_notice(session)
    resp = client.post(url, data=objection_form(client, url, content=TEXT))
    assert resp.status_code == 400 and "提交过快" in resp.get_data(as_text=True)
    assert _objections(w) == 0


def test_A6_5_the_same_form_posted_twice_makes_one_objection_and_one_round_of_notices(
        client, session, fast_forms):
    w, notice, url = _open_notice(session, n_staff=2)
    form = objection_form(client, url, content=TEXT)
    first = client.post(url, data=form)
    second = client.post(url, data=form)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert _objections(w) == 1
    staff = _objection_notifications(w)
    assert staff >= 3  # the admin and two staff members, once each
    client.post(url, data=objection_form(client, url, content=TEXT + "另一条"))
    assert _objections(w) == 2 and _objection_notifications(w) == 2 * staff


def test_A6_5_objections_are_limited_per_ip_and_per_notice(app, client, session, fast_forms, monkeypatch):
    monkeypatch.setitem(app.config, "OBJECTION_IP_MAX", 3)
    monkeypatch.setitem(app.config, "OBJECTION_NOTICE_MAX", 5)
    w, notice, url = _open_notice(session)

    def post(ip):
        c = app.test_client()
        form = objection_form(c, url, content=TEXT)
        return c.post(url, data=form, environ_base={"REMOTE_ADDR": ip})

    for _ in range(3):
        assert post("203.0.113.7").status_code == 302
    flood = post("203.0.113.7")
    assert flood.status_code == 429 and "提交过于频繁" in flood.get_data(as_text=True)
    assert int(flood.headers["Retry-After"]) > 0
    assert post("203.0.113.8").status_code == 302
    assert post("203.0.113.9").status_code == 302
    assert post("203.0.113.10").status_code == 429  # the notice's own limit, whatever the IP
    assert _objections(w) == 5
    with app.app_context():
        from portal.core import ratelimit

        db.session.execute(sa.delete(ratelimit.ThrottleCounter))
        db.session.commit()


def test_A6_5_the_same_form_posted_by_five_threads_at_once_makes_one_objection(app, monkeypatch):
    """Behind a barrier, on the real database (SQLite or PostgreSQL): the unique one-time id."""
    from tests.selection.test_concurrency import _cleanup

    monkeypatch.setitem(app.config, "FORM_MIN_SECONDS", 0)
    with app.app_context():
        from tenants.models import Role
        from tests.factories import member

        w = world(1)
        member(w.tenant, Role.secretariat_staff)
        open_cycle(w)
        _, notice = notice_open_today(w)
        db.session.commit()
        tenant_id, url = w.tenant.id, f"/{w.tenant.slug}/public/notices/{notice.id}"
        db.session.remove()
    form = objection_form(app.test_client(), url, content=TEXT)
    n = 5
    barrier = threading.Barrier(n)
    statuses = []

    def post(i):
        c = app.test_client()
        barrier.wait(timeout=30)
        statuses.append(c.post(url, data=form, environ_base={"REMOTE_ADDR": f"198.51.100.{i + 1}"}).status_code)

    try:
        threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        with app.app_context(), tenant_context(tenant_id, db.session):
            objections = db.session.scalar(sa.select(sa.func.count()).select_from(Objection))
            notified = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
                Notification.template_key == "selection.objection_received"))
            db.session.remove()
        assert objections == 1, statuses
        assert notified == 2  # the admin and the staff member, once each
        assert statuses == [302] * n  # each post is answered with the first one's result
    finally:
        with app.app_context():
            from portal.core import ratelimit

            db.session.execute(sa.delete(ratelimit.ThrottleCounter))
            db.session.commit()
            db.session.remove()
        _cleanup(app, tenant_id)


def test_A6_5_the_objection_challenge_in_english(client, session):
    w, notice, url = _open_notice(session)
    client.get("/lang/en")
    page = client.get(url).get_data(as_text=True)
    assert "Work out this sum" in page and 'name="website"' in page and 'aria-hidden="true"' in page
