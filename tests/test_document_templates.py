"""Official documents from templates by reference (issue 11 item 5, issue 9 item 9): the
national DOCX template adopted or overridden per tenant (A22), uploads checked placeholder by
placeholder, the PDF made from the same content, 文号 by calendar year of issue (A6.1), the
secretariat's contact on letters and on the 公示 (A6.5)."""
from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
import sqlalchemy as sa
from docx import Document

from portal.core import audit
from portal.core.db import tenant_context
from portal.documents.models import DocumentTemplateOverride, GeneratedDocument
from portal.documents.operations import file_path
from portal.extensions import db
from portal.selection.models import Invitation, Route
from portal.selection import operations as ops
from tests.factories import TenantFactory, member
from tests.selection import helpers as h
from tenants.models import Role

LETTER = "selection.invitation_letter"
NOTICE = "selection.public_notice"
NATIONAL_SENTENCE = "请贵校党委提前物色、培养人选，经审核后推荐。"
OWN_SENTENCE = "请贵校党委把政治标准放在首位，认真物色人选。"


def _pdftext(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return "".join(out.split())


def _docx_text(data: bytes) -> str:
    d = Document(io.BytesIO(data))
    return "\n".join(p.text for p in d.paragraphs)


def _edit(data: bytes, old: str, new: str) -> bytes:
    """What a secretary does in Word: change one text in a run, save."""
    d = Document(io.BytesIO(data))
    hits = 0
    cells = [p for t in d.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    for p in [*d.paragraphs, *cells]:
        for r in p.runs:
            if old in r.text:
                r.text = r.text.replace(old, new)
                hits += 1
    assert hits, f"{old!r} is not in the template"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _doc_bytes(tenant, doc_id: int) -> bytes:
    with tenant_context(tenant.id, db.session):
        doc = db.session.get(GeneratedDocument, doc_id)
        assert doc.status.value == "ready", doc.error
        return open(file_path(doc), "rb").read()


def _letter(w, school) -> Invitation:
    inv = h.invite(w, school)
    db.session.commit()
    return inv


def _upload(client, tenant, data: bytes, *, filename="推荐函模板.docx", reason="本省学联的函件用语", kind=LETTER):
    return client.post(f"/{tenant.slug}/documents/templates/{kind}",
                       data={"file": (io.BytesIO(data), filename), "reason": reason},
                       content_type="multipart/form-data")


def _overrides(tenant) -> int:
    with tenant_context(tenant.id, db.session):
        return db.session.scalar(sa.select(sa.func.count()).select_from(DocumentTemplateOverride))


def _audits(tenant, action: str) -> list:
    with tenant_context(tenant.id, db.session):
        return list(db.session.scalars(sa.select(audit.AuditRecord).where(audit.AuditRecord.action == action)))


# --- the round trip -------------------------------------------------------------------------

def test_A22_A6_1_template_downloaded_edited_uploaded_shows_in_the_next_letter(client, login_as, session, tmp_path):
    w = h.world(2)
    h.open_cycle(w)
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/documents/templates/").get_data(as_text=True)
    assert "驻会执行主席人选推荐函" in page and "拟任驻会执行主席人选公示" in page and "全国模板" in page
    resp = client.get(f"/{w.tenant.slug}/documents/templates/{LETTER}/download")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    assert "wordprocessingml" in resp.headers["Content-Type"] and "attachment" in resp.headers["Content-Disposition"]
    assert NATIONAL_SENTENCE in _docx_text(resp.data) and "{{ school }}党委：" in _docx_text(resp.data)

    resp = _upload(client, w.tenant, _edit(resp.data, NATIONAL_SENTENCE, OWN_SENTENCE))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    page = client.get(f"/{w.tenant.slug}/documents/templates/").get_data(as_text=True)
    assert "本会模板" in page and "本省学联的函件用语" in page
    (rec,) = _audits(w.tenant, "document_template.override")
    assert rec.before == {"source": "national"} and rec.after["source"] == "own" and rec.article == "A6.1"

    inv = _letter(w, w.schools[0])
    docx = _doc_bytes(w.tenant, inv.docx_document_id)
    assert OWN_SENTENCE in _docx_text(docx) and NATIONAL_SENTENCE not in _docx_text(docx)
    assert f"{w.schools[0].name}党委：" in _docx_text(docx) and inv.letter_number in _docx_text(docx)
    pdf = _pdftext(_doc_bytes(w.tenant, inv.pdf_document_id), tmp_path)  # the same content
    assert OWN_SENTENCE in pdf and NATIONAL_SENTENCE not in pdf and inv.letter_number in pdf


def test_A22_a_bad_placeholder_is_reported_by_name_and_nothing_is_stored(client, login_as, session):
    w = h.world(1)
    login_as(w.admin)
    national = client.get(f"/{w.tenant.slug}/documents/templates/{LETTER}/download").data
    resp = _upload(client, w.tenant, _edit(national, "{{ school }}", "{{ school_nmae }}"))
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "未知的占位符「school_nmae」" in page and 'aria-invalid="true"' in page
    # an attribute the list's items do not have is named too
    notice = client.get(f"/{w.tenant.slug}/documents/templates/{NOTICE}/download").data
    resp = _upload(client, w.tenant, _edit(notice, "{{ n.gender }}", "{{ n.sex }}"), kind=NOTICE)
    assert resp.status_code == 422 and "「sex」" in resp.get_data(as_text=True)
    # broken Jinja: the message says where
    resp = _upload(client, w.tenant, _edit(national, "{{ school }}", "{{ school "))
    assert resp.status_code == 422 and "模板语法错误" in resp.get_data(as_text=True)
    assert "{{ school 党委" in resp.get_data(as_text=True)
    # not a Word document: by name and by content
    resp = _upload(client, w.tenant, b"%PDF-1.4 not a docx", filename="模板.docx")
    assert resp.status_code == 422 and "不是 Word 文档" in resp.get_data(as_text=True)
    resp = _upload(client, w.tenant, national[:5000])  # cut short in transfer
    assert resp.status_code == 422 and "已损坏" in resp.get_data(as_text=True)
    resp = _upload(client, w.tenant, national, filename="模板.doc")
    assert resp.status_code == 422 and ".docx" in resp.get_data(as_text=True)
    # a good file without a reason
    resp = _upload(client, w.tenant, national, reason="")
    assert resp.status_code == 422 and "须填写理由" in resp.get_data(as_text=True)
    assert _overrides(w.tenant) == 0 and _audits(w.tenant, "document_template.override") == []


def test_A22_api_declares_lists_uploads_and_reports_bad_placeholders_with_422(client, login_as, session):
    w = h.world(1)
    login_as(w.admin)
    base = f"/api/v1/{w.tenant.slug}/documents/templates"
    items = client.get(base).get_json()["items"]
    got = {i["kind"]: i["source"] for i in items}  # other chapters declare kinds too (A18 notice)
    assert {k: got.get(k) for k in (LETTER, NOTICE)} == {LETTER: "national", NOTICE: "national"}
    letter = next(i for i in items if i["kind"] == LETTER)
    assert "school" in letter["placeholders"] and "contact_phone" in letter["placeholders"]
    national = client.get(f"{base}/{LETTER}/download").data
    resp = client.post(f"{base}/{LETTER}", data={"file": (io.BytesIO(_edit(national, "{{ date }}", "{{ today }}")),
                                                          "a.docx"), "reason": "试"},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "today" in resp.get_json()["error"]["details"]["file"]
    resp = client.post(f"{base}/{LETTER}", data={"file": (io.BytesIO(_edit(national, NATIONAL_SENTENCE, OWN_SENTENCE)),
                                                          "a.docx"), "reason": "本省用语"},
                       content_type="multipart/form-data")
    assert resp.status_code == 200 and resp.get_json()["source"] == "own"
    assert OWN_SENTENCE in _docx_text(client.get(f"{base}/{LETTER}/download").data)
    assert NATIONAL_SENTENCE in _docx_text(client.get(f"{base}/{LETTER}/download?source=national").data)
    assert client.post(f"{base}/{LETTER}/revert").get_json()["source"] == "national"
    assert client.post(f"{base}/{LETTER}/revert").status_code == 409
    assert client.get(f"{base}/nope").status_code == 404
    # other roles may not touch the templates
    client.post("/logout")
    login_as(member(w.tenant, Role.secretariat_staff))
    assert client.get(base).status_code == 403
    assert client.get(f"/{w.tenant.slug}/documents/templates/").status_code == 403


def test_A22_a_province_overrides_while_the_national_tenant_keeps_the_national_template(client, login_as, session,
                                                                                        tmp_path):
    nat = h.world(1)
    h.open_cycle(nat)
    prov = h.world(1, tenant=TenantFactory(parent=nat.tenant))
    h.open_cycle(prov)
    login_as(prov.admin)
    national = client.get(f"/{prov.tenant.slug}/documents/templates/{LETTER}/download").data
    assert _upload(client, prov.tenant, _edit(national, NATIONAL_SENTENCE, OWN_SENTENCE)).status_code == 303
    p_inv, n_inv = _letter(prov, prov.schools[0]), _letter(nat, nat.schools[0])
    assert OWN_SENTENCE in _pdftext(_doc_bytes(prov.tenant, p_inv.pdf_document_id), tmp_path)
    n_text = _pdftext(_doc_bytes(nat.tenant, n_inv.pdf_document_id), tmp_path)
    assert NATIONAL_SENTENCE in n_text and OWN_SENTENCE not in n_text
    client.post("/logout")
    login_as(nat.admin)
    items = client.get(f"/api/v1/{nat.tenant.slug}/documents/templates").get_json()["items"]
    assert all(i["source"] == "national" for i in items) and _overrides(nat.tenant) == 0


def test_A22_revert_returns_to_the_national_template_for_the_next_letter(client, login_as, session, tmp_path):
    w = h.world(2)
    h.open_cycle(w)
    login_as(w.admin)
    national = client.get(f"/{w.tenant.slug}/documents/templates/{LETTER}/download").data
    _upload(client, w.tenant, _edit(national, NATIONAL_SENTENCE, OWN_SENTENCE))
    first = _letter(w, w.schools[0])
    assert OWN_SENTENCE in _pdftext(_doc_bytes(w.tenant, first.pdf_document_id), tmp_path)
    page = client.get(f"/{w.tenant.slug}/documents/templates/").get_data(as_text=True)
    assert "data-confirm=" in page and "恢复全国模板" in page
    resp = client.post(f"/{w.tenant.slug}/documents/templates/{LETTER}/revert")
    assert resp.status_code == 303 and _overrides(w.tenant) == 0
    (rec,) = _audits(w.tenant, "document_template.override_cleared")
    assert rec.after == {"source": "national"} and rec.before["source"] == "own"
    second = _letter(w, w.schools[1])
    text = _pdftext(_doc_bytes(w.tenant, second.pdf_document_id), tmp_path)
    assert NATIONAL_SENTENCE in text and OWN_SENTENCE not in text


# --- 文号 by the calendar year of issue -----------------------------------------------------

def test_A6_1_letter_issued_2026_12_01_is_numbered_2026_whatever_its_academic_year(app, session, monkeypatch,
                                                                                   tmp_path):
    monkeypatch.setitem(app.config, "FIXED_TODAY", "2026-12-01")
    w = h.world(3)
    h.open_cycle(w, year="2027-2028")
    first = _letter(w, w.schools[0])
    second = _letter(w, w.schools[1])
    assert (first.letter_number, second.letter_number) == ("学联驻〔2026〕1号", "学联驻〔2026〕2号")
    text = _pdftext(_doc_bytes(w.tenant, first.pdf_document_id), tmp_path)
    assert "学联驻〔2026〕1号" in text and "2027-2028学年" in text
    assert "全国学联秘书处2026年12月1日" in text  # signed, and dated the day it was issued
    # a new calendar year starts again at 1, in the same cycle
    monkeypatch.setitem(app.config, "FIXED_TODAY", "2027-01-04")
    third = _letter(w, w.schools[2])
    assert third.letter_number == "学联驻〔2027〕1号"


def test_A6_1_numbers_are_per_tenant(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "FIXED_TODAY", "2026-12-01")
    a, b = h.world(1), h.world(1)
    h.open_cycle(a, year="2027-2028")
    h.open_cycle(b, year="2027-2028")
    assert _letter(a, a.schools[0]).letter_number == _letter(b, b.schools[0]).letter_number == "学联驻〔2026〕1号"


def _race(app, tenant_id, fn, args):
    from tests.selection.test_races import race

    return race(app, tenant_id, fn, args, retry_locked=8)


def test_A6_1_numbering_race_no_gaps_no_repeats_per_year_of_issue(app):
    """Twelve numbers taken at once, across New Year's Eve: each year 1..6, nothing twice."""
    from portal.core.numbering import year_of_issue_number
    from tests.selection.test_concurrency import _cleanup

    with app.app_context():
        tenant = TenantFactory()
        db.session.commit()
        tid = tenant.id
        db.session.remove()
    days = [dt.date(2026, 12, 31), dt.date(2027, 1, 1)] * 6
    try:
        results = _race(app, tid, lambda day: year_of_issue_number("test.race", "学联驻〔{year}〕{n}号",
                                                                  issued_on=day), days)
        assert sorted(r[0] for r in results) == ["ok"] * 12, results
        numbers = [r[1] for r in results]
        assert len(set(numbers)) == 12
        assert sorted(numbers) == sorted([f"学联驻〔2026〕{i}号" for i in range(1, 7)]
                                         + [f"学联驻〔2027〕{i}号" for i in range(1, 7)])
    finally:
        _cleanup(app, tid)


def test_A6_1_letters_sent_at_once_on_2026_12_01_take_2026_numbers_without_gaps(app, monkeypatch):
    from tests.selection.test_concurrency import _cleanup
    from tests.selection.test_races import _user

    monkeypatch.setitem(app.config, "FIXED_TODAY", "2026-12-01")
    with app.app_context():
        w = h.world(6)
        h.open_cycle(w, year="2027-2028")
        with tenant_context(w.tenant.id, db.session):
            invs = ops.invite_schools(w.cycle, [s.id for s in w.schools], Route.selection, actor=w.admin)
        ids = dict(tenant=w.tenant.id, admin=w.admin.id, invs=[i.id for i in invs])
        db.session.commit()
        db.session.remove()
    try:
        def send(inv_id):
            return ops.send_invitation(db.session.get(Invitation, inv_id), actor=_user(ids["admin"])).letter_number

        results = _race(app, ids["tenant"], send, ids["invs"])
        assert sorted(r[0] for r in results) == ["ok"] * 6, results
        assert sorted(r[1] for r in results) == sorted(f"学联驻〔2026〕{i}号" for i in range(1, 7))
    finally:
        _cleanup(app, ids["tenant"])


# --- the secretariat's contact ----------------------------------------------------------------

CONTACT = {"contact_person": "王老师", "contact_phone": "010-85212345", "contact_email": "xuelian@example.cn",
           "contact_address": "北京市东城区前门东大街10号"}


def _settings(client, tenant, values):
    return client.post(f"/{tenant.slug}/settings/", data=values)


def test_A6_1_A6_5_settings_contact_in_the_letter_and_in_the_notice_pdf(client, login_as, session, tmp_path):
    from tests.selection.test_workflow import _through_notice

    w = h.world(1)
    h.open_cycle(w)
    login_as(w.admin)
    assert client.get(f"/{w.tenant.slug}/settings/").status_code == 200
    assert _settings(client, w.tenant, CONTACT).status_code == 303
    (rec,) = _audits(w.tenant, "tenant.contact_updated")
    assert rec.after == CONTACT and rec.before == dict.fromkeys(CONTACT)
    page = client.get(f"/{w.tenant.slug}/settings/").get_data(as_text=True)
    assert 'value="010-85212345"' in page

    noms, notice = _through_notice(w, 1)  # sends the letter, then opens the notice
    session.commit()
    inv = db.session.get(Invitation, noms[0].invitation_id)
    letter = _pdftext(_doc_bytes(w.tenant, inv.pdf_document_id), tmp_path)
    assert "全国学联秘书处" in letter  # signed by the secretariat
    for line in ("联系人：王老师", "联系电话：010-85212345", "电子邮箱：xuelian@example.cn",
                 "通信地址：北京市东城区前门东大街10号"):
        assert line in letter
    assert "联系人：王老师" in _docx_text(_doc_bytes(w.tenant, inv.docx_document_id))
    text = _pdftext(_doc_bytes(w.tenant, notice.pdf_document_id), tmp_path)
    assert "公示期间，也可通过以下方式向全国学联秘书处反映" in text
    for line in ("联系电话：010-85212345", "电子邮箱：xuelian@example.cn", "通信地址：北京市东城区前门东大街10号"):
        assert line in text
    # the public page of the notice gives them too
    page = "".join(client.get(f"/{w.tenant.slug}/public/notices/{notice.id}").get_data(as_text=True).split())
    assert "联系电话：010-85212345" in page and "通信地址：北京市东城区前门东大街10号" in page


def test_A6_1_A6_5_missing_contact_lines_are_left_out_never_made_up(client, login_as, session, tmp_path):
    """Choice: a contact not filled in is omitted from the documents (each line on its own),
    and the templates page says which ones are missing, with a link to the settings."""
    from tests.selection.test_workflow import _through_notice

    w = h.world(1)
    h.open_cycle(w)
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/documents/templates/").get_data(as_text=True)
    assert "尚未填写：联系人、联系电话、电子邮箱、通信地址" in page and f"/{w.tenant.slug}/settings/" in page
    noms, notice = _through_notice(w, 1)
    session.commit()
    inv = db.session.get(Invitation, noms[0].invitation_id)
    letter = _pdftext(_doc_bytes(w.tenant, inv.pdf_document_id), tmp_path)
    assert "全国学联秘书处" in letter
    for absent in ("联系人", "联系电话", "电子邮箱", "通信地址", "{{", "{%"):
        assert absent not in letter
    text = _pdftext(_doc_bytes(w.tenant, notice.pdf_document_id), tmp_path)
    assert "通过本页面反映" in text and "也可通过以下方式" not in text and "联系电话" not in text
    # only the phone: only its line
    from tenants.operations import update_contact_settings

    w2 = h.world(1)
    h.open_cycle(w2)
    with tenant_context(w2.tenant.id, db.session):
        update_contact_settings(w2.tenant, {"contact_phone": "020-87654321"}, actor=w2.admin)
    inv2 = _letter(w2, w2.schools[0])
    letter = _pdftext(_doc_bytes(w2.tenant, inv2.pdf_document_id), tmp_path)
    assert "联系电话：020-87654321" in letter and "联系人" not in letter and "通信地址" not in letter


def test_settings_refuse_a_bad_email_or_phone_and_keep_what_was_typed(client, login_as, session):
    w = h.world(1)
    login_as(w.admin)
    resp = _settings(client, w.tenant, CONTACT | {"contact_email": "not-an-email", "contact_phone": "call me"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "电子邮箱格式不正确" in page and "联系电话只能含数字" in page
    assert 'value="王老师"' in page and 'aria-invalid="true"' in page
    db.session.refresh(w.tenant)
    assert w.tenant.contact_person is None and _audits(w.tenant, "tenant.contact_updated") == []
    api = f"/api/v1/{w.tenant.slug}/settings"
    resp = client.put(api, json={"contact_email": "bad"})
    assert resp.status_code == 422 and "contact_email" in resp.get_json()["error"]["details"]
    assert client.put(api, json=CONTACT).get_json() == CONTACT
    assert client.get(api).get_json() == CONTACT
    client.post("/logout")
    login_as(member(w.tenant, Role.school_liaison, school=w.schools[0]))
    assert client.get(f"/{w.tenant.slug}/settings/").status_code == 403
    assert client.put(api, json=CONTACT).status_code == 403
