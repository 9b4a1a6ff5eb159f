"""Documents: rendered by a job with progress (A6.1 letter, A6.5 public notice, A17
appraisal, A18 notice, XLSX), downloads permission-checked per tenant and role."""
from __future__ import annotations

import subprocess
import urllib.parse

import pytest
import sqlalchemy as sa

from portal.documents.models import GeneratedDocument
from portal.jobs.models import JobRecord, JobStatus
from tests.factories import SchoolFactory, TenantFactory, member
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
    tenant = TenantFactory()
    SchoolFactory(tenant=tenant, name="中山大学")
    admin = member(tenant)
    login_as(admin)
    doc = _request(client, tenant, "party_committee_letter", "pdf")
    assert doc["status"] == "ready" and doc["progress"] == 100
    assert doc["filename"].startswith("致学校党委的函") and doc["filename"].endswith(".pdf")
    status = client.get(f"/api/v1/{tenant.slug}/documents/{doc['id']}").get_json()
    assert status["download_url"]
    resp = client.get(f"/api/v1/{tenant.slug}/documents/{doc['id']}/download")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    cd = resp.headers["Content-Disposition"]
    assert cd.startswith("attachment;")
    assert "filename*=UTF-8''" + urllib.parse.quote(doc["filename"]) in cd
    text = _pdftext(resp.data, tmp_path)
    assert "中山大学党委" in text and "培养推荐工作的函" in text
    with_job = session.scalars(sa.select(JobRecord).where(JobRecord.kind == "documents.render")).all()
    assert with_job == [] or all(j.status == JobStatus.finished for j in with_job)
    # the requester is told in the inbox
    assert client.get(f"/api/v1/{tenant.slug}/inbox/unread-count").get_json()["unread"] == 1


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
    # a chair cannot order the secretariat's letters either
    resp = client.post(f"/{a.slug}/documents/", data={"kind": "party_committee_letter", "format": "pdf"})
    assert resp.status_code == 403


def test_public_notice_pdf_counts_working_days_A6_5(client, login_as, session, tmp_path):
    tenant = TenantFactory()
    login_as(member(tenant))
    resp = client.post(f"/api/v1/{tenant.slug}/documents",
                       json={"kind": "public_notice", "format": "pdf", "params": {"start": "2025-09-29"},
                             "filename": "拟任人选公示"})
    assert resp.status_code == 202, resp.get_json()
    assert resp.get_json()["status"] == "queued"  # accepted; the job runs after the commit
    doc = client.get(f"/api/v1/{tenant.slug}/documents/{resp.get_json()['id']}").get_json()
    assert doc["status"] == "ready" and doc["filename"] == "拟任人选公示.pdf"
    data = client.get(f"/{tenant.slug}/documents/{doc['id']}/download").data
    text = _pdftext(data, tmp_path)
    # 5 working days counted from Monday 29 September 2025 (inclusive) span the National Day
    # holiday and end on the adjusted working Saturday 11 October
    assert "2025年9月29日至2025年10月11日" in "".join(text.split())
    assert _pages(data, tmp_path) == 1


def test_work_appraisal_three_pages_A17(client, login_as, session, tmp_path):
    tenant = TenantFactory()
    login_as(member(tenant))
    doc = _request(client, tenant, "work_appraisal", "pdf")
    data = client.get(f"/{tenant.slug}/documents/{doc['id']}/download").data
    assert _pages(data, tmp_path) == 3
    assert "工作鉴定" in _pdftext(data, tmp_path)
    docx = _request(client, tenant, "work_appraisal", "docx")
    resp = client.get(f"/{tenant.slug}/documents/{docx['id']}/download")
    assert resp.data[:2] == b"PK" and "wordprocessingml" in resp.headers["Content-Type"]


def test_school_notice_docx_A18(client, login_as, session):
    tenant = TenantFactory()
    login_as(member(tenant))
    doc = _request(client, tenant, "school_notice", "docx")
    assert doc["status"] == "ready" and doc["filename"].endswith(".docx")


def test_bad_requests_get_chinese_errors_and_write_nothing(client, login_as, session):
    tenant = TenantFactory()
    login_as(member(tenant))
    resp = client.post(f"/api/v1/{tenant.slug}/documents", json={"kind": "public_notice", "format": "docx"})
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

    def boom(*a, **k):
        raise RuntimeError("字体缺失")

    monkeypatch.setattr(doc_jobs, "render_pdf" if fmt == "pdf" else "render_docx", boom)
    tenant = TenantFactory()
    admin = member(tenant)
    with as_tenant(tenant):
        doc = request_document(tenant.id, kind="party_committee_letter", fmt=fmt,
                               builder="portal.documents.builders.party_committee_letter", params={},
                               filename="函", requested_by=admin)
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
