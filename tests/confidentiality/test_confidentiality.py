"""A20 (issue 14 item 3): the non-classified vault, its access list and log, the watermark, the
pledge, seals and seal use, the term-end handover, revocation when a residency ends."""
from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import tempfile
import threading

import pytest
import sqlalchemy as sa

from portal.confidentiality import operations as ops
from portal.confidentiality.demo import demo_pdf
from portal.confidentiality.models import HandoverItem, Pledge, SealRequestStatus, VaultRevocation
from portal.core import audit, vault
from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.core.errors import DomainError
from portal.extensions import db
from portal.residency import operations as rops
from tenants.models import Role
from tests.factories import PASSWORD, TenantFactory, member
from tests.factories_residency import cohort

NOTICE = "本系统为非涉密系统，严禁处理、存储、传输涉密信息"


def _chair_user(res):
    from portal.auth.models import User

    u = db.session.get(User, res.chair.user_id)
    u.set_password(PASSWORD)
    u.password_set_at = dt.datetime(2026, 1, 1)
    return u


def _upload(client, slug, *, name="工作手册.pdf", level="internal", roles=(), users="", downloadable=True, data=None):
    form = {"title": name, "classification": level, "roles": list(roles), "users": users,
            "file": (io.BytesIO(data or demo_pdf(["驻会执行主席工作手册", "内部资料"], pages=2)), name)}
    if downloadable:
        form["downloadable"] = "1"
    return client.post(f"/{slug}/supervision/vault/upload", data=form, content_type="multipart/form-data")


def _materials(tid):
    with tenant_context(tid, db.session):
        return list(db.session.scalars(sa.select(vault.StoredFile).where(
            vault.StoredFile.purpose == ops.MATERIAL_PURPOSE).order_by(vault.StoredFile.id)))


def _audits(tid, action):
    with tenant_context(tid, db.session):
        return list(db.session.scalars(sa.select(AuditRecord).where(AuditRecord.action == action)
                                       .order_by(AuditRecord.seq)))


@pytest.fixture()
def w_chair(session):
    w, (res,) = cohort(1)
    chair = _chair_user(res)
    db.session.commit()
    return w, res, chair


# --- the non-classified notice and the levels ------------------------------------------------------

@pytest.mark.parametrize("marking", ["秘密", "机密", "绝密", "机密★5年"])
def test_A20_state_secret_marking_refused_in_the_ui_with_the_notice(app, client, login_as, w_chair, marking):
    w, _res, _chair = w_chair
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/supervision/vault/").get_data(as_text=True)
    assert NOTICE in page and 'type="file"' in page
    resp = _upload(client, w.tenant.slug, level=marking)
    assert resp.status_code == 303
    shown = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert NOTICE in shown and "第二十条" in shown and marking[:2] in shown
    assert _materials(w.tenant.id) == []


@pytest.mark.parametrize("marking", ["秘密", "机密", "绝密", "top_secret"])
def test_A20_state_secret_marking_refused_by_the_api_with_a_field_error(app, client, login_as, w_chair, marking):
    w, _res, _chair = w_chair
    login_as(w.admin)
    resp = client.post(f"/api/v1/{w.tenant.slug}/supervision/vault/files",
                       data={"classification": marking, "file": (io.BytesIO(demo_pdf(["x"])), "a.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "classified_refused"
    assert NOTICE in err["details"]["classification"] and "第二十条" in err["message"]
    assert _materials(w.tenant.id) == []


def test_A20_marking_refused_before_the_file_is_judged_and_in_the_operation(session):
    with pytest.raises(DomainError) as exc:
        vault.check_classification("绝密")
    assert exc.value.code == "classified_refused" and NOTICE in exc.value.message
    assert vault.check_classification("敏感") == vault.Classification.sensitive
    with pytest.raises(DomainError) as exc:
        vault.check_classification("一般")
    assert exc.value.code == "invalid_fields"


def test_A20_every_upload_form_in_the_app_carries_the_notice():
    """Every template with a file input includes the shared notice macro."""
    root = os.path.join(os.path.dirname(__file__), "..", "..", "portal")
    missing = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".html"):
                path = os.path.join(dirpath, name)
                text = open(path, encoding="utf-8").read()
                if 'type="file"' in text and "not_classified_notice()" not in text:
                    missing.append(os.path.relpath(path, root))
    assert not missing, f"upload forms without the A20 notice: {missing}"


# --- access list, view-only, watermark, the log and the audit ---------------------------------------

def _pdftotext_footer(data: bytes, page: int) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-x", "0", "-y", "812", "-W", "595",
                               "-H", "30", fh.name, "-"], capture_output=True, text=True, check=True).stdout


