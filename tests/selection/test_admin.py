"""Back-office views over the selection tables: scoped, masked, corrections only, audited."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Chair, Invitation, Nomination, NominationStatus, Objection, SelectionCycle
from tenants.models import Role
from tests.factories import member
from tests.selection.helpers import draft, invite, open_cycle, world
from tests.selection.test_workflow import _through_notice


def csrf(client, url) -> str:
    """The page's CSRF token; none is rendered while the suite runs with CSRF off (the admin with
    CSRF on is tested in tests/test_admin_browser.py)."""
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    return found.group(1) if found else ""


def admin_url(w, endpoint, action="", **query) -> str:
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/{w.tenant.slug}/admin/{endpoint}/{action}" + (f"?{q}" if q else "")


def audited(w, action) -> list[AuditRecord]:
    with tenant_context(w.tenant.id, db.session):
        return list(db.session.scalars(sa.select(AuditRecord).where(AuditRecord.action == action)))


@pytest.fixture()
def nominated(client, login_as):
    """Tenant A with a nomination; tenant B with one too (which A must never see)."""
    w = world(1)
    open_cycle(w)
    nom = draft(w, invite(w, w.schools[0]), 1)
    b = world(1)
    open_cycle(b)
    theirs = draft(b, invite(b, b.schools[0]), 2, name="乙方候选人")
    login_as(w.admin)
    return w, nom, theirs


def test_A6_2_nomination_admin_masks_id_numbers_and_lists_only_own_tenant(client, nominated):
    w, nom, theirs = nominated
    listing = client.get(admin_url(w, "admin_selection_nominations")).get_data(as_text=True)
    assert nom.name in listing and nom.masked_id in listing and nom.id_number not in listing
    assert "乙方候选人" not in listing
    details = client.get(admin_url(w, "admin_selection_nominations", "details/", id=nom.id)).get_data(as_text=True)
    assert nom.masked_id in details and nom.id_number not in details
    assert nom.id_number not in client.get(admin_url(w, "admin_selection_nominations", q=nom.id_number[-6:]))\
        .get_data(as_text=True)
    other = client.get(admin_url(w, "admin_selection_nominations", "details/", id=theirs.id), follow_redirects=True)
    assert "乙方候选人" not in other.get_data(as_text=True)


def test_A6_2_nomination_admin_exports_leave_out_id_numbers(client, nominated):
    w, nom, _ = nominated
    csv = client.get(admin_url(w, "admin_selection_nominations", "export/csv/")).get_data(as_text=True)
    assert nom.name in csv and "身份证号" not in csv and nom.id_number not in csv and nom.masked_id not in csv
    assert nom.phone not in csv
    wb = load_workbook(io.BytesIO(client.get(admin_url(w, "admin_selection_nominations", "export/xlsx/")).data))
    cells = [str(c.value) for row in wb.active.iter_rows() for c in row if c.value is not None]
    assert nom.name in cells and "身份证号" not in cells and not any(nom.id_number[:6] in c for c in cells)


def test_A6_2_nomination_admin_is_read_only_state_goes_through_the_workflow(client, nominated):
    w, nom, _ = nominated
    url = admin_url(w, "admin_selection_nominations", "edit/", id=nom.id)
    client.post(url, data={"status": "appointed", "name": "改名"})
    client.post(admin_url(w, "admin_selection_nominations", "delete/"), data={"id": str(nom.id)})
    with tenant_context(w.tenant.id, db.session):
        db.session.expire_all()
        n = db.session.get(Nomination, nom.id)
        assert (n.status, n.name) == (NominationStatus.draft, nom.name)
    assert "edit/" not in client.get(admin_url(w, "admin_selection_nominations")).get_data(as_text=True)


def test_A6_1_invitation_admin_corrects_letter_number_with_audit(client, nominated):
    w, nom, _ = nominated
    url = admin_url(w, "admin_selection_invitations", "edit/", id=nom.invitation_id)
    page = client.get(url).get_data(as_text=True)
    assert 'name="letter_number"' in page and 'name="school"' not in page and 'name="route"' not in page
    resp = client.post(url, data={"csrf_token": csrf(client, url), "letter_number": "学联驻〔2026〕9号",
                                  "delivered_at": "", "acknowledged_at": ""})
    assert resp.status_code == 302
    with tenant_context(w.tenant.id, db.session):
        db.session.expire_all()
        assert db.session.get(Invitation, nom.invitation_id).letter_number == "学联驻〔2026〕9号"
    (rec,) = audited(w, "admin.selection_invitations.updated")
    assert rec.after["letter_number"] == "学联驻〔2026〕9号" and rec.article == "A6.1"


def test_A6_1_invitation_admin_refuses_delivery_of_an_unsent_letter(client, nominated):
    w, nom, _ = nominated
    with tenant_context(w.tenant.id, db.session):
        inv = db.session.get(Invitation, nom.invitation_id)
        inv.sent_at = None
        db.session.commit()
    url = admin_url(w, "admin_selection_invitations", "edit/", id=nom.invitation_id)
    resp = client.post(url, data={"csrf_token": csrf(client, url), "letter_number": "x",
                                  "delivered_at": "2026-03-03 10:00:00", "acknowledged_at": ""}, follow_redirects=True)
    assert "推荐函尚未发出" in resp.get_data(as_text=True)
    with tenant_context(w.tenant.id, db.session):
        db.session.expire_all()
        assert db.session.get(Invitation, nom.invitation_id).delivered_at is None
    assert audited(w, "admin.selection_invitations.updated") == []


def test_A4_cycle_admin_edits_the_title_only(client, nominated):
    w, nom, _ = nominated
    url = admin_url(w, "admin_selection_cycles", "edit/", id=w.cycle.id)
    resp = client.post(url, data={"csrf_token": csrf(client, url), "title": "更正后的名称", "quota": "99",
                                  "status": "closed", "rules_version": "x"})
    assert resp.status_code == 302
    with tenant_context(w.tenant.id, db.session):
        db.session.expire_all()
        c = db.session.get(SelectionCycle, w.cycle.id)
        assert (c.title, c.quota, c.status.value, c.rules_version) == ("更正后的名称", w.cycle.quota, "open",
                                                                       w.cycle.rules_version)


@pytest.fixture()
def objection(client, login_as):
    w = world(2)
    open_cycle(w)
    noms, notice = _through_notice(w, 2)  # only noms[0] is on the notice
    with tenant_context(w.tenant.id, db.session):
        o = ops.submit_objection(notice, "对公示名单有意见，请秘书处核查。", today=dt.date(2026, 6, 2))
    login_as(w.admin)
    return w, noms, o


def test_A6_5_objection_admin_links_only_a_candidate_of_that_notice(client, objection):
    w, noms, o = objection
    n0, n1 = noms[0].id, noms[1].id  # read while loaded: once expired, RLS hides the rows outside the tenant
    url = admin_url(w, "admin_selection_objections", "edit/", id=o.id)
    page = client.get(url).get_data(as_text=True)
    assert noms[0].name in page and noms[1].name not in page
    token = csrf(client, url)
    client.post(url, data={"csrf_token": token, "nomination_id": str(n1)})
    with tenant_context(w.tenant.id, db.session):
        db.session.expire_all()
        assert db.session.get(Objection, o.id).nomination_id is None
    assert client.post(url, data={"csrf_token": token, "nomination_id": str(n0)}).status_code == 302
    with tenant_context(w.tenant.id, db.session):
        db.session.expire_all()
        assert db.session.get(Objection, o.id).nomination_id == n0
    assert audited(w, "admin.selection_objections.updated")[0].after["nomination_id"] == n0


def test_A6_5_objection_admin_refuses_relinking_a_resolved_objection(client, objection):
    w, noms, o = objection
    with tenant_context(w.tenant.id, db.session):
        ops.resolve_objection(o, False, "经核查不属实", actor=w.admin)
        db.session.commit()
    url = admin_url(w, "admin_selection_objections", "edit/", id=o.id)
    resp = client.post(url, data={"csrf_token": csrf(client, url), "nomination_id": str(noms[0].id)},
                       follow_redirects=True)
    assert "已有核查结论" in resp.get_data(as_text=True)
    with tenant_context(w.tenant.id, db.session):
        db.session.expire_all()
        assert db.session.get(Objection, o.id).nomination_id is None


def test_A6_5_chair_admin_checks_term_dates(client, objection):
    w, noms, _ = objection
    with tenant_context(w.tenant.id, db.session):
        chair = Chair(tenant_id=w.tenant.id, cycle_id=w.cycle.id, nomination_id=noms[0].id,
                      school_id=noms[0].school_id, name=noms[0].name, term_start=dt.date(2026, 9, 1),
                      term_end=dt.date(2027, 8, 31))
        db.session.add(chair)
        db.session.commit()
    url = admin_url(w, "admin_chairs", "edit/", id=chair.id)
    resp = client.post(url, data={"csrf_token": csrf(client, url), "name": chair.name, "term_start": "2026-09-01",
                                  "term_end": "2026-08-01"}, follow_redirects=True)
    assert "任期结束日期应晚于开始日期" in resp.get_data(as_text=True)
    resp = client.post(url, data={"csrf_token": csrf(client, url), "name": chair.name, "term_start": "2026-09-07",
                                  "term_end": "2027-09-06"})
    assert resp.status_code == 302
    (rec,) = audited(w, "admin.chairs.updated")
    assert rec.before["term_start"] == "2026-09-01" and rec.after["term_start"] == "2026-09-07"


def test_selection_admin_is_for_secretariat_admins_only(client, login_as, nominated):
    w, nom, _ = nominated
    staff = member(w.tenant, Role.secretariat_staff)
    client.get("/logout")
    login_as(staff)
    for endpoint in ("admin_selection_cycles", "admin_selection_invitations", "admin_selection_nominations",
                     "admin_selection_objections", "admin_chairs"):
        assert client.get(admin_url(w, endpoint)).status_code == 403
