"""The pages (not only the API): an A19 request asked, decided and filed through the forms, an
A21 case opened, heard and decided through the forms; refusals shown in Chinese, nothing written."""
from __future__ import annotations

import io

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db
from portal.supervision.models import Activity, SupervisionCase
from tests.factories_residency import cohort
from tests.supervision.helpers import PDF, chair_user, switch


def _follow(client, resp):
    assert resp.status_code == 303, resp.data[:300]
    return client.get(resp.headers["Location"]).get_data(as_text=True)


def test_A19_request_decide_and_file_through_the_pages(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2026-04-13"
    w, (res,) = cohort(1)
    slug = w.tenant.slug
    login_as(chair_user(res))
    html = _follow(client, client.post(f"/{slug}/supervision/declaration"))
    assert "已签署承诺书" in html and "已于" in html
    # refused: too late — the Chinese reason and the article on the page, nothing written
    html = _follow(client, client.post(f"/{slug}/supervision/activities", data={
        "kind": "event", "capacity": "chair", "title": "论坛", "organizer": "某协会", "event_date": "2026-04-15",
        "artefacts": (io.BytesIO(PDF), "邀请函.pdf")}, content_type="multipart/form-data"))
    assert "须至少提前 5 个工作日报批" in html and "第十九条" in html
    with tenant_context(w.tenant.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 0
    html = _follow(client, client.post(f"/{slug}/supervision/activities", data={
        "kind": "event", "capacity": "federation", "title": "全国青年论坛", "organizer": "某协会",
        "event_date": "2026-04-27", "artefacts": (io.BytesIO(PDF), "邀请函.pdf")}, content_type="multipart/form-data"))
    assert "已提交报批" in html and "待审批" in html and "须于 2026年4月24日 前审批" in html
    with tenant_context(w.tenant.id, db.session):
        act = db.session.scalar(sa.select(Activity))
    switch(client, login_as, w.admin)
    html = _follow(client, client.post(f"/{slug}/supervision/activities/{act.id}/decide", data={"decision": "refuse"}))
    assert "不予批准须说明理由" in html
    html = _follow(client, client.post(f"/{slug}/supervision/activities/{act.id}/decide", data={"decision": "approve"}))
    assert "已批准" in html
    reg = client.get(f"/{slug}/supervision/activities").get_data(as_text=True)
    assert "全国青年论坛" in reg.split("已批准的对外活动登记")[1]
    app.config["FIXED_TODAY"] = "2026-04-28"
    switch(client, login_as, chair_user(res))
    html = _follow(client, client.post(f"/{slug}/supervision/activities/{act.id}/outcome", data={
        "link": "https://example.cn/a", "clippings": (io.BytesIO(PDF), "剪报.pdf")}, content_type="multipart/form-data"))
    assert "已报备活动结果" in html and "已报备结果" in html


def test_A21_a_case_through_the_pages(app, client, login_as, session):
    app.config["FIXED_TODAY"] = "2026-03-16"
    w, (res,) = cohort(1)
    slug = w.tenant.slug
    login_as(w.admin)
    html = _follow(client, client.post(f"/{slug}/supervision/cases", data={
        "residency_id": str(res.id), "kind": "discipline", "title": "违反工作纪律", "facts": "无故缺席",
        "evidence": (io.BytesIO(PDF), "签到表.pdf")}, content_type="multipart/form-data"))
    assert "已立案" in html and "签到表.pdf" in html
    with tenant_context(w.tenant.id, db.session):
        case = db.session.scalar(sa.select(SupervisionCase))
    html = _follow(client, client.post(f"/{slug}/supervision/cases/{case.id}/hear"))
    assert "待申辩" in html and "2026年3月23日" in html
    switch(client, login_as, chair_user(res))
    html = _follow(client, client.post(f"/{slug}/supervision/cases/{case.id}/statement", data={"statement": "已认识到错误"},
                                       content_type="multipart/form-data"))
    assert "已提交申辩" in html and "已认识到错误" in html
    switch(client, login_as, w.admin)
    html = _follow(client, client.post(f"/{slug}/supervision/cases/{case.id}/measure",
                                       data={"measure": "记过", "reason": "x"}))
    assert "处置措施只能是：批评教育、责令检讨、劝退" in html and "第二十一条" in html
    html = _follow(client, client.post(f"/{slug}/supervision/cases/{case.id}/measure",
                                       data={"measure": "批评教育", "reason": "初次违反"}))
    assert "已作出处置" in html and "批评教育：初次违反" in html and "已办结" in html
