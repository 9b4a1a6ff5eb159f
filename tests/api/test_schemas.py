"""Declared API schemas: 422 with each field's error, the OpenAPI document generated from them."""
from __future__ import annotations

import datetime as dt

import pytest

from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Route
from tests.selection.helpers import world
from tests.suite_clock import SUITE_TODAY


def _login(client, user):
    db.session.commit()
    r = client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert r.status_code == 302


@pytest.fixture()
def w(client, session):
    w = world(1)
    with tenant_context(w.tenant.id, db.session):
        w.cycle = ops.open_cycle(w.tenant, "2030-2031", actor=w.admin, opened_on=SUITE_TODAY)
        (w.inv,) = ops.invite_schools(w.cycle, [w.schools[0].id], Route.selection, actor=w.admin)
    _login(client, w.admin)
    return w


def _api(w, path):
    return f"/api/v1/{w.tenant.slug}/selection{path}"


def test_selection_api_answers_422_naming_each_field(client, w):
    """Were 500s: int("two"), Route("nowhere"), p["name"] (issue 8, item 5)."""
    r = client.post(_api(w, f"/invitations/{w.inv.id}/extra"), json={"extra": "two", "reason": "因故"})
    assert r.status_code == 422
    assert r.json["error"]["code"] == "invalid_fields" and r.json["error"]["details"] == {"extra": "应为整数"}

    r = client.post(_api(w, f"/cycles/{w.cycle.id}/invitations"),
                    json={"school_ids": [w.schools[0].id], "route": "nowhere"})
    assert r.status_code == 422
    assert r.json["error"]["details"] == {"route": "应为以下之一：「rotation」、「selection」"}

    r = client.post(_api(w, f"/cycles/{w.cycle.id}/panels"),
                    json={"panelists": [{"affiliation": "某大学"}], "nomination_ids": ["x"], "name": "甲组"})
    assert r.status_code == 422
    assert r.json["error"]["details"] == {"panelists.0.name": "必填", "nomination_ids.0": "应为整数"}


def test_lengths_and_control_characters_come_from_the_schema(client, w):
    r = client.post(f"/api/v1/{w.tenant.slug}/selection/cycles", json={"academic_year": "2031-2032学年度"})
    assert r.status_code == 422
    assert r.json["error"]["details"] == {"academic_year": "不能超过 9 个字符"}
    r = client.post(_api(w, f"/cycles/{w.cycle.id}/panelists"),
                    json={"name": "评" * 41, "affiliation": "某大学\x00"})
    assert r.status_code == 422
    assert r.json["error"]["details"] == {"name": "不能超过 40 个字符", "affiliation": "包含控制字符 U+0000，请删除后重试"}


def test_field_errors_in_english_for_an_english_session(client, w):
    client.get(f"/{w.tenant.slug}/?lang=en")
    r = client.post(_api(w, f"/invitations/{w.inv.id}/extra"), json={"extra": "two"})
    assert r.status_code == 422 and r.json["error"]["details"] == {"extra": "must be an integer"}
    assert r.json["error"]["message"] == "The request has errors; see each field"


def test_a_body_that_is_not_a_json_object_is_a_400(client, w):
    for data in ("not json", "[1, 2]", "null"):
        r = client.post(_api(w, f"/invitations/{w.inv.id}/extra"), data=data, content_type="application/json")
        assert r.status_code == 400 and r.json["error"]["message"] == "请求体应为 JSON 对象", data


def test_ids_in_urls_are_32_bit_and_a_405_names_what_is_allowed(client, w):
    # SQLite raised OverflowError (a 500) for an id past 64 bits.
    assert client.get(_api(w, "/nominations/99999999999999999999")).status_code == 404
    assert client.get(_api(w, f"/nominations/{2**31}")).status_code == 404
    r = client.delete(_api(w, "/cycles"))
    assert r.status_code == 405 and set(r.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_session_calls_need_the_csrf_token_bearer_calls_do_not(app, client, w):
    from portal.auth.operations import issue_token

    with tenant_context(w.tenant.id, db.session):
        _, raw = issue_token(w.admin, "t", w.admin)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        r = client.post(_api(w, f"/invitations/{w.inv.id}/extra"), json={"extra": 1, "reason": "因故"})
        assert r.status_code == 400 and "CSRF" in r.json["error"]["message"]
        r = app.test_client().post(_api(w, f"/invitations/{w.inv.id}/extra"), json={"extra": 1, "reason": "因故"},
                                   headers={"Authorization": f"Bearer {raw}"})  # no session cookie
        assert r.status_code == 200 and r.json["extra_nominees"] == 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_openapi_is_generated_from_the_declared_schemas(app, client, session):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    for rule in app.url_map.iter_rules():  # every API route declares what it takes and answers
        if rule.rule.startswith("/api/v1/"):
            assert getattr(app.view_functions[rule.endpoint], "_api", None), rule.rule
    create = spec["paths"]["/api/v1/{tenant}/selection/cycles"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CycleIn"}
    cycle_in = spec["components"]["schemas"]["CycleIn"]
    assert cycle_in["required"] == ["academic_year"]
    assert cycle_in["properties"]["academic_year"]["maxLength"] == 9  # the column's length
    assert set(create["responses"]) == {"201", "400", "401", "403", "404", "405", "409", "422"}
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CycleOut"}
    upload = spec["paths"]["/api/v1/{tenant}/selection/invitations/{inv_id}/upload"]["post"]
    assert "file" in upload["requestBody"]["content"]["multipart/form-data"]["schema"]["required"]
    assert "413" in upload["responses"]
    source = spec["paths"]["/api/v1/{tenant}/workdays/years/{year}"]["post"]["requestBody"]
    assert source["content"]["multipart/form-data"]["schema"]["properties"]["source"]["maxLength"] == 200
    listing = spec["paths"]["/api/v1/{tenant}/selection/cycles/{cycle_id}/nominations"]["get"]
    assert {p["name"] for p in listing["parameters"] if p["in"] == "query"} >= {"status", "page", "per_page", "q"}
    cid = next(p for p in listing["parameters"] if p["name"] == "cycle_id")
    assert cid["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
