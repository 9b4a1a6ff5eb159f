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
    app.config["FIXED_TODAY"] = "2026-03-16"
    w, (res, other) = cohort(2)
    head, other_head = member(w.tenant, Role.department_head), member(w.tenant, Role.department_head)
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
    head = member(w.tenant, Role.department_head)
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
