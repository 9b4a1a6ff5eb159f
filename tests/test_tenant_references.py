"""Foreign keys between tenants: an id taken from a request must name a row of the current
tenant. One mechanism (the session's before_flush guard, and check_tenant_write for bulk
INSERTs) checks every tenant-scoped foreign key of every model."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.core.db import ForeignReference, TenantViolation, _tenant_foreign_keys, tenant_context
from portal.extensions import db
from portal.reference.models import PresidiumMembership, StudentUnion
from portal.selection import operations as ops
from portal.selection.models import Panelist
from tests.factories import SchoolFactory, TenantFactory, UnionFactory, member
from tests.selection.helpers import IN_WINDOW, draft, invite, nominee, open_cycle, world

MISSING = 2_000_000_000


def _panelists(tenant_id):
    with tenant_context(tenant_id, db.session):
        return db.session.scalars(sa.select(Panelist)).all()


@pytest.fixture()
def two_tenants(client, login_as):
    mine = world(1)
    open_cycle(mine)
    theirs = world(1)
    ids = (mine.tenant.id, theirs.tenant.id, mine.cycle.id, mine.schools[0].id, theirs.schools[0].id)
    login_as(mine.admin)
    return mine, ids


def test_add_panelist_refuses_another_tenants_school_web_and_api(client, two_tenants):
    mine, (tid, _their_tid, cycle_id, my_school, their_school) = two_tenants
    slug = mine.tenant.slug
    resp = client.post(f"/{slug}/selection/cycles/{cycle_id}/panelists",
                       data={"name": "王教授", "affiliation": "外省大学", "school_id": str(their_school)})
    assert resp.status_code == 422
    assert "不属于当前学联" in resp.get_data(as_text=True)
    resp = client.post(f"/api/v1/{slug}/selection/cycles/{cycle_id}/panelists",
                       json={"name": "王教授", "affiliation": "外省大学", "school_id": their_school})
    assert resp.status_code == 422
    assert resp.json["error"]["details"]["fields"] == {"school_id": ["不存在或不属于当前学联"]}
    resp = client.post(f"/api/v1/{slug}/selection/cycles/{cycle_id}/panelists",
                       json={"name": "王教授", "affiliation": "外省大学", "school_id": MISSING})
    assert resp.status_code == 422
    for bad in ("abc", 1.5, True):
        resp = client.post(f"/api/v1/{slug}/selection/cycles/{cycle_id}/panelists",
                           json={"name": "王教授", "affiliation": "外省大学", "school_id": bad})
        assert resp.status_code in (400, 422), (bad, resp.status_code)
    assert _panelists(tid) == []
    # the tenant's own school is accepted
    resp = client.post(f"/api/v1/{slug}/selection/cycles/{cycle_id}/panelists",
                       json={"name": "李教授", "affiliation": "本校", "school_id": my_school})
    assert resp.status_code == 201
    assert [(p.name, p.school_id) for p in _panelists(tid)] == [("李教授", my_school)]


def test_add_panelist_operation_refuses_a_foreign_school(session):
    mine = world(1)
    open_cycle(mine)
    theirs = SchoolFactory(name="外省大学")
    with tenant_context(mine.tenant.id, db.session):
        with pytest.raises(ForeignReference) as e:
            ops.add_panelist(mine.cycle, name="王教授", affiliation="x", school_id=theirs.id, actor=mine.admin)
        assert (e.value.model, e.value.column) == ("Panelist", "school_id")


def test_relationship_set_to_another_tenants_object_is_refused(session):
    t = TenantFactory()
    theirs = SchoolFactory(name="外省大学")
    with tenant_context(t.id, db.session):
        db.session.add(StudentUnion(tenant_id=t.id, school=theirs, kind="学生会", name="x"))
        with pytest.raises(TenantViolation):
            db.session.flush()
        db.session.rollback()


def test_admin_cannot_link_another_tenants_rows(client, login_as, session):
    """The admin's forms choose among the tenant's rows; a forged id stores nothing."""
    t = TenantFactory()
    mine = UnionFactory(school=SchoolFactory(tenant=t), tenant=t)
    theirs = UnionFactory(school=SchoolFactory(name="乙校"))
    their_union, their_school = theirs.id, theirs.school_id
    login_as(member(t))
    client.post(f"/{t.slug}/admin/admin_presidium/new/", data={
        "union": str(their_union), "term_label": "x", "term_start": "2024-01-01"})
    client.post(f"/{t.slug}/admin/admin_unions/new/", data={
        "school": str(their_school), "kind": "研究生会", "name": "伪造"})
    client.post(f"/{t.slug}/admin/admin_unions/edit/?id={mine.id}", data={
        "school": str(their_school), "kind": "学生会", "name": mine.name})
    with tenant_context(t.id, db.session):
        db.session.expire_all()
        assert db.session.query(PresidiumMembership).count() == 0
        assert [u.school_id for u in db.session.scalars(sa.select(StudentUnion))] == [mine.school_id]


def _tenant_models():
    return [m for m in db.Model.registry.mappers
            if getattr(m.class_, "__tenant_scoped__", False) and _tenant_foreign_keys(m)]


def _an_id(table, tenant_id):
    with tenant_context(tenant_id, db.session):
        return db.session.execute(sa.select(table.c.id).where(table.c.tenant_id == tenant_id).limit(1)).scalar()


def test_every_tenant_scoped_foreign_key_of_every_model_is_checked(session):
    """For each model and each of its foreign keys to a tenant-owned table: a new row naming
    another tenant's row (or none) is refused at the flush, before any INSERT; and an existing
    row re-pointed at another tenant's row is refused too."""
    from tests.selection.test_workflow import _through_notice

    worlds = []
    for _ in range(2):
        w = world(2)
        open_cycle(w)
        _through_notice(w, 2)
        worlds.append(w)
    db.session.commit()  # the worlds survive each case's rollback
    mine, theirs = (w.tenant.id for w in worlds)
    pairs = [(m, col, attr) for m in _tenant_models() for col, attr in _tenant_foreign_keys(m)]
    assert len(pairs) >= 20  # every chapter's tables, not a hand-picked few
    re_pointed = 0
    for mapper, column, attr in pairs:
        (fk,) = column.foreign_keys
        target = fk.column.table
        foreign = _an_id(target, theirs) or MISSING
        with tenant_context(mine, db.session):
            obj = mapper.class_()
            obj.tenant_id = mine
            setattr(obj, attr, foreign)
            db.session.add(obj)
            with pytest.raises(ForeignReference) as e:
                db.session.flush()
            assert (e.value.model, e.value.column) == (mapper.class_.__name__, attr)
            db.session.rollback()
            row = db.session.scalars(sa.select(mapper.class_).where(getattr(mapper.class_, attr).is_not(None))
                                     .limit(1)).first()
            if row is not None and foreign != MISSING:
                setattr(row, attr, foreign)
                with pytest.raises(ForeignReference):
                    db.session.flush()
                db.session.rollback()
                re_pointed += 1
    assert re_pointed >= 10


def test_bulk_nomination_insert_checks_its_foreign_keys(session):
    w = world(1)
    open_cycle(w)
    other = world(1)
    inv = invite(w, w.schools[0])
    draft(w, inv, 1)  # the tenant's own union: accepted
    with tenant_context(w.tenant.id, db.session):
        values, errors = ops.clean_nomination(inv, nominee(2))
        assert not errors
        values["union_id"] = other.unions[0].id
        with pytest.raises(ForeignReference) as e:
            ops.create_nomination(inv, values, actor=w.admin, today=IN_WINDOW)
        assert e.value.column == "union_id"
