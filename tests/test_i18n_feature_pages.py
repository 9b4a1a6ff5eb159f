"""The feature pages (selection, notifications, jobs, public notice) are bilingual: Chinese by
default, English with ``?lang=en``; the Chinese rendering keeps its labels."""
from __future__ import annotations

from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Route
from tenants.models import Role
from tests.factories import member
from tests.selection.helpers import draft, invite, notice_open_today, open_cycle, world


def _page(client, url, **params):
    resp = client.get(url, query_string=params)
    assert resp.status_code == 200, resp.data[:500]
    return resp.get_data(as_text=True)


def _bilingual(client, url, labels):
    """``labels`` maps each Chinese label to its English rendering: the Chinese page shows the
    Chinese, the English page shows the English and none of the Chinese."""
    zh = _page(client, url)
    assert 'lang="zh-CN"' in zh
    for chinese, english in labels.items():
        assert chinese in zh, f"Chinese page lacks {chinese!r}"
    en = _page(client, url, lang="en")
    assert 'lang="en"' in en
    for chinese, english in labels.items():
        assert english in en, f"English page lacks {english!r}"
        assert chinese not in en, f"English page still shows {chinese!r}"
    # the choice sticks to the session until Chinese is chosen again
    assert all(english in _page(client, url) for english in labels.values())
    zh_again = _page(client, url, lang="zh_Hans_CN")
    assert all(chinese in zh_again for chinese in labels)
    return zh, en


def _selection_world():
    """A national tenant with an open cycle: one school invited and sent a letter with a draft
    nominee, one school invited but not yet sent its letter."""
    w = world(2)
    open_cycle(w)
    inv = invite(w, w.schools[0])
    with tenant_context(w.tenant.id, db.session):
        ops.invite_schools(w.cycle, [w.schools[1].id], Route.rotation, actor=w.admin)
    nom = draft(w, inv)
    return w, inv, nom


def test_selection_cycle_list_in_english_and_chinese(client, login_as, session):
    w, _, _ = _selection_world()
    login_as(w.admin)
    _, en = _bilingual(client, f"/{w.tenant.slug}/selection/", {
        "驻会执行主席选拔任用": "Selection and appointment of resident executive chairs",
        "新建学年选拔": "New selection for an academic year",
        "创建（固定当前规则版本）": "Create (pins the current ruleset version)",
        "<th>规则版本</th>": "<th>Ruleset version</th>",
    })
    assert "Rotation roster (" in en and w.cycle.title in en  # data stays as stored


def test_selection_cycle_page_in_english_and_chinese(client, login_as, session):
    w, _, _ = _selection_world()
    login_as(w.admin)
    _bilingual(client, f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}", {
        "推荐人选列表": "Nominee list",
        "按途径": "By route",
        "发出全部未发推荐函": "Send all unsent nomination letters",
        "<th>文号</th>": "<th>Reference no.</th>",
        ">发函</button>": ">Send letter</button>",    # the row button has its own English
        "<h2>发函 ": "<h2>Nomination letters ",
        "排名与拟任人选": "Ranking and proposed appointees",
        # the exam stage has not begun here (no candidate reviewed): its step says so
        ">未开始<": ">Upcoming<",
        ">进行中<": ">Open<",
    })


def test_selection_invitation_page_for_the_school_liaison_in_english_and_chinese(client, login_as, session):
    w, inv, _ = _selection_world()
    liaison = member(w.tenant, Role.school_liaison, school_id=w.schools[0].id)
    login_as(liaison)
    _, en = _bilingual(client, f"/{w.tenant.slug}/selection/invitations/{inv.id}", {
        "确认收到推荐函": "Acknowledge receipt of the nomination letter",
        "在线填写人选": "Enter a nominee online",
        "下载 Excel 模板": "Download Excel template",
        "上传（替换本校草稿）": "Upload (replaces your school's drafts)",
        "<th>身份证号</th>": "<th>ID number</th>",
    })
    assert "Nomination letter " in en and "; due " in en


