"""Issue 9, item 6: English, complete. Every main page, rendered with ``?lang=en`` for every role
of the demo, shows no Han character outside names and data; rendered by default (Chinese) it
still shows its Chinese.

The data is collected from the database itself (school, union, person, tenant, notice, file
names, the free text the demo entered, rule values that are names), never from the page; what
is left of a page's visible text (attribute values users see included) after removing it must
be Han-free.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
PASSWORD = "demo-password"

# Columns that hold names and data: what a person, a school or a federation is called, what
# someone typed, what a file was named, what was sent. Labels, statuses and kinds are NOT here.
DATA_COLUMNS = {
    "provinces": ["name", "short_name"],
    "ruleset_versions": ["title", "notes"],
    "users": ["name"],
    "holiday_days": ["name"],
    "tenants": ["name", "short_name", "contact_person", "contact_address"],
    "api_tokens": ["name"],
    "approval_requests": ["title", "summary", "body_name", "reason"],
    "audit_records": ["actor_label", "before", "after"],
    "departments": ["name"],
    "document_template_overrides": ["filename", "reason"],
    "notification_template_overrides": ["subject", "body", "reason"],
    "notifications": ["subject", "body", "context", "error"],
    "obligation_records": ["title", "content", "evidence_name", "review_note"],
    "residency_meetings": ["place", "leaders", "minutes"],
    "rule_overrides": ["reason"],
    "schools": ["name"],
    "selection_cycles": ["title"],
    "selection_interview_panels": ["name"],
    "selection_invitations": ["delivery_note", "extra_reason"],
    "selection_public_notices": ["title", "body", "website_name"],
    "student_unions": ["name"],
    "vault_access_log": ["granted_by"],
    "presidium_memberships": ["term_label", "note"],
    "selection_nominations": ["name", "gender", "ethnicity", "political_status", "presidium_position", "major",
                              "languages", "computer_skills", "discipline_record"],
    "selection_panelists": ["name", "affiliation"],
    "chairs": ["name"],
    "selection_attachments": ["original_name"],
    "selection_disqualifications": ["reason", "evidence"],
    "selection_eligibility_checks": ["reason", "evidence"],
    "selection_objections": ["content", "contact", "outcome"],
    "selection_panel_conflicts": ["reason"],
    "selection_reviews": ["qualification_notes", "inspection_report"],
    "residencies": ["cohort", "post", "working_group", "end_reason"],
    "residency_rotation_segments": ["post", "deviation_reason"],
    "residency_talks": ["place", "others_present", "topic", "follow_up"],
    "inbox_items": ["subject", "body"],
    "mailbox_messages": ["sender", "subject", "body"],
    "vault_files": ["original_name"],
    "generated_documents": ["filename"],
    # Chapters 3-5: what people, groups, seals, beds and documents are called, what was typed,
    # and the statements of an appraisal (the official document's own Chinese text, A17)
    "holiday_years": ["source"],
    "allowance_national_rates": ["source"],
    "allowance_rates": ["source"],
    "allowance_runs": ["note"],
    "allowance_lines": ["name", "school", "rate_source", "ended_reason", "note"],
    "confidentiality_seals": ["name", "custodian_name"],
    "confidentiality_seal_handovers": ["from_name", "to_name", "witness"],
    "confidentiality_seal_requests": ["title", "reason", "decision_note"],
    "confidentiality_pledges": ["name"],
    "incentive_beds": ["building", "room", "bed"],
    "incentive_bed_assignments": ["release_reason"],
    "incentive_appraisals": ["statements", "self_summary", "conclusion_note", "correction_reason", "number"],
    "incentive_appraisal_opinions": ["department_name", "opinion"],
    "incentive_schooling": ["approval_ref", "reason", "certificate_number"],
    "incentive_welfare_grants": ["note"],
    "incentive_ymp": ["reason"],
    "residency_working_groups": ["name"],
    "residency_working_group_activities": ["title", "outcome"],
    "residency_org_life": ["organization", "topic"],
    "residency_relation_transfers": ["letter_no", "from_org", "to_org", "note"],
    "supervision_activities": ["title", "organizer", "outlet", "description", "decision_note", "outcome_note"],
    "supervision_declarations": ["text"],
    "supervision_cases": ["title", "facts", "statement", "decision_number", "approving_body", "measure_reason",
                          "self_criticism_note", "notice_number", "delivery_note"],
    "supervision_files": ["label"],
}
# Rules whose value is a name (a body, a website), not a label of the portal.
NAME_RULES = ("federation.name", "federation.website_name", "selection.approving_body",
              "selection.review_partner_body")

ROLE_USERS = {
    "secretariat admin": "admin@acsf.demo.cn",
    "secretariat staff": "staff@acsf.demo.cn",
    "approver": "approver@acsf.demo.cn",
    "provincial reviewer": "reviewer-gd@acsf.demo.cn",
    "school liaison": "liaison-pku@acsf.demo.cn",
    "department head": "head@acsf.demo.cn",
    "chair": "chair@acsf.demo.cn",
    "platform operator": "operator@demo.cn",
    "provincial admin": "admin@gd.demo.cn",
}
SEEN_ATTRS = ("title", "placeholder", "aria-label", "alt", "data-confirm", "data-label")


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, str):
        yield value


def _data_strings() -> list[str]:
    """Every Han-bearing name and datum in the database, longest first (so a union's name goes
    before its school's). Multi-line free text is also split in lines, as pages show it."""
    found: set[str] = set()
    tables = {t.name: t for t in db.metadata.sorted_tables}
    from tenants.models import Tenant

    def collect():
        for name, cols in DATA_COLUMNS.items():
            table = tables[name]
            for row in db.session.execute(sa.select(*[table.c[c] for c in cols])):
                for value in row:
                    for s in _leaves(value):
                        if HAN.search(s or ""):
                            found.add(s.strip())
                            found.update(line.strip() for line in s.splitlines() if line.strip())

    collect()
    for tenant_id in list(db.session.scalars(sa.select(Tenant.id))):
        with tenant_context(tenant_id, db.session):  # on PostgreSQL, row-level security shows one tenant's rows
            collect()
    # The notification templates' own text: the messages as they are sent, in Chinese, to their
    # recipients (the template pages show it to be read and edited, like a notice's body).
    from portal.notifications.catalog import REGISTRY as TEMPLATES

    for d in TEMPLATES.values():
        for text in (d.subject, d.body, *_leaves(d.sample)):
            for piece in re.split(r"{{.*?}}|{%.*?%}", str(text)):
                found.update(line.strip() for line in piece.splitlines() if HAN.search(line))
    from tenants.models import Tenant
    from tenants.rules.operations import effective_rules

    for tenant in db.session.scalars(sa.select(Tenant)):
        with tenant_context(tenant.id, db.session):
            rules = effective_rules(tenant)
            for key in NAME_RULES:
                found.add(str(rules[key]))
    return sorted((s for s in found if s), key=len, reverse=True)


class _Visible(HTMLParser):
    """The text a user sees: text nodes outside script/style, and the attributes users read."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        a = dict(attrs)
        for name in SEEN_ATTRS:
            if a.get(name):
                self.parts.append(a[name])
        if tag == "input" and a.get("type") in ("submit", "button", "reset") and a.get("value"):
            self.parts.append(a["value"])
        if tag == "button" and a.get("value") and False:  # a button's value is sent, not shown
            pass

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style", "template"):
            self._skip -= 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> str:
    p = _Visible()
    p.feed(html)
    return "\n".join(p.parts)


# The link to the Chinese pages is named in Chinese (marked lang="zh-CN"), so that a Chinese
# reader finds it on an English page.
OWN_NAMES = ["中文"]


# What an English sentence quotes in 「」 is a literal the user must find or type as it is: a
# sheet's or a column's name in an upload file, a value to enter.
QUOTED = re.compile(r"「[^」]*」")


def leftover_han(text: str, data: list[str]) -> list[str]:
    for s in [*data, *OWN_NAMES]:
        if s in text:
            text = text.replace(s, " ")
    return HAN.findall(QUOTED.sub(" ", text))


def _page_urls(app) -> list[str]:
    """Tenant pages (and the platform's) from the URL map: GET, HTML, no id to fill in."""
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static", "/lang", "/logout")):
            continue
        if any(x in rule.rule for x in (".xlsx", ".pdf", ".<fmt>", "download", "/ajax/", "/export/",
                                        "/static/", "/edit/", "/new/", "/details/", "/join/", "/unlock/",
                                        "/invite/")):
            continue
        if rule.arguments - {"tenant"}:
            continue
        out.append(rule.rule)
    return sorted(set(out))


def _detail_urls(slug: str) -> list[str]:
    """The pages of the demo's own objects in one tenant."""
    from tenants.models import Tenant

    t = {t.name: t for t in db.metadata.sorted_tables}
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    urls = []
    with tenant_context(tenant.id, db.session):
        def ids(table, *where, limit=1):
            tb = t[table]
            return list(db.session.scalars(sa.select(tb.c.id).where(tb.c.tenant_id == tenant.id, *where)
                                           .order_by(tb.c.id).limit(limit)))

        for cid in ids("selection_cycles", limit=20):
            urls += [f"/{slug}/selection/cycles/{cid}", f"/{slug}/selection/cycles/{cid}/nominations",
                     f"/{slug}/selection/cycles/{cid}/letters", f"/{slug}/selection/cycles/{cid}/exam-import/",
                     f"/{slug}/selection/cycles/{cid}/nominations/import"]
        for inv in ids("selection_invitations", t["selection_invitations"].c.sent_at.is_not(None)):
            urls += [f"/{slug}/selection/invitations/{inv}", f"/{slug}/selection/invitations/{inv}/nominations/new"]
        noms = t["selection_nominations"]
        for status in set(db.session.scalars(sa.select(noms.c.status).where(noms.c.tenant_id == tenant.id))):
            urls += [f"/{slug}/selection/nominations/{i}" for i in ids("selection_nominations", noms.c.status == status)]
        urls += [f"/{slug}/public/notices/{i}" for i in ids("selection_public_notices", limit=5)]
        for table, path in (("residencies", "residency"), ("approval_requests", "approvals"),
                            ("audit_records", "audit"), ("job_records", "jobs"), ("inbox_items", "inbox"),
                            ("mailbox_messages", "mailbox"), ("schools", "schools")):
            urls += [f"/{slug}/{path}/{i}" for i in ids(table)]
        urls += [f"/{slug}/documents/{i}/status" for i in ids("generated_documents")]
        urls.append(f"/{slug}/notification-templates/selection.cultivation_letter")
        # Chapters 3-5: a chair's profile (every status), the roster's objects, an appraisal, a
        # removal case and a disciplinary one, an outside activity, a rotation plan and segment, a group
        res = t["residencies"]
        for status in set(db.session.scalars(sa.select(res.c.status).where(res.c.tenant_id == tenant.id))):
            for i in ids("residencies", res.c.status == status):
                urls += [f"/{slug}/residency/{i}", f"/{slug}/incentives/chairs/{i}", f"/{slug}/residency/{i}/segments"]
        cases = t["supervision_cases"]
        for kind in set(db.session.scalars(sa.select(cases.c.kind).where(cases.c.tenant_id == tenant.id))):
            urls += [f"/{slug}/supervision/cases/{i}" for i in ids("supervision_cases", cases.c.kind == kind)]
        for table, path in (("supervision_activities", "supervision/activities"),
                            ("residency_rotation_plans", "residency/rotation/plans"),
                            ("residency_rotation_segments", "residency/segments"),
                            ("residency_working_groups", "residency/groups"),
                            ("allowance_runs", "incentives/runs")):
            urls += [f"/{slug}/{path}/{i}" for i in ids(table)]
        appr = t["incentive_appraisals"]
        urls += [f"/{slug}/incentives/chairs/{rid}" for rid in db.session.scalars(
            sa.select(appr.c.residency_id).where(appr.c.tenant_id == tenant.id).order_by(appr.c.id).limit(2))]
        for table in ("incentive_appraisals", "supervision_cases", "supervision_activities", "allowance_runs"):
            assert ids(table) or slug != "acsf", f"the demo has no {table} in {slug}: the walk would miss its page"
    return urls


# Pages whose Chinese comes from files this change could not touch, or not yet reached; each is
# still rendered (it must answer) and its Chinese rendering checked, but its English is not asserted.
KNOWN_GAPS: dict[str, str] = {}


def _gap(url: str) -> str | None:
    return next((why for part, why in KNOWN_GAPS.items() if part in url), None)


def _fill(rule: str, slug: str) -> str:
    return rule.replace("<tenant>", slug)


def _check(client, url, data, failures, checked):
    sep = "&" if "?" in url else "?"
    db.session.expunge_all()  # each request starts as a fresh one would, with nothing loaded
    en = client.get(f"{url}{sep}lang=en")
    if en.status_code != 200 or "text/html" not in en.content_type:
        return
    left = leftover_han(visible_text(en.get_data(as_text=True)), data)
    db.session.expunge_all()
    zh = client.get(f"{url}{sep}lang=zh_Hans_CN")
    zh_left = leftover_han(visible_text(zh.get_data(as_text=True)), data)
    checked.append(url)
    if left and not _gap(url):
        failures.append((url, left, visible_text(en.get_data(as_text=True))))
    if zh.status_code == 200 and not zh_left:
        failures.append((url, ["(the Chinese rendering shows no Chinese of its own)"], ""))


def _report(failures):
    lines = []
    for url, runs, text in failures:
        lines.append(f"\n=== {url}: {sorted(set(runs))}")
        if text:
            lines.append(text[:3000])
    return "\n".join(lines)


@pytest.fixture()
def demo(session):
    from portal.demo import load_demo

    load_demo()
    db.session.commit()
    return _data_strings()


def _walk(app, client, slugs, data):
    failures, checked = [], []
    urls = []
    for slug in slugs:
        urls += [_fill(r, slug) for r in _page_urls(app) if "<tenant>" in r]
        urls += _detail_urls(slug)
    urls += [r for r in _page_urls(app) if "<tenant>" not in r]
    for url in dict.fromkeys(urls):
        _check(client, url, data, failures, checked)
    return failures, checked


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_every_main_page_is_English_in_English_mode(app, demo, role):
    """Signed in as each role, every page it may open is free of Han outside names and data."""
    client = app.test_client()
    resp = client.post("/login", data={"email": ROLE_USERS[role], "password": PASSWORD})
    assert resp.status_code == 302
    slugs = ["gd"] if ROLE_USERS[role].endswith("gd.demo.cn") else ["acsf"]
    failures, checked = _walk(app, client, slugs, demo)
    assert len(checked) >= 3, checked
    assert not failures, f"{role}: {len(failures)} of {len(checked)} pages:" + _report(failures)


def test_public_pages_and_login_are_English_in_English_mode(app, demo):
    """Anonymous: the login page and the public 公示 (A6.5) of every tenant."""
    client = app.test_client()
    failures, checked = [], []
    urls = ["/login"]
    for slug in ("acsf", "gd", "bj"):
        urls += [f"/{slug}/public/"] + [u for u in _detail_urls(slug) if "/public/notices/" in u]
    for url in urls:
        _check(client, url, demo, failures, checked)
    assert any("/public/notices/" in u for u in checked), checked
    assert not failures, _report(failures)


def test_the_check_finds_a_Chinese_label_left_in_English_mode():
    """The test's own eyes: a label (not data) left in Chinese is found, data is not."""
    html = ('<html><body><script>var a="下载";</script><p>北京大学</p><button title="确认">OK</button>'
            '<input type="submit" value="保存"></body></html>')
    assert leftover_han(visible_text(html), ["北京大学"]) == ["确认", "保存"]


def test_messages_made_in_Python_are_read_back_through_the_catalog(app):
    """A refusal, a flash or a deadline built with values (f"…{label}…") is English on an English
    page: the catalog's parameterized msgid that matches it whole gives the words, each value is
    looked up in turn (labels become English, dates and citations take their English form, names
    stay as they are); in Chinese nothing changes."""
    from portal.core.i18n import translate_message

    summary = "与同学、团学骨干面对面座谈（纳入研学成果）（黄诗琪）"
    warning = ("北京航空航天大学研究生会不是本学联主席团成员团体。由其推荐的人选将不能通过资格条件核查"
               "（第五条第（二）项），请推荐有效任期内的主席团成员团体的主席团成员，或先请秘书处更新主席团名册。")
    gap = "党（团）费未及时、足额缴纳的月份：2026年7月逾期；2026年8月未足额"
    with app.test_request_context("/?lang=en"):
        assert translate_message(summary) == \
            "Face-to-face forums with students and union leaders (part of the study results) (黄诗琪)"
        english = translate_message(warning)
        assert english.startswith("北京航空航天大学研究生会 is not a presidium member body of this federation. ")
        assert "(Art. 5(2))" in english and not HAN.search(english.replace("北京航空航天大学研究生会", ""))
        assert translate_message(gap) == "Months whose Party (League) dues were late or short: July 2026 late; August 2026 short"
        assert translate_message("无权访问") == "Access denied"
        assert translate_message("一段目录里没有的话") == "一段目录里没有的话"  # unknown: left as it is
    with app.test_request_context("/?lang=zh_Hans_CN"):
        assert translate_message(summary) == summary and translate_message(warning) == warning


def test_error_pages_and_the_download_button_follow_the_language(app, demo):
    client = app.test_client()
    en = client.get("/acsf/no-such-page?lang=en")
    assert en.status_code == 404
    text = visible_text(en.get_data(as_text=True))
    assert "Page not found" in text and not leftover_han(text, demo)
    zh = client.get("/acsf/no-such-page?lang=zh_Hans_CN")
    assert "页面不存在" in visible_text(zh.get_data(as_text=True))
    # documents.js names the link it adds from the cell's data-label (the template's language)
    js = (app.static_folder + "/documents.js")
    assert "link.dataset.label" in open(js, encoding="utf-8").read()
    assert client.post("/login", data={"email": ROLE_USERS["secretariat admin"], "password": PASSWORD}).status_code == 302
    page = client.get("/acsf/documents/?lang=en").get_data(as_text=True)
    assert 'data-label="Download"' in page