def test_A20_access_list_by_role_and_person_watermark_and_view_only(app, client, login_as, w_chair):
    w, res, chair = w_chair
    staff = member(w.tenant, Role.secretariat_staff)
    staff.name = "秘书处小刘"
    head = member(w.tenant, Role.department_head)
    login_as(w.admin)
    _upload(client, w.tenant.slug, name="按角色.pdf", roles=["secretariat_staff"])
    _upload(client, w.tenant.slug, name="按人员.pdf", users=str(chair.id), downloadable=False)
    by_role, by_person = _materials(w.tenant.id)
    assert by_role.classification == vault.Classification.internal and by_person.downloadable is False
    with tenant_context(w.tenant.id, db.session):
        ops.sign_pledge(chair, version=ops.pledge_template()[0])
    db.session.commit()

    login_as(staff)
    listing = client.get(f"/{w.tenant.slug}/supervision/vault/").get_data(as_text=True)
    assert "按角色.pdf" in listing and "按人员.pdf" not in listing
    assert client.get(f"/{w.tenant.slug}/supervision/vault/{by_person.id}").status_code == 404
    assert client.get(f"/api/v1/{w.tenant.slug}/supervision/vault/files/{by_person.id}/download").status_code == 404
    dl = client.get(f"/{w.tenant.slug}/supervision/vault/{by_role.id}/download")
    assert dl.status_code == 200 and dl.mimetype == "application/pdf"
    for page in (1, 2):
        footer = _pdftotext_footer(dl.data, page)
        assert "秘书处小刘" in footer and w.tenant.name in footer
        assert dt.datetime.now().strftime("%Y-") in footer  # the time of the download
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(dl.data)).pages) == 2

    login_as(head)
    assert client.get(f"/{w.tenant.slug}/supervision/vault/{by_role.id}").status_code == 404

    login_as(chair)
    listing = client.get(f"/{w.tenant.slug}/supervision/vault/").get_data(as_text=True)
    assert "按人员.pdf" in listing and "按角色.pdf" not in listing
    view = client.get(f"/{w.tenant.slug}/supervision/vault/{by_person.id}/view")
    assert view.status_code == 200 and "inline" in view.headers["Content-Disposition"]
    assert res.chair.name in _pdftotext_footer(view.data, 1) or chair.name in _pdftotext_footer(view.data, 1)
    api = client.get(f"/api/v1/{w.tenant.slug}/supervision/vault/files/{by_person.id}/download")
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "view_only"


def test_A20_every_vault_read_is_in_the_log_and_the_audit_and_the_chain_verifies(app, client, login_as, w_chair):
    w, _res, _chair = w_chair
    staff = member(w.tenant, Role.secretariat_staff)
    login_as(w.admin)
    _upload(client, w.tenant.slug, roles=["secretariat_staff"])
    (f,) = _materials(w.tenant.id)
    login_as(staff)
    client.get(f"/{w.tenant.slug}/supervision/vault/{f.id}/view")
    client.get(f"/{w.tenant.slug}/supervision/vault/{f.id}/download")
    client.get(f"/api/v1/{w.tenant.slug}/supervision/vault/files/{f.id}/download")
    log = client.get(f"/api/v1/{w.tenant.slug}/supervision/vault/log", query_string={"file_id": f.id}).get_json()
    assert [e["action"] for e in log["items"]] == ["download", "download", "view"]
    assert {e["user_id"] for e in log["items"]} == {staff.id}
    x = client.get(f"/{w.tenant.slug}/supervision/vault/log.xlsx", query_string={"user_id": staff.id})
    assert x.status_code == 200
    assert [a.object_id for a in _audits(w.tenant.id, "vault.view")] == [str(f.id)]
    assert len(_audits(w.tenant.id, "vault.download")) == 2
    assert len(_audits(w.tenant.id, "vault.log_read")) == 1 and len(_audits(w.tenant.id, "vault.export")) == 1
    assert all(a.article == "A20" for a in _audits(w.tenant.id, "vault.download"))
    # the readings of the log are themselves in the log
    again = client.get(f"/api/v1/{w.tenant.slug}/supervision/vault/log", query_string={"user_id": staff.id}).get_json()
    assert [e["action"] for e in again["items"]][:2] == ["export", "log_read"]
    assert audit.verify_chain(w.tenant.id) is None


