"""Documents: rendered by a job with progress (A6.1 letter, A6.5 public notice from the
selection records, XLSX exports), downloads permission-checked per tenant and role."""
from __future__ import annotations

import subprocess
import urllib.parse

import pytest
import sqlalchemy as sa

from portal.documents.models import GeneratedDocument
from portal.jobs.models import JobRecord, JobStatus
from tests.factories import TenantFactory, member
from tenants.models import Role


def _request(client, tenant, kind, fmt):
    resp = client.post(f"/{tenant.slug}/documents/", data={"kind": kind, "format": fmt})
    assert resp.status_code == 303
    items = client.get(f"/api/v1/{tenant.slug}/documents").get_json()["items"]
    return items[0]


def _pdftext(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout


def _pages(data: bytes, tmp_path) -> int:
    path = tmp_path / "p.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int([line for line in out.splitlines() if line.startswith("Pages:")][0].split()[1])


def test_letter_to_party_committee_pdf_with_progress_and_headers_A6_1(client, login_as, session, tmp_path):
    from tests.selection import helpers as h

    w = h.world(1)
    w.schools[0].name = "中山大学"
    h.open_cycle(w)
    inv = h.invite(w, w.schools[0])  # sent: its DOCX and PDF are rendered by the job
    session.commit()
    login_as(w.admin)
    tenant = w.tenant
    doc = client.get(f"/api/v1/{tenant.slug}/documents/{inv.pdf_document_id}").get_json()
    assert doc["status"] == "ready" and doc["progress"] == 100
    assert doc["filename"] == "中山大学-驻会执行主席人选推荐函.pdf"
    assert doc["download_url"]
    resp = client.get(f"/api/v1/{tenant.slug}/documents/{doc['id']}/download")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    cd = resp.headers["Content-Disposition"]
    assert cd.startswith("attachment;")
    assert "filename*=UTF-8''" + urllib.parse.quote(doc["filename"]) in cd
    text = "".join(_pdftext(resp.data, tmp_path).split())
    assert "中山大学党委" in text and "驻会执行主席人选的函" in text and inv.letter_number in text
    with_job = session.scalars(sa.select(JobRecord).where(JobRecord.kind == "documents.render")).all()
    assert with_job and all(j.status == JobStatus.finished for j in with_job)
    # the requester is told in the inbox, once per file (DOCX and PDF)
    assert client.get(f"/api/v1/{tenant.slug}/inbox/unread-count").get_json()["unread"] == 2


def test_other_tenant_and_other_roles_get_404(client, login_as, session):
    a, b = TenantFactory(), TenantFactory()
    admin_a = member(a)
    login_as(admin_a)
    doc = _request(client, a, "schools_table", "xlsx")
    assert doc["status"] == "ready"
    client.post("/logout")
    login_as(member(b))
    for url in (f"/api/v1/{b.slug}/documents/{doc['id']}", f"/api/v1/{b.slug}/documents/{doc['id']}/download",
                f"/{b.slug}/documents/{doc['id']}/download"):
        assert client.get(url).status_code == 404
    client.post("/logout")
    chair = member(a, Role.chair)
    login_as(chair)
    assert client.get(f"/{a.slug}/documents/{doc['id']}/download").status_code == 404
    # a chair cannot order the secretariat's exports either
    resp = client.post(f"/{a.slug}/documents/", data={"kind": "schools_table", "format": "xlsx"})
    assert resp.status_code == 403


def test_public_notice_pdf_counts_working_days_A6_5(client, login_as, session, tmp_path):
    from portal.documents.render import chinese_date
    from tests.selection import helpers as h
    from tests.selection.test_workflow import _through_notice

    w = h.world(1)
    h.open_cycle(w)
    noms, notice = _through_notice(w, 1)
    session.commit()
    login_as(w.admin)
    doc = client.get(f"/api/v1/{w.tenant.slug}/documents/{notice.pdf_document_id}").get_json()
    assert doc["status"] == "ready" and doc["filename"] == f"{notice.title}.pdf"
    data = client.get(f"/{w.tenant.slug}/documents/{doc['id']}/download").data
    text = "".join(_pdftext(data, tmp_path).split())
    # 5 working days from Monday 1 June 2026, and the listed nominee from the records
    assert f"{notice.starts_on:%Y年%m月%d日}至{notice.ends_on:%Y年%m月%d日}（5个工作日）" in text
    assert text.endswith(f"{chinese_date(notice.starts_on)}第1页")  # dated the day the notice opens
    assert notice.ends_on.isoformat() == "2026-06-05" and noms[0].name in text
    assert _pages(data, tmp_path) == 1


def test_documents_page_offers_no_demo_documents_about_made_up_people(client, login_as, session):
    tenant = TenantFactory()
    login_as(member(tenant))
    page = client.get(f"/{tenant.slug}/documents/").get_data(as_text=True)
    for gone in ("work_appraisal", "school_notice", "party_committee_letter", "public_notice", "工作鉴定"):
        assert gone not in page
    for kind in ("work_appraisal", "school_notice", "party_committee_letter", "public_notice"):
        resp = client.post(f"/api/v1/{tenant.slug}/documents", json={"kind": kind, "format": "pdf"})
        assert resp.status_code == 400 and "未知的文件类型" in resp.get_json()["error"]["message"]


def test_bad_requests_get_chinese_errors_and_write_nothing(client, login_as, session):
    tenant = TenantFactory()
    login_as(member(tenant))
    resp = client.post(f"/api/v1/{tenant.slug}/documents", json={"kind": "schools_table", "format": "docx"})
    assert resp.status_code == 400 and "只能生成" in resp.get_json()["error"]["message"]
    resp = client.post(f"/api/v1/{tenant.slug}/documents", json={"kind": "nope"})
    assert resp.status_code == 400 and "未知的文件类型" in resp.get_json()["error"]["message"]
    assert client.get(f"/api/v1/{tenant.slug}/documents").get_json()["items"] == []


def test_documents_page_polls_with_static_script(client, login_as, session):
    tenant = TenantFactory()
    login_as(member(tenant))
    _request(client, tenant, "schools_table", "xlsx")
    page = client.get(f"/{tenant.slug}/documents/").get_data(as_text=True)
    assert 'src="/static/documents.js"' in page and "data-status-url" in page and "下载" in page
    assert "<script>" not in page


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_failed_render_is_recorded(app, session, as_tenant, fmt, monkeypatch):
    from portal.documents import jobs as doc_jobs
    from portal.documents.operations import request_document
    from portal.selection.models import Route
    from portal.selection import operations as sel_ops
    from tests.selection import helpers as h

    def boom(*a, **k):
        raise RuntimeError("字体缺失")

    monkeypatch.setattr(doc_jobs, "render_kind", boom)
    w = h.world(1)
    h.open_cycle(w)
    with as_tenant(w.tenant):
        (inv,) = sel_ops.invite_schools(w.cycle, [w.schools[0].id], Route.selection, actor=w.admin)
        doc = request_document(w.tenant.id, kind="selection.invitation_letter", fmt=fmt,
                               builder="portal.selection.documents.invitation_letter",
                               params={"invitation_id": inv.id}, filename="函", requested_by=w.admin)
        session.commit()
        doc = session.get(GeneratedDocument, doc.id)
        assert doc.status.value == "failed" and "字体缺失" in doc.error
        job = session.get(JobRecord, doc.job_id)
        assert job.status == JobStatus.failed


def test_document_status_label_follows_the_session_language(client, login_as, session):
    """The page's status poll shows the label in the language the user chose."""
    tenant = TenantFactory()
    login_as(member(tenant))
    doc = _request(client, tenant, "schools_table", "xlsx")
    url = f"/{tenant.slug}/documents/{doc['id']}/status"
    assert client.get(url).get_json()["status_label"] == "已生成"
    client.get(f"/{tenant.slug}/documents/", query_string={"lang": "en"})
    assert client.get(url).get_json()["status_label"] == "Ready"