def test_selection_nomination_list_in_english_and_chinese(client, login_as, session):
    w, _, nom = _selection_world()
    login_as(w.admin)
    _, en = _bilingual(client, f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/nominations", {
        "全部状态": "All statuses",
        "全部途径": "All routes",
        "placeholder=\"姓名或学校\"": "placeholder=\"Name or school\"",
        "<th>政治面貌</th>": "<th>Political affiliation</th>",
        "<th>途径</th>": "<th>Route</th>",
    })
    assert nom.name in en


def test_selection_nomination_page_in_english_and_chinese(client, login_as, session):
    w, _, nom = _selection_world()
    login_as(w.admin)
    _, en = _bilingual(client, f"/{w.tenant.slug}/selection/nominations/{nom.id}", {
        "<th>主席团职务</th>": "<th>Presidium position</th>",
        "；保研资格：": "; postgraduate recommendation eligibility: ",
        "资格条件": "Eligibility requirements",
        "审查考察": "Review and inspection",
        "校内公示材料": "Campus public notice material",
        "取消资格": "Disqualify",
    })
    assert nom.name in en and nom.school.name in en  # data is shown as stored


def test_notification_outbox_in_english_and_chinese(client, login_as, session):
    w, _, _ = _selection_world()  # sending the letter queued notifications
    login_as(w.admin)
    _bilingual(client, f"/{w.tenant.slug}/notifications/", {
        "<h1>通知出件箱</h1>": "<h1>Notification outbox</h1>",
        "待发送": "Pending",
        "<th>收件人</th>": "<th>Recipient</th>",
        "<th>尝试</th>": "<th>Attempts</th>",
    })


def test_jobs_page_in_english_and_chinese(client, login_as, session):
    w = world(1)
    login_as(w.admin)
    _bilingual(client, f"/{w.tenant.slug}/jobs/", {
        "<h1>后台任务</h1>": "<h1>Background jobs</h1>",
        "失败的任务会自动按退避间隔重试": "Failed jobs are retried automatically with back-off",
        "同步执行（测试）": "synchronous (tests)",
        "<th>提交时间</th>": "<th>Submitted</th>",
        "暂无任务": "No jobs",
    })


def test_public_notice_page_in_english_and_chinese_without_login(client, session):
    w = world(1)
    open_cycle(w)
    noms, notice = notice_open_today(w)
    _, en = _bilingual(client, f"/{w.tenant.slug}/public/notices/{notice.id}", {
        "下载 PDF": "Download PDF",
        "反映异议": "Raise an objection",
        "异议内容（可匿名）": "Objection (may be anonymous)",
        "<th>学历层次</th>": "<th>Degree level</th>",
        "公示期：": "Public notice period: ",
    })
    assert noms[0].name in en  # the nominee's name is data, shown as stored


# --- labels produced in Python (statuses, routes, timetable steps) and flashed messages ---------

def test_cycle_status_label_in_english_and_chinese(client, login_as, session):
    w, _, _ = _selection_world()
    login_as(w.admin)
    _bilingual(client, f"/{w.tenant.slug}/selection/", {
        '<span class="badge">推荐中</span>': '<span class="badge">Nominations open</span>',
    })
    _bilingual(client, f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}", {
        '<span class="badge">推荐中</span>': '<span class="badge">Nominations open</span>',
    })


def test_timetable_steps_and_progress_labels_in_english_and_chinese(client, login_as, session):
    w, _, _ = _selection_world()
    login_as(w.admin)
    _bilingual(client, f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}", {
        "<td>发函培养 <span": "<td>Nomination letters and preparation <span",
        "<td>学校推荐与校内公示 <span": "<td>School nomination and campus public notice <span",
        # the step 公示 is "Public notice", not the menu entry 公示 ("Public notices")
        "<td>公示 <span": "<td>Public notice <span",
        "<td>确认任用 <span": "<td>Confirmation of appointment <span",
        "<td>草稿</td>": "<td>Draft</td>",              # progress by nomination status
        "<td>拟任人选</td>": "<td>Proposed appointee</td>",
    })