def test_A20_access_log_keyset_pages_by_document_and_person(app, session):
    from tests.selection.helpers import world

    w = world(1)
    other = member(w.tenant, Role.secretariat_staff)
    with tenant_context(w.tenant.id, db.session):
        f = vault.store(w.tenant.id, demo_pdf(["x"]), filename="a.pdf", purpose=ops.MATERIAL_PURPOSE, allowed=["pdf"],
                        stored_by=w.admin, classification="internal")
        for i in range(7):
            vault.record_access(f, "view", w.admin if i % 2 else other, "role:secretariat_admin")
        first = ops.access_log(file_id=f.id, limit=3)
        second = ops.access_log(file_id=f.id, before_id=first[-1].id, limit=3)
        assert [e.id for e in first] == sorted((e.id for e in first), reverse=True)
        assert first[-1].id > second[0].id and len(second) == 3
        mine = ops.access_log(user_id=other.id, limit=50)
        assert len(mine) == 4 and {e.user_id for e in mine} == {other.id}
        with pytest.raises(DomainError):
            ops.read_access_log(actor=other, roles={"chair"})


def test_A20_other_tenants_material_is_404(app, client, login_as, w_chair):
    w, _res, _chair = w_chair
    login_as(w.admin)
    _upload(client, w.tenant.slug)
    (f,) = _materials(w.tenant.id)
    w2, _ = cohort(1, tenant=TenantFactory(slug="conf-b"))
    login_as(w2.admin)
    for url in (f"/{w2.tenant.slug}/supervision/vault/{f.id}", f"/{w2.tenant.slug}/supervision/vault/{f.id}/download",
                f"/api/v1/{w2.tenant.slug}/supervision/vault/files/{f.id}"):
        assert client.get(url).status_code == 404, url


# --- the pledge -------------------------------------------------------------------------------------

def test_A20_chair_is_sent_to_the_pledge_before_the_vault_opens(app, client, login_as, w_chair):
    w, res, chair = w_chair
    login_as(chair)
    r = client.get(f"/{w.tenant.slug}/supervision/vault/")
    assert r.status_code == 303 and r.headers["Location"].endswith("/supervision/pledges/")
    api = client.get(f"/api/v1/{w.tenant.slug}/supervision/vault/files")
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "pledge_required"
    page = client.get(f"/{w.tenant.slug}/supervision/pledges/").get_data(as_text=True)
    assert "第二十条" in page and "保密承诺书" in page
    version, text = None, None
    with tenant_context(w.tenant.id, db.session):
        version, text = ops.pledge_template()
    assert client.post(f"/{w.tenant.slug}/supervision/pledges/", data={"version": version, "agree": "1"}).status_code == 303
    assert client.get(f"/{w.tenant.slug}/supervision/vault/").status_code == 200
    with tenant_context(w.tenant.id, db.session):
        p = db.session.scalar(sa.select(Pledge).where(Pledge.user_id == chair.id))
        assert p.version == version and p.chair_id == res.chair_id
        import hashlib

        assert p.text_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert [a.article for a in _audits(w.tenant.id, "confidentiality.pledge_signed")] == ["A20"]


