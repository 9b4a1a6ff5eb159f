"""Refusals and flashes built in Python have English: every Chinese message given to DomainError (and
its kin), Conflict, FieldError, ValidationError, Refusal(code, message), flash, abort or
error_response in the source is in the compiled catalog, whole or read back by a parameterized
msgid (tests/refusal_messages.py finds them); and a few real refusals come back in English."""
from __future__ import annotations

import ast
import re

from portal.core.db import tenant_context
from portal.extensions import db
from tests import refusal_messages as rm
from tests.selection import helpers as h
from tests.selection.test_declared_workflow import _ranked

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _found_in(source: str) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and rm._callee(node) in rm.FIRST_ARG | rm.SECOND_ARG:
            arg = rm._message_arg(node)
            out += rm.messages_of(arg) if arg is not None else []
    return out


def test_the_finder_reads_literals_fstrings_and_refusals():
    source = '''
raise DomainError(f"「{spec.label}」须上传{evidence}", field="evidence")
raise Conflict("该异议已经处理")
flash(f"已{'启用' if active else '停用'} {m.user.email} 的角色", "success")
Refusal("late", f"公示期至{ends_on}结束（{article_citation('A6.5')}）")
raise FieldError(_("请填写%(label)s", label=x), "title")
raise DomainError(f"第 {n} 行：超过 50% 的{n}")
abort(404, "没有这个学联")
raise DomainError(message)  # a variable: nothing to read
'''
    assert _found_in(source) == [
        "「%(label)s」须上传%(evidence)s", "该异议已经处理", "已启用 %(email)s 的角色", "已停用 %(email)s 的角色",
        "公示期至%(ends_on)s结束（%(article_citation)s）", "请填写%(label)s", "第 %(n)s 行：超过 50%% 的%(n2)s",
        "没有这个学联"]


def test_the_check_tells_a_message_with_English_from_one_without():
    english = {"该异议已经处理": "This objection has already been handled",
               "「%(label)s」须上传%(evidence)s": "“%(label)s” needs %(evidence)s",
               "%(a)s（%(b)s）": "%(a)s (%(b)s)"}
    found = {"该异议已经处理": ["x"], "「%(name)s」须上传%(what)s": ["x"],
             "公示期至%(ends_on)s结束（%(article_citation)s）": ["x"],  # only "%(a)s（%(b)s）" fits: "公示期至…" stays Chinese
             "一段目录里没有的话": ["x"]}
    assert set(rm.missing(found, english)) == {"公示期至%(ends_on)s结束（%(article_citation)s）", "一段目录里没有的话"}


def test_every_refusal_and_flash_in_the_source_has_English():
    found = rm.find()
    assert len(found) > 500  # the finder sees the source (about 580 messages today)
    assert "「%(label)s」须上传%(evidence)s" in found and "推荐函尚未发出" in found
    gaps = rm.missing(found)
    assert not gaps, "no English in the catalog for:\n" + "\n".join(
        f"  {where[0]}  {msgid}" for msgid, where in sorted(gaps.items(), key=lambda kv: kv[1][0]))


def test_an_API_refusal_from_a_workflow_guard_comes_back_in_English(client, login_as, session):
    w, noms = _ranked(2, quota=1)
    login_as(w.admin)
    url = f"/api/v1/{w.tenant.slug}/selection/cycles/{w.cycle.id}/propose"
    assert client.post(url, json={"nomination_ids": [noms[0].id]}).status_code in (200, 201)
    zh = client.post(url, json={"nomination_ids": [noms[1].id]}, query_string={"lang": "zh_Hans_CN"})
    assert zh.status_code == 409
    assert zh.get_json()["error"]["message"].startswith("拟任人选不能超过本学年名额 1 名（第")
    en = client.post(url, json={"nomination_ids": [noms[1].id]}, query_string={"lang": "en"})
    assert en.status_code == 409
    message = en.get_json()["error"]["message"]
    assert message.startswith("Proposed appointees cannot exceed this academic year's 1 place(s) (Art. 4"), message
    assert not HAN.search(message), message


def test_an_API_conflict_with_a_value_in_it_comes_back_in_English(client, login_as, session):
    w = h.world(1)
    h.open_cycle(w)
    login_as(w.admin)
    url = f"/api/v1/{w.tenant.slug}/selection/cycles"
    en = client.post(url, json={"academic_year": "2026-2027"}, query_string={"lang": "en"})
    assert 400 <= en.status_code < 500
    assert en.get_json()["error"]["message"] == "The selection for 2026-2027 has already been created"
    zh = client.post(url, json={"academic_year": "2026-2027"}, query_string={"lang": "zh_Hans_CN"})
    assert zh.get_json()["error"]["message"] == "2026-2027 学年的选拔已经创建"


def test_a_refusal_on_a_web_form_is_English_on_an_English_page(client, login_as, session):
    w = h.world(1)
    h.open_cycle(w)
    login_as(w.admin)
    client.get(f"/{w.tenant.slug}/selection/?lang=en")  # the choice is kept in the session
    resp = client.post(f"/{w.tenant.slug}/selection/cycles", data={"academic_year": "2026/27"},
                       follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "The academic year is written “2026-2027”" in page, page[:2000]
    assert "学年格式应为" not in page
    with tenant_context(w.tenant.id, db.session):
        assert w.cycle.academic_year == "2026-2027"  # nothing else was written
