"""Issue 12: one chair's year in a real browser, with CSRF on (as in production).

Debian's Chromium (Playwright) walks the real app over its own committed database: a confirmed
chair (A6.5 -> A8) follows the mailed invitation, sets a password and lands on 我的驻会; submits
a report (A9), which the secretariat confirms; the department head of the chair's segment
records a one-to-one talk (A9); the secretariat records the rotation to the next segment
(A12); the chair submits a study reflection (研学心得, A10.2) with its file, which the
secretariat accepts; the chair chooses a research topic (A10.3), the secretariat records the
month's collective study (A10.1), and the month's organizational life and dues are recorded
(A14). The roster, red before, shows the chair green: every obligation due so far is met.
The chair's pages pass the axe check (no serious or critical violation).
"""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.live_server import browser, serve  # noqa: F401  (browser: a fixture)

pytestmark = pytest.mark.browser
PASSWORD = "year-password-1"
TODAY = "2025-10-09"   # after September's dues, organizational life and study, and the topic's due date
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _seed():
    """A national tenant with a confirmed chair in residence (invited, no password yet), the
    secretariat admin, a department and its head, and the chair's first segment in it."""
    from portal.core.db import tenant_context
    from portal.extensions import db
    from portal.notifications.models import Notification
    from portal.reference.models import Department, DepartmentKind
    from portal.residency import rotation
    from tenants.models import Role
    from tests.factories import member
    from tests.factories_residency import cohort

    w, (res,) = cohort(1)
    head = member(w.tenant, Role.department_head)
    for u in (w.admin, head):
        u.set_password(PASSWORD)
        u.password_set_at = dt.datetime(2025, 1, 1)
    with tenant_context(w.tenant.id, db.session):
        sec = Department(tenant_id=w.tenant.id, name="全国学联秘书处", kind=DepartmentKind.secretariat, sort=0)
        dept = Department(tenant_id=w.tenant.id, name="团中央学校部", kind=DepartmentKind.department,
                          head_user_id=head.id, sort=1)
        db.session.add_all([sec, dept])
        db.session.flush()
        rotation.add_segment(res, department_id=dept.id, starts_on=dt.date(2025, 9, 1),
                             ends_on=dt.date(2026, 2, 28), deviation_reason=None, actor=w.admin)
        (link,) = [n.context["link"] for n in db.session.scalars(sa.select(Notification))
                   if (n.context or {}).get("link")]   # the chair's invitation, as mailed
    from portal.auth.models import User

    out = {"slug": w.tenant.slug, "res_id": res.id, "admin": w.admin.email, "head": head.email,
           "chair_email": db.session.get(User, res.chair.user_id).email,
           "chair": res.chair.name, "sec_id": sec.id, "link": link}
    db.session.commit()
    return out


@pytest.fixture(scope="module")
def year_live():
    def seed(app):
        from portal.extensions import db
        from portal.reference.operations import ensure_provinces
        from tenants.rules.operations import load_national_file

        ensure_provinces()
        load_national_file()
        db.session.commit()
        return _seed()

    with serve("year", seed, FIXED_TODAY=TODAY, WTF_CSRF_ENABLED=True) as s:
        yield s.app, s.base, s.info


def _login(page, base, email):
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main").locator("button[type=submit]").click()
    page.wait_for_load_state()


def _record(page, obligation: str, day: str, title: str, evidence: bytes | None = None):
    form = page.locator("#record-form")
    form.locator("select[name=obligation]").select_option(obligation)
    form.locator("input[name=occurred_on]").fill(day)
    form.locator("input[name=title]").fill(title)
    form.locator("textarea[name=content]").fill(f"{title}：正文")
    if evidence is not None:
        form.locator("input[name=evidence]").set_input_files(
            files=[{"name": "心得.pdf", "mimeType": "application/pdf", "buffer": evidence}])
    form.get_by_role("button", name="提交").click()
    page.wait_for_load_state()


def _review(page, title: str, accept: bool = True):
    item = page.locator("li", has_text=title)
    page.locator("details", has=item).locator("summary").click()   # the obligation's history
    item.get_by_role("button", name="确认" if accept else "退回修改").click()
    page.wait_for_load_state()


