"""A17 (第十七条): the work appraisal assembled from the record — statements traced to their rows,
gaps instead of praise, department opinions from the rotation segments, issue, lock, correct."""
from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.core.errors import Conflict, DomainError
from portal.core.obligations import ObligationRecord
from portal.extensions import db
from portal.notifications.models import Notification
from portal.incentives.models import AppraisalStatus
from portal.incentives.operations import appraisal
from portal.reference.models import Department
from portal.residency import operations as rops
from portal.residency.models import RotationSegment
from tenants.models import Role
from tests.factories import member
from tests.factories_residency import cohort
from tests.incentives.helpers import chair_user

IN_TERM = "2026-03-16"
TERM_END = "2026-08-31"  # the cohort's last day in residence


def _segments(w, res):
    heads = [member(w.tenant, role=Role.department_head) for _ in range(2)]
    depts = []
    for i, (name, head) in enumerate(zip(("权益部", "联络部"), heads)):
        d = Department(tenant_id=w.tenant.id, name=name, head_user_id=head.id, sort=i)
        db.session.add(d)
        db.session.flush()
        depts.append(d)
    for d, (s, e) in zip(depts, ((dt.date(2025, 9, 1), dt.date(2026, 2, 28)), (dt.date(2026, 3, 1), dt.date(2026, 8, 31)))):
        db.session.add(RotationSegment(tenant_id=w.tenant.id, residency_id=res.id, department_id=d.id, post="干事",
                                       starts_on=s, ends_on=e, head_user_id=d.head_user_id))
    db.session.flush()
    return depts, heads


def test_A17_statements_are_traced_to_their_records_and_go_with_them(app, session):
    app.config["FIXED_TODAY"] = IN_TERM
    w, (a,) = cohort(1)
    chair = chair_user(a)
    with tenant_context(w.tenant.id, db.session):
        rec = rops.record(a, "a9_report", actor=chair, roles=(), occurred_on=dt.date(2026, 1, 12),
                          title="第一季度思想汇报")
        appr = appraisal.draft(a, actor=w.admin)
        political = [s for s in appr.statements if s["section"] == "political"]
        (report,) = [s for s in political if s["article"] == "A9"]
        assert "第一季度思想汇报" in report["text"] and "2026年1月12日" in report["text"]
        assert report["refs"] == [{"type": "obligation_record", "id": rec.id, "label": "第一季度思想汇报"}]
        # gaps say what is missing (monthly collective study due and not recorded)
        assert any(g["article"] == "A10.1" and "未见记录" in g["text"] for g in appr.gaps)
        # remove the record: its statement goes
        db.session.execute(sa.delete(ObligationRecord).where(ObligationRecord.id == rec.id))
        appr = appraisal.draft(a, actor=w.admin)
        assert not any("第一季度思想汇报" in s["text"] for s in appr.statements)
        assert all(s["refs"] for s in appr.statements)


def _text(data: bytes, kind: str, tmp_path) -> str:
    if kind == "docx":
        from docx import Document

        return "".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    path = tmp_path / "a.pdf"
    path.write_bytes(data)
    return "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())