def test_A20_a_new_pledge_version_from_the_provinces_rules_closes_the_vault_again(app, client, login_as, session):
    """Rule ``confidentiality.pledge_version`` under a non-default value (a provincial override)."""
    from tests.factories import NationalTenantFactory
    from tenants.rules.operations import set_override

    nat = NationalTenantFactory()
    prov = TenantFactory(slug="conf-prov", parent=nat)
    w, (res,) = cohort(1, tenant=prov)
    chair = _chair_user(res)
    with tenant_context(prov.id, db.session):
        ops.sign_pledge(chair, version=ops.pledge_template()[0])
        assert ops.gate(chair, {"chair"}) is None
        set_override(prov, "confidentiality.pledge_version", "本省-2", "本省修订承诺书", w.admin)
        set_override(prov, "confidentiality.pledge_text", "本省保密承诺书文本（第二十条）", "本省修订承诺书", w.admin)
        assert ops.pledge_template() == ("本省-2", "本省保密承诺书文本（第二十条）")
        assert ops.gate(chair, {"chair"}) == "pledge"
        with pytest.raises(DomainError) as exc:
            ops.sign_pledge(chair, version="2026-1")
        assert exc.value.code == "pledge_changed"
        ops.sign_pledge(chair, version="本省-2")
        assert ops.gate(chair, {"chair"}) is None


def test_A20_chair_sees_only_their_own_pledge(app, client, login_as, session):
    w, (a, b) = cohort(2)
    ca, cb = _chair_user(a), _chair_user(b)
    with tenant_context(w.tenant.id, db.session):
        v = ops.pledge_template()[0]
        ops.sign_pledge(ca, version=v)
        ops.sign_pledge(cb, version=v)
    login_as(ca)
    items = client.get(f"/api/v1/{w.tenant.slug}/supervision/pledges").get_json()["items"]
    assert [i["user_id"] for i in items] == [ca.id]
    login_as(w.admin)
    assert len(client.get(f"/api/v1/{w.tenant.slug}/supervision/pledges").get_json()["items"]) == 2


# --- revocation -------------------------------------------------------------------------------------

def test_A20_residency_ended_revokes_vault_access_in_the_same_transaction(app, client, login_as, w_chair):
    w, res, chair = w_chair
    login_as(w.admin)
    _upload(client, w.tenant.slug, name="按人员.pdf", users=str(chair.id))
    _upload(client, w.tenant.slug, name="按角色.pdf", roles=["chair"])
    with tenant_context(w.tenant.id, db.session):
        ops.sign_pledge(chair, version=ops.pledge_template()[0])
    db.session.commit()
    login_as(chair)
    assert client.get(f"/api/v1/{w.tenant.slug}/supervision/vault/files").get_json()["items"].__len__() == 2
    with tenant_context(w.tenant.id, db.session):
        rops.end_residency(res, "removed", ended_on=dt.date(2026, 1, 15), reason="经批准取消驻会资格（第十八条）",
                           actor=w.admin)
        rev = db.session.scalar(sa.select(VaultRevocation).where(VaultRevocation.user_id == chair.id))
        assert rev.status == "removed" and rev.removed_entries == 1
        assert all(f"user:{chair.id}" not in f.access for f in _materials(w.tenant.id))
        # removal is not blocked by the handover, whose checklist stays open for follow-up
        assert ops.open_items(res) == 3
    db.session.commit()
    assert [a.article for a in _audits(w.tenant.id, "vault.access_revoked")] == ["A20"]
    by_role = _materials(w.tenant.id)[1]
    assert client.get(f"/{w.tenant.slug}/supervision/vault/").status_code == 404
    assert client.get(f"/{w.tenant.slug}/supervision/vault/{by_role.id}/download").status_code == 404
    assert client.get(f"/api/v1/{w.tenant.slug}/supervision/vault/files/{by_role.id}").status_code == 404


# --- seals --------------------------------------------------------------------------------------------

def _seal(w):
    with tenant_context(w.tenant.id, db.session):
        return ops.register_seal(name="秘书处公章", kind="official", custodian_name="王秘书", actor=w.admin)


