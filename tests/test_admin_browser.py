"""The back office as a browser drives it, with CSRF ON (as in production).

Every POST below is built from the page the server rendered: the form is parsed, its
successful controls are sent as a browser would (lxml's ``form_values``), and the token(s) are
whichever the page carried. The rest of the suite runs with CSRF off, which hid that the edit
form carried two tokens (every save failed) and the list's delete form the wrong one (400).
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urljoin

import lxml.html
import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from portal.admin.views import TenantModelView
from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.extensions import db
from portal.reference.models import School, StudentUnion
from portal.selection import operations as ops
from portal.selection.models import Chair
from tests.factories import PresidiumFactory, SchoolFactory, TenantFactory, UnionFactory, member
from tests.selection.helpers import open_cycle, world


@pytest.fixture()
def csrf_on(app, monkeypatch):
    """Call after logging in (the login form has its own token test elsewhere)."""

    def _on():
        monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    return _on


def forms_of(resp):
    assert resp.status_code == 200, resp.status_code
    return lxml.html.fromstring(resp.get_data(as_text=True)).forms


def admin_form(resp):
    (form,) = [f for f in forms_of(resp) if "admin-form" in (f.get("class") or "")]
    return form


def submit(client, page_url, form, changes=None, extra=()):
    """POST ``form`` as a browser would: its successful controls, with ``changes`` applied."""
    values = [(k, v) for k, v in form.form_values() if not (changes and k in changes)]
    values += [(k, v) for k, v in (changes or {}).items()]
    values += list(extra)
    return client.post(urljoin(page_url, form.action or page_url), data=MultiDict(values))


def flashes(client):
    with client.session_transaction() as s:
        return list(s.get("_flashes", []))


def csrf_inputs(form) -> int:
    return len(form.xpath('.//input[@name="csrf_token"]'))


def audited(tenant, action):
    with tenant_context(tenant.id, db.session):
        return db.session.scalars(sa.select(AuditRecord).where(AuditRecord.action == action)).all()


def test_edit_form_has_one_token_and_saves_with_csrf_on(client, login_as, csrf_on, session):
    t = TenantFactory()
    school = SchoolFactory(tenant=t, name="原名大学")
    login_as(member(t))
    csrf_on()
    url = f"/{t.slug}/admin/admin_schools/edit/?id={school.id}"
    form = admin_form(client.get(url))
    assert csrf_inputs(form) == 1
    resp = submit(client, url, form, {"name": "改名大学"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    assert not [m for cat, m in flashes(client) if cat == "error"]
    with tenant_context(t.id, db.session):
        db.session.expire_all()
        assert db.session.get(School, school.id).name == "改名大学"
    (rec,) = audited(t, "admin.schools.updated")
    assert (rec.before["name"], rec.after["name"]) == ("原名大学", "改名大学")


def test_create_form_saves_with_csrf_on(client, login_as, csrf_on, session):
    t = TenantFactory()
    school = SchoolFactory(tenant=t, name="本省甲校")
    login_as(member(t))
    csrf_on()
    url = f"/{t.slug}/admin/admin_unions/new/"
    form = admin_form(client.get(url))
    assert csrf_inputs(form) == 1
    resp = submit(client, url, form, {"school": str(school.id), "kind": "研究生会", "name": "研究生会"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    with tenant_context(t.id, db.session):
        (union,) = db.session.scalars(sa.select(StudentUnion).where(StudentUnion.name == "研究生会")).all()
        assert (union.tenant_id, union.school_id) == (t.id, school.id)
    assert audited(t, "admin.student_unions.created")


def _row_delete_form(resp, pk):
    (form,) = [f for f in forms_of(resp) if f.action and f.action.rstrip("/").endswith("/delete")
               and f.inputs["id"].value == str(pk)]
    return form


def test_list_delete_form_deletes_with_csrf_on(client, login_as, csrf_on, session):
    t = TenantFactory()
    school = SchoolFactory(tenant=t, name="待删大学")
    login_as(member(t))
    csrf_on()
    url = f"/{t.slug}/admin/admin_schools/"
    form = _row_delete_form(client.get(url), school.id)
    assert csrf_inputs(form) == 1
    resp = submit(client, url, form)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    with tenant_context(t.id, db.session):
        db.session.expire_all()
        assert db.session.get(School, school.id) is None
    (rec,) = audited(t, "admin.schools.deleted")
    assert rec.before["name"] == "待删大学"


def test_bulk_delete_action_with_csrf_on(client, login_as, csrf_on, session):
    """The list's action form, as its script submits it: the action's name and the ticked rows.
    On PostgreSQL the ids used to reach the query as strings (``integer = character varying``)."""
    t = TenantFactory()
    a, b, kept = (SchoolFactory(tenant=t) for _ in range(3))
    theirs = SchoolFactory(name="他省大学")
    theirs_id, their_tenant = theirs.id, theirs.tenant_id
    login_as(member(t))
    csrf_on()
    url = f"/{t.slug}/admin/admin_schools/"
    page = client.get(url)
    (form,) = [f for f in forms_of(page) if f.get("id") == "action_form"]
    ticks = {el.get("value") for el in lxml.html.fromstring(page.get_data(as_text=True))
             .xpath('//input[@name="rowid"]')}
    assert {str(a.id), str(b.id), str(kept.id)} <= ticks
    resp = submit(client, url, form, {"action": "delete"},
                  extra=[("rowid", str(a.id)), ("rowid", str(b.id)), ("rowid", str(theirs_id)), ("rowid", "x")])
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    assert ("success", "2 records were successfully deleted.") in flashes(client) or \
        any(cat == "success" and "2" in m for cat, m in flashes(client))
    with tenant_context(t.id, db.session):
        db.session.expire_all()
        left = set(db.session.scalars(sa.select(School.id).where(School.tenant_id == t.id)))
        assert left == {kept.id}
    with tenant_context(their_tenant, db.session):
        assert db.session.get(School, theirs_id) is not None
    assert len(audited(t, "admin.schools.deleted")) == 2


def test_post_without_the_pages_token_is_refused_with_csrf_on(client, login_as, csrf_on, session):
    t = TenantFactory()
    school = SchoolFactory(tenant=t, name="原名大学")
    login_as(member(t))
    csrf_on()
    url = f"/{t.slug}/admin/admin_schools/edit/?id={school.id}"
    form = admin_form(client.get(url))
    assert submit(client, url, form, {"name": "改名", "csrf_token": "forged"}).status_code == 400
    resp = client.post(f"/{t.slug}/admin/admin_schools/delete/", data={"id": str(school.id)})
    assert resp.status_code == 400
    with tenant_context(t.id, db.session):
        db.session.expire_all()
        assert db.session.get(School, school.id).name == "原名大学"


@pytest.fixture()
def full_world(client, login_as):
    """One row behind every admin view: schools, unions, presidium, memberships, a cycle with an
    invitation, a nomination on a public notice, an objection and a chair."""
    from tests.selection.test_workflow import _through_notice

    w = world(2)
    open_cycle(w)
    noms, notice = _through_notice(w, 2)
    with tenant_context(w.tenant.id, db.session):
        ops.submit_objection(notice, "对公示名单有意见，请秘书处核查。", today=dt.date(2026, 6, 2))
        db.session.add(Chair(tenant_id=w.tenant.id, cycle_id=w.cycle.id, nomination_id=noms[0].id,
                             school_id=noms[0].school_id, name=noms[0].name, term_start=dt.date(2026, 9, 1),
                             term_end=dt.date(2027, 8, 31)))
        db.session.flush()
        _incentives_rows(w, noms[0])
    login_as(w.admin)
    return w


def _incentives_rows(w, nom):
    """Chapter 4's admin views (portal/incentives/admin.py): a rate of the tenant's own, a bed,
    its assignment to the chair's residency, a welfare grant."""
    from decimal import Decimal

    from portal.incentives.models import AllowanceRate, Bed, BedAssignment, WelfareGrant
    from portal.residency import operations as rops

    chair = db.session.scalar(sa.select(Chair).where(Chair.nomination_id == nom.id))
    res = rops.open_residency(chair, cycle=w.cycle, nomination=None, actor=w.admin)
    db.session.add(AllowanceRate(tenant_id=w.tenant.id, effective_on=dt.date(2026, 9, 1), degree_level="本科",
                                 monthly_amount=Decimal("3000.00"), source="人薪发〔1990〕20号"))
    bed = Bed(tenant_id=w.tenant.id, building="1号楼", room="101", bed="1")
    db.session.add(bed)
    db.session.flush()
    db.session.add(BedAssignment(tenant_id=w.tenant.id, bed_id=bed.id, residency_id=res.id, starts_on=res.term_start,
                                 ends_on=res.term_end))
    db.session.add(WelfareGrant(tenant_id=w.tenant.id, residency_id=res.id, item="春节慰问品",
                                given_on=dt.date(2027, 2, 1)))
    db.session.flush()


