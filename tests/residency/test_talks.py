"""A9 one-to-one talks (谈心谈话): recorded by a department head; the content is read only by
that head, the chair and the secretariat officers the tenant designates; the count and dates by
every secretariat administrator."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.core.errors import DomainError
from portal.core.obligations import ObligationRecord
from portal.extensions import db
from portal.residency import operations as rops
from portal.residency.models import Talk
from tenants.models import Role
from tests.factories import PASSWORD, member
from tests.factories_residency import cohort

SECRET = "家庭困难情况及心理压力的具体内容"
TOPIC = "学习与工作安排的困惑"


def _talk(w, res, head):
    with tenant_context(w.tenant.id, db.session):
        return rops.record_talk(res, actor=head, roles={Role.department_head}, occurred_on=dt.date(2026, 3, 12),
                                place="团中央机关 302 会议室", topic=TOPIC, content=SECRET,
                                others_present="秘书处工作人员一名", follow_up="一个月后再谈",
                                today=dt.date(2026, 3, 16))


def _login(client, user):
    from tests.conftest import login

    client.get("/logout")
    return login(client, user)


def test_A9_talk_content_is_hidden_from_other_heads_chairs_and_undesignated_officers(app, client, session):
    """A9/A12: the chair worked in the other head's department first, then in the head's; the
    other head sees the chair's record but not the talk's content; a head of a department the
    chair never worked in does not see the chair at all."""
    from tests.residency.rotation_helpers import departments, halves

    app.config["FIXED_TODAY"] = "2026-03-16"
    w, (res, other) = cohort(2)
    _sec, (dept_a, dept_b, _dept_c), (head, other_head, stranger) = departments(w, 3)
    halves(w, res, dept_b, dept_a)
    officer = member(w.tenant, Role.secretariat_staff)
    rec = _talk(w, res, head)
    assert rec.status.value == "accepted" and rec.title == "谈心谈话"
    url, api = f"/{w.tenant.slug}/residency/{res.id}", f"/api/v1/{w.tenant.slug}/residency/residencies/{res.id}"

    def sees(user):
        _login(client, user)
        page = client.get(url)
        if page.status_code != 200:
            return page.status_code
        html = page.get_data(as_text=True)
        body = client.get(api).get_json()
        (talk,) = [r for r in body["records"] if r["obligation"].endswith("a9_talk")]
        assert talk["occurred_on"] == "2026-03-12"          # the date is always there
        shown = SECRET in html and TOPIC in html and talk.get("content") == SECRET and not talk["redacted"]
        assert shown or (SECRET not in html and TOPIC not in html and "content" not in talk and "talk" not in talk)
        return shown

    assert sees(head) is True
    assert sees(other_head) is False
    assert sees(stranger) == 404                             # never in the stranger's department
    assert sees(w.admin) is False and sees(officer) is False
    from portal.auth.models import User

    chair = db.session.get(User, res.chair.user_id)
    chair.set_password(PASSWORD)
    assert sees(chair) is True
    other_chair = db.session.get(User, other.chair.user_id)
    other_chair.set_password(PASSWORD)
    assert sees(other_chair) == 404
    _login(client, w.admin)
    resp = client.post(f"/api/v1/{w.tenant.slug}/residency/talk-readers", json={"email": officer.email})
    assert resp.status_code == 201
    assert sees(officer) is True
    assert sees(w.admin) is False                            # designation is per person


def test_A9_talk_by_a_chair_is_403_and_a_missing_place_names_the_field(session):
    w, (res,) = cohort(1)
    head = member(w.tenant, Role.department_head)   # no rotation recorded yet: any head may record
    from portal.auth.models import User

    chair = db.session.get(User, res.chair.user_id)
    with tenant_context(w.tenant.id, db.session):
        with pytest.raises(DomainError) as e:
            rops.record_talk(res, actor=chair, roles={Role.chair}, occurred_on=dt.date(2026, 3, 12), place="会议室",
                             topic="主题", content="内容", today=dt.date(2026, 3, 16))
        assert e.value.status == 403
        with pytest.raises(DomainError) as e:
            rops.record_talk(res, actor=head, roles={Role.department_head}, occurred_on=dt.date(2026, 3, 12),
                             place=" ", topic="主题", content="内容", today=dt.date(2026, 3, 16))
        assert e.value.details == {"place": "请填写谈话地点"}
        with pytest.raises(DomainError) as e:
            rops.record_talk(res, actor=head, roles={Role.department_head}, occurred_on=dt.date(2026, 9, 12),
                             place="会议室", topic="主题", content="内容", today=dt.date(2026, 9, 16))
        assert list(e.value.details) == ["occurred_on"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ObligationRecord)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Talk)) == 0
    rec = _talk(w, res, head)
    with tenant_context(w.tenant.id, db.session):
        talk = rops.talks_by_record([rec.id])
    assert [t.place for t in talk.values()] == ["团中央机关 302 会议室"]


def test_A9_meeting_with_the_leaders_records_the_chairs_present_in_their_term(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2026-03-16"
    w, (a, b) = cohort(2)
    login_as(w.admin)
    url = f"/api/v1/{w.tenant.slug}/residency/meetings"
    body = {"held_on": "2026-03-13", "place": "团中央机关", "leaders": "书记处同志", "minutes": "听取驻会以来的工作汇报",
            "residency_ids": [a.id, b.id]}
    resp = client.post(url, json={**body, "held_on": "2026-09-13"})
    assert resp.status_code == 422 and "held_on" in resp.get_json()["error"]["details"]
    resp = client.post(url, json={**body, "residency_ids": [a.id, 999999]})
    assert resp.status_code == 422 and "residency_ids" in resp.get_json()["error"]["details"]
    resp = client.post(url, json=body)
    assert resp.status_code == 201 and resp.get_json()["residency_ids"] == [a.id, b.id]
    assert client.get(url).get_json()["total"] == 1
    html = client.get(f"/{w.tenant.slug}/residency/{a.id}").get_data(as_text=True)
    assert "书记处同志" in html and "2026年3月13日" in html
    assert "听取驻会以来的工作汇报" in client.get(f"/{w.tenant.slug}/residency/meetings").get_data(as_text=True)


def test_A9_A12_a_talk_by_the_head_of_another_department_is_refused_naming_the_date(session):
    """The talk on 12 March falls in the chair's segment in department A: department B's head
    (whose department the chair left in February) is refused, nothing saved; A's head records it."""
    from tests.residency.rotation_helpers import departments, halves

    w, (res,) = cohort(1)
    _sec, (dept_a, dept_b), (head_a, head_b) = departments(w)
    halves(w, res, dept_b, dept_a)
    with pytest.raises(DomainError) as e:
        _talk(w, res, head_b)
    assert list(e.value.details) == ["occurred_on"] and "团中央宣传部" in e.value.message
    with tenant_context(w.tenant.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ObligationRecord)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Talk)) == 0
    rec = _talk(w, res, head_a)
    assert rec.recorded_by_id == head_a.id


def test_A9_talks_in_the_secretariat_segment_are_not_owed_under_the_departments_rule(session):
    """``residency.talk_segments`` = departments: no talk falls due while the chair is in the
    secretariat, and none may be recorded there; a head of the secretariat segment's date is refused."""
    from tests.residency.rotation_helpers import departments, halves

    w, (res,) = cohort(1)
    sec, (dept_a, _b), (head_a, _hb) = departments(w)
    halves(w, res, sec, dept_a)
    with tenant_context(w.tenant.id, db.session):
        st = next(s for s in rops.statuses(res, dt.date(2025, 9, 1)) if s.spec.key == rops.TALK_KEY)
        assert [(p.start, p.end) for p in st.periods] == [(dt.date(2026, 3, 1), dt.date(2026, 5, 31)),
                                                          (dt.date(2026, 6, 1), dt.date(2026, 8, 31))]
        with pytest.raises(DomainError) as e:
            rops.record_talk(res, actor=head_a, roles={Role.department_head}, occurred_on=dt.date(2026, 1, 12),
                             place="会议室", topic="主题", content="内容", today=dt.date(2026, 1, 16))
        assert list(e.value.details) == ["occurred_on"] and "全国学联秘书处" in e.value.message