def test_A20_seal_use_without_an_approved_request_is_refused(app, client, login_as, w_chair):
    w, _res, chair = w_chair
    seal = _seal(w)
    db.session.commit()
    login_as(chair)
    r = client.post(f"/api/v1/{w.tenant.slug}/supervision/seals/requests",
                    json={"seal_id": seal.id, "title": "介绍信", "copies": 2, "reason": "调研"})
    assert r.status_code == 201
    rid = r.get_json()["id"]
    # a chair neither approves nor records
    assert client.post(f"/api/v1/{w.tenant.slug}/supervision/seals/requests/{rid}/decision",
                       json={"decision": "approve"}).status_code == 403
    login_as(w.admin)
    use = client.post(f"/api/v1/{w.tenant.slug}/supervision/seals/requests/{rid}/uses", json={"copies": 1})
    assert use.status_code == 409
    err = use.get_json()["error"]
    assert err["code"] == "no_approved_request" and "第二十条" in err["message"]
    with tenant_context(w.tenant.id, db.session):
        with pytest.raises(DomainError) as exc:
            ops.record_seal_use(None, copies=1, actor=w.admin)
        assert exc.value.code == "no_approved_request"
    bad = client.post(f"/api/v1/{w.tenant.slug}/supervision/seals/requests",
                      json={"seal_id": seal.id, "title": "", "copies": 0, "reason": "x"})
    assert bad.status_code == 422 and {"copies", "title"} <= set(bad.get_json()["error"]["details"])


def test_A20_seal_use_copies_never_exceed_the_approval(app, client, login_as, w_chair):
    w, _res, _chair = w_chair
    seal = _seal(w)
    with tenant_context(w.tenant.id, db.session):
        req = ops.request_seal_use(seal_id=seal.id, title="通知", copies=3, reason="印发", actor=w.admin)
        ops.decide_seal_request(req, approve=True, actor=w.admin, roles={"secretariat_admin"})
        ops.record_seal_use(req, copies=2, actor=w.admin)
        with pytest.raises(DomainError) as exc:
            ops.record_seal_use(req, copies=2, actor=w.admin)
        assert exc.value.code == "copies_exceeded"
        ops.record_seal_use(req, copies=1, actor=w.admin)
        assert req.status == SealRequestStatus.used and req.copies_used == 3
        with pytest.raises(DomainError) as exc:
            ops.record_seal_use(req, copies=1, actor=w.admin)
        assert exc.value.code == "copies_exceeded"
        assert [a.article for a in _audits(w.tenant.id, "seal.used")] == ["A20", "A20"]
        with pytest.raises(DomainError) as exc:
            ops.decide_seal_request(req, approve=True, actor=w.admin, roles={"secretariat_admin"})
        assert exc.value.code == "bad_state"


def test_A20_a_stale_second_recorder_never_takes_the_last_copy(app, session):
    """Two recorders loaded the same request: the compare-and-set on the used count refuses
    the one whose read is stale, so the approved copies are never exceeded."""
    from tests.selection.helpers import world

    w = world(1)
    seal = _seal(w)
    with tenant_context(w.tenant.id, db.session):
        req = ops.request_seal_use(seal_id=seal.id, title="证明", copies=1, reason="办理手续", actor=w.admin)
        ops.decide_seal_request(req, approve=True, actor=w.admin, roles={"secretariat_admin"})
        from portal.confidentiality.models import SealUseRequest

        # a rival's use lands between this recorder's read and its write
        db.session.execute(sa.update(SealUseRequest).where(SealUseRequest.id == req.id).values(copies_used=1))
        with pytest.raises(DomainError) as exc:
            ops.record_seal_use(req, copies=1, actor=w.admin)
        assert exc.value.code == "copies_exceeded"
        assert db.session.scalar(sa.select(SealUseRequest.copies_used).where(SealUseRequest.id == req.id)) == 1


