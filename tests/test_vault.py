"""The vault (issue 11, item 3): files per tenant, judged by content, hashed, written after the
commit, swept when orphaned, access-checked and logged; the existing files migrated."""
from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import io
import os
import zipfile

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from portal.core import vault
from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.core.uploads import UploadError
from portal.extensions import db
from portal.jobs.periodic import PERIODIC
from portal.selection import operations as ops
from portal.selection.models import Nomination, NominationAttachment
from tenants.models import Role
from tests.factories import NationalTenantFactory, member
from tests.selection.helpers import draft, invite, world
from tests.suite_clock import SUITE_TODAY

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\x0bIDATx\x9cc\xf8\x0f\x00\x01\x01\x01\x00\x18\xdd\x8d\xb0"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MAIN = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"}


def office(kind: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        part = "/word/document.xml" if kind == "docx" else "/xl/workbook.xml"
        z.writestr("[Content_Types].xml", f'<?xml version="1.0"?><Types><Override PartName="{part}" '
                                          f'ContentType="{MAIN[kind]}"/></Types>')
        z.writestr(part.lstrip("/"), "<x/>")
    return buf.getvalue()


class Draft:
    """A liaison (logged in) with one draft nomination, in a private UPLOAD_FOLDER."""

    def __init__(self, app, client, login_as, root):
        app.config["UPLOAD_FOLDER"] = str(root)
        self.app, self.client, self.root = app, client, str(root)
        w = world(1)
        with tenant_context(w.tenant.id, db.session):
            w.cycle = ops.open_cycle(w.tenant, "2030-2031", actor=w.admin, opened_on=SUITE_TODAY)
        inv = invite(w, w.schools[0])
        self.w, self.tenant_id, self.slug = w, w.tenant.id, w.tenant.slug
        self.draft_id = draft(w, inv, 90, elected_on=dt.date(2025, 11, 20)).id
        self.liaison = member(w.tenant, Role.school_liaison, school_id=w.schools[0].id)
        login_as(self.liaison)

    def attach(self, data: bytes, filename: str):
        return self.client.post(f"/{self.slug}/selection/nominations/{self.draft_id}/attachments",
                                data={"kind": "evidence", "file": (io.BytesIO(data), filename)},
                                content_type="multipart/form-data")

    def files(self, purpose: str = "selection.attachment") -> list[vault.StoredFile]:
        """(The invitation letters sent in the set-up are in the vault too.)"""
        db.session.expire_all()
        with tenant_context(self.tenant_id, db.session):
            return list(db.session.scalars(sa.select(vault.StoredFile).where(vault.StoredFile.purpose == purpose)
                                           .order_by(vault.StoredFile.id)))

    def on_disk(self) -> set[str]:
        return {os.path.relpath(os.path.join(d, f), self.root) for d, _, fs in os.walk(self.root) for f in fs}


@pytest.fixture()
def nom(app, client, login_as, tmp_path):
    folder = app.config["UPLOAD_FOLDER"]
    yield Draft(app, client, login_as, tmp_path / "uploads")
    app.config["UPLOAD_FOLDER"] = folder


# --- the type, by content -------------------------------------------------------------------

@pytest.mark.parametrize("data, kind", [(PDF, "pdf"), (PNG, "png"), (b"\xff\xd8\xff\xe0" + b"\0" * 16, "jpg"),
                                        (office("docx"), "docx"), (office("xlsx"), "xlsx")])
def test_the_type_is_judged_by_content(data, kind):
    assert vault.detect_type(data) == kind
    assert vault.judge(data, "文件", (kind,)) == kind


@pytest.mark.parametrize("data, name", [(office("docx"), "报告.pdf"), (office("xlsx"), "名单.docx"),
                                        (PDF, "名单.xlsx"), (b"PK\x03\x04" + b"\0" * 40, "扫描件.pdf")])
def test_an_extension_that_the_content_contradicts_is_refused(data, name):
    with pytest.raises(UploadError) as e:
        vault.judge(data, name, ("pdf", "docx", "xlsx", "png"))
    assert e.value.code == "type_mismatch" and "扩展名与内容不符" in e.value.message


def test_A6_2_a_pdf_that_is_a_zip_is_refused_and_nothing_is_kept(nom):
    before = nom.on_disk()
    resp = nom.attach(office("docx"), "成绩证明.pdf")
    assert resp.status_code == 400
    assert "扩展名与内容不符" in resp.get_data(as_text=True)
    assert nom.files() == [] and nom.on_disk() == before


def test_A6_2_an_attachment_is_kept_in_its_tenants_folder_with_its_hash(nom):
    before = nom.on_disk()
    resp = nom.attach(PNG, "获奖\x00证书.png")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    (f,) = nom.files()
    assert (f.sha256, f.size, f.file_type, f.content_type) == (hashlib.sha256(PNG).hexdigest(), len(PNG), "png",
                                                              "image/png")
    assert f.original_name == "获奖证书.png" and f.stored_by_id == nom.liaison.id and f.purpose == "selection.attachment"
    assert f.storage_key.startswith(f"{nom.tenant_id}/files/")
    assert nom.on_disk() - before == {f.storage_key}
    with open(os.path.join(nom.root, f.storage_key), "rb") as fh:
        assert fh.read() == PNG
    with tenant_context(nom.tenant_id, db.session):
        (att,) = db.session.scalars(sa.select(NominationAttachment))
        assert att.file_id == f.id and att.sha256 == f.sha256


# --- written after the commit ---------------------------------------------------------------

def test_no_file_is_written_before_the_commit_nor_after_a_rollback(nom, app):
    with app.test_request_context(), tenant_context(nom.tenant_id, db.session):
        f = vault.store(nom.tenant_id, PDF, filename="a.pdf", purpose="test", allowed=("pdf",))
        path = vault.path_of(f)
        assert f.id is not None and not os.path.exists(path)  # the row first; no file yet
        db.session.rollback()
    assert not os.path.exists(path)
    with app.test_request_context(), tenant_context(nom.tenant_id, db.session):
        kept = vault.store(nom.tenant_id, PDF, filename="b.pdf", purpose="test", allowed=("pdf",))
        with db.session.begin_nested():
            pass
        nested = db.session.begin_nested()
        dropped = vault.store(nom.tenant_id, PNG, filename="c.png", purpose="test", allowed=("png",))
        dropped_path = vault.path_of(dropped)
        nested.rollback()  # a savepoint rolled back: its file is never written
        db.session.commit()
        assert os.path.exists(vault.path_of(kept)) and not os.path.exists(dropped_path)


# --- the sweep ------------------------------------------------------------------------------

def _age(path: str, hours: float) -> None:
    t = (dt.datetime.now() - dt.timedelta(hours=hours)).timestamp()
    os.utime(path, (t, t))


def test_the_sweep_removes_orphans_and_keeps_what_is_in_use(nom, app):
    with app.test_request_context(), tenant_context(nom.tenant_id, db.session):
        nomination = db.session.get(Nomination, nom.draft_id)
        kept = ops.store_attachment(nomination, "evidence", "kept.png", PNG, actor=nom.liaison)
        lost = ops.store_attachment(nomination, "evidence", "lost.png", PNG, actor=nom.liaison)
        dropped = ops.store_attachment(nomination, "evidence", "dropped.pdf", PDF, actor=nom.liaison)
        young = vault.store(nom.tenant_id, PDF, filename="young.pdf", purpose="selection.attachment",
                            allowed=("pdf",))
        letters = {f.id for f in db.session.scalars(sa.select(vault.StoredFile)
                                                     .where(vault.StoredFile.purpose == "documents.generated"))}
        assert letters  # the invitation letter, referred to by its document: kept
        db.session.commit()
        ids = {"kept": kept.file_id, "lost": lost.file_id, "dropped": dropped.file_id, "young": young.id}
        # the write of `lost` never happened; `dropped`'s attachment went in a bulk delete
        os.remove(ops.attachment_path(lost))
        db.session.execute(sa.delete(NominationAttachment).where(NominationAttachment.id == dropped.id))
        dropped_path = ops.attachment_path(dropped)
        old = vault.utcnow() - dt.timedelta(hours=2)
        db.session.execute(sa.update(vault.StoredFile).where(vault.StoredFile.id != young.id).values(stored_at=old))
        db.session.commit()
    folder = vault.tenant_folder(nom.tenant_id)
    stray, fresh, part = (os.path.join(folder, n) for n in ("0" * 32 + ".pdf", "1" * 32 + ".pdf", "x.pdf.ab.part"))
    for p in (stray, fresh, part):
        with open(p, "wb") as fh:
            fh.write(PDF)
    _age(stray, 2)
    _age(part, 2)
    _age(fresh, 0)  # written "now" by the app's clock (the suite may run with its wall clock moved)
    assert ("vault-sweep", "portal.core.vault.sweep_orphans") in {(p.name, p.func) for p in PERIODIC}
    with app.test_request_context():
        out = vault.sweep_tenant(nom.tenant_id)
    assert out == {"files": 2, "lost": 1, "unreferenced": 1}
    assert not os.path.exists(stray) and not os.path.exists(part) and os.path.exists(fresh)
    assert not os.path.exists(dropped_path)
    assert {f.id for f in nom.files()} == {ids["kept"], ids["young"]}
    assert {f.id for f in nom.files("documents.generated")} == letters
    with tenant_context(nom.tenant_id, db.session):
        atts = {a.file_id for a in db.session.scalars(sa.select(NominationAttachment))}
        rec = db.session.scalars(sa.select(AuditRecord).where(AuditRecord.action == "vault.swept")).one()
    assert atts == {ids["kept"]}  # the attachment whose file never arrived went with it
    assert len(rec.after["lost"]) == 1 and len(rec.after["unreferenced"]) == 1


# --- access and the log ---------------------------------------------------------------------

def _log(tenant_id: int) -> list[tuple]:
    db.session.expire_all()
    with tenant_context(tenant_id, db.session):
        return [(a.file_id, a.action, a.user_id, a.granted_by) for a in
                db.session.scalars(sa.select(vault.FileAccess).order_by(vault.FileAccess.id))]


def test_A6_2_every_download_is_logged(nom):
    assert nom.attach(PNG, "证书.png").status_code == 302
    (f,) = nom.files()
    with tenant_context(nom.tenant_id, db.session):
        (att,) = db.session.scalars(sa.select(NominationAttachment))
    for _ in range(2):
        got = nom.client.get(f"/{nom.slug}/selection/attachments/{att.id}")
        assert got.status_code == 200 and got.data == PNG and got.headers["Cache-Control"] == "private, no-store"
    assert _log(nom.tenant_id) == [(f.id, "download", nom.liaison.id, "role:school_liaison")] * 2
    from flask_login import AnonymousUserMixin

    with nom.app.test_request_context(), tenant_context(nom.tenant_id, db.session):
        # a feature's own check (a public notice while it runs) lets anyone view: logged as such
        resp = vault.send(f, user=AnonymousUserMixin(), roles=(), inline=True, grant="public.notice")
        assert resp.status_code == 200 and resp.headers["Content-Disposition"].startswith("inline")
        resp.close()
        db.session.commit()
    assert _log(nom.tenant_id)[-1] == (f.id, "view", None, "public.notice")


def test_access_list_refuses_another_role_and_another_tenant_with_404(nom, app, client, login_as):
    assert nom.attach(PNG, "证书.png").status_code == 302
    (f,) = nom.files()
    with tenant_context(nom.tenant_id, db.session):
        (att,) = db.session.scalars(sa.select(NominationAttachment))
        att_id = att.id
    chair = member(nom.w.tenant, Role.chair)
    assert vault.granted_by(f, chair, {Role.chair}) is None
    assert vault.granted_by(f, nom.liaison, set()) == "owner"
    with app.test_request_context(), tenant_context(nom.tenant_id, db.session):
        with pytest.raises(NotFound):
            vault.send(f, user=chair, roles={Role.chair})
    login_as(chair)
    assert client.get(f"/{nom.slug}/selection/attachments/{att_id}").status_code == 404
    other = NationalTenantFactory()
    outsider = member(other, Role.secretariat_admin)
    with tenant_context(nom.tenant_id, db.session):
        db.session.refresh(f)
    with app.test_request_context(), tenant_context(other.id, db.session):
        assert db.session.get(vault.StoredFile, f.id) is None  # not found from the other tenant
        with pytest.raises(NotFound):  # even handed the object, with a role its list names
            vault.send(f, user=outsider, roles={Role.secretariat_admin})
    login_as(outsider)
    assert client.get(f"/{other.slug}/selection/attachments/{att_id}").status_code == 404
    assert client.get(f"/{nom.slug}/selection/attachments/{att_id}").status_code in (403, 404)
    assert _log(nom.tenant_id) == []


def test_a_generated_document_is_kept_in_the_vault_and_its_download_logged(app, client, login_as, session,
                                                                          tmp_path, monkeypatch):
    from portal.documents.models import GeneratedDocument
    from portal.documents.operations import BUILDERS, BuilderDef, request_document

    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    monkeypatch.setitem(BUILDERS, "test.vault", BuilderDef("test.vault", "名单", "tests.test_vault.sheet_builder",
                                                           ("xlsx",), ("secretariat_admin",), None, "名单"))
    t = NationalTenantFactory()
    admin = member(t, Role.secretariat_admin)
    staff = member(t, Role.secretariat_staff)
    chair = member(t, Role.chair)
    with app.test_request_context(), tenant_context(t.id, db.session):
        doc = request_document(t.id, kind="test", fmt="xlsx", builder="tests.test_vault.sheet_builder", params={},
                               filename="名单", requested_by=admin)
        db.session.commit()  # the job runs after the commit (eagerly in the suite)
        doc_id = doc.id
    db.session.expire_all()
    with tenant_context(t.id, db.session):
        doc = db.session.get(GeneratedDocument, doc_id)
        f = db.session.get(vault.StoredFile, doc.file_id)
        assert doc.status.value == "ready", doc.error
        assert (f.file_type, f.purpose, f.stored_by_id, f.original_name) == ("xlsx", "documents.generated", admin.id,
                                                                           "名单.xlsx")
        with open(vault.path_of(f), "rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == f.sha256
    login_as(staff)
    got = client.get(f"/{t.slug}/documents/{doc_id}/download")
    assert got.status_code == 200 and "attachment;" in got.headers["Content-Disposition"]
    login_as(chair)  # neither the secretariat nor the requester
    assert client.get(f"/{t.slug}/documents/{doc_id}/download").status_code == 404
    assert _log(t.id) == [(f.id, "download", staff.id, "role:secretariat_staff")]


def sheet_builder(tenant_id: int):
    from portal.documents.render import SheetSpec

    return [SheetSpec(title="名单", headers=["姓名"], rows=[["张"]])]


# --- the existing files migrated ---------------------------------------------------------------

def _migration():
    path = os.path.join(os.path.dirname(__file__), os.pardir, "migrations", "versions", "0011_vault.py")
    spec = importlib.util.spec_from_file_location("migration_0011_vault", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_existing_attachments_and_documents_are_migrated_once(nom, app):
    from portal.documents.models import DocumentFormat, DocumentStatus, GeneratedDocument

    root = nom.root
    os.makedirs(os.path.join(root, "documents", str(nom.tenant_id)), exist_ok=True)
    legacy_att, legacy_doc, gone_doc = "a" * 32 + ".png", "b" * 32 + ".pdf", "c" * 32 + ".pdf"
    with open(os.path.join(root, legacy_att), "wb") as fh:  # the old flat folder
        fh.write(PNG)
    with open(os.path.join(root, "documents", str(nom.tenant_id), legacy_doc), "wb") as fh:
        fh.write(PDF)
    with tenant_context(nom.tenant_id, db.session):
        att = NominationAttachment(tenant_id=nom.tenant_id, nomination_id=nom.draft_id, kind="evidence",
                                   original_name="旧证书.png", stored_name=legacy_att, file_type="png", size=len(PNG),
                                   sha256=hashlib.sha256(PNG).hexdigest(), uploaded_by_id=nom.liaison.id)
        docs = [GeneratedDocument(tenant_id=nom.tenant_id, kind="k", fmt=DocumentFormat.pdf, filename=n,
                                  status=DocumentStatus.ready, builder="x", params={}, storage_name=s, size=1,
                                  requested_by_id=nom.w.admin.id)
                for n, s in (("旧公示.pdf", legacy_doc), ("丢失.pdf", gone_doc))]
        db.session.add_all([att, *docs])
        db.session.flush()
        att_id, doc_id, gone_id = att.id, docs[0].id, docs[1].id
        db.session.commit()
    mig = _migration()
    first = mig.adopt_legacy_files(db.session.connection(), root)
    again = mig.adopt_legacy_files(db.session.connection(), root)
    assert (first["attachments"], first["documents"]) == (1, 1) and first["missing"] >= 1
    assert (again["attachments"], again["documents"]) == (0, 0)  # idempotent
    db.session.expire_all()
    with tenant_context(nom.tenant_id, db.session):
        att = db.session.get(NominationAttachment, att_id)
        doc, gone = db.session.get(GeneratedDocument, doc_id), db.session.get(GeneratedDocument, gone_id)
        fa, fd = db.session.get(vault.StoredFile, att.file_id), db.session.get(vault.StoredFile, doc.file_id)
        assert gone.file_id is None
        assert (fa.storage_key, fa.sha256, fa.original_name, fa.stored_by_id) == (
            f"{nom.tenant_id}/files/{legacy_att}", hashlib.sha256(PNG).hexdigest(), "旧证书.png", nom.liaison.id)
        assert fd.storage_key == f"{nom.tenant_id}/files/{legacy_doc}" and fd.purpose == "documents.generated"
        assert len(nom.files()) == 1 and fd.id in {f.id for f in nom.files("documents.generated")}
        with open(vault.path_of(fa), "rb") as fh:
            assert fh.read() == PNG
    got = nom.client.get(f"/{nom.slug}/selection/attachments/{att_id}")  # the same URL as before
    assert got.status_code == 200 and got.data == PNG


def test_an_approval_scan_is_kept_in_the_vault_once_the_decision_commits(session, app, tmp_path, monkeypatch):
    from portal.core import approvals, clock
    from tests.factories import TenantFactory
    from tests.test_approvals import TEST_KIND

    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    tenant = TenantFactory()
    admin, approver = member(tenant), member(tenant, Role.approver)
    with tenant_context(tenant.id, db.session):
        req = approvals.request(tenant, TEST_KIND.key, subject_type="thing", subject_id=1, title="测试事项一",
                                actor=admin, rules={"selection.approving_body": "共青团测试省委"})
        approvals.decide(req, True, actor=approver, document_number="中青发〔2026〕1号",
                         decision_date=clock.today(), scan=("批复.pdf", PDF))
        (f,) = db.session.scalars(sa.select(vault.StoredFile).where(vault.StoredFile.purpose == "approvals.scan"))
        assert req.scan_path == f.storage_key and req.scan_sha256 == f.sha256 == hashlib.sha256(PDF).hexdigest()
        assert f.stored_by_id == approver.id and "role:approver" in f.access
        assert not os.path.exists(vault.path_of(f))  # not before the commit
        db.session.commit()
        assert open(vault.path_of(f), "rb").read() == PDF
