"""A18 in a real browser: a removal from the case to the notice delivered, walked as the
secretariat, the chair and the approver (Debian's Chromium driven by Playwright, the real app
served over its own committed database with the demo loaded, jobs eager, port 5106)."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from tests.live_server import browser, serve  # noqa: F401  (browser: a fixture)

pytestmark = pytest.mark.browser
PASSWORD = "demo-password"
ADMIN, APPROVER, CHAIR = "admin@acsf.demo.cn", "approver@acsf.demo.cn", "chair@acsf.demo.cn"


def _seed(app):
    from portal.auth.operations import find_user
    from portal.core.calendar import calendar
    from portal.core.db import tenant_context
    from portal.demo import demo_planning_day, load_demo
    from portal.extensions import db
    from portal.residency.models import Chair, Residency
    from tenants.models import Tenant

    load_demo()
    day, _ = demo_planning_day()
    app.config["FIXED_TODAY"] = calendar().add_workdays(day, 10).isoformat()
    acsf = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "acsf"))
    with tenant_context(acsf.id, db.session):
        res = db.session.scalar(sa.select(Residency).join(Chair, Chair.id == Residency.chair_id)
                                .where(Chair.user_id == find_user(CHAIR).id))
        return {"res_id": res.id, "name": res.chair.name, "school": res.school.name}


@pytest.fixture(scope="module")
def live():
    with serve("browser-sup", _seed) as s:
        yield s.app, s.base, s.info, s.tmpdir


def test_A18_removal_from_case_to_notice_in_the_browser(live, browser):
    from playwright.sync_api import expect

    app, base, info, tmpdir = live
    page = browser.new_page(locale="zh-CN")
    page.set_default_timeout(15000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: d.accept())
    scan = os.path.join(tmpdir, "批复.pdf")
    with open(scan, "wb") as fh:
        fh.write(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    def said(text):
        expect(page.locator(".flash", has_text=text)).to_be_visible()

    def login(email):
        page.goto(f"{base}/login")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.locator("main").get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/login" not in url)  # the role's home (the chair's: 我的驻会)

    def logout():
        page.get_by_role("button", name="退出").click()

    # 1. The secretariat opens the case with its evidence and tells the chair (A18).
    login(ADMIN)
    page.get_by_role("link", name="监督管理", exact=True).click()
    page.locator("#new-case summary").click()
    page.select_option("#new-case select[name=residency_id]", str(info["res_id"]))
    page.select_option("#new-case select[name=kind]", "removal")
    page.select_option("#new-case select[name=ground]", "违纪违法")
    page.fill("#new-case input[name=title]", "违反廉洁纪律")
    page.fill("#new-case textarea[name=facts]", "经查，以驻会执行主席名义收受礼品。")
    page.set_input_files("#new-case input[name=evidence]", scan)
    page.locator("#new-case button[type=submit]").click()
    said("已立案")
    case_url = page.url
    page.get_by_role("button", name="告知本人并听取申辩").click()
    said("已告知本人")
    expect(page.locator("#case-status")).to_have_text("待申辩")
    # no notice before the approval: the page offers none, and the endpoint refuses (A18)
    expect(page.get_by_role("button", name="通报派出学校党委")).to_have_count(0)
    logout()
    # 2. The chair files the statement.
    login(CHAIR)
    page.goto(case_url)
    page.fill("#statement-form textarea[name=statement]", "本人对所述事实有异议，申辩如下。")
    page.get_by_role("button", name="提交申辩").click()
    said("已提交申辩")
    expect(page.locator("#statement")).to_contain_text("申辩如下")
    logout()
    # 3. The secretariat asks the approving body.
    login(ADMIN)
    page.goto(case_url)
    page.get_by_role("button", name="报请审批").click()
    said("已报请审批机关审批")
    expect(page.locator("#case-status")).to_have_text("报批中")
    logout()
    # 4. The approver decides with the decision's number, date and scan.
    login(APPROVER)
    page.goto(case_url)
    page.locator("#decide-link").click()
    page.check("input[name=decision][value=approve]")
    page.fill("#a-number", "中青办复〔2026〕21号")
    page.fill("#a-date", app.config["FIXED_TODAY"])
    page.set_input_files("#a-scan", scan)
    page.get_by_role("button", name="提交决定").click()
    said("已记录审批结果")
    logout()
    # 5. The secretariat sees the residency ended and the notice sent; records its delivery by hand.
    login(ADMIN)
    page.goto(case_url)
    expect(page.locator("#case-status")).to_have_text("已通报学校")
    expect(page.locator("#decision")).to_contain_text("中青办复〔2026〕21号")
    expect(page.locator("#notice")).to_contain_text("学联驻通")
    if page.locator("#delivery").inner_text() != "已送达":
        page.locator("summary", has_text="登记送达").click()
        page.fill("input[name=handed_by]", "秘书处王老师")
        page.fill("input[name=received_by]", "学校党委办公室")
        page.get_by_role("button", name="登记送达").click()
        said("已登记通报送达")
    expect(page.locator("#delivery")).to_have_text("已送达")
    with page.expect_download() as dl:
        page.locator("#notice a", has_text="DOCX").click()
    assert dl.value.suggested_filename.endswith(".docx") and info["school"] in dl.value.suggested_filename
    page.goto(f"{base}/acsf/residency/{info['res_id']}")
    expect(page.locator("h1")).to_contain_text("已取消驻会资格")
    assert not errors, errors