def test_A20_seal_use_approver_is_the_role_the_rules_name(app, client, login_as, session):
    """Rule ``confidentiality.seal_use_approver_roles`` under a non-default value."""
    from tests.factories import NationalTenantFactory
    from tenants.rules.operations import set_override

    nat = NationalTenantFactory()
    prov = TenantFactory(slug="conf-seal", parent=nat)
    from tests.selection.helpers import world

    w = world(1, tenant=prov)
    staff = member(prov, Role.secretariat_staff)
    seal = _seal(w)
    with tenant_context(prov.id, db.session):
        set_override(prov, "confidentiality.seal_use_approver_roles", ["secretariat_staff"], "本省由秘书处工作人员审批",
                     w.admin)
        req = ops.request_seal_use(seal_id=seal.id, title="通知", copies=1, reason="印发", actor=staff)
        with pytest.raises(DomainError) as exc:
            ops.decide_seal_request(req, approve=True, actor=w.admin, roles={"secretariat_admin"})
        assert exc.value.status == 403
        ops.decide_seal_request(req, approve=True, actor=staff, roles={"secretariat_staff"})
        assert req.status == SealRequestStatus.approved


def test_A20_seal_custody_handover_is_registered_and_not_doubled(app, session):
    from tests.selection.helpers import world

    w = world(1)
    seal = _seal(w)
    with tenant_context(w.tenant.id, db.session):
        h = ops.hand_over_seal(seal, to_name="赵秘书", witness="秘书处主任", handed_on=dt.date(2026, 3, 2), actor=w.admin)
        assert (h.from_name, h.to_name, seal.custodian_name) == ("王秘书", "赵秘书", "赵秘书")
        with pytest.raises(DomainError):
            ops.hand_over_seal(seal, to_name="赵秘书", witness="他人", handed_on=dt.date(2026, 3, 2), actor=w.admin)
        with pytest.raises(DomainError) as exc:
            ops.hand_over_seal(seal, to_name="钱秘书", witness="钱秘书", handed_on=dt.date(2026, 3, 2), actor=w.admin)
        assert exc.value.field == "witness"


def test_A20_chair_sees_only_their_own_seal_requests(app, client, login_as, session):
    w, (a, b) = cohort(2)
    ca, cb = _chair_user(a), _chair_user(b)
    seal = _seal(w)
    with tenant_context(w.tenant.id, db.session):
        ra = ops.request_seal_use(seal_id=seal.id, title="甲的介绍信", copies=1, reason="调研", actor=ca)
        rb = ops.request_seal_use(seal_id=seal.id, title="乙的介绍信", copies=1, reason="调研", actor=cb)
    login_as(ca)
    items = client.get(f"/api/v1/{w.tenant.slug}/supervision/seals/requests").get_json()["items"]
    assert [i["id"] for i in items] == [ra.id]
    assert client.get(f"/api/v1/{w.tenant.slug}/supervision/seals/requests/{rb.id}").status_code == 404
    page = client.get(f"/{w.tenant.slug}/supervision/seals/").get_data(as_text=True)
    assert "甲的介绍信" in page and "乙的介绍信" not in page


# --- the term-end handover ----------------------------------------------------------------------------

def test_A20_open_handover_checklist_blocks_completion(app, client, login_as, w_chair):
    w, res, _chair = w_chair
    with tenant_context(w.tenant.id, db.session):
        with pytest.raises(DomainError) as exc:
            rops.end_residency(res, "completed", ended_on=res.term_end, reason=None, actor=w.admin)
        assert exc.value.code == "handover_missing" and "第二十条" in exc.value.message
        items = ops.ensure_checklist(res, actor=w.admin)
        assert [i.title for i in items] == ["工作文件和纸质资料", "电子文档和数据", "借用的物品和证件"]
        for i in items[:2]:
            ops.check_off(i, actor=w.admin, roles={"secretariat_admin"})
        with pytest.raises(DomainError) as exc:
            rops.end_residency(res, "completed", ended_on=res.term_end, reason=None, actor=w.admin)
        assert exc.value.code == "handover_open" and "借用的物品和证件" in exc.value.message
        assert res.status.value == "in_residence"
        with pytest.raises(DomainError) as exc:
            ops.check_off(items[0], actor=w.admin, roles={"secretariat_admin"})
        assert exc.value.code == "bad_state"
    db.session.commit()
    login_as(w.admin)
    r = client.post(f"/api/v1/{w.tenant.slug}/supervision/handover/items/{items[2].id}/check", json={"note": "已归还"})
    assert r.status_code == 200 and r.get_json()["status"] == "returned"
    with tenant_context(w.tenant.id, db.session):
        rops.end_residency(res, "completed", ended_on=res.term_end, reason=None, actor=w.admin)
        assert res.status.value == "completed"
    assert [a.article for a in _audits(w.tenant.id, "handover.checked_off")] == ["A20"] * 3


