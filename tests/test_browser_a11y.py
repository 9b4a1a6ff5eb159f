"""Issue 9, item 5: an automated accessibility check (axe-core, bundled by axe-playwright-python:
no CDN) over the main pages, for each role of the demo, in Chinese and in English, at desktop
(1280×800) and phone (390×844) sizes: no violation of impact "serious" or "critical".

The walk also covers, through the pages: the members page (invite one member, then deactivate
them through the confirmation dialog, refused once and accepted once), the role homes and the
staged cycle page. The server is the real app over its own committed database with the demo.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.live_server import browser, serve  # noqa: F401  (browser: a fixture)

pytestmark = pytest.mark.browser
PASSWORD = "demo-password"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
ROLES = {
    "secretariat admin": "admin@acsf.demo.cn", "secretariat staff": "staff@acsf.demo.cn",
    "approver": "approver@acsf.demo.cn", "provincial reviewer": "reviewer-gd@acsf.demo.cn",
    "school liaison": "liaison-pku@acsf.demo.cn", "department head": "head@acsf.demo.cn",
    "chair": "chair@acsf.demo.cn",
}


@pytest.fixture(scope="module")
def demo_live():
    from portal.demo import demo_planning_day, load_demo

    day, _ = demo_planning_day()
    with serve("a11y", lambda app: load_demo(), FIXED_TODAY=day.isoformat()) as s:
        yield s.app, s.base


def _ids(app):
    """The demo's staged cycle (open for nominations), the liaison's invitation, a 公示."""
    from portal.core.db import tenant_context
    from portal.extensions import db
    from portal.selection.models import CycleStatus, Invitation, PublicNotice, SelectionCycle
    from tenants.models import Tenant

    with app.app_context():
        acsf = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "acsf"))
        gd = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "gd"))
        with tenant_context(acsf.id, db.session):
            cycle = db.session.scalar(sa.select(SelectionCycle.id).where(SelectionCycle.status == CycleStatus.open))
            inv = db.session.scalar(sa.select(Invitation.id).join(Invitation.school).where(
                Invitation.cycle_id == cycle, Invitation.school.has(name="北京大学")))
        with tenant_context(gd.id, db.session):
            notice = db.session.scalar(sa.select(PublicNotice.id))
        db.session.remove()
    return cycle, inv, notice


def _axe_serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    out = []
    for v in results.response["violations"]:
        if v.get("impact") in ("serious", "critical"):
            nodes = "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                              for n in v["nodes"][:5])
            out.append(f"{v['id']} ({v['impact']}): {v['help']} — {nodes}")
    return out


def _login(page, base, email):
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main").locator("button[type=submit]").click()
    page.wait_for_load_state()


def _pages_for(role, cycle, inv):
    pages = ["/acsf/"]
    if role in ("secretariat admin", "secretariat staff"):
        pages += [f"/acsf/selection/cycles/{cycle}", "/acsf/rules/"]
    if role == "secretariat admin":
        pages += ["/acsf/members/"]
    if role == "school liaison":
        pages += [f"/acsf/selection/invitations/{inv}", f"/acsf/selection/invitations/{inv}/nominations/new"]
    if role == "chair":
        pages += ["/acsf/residency/me"]
    return pages


@pytest.mark.parametrize("size", sorted(SIZES))
def test_issue9_main_pages_have_no_serious_accessibility_violations(demo_live, browser, size):  # noqa: F811
    """Axe over the role homes, the staged cycle page, members, the nominee form, the rules page
    and the public 公示 (A6.5), in Chinese and English."""
    app, base = demo_live
    cycle, inv, notice = _ids(app)
    width, height = SIZES[size]
    found = []
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    checked = 0
    for lang in ("zh_Hans_CN", "en"):
        for url in ["/login", "/gd/public/", f"/gd/public/notices/{notice}"]:
            page.context.clear_cookies()
            page.goto(f"{base}{url}?lang={lang}")
            found += [f"[anonymous {lang}] {url}: {v}" for v in _axe_serious(page)]
            checked += 1
        for role, email in ROLES.items():
            _login(page, base, email)
            for url in _pages_for(role, cycle, inv):
                resp = page.goto(f"{base}{url}?lang={lang}")
                assert resp.status == 200, (role, url, resp.status)
                assert page.locator("html").get_attribute("lang") == ("en" if lang == "en" else "zh-CN"), (role, url, page.url)
                found += [f"[{role} {lang}] {url}: {v}" for v in _axe_serious(page)]
                checked += 1
    context.close()
    assert checked >= 30
    assert not found, "\n".join(found)


def test_issue9_members_invite_and_a_confirmation_in_the_browser(demo_live, browser):  # noqa: F811
    """The members page: the admin invites one member, then deactivates them; the confirmation
    (data-confirm) refused leaves the member active, accepted deactivates."""
    from playwright.sync_api import expect

    app, base = demo_live
    for size, (width, height) in SIZES.items():
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15000)
        answers, asked = [], []

        def answer(dialog):
            asked.append(dialog.message)
            dialog.accept() if answers.pop(0) else dialog.dismiss()

        page.on("dialog", answer)
        _login(page, base, ROLES["secretariat admin"])
        page.goto(f"{base}/acsf/members/")
        email = f"new-{size}@acsf.demo.cn"
        page.fill("#m-name", f"新成员{size}")
        page.fill("#m-email", email)
        page.select_option("#m-role", "secretariat_staff")
        page.get_by_role("button", name="发送邀请").click()
        expect(page.locator("main")).to_contain_text(email)
        row = page.locator("tr", has_text=email)
        answers.append(False)
        row.get_by_role("button", name="停用").click()
        page.wait_for_timeout(300)
        assert asked and email in asked[-1]
        expect(page.locator("tr", has_text=email).get_by_role("button", name="停用")).to_be_visible()
        answers.append(True)
        page.locator("tr", has_text=email).get_by_role("button", name="停用").click()
        page.wait_for_load_state()
        expect(page.locator("tr", has_text=email).get_by_role("button", name="停用")).to_have_count(0)
        expect(page.locator("tr", has_text=email)).to_contain_text("已停用")
        assert len(asked) == 2
        # The role homes open for every role, in English too.
        for role, who in ROLES.items():
            _login(page, base, who)
            page.goto(f"{base}/acsf/?lang=en")
            expect(page.locator("html")).to_have_attribute("lang", "en")
            assert not re.search(r"Traceback|Internal Server Error", page.content())
        context.close()
