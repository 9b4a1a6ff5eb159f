"""Rules by reference (A22, A23): registry, overrides with reasons, national versions."""
import pytest
import sqlalchemy as sa

from portal.extensions import db
from tenants.rules.models import RuleOverride
from tenants.rules.operations import effective_rules, publish_version, set_override
from tenants.rules.registry import REGISTRY, RuleError, article_citation
from tests.factories import NationalTenantFactory, TenantFactory, member


def test_registry_cites_every_rule_A22():
    keys = {r.key for r in REGISTRY}
    for needed in ("selection.nominees_per_school", "selection.school_publicity_min_workdays",
                   "selection.public_notice_min_workdays", "selection.approving_body",
                   "residency.rotation_period_months", "residency.min_reports_to_leadership",
                   "residency.working_groups", "incentives.seniority_shift_years", "incentives.suspension_years",
                   "supervision.disciplinary_measures", "selection.eligible_political_statuses"):
        assert needed in keys
    for r in REGISTRY:
        assert r.article.startswith("A") and r.label
    assert REGISTRY["selection.nominees_per_school"].article == "A6.2"
    assert REGISTRY["residency.working_groups"].default == ["宣传思想小组", "组织建设小组", "权益服务小组", "合作交流小组"]
    assert article_citation("A6.2") == "第六条第（二）项"
    assert article_citation("A6.5/A18") == "第六条第（五）项、第十八条"


def test_A6_2_national_defaults_reach_provincial_tenant(session):
    t = TenantFactory()
    rules = effective_rules(t)
    assert rules["selection.nominees_per_school"] == 2
    assert rules["selection.school_publicity_min_workdays"] == 5
    assert rules["selection.approving_body"] == "共青团中央书记处"
    assert rules.get("selection.nominees_per_school").source == "national"


def test_A22_override_needs_reason_and_valid_value_nothing_saved(session, as_tenant):
    t = TenantFactory()
    admin = member(t)
    with as_tenant(t):
        with pytest.raises(RuleError, match="理由"):
            set_override(t, "selection.nominees_per_school", 3, "  ", admin)
        with pytest.raises(RuleError, match="整数"):
            set_override(t, "selection.nominees_per_school", "三", "理由", admin)
        with pytest.raises(RuleError, match="不能大于"):
            set_override(t, "selection.nominees_per_school", 99, "理由", admin)
        with pytest.raises(RuleError, match="未知的规则"):
            set_override(t, "selection.no_such_rule", 1, "理由", admin)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleOverride)) == 0
        set_override(t, "selection.approving_body", "共青团广东省委", "团省委审批", admin)
        rules = effective_rules(t)
    r = rules.get("selection.approving_body")
    assert (r.value, r.national_value, r.source, r.reason) == ("共青团广东省委", "共青团中央书记处", "override", "团省委审批")


def test_A23_new_national_version_reaches_tenants_that_did_not_override(session, as_tenant):
    t = TenantFactory()
    admin = member(t)
    with as_tenant(t):
        set_override(t, "selection.public_notice_min_workdays", 7, "省里定7天", admin)
    old = effective_rules(t).version
    publish_version("2027", "修订版", {"selection.nominees_per_school": 3, "selection.public_notice_min_workdays": 6})
    with as_tenant(t):
        rules = effective_rules(t)
    assert rules.version.code == "2027"
    assert rules["selection.nominees_per_school"] == 3  # not overridden: follows national
    assert rules["selection.public_notice_min_workdays"] == 7  # overridden: keeps local value
    # a tenant pinned to the old version keeps it
    t.adopted_version_id = old.id
    assert effective_rules(t)["selection.nominees_per_school"] == 2


def test_rules_page_and_api_side_by_side_A22(client, login_as, session, as_tenant):
    t = TenantFactory()
    admin = member(t)
    with as_tenant(t):
        set_override(t, "selection.default_quota", 3, "本省名额", admin)
    login_as(admin)
    page = client.get(f"/{t.slug}/rules/").get_data(as_text=True)
    assert "本省规则与全国规则对照" in page and "本地覆盖" in page and "第四条" in page
    data = client.get(f"/api/v1/{t.slug}/rules").json
    quota = next(r for r in data["rules"] if r["key"] == "selection.default_quota")
    assert quota == {**quota, "value": 3, "national_value": 6, "source": "override", "reason": "本省名额",
                     "article": "A4"}


def test_rule_override_through_ui_and_api_errors_A22(client, login_as, session):
    t = TenantFactory()
    admin = member(t)
    login_as(admin)
    resp = client.post(f"/{t.slug}/rules/selection.nominees_per_school/override", data={"value": "3", "reason": ""})
    assert resp.status_code == 400 and "须填写理由" in resp.get_data(as_text=True)
    resp = client.put(f"/api/v1/{t.slug}/rules/selection.nominees_per_school", json={"value": 0, "reason": "x"})
    assert resp.status_code == 422 and "不能小于" in resp.json["error"]["message"]
    assert "不能小于" in resp.json["error"]["details"]["value"]
    resp = client.put(f"/api/v1/{t.slug}/rules/selection.nominees_per_school", json={"value": 3, "reason": " "})
    assert resp.status_code == 422 and "理由" in resp.json["error"]["details"]["reason"]
    resp = client.put(f"/api/v1/{t.slug}/rules/nope", json={"value": 1, "reason": "x"})
    assert resp.status_code == 404 and "未知的规则" in resp.json["error"]["message"]
    resp = client.put(f"/api/v1/{t.slug}/rules/selection.nominees_per_school", json={"value": 3, "reason": "特殊"})
    assert resp.status_code == 200 and resp.json["value"] == 3
    resp = client.delete(f"/api/v1/{t.slug}/rules/selection.nominees_per_school")
    assert resp.status_code == 200, resp.json
    assert resp.json["source"] == "national"


def test_only_admins_override_rules(client, login_as, session):
    from tenants.models import Role

    t = TenantFactory()
    staff = member(t, Role.secretariat_staff)
    login_as(staff)
    assert client.post(f"/{t.slug}/rules/selection.nominees_per_school/override",
                       data={"value": "3", "reason": "x"}).status_code == 403
    assert client.put(f"/api/v1/{t.slug}/rules/selection.nominees_per_school",
                      json={"value": 3, "reason": "x"}).status_code == 403


def test_A22_the_rules_page_reads_as_words_keeps_what_was_typed_and_ties_its_labels(client, login_as, session):
    import re

    parent = NationalTenantFactory()
    t = TenantFactory(parent=parent)
    admin = member(t)
    login_as(admin)
    page = client.get(f"/{t.slug}/rules/").get_data(as_text=True)
    assert "exam_then_baoyan" not in re.sub(r'value="[^"]*"', "", page)  # the codes stay in the form values
    assert "笔试成绩高者在前" in page and "按排名依次递补" in page
    assert "selection.nominees_per_school" not in re.sub(r'(id|action|value)="[^"]*"', "", page)
    for field in re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', page):
        assert f'for="{field}"' in page, field
    resp = client.post(f"/{t.slug}/rules/selection.nominees_per_school/override", data={"value": "3", "reason": ""})
    text = resp.get_data(as_text=True)
    row = text[text.index('id="rule-selection.nominees_per_school"'):]
    row = row[:row.index("</tr>")]
    assert resp.status_code == 400 and 'name="value" value="3"' in row  # not the 2 in force
    client.get("/lang/en")
    english = client.get(f"/{t.slug}/rules/").get_data(as_text=True)
    assert "Higher exam score first" in english and "Tie-break rule" in english
