"""A13 working groups: the groups come from ``residency.working_groups`` (the cohort's pinned
rules), lead chairs, member organizations from the A2 presidium registry, an activity log; and
the A17 record's facts and gaps for A12 and A13."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.core.record import Fact, Gap
from portal.extensions import db
from portal.residency import groups as wg
from portal.residency import operations as rops
from portal.residency.models import WorkingGroupActivity
from portal.residency.record_rotation import rotation_record
from tenants.models import Role
from tests.factories import (NationalTenantFactory, PresidiumFactory, SchoolFactory, TenantFactory, UnionFactory,
                             member)
from tests.factories_residency import cohort
from tests.residency.rotation_helpers import departments, halves

TODAY = dt.date(2026, 3, 16)


def test_A13_groups_come_from_the_rule_and_leads_mirror_the_chairs_group(app, client, login_as, session):
    app.config["FIXED_TODAY"] = TODAY.isoformat()
    w, (a, b) = cohort(2)
    login_as(w.admin)
    base = f"/api/v1/{w.tenant.slug}/residency/groups"
    items = client.get(base).get_json()["items"]
    assert [g["name"] for g in items] == ["宣传思想小组", "组织建设小组", "权益服务小组", "合作交流小组"]
    first, second = items[0], items[1]
    resp = client.put(f"{base}/{first['id']}/leads", json={"residency_ids": [a.id, b.id]})
    assert resp.status_code == 200 and resp.get_json()["lead_residency_ids"] == [a.id, b.id]
    db.session.expire_all()
    with tenant_context(w.tenant.id, db.session):
        assert db.session.get(type(a), a.id).working_group == "宣传思想小组"
    # a chair leads one group: moving b to the second group takes b off the first
    client.put(f"{base}/{second['id']}/leads", json={"residency_ids": [b.id]})
    got = {g["name"]: g["lead_residency_ids"] for g in client.get(base).get_json()["items"]}
    assert got["宣传思想小组"] == [a.id] and got["组织建设小组"] == [b.id]
    db.session.expire_all()
    with tenant_context(w.tenant.id, db.session):
        assert db.session.get(type(b), b.id).working_group == "组织建设小组"
        # the profile's group field goes through the leads too
        rops.set_post(db.session.get(type(a), a.id), post=None, working_group=None, actor=w.admin)
    got = {g["name"]: g["lead_residency_ids"] for g in client.get(base).get_json()["items"]}
    assert got["宣传思想小组"] == []
    resp = client.put(f"{base}/{first['id']}/leads", json={"residency_ids": [999999]})
    assert resp.status_code == 422 and "residency_ids" in resp.get_json()["error"]["details"]


def test_A13_A22_a_province_with_three_groups(session):
    nat = NationalTenantFactory()
    prov = TenantFactory(parent=nat)
    admin = member(prov, Role.secretariat_admin)
    from tenants.rules.operations import set_override

    with tenant_context(prov.id, db.session):
        set_override(prov, "residency.working_groups", ["宣传思想小组", "组织建设小组", "权益服务小组"],
                     "本省设三个小组", admin)
    w, (res,) = cohort(1, tenant=prov)
    with tenant_context(prov.id, db.session):
        names = [g.name for g in wg.ensure_groups(prov, res.cohort)]
    assert names == ["宣传思想小组", "组织建设小组", "权益服务小组"]


def test_A13_members_come_from_the_presidium_and_activities_log_who_took_part(app, client, login_as, session):
    app.config["FIXED_TODAY"] = TODAY.isoformat()
    w, _chairs = cohort(2)
    outsider = UnionFactory(school=SchoolFactory(tenant=w.tenant), tenant=w.tenant)   # not on the presidium (A2)
    lapsed = UnionFactory(school=SchoolFactory(tenant=w.tenant), tenant=w.tenant)
    PresidiumFactory(union=lapsed, tenant=w.tenant, term_start=dt.date(2020, 8, 1), term_end=dt.date(2023, 8, 1))
    login_as(w.admin)
    base = f"/api/v1/{w.tenant.slug}/residency/groups"
    group = client.get(base).get_json()["items"][0]
    url = f"{base}/{group['id']}"
    for bad in (outsider.id, lapsed.id):
        resp = client.put(f"{url}/members", json={"union_ids": [w.unions[0].id, bad]})
        assert resp.status_code == 422 and "union_ids" in resp.get_json()["error"]["details"]
    resp = client.put(f"{url}/members", json={"union_ids": [u.id for u in w.unions]})
    assert resp.status_code == 200 and resp.get_json()["member_union_ids"] == [u.id for u in w.unions]
    act = {"held_on": "2026-03-10", "title": "宣传思想工作交流会", "outcome": "形成工作建议三条",
           "union_ids": [w.unions[0].id]}
    resp = client.post(f"{url}/activities", json={**act, "union_ids": [outsider.id]})
    assert resp.status_code == 422 and "union_ids" in resp.get_json()["error"]["details"]
    resp = client.post(f"{url}/activities", json={**act, "held_on": "2026-04-10"})   # in the future
    assert resp.status_code == 422 and "held_on" in resp.get_json()["error"]["details"]
    resp = client.post(f"{url}/activities", json={**act, "held_on": "2024-04-10"})   # outside the cohort's term
    assert resp.status_code == 422 and "held_on" in resp.get_json()["error"]["details"]
    with tenant_context(w.tenant.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkingGroupActivity)) == 0
    resp = client.post(f"{url}/activities", json=act)
    assert resp.status_code == 201 and resp.get_json()["union_ids"] == [w.unions[0].id]
    html = client.get(f"/{w.tenant.slug}/residency/groups/{group['id']}").get_data(as_text=True)
    assert "宣传思想工作交流会" in html and w.unions[0].name in html and "形成工作建议三条" in html


def test_A17_record_has_A12_and_A13_facts_tied_to_their_rows_and_gaps_when_missing(session):
    from portal.core.record import gather

    w, (res,) = cohort(1)
    with tenant_context(w.tenant.id, db.session):
        items = rotation_record(res)
    gaps = {g.text for g in items if isinstance(g, Gap)}
    assert "未见在相关部门参与工作的轮岗记录" in gaps and "未见牵头工作小组的记录" in gaps
    assert not [f for f in items if isinstance(f, Fact)]
    sec, (dept,), _ = departments(w, 1)
    s1, s2 = halves(w, res, sec, dept)
    with tenant_context(w.tenant.id, db.session):
        rops.set_post(res, post=None, working_group="权益服务小组", actor=w.admin)
        group = wg.led_by(res)
        wg.set_members(group, [w.unions[0].id], actor=w.admin, today=TODAY)
        items = rotation_record(res)
        assert any(isinstance(g, Gap) and g.section == "group" and "开展活动" in g.text for g in items)
        a = wg.record_activity(group, held_on=dt.date(2026, 3, 5), title="权益服务调研", outcome="提交调研报告",
                               union_ids=[w.unions[0].id], actor=w.admin, today=TODAY)
        facts, gaps = gather(res)
    rotation_facts = [f for f in facts if f.section == "rotation"]
    assert [f.refs[0].object_id for f in rotation_facts] == [s1.id, s2.id]
    assert all(f.article == "A12" for f in rotation_facts)
    assert "2025年9月1日至2026年2月28日在全国学联秘书处参与工作" in rotation_facts[0].text
    group_facts = [f for f in facts if f.section == "group"]
    assert group_facts[0].text == "牵头权益服务小组相关工作。" and group_facts[0].article == "A13"
    assert group_facts[1].refs[0].object_id == a.id and w.unions[0].name in group_facts[1].text
    assert not [g for g in gaps if g.article in ("A12", "A13")]