def test_A8_to_A14_a_chairs_year_in_the_browser(year_live, browser):  # noqa: F811
    from playwright.sync_api import expect

    from tests.test_browser_a11y import _axe_serious

    app, base, ids = year_live
    slug, res_id, chair = ids["slug"], ids["res_id"], ids["chair"]
    profile = f"{base}/{slug}/residency/{res_id}"
    page = browser.new_page(locale="zh-CN")
    page.set_default_timeout(20000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: d.accept())

    # The roster before: the chair is behind (September's items overdue), not green.
    _login(page, base, ids["admin"])
    page.goto(f"{base}/{slug}/residency/")
    row = page.locator("#roster tbody tr", has_text=chair)
    expect(row).to_have_count(1)
    assert "ok" not in (row.get_attribute("class") or "").split()
    expect(row.locator(".badge.red")).to_be_visible()

    # A8: the invitation's link -> a password -> signed in -> 我的驻会.
    page.context.clear_cookies()
    assert ids["link"].startswith(base)
    page.goto(ids["link"])
    page.fill("#pw", PASSWORD)
    page.fill("#pw2", PASSWORD)
    page.get_by_role("button", name="设置密码").click()
    page.wait_for_load_state()
    page.goto(f"{base}/{slug}/residency/me")
    expect(page.locator("main")).to_contain_text("我的驻会")
    expect(page.locator("main")).to_contain_text("团中央学校部")
    assert _axe_serious(page) == []

    # A9: the chair's report; A10.3: the research topic.
    _record(page, "residency.obligation.a9_report", "2025-09-25", "第一季度思想汇报")
    expect(page.locator("main")).to_contain_text("第一季度思想汇报")
    _record(page, "residency.obligation.a10_3_topic", "2025-09-12", "课题选题：高校学生会改革")

    # The secretariat confirms the report.
    _login(page, base, ids["admin"])
    page.goto(profile)
    _review(page, "第一季度思想汇报")
    expect(page.locator("li", has_text="第一季度思想汇报")).to_contain_text("已确认")

    # A9: the head of the chair's department records a talk.
    _login(page, base, ids["head"])
    page.goto(profile)
    talk = page.locator("#talk-form")
    talk.locator("input[name=occurred_on]").fill("2025-09-26")
    talk.locator("input[name=place]").fill("团中央学校部会议室")
    talk.locator("input[name=topic]").fill("驻会适应情况")
    talk.locator("textarea[name=content]").fill("谈工作和学习安排")
    talk.get_by_role("button", name="记录谈话").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("已记录")

    # A12: the secretariat records the rotation to the next segment (the secretariat, from March).
    _login(page, base, ids["admin"])
    page.goto(f"{base}/{slug}/residency/{res_id}/segments")
    seg = page.locator("#segment-form")
    seg.locator("select[name=department_id]").select_option(str(ids["sec_id"]))
    seg.locator("input[name=starts_on]").fill("2026-03-01")
    seg.locator("input[name=ends_on]").fill("2026-08-31")
    seg.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    page.goto(profile)
    expect(page.locator("main")).to_contain_text("全国学联秘书处")

    # A10.1: the secretariat records September's collective study.
    _record(page, "residency.obligation.a10_1_study", "2025-09-19", "九月集体学习")

    # A10.2: the chair's study reflection (研学心得) with its file; the secretariat accepts it.
    _login(page, base, ids["chair_email"])   # signed in again with the password the chair set
    page.goto(f"{base}/{slug}/residency/me")
    _record(page, "residency.obligation.a10_2_course", "2025-09-30", "研学心得：思政课堂", evidence=PDF)
    expect(page.locator("main")).to_contain_text("研学心得：思政课堂")
    # A14: the month's organizational life and dues, by the chair.
    life = page.locator("#org-life-form")
    life.locator("input[name=attended_on]").fill("2025-09-20")
    life.locator("input[name=organization]").fill("全国学联秘书处团支部")
    life.locator("input[name=topic]").fill("九月主题团日")
    life.get_by_role("button", name="记录").click()
    page.wait_for_load_state()
    dues = page.locator("#dues-form")
    dues.locator("input[name=month]").fill("2025-09")
    dues.locator("input[name=amount_paid]").fill("0.10")
    dues.locator("input[name=paid_on]").fill("2025-09-26")
    dues.get_by_role("button", name="记录").click()
    page.wait_for_load_state()
    assert _axe_serious(page) == []

    _login(page, base, ids["admin"])
    page.goto(profile)
    _review(page, "研学心得：思政课堂")
    expect(page.locator("li", has_text="研学心得：思政课堂")).to_contain_text("已确认")

    # The roster after: green, nothing overdue.
    page.goto(f"{base}/{slug}/residency/")
    row = page.locator("#roster tbody tr", has_text=chair)
    expect(row).to_have_class("ok")
    expect(row.locator(".badge.ok")).to_be_visible()
    expect(row.locator(".badge.red")).to_have_count(0)
    assert not errors, errors

