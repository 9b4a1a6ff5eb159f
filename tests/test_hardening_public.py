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
    notice.starts_on = dt.date.today() + dt.timedelta(days=days)
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
    url = f"/{w.tenant.slug}/public/notices/{notice.id}{suffix}"
    resp = client.get(url)
    assert resp.status_code == 404
    assert noms[0].name.encode() not in resp.data
    assert client.post(f"/{w.tenant.slug}/public/notices/{notice.id}",
                       data={"content": "该人选的学生会任职经历与事实不符，请核查。"}).status_code == 404
    index = client.get(f"/{w.tenant.slug}/public/").get_data(as_text=True)
    assert noms[0].name not in index and f"/notices/{notice.id}" not in index


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
