"""A6.3: one visibility rule for every list, count, export and API payload of a cycle.

The national tenant's cycle has a ranked candidate from 广东 (44) and one from 北京 (11). Each
role asks for every surface that names candidates or counts them; what it gets must match what
the detail page lets it open (``portal.selection.access``).
"""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.access import EVERYTHING, NOTHING, NominationScope, scope_for
from portal.selection.documents import nominations_export
from portal.selection.workflow import SYSTEM
from tenants.models import Membership, Role
from tests.conftest import login
from tests.factories import member
from tests.selection.helpers import advance_to_reviewed, invite, open_cycle, score, submitted, world

GD_NAME, BJ_NAME = "广东甲大学", "北京乙大学"
GD_CAND, BJ_CAND = "粤籍候选人", "京籍候选人"


@pytest.fixture()
def ranked_world(session):
    """Two ranked candidates, one per province, and a user for every role."""
    w = world(2)  # schools[0] in 44, schools[1] in 11
    w.schools[0].name, w.schools[1].name = GD_NAME, BJ_NAME
    open_cycle(w)
    noms = []
    for i, (s, name) in enumerate(zip(w.schools, (GD_CAND, BJ_CAND))):
        inv = invite(w, s)
        n = advance_to_reviewed(w, submitted(w, inv, i + 1, name=name))
        score(w, n, 80 + i, 80)
        noms.append(n)
    with tenant_context(w.tenant.id, db.session):
        ops.rank_cycle(w.cycle, actor=w.admin, roles=SYSTEM)
    users = {
        "staff": member(w.tenant, Role.secretariat_staff),
        "approver": member(w.tenant, Role.approver),
        "department_head": member(w.tenant, Role.department_head),
        "reviewer_gd": member(w.tenant, Role.provincial_reviewer, province_code="44"),
        "liaison_bj": member(w.tenant, Role.school_liaison, school_id=w.schools[1].id),
        "chair": member(w.tenant, Role.chair),
    }
    return w, noms, users


def _client(app, user):
    c = app.test_client()
    login(c, user)
    return c


# What each role may see: candidate names (and their schools) in the cycle.
SEES = {
    "staff": {GD_CAND, BJ_CAND},
    "approver": {GD_CAND, BJ_CAND},
    "department_head": {GD_CAND, BJ_CAND},
    "reviewer_gd": {GD_CAND},
    "liaison_bj": {BJ_CAND},
    "chair": set(),
}
SCHOOL_OF = {GD_CAND: GD_NAME, BJ_CAND: BJ_NAME}


