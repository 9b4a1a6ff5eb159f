"""Written-exam scores imported from the exam office's workbook (A6.4), page and API."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection.imports import HEADERS, SHEET
from portal.selection.models import Nomination
from tenants.models import Role
from tests.factories import member
from tests.selection.helpers import advance_to_reviewed, invite, open_cycle, submitted, world


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _snapshot(nom):
    from types import SimpleNamespace

    return SimpleNamespace(id=nom.id, name=nom.name, id_number=nom.id_number)


class Exam:
    """A cycle with two candidates through review (A6.3) and one still only submitted."""

    def __init__(self, app, client, login_as):
        self.client = client
        w = world(2)
        open_cycle(w)
        inv_a, inv_b = invite(w, w.schools[0]), invite(w, w.schools[1])
        # the candidates as plain values: after a request's rollback the ORM rows are expired, and
        # outside the tenant RLS hides them (a request leaves no tenant behind)
        self.a = _snapshot(advance_to_reviewed(w, submitted(w, inv_a, 1)))
        self.b = _snapshot(advance_to_reviewed(w, submitted(w, inv_b, 2)))
        self.early = _snapshot(submitted(w, inv_a, 3))
        self.w, self.slug, self.cycle_id = w, w.tenant.slug, w.cycle.id
        self.page = f"/{self.slug}/selection/cycles/{self.cycle_id}/exam-import/"
        self.api_url = f"/api/v1/{self.slug}/selection/cycles/{self.cycle_id}/exam-scores/import"
        login_as(w.admin)

    def upload(self, data: bytes, api=False, headers=None):
        files = {"file": (io.BytesIO(data), "笔试成绩.xlsx")}
        client = self.api if api else self.client
        return client.post(self.api_url if api else self.page, data=files, content_type="multipart/form-data",
                           headers=headers or {})

    def token(self, app, user=None):
        from portal.auth.operations import issue_token

        user = user or self.w.admin
        with tenant_context(self.w.tenant.id, db.session):
            _tok, raw = issue_token(user, "考试中心", user)
        db.session.commit()
        self.api = app.test_client()
        return {"Authorization": f"Bearer {raw}"}

    def scores(self) -> dict[int, object]:
        db.session.expire_all()
        with tenant_context(self.w.tenant.id, db.session):
            return dict(db.session.execute(sa.select(Nomination.id, Nomination.exam_score)).all())

    def audit_actions(self) -> list[str]:
        with tenant_context(self.w.tenant.id, db.session):
            return list(db.session.scalars(sa.select(AuditRecord.action).where(AuditRecord.action.like("exam.%"))
                                           .order_by(AuditRecord.seq)))


@pytest.fixture()
def exam(app, client, login_as):
    return Exam(app, client, login_as)


def test_A6_4_exam_template_lists_the_candidates_through_review(exam):
    r = exam.client.get(exam.page + "template.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == [SHEET, "填写说明"]
    rows = [[c.value for c in row] for row in wb[SHEET].iter_rows(max_col=4)]
    assert rows[0] == HEADERS
    assert sorted(r[:3] for r in rows[1:] if r[0]) == sorted([[exam.a.id, None, exam.a.name],
                                                              [exam.b.id, None, exam.b.name]])


def test_A6_4_exam_scores_imported_with_audit(exam):
    # one by 推荐编号, one by 身份证号 only; full-width digits from a Chinese IME
    data = xlsx([[exam.a.id, None, exam.a.name, 88.5], [None, exam.b.id_number, exam.b.name, "７６．２５"]])
    r = exam.upload(data)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/selection/cycles/{exam.cycle_id}")
    scores = exam.scores()
    assert (float(scores[exam.a.id]), float(scores[exam.b.id]), scores[exam.early.id]) == (88.5, 76.25, None)
    assert exam.audit_actions() == ["exam.score", "exam.score", "exam.import"]
    follow = exam.client.get(r.headers["Location"])
    assert "已导入 2 名人选的笔试成绩" in follow.get_data(as_text=True)
    assert exam.page in follow.get_data(as_text=True)  # the cycle page links to the import


def test_A6_4_exam_import_reports_every_row_and_stores_nothing(exam):
    data = xlsx([
        [exam.a.id, None, exam.a.name, 90],                 # 2: fine on its own
        [999999, None, "查无此人", 80],                       # 3: unknown candidate
        [exam.b.id, None, exam.b.name, 105],                # 4: score out of range
        [exam.b.id, None, "张冠李戴", 70],                    # 5: name does not match
        [exam.early.id, None, exam.early.name, 75],         # 6: not yet reviewed (A6.3)
        [exam.a.id, None, exam.a.name, 91],                 # 7: same candidate twice
        [None, None, "无编号", 60],                           # 8: no identifier at all
    ])
    r = exam.upload(data)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    cells = re.findall(r"<tr><td>(第\d+行)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", page)
    by_row = {(row, col): msg for row, col, msg in cells}
    assert "本次选拔中没有推荐编号为 999999 的人选" in by_row[("第3行", "推荐编号")]
    assert "应在 0–100 之间" in by_row[("第4行", "笔试成绩")]
    assert "「" + exam.b.name + "」" in by_row[("第5行", "姓名")]
    assert "尚未完成资格审查和考察" in by_row[("第6行", "笔试成绩")]
    assert "第六条第（三）项" in by_row[("第6行", "笔试成绩")]
    assert "与第 2 行是同一名人选" in by_row[("第7行", "推荐编号")]
    assert "请填写推荐编号或身份证号" in by_row[("第8行", "推荐编号")]
    assert "文件有 6 处错误，未导入任何成绩" in page
    assert set(exam.scores().values()) == {None} and exam.audit_actions() == []
    marked = re.search(r'href="([^"]+/errors/[0-9a-f]{32}\.xlsx)"', page).group(1)
    got = exam.client.get(marked)
    assert got.status_code == 200 and "错误说明" in load_workbook(io.BytesIO(got.data)).sheetnames


def test_A6_4_exam_import_cannot_reach_another_federations_candidates(exam):
    other = world(1)
    open_cycle(other)
    theirs = advance_to_reviewed(other, submitted(other, invite(other, other.schools[0]), 7))
    theirs_id, theirs_name = theirs.id, theirs.name  # read inside B: after the request, RLS hides the row
    db.session.commit()  # B's data outlives the refused request's rollback
    r = exam.upload(xlsx([[theirs_id, None, theirs_name, 99]]))
    assert r.status_code == 422 and f"本次选拔中没有推荐编号为 {theirs_id} 的人选" in r.get_data(as_text=True)
    with tenant_context(other.tenant.id, db.session):
        db.session.expire_all()
        assert db.session.get(Nomination, theirs_id).exam_score is None


def test_A6_4_exam_import_api_all_or_nothing(app, exam):
    auth = exam.token(app)
    bad = exam.upload(xlsx([[exam.a.id, None, exam.a.name, 80], [exam.early.id, None, exam.early.name, 70]]),
                      api=True, headers=auth)
    assert bad.status_code == 422
    err = bad.get_json()["error"]
    assert err["code"] == "invalid_rows" and "未导入任何成绩" in err["message"]
    (e,) = err["details"]["errors"]
    assert (e["row"], e["column"]) == (3, "笔试成绩") and "尚未完成资格审查和考察" in e["message"]
    assert set(exam.scores().values()) == {None}
    ok = exam.upload(xlsx([[exam.a.id, None, exam.a.name, 80], [exam.b.id, None, exam.b.name, "66"]]),
                     api=True, headers=auth)
    assert ok.status_code == 200, ok.get_data(as_text=True)
    assert ok.get_json()["imported"] == 2
    assert float(exam.scores()[exam.b.id]) == 66


def test_A6_4_exam_import_is_for_the_secretariat_only(app, exam):
    from tests.conftest import login

    liaison = member(exam.w.tenant, Role.school_liaison, school_id=exam.w.schools[0].id)
    auth = exam.token(app, liaison)
    assert exam.upload(xlsx([[exam.a.id, None, exam.a.name, 80]]), api=True, headers=auth).status_code == 403
    browser = app.test_client()
    login(browser, liaison)
    assert browser.get(exam.page + "template.xlsx").status_code == 403
    assert browser.post(exam.page, data={"file": (io.BytesIO(b""), "x.xlsx")}).status_code == 403
    assert set(exam.scores().values()) == {None}


def test_A6_4_exam_import_rejects_a_file_that_is_not_the_template(exam):
    wb = Workbook()
    wb.active.title = "成绩"
    buf = io.BytesIO()
    wb.save(buf)
    r = exam.upload(buf.getvalue())
    assert r.status_code == 422 and f"没有名为「{SHEET}」的工作表" in r.get_data(as_text=True)