def test_A20_handover_items_come_from_the_rules(app, session):
    """Rule ``confidentiality.handover_items`` under a non-default value."""
    from tests.factories import NationalTenantFactory
    from tenants.rules.operations import set_override

    nat = NationalTenantFactory()
    prov = TenantFactory(slug="conf-hand", parent=nat)
    w, (res,) = cohort(1, tenant=prov)
    with tenant_context(prov.id, db.session):
        set_override(prov, "confidentiality.handover_items", ["工作证", "办公室钥匙"], "本省清单", w.admin)
        assert [i.title for i in ops.ensure_checklist(res, actor=w.admin)] == ["工作证", "办公室钥匙"]


def test_A20_chair_sees_own_handover_not_anothers(app, client, login_as, session):
    w, (a, b) = cohort(2)
    ca = _chair_user(a)
    with tenant_context(w.tenant.id, db.session):
        ops.ensure_checklist(a, actor=w.admin)
        ops.ensure_checklist(b, actor=w.admin)
    login_as(ca)
    assert client.get(f"/api/v1/{w.tenant.slug}/supervision/handover/{a.id}").get_json()["open"] == 3
    assert client.get(f"/api/v1/{w.tenant.slug}/supervision/handover/{b.id}").status_code == 404
    page = client.get(f"/{w.tenant.slug}/supervision/handover/").get_data(as_text=True)
    assert a.chair.name in page and b.chair.name not in page
    with tenant_context(w.tenant.id, db.session):
        item = db.session.scalar(sa.select(HandoverItem).where(HandoverItem.residency_id == a.id).limit(1))
    assert client.post(f"/api/v1/{w.tenant.slug}/supervision/handover/items/{item.id}/check", json={}).status_code == 403


def test_A20_the_public_sees_nothing(app, client, w_chair):
    w, _res, _chair = w_chair
    for url in (f"/{w.tenant.slug}/supervision/vault/", f"/{w.tenant.slug}/supervision/seals/",
                f"/{w.tenant.slug}/supervision/pledges/", f"/{w.tenant.slug}/supervision/handover/"):
        r = client.get(url)
        assert r.status_code in (302, 401, 403) and "王秘书" not in r.get_data(as_text=True), url
    for url in (f"/api/v1/{w.tenant.slug}/supervision/vault/files", f"/api/v1/{w.tenant.slug}/supervision/seals",
                f"/api/v1/{w.tenant.slug}/supervision/vault/log"):
        assert client.get(url).status_code in (401, 403), url


def test_A20_routes_are_in_the_openapi_document(app, client, session):
    doc = client.get("/api/v1/openapi.json").get_json()
    paths = doc["paths"]
    for p in ("/api/v1/{tenant}/supervision/vault/files", "/api/v1/{tenant}/supervision/vault/log",
              "/api/v1/{tenant}/supervision/seals/requests/{req_id}/uses", "/api/v1/{tenant}/supervision/pledges",
              "/api/v1/{tenant}/supervision/handover/{res_id}"):
        assert p in paths, p


def test_A20_vault_and_seal_pages_are_bilingual(app, client, login_as, w_chair):
    w, _res, _chair = w_chair
    login_as(w.admin)
    zh = client.get(f"/{w.tenant.slug}/supervision/vault/").get_data(as_text=True)
    assert NOTICE in zh and "存入资料库" in zh
    en = client.get(f"/{w.tenant.slug}/supervision/vault/", query_string={"lang": "en"}).get_data(as_text=True)
    assert "not a classified system" in en and "Store in the vault" in en and NOTICE not in en
    seals = client.get(f"/{w.tenant.slug}/supervision/seals/").get_data(as_text=True)
    assert "Seal register" in seals and "印鉴登记" not in seals
    client.get(f"/{w.tenant.slug}/supervision/vault/", query_string={"lang": "zh_Hans_CN"})