def _tenant_views(app):
    return [v for v in app.extensions["portal_admin"]._views if isinstance(v, TenantModelView)]


def test_every_editable_admin_view_saves_its_own_form_with_csrf_on(app, client, csrf_on, full_world):
    w = full_world
    csrf_on()
    edited = []
    for view in _tenant_views(app):
        with tenant_context(w.tenant.id, db.session):
            pk = db.session.scalar(sa.select(view.model.id).where(view.model.tenant_id == w.tenant.id)
                                   .order_by(view.model.id))
        listing = client.get(f"/{w.tenant.slug}/admin/{view.endpoint}/")
        assert listing.status_code == 200, view.endpoint
        if view.can_create:
            assert csrf_inputs(admin_form(client.get(f"/{w.tenant.slug}/admin/{view.endpoint}/new/"))) == 1
        if not view.can_edit:
            continue
        assert pk is not None, view.endpoint
        url = f"/{w.tenant.slug}/admin/{view.endpoint}/edit/?id={pk}"
        form = admin_form(client.get(url))
        assert csrf_inputs(form) == 1, view.endpoint
        resp = submit(client, url, form)  # saved unchanged, as a browser's Save does
        assert resp.status_code == 302, (view.endpoint, resp.get_data(as_text=True)[:600])
        assert not [m for cat, m in flashes(client) if cat == "error"], view.endpoint
        edited.append(view.endpoint)
        assert audited(w.tenant, f"admin.{view.model.__tablename__}.updated"), view.endpoint
    assert {"admin_schools", "admin_unions", "admin_presidium", "admin_memberships", "admin_selection_cycles",
            "admin_selection_invitations", "admin_selection_objections", "admin_chairs", "admin_incentives_rates",
            "admin_incentives_beds", "admin_incentives_assignments", "admin_incentives_welfare"} <= set(edited)


