"""The department head's side (A9, A12): a head sees only the chairs who are or were in the
head's departments — the roster, its count, the export, the profile — and the desk lists the
chairs now there, the talks due (working-day due dates) and records to confirm. Another
tenant's departments, segments, plans and groups are 404."""
from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db
from portal.residency import groups as wg
from portal.residency import rotation
from tenants.models import Role
from tests.factories import member
from tests.factories_residency import cohort
from tests.residency.rotation_helpers import departments, halves

TODAY = "2025-11-20"


def _setup():
    """Three chairs: a in A then the secretariat; b in the secretariat then B; c only in B."""
    w, (a, b, c) = cohort(3)
    sec, (dept_a, dept_b), (head_a, head_b) = departments(w)
    halves(w, a, dept_a, sec)
    halves(w, b, sec, dept_b)
    halves(w, c, dept_b, dept_b)
    return w, (a, b, c), (head_a, head_b)


def test_A9_A12_a_heads_roster_profile_counts_and_export_are_scoped_to_the_heads_departments(app, client, login_as,
                                                                                              session):
    from openpyxl import load_workbook

    app.config["FIXED_TODAY"] = TODAY
    w, (a, b, c), (head_a, head_b) = _setup()
    login_as(head_a)
    html = client.get(f"/{w.tenant.slug}/residency/").get_data(as_text=True)
    assert a.chair.name in html and b.chair.name not in html and c.chair.name not in html
    api = client.get(f"/api/v1/{w.tenant.slug}/residency/residencies").get_json()
    assert api["total"] == 1 and [i["id"] for i in api["items"]] == [a.id]
    x = client.get(f"/{w.tenant.slug}/residency/roster.xlsx")
    rows = list(load_workbook(io.BytesIO(x.data)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == [a.chair.name]
    assert client.get(f"/{w.tenant.slug}/residency/{a.id}").status_code == 200
    assert client.get(f"/{w.tenant.slug}/residency/{b.id}").status_code == 404
    assert client.get(f"/api/v1/{w.tenant.slug}/residency/residencies/{c.id}").status_code == 404
    # the secretariat's pages are not the head's
    assert client.get(f"/{w.tenant.slug}/residency/rotation").status_code == 403
    assert client.get(f"/api/v1/{w.tenant.slug}/residency/groups").status_code == 403
    client.get("/logout")
    login_as(head_b)        # b arrives in B in March; c is there now: both are B's
    api = client.get(f"/api/v1/{w.tenant.slug}/residency/residencies").get_json()
    assert api["total"] == 2 and {i["id"] for i in api["items"]} == {b.id, c.id}


def test_A9_the_heads_desk_lists_chairs_now_there_and_talks_due_with_working_day_dates(app, client, login_as,
                                                                                        session):
    app.config["FIXED_TODAY"] = TODAY
    w, (a, b, c), (head_a, head_b) = _setup()
    login_as(head_b)
    desk = client.get(f"/api/v1/{w.tenant.slug}/residency/department").get_json()
    assert [x["residency_id"] for x in desk["current"]] == [c.id]      # b is in the secretariat until March
    (talk,) = desk["talks_due"]                                        # c's first period, due on a working day
    assert talk["residency_id"] == c.id and talk["start"] == "2025-09-01" and talk["end"] == "2025-11-30"
    assert talk["due"] == "2025-11-28"                                 # 30 November is a Sunday
    assert desk["to_confirm"] == []
    page = client.get(f"/{w.tenant.slug}/residency/department").get_data(as_text=True)
    assert c.chair.name in page and "2025年11月28日" in page and b.chair.name in page   # b: "曾在/将在" list
    home = client.get(f"/{w.tenant.slug}/").get_data(as_text=True)
    assert "本部门驻会执行主席" in home and "应进行的谈心谈话" in home
    from portal.core.todo import collect
    from tenants.models import Membership

    with app.test_request_context(f"/{w.tenant.slug}/"):
        from flask_login import login_user

        login_user(head_b)
        with tenant_context(w.tenant.id, db.session):
            ms = db.session.scalars(sa.select(Membership).where(Membership.user_id == head_b.id)).all()
            items = {t.label: t for t in collect(ms).sections["department_head"]}
    assert items["本部门驻会执行主席"].count == 1 and items["应进行的谈心谈话"].count == 1
    assert items["待确认的驻会记录"].count == 0


def test_A22_another_tenants_departments_segments_plans_and_groups_are_404(app, client, login_as, session):
    app.config["FIXED_TODAY"] = TODAY
    w, (a,) = cohort(1)
    sec, (dept,), _ = departments(w, 1)
    with tenant_context(w.tenant.id, db.session):
        plan = rotation.save_proposal(w.tenant, a.cohort, actor=w.admin, roles={"secretariat_admin"})
        rotation.accept(plan, actor=w.admin, roles={"secretariat_admin"})
        seg = rotation.history(a)[0]
        group = wg.ensure_groups(w.tenant, a.cohort)[0]
    other, _ = cohort(1)
    login_as(other.admin)
    s, api = f"/{other.tenant.slug}/residency", f"/api/v1/{other.tenant.slug}/residency"
    for method, url, body in [
        ("POST", f"{s}/departments/{dept.id}", {"name": "x"}), ("POST", f"{s}/departments/{dept.id}/active", {}),
        ("PUT", f"{api}/departments/{dept.id}", {"name": "x"}),
        ("POST", f"{api}/departments/{dept.id}/active", {"active": False}),
        ("GET", f"{s}/rotation/plans/{plan.id}", None), ("GET", f"{api}/rotation/plans/{plan.id}", None),
        ("POST", f"{api}/rotation/plans/{plan.id}/accept", None),
        ("GET", f"{s}/segments/{seg.id}", None), ("DELETE", f"{api}/segments/{seg.id}", None),
        ("POST", f"{api}/segments/{seg.id}/end", {"ends_on": "2025-12-31"}),
        ("GET", f"{s}/groups/{group.id}", None), ("GET", f"{api}/groups/{group.id}", None),
        ("PUT", f"{api}/groups/{group.id}/leads", {"residency_ids": []}),
        ("GET", f"{s}/{a.id}/segments", None), ("GET", f"{api}/residencies/{a.id}/segments", None),
    ]:
        kw = {"json": body} if url.startswith("/api") and body is not None else {"data": body or {}}
        resp = client.open(url, method=method, **kw)
        assert resp.status_code == 404, (method, url, resp.status_code)
    with tenant_context(w.tenant.id, db.session):
        assert rotation.get_department(dept.id).active is True and rotation.get_segment(seg.id) is not None