@pytest.mark.parametrize("role", ["staff", "approver", "department_head", "reviewer_gd"])
def test_A6_3_cycle_page_ranking_funnel_and_letters_follow_the_detail_rule(app, ranked_world, role):
    w, noms, users = ranked_world
    c = _client(app, users[role])
    page = c.get(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}").get_data(as_text=True)
    for cand in (GD_CAND, BJ_CAND):
        seen = cand in SEES[role]
        assert (cand in page) == seen, (role, cand)
        # the school appears in the ranking and in the letters table only when its candidate may be seen
        assert (SCHOOL_OF[cand] in page) == seen, (role, SCHOOL_OF[cand])
    # the funnel by province: 北京 is a row only for the roles that see the whole cycle
    assert ("北京" in page) == (BJ_CAND in SEES[role])
    # the status counts add up to what the role sees
    ranked_row = page.split("已排名")[1].split("</tr>")[0] if "已排名" in page else ""
    assert f"<td>{len(SEES[role])}</td>" in ranked_row
    # the letters (an earlier stage: counts on the cycle page, the rows on its paged list) link to
    # the invitation page only for those who may open it (staff), and follow the same scope
    letters = c.get(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/letters").get_data(as_text=True)
    assert ("/selection/invitations/" in letters) == (role == "staff")
    for cand in (GD_CAND, BJ_CAND):
        assert (SCHOOL_OF[cand] in letters) == (cand in SEES[role]), (role, cand)
    # and what the list shows, the detail page opens
    for n in noms:
        status = c.get(f"/{w.tenant.slug}/selection/nominations/{n.id}").status_code
        assert status == (200 if n.name in SEES[role] else 404), (role, n.name)


@pytest.mark.parametrize("role", ["liaison_bj", "chair"])
def test_A6_3_cycle_page_is_not_shown_to_liaisons_and_chairs(app, ranked_world, role):
    w, _, users = ranked_world
    r = _client(app, users[role]).get(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}")
    assert r.status_code == 302 and GD_CAND not in r.get_data(as_text=True)


@pytest.mark.parametrize("role", list(SEES))
def test_A6_3_nomination_list_page_and_api_count_only_what_the_role_may_see(app, ranked_world, role):
    w, _, users = ranked_world
    c = _client(app, users[role])
    web = c.get(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/nominations")
    api = c.get(f"/api/v1/{w.tenant.slug}/selection/cycles/{w.cycle.id}/nominations?per_page=1000")
    if not SEES[role]:
        assert web.status_code == 403 and api.status_code == 403
        return
    html = web.get_data(as_text=True)
    assert {cand for cand in (GD_CAND, BJ_CAND) if cand in html} == SEES[role]
    body = api.get_json()
    assert {n["name"] for n in body["items"]} == SEES[role]
    assert body["total"] == len(SEES[role])
    # asking for another province by filter does not widen the scope
    other = c.get(f"/api/v1/{w.tenant.slug}/selection/cycles/{w.cycle.id}/nominations?province=11").get_json()
    assert {n["name"] for n in other["items"]} == SEES[role] & {BJ_CAND}


@pytest.mark.parametrize("role", list(SEES))
def test_A6_3_cycle_api_funnel_is_the_cycle_page_funnel(app, ranked_world, role):
    w, _, users = ranked_world
    body = _client(app, users[role]).get(f"/api/v1/{w.tenant.slug}/selection/cycles/{w.cycle.id}").get_json()
    assert body["id"] == w.cycle.id
    if role in ("liaison_bj", "chair"):
        # the web page sends them back to the index: the API gives the cycle, not its progress
        assert "funnel" not in body and "by_province" not in body and "by_route" not in body
        return
    expect_provinces = {"44": GD_CAND, "11": BJ_CAND}
    assert {p for p, _ in body["by_province"]} == {p for p, cand in expect_provinces.items() if cand in SEES[role]}
    assert body["funnel"]["ranked"] == len(SEES[role])
    assert sum(body["by_route"].values()) == len(SEES[role])


@pytest.mark.parametrize("role", list(SEES))
def test_A6_3_invitation_list_api_follows_the_scope(app, ranked_world, role):
    w, _, users = ranked_world
    body = _client(app, users[role]).get(
        f"/api/v1/{w.tenant.slug}/selection/cycles/{w.cycle.id}/invitations").get_json()
    assert {i["school"]["name"] for i in body["items"]} == {SCHOOL_OF[c] for c in SEES[role]}


@pytest.mark.parametrize("role", list(SEES))
def test_A6_3_export_is_staff_only_and_built_under_the_scope(app, ranked_world, role):
    w, _, users = ranked_world
    r = _client(app, users[role]).post(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/export")
    if role != "staff":
        assert r.status_code == 403
        return
    assert r.status_code == 303  # a documents job (run at once here: the suite's jobs are eager)
    from portal.documents.models import GeneratedDocument
    from portal.documents.operations import file_path

    with tenant_context(w.tenant.id, db.session):
        doc = db.session.scalars(sa.select(GeneratedDocument).where(
            GeneratedDocument.kind == "selection.nominations_export")).one()
        with open(file_path(doc), "rb") as fh:
            wb = load_workbook(io.BytesIO(fh.read()))
    names = {row[1] for row in wb["推荐人选"].iter_rows(min_row=2, values_only=True)}
    assert names == {GD_CAND, BJ_CAND}


def test_A6_3_export_builder_takes_the_viewer_scope(ranked_world):
    """The export builder has no default scope: a provincial scope gives only its province."""
    w, _, users = ranked_world
    with tenant_context(w.tenant.id, db.session):
        ms = list(db.session.scalars(sa.select(Membership).where(Membership.user_id == users["reviewer_gd"].id)))
        # the rows stream while the workbook is written: read them inside the tenant's context
        sheets = [list(s.rows) for s in nominations_export(w.tenant.id, w.cycle.id, scope=scope_for(ms))]
        everything = [list(s.rows) for s in nominations_export(w.tenant.id, w.cycle.id, scope=EVERYTHING)]
    assert {row[1] for row in sheets[0]} == {GD_CAND}
    assert {row[1] for row in sheets[1]} == {GD_CAND}
    assert {row[1] for row in everything[0]} == {GD_CAND, BJ_CAND}
    with pytest.raises(TypeError):
        nominations_export(w.tenant.id, w.cycle.id)  # noqa: the scope is required


def test_A6_3_scope_rule_per_membership(session):
    class M:
        def __init__(self, role, province_code=None, school_id=None, active=True):
            self.role, self.province_code, self.school_id, self.active = role, province_code, school_id, active

    assert scope_for([M(Role.secretariat_staff)]) == EVERYTHING
    assert scope_for([M(Role.approver)]) == EVERYTHING
    assert scope_for([M(Role.chair)]) == NOTHING and not NOTHING.sees_any
    both = scope_for([M(Role.provincial_reviewer, "44"), M(Role.school_liaison, school_id=7)])
    assert both == NominationScope(provinces=frozenset({"44"}), school_ids=frozenset({7}))
    assert scope_for([M(Role.secretariat_admin, active=False)]) == NOTHING


def test_A6_3_export_rows_in_province_and_school_order_across_groups(session, monkeypatch):
    """The export reads a group of schools at a time: with groups of about three rows, every
    nomination comes out once, in (province, school code, id) order, phones and ID numbers masked."""
    from portal.selection import documents as docs

    w = world(4)  # provinces 44, 11, 44, 11
    open_cycle(w)
    invs = [invite(w, s) for s in w.schools]
    seq = 0
    for _round in range(2):  # the cap of 2 per school; interleaved: ids do not follow the school order
        for inv in reversed(invs):
            seq += 1
            submitted(w, inv, seq, name=f"候选人{seq}")
    monkeypatch.setattr(docs, "EXPORT_CHUNK", 3)  # a group spans two schools
    with tenant_context(w.tenant.id, db.session):
        rows = list(nominations_export(w.tenant.id, w.cycle.id, scope=EVERYTHING)[0].rows)
        expected = db.session.execute(
            sa.select(docs.Nomination.id, docs.Nomination.phone)
            .join(docs.Nomination.school)
            .where(docs.Nomination.cycle_id == w.cycle.id)
            .order_by(sa.text("schools.province_code"), sa.text("schools.code"), docs.Nomination.id)).all()
    assert [r[0] for r in rows] == [e.id for e in expected] and len(rows) == 8
    assert len({r[4] for r in rows[:4]}) == 1 and rows[0][4] != rows[-1][4]  # one province, then the other
    by_id = {e.id: e.phone for e in expected}
    for r in rows:
        assert r[13] == docs.mask_phone(by_id[r[0]]) and "*" in r[13] and by_id[r[0]] not in r[13]
        assert "*" in r[7]