def test_bad_filter_values_and_ids_are_refused_not_500(app, client, full_world):
    """``?flt0_0=1`` on objections (an unknown enum member) was a 500; so is any filter value its
    filter cannot read, and an id of the wrong type."""
    w = full_world
    resp = client.get(f"/{w.tenant.slug}/admin/admin_selection_objections/?flt0_0=1")
    assert resp.status_code == 200
    assert "无效的筛选器值" in resp.get_data(as_text=True)
    for view in _tenant_views(app):
        for key in view._filter_args or {}:
            for bad in ("1", "zz", "2026-13-45", "1.5x"):
                resp = client.get(f"/{w.tenant.slug}/admin/{view.endpoint}/?flt0_{key}={bad}")
                assert resp.status_code == 200, (view.endpoint, key, bad)
        for action in ("edit/", "details/"):
            resp = client.get(f"/{w.tenant.slug}/admin/{view.endpoint}/{action}?id=abc")
            assert resp.status_code in (302, 403, 404), (view.endpoint, action, resp.status_code)


def test_bulk_delete_with_csrf_off_on_postgres_types(client, login_as, session):
    """The same action with the suite's CSRF off: no 500 from string ids on any database."""
    t = TenantFactory()
    a = SchoolFactory(tenant=t)
    login_as(member(t))
    resp = client.post(f"/{t.slug}/admin/admin_schools/action/",
                       data=MultiDict([("action", "delete"), ("rowid", str(a.id)), ("url", "")]))
    assert resp.status_code == 302
    with tenant_context(t.id, db.session):
        db.session.expire_all()
        assert db.session.get(School, a.id) is None


def test_presidium_created_through_the_ajax_form_with_csrf_on(client, login_as, csrf_on, session):
    t = TenantFactory()
    union = UnionFactory(school=SchoolFactory(tenant=t), tenant=t)
    PresidiumFactory(union=union, tenant=t)
    login_as(member(t))
    csrf_on()
    url = f"/{t.slug}/admin/admin_presidium/new/"
    form = admin_form(client.get(url))
    resp = submit(client, url, form, {"union": str(union.id), "term_label": "第二十八届",
                                      "term_start": "2028-09-01", "term_end": "", "note": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    assert audited(t, "admin.presidium_memberships.created")


TRIGGERS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("trigger", TRIGGERS, ids=["eq", "plus", "minus", "at", "tab", "cr"])
def test_union_and_presidium_exports_escape_linked_records(client, login_as, session, trigger):
    """The linked school (unions) and union (presidium) are written as text through the one
    formula-safe escaper, in CSV and in XLSX."""
    import csv
    import io

    import openpyxl

    t = TenantFactory()
    school = SchoolFactory(tenant=t, name=f"{trigger}HYPERLINK(\"http://x\")大学")
    union = UnionFactory(school=school, tenant=t, name=f"{trigger}cmd|' /C calc'!A0")
    PresidiumFactory(union=union, tenant=t, term_label="第二十七届")
    login_as(member(t))
    for endpoint, linked in (("admin_unions", school.name), ("admin_presidium", union.name)):
        body = client.get(f"/{t.slug}/admin/{endpoint}/export/csv/").get_data(as_text=True)
        cells = [c for row in csv.reader(io.StringIO(body, newline="")) for c in row]
        assert "'" + linked in cells, (endpoint, cells)
        assert not [c for c in cells if c.startswith(tuple(TRIGGERS))], (endpoint, cells)
        book = openpyxl.load_workbook(io.BytesIO(client.get(f"/{t.slug}/admin/{endpoint}/export/xlsx/").data))
        values = [c for row in book.active.iter_rows() for c in row if c.value is not None]
        assert any(str(c.value) == "'" + linked.replace("\r", "") or str(c.value) == "'" + linked for c in values)
        assert all(c.data_type == "s" for c in values if str(c.value).lstrip("'").startswith(tuple(TRIGGERS)))
        assert not [c.value for c in values if str(c.value).startswith(tuple(TRIGGERS))], endpoint