def _sheet(rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_A20_state_secret_marking_in_an_imported_sheet_refuses_the_whole_sheet(app, client, login_as, w_chair):
    w, _res, _chair = w_chair
    login_as(w.admin)
    _upload(client, w.tenant.slug, name="甲.pdf")
    _upload(client, w.tenant.slug, name="乙.pdf")
    a, b = _materials(w.tenant.id)
    bad = _sheet([["文件编号", "密级", "允许下载"], [a.id, "敏感", "否"], [b.id, "机密", "是"]])
    r = client.post(f"/{w.tenant.slug}/supervision/vault/levels", data={"file": (io.BytesIO(bad), "levels.xlsx")},
                    content_type="multipart/form-data")
    shown = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "第 3 行" in shown and NOTICE in shown and "第二十条" in shown
    a, b = _materials(w.tenant.id)
    assert a.classification == vault.Classification.internal and a.downloadable  # nothing written
    good = _sheet([["文件编号", "密级", "允许下载"], [a.id, "敏感", "否"], [b.id, "公开", "是"]])
    client.post(f"/{w.tenant.slug}/supervision/vault/levels", data={"file": (io.BytesIO(good), "levels.xlsx")},
                content_type="multipart/form-data")
    a, b = _materials(w.tenant.id)
    assert (a.classification, a.downloadable, b.classification) == (
        vault.Classification.sensitive, False, vault.Classification.public)


def test_A20_revocation_rolls_back_with_the_ending_it_belongs_to(app, session):
    """The receiver of residency.ended only flushes: if the ending transaction rolls back, the
    chair's access and person entries are as they were."""
    w, (res,) = cohort(1)
    chair = _chair_user(res)
    with tenant_context(w.tenant.id, db.session):
        f = ops.upload_material(demo_pdf(["x"]), "a.pdf", title=None, classification="internal", downloadable=True,
                                users=[chair.id], actor=w.admin)
        nested = db.session.begin_nested()
        rops.end_residency(res, "left", ended_on=dt.date(2026, 1, 10), reason="劝退（第二十一条）", actor=w.admin)
        assert ops.revoked(chair)
        nested.rollback()
        assert not ops.revoked(chair)
        db.session.refresh(f)
        assert f"user:{chair.id}" in f.access


def test_A20_a_chair_appointed_again_reaches_the_vault_through_the_new_residency(app, session):
    """The first residency's end closed the vault to the person; a later residency of the same
    person opens it again (after the pledge), and its own end closes it once more."""
    from tests.selection.helpers import draft

    w, (res,) = cohort(1)
    chair = _chair_user(res)
    with tenant_context(w.tenant.id, db.session):
        rops.end_residency(res, "left", ended_on=dt.date(2026, 7, 31), reason="劝退（第二十一条）", actor=w.admin)
        assert ops.revoked(chair) and ops.gate(chair, {"chair"}) == "revoked"
        from portal.selection.models import Invitation, Nomination

        inv = db.session.get(Invitation, db.session.get(Nomination, res.chair.nomination_id).invitation_id)
        nom = draft(w, inv, seq=7, email=f"chair1-{w.tenant.slug}@example.cn")
        from portal.residency.models import Chair

        again = Chair(tenant_id=w.tenant.id, cycle_id=w.cycle.id, nomination_id=nom.id, school_id=nom.school_id,
                      name=nom.name, term_start=dt.date(2026, 9, 1), term_end=dt.date(2027, 8, 31))
        db.session.add(again)
        db.session.flush()
        second = rops.open_residency(again, cycle=w.cycle, nomination=nom, actor=w.admin)
        assert again.user_id == chair.id
        assert not ops.revoked(chair) and ops.gate(chair, {"chair"}) in ("pledge", None)
        rops.end_residency(second, "removed", ended_on=dt.date(2026, 10, 9), reason="经批准取消驻会资格（第十八条）",
                           actor=w.admin)
        assert ops.revoked(chair)
        rev = db.session.scalar(sa.select(VaultRevocation).where(VaultRevocation.user_id == chair.id))
        assert (rev.residency_id, rev.status) == (second.id, "removed")
