"""The cycle page by stage (A6.1-A6.5) and what it costs: steps with states, only the actions the
workflow allows now, first pages only; the nomination list by keyset with cached counts; the
XLSX export as a documents job."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import stages
from portal.selection.access import EVERYTHING
from portal.selection import operations as ops
from portal.selection.models import CycleStatus, Nomination, NominationStatus as S
from tests.conftest import count_queries
from tests.selection.helpers import draft, invite, notice_open_today, open_cycle, world
from tests.suite_clock import SUITE_TODAY

# The buttons of the stages before the notice (A6.1, A6.4, A6.5): 添加学校, 抽签, 排名, 报批, 发布公示.
EARLIER_ACTIONS = ("/invitations\"", "/panels\"", "/rank\"", "/propose\"", "/notice\"", "/send-all\"",
                   "添加学校", "抽签组成面试组（", "计算综合成绩并排名", "列为拟任人选，报", ">发布公示<")


def _grow(w, invs, start, n, statuses=(S.draft, S.submitted, S.under_review, S.reviewed)):
    """``n`` more nominations spread over the stages (statuses set directly: a fixture shortcut)."""
    ids = []
    for i in range(n):
        ids.append(draft(w, invs[i % len(invs)], start + i).id)
    with tenant_context(w.tenant.id, db.session):
        for k, st in enumerate(statuses):
            chunk = ids[k::len(statuses)]
            db.session.execute(sa.update(Nomination).where(Nomination.id.in_(chunk)).values(status=st))
        db.session.commit()


def _page(client, w):
    url = f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}"
    client.get(url)  # warm: counts cached per cycle after a change
    with count_queries() as q:
        r = client.get(url)
    assert r.status_code == 200
    return q.count, r.get_data(as_text=True)


def test_A6_cycle_page_statements_constant_and_html_bounded_10_vs_200(client, login_as, session):
    w = world(2)
    open_cycle(w)
    invs = [invite(w, s) for s in w.schools]
    login_as(w.admin)
    _grow(w, invs, 1, 10)
    n10, html10 = _page(client, w)
    _grow(w, invs, 100, 190)
    n200, html200 = _page(client, w)
    assert n10 == n200, (n10, n200)
    # first pages only: at most 50 nominations of a stage on the page, the rest is a link
    assert len(html200.encode()) < 200_000
    assert "共 50 名，查看全部" in html200 or "查看全部" in html200
    assert html200.count("/selection/nominations/") <= 3 * 50 + 10
    # each stage shows its counts
    with tenant_context(w.tenant.id, db.session):
        f = ops.funnel(w.cycle, EVERYTHING)
    assert f.by_status[S.reviewed] == 49
    assert "待考试 49 名" in html200


def test_A6_5_publicizing_cycle_offers_none_of_the_earlier_stages_actions(client, login_as, session):
    w = world(2)
    open_cycle(w)
    noms, notice = notice_open_today(w, 1)
    with tenant_context(w.tenant.id, db.session):
        assert db.session.get(type(w.cycle), w.cycle.id).status == CycleStatus.publicizing
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}").get_data(as_text=True)
    for action in EARLIER_ACTIONS:
        assert action not in page, action
    assert "公示期满，确认任用" in page  # the current stage's own action stays
    # the timetable: earlier steps closed, the notice open, appointment upcoming; never 未到期
    table = page.split('id="timetable"')[1].split("</table>")[0]
    states = re.findall(r'data-state="(\w+)"', table)
    assert states == ["closed"] * 5 + ["open", "upcoming"]
    assert "未到期" not in page


def test_A6_closed_cycle_timetable_is_all_closed_and_offers_nothing(client, login_as, session):
    w = world(2)
    open_cycle(w)
    noms, notice = notice_open_today(w, 1)
    with tenant_context(w.tenant.id, db.session):
        from portal.selection import workflow

        assert workflow.CYCLE.advance(w.cycle, "close", actor=w.admin)
        db.session.commit()
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}").get_data(as_text=True)
    table = page.split('id="timetable"')[1].split("</table>")[0]
    assert set(re.findall(r'data-state="(\w+)"', table)) == {"closed"}
    for action in EARLIER_ACTIONS + ("公示期满，确认任用",):
        assert action not in page, action


def test_A6_1_open_cycle_offers_letters_and_not_the_later_stages(client, login_as, session):
    w = world(2)
    open_cycle(w)
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}").get_data(as_text=True)
    assert "添加学校" in page
    assert "计算综合成绩并排名" not in page and ">发布公示<" not in page and "公示期满，确认任用" not in page


def test_A4_create_cycle_prefills_the_next_free_year(client, login_as, session):
    w = world(1)
    y = SUITE_TODAY.year
    open_cycle(w, year=f"{y}-{y + 1}")
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/selection/").get_data(as_text=True)
    assert f'value="{y + 1}-{y + 2}"' in page
    assert stages.next_free_year({f"{y}-{y + 1}", f"{y + 1}-{y + 2}"}, SUITE_TODAY) == f"{y + 2}-{y + 3}"


def test_A6_2_list_keyset_pages_cover_every_row_once_in_order(client, login_as, session):
    w = world(3)
    open_cycle(w)
    invs = [invite(w, s) for s in w.schools]
    _grow(w, invs, 1, 120, statuses=(S.draft,))
    login_as(w.admin)
    url = f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/nominations"
    seen, nxt, pages = [], url, 0
    while nxt:
        html = client.get(nxt).get_data(as_text=True)
        seen += [int(i) for i in re.findall(r'/selection/nominations/(\d+)"', html)]
        m = re.search(r'rel="next" href="\?([^"]+)"', html)
        nxt = f"{url}?{m.group(1).replace('&amp;', '&')}" if m else None
        pages += 1
        assert "共 120 条" in html
    assert pages == 3 and len(seen) == 120 and len(set(seen)) == 120
    with tenant_context(w.tenant.id, db.session):
        order = list(db.session.scalars(ops.nominations_query(w.cycle.id, scope=EVERYTHING).with_only_columns(Nomination.id)))
    assert seen == order
    assert client.get(f"{url}?cursor=not-a-cursor").status_code == 400


def test_A6_2_list_count_is_cached_and_dropped_when_a_nomination_changes(client, login_as, session):
    w = world(2)
    open_cycle(w)
    invs = [invite(w, s) for s in w.schools]
    _grow(w, invs, 1, 5, statuses=(S.draft,))
    login_as(w.admin)
    url = f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/nominations"
    assert "共 5 条" in client.get(url).get_data(as_text=True)
    with count_queries() as q:
        assert "共 5 条" in client.get(url).get_data(as_text=True)
    assert not any("count(" in s.lower() and "selection_nominations" in s for s in q.statements), [s for s in q.statements if "count(" in s.lower()]  # served from the cache
    _grow(w, invs, 50, 2, statuses=(S.draft,))
    assert "共 7 条" in client.get(url).get_data(as_text=True)
    with tenant_context(w.tenant.id, db.session):  # a bulk delete drops it too
        db.session.execute(sa.delete(Nomination).where(Nomination.cycle_id == w.cycle.id, Nomination.name == "候选人50"))
        db.session.commit()
    assert "共 6 条" in client.get(url).get_data(as_text=True)


def test_A6_2_export_request_returns_a_job_whose_file_has_every_row_masked_and_formula_safe(
        app, client, login_as, session, monkeypatch):
    from portal.documents.models import DocumentStatus, GeneratedDocument
    from portal.documents.operations import file_path
    from portal.jobs import operations as jobs_ops
    from portal.jobs.runner import run_eager
    from portal.selection import documents as docs

    w = world(2)
    open_cycle(w)
    invs = [invite(w, s) for s in w.schools]
    monkeypatch.setattr(docs, "EXPORT_CHUNK", 7)  # several chunks, as at national scale
    _grow(w, invs, 1, 30, statuses=(S.draft,))
    with tenant_context(w.tenant.id, db.session):
        evil = draft(w, invs[0], 99, name="=HYPERLINK(\"x\")")
        db.session.commit()
        evil_id = evil.id
    held = []
    monkeypatch.setattr(jobs_ops, "dispatch", lambda app_, pending: held.extend(pending))
    login_as(w.admin)
    r = client.post(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/export")
    assert r.status_code == 303 and r.headers["Location"].endswith("/documents/")
    with tenant_context(w.tenant.id, db.session):
        doc = db.session.scalars(sa.select(GeneratedDocument).where(
            GeneratedDocument.kind == docs.EXPORT_KIND)).one()
        assert doc.status == DocumentStatus.queued and doc.job_id  # the page answered before the work
        doc_id = doc.id
    assert len(held) == 1
    record_id, tenant_id = held[0][0], held[0][1]
    run_eager(app, record_id, tenant_id)
    with tenant_context(w.tenant.id, db.session):
        db.session.expire_all()
        doc = db.session.get(GeneratedDocument, doc_id)
        assert doc.status == DocumentStatus.ready and doc.progress == 100
        with open(file_path(doc), "rb") as fh:
            wb = load_workbook(io.BytesIO(fh.read()))
    rows = list(wb["推荐人选"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 31 and len({r[0] for r in rows}) == 31
    phones = {r[13] for r in rows}
    assert phones == {"138****8000"}
    evil_row = next(r for r in rows if r[0] == evil_id)
    assert evil_row[1] == "'=HYPERLINK(\"x\")"
    cell = next(c for c in wb["推荐人选"]["B"] if c.value == "'=HYPERLINK(\"x\")")
    assert cell.data_type == "s"


def test_mask_phone():
    from portal.selection.documents import mask_phone

    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("0208888") == "***8888"
    assert mask_phone("") == ""


def test_A6_2_api_lists_page_by_cursor_and_say_so_in_openapi(client, login_as, session):
    w = world(2)
    open_cycle(w)
    invs = [invite(w, s) for s in w.schools]
    _grow(w, invs, 1, 25, statuses=(S.draft,))
    login_as(w.admin)
    base = f"/api/v1/{w.tenant.slug}/selection/cycles/{w.cycle.id}"
    got, cursor = [], None
    while True:
        body = client.get(f"{base}/nominations?per_page=10" + (f"&cursor={cursor}" if cursor else "")).get_json()
        assert body["total"] == 25
        got += [n["id"] for n in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(got) == 25 and len(set(got)) == 25
    first = client.get(f"{base}/invitations?per_page=1").get_json()
    second = client.get(f"{base}/invitations?per_page=1&cursor={first['next_cursor']}").get_json()
    assert [i["id"] for i in first["items"] + second["items"]] == sorted(i.id for i in invs)
    assert second["next_cursor"] is None
    bad = client.get(f"{base}/nominations?cursor=zzz")
    assert bad.status_code in (400, 422) and "cursor" in bad.get_data(as_text=True)
    spec = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"] for p in spec["paths"]["/api/v1/{tenant}/selection/cycles/{cycle_id}/nominations"]["get"]
              ["parameters"]}
    assert "cursor" in params


def test_A6_3_cycle_funnel_is_cached_and_dropped_when_a_nomination_or_a_school_changes(session):
    """The cycle page's counts by status, province and route (A6.3) are read once per change of
    the tenant's nominations, not per request; a new nomination, a bulk status change and a school
    moving province are all seen by the next read."""
    from portal.reference.models import Province, School

    w = world(2)
    open_cycle(w)
    invs = [invite(w, s) for s in w.schools]
    _grow(w, invs, 1, 4, statuses=(S.submitted,))
    with tenant_context(w.tenant.id, db.session):
        f = ops.funnel(w.cycle, EVERYTHING)
        assert f.by_status[S.submitted] == 4 and sum(n for _, n in f.by_province) == 4
        with count_queries() as q:
            assert ops.funnel(w.cycle, EVERYTHING) == f
        assert not [s for s in q.statements if "count(" in s.lower()], q.statements  # served from the cache
    _grow(w, invs, 50, 2, statuses=(S.submitted,))
    with tenant_context(w.tenant.id, db.session):
        db.session.execute(sa.update(Nomination).where(Nomination.cycle_id == w.cycle.id, Nomination.name == "候选人50")
                           .values(status=S.under_review))
        db.session.commit()
        f = ops.funnel(w.cycle, EVERYTHING)
        assert f.by_status[S.submitted] == 5 and f.by_status[S.under_review] == 1
        school = db.session.get(School, invs[0].school_id)
        moved_to = db.session.scalar(sa.select(Province.code).where(Province.code != school.province_code).limit(1))
        on_school = db.session.scalar(sa.select(sa.func.count()).select_from(Nomination).where(
            Nomination.cycle_id == w.cycle.id, Nomination.school_id == school.id))
        before = dict(f.by_province).get(moved_to, 0)
        school.province_code = moved_to
        db.session.commit()
        assert dict(ops.funnel(w.cycle, EVERYTHING).by_province).get(moved_to, 0) == before + on_school
