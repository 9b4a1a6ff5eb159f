"""A12 post rotation: departments per tenant, the planner, the plan accepted once, segments with
their checks (term, overlap, deviation from the rotation period), the post history, a term cut
short; A9 talks falling due inside the department segments."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.core.errors import DomainError
from portal.extensions import db
from portal.reference.models import Department, DepartmentKind
from portal.residency import operations as rops
from portal.residency import rotation
from portal.residency.models import PlanStatus, RotationPlan, RotationSegment
from tenants.models import Role
from tenants.rules.operations import set_override
from tests.factories import NationalTenantFactory, TenantFactory, member
from tests.factories_residency import TERM_END, TERM_START, cohort
from tests.residency.rotation_helpers import departments, halves, place

STAFF = {"secretariat_admin"}


def _count(model, tenant_id):
    with tenant_context(tenant_id, db.session):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _province(**overrides):
    nat = NationalTenantFactory()
    prov = TenantFactory(parent=nat)
    admin = member(prov, Role.secretariat_admin)
    with tenant_context(prov.id, db.session):
        for key, value in overrides.items():
            set_override(prov, key.replace("__", "."), value, "本省规定", admin)
    return prov


# --- the planner --------------------------------------------------------------------------------

def _check_plan(rows, residencies, months):
    by_res = {}
    for r in rows:
        by_res.setdefault(r.residency.id, []).append(r)
    assert set(by_res) == {r.id for r in residencies}
    for res in residencies:
        mine = sorted(by_res[res.id], key=lambda r: r.starts_on)
        kinds = {r.department.kind for r in mine}
        assert kinds == {DepartmentKind.secretariat, DepartmentKind.department}   # A12: both
        assert mine[0].starts_on == res.term_start and mine[-1].ends_on == res.term_end
        for a, b in zip(mine, mine[1:]):
            assert b.starts_on == a.ends_on + dt.timedelta(days=1)                # no gap, no overlap
        for r in mine[:-1]:
            assert r.ends_on == rotation.add_months(r.starts_on, months) - dt.timedelta(days=1)
    return by_res


def test_A12_planner_puts_each_chair_in_the_secretariat_and_a_department_every_period(session):
    w, chairs = cohort(4)
    sec, depts, _heads = departments(w, 3)
    with tenant_context(w.tenant.id, db.session):
        rows, skipped = rotation.propose(chairs[0].cohort)
    assert skipped == []
    by_res = _check_plan(rows, chairs, 6)
    assert all(len(v) == 2 for v in by_res.values())
    first = [by_res[r.id][0].department.kind for r in chairs]
    assert first.count(DepartmentKind.secretariat) == 2          # half start in the secretariat
    used = {r.department.id for r in rows if r.department.kind == DepartmentKind.department}
    assert len(used) == 3                                           # spread over the departments


def test_A12_A22_planner_reads_a_provincial_rotation_period_of_4_months(session):
    """Under gd-like rules (rotation every 4 months, two departments required) the plan has three
    stretches per chair: the secretariat once, two different departments."""
    prov = _province(residency__rotation_period_months=4, residency__rotation_min_departments=2)
    w, chairs = cohort(2, tenant=prov)
    departments(w, 3)
    with tenant_context(w.tenant.id, db.session):
        rows, _ = rotation.propose(chairs[0].cohort)
    by_res = _check_plan(rows, chairs, 4)
    for res in chairs:
        mine = by_res[res.id]
        assert len(mine) == 3
        assert sum(r.department.kind == DepartmentKind.secretariat for r in mine) == 1
        assert len({r.department.id for r in mine if r.department.kind == DepartmentKind.department}) == 2


def test_A12_a_tenant_without_departments_is_told_to_add_them(app, client, login_as, session):
    w, chairs = cohort(1)
    login_as(w.admin)
    html = client.get(f"/{w.tenant.slug}/residency/departments").get_data(as_text=True)
    assert 'id="no-departments"' in html and "尚未设置部门" in html
    resp = client.post(f"/api/v1/{w.tenant.slug}/residency/rotation/plans", json={"cohort": chairs[0].cohort})
    assert resp.status_code == 422 and "departments" in resp.get_json()["error"]["details"]
    assert _count(RotationPlan, w.tenant.id) == 0


# --- the plan: previewed, accepted once -----------------------------------------------------------

def test_A12_plan_is_previewed_then_accepted_once_and_a_second_accept_makes_nothing(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2025-10-15"
    w, chairs = cohort(2)
    sec, depts, heads = departments(w)
    login_as(w.admin)
    base = f"/api/v1/{w.tenant.slug}/residency"
    resp = client.post(f"{base}/rotation/plans", json={"cohort": chairs[0].cohort})
    assert resp.status_code == 201
    plan = resp.get_json()
    assert plan["status"] == "proposed" and len(plan["rows"]) == 4 and plan["period_months"] == 6
    assert _count(RotationSegment, w.tenant.id) == 0                        # a preview writes no segment
    page = client.get(f"/{w.tenant.slug}/residency/rotation/plans/{plan['id']}").get_data(as_text=True)
    assert chairs[0].chair.name in page and "团中央宣传部" in page and "采用此方案" in page
    assert client.post(f"{base}/rotation/plans/{plan['id']}/accept").status_code == 200
    assert _count(RotationSegment, w.tenant.id) == 4
    again = client.post(f"{base}/rotation/plans/{plan['id']}/accept")
    assert again.status_code == 409
    assert _count(RotationSegment, w.tenant.id) == 4
    with tenant_context(w.tenant.id, db.session):
        actions = list(db.session.scalars(sa.select(AuditRecord.action)))
        segs = db.session.scalars(sa.select(RotationSegment)).all()
    assert actions.count("rotation.plan_accepted") == 1 and actions.count("rotation.segment_added") == 4
    # each segment names its department's head (A9 talks, A17 opinion)
    assert {s.head_user_id for s in segs if s.department.kind == DepartmentKind.department} <= {h.id for h in heads}
    view = client.get(f"{base}/rotation", query_string={"cohort": chairs[0].cohort}).get_json()
    assert view["plan_status"] == "accepted" and all(len(c["segments"]) == 2 for c in view["chairs"])
    # the post shown is today's segment
    (chair_row,) = [c for c in view["chairs"] if c["residency_id"] == chairs[0].id]
    seg_now = next(s for s in chair_row["segments"] if s["starts_on"] <= "2025-10-15" <= s["ends_on"])
    assert chair_row["current_post"] == seg_now["department"]
    roster = client.get(f"{base}/residencies").get_json()
    assert next(i for i in roster["items"] if i["id"] == chairs[0].id)["post"] == seg_now["department"]


def test_A12_accepting_through_the_machine_twice_in_operations_is_a_conflict(session):
    w, chairs = cohort(1)
    departments(w)
    with tenant_context(w.tenant.id, db.session):
        plan = rotation.save_proposal(w.tenant, chairs[0].cohort, actor=w.admin, roles=STAFF)
        rotation.accept(plan, actor=w.admin, roles=STAFF)
        with pytest.raises(DomainError) as e:
            rotation.accept(plan, actor=w.admin, roles=STAFF)
        assert e.value.status == 409
        assert plan.status == PlanStatus.accepted
    assert _count(RotationSegment, w.tenant.id) == 2


# --- segments: the checks -----------------------------------------------------------------------

def test_A12_segment_overlap_outside_term_and_deviation_name_the_field_and_save_nothing(app, client, login_as,
                                                                                          session):
    app.config["FIXED_TODAY"] = "2025-08-20"
    w, (res,) = cohort(1)
    sec, (dept_a, dept_b), _ = departments(w)
    place(w, res, sec, TERM_START, dt.date(2026, 2, 28))
    login_as(w.admin)
    url = f"/api/v1/{w.tenant.slug}/residency/residencies/{res.id}/segments"
    n_audit = _count(AuditRecord, w.tenant.id)

    def refused(body, field):
        resp = client.post(url, json=body)
        assert resp.status_code == 422, resp.get_json()
        assert field in resp.get_json()["error"]["details"], resp.get_json()
        assert _count(RotationSegment, w.tenant.id) == 1 and _count(AuditRecord, w.tenant.id) == n_audit

    good = {"department_id": dept_a.id, "starts_on": "2026-03-01", "ends_on": "2026-08-31"}
    refused({**good, "starts_on": "2026-02-01"}, "starts_on")                 # overlaps the secretariat
    refused({**good, "ends_on": "2026-09-30"}, "ends_on")                     # past the term
    refused({**good, "starts_on": "2025-08-01"}, "starts_on")                 # before the term
    refused({**good, "ends_on": "2026-04-30"}, "deviation_reason")            # two months: not half a year
    with tenant_context(w.tenant.id, db.session):
        db.session.execute(sa.update(Department).where(Department.id == dept_b.id).values(active=False))
    refused({**good, "department_id": dept_b.id}, "department_id")            # deactivated
    resp = client.post(url, json={**good, "ends_on": "2026-04-30", "deviation_reason": "配合重点工作提前轮岗"})
    assert resp.status_code == 201 and resp.get_json()["deviation_reason"] == "配合重点工作提前轮岗"
    assert resp.get_json()["head_user_id"] == dept_a.head_user_id
    assert client.post(url, json={**good, "starts_on": "2026-05-01"}).status_code == 201   # the term's remainder


def test_A12_deviation_tolerance_is_rule_data_under_a_provincial_value(session):
    """A province allowing 40 days' tolerance accepts a 5-month segment without a reason; the
    national 15 days does not."""
    prov = _province(residency__rotation_tolerance_days=40)
    w, (res,) = cohort(1, tenant=prov)
    sec, (dept,), _ = departments(w, 1)
    with tenant_context(w.tenant.id, db.session):
        assert rotation.deviates(res, TERM_START, dt.date(2026, 1, 31)) is False
    place(w, res, sec, TERM_START, dt.date(2026, 1, 31))
    w2, (res2,) = cohort(1)
    sec2, _d, _h = departments(w2, 1)
    with tenant_context(w2.tenant.id, db.session), pytest.raises(DomainError) as e:
        rotation.add_segment(res2, department_id=sec2.id, starts_on=TERM_START, ends_on=dt.date(2026, 1, 31),
                             actor=w2.admin)
    assert list(e.value.details) == ["deviation_reason"]


def test_A12_a_started_segment_keeps_its_department_and_is_ended_not_deleted(session):
    w, (res,) = cohort(1)
    sec, (dept_a, dept_b), _ = departments(w)
    s1, s2 = halves(w, res, sec, dept_a)
    today = dt.date(2025, 12, 1)
    with tenant_context(w.tenant.id, db.session):
        with pytest.raises(DomainError) as e:
            rotation.change_segment(s1, department_id=dept_b.id, post=None, starts_on=s1.starts_on,
                                    ends_on=s1.ends_on, deviation_reason=None, actor=w.admin, today=today)
        assert list(e.value.details) == ["department_id"]
        with pytest.raises(DomainError) as e:
            rotation.remove_segment(s1, actor=w.admin, today=today)
        assert e.value.status == 409
        rotation.end_segment(s1, ends_on=dt.date(2025, 12, 31), deviation_reason="调整到部门工作", actor=w.admin,
                             today=today)
        assert s1.ends_on == dt.date(2025, 12, 31)
        # the future segment may change in every field, and be removed
        rotation.change_segment(s2, department_id=dept_b.id, post="宣传岗", starts_on=dt.date(2026, 1, 1),
                                ends_on=TERM_END, deviation_reason="随前一阶段提前", actor=w.admin, today=today)
        assert s2.department_id == dept_b.id and s2.head_user_id == dept_b.head_user_id
        (changed,) = db.session.scalars(sa.select(AuditRecord).where(
            AuditRecord.action == "rotation.segment_changed", AuditRecord.object_id == str(res.id))
            .order_by(AuditRecord.id.desc()).limit(1))
        assert changed.before["department_id"] == dept_a.id and changed.after["department_id"] == dept_b.id
        assert changed.article == "A12"


def test_A12_A21_a_term_cut_short_cuts_the_open_segment(session):
    w, (res,) = cohort(1)
    sec, (dept,), _ = departments(w, 1)
    s1, s2 = halves(w, res, sec, dept)
    with tenant_context(w.tenant.id, db.session):
        rops.end_residency(res, "left", ended_on=dt.date(2025, 11, 30), reason="个人原因离会", actor=w.admin)
        segs = rotation.history(res)
    assert [(s.starts_on, s.ends_on) for s in segs] == [(TERM_START, dt.date(2025, 11, 30))]


# --- A9 talks inside the department segments -------------------------------------------------------

def test_A9_talk_periods_follow_the_department_segments_every_interval(session):
    """National rules: a talk every 3 months inside each segment in a department; the
    secretariat segment owes none. Under a provincial 2-month interval the periods follow."""
    w, (res,) = cohort(1)
    sec, (dept,), _ = departments(w, 1)
    halves(w, res, dept, sec)
    with tenant_context(w.tenant.id, db.session):
        st = next(s for s in rops.statuses(res, TERM_START) if s.spec.key == rops.TALK_KEY)
    assert [(p.start, p.end) for p in st.periods] == [(dt.date(2025, 9, 1), dt.date(2025, 11, 30)),
                                                      (dt.date(2025, 12, 1), dt.date(2026, 2, 28))]
    prov = _province(residency__talk_interval_months=2, residency__talk_segments="all_posts")
    w2, (res2,) = cohort(1, tenant=prov)
    sec2, (dept2,), _ = departments(w2, 1)
    halves(w2, res2, dept2, sec2)
    with tenant_context(w2.tenant.id, db.session):
        st2 = next(s for s in rops.statuses(res2, TERM_START) if s.spec.key == rops.TALK_KEY)
    assert len(st2.periods) == 6 and st2.periods[3].start == dt.date(2026, 3, 1)   # 3 + 3, secretariat too
    assert st2.periods[2] .end == dt.date(2026, 2, 28)


def test_A9_talk_reminder_goes_to_the_segments_head_only(session):
    from portal.notifications.models import Notification
    from portal.notifications.reminders import run_reminders

    w, (res,) = cohort(1)
    sec, (dept_a, dept_b), (head_a, head_b) = departments(w)
    halves(w, res, dept_a, dept_b)
    db.session.flush()
    run_reminders(dt.date(2025, 11, 28))   # the first talk period (in A) ends 30 November
    with tenant_context(w.tenant.id, db.session):
        sent = list(db.session.scalars(sa.select(Notification).where(
            Notification.related_id == f"{res.id}:{rops.TALK_KEY}:0",
            Notification.template_key == "residency.obligation_due")))
    assert [n.recipient_user_id for n in sent] == [head_a.id]


# --- pages ------------------------------------------------------------------------------------------

def test_A12_departments_page_adds_edits_and_deactivates_with_audit(app, client, login_as, session):
    w, _ = cohort(1)
    head = member(w.tenant, Role.department_head)
    stranger = member(w.tenant, Role.secretariat_staff)
    login_as(w.admin)
    base = f"/api/v1/{w.tenant.slug}/residency/departments"
    resp = client.post(base, json={"name": "团中央学校部", "kind": "department", "head_user_id": stranger.id})
    assert resp.status_code == 422 and "head_user_id" in resp.get_json()["error"]["details"]
    resp = client.post(base, json={"name": "团中央学校部", "kind": "department", "head_user_id": head.id})
    assert resp.status_code == 201
    dept = resp.get_json()
    assert client.post(base, json={"name": "团中央学校部"}).status_code == 422        # the name is taken
    resp = client.put(f"{base}/{dept['id']}", json={"name": "团中央学校部（学联办）", "kind": "department",
                                                    "head_user_id": head.id, "sort": 2})
    assert resp.status_code == 200 and resp.get_json()["sort"] == 2
    assert client.post(f"{base}/{dept['id']}/active", json={"active": False}).get_json()["active"] is False
    assert client.post(f"{base}/{dept['id']}/active", json={"active": False}).status_code == 409
    html = client.get(f"/{w.tenant.slug}/residency/departments").get_data(as_text=True)
    assert "团中央学校部（学联办）" in html and "已停用" in html
    with tenant_context(w.tenant.id, db.session):
        actions = [a for (a,) in db.session.execute(sa.select(AuditRecord.action).where(
            AuditRecord.object_type == "department"))]
    assert actions == ["department.added", "department.changed", "department.deactivated"]
    client.get("/logout")
    login_as(stranger)     # staff may read, only the admin changes
    assert client.get(base).status_code == 200
    assert client.post(base, json={"name": "某部"}).status_code == 403


def test_A12_post_history_on_the_profile_and_on_my_residency(app, client, login_as, session):
    from tests.residency.test_pages_api import _chair

    app.config["FIXED_TODAY"] = "2026-03-16"
    w, (res,) = cohort(1)
    sec, (dept,), _ = departments(w, 1)
    halves(w, res, sec, dept)
    login_as(w.admin)
    html = client.get(f"/{w.tenant.slug}/residency/{res.id}").get_data(as_text=True)
    assert 'id="post-history"' in html and "全国学联秘书处" in html and "团中央宣传部" in html
    page = client.get(f"/{w.tenant.slug}/residency/segments/{rotation.history(res)[0].id}")
    assert page.status_code == 200 and 'id="segment-form"' in page.get_data(as_text=True)
    client.get("/logout")
    login_as(_chair(res))
    mine = client.get(f"/{w.tenant.slug}/residency/me").get_data(as_text=True)
    assert 'id="post-history"' in mine and "团中央宣传部" in mine


def test_A12_A13_demo_has_departments_an_accepted_plan_and_groups_with_activities(app, client, session):
    from portal.demo import DEMO_PASSWORD, load_demo
    from portal.residency.models import Residency, ResidencyStatus, WorkingGroupActivity
    from tenants.models import Tenant

    load_demo()
    acsf = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "acsf"))
    gd = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "gd"))
    with tenant_context(acsf.id, db.session):
        depts = rotation.departments()
        assert {d.kind for d in depts} == {DepartmentKind.secretariat, DepartmentKind.department}
        assert all(d.head_user_id for d in depts if d.kind == DepartmentKind.department)
        residencies = list(db.session.scalars(sa.select(Residency)))
        segs = rotation.segments_of([r.id for r in residencies])
        for r in residencies:  # a term cut short (the demo's early leavers) keeps the segments it began
            kinds = {s.department.kind for s in segs[r.id]}
            if r.status == ResidencyStatus.in_residence:
                assert kinds == {DepartmentKind.secretariat, DepartmentKind.department}, r.id
            else:
                assert kinds, r.id
        assert db.session.scalar(sa.select(RotationPlan.status)) == PlanStatus.accepted
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkingGroupActivity)) > 0
        assert all(r.working_group for r in residencies)
    with tenant_context(gd.id, db.session):
        assert len(rotation.departments()) == 3
    resp = client.post("/login", data={"email": "head-xcb@acsf.demo.cn", "password": DEMO_PASSWORD},
                       follow_redirects=True)
    assert resp.status_code == 200
    desk = client.get("/api/v1/acsf/residency/department").get_json()
    roster = client.get("/api/v1/acsf/residency/residencies").get_json()
    theirs = {r.id for r in residencies if any(s.department.name == "团中央宣传部" for s in segs[r.id])}
    assert roster["total"] == len(theirs) > 0 and {i["id"] for i in roster["items"]} == theirs
    assert {t["residency_id"] for t in desk["talks_due"]} <= theirs


def test_A12_the_segment_form_refuses_in_chinese_and_saves_nothing(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2025-08-20"
    w, (res,) = cohort(1)
    sec, (dept,), _ = departments(w, 1)
    login_as(w.admin)
    url = f"/{w.tenant.slug}/residency/{res.id}/segments"
    assert 'id="segment-form"' in client.get(url).get_data(as_text=True)
    resp = client.post(url, data={"department_id": dept.id, "starts_on": "2025-09-01", "ends_on": "2025-10-31"})
    assert resp.status_code == 422 and "须说明理由" in resp.get_data(as_text=True)
    resp = client.post(url, data={"department_id": "x", "starts_on": "2025-09-01", "ends_on": "2026-02-28"})
    assert resp.status_code == 422 and "部门不存在" in resp.get_data(as_text=True)
    resp = client.post(url, data={"department_id": dept.id, "starts_on": "2025-13-01", "ends_on": "2026-02-28"})
    assert resp.status_code == 422 and "日期格式" in resp.get_data(as_text=True)
    assert _count(RotationSegment, w.tenant.id) == 0
    resp = client.post(url, data={"department_id": dept.id, "starts_on": "2025-09-01", "ends_on": "2026-02-28",
                                  "post": "宣传岗"})
    assert resp.status_code == 303 and _count(RotationSegment, w.tenant.id) == 1


def test_A22_gd_rules_page_shows_its_rotation_period_beside_the_national_one(app, client, session):
    from portal.demo import DEMO_PASSWORD, load_demo

    load_demo()
    client.post("/login", data={"email": "admin@gd.demo.cn", "password": DEMO_PASSWORD})
    html = client.get("/gd/rules/").get_data(as_text=True)
    row = html[html.index("residency.rotation_period_months"):][:3000]
    assert "轮岗周期" in html and "4" in row and "6" in row and "轮岗周期允许偏差" in html
    assert "谈心谈话所在阶段" in html and "在相关部门工作的各阶段" in html


def test_A12_A13_demo_pages_render_for_the_secretariat_and_the_head(app, client, session):
    from portal.demo import DEMO_PASSWORD, load_demo

    load_demo()
    client.post("/login", data={"email": "admin@acsf.demo.cn", "password": DEMO_PASSWORD})
    for path, marker in (("/acsf/residency/rotation", 'id="rotation"'), ("/acsf/residency/groups", 'id="groups"'),
                         ("/acsf/residency/departments", 'id="departments"'),
                         ("/acsf/residency/", "轮岗安排")):
        resp = client.get(path)
        assert resp.status_code == 200 and marker in resp.get_data(as_text=True), path
    html = client.get("/acsf/residency/rotation").get_data(as_text=True)
    assert "团中央宣传部" in html and "全国学联秘书处" in html
    client.get("/logout")
    client.post("/login", data={"email": "head@acsf.demo.cn", "password": DEMO_PASSWORD})
    resp = client.get("/acsf/residency/department")
    assert resp.status_code == 200 and 'id="talks-due"' in resp.get_data(as_text=True)