def test_nomination_status_and_route_labels_in_english_and_chinese(client, login_as, session):
    w, inv, nom = _selection_world()
    login_as(w.admin)
    _bilingual(client, f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/nominations", {
        '<span class="badge">草稿</span>': '<span class="badge">Draft</span>',
        "<td>遴选</td>": "<td>Open selection</td>",    # the nominee's route
        ">已报送</option>": ">Submitted</option>",        # the status filter
    })
    _bilingual(client, f"/{w.tenant.slug}/selection/nominations/{nom.id}", {
        '<span class="badge">草稿</span>': '<span class="badge">Draft</span>',
        '<button class="secondary" type="submit">撤回</button>': '<button class="secondary" type="submit">Withdraw</button>',
    })
    _, en = _bilingual(client, f"/{w.tenant.slug}/selection/invitations/{inv.id}", {
        "<td>草稿</td>": "<td>Draft</td>",
    })
    assert nom.name in en


def test_rotation_route_label_in_english_and_chinese(client, login_as, session):
    w = world(1)
    open_cycle(w)
    inv = invite(w, w.schools[0], route=Route.rotation)
    draft(w, inv)
    login_as(w.admin)
    _bilingual(client, f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/nominations", {
        "<td>轮值</td>": "<td>Rotation</td>",
    })


def test_nomination_form_field_labels_in_english_and_chinese(client, login_as, session):
    w, inv, _ = _selection_world()
    login_as(w.admin)
    _, en = _bilingual(client, f"/{w.tenant.slug}/selection/invitations/{inv.id}/nominations/new", {
        ">所在学生组织 <span": ">Student union <span",  # then the required mark
        ">是否符合保研条件 <span": ">Eligible for postgraduate recommendation <span",
        ">校内公示结束日期 <span": ">Campus public notice end date <span",
    })
    # Yes/No shown in English (issue 9.6), the submitted values stay the stored Chinese
    assert '<option value="是" >Yes</option>' in en and '<option value="否" >No</option>' in en


def test_eligibility_items_in_english_and_chinese(client, login_as, session):
    from tests.selection.helpers import submitted

    w = world(1)
    open_cycle(w)
    nom = submitted(w, invite(w, w.schools[0]))
    with tenant_context(w.tenant.id, db.session):
        ops.run_eligibility(nom, w.cycle, actor=w.admin)
    login_as(w.admin)
    _bilingual(client, f"/{w.tenant.slug}/selection/nominations/{nom.id}", {
        '<span class="badge">已报送</span>': '<span class="badge">Submitted</span>',
        "政治面貌与群众基础<br>": "Political affiliation and standing among students<br>",
        "遵守工作人员守则，无违纪违法记录<br>": "Observes the staff code of conduct; no disciplinary or legal record<br>",
    })


def test_success_flash_follows_the_language_of_the_session(client, login_as, session):
    w = world(1)
    login_as(w.admin)
    url = f"/{w.tenant.slug}/selection/"
    _page(client, url, lang="en")  # the choice is kept in the session
    resp = client.post(f"/{w.tenant.slug}/selection/cycles", data={"academic_year": "2026-2027"},
                       follow_redirects=True)
    en = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Selection created; its ruleset version is now fixed" in en
    assert "选拔已创建" not in en
    cycle_url = resp.request.path
    resp = client.post(f"{cycle_url}/invitations", data={"mode": "school", "route": "selection",
                                                         "school_id": str(w.schools[0].id)}, follow_redirects=True)
    assert "1 school(s) added" in resp.get_data(as_text=True)

    _page(client, url, lang="zh_Hans_CN")
    resp = client.post(f"/{w.tenant.slug}/selection/cycles", data={"academic_year": "2027-2028"},
                       follow_redirects=True)
    zh = resp.get_data(as_text=True)
    assert "选拔已创建，规则版本已固定" in zh and "Selection created" not in zh


def test_dashboard_role_names_in_english_and_chinese(client, login_as, session):
    w, _, _ = _selection_world()
    login_as(w.admin)
    _bilingual(client, f"/{w.tenant.slug}/", {"秘书处管理员": "Secretariat administrator"})
