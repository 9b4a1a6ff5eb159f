"""The selection steps a user needs end to end, through the pages: the rotation roster (A4),
conflict declarations and per-panelist rubric scoring (A6.4), letter delivery (A6.1) and the
public notice index (A6.5). Every change is audited and every role checked server-side."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import (
    InterviewPanel, InterviewScore, Invitation, Nomination, PanelConflict, Panelist, RotationEntry,
)
from tenants.models import Role
from tenants.rules.registry import REGISTRY, RuleError
from tests.factories import PresidiumFactory, SchoolFactory, UnionFactory, member
from tests.selection.helpers import advance_to_reviewed, invite, open_cycle, submitted, world


def actions(tenant_id: int, prefix: str = "") -> list[str]:
    with tenant_context(tenant_id, db.session):
        return list(db.session.scalars(sa.select(AuditRecord.action).where(
            AuditRecord.tenant_id == tenant_id, AuditRecord.action.startswith(prefix)).order_by(AuditRecord.seq)))


def text(resp) -> str:
    return resp.get_data(as_text=True)


# --- A4: the rotation roster ------------------------------------------------------------------

def _roster_world(n=4):
    w = world(n)
    with tenant_context(w.tenant.id, db.session):
        ops.ensure_rotation_roster(w.tenant, on=dt.date(2026, 3, 2), actor=w.admin)
        entries = list(db.session.scalars(sa.select(RotationEntry).order_by(RotationEntry.position)))
    return w, entries


def _names_in_page(html: str, names: list[str]) -> list[str]:
    return sorted(names, key=html.index)


def test_A4_rotation_roster_order(client, login_as, session):
    w, entries = _roster_world(4)
    ids = [e.id for e in entries]
    names = [e.union.name for e in entries]
    base = f"/{w.tenant.slug}/selection/rotation"
    login_as(w.admin)
    page = text(client.get(base))
    assert "主席团成员团体轮值名册" in page and "依据第四条" in page
    assert _names_in_page(page, names) == names  # never served: roster order

    # Mark who served when: the organization goes to the back of the turn order.
    r = client.post(f"{base}/{ids[0]}/served", data={"academic_year": "2024-2025"}, follow_redirects=True)
    assert "已记录" in text(r) and "2024-2025 学年" in text(r)
    assert _names_in_page(text(client.get(base)), names) == names[1:] + names[:1]
    # A malformed year or a year already recorded is refused in Chinese, nothing changes.
    r = client.post(f"{base}/{ids[0]}/served", data={"academic_year": "2024"}, headers={"Referer": base},
                    follow_redirects=True)
    assert "学年格式应为" in text(r)
    r = client.post(f"{base}/{ids[0]}/served", data={"academic_year": "2024-2025"}, headers={"Referer": base},
                    follow_redirects=True)
    assert "已记录于 2024-2025 学年轮值" in text(r)

    # Edit the order among those that never served; across groups the year decides.
    client.post(f"{base}/{ids[2]}/move", data={"direction": "up"})
    assert _names_in_page(text(client.get(base)), names) == [names[2], names[1], names[3], names[0]]
    r = client.post(f"{base}/{ids[3]}/move", data={"direction": "down"}, headers={"Referer": base},
                    follow_redirects=True)
    assert "只能在同一学年轮值过" in text(r)

    # The turn the invitations follow is the page's order.
    with tenant_context(w.tenant.id, db.session):
        assert [e.id for e in ops.rotation_due(2)] == [ids[2], ids[1]]
        e0 = db.session.get(RotationEntry, ids[0])
        assert e0.served_years == ["2024-2025"] and e0.last_served_year == "2024-2025" and e0.times_served == 1

    # A wrongly recorded year is removed (and stays in the audit trail).
    client.post(f"{base}/{ids[0]}/served", data={"academic_year": "2024-2025", "action": "remove"})
    with tenant_context(w.tenant.id, db.session):
        e0 = db.session.get(RotationEntry, ids[0])
        assert e0.served_years == [] and e0.last_served_year is None and e0.times_served == 0
    assert actions(w.tenant.id, "rotation.") == ["rotation.roster_extended", "rotation.served",
                                                 "rotation.reordered", "rotation.served_removed"]


def test_A4_rotation_roster_staff_only_and_api(client, login_as, session):
    w, entries = _roster_world(2)
    eid = entries[1].id
    liaison = member(w.tenant, Role.school_liaison, school_id=w.schools[0].id)
    reviewer = member(w.tenant, Role.provincial_reviewer, province_code="44")
    for who in (liaison, reviewer):
        login_as(who)
        assert client.get(f"/{w.tenant.slug}/selection/rotation").status_code == 403
        assert client.post(f"/{w.tenant.slug}/selection/rotation/{eid}/move", data={"direction": "up"}).status_code == 403
        assert client.post(f"/api/v1/{w.tenant.slug}/selection/rotation/{eid}/served",
                           json={"academic_year": "2025-2026"}, headers={"X-CSRFToken": "x"}).status_code == 403
        client.post("/logout")
    assert actions(w.tenant.id, "rotation.") == ["rotation.roster_extended"]
    login_as(w.admin)
    api = f"/api/v1/{w.tenant.slug}/selection/rotation"
    r = client.post(f"{api}/{eid}/move", json={"direction": "up"}, headers={"X-CSRFToken": "x"})
    assert r.status_code == 200 and r.json["items"][0]["id"] == eid and r.json["items"][0]["turn"] == 1
    r = client.post(f"{api}/{eid}/served", json={"academic_year": "2025-2026"}, headers={"X-CSRFToken": "x"})
    assert r.json["items"][-1]["id"] == eid and r.json["items"][-1]["served_years"] == ["2025-2026"]
    assert client.get(api).json["items"][0]["id"] == entries[0].id


def test_A4_rotation_due_passes_over_organizations_off_the_presidium(session):
    w, entries = _roster_world(2)
    lapsed_school = SchoolFactory(tenant=w.tenant)
    lapsed = UnionFactory(school=lapsed_school, tenant=w.tenant)
    PresidiumFactory(union=lapsed, tenant=w.tenant, term_end=dt.date(2024, 8, 31))
    with tenant_context(w.tenant.id, db.session):
        # on the roster from an earlier year, first in turn, but no longer a member
        db.session.add(RotationEntry(tenant_id=w.tenant.id, union_id=lapsed.id, position=0, times_served=0))
        db.session.flush()
        assert ops.rotation_due(1)[0].union_id == lapsed.id
        assert ops.rotation_due(1, on=dt.date(2026, 3, 2))[0].union_id == entries[0].union_id


# --- A6.4: conflicts of interest and per-panelist scoring -------------------------------------

def _reviewed(w, n=1):
    open_cycle(w)
    noms = []
    for i in range(n):
        inv = invite(w, w.schools[i])
        noms.append(advance_to_reviewed(w, submitted(w, inv, i + 1)))
    return noms


def _pool(w, k=6):
    with tenant_context(w.tenant.id, db.session):
        return [ops.add_panelist(w.cycle, name=f"评委{i}", affiliation="团中央学校部", province_code="31",
                                 actor=w.admin) for i in range(k)]


def test_A6_4_conflicted_panelist_excluded_and_declared_via_ui(client, login_as, session):
    w = world(1)
    (nom,) = _reviewed(w)
    pool = _pool(w, 6)
    cycle_id, nom_id, conflicted = w.cycle.id, nom.id, pool[1].id
    login_as(w.admin)
    page = text(client.get(f"/{w.tenant.slug}/selection/cycles/{cycle_id}"))
    assert "回避申报" in page and "申报回避" in page
    # A reason is required; the page says so and records nothing.
    url = f"/{w.tenant.slug}/selection/cycles/{cycle_id}/conflicts"
    r = client.post(url, data={"panelist_id": conflicted, "nomination_id": nom_id, "reason": " "},
                    headers={"Referer": f"/{w.tenant.slug}/selection/cycles/{cycle_id}"}, follow_redirects=True)
    assert "请说明回避理由" in text(r)
    r = client.post(url, data={"panelist_id": conflicted, "nomination_id": nom_id, "reason": "系该生本科导师"},
                    follow_redirects=True)
    assert "已记录评委1对候选人1的回避申报" in text(r) and "系该生本科导师" in text(r)
    # The draw passes over the declared panelist (and says why); the other five sit.
    r = client.post(f"/{w.tenant.slug}/selection/cycles/{cycle_id}/panels", data={"name": "第一面试组", "seed": "s1"},
                    follow_redirects=True)
    assert "评委1（申报回避）" in text(r)
    with tenant_context(w.tenant.id, db.session):
        panel = db.session.scalar(sa.select(InterviewPanel))
        assert conflicted not in panel.draw_record["chosen"] and len(panel.draw_record["chosen"]) == 5
        assert {"id": conflicted, "why": "申报回避"} in panel.draw_record["excluded"]
        assert db.session.scalar(sa.select(PanelConflict.reason)) == "系该生本科导师"
    assert "panel.conflict_declared" in actions(w.tenant.id, "panel.")
    # Declared twice: refused.
    r = client.post(url, data={"panelist_id": conflicted, "nomination_id": nom_id, "reason": "再次"},
                    headers={"Referer": f"/{w.tenant.slug}/selection/cycles/{cycle_id}"}, follow_redirects=True)
    assert "已申报对候选人1回避" in text(r)


def test_A6_4_conflict_declared_after_the_draw_recuses_and_strikes_the_score(client, login_as, session):
    w = world(1)
    (nom,) = _reviewed(w)
    _pool(w, 5)
    with tenant_context(w.tenant.id, db.session):
        ops.draw_panel(w.cycle, "面试组", [nom], actor=w.admin, seed="x")
        members = [p.id for p in db.session.scalars(sa.select(Panelist).order_by(Panelist.id))]
    cycle_id, nom_id = w.cycle.id, nom.id
    login_as(w.admin)
    sheet_url = f"/{w.tenant.slug}/selection/nominations/{nom_id}/interview-scores"
    client.post(sheet_url, data={f"score-{members[0]}-{i}": "90" for i in range(4)})
    client.post(f"/{w.tenant.slug}/selection/cycles/{cycle_id}/conflicts",
                data={"panelist_id": members[0], "nomination_id": nom_id, "reason": "与该生为同乡"})
    with tenant_context(w.tenant.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InterviewScore)) == 0
    page = text(client.get(f"/{w.tenant.slug}/selection/nominations/{nom_id}"))
    assert "回避</span> 与该生为同乡" in page
    r = client.post(sheet_url, data={f"score-{members[0]}-0": "90"})  # the form has no such row
    with tenant_context(w.tenant.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InterviewScore)) == 0
    # Through the API the recused panelist is refused by name.
    r = client.post(f"/api/v1/{w.tenant.slug}/selection/nominations/{nom_id}/interview-scores",
                    json={"scores": {str(members[0]): 88}}, headers={"X-CSRFToken": "x"})
    assert r.status_code == 409 and "已申报回避" in r.json["error"]["message"]
    assert "interview.score_struck" in actions(w.tenant.id, "interview.")


def test_A6_4_per_panelist_rubric_scores_weighted_and_averaged_via_ui(client, login_as, session):
    w = world(1)
    (nom,) = _reviewed(w)
    _pool(w, 5)
    with tenant_context(w.tenant.id, db.session):
        ops.draw_panel(w.cycle, "面试组", [nom], actor=w.admin, seed="x")
        members = [p.id for p in db.session.scalars(sa.select(Panelist).order_by(Panelist.id))]
        # the rubric pinned when the cycle opened is the one used (A23)
        assert ops.rubric(w.cycle) == [("政治素质", 30), ("综合素质", 20), ("组织协调", 30), ("表达沟通", 20)]
    nom_id = nom.id
    login_as(w.admin)
    page = text(client.get(f"/{w.tenant.slug}/selection/nominations/{nom_id}"))
    assert "面试评分表" in page and "政治素质（30%）" in page and "表达沟通（20%）" in page
    url = f"/{w.tenant.slug}/selection/nominations/{nom_id}/interview-scores"
    # Sheets arrive one at a time: no interview score until every panelist has scored.
    first = {f"score-{members[0]}-{i}": v for i, v in enumerate(["90", "80", "70", "60"])}
    r = client.post(url, data=first, follow_redirects=True)
    assert "尚有评委未评分" in text(r) and "待全部评委评分后计算" in text(r)
    with tenant_context(w.tenant.id, db.session):
        s = db.session.scalar(sa.select(InterviewScore).where(InterviewScore.panelist_id == members[0]))
        assert s.score == Decimal("76.00")  # 90*.3 + 80*.2 + 70*.3 + 60*.2
        assert s.criteria == {"政治素质": "90.00", "综合素质": "80.00", "组织协调": "70.00", "表达沟通": "60.00"}
        assert db.session.get(Nomination, nom_id).interview_score is None
    # An incomplete sheet names the missing item; a score out of range is refused.
    r = client.post(url, data={f"score-{members[1]}-0": "80"}, headers={"Referer": url}, follow_redirects=True)
    assert "评委1的评分缺少：综合素质、组织协调、表达沟通" in text(r)
    r = client.post(url, data={f"score-{members[1]}-{i}": "101" for i in range(4)}, headers={"Referer": url},
                    follow_redirects=True)
    assert "应在 0 到 100 之间" in text(r)
    rest = {f"score-{pid}-{i}": str(80 + k) for k, pid in enumerate(members[1:]) for i in range(4)}
    r = client.post(url, data=rest, follow_redirects=True)
    assert "面试成绩已按评委平均计算" in text(r)
    with tenant_context(w.tenant.id, db.session):
        n = db.session.get(Nomination, nom_id)
        assert n.interview_score == Decimal("80.40")  # (76 + 80 + 81 + 82 + 83) / 5
    acts = actions(w.tenant.id, "interview.")
    assert acts.count("interview.panelist_score") == 5 and acts[-1] == "interview.score"
    # The API shows the same sheet.
    sheet = client.get(f"/api/v1/{w.tenant.slug}/selection/nominations/{nom_id}/interview-scores").json
    assert sheet["interview_score"] == 80.4 and [p["score"] for p in sheet["panelists"]] == [76, 80, 81, 82, 83]


def test_A6_4_scoring_and_conflicts_are_staff_only(client, login_as, session):
    w = world(1)
    (nom,) = _reviewed(w)
    pool = _pool(w, 5)
    approver = member(w.tenant, Role.approver)
    reviewer = member(w.tenant, Role.provincial_reviewer, province_code="44")
    cycle_id, nom_id, pid = w.cycle.id, nom.id, pool[0].id
    for who in (approver, reviewer):
        login_as(who)
        assert client.post(f"/{w.tenant.slug}/selection/cycles/{cycle_id}/conflicts",
                           data={"panelist_id": pid, "nomination_id": nom_id, "reason": "x"}).status_code == 403
        assert client.post(f"/{w.tenant.slug}/selection/nominations/{nom_id}/interview-scores",
                           data={f"score-{pid}-0": "1"}).status_code == 403
        assert "面试评分表" not in text(client.get(f"/{w.tenant.slug}/selection/nominations/{nom_id}"))
        client.post("/logout")
    with tenant_context(w.tenant.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PanelConflict)) == 0


def test_A6_4_rubric_rule_weights_must_add_up_to_100():
    rule = REGISTRY["selection.interview_rubric"]
    assert rule.validate("政治素质：40、组织协调:60") == ["政治素质:40", "组织协调:60"]
    with pytest.raises(RuleError, match="合计应为 100"):
        rule.validate(["政治素质:40", "组织协调:50"])
    with pytest.raises(RuleError, match="名称:权重"):
        rule.validate("政治素质")
    with pytest.raises(RuleError, match="重复"):
        rule.validate("A:50,A:50")


# --- A6.1: letter delivery --------------------------------------------------------------------

def test_A6_1_invitation_shows_delivered_after_send(client, login_as, session):
    w = world(2)
    open_cycle(w)
    liaison = member(w.tenant, Role.school_liaison, school_id=w.schools[0].id)
    with tenant_context(w.tenant.id, db.session):
        invs = ops.invite_schools(w.cycle, [s.id for s in w.schools], ops.Route.selection, actor=w.admin)
        with_liaison, without = invs[0].id, invs[1].id
        assert invs[0].school_id == w.schools[0].id
    cycle_id = w.cycle.id
    login_as(w.admin)
    page = text(client.get(f"/{w.tenant.slug}/selection/cycles/{cycle_id}"))
    assert page.count(">发函</button>") == 2 and "已送达" not in page
    for inv_id in (with_liaison, without):
        r = client.post(f"/{w.tenant.slug}/selection/invitations/{inv_id}/send", follow_redirects=True)
        assert "已向" in text(r) and "发出推荐函" in text(r)
    # The letter's notification was delivered by the (eager) job: 送达 shows, with its time.
    db.session.expire_all()  # each real request has a fresh session; this test's outlives them
    page = text(client.get(f"/{w.tenant.slug}/selection/cycles/{cycle_id}"))
    assert page.count("已送达") == 1 and page.count("待送达") == 1  # a school without a liaison waits
    assert page.count("该校尚无联络员账号") == 1
    with tenant_context(w.tenant.id, db.session):
        from portal.notifications.models import Notification

        inv = db.session.get(Invitation, with_liaison)
        sent = db.session.scalar(sa.select(Notification.sent_at).where(
            Notification.related_type == "invitation", Notification.related_id == str(with_liaison)))
        assert inv.delivered_at is not None and inv.delivered_at == sent
        assert db.session.get(Invitation, without).delivered_at is None
    assert "invitation.delivered" in actions(w.tenant.id, "invitation.")
    r = client.get(f"/api/v1/{w.tenant.slug}/selection/cycles/{cycle_id}/invitations").json
    assert [bool(i["delivered_at"]) for i in r["items"]] == [True, False]
    # The liaison sees it delivered on the invitation page too.
    client.post("/logout")
    login_as(liaison)
    page = text(client.get(f"/{w.tenant.slug}/selection/invitations/{with_liaison}"))
    assert "已送达" in page and "确认收到推荐函" in page


def test_A6_1_liaison_downloads_own_schools_letter_only(client, login_as, session):
    w = world(2)
    open_cycle(w)
    inv_a = invite(w, w.schools[0])
    inv_b = invite(w, w.schools[1])
    a_id, b_id = inv_a.id, inv_b.id
    liaison = member(w.tenant, Role.school_liaison, school_id=w.schools[0].id)
    login_as(liaison)
    page = text(client.get(f"/{w.tenant.slug}/selection/invitations/{a_id}"))
    assert "推荐函（PDF）" in page and "推荐函（Word）" in page
    pdf = client.get(f"/{w.tenant.slug}/selection/invitations/{a_id}/letter.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    docx = client.get(f"/{w.tenant.slug}/selection/invitations/{a_id}/letter.docx")
    assert docx.status_code == 200 and docx.data.startswith(b"PK")
    assert client.get(f"/{w.tenant.slug}/selection/invitations/{b_id}/letter.pdf").status_code == 404
    assert client.get(f"/{w.tenant.slug}/selection/invitations/{a_id}/letter.exe").status_code == 404


# --- A6.5: the public index, and the clock seam -----------------------------------------------

def test_A6_5_public_index_lists_the_open_notice_anonymously(app, client, session):
    from tests.selection.test_workflow import _through_notice

    w = world(1)
    open_cycle(w)
    noms, notice = _through_notice(w, 1)
    with tenant_context(w.tenant.id, db.session):
        title, starts, ends = notice.title, notice.starts_on, notice.ends_on
    db.session.commit()
    suite_today = app.config["FIXED_TODAY"]
    app.config["FIXED_TODAY"] = starts.isoformat()
    try:
        page = text(client.get(f"/{w.tenant.slug}/public/"))
        assert "正在公示" in page and title in page
        app.config["FIXED_TODAY"] = (ends + dt.timedelta(days=1)).isoformat()
        page = text(client.get(f"/{w.tenant.slug}/public/"))
        assert "当前没有正在公示的事项" in page and "往期公示" in page and title in page
    finally:
        app.config["FIXED_TODAY"] = suite_today


def test_fixed_today_is_the_date_operations_use(app, session):
    from portal.core import clock

    suite_today = app.config["FIXED_TODAY"]
    with app.test_request_context():
        app.config["FIXED_TODAY"] = None
        try:
            assert clock.today() == clock.now().date() == ops._today()
            app.config["FIXED_TODAY"] = "2026-03-16"
            assert clock.today() == dt.date(2026, 3, 16) == ops._today()
            with clock.pinned(dt.date(2025, 10, 9)):
                assert clock.today() == dt.date(2025, 10, 9) == ops._today()
            assert clock.today() == dt.date(2026, 3, 16)
        finally:
            app.config["FIXED_TODAY"] = suite_today