def test_A17_workflow_issue_needs_every_department_then_locked_and_corrected(app, client, login_as, session,
                                                                               tmp_path):
    app.config["FIXED_TODAY"] = IN_TERM
    w, (a,) = cohort(1)
    chair = chair_user(a)
    with tenant_context(w.tenant.id, db.session):
        a.rules_snapshot = {**a.rules_snapshot, "incentives.appraisal_conclusions": ["表现突出", "达到要求"],
                            "incentives.appraisal_number_template": "测鉴〔{year}〕{n}号"}
        (d1, d2), (h1, h2) = _segments(w, a)
        rops.record(a, "a10_2_course", actor=chair, roles=(), occurred_on=dt.date(2025, 11, 3),
                    title="《思想道德与法治》课程研学心得", evidence=("心得.pdf", b"%PDF-1.4\n%%EOF\n"))
        appr = appraisal.draft(a, actor=w.admin)
        assert any("研学心得" in s["text"] and s["section"] == "study" for s in appr.statements)
    login_as(chair)
    base = f"/api/v1/{w.tenant.slug}/incentives/appraisals/{appr.id}"
    r = client.post(f"{base}/summary", json={"self_summary": "驻会一年，我在权益部和联络部轮岗。"})
    assert r.status_code == 200 and r.get_json()["appraisal"]["status"] == "summarized"
    login_as(w.admin)
    assert client.post(f"{base}/conclude", json={"conclusion": "优秀"}).status_code == 422  # not in the rules' list
    assert client.post(f"{base}/conclude", json={"conclusion": "表现突出"}).status_code == 200
    # A17: the appraisal is written at the term's end: refused before it (the residency's own end)
    refused = client.post(f"{base}/issue", json={})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "term_not_ended"
    assert "2026-08-31" in refused.get_json()["error"]["message"]
    app.config["FIXED_TODAY"] = TERM_END
    refused = client.post(f"{base}/issue", json={})
    assert refused.status_code == 409
    msg = refused.get_json()["error"]["message"]
    assert "权益部" in msg and "联络部" in msg
    login_as(h2)
    assert client.post(f"{base}/opinion", json={"department_id": d1.id, "opinion": "x"}).status_code == 403
    assert client.post(f"{base}/opinion", json={"department_id": d2.id, "opinion": "联络工作扎实。"}).status_code == 200
    login_as(w.admin)
    refused = client.post(f"{base}/issue", json={}).get_json()["error"]["message"]
    assert "权益部" in refused and "联络部" not in refused
    login_as(h1)
    assert client.post(f"{base}/opinion", json={"department_id": d1.id, "opinion": "维权服务认真负责。"}).status_code == 200
    login_as(w.admin)
    r = client.post(f"{base}/issue", json={})
    assert r.status_code == 200, r.get_json()
    out = r.get_json()["appraisal"]
    assert out["status"] == "issued" and out["number"] == "测鉴〔2026〕1号" and len(out["sha256"]) == 64
    with tenant_context(w.tenant.id, db.session):
        logged = db.session.scalar(sa.select(AuditRecord).where(AuditRecord.action == "appraisal.issued_document"))
        assert logged.after["docx_sha256"] == out["sha256"] and logged.article == "A17"
    docx = client.get(f"/{w.tenant.slug}/incentives/appraisals/{appr.id}.docx")
    text = _text(docx.data, "docx", tmp_path)
    for expected in (a.chair.name, a.school.name, "学习研究", "研学心得", "维权服务认真负责", "联络工作扎实",
                     "鉴定结论：表现突出", "测鉴〔2026〕1号", "驻会一年"):
        assert expected in text, expected
    pdf = client.get(f"/{w.tenant.slug}/incentives/appraisals/{appr.id}.pdf")
    assert a.chair.name in _text(pdf.data, "pdf", tmp_path) and "维权服务认真负责" in _text(pdf.data, "pdf", tmp_path)
    # issued: no edit; a correction is a new version naming the old one
    login_as(h1)
    assert client.post(f"{base}/opinion", json={"department_id": d1.id, "opinion": "改"}).status_code == 409
    # sent to the sending school through the outbox: the liaison is notified, and the message
    # going out (eager jobs) marks it delivered, as the A6.1 letters
    liaison = member(w.tenant, role=Role.school_liaison, school_id=a.school_id)
    login_as(w.admin)
    sent = client.post(f"{base}/send", json={}).get_json()["appraisal"]
    assert sent["status"] == "sent" and sent["delivery"]["state"] == "pending"
    with tenant_context(w.tenant.id, db.session):
        note = db.session.scalar(sa.select(Notification).where(Notification.related_type == "incentives_appraisal",
                                                               Notification.related_id == str(appr.id)))
        assert note.recipient_user_id == liaison.id and note.context["number"] == "测鉴〔2026〕1号"
        db.session.refresh(db.session.get(type(appr), appr.id))  # the outbox's job wrote it after the request
    got = client.get(f"/api/v1/{w.tenant.slug}/incentives/chairs/{a.id}").get_json()["appraisal"]["delivery"]
    assert got["state"] == "delivered" and got["method"] == "email"
    assert client.post(f"{base}/send", json={}).status_code == 409  # once
    from portal.core import clock
    assert client.post(f"{base}/delivery", json={"method": "post", "delivered_at": clock.now().strftime("%Y-%m-%dT%H:%M"),
                                                 "handed_by": "秘书处", "received_by": "档案馆"}).status_code == 409
    r = client.post(f"{base}/correct", json={"reason": "补充课题研究成果"})
    new = r.get_json()["appraisal"]
    assert new["version"] == 2 and new["supersedes_id"] == appr.id and new["status"] == "draft"
    # the chair reads their appraisal; another tenant's admin cannot
    login_as(chair)
    assert client.get(f"/{w.tenant.slug}/incentives/appraisals/{appr.id}.pdf").status_code == 200
    page = client.get(f"/{w.tenant.slug}/incentives/me").get_data(as_text=True)
    assert "工作鉴定" in page and "研学心得" in page


def test_A17_no_record_no_statement_and_no_issue(app, session):
    app.config["FIXED_TODAY"] = TERM_END
    w, (a,) = cohort(1)
    with tenant_context(w.tenant.id, db.session):
        appr = appraisal.draft(a, actor=w.admin)
        assert appr.statements == [] and appr.gaps
        appr.status = AppraisalStatus.concluded
        db.session.flush()
        with pytest.raises(Conflict) as e:
            appraisal.issue(appr, actor=w.admin, roles={"secretariat_admin"})
        assert e.value.code == "empty_record"


def test_A17_ymp_recommendation_warns_and_runs_recommended_admitted_completed(app, session):
    from portal.incentives.operations import ymp

    w, (a,) = cohort(1)
    with tenant_context(w.tenant.id, db.session):
        a.rules_snapshot = {**a.rules_snapshot, "incentives.ymp_conditions": ["中共党员或共青团员", "测试条件甲"]}
        db.session.flush()
        assert ymp.form(a)["name"] == a.chair.name and ymp.form(a)["school"] == a.school.name
        ws = ymp.warnings(a)
        assert len(ws) == 2 and "测试条件甲" in ws[1]
        rec = ymp.recommend(a, reason="驻会表现突出", actor=w.admin)
        assert rec.warnings == ws
        with pytest.raises(DomainError):
            ymp.advance(rec, "complete", actor=w.admin, roles={"secretariat_admin"})
        ymp.advance(rec, "admit", actor=w.admin, roles={"secretariat_admin"})
        ymp.advance(rec, "complete", actor=w.admin, roles={"secretariat_admin"})
        appr = appraisal.draft(a, actor=w.admin)
        assert any(s["article"] == "A17" and "结业" in s["text"] for s in appr.statements)
