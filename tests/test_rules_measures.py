"""A22: a provincial federation applies the measures by reference, so where the measures give a
floor (不少于, 至少), a ceiling or no choice, an override may only be stricter. And a cycle shows
the local overrides it pinned beside its version label (A23)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db
from tenants.rules.models import RuleOverride
from tenants.rules.operations import effective_rules, publish_version, set_override
from tenants.rules.registry import REGISTRY, RuleError
from tests.factories import TenantFactory, member
from tests.selection.helpers import open_cycle, world

MEASURES = Path(__file__).resolve().parents[1] / "tenants" / "rules" / "measures-2024-zh.txt"
TEXT = re.sub(r"\s+", "", MEASURES.read_text(encoding="utf-8"))


def test_A22_every_measures_wording_in_the_registry_is_quoted_from_the_measures():
    quoted = [r for r in REGISTRY if r.measures]
    assert len(quoted) >= 15
    for r in quoted:
        assert r.measures.wording in TEXT, (r.key, r.measures.wording)


def test_A22_every_floor_the_measures_state_is_carried_by_a_rule():
    """Each 不少于N / 至少…N次 in the measures is the floor of some rule, at that number."""
    floors = {r.measures.wording: r for r in REGISTRY if r.measures and r.measures.kind == "floor"}
    found = list(re.finditer(r"(不少于|至少)[^，。；]*?(\d+)", TEXT))
    assert len(found) == 3  # A6.2 and A6.5 publicity, A9 reports
    for m in found:
        sentence = TEXT[TEXT.rfind("。", 0, m.start()) + 1:TEXT.find("。", m.end())]
        rules = [r for w, r in floors.items() if m.group(0) in w and w in sentence]
        assert rules, f"no floor rule for 「{sentence}」"
        assert rules[0].measures.value == int(m.group(2))


def test_A22_bounds_marked_on_the_rules_that_have_them():
    kinds = {r.key: r.measures.kind for r in REGISTRY if r.measures}
    assert kinds["selection.school_publicity_min_workdays"] == "floor"
    assert kinds["selection.public_notice_min_workdays"] == "floor"
    assert kinds["residency.min_reports_to_leadership"] == "floor"
    assert kinds["incentives.seniority_shift_years"] == "ceiling"
    assert kinds["selection.eligible_political_statuses"] == "subset"
    assert kinds["selection.baoyan_preference"] == "fixed"
    assert kinds["supervision.removal_notify_school"] == "fixed"
    assert kinds["selection.nominees_per_school"] == "norm"  # 一般应推荐2名: a norm, not a bound
    assert kinds["residency.rotation_period_months"] == "norm"  # 原则上每半年


LOOSER = [
    ("selection.public_notice_min_workdays", 3, "不能少于5个工作日"),
    ("selection.public_notice_min_workdays", 4, "不能少于5个工作日"),
    ("selection.school_publicity_min_workdays", 1, "不能少于5个工作日"),
    ("selection.eligible_political_statuses", ["中共党员", "群众"], "不能包含「群众」"),
    ("selection.baoyan_preference", False, "只能为「是」"),
    ("incentives.seniority_shift_years", 2, "不能多于1年"),
    ("selection.rotation_share_percent", 0, "不能少于1%"),
    ("selection.rotation_share_percent", 100, "不能多于99%"),
    ("selection.exam_weight_percent", 0, "不能少于1%"),
]


@pytest.mark.parametrize("key,value,message", LOOSER)
def test_A22_override_may_not_loosen_what_the_measures_bind(session, key, value, message):
    t = TenantFactory()
    admin = member(t)
    with tenant_context(t.id, db.session):
        with pytest.raises(RuleError) as e:
            set_override(t, key, value, "本省另有安排", admin)
        assert message in e.value.message and "只能从严" in e.value.message
        assert REGISTRY[key].citation in e.value.message
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleOverride)) == 0


@pytest.mark.parametrize("key,value", [
    ("selection.public_notice_min_workdays", 5), ("selection.public_notice_min_workdays", 7),
    ("selection.school_publicity_min_workdays", 6), ("selection.eligible_political_statuses", ["中共党员"]),
    ("incentives.seniority_shift_years", 0), ("selection.nominees_per_school", 3),
    ("selection.nominees_per_school", 1),
])
def test_A22_stricter_or_norm_overrides_are_accepted(session, key, value):
    t = TenantFactory()
    admin = member(t)
    with tenant_context(t.id, db.session):
        set_override(t, key, value, "本省从严", admin)
        assert effective_rules(t)[key] == value


def test_A22_a_national_version_cannot_go_below_the_measures_either(session):
    with pytest.raises(RuleError, match="不能少于5个工作日"):
        publish_version("2099-x", "试", {"selection.public_notice_min_workdays": 3})


def test_A22_ui_refuses_a_looser_override_with_the_chinese_reason(client, login_as, session):
    t = TenantFactory()
    admin = member(t)
    login_as(admin)
    resp = client.post(f"/{t.slug}/rules/selection.public_notice_min_workdays/override",
                       data={"value": "3", "reason": "省里想缩短"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "不能少于5个工作日" in page and "公示期不少于5个工作日" in page and "第六条第（五）项" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleOverride)) == 0
    # the page quotes the measures beside each bound rule
    assert "地方只能从严" in client.get(f"/{t.slug}/rules/").get_data(as_text=True)


def test_A22_api_answers_422_with_the_field_error(client, login_as, session):
    t = TenantFactory()
    admin = member(t)
    login_as(admin)
    resp = client.put(f"/api/v1/{t.slug}/rules/selection.school_publicity_min_workdays",
                      json={"value": 1, "reason": "缩短"})
    assert resp.status_code == 422
    err = resp.json["error"]
    assert err["code"] == "invalid_rule" and "不能少于5个工作日" in err["details"]["value"]
    rules = client.get(f"/api/v1/{t.slug}/rules").json["rules"]
    r = next(x for x in rules if x["key"] == "selection.school_publicity_min_workdays")
    assert r["value"] == 5 and r["measures"]["kind"] == "floor" and r["measures"]["value"] == 5


def test_A22_an_override_stored_before_the_bound_is_not_applied(client, login_as, session):
    """A looser override written before the registry carried the floor stays in the table but
    does not apply; the rules page says why."""
    t = TenantFactory()
    admin = member(t)
    with tenant_context(t.id, db.session):
        db.session.add(RuleOverride(tenant_id=t.id, key="selection.public_notice_min_workdays", value=3,
                                    reason="旧数据"))
        db.session.flush()
        r = effective_rules(t).get("selection.public_notice_min_workdays")
    assert r.value == 5 and r.source == "national" and "不能少于5个工作日" in r.refused
    login_as(admin)
    assert "本地覆盖未生效" in client.get(f"/{t.slug}/rules/").get_data(as_text=True)


# --- the cycle shows its version with the overrides pinned at opening (A22, A23) -------------

def _gd_cycle():
    gd = TenantFactory(name="广东省学生联合会", short_name="广东省学联")
    w = world(tenant=gd)
    with tenant_context(gd.id, db.session):
        set_override(gd, "selection.public_notice_min_workdays", 7, "省学联常委会决定公示7个工作日", w.admin)
        set_override(gd, "selection.approving_body", "共青团广东省委", "团省委审批", w.admin)
    open_cycle(w)
    return w


def test_A23_cycle_pins_the_overrides_in_force_when_it_opened(session):
    w = _gd_cycle()
    # a later change of the override does not change what the cycle shows or uses
    with tenant_context(w.tenant.id, db.session):
        set_override(w.tenant, "selection.public_notice_min_workdays", 10, "再延长", w.admin)
    pinned = {o.rule.key: o for o in w.cycle.overrides_at_opening}
    assert set(pinned) == {"selection.public_notice_min_workdays", "selection.approving_body"}
    notice = pinned["selection.public_notice_min_workdays"]
    assert (notice.value, notice.national_value, notice.reason) == (7, 5, "省学联常委会决定公示7个工作日")
    assert w.cycle.rule("selection.public_notice_min_workdays") == 7
    assert w.cycle.rules_label == "2024 + 本地调整 2 项"


def test_A23_cycle_page_and_api_show_version_with_overrides(client, login_as, session):
    w = _gd_cycle()
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}").get_data(as_text=True)
    assert "开启时本地调整的规则 2 项" in page
    block = page.split('id="pinned-overrides"')[1].split("</details>")[0]
    assert "公示期最少工作日" in block and "省学联常委会决定公示7个工作日" in block and "共青团广东省委" in block
    index = client.get(f"/{w.tenant.slug}/selection/").get_data(as_text=True)
    assert "本地调整 2 项" in index
    body = client.get(f"/api/v1/{w.tenant.slug}/selection/cycles/{w.cycle.id}").json
    assert body["rules_version"] == "2024"
    got = {o["key"]: (o["value"], o["national_value"], o["reason"]) for o in body["rules_overrides"]}
    assert got == {"selection.public_notice_min_workdays": (7, 5, "省学联常委会决定公示7个工作日"),
                   "selection.approving_body": ("共青团广东省委", "共青团中央书记处", "团省委审批")}


def test_A23_national_cycle_has_no_overrides_and_legacy_cycles_are_derived(session):
    w = world()
    open_cycle(w)
    assert w.cycle.overrides_at_opening == [] and w.cycle.rules_label == "2024"
    gd = _gd_cycle()
    with tenant_context(gd.tenant.id, db.session):
        gd.cycle.rules_overrides = None  # a cycle opened before the overrides were recorded
        db.session.flush()
        derived = {o.rule.key: (o.value, o.national_value, o.reason) for o in gd.cycle.overrides_at_opening}
    assert derived == {"selection.public_notice_min_workdays": (7, 5, None),
                       "selection.approving_body": ("共青团广东省委", "共青团中央书记处", None)}
