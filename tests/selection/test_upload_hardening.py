"""Issue 8 through the real endpoints: hostile workbooks on every upload path (item 1), formula-safe
spreadsheets, attachments and their names (item 10), and what schools type (should-fix)."""
from __future__ import annotations

import datetime as dt
import io
import os

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.imports import HEADERS as EXAM_HEADERS, SHEET as EXAM_SHEET
from portal.selection.models import Nomination, NominationAttachment, SelectionCycle
from portal.selection.xlsx import HEADERS, SHEET
from tests import hostile_files as H
from tests.selection.test_exam_import import Exam
from tests.selection.test_upload_edges import PNG, School, row, to_bytes, workbook

CHANNELS = ["ui", "api"]
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula
TRIGGER_VALUES = [t + "HYPERLINK(\"http://evil.example\",\"点我\")" if t in "=@" else t + "1+1" for t in FORMULA_TRIGGERS]


@pytest.fixture()
def school(app, client, login_as):
    return School(app, client, login_as)


@pytest.fixture()
def exam(app, client, login_as):
    return Exam(app, client, login_as)


def _bomb(sheet=SHEET, headers=HEADERS) -> bytes:
    data = H.shared_string_bomb(sheet, headers, rows=20)
    assert len(data) < 1024 * 1024  # under the upload limit: a liaison can send it
    return data


# --- item 1: every upload path refuses the shared-string bomb, in Chinese ------------------------

@pytest.mark.parametrize("channel", CHANNELS)
def test_liaison_upload_refuses_the_shared_string_bomb(school, channel):
    text = school.rejected(channel, school.upload(channel, _bomb()), "32,767", "已拒绝处理")
    assert len(text) < 20_000  # the 1 MB string is not echoed back


@pytest.mark.parametrize("api", [False, True])
def test_cycle_import_refuses_the_shared_string_bomb(app, client, login_as, api):
    from portal.selection.xlsx import CYCLE_HEADERS
    from tests.selection.helpers import open_cycle, world

    w = world(1)
    open_cycle(w)
    login_as(w.admin)
    url = (f"/api/v1/{w.tenant.slug}/selection/cycles/{w.cycle.id}/nominations/import" if api
           else f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/nominations/import")
    r = client.post(url, data={"file": (io.BytesIO(_bomb(headers=CYCLE_HEADERS)), "汇总.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert "32,767" in (body if not api else str(r.get_json()))
    assert len(body) < 20_000


def test_exam_import_refuses_the_shared_string_bomb(exam):
    r = exam.upload(_bomb(EXAM_SHEET, EXAM_HEADERS))
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert "32,767" in body and len(body) < 30_000
    assert all(v is None for v in exam.scores().values())


@pytest.mark.parametrize("channel", CHANNELS)
def test_row_errors_stop_at_the_cap_with_a_note(school, channel, monkeypatch):
    from portal.core import uploads

    monkeypatch.setattr(uploads, "MAX_REPORTED_ERRORS", 3)
    data = to_bytes(workbook([row(i, gender="未知") for i in range(1, 9)]))
    resp = school.upload(channel, data)
    text = school.rejected(channel, resp, "错误已超过 3 处，其余各行未再检查")
    assert "第5行" not in text


# --- item 10: every spreadsheet the portal writes is formula-safe --------------------------------

def _assert_inert(cell, value):
    assert cell.value == "'" + value and cell.data_type == "s", (cell.coordinate, cell.value, cell.data_type)


def test_exam_template_writes_names_formula_safe(exam):
    for value in TRIGGER_VALUES:
        with tenant_context(exam.w.tenant.id, db.session):
            db.session.execute(sa.update(Nomination).where(Nomination.id == exam.a.id).values(name=value))
            db.session.commit()
        r = exam.client.get(exam.page + "template.xlsx")
        ws = load_workbook(io.BytesIO(r.data))[EXAM_SHEET]
        (cell,) = [row[2] for row in ws.iter_rows(min_row=2) if row[0].value == exam.a.id]
        _assert_inert(cell, value)


def test_exam_template_round_trips_a_formula_looking_name(exam):
    """What the template wrote ('=…) is read back as the name (=…): the import still matches it."""
    with tenant_context(exam.w.tenant.id, db.session):
        db.session.execute(sa.update(Nomination).where(Nomination.id == exam.a.id).values(name="=1+1"))
        db.session.commit()
    wb = load_workbook(io.BytesIO(exam.client.get(exam.page + "template.xlsx").data))
    ws = wb[EXAM_SHEET]
    for r in ws.iter_rows(min_row=2):
        if r[0].value in (exam.a.id, exam.b.id):
            r[3].value = 80
    buf = io.BytesIO()
    wb.save(buf)
    r = exam.upload(buf.getvalue())
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert float(exam.scores()[exam.a.id]) == 80


def test_nomination_template_writes_the_cycle_title_formula_safe(school):
    url = f"/{school.slug}/selection/invitations/{school.inv_id}/template.xlsx"
    for value in TRIGGER_VALUES:
        with tenant_context(school.tenant_id, db.session):
            db.session.execute(sa.update(SelectionCycle).values(title=value))
            db.session.commit()
        ws = load_workbook(io.BytesIO(school.client.get(url).data))["填写说明"]
        assert ws["A1"].value.startswith("'" + value) and ws["A1"].data_type == "s"


def test_marked_copy_and_core_writer_are_formula_safe():
    from portal.core.sheets import append_row, cell_value
    from portal.core.uploads import mark_errors_xlsx

    wb = Workbook()
    ws = wb.active
    for value in TRIGGER_VALUES:
        assert cell_value(value) == ("'" + value, None, True)
        r = append_row(ws, [value, 5, -5])
        _assert_inert(ws.cell(row=r, column=1), value)
        assert ws.cell(row=r, column=3).value == -5  # numbers stay numbers
    assert len(cell_value("=" + "x" * 40_000)[0]) == 32767  # the apostrophe counts toward Excel's limit

    data = to_bytes(workbook([row(1)]))
    out = load_workbook(io.BytesIO(mark_errors_xlsx(data, SHEET, [(2, "姓名", v) for v in TRIGGER_VALUES])))
    summary = [r[3] for r in out["错误说明"].iter_rows(min_row=2)]
    for cell, value in zip(summary, TRIGGER_VALUES):
        _assert_inert(cell, value)


def test_nominations_export_is_formula_safe(school, login_as):
    from portal.documents.render import SheetSpec, write_xlsx

    ws = load_workbook(io.BytesIO(write_xlsx([SheetSpec(title="x", headers=["a"], rows=[[v] for v in TRIGGER_VALUES])])))["x"]
    for r, value in zip(ws.iter_rows(min_row=2), TRIGGER_VALUES):
        _assert_inert(r[0], value)


# --- item 10: attachments ---------------------------------------------------------------------------

def _attach(school, data: bytes, filename: str, nom_id=None, raw_name: bytes | None = None):
    url = f"/{school.slug}/selection/nominations/{nom_id or school.draft_id}/attachments"
    if raw_name is None:
        return school.client.post(url, data={"kind": "evidence", "file": (io.BytesIO(data), filename)},
                                  content_type="multipart/form-data")
    # a browser on Windows sends the path as it is, backslashes unescaped
    body = (b'--B\r\nContent-Disposition: form-data; name="kind"\r\n\r\nevidence\r\n'
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="' + raw_name + b'"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n--B--\r\n")
    return school.client.post(url, data=body, content_type="multipart/form-data; boundary=B")


def _atts(school) -> list[NominationAttachment]:
    db.session.expire_all()
    with tenant_context(school.tenant_id, db.session):
        return list(db.session.scalars(sa.select(NominationAttachment).order_by(NominationAttachment.id)))


def _files(app) -> set[str]:
    """Every file under UPLOAD_FOLDER (the vault keeps them in per-tenant folders)."""
    folder = app.config["UPLOAD_FOLDER"]
    return {os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs}


def test_attachment_refused_after_the_nomination_is_submitted(school):
    from tests.selection.helpers import IN_WINDOW, SYSTEM

    with tenant_context(school.tenant_id, db.session):
        nom = db.session.get(Nomination, school.draft_id)
        ops.submit_nomination(nom, actor=None, roles=SYSTEM, today=IN_WINDOW)
        db.session.commit()
    before = _files(school.app)
    r = _attach(school, PNG, "证书.png")
    assert r.status_code == 409, r.get_data(as_text=True)[:500]
    assert "推荐已报送，不能再上传附件" in r.get_data(as_text=True)
    assert _atts(school) == [] and _files(school.app) == before


@pytest.mark.parametrize("given, stored", [
    ("证\x00书\x07\x1b.png", "证书.png"),                          # NUL and control characters
    ("a\u202egnp.pdf", "agnp.png"),                               # a right-to-left override; .pdf → .png
    ("长" * 300 + ".png", "长" * 251 + ".png"),                      # 300 characters: the extension kept
    ("扫描件.pdf", "扫描件.png"),                                     # the name follows the content type
    ("...", "附件.png"),
])
def test_attachment_names_are_cleaned(school, given, stored):
    r = _attach(school, PNG, given)
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    (att,) = _atts(school)
    assert att.original_name == stored and len(att.original_name) <= 255
    got = school.client.get(f"/{school.slug}/selection/attachments/{att.id}")
    assert got.mimetype == "image/png" and ".pdf" not in got.headers["Content-Disposition"]


@pytest.mark.parametrize("raw", ["C:\\Users\\li\\Desktop\\获奖证书.png".encode(), rb"\\fileserver\share\scan.png"])
def test_attachment_from_a_windows_path_keeps_its_base_name(school, raw):
    r = _attach(school, PNG, "", raw_name=raw)
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    (att,) = _atts(school)
    assert att.original_name == raw.decode().rsplit("\\", 1)[-1]


def test_attachment_file_is_written_after_the_row_and_removed_on_rollback(school, app):
    """The row is flushed first; the file is written only once the transaction commits (the vault),
    so a rollback of the transaction leaves no file (nothing orphaned when a later step or the
    commit fails)."""
    before = _files(app)
    with app.test_request_context(), tenant_context(school.tenant_id, db.session):
        nom = db.session.get(Nomination, school.draft_id)
        att = ops.store_attachment(nom, "evidence", "a.png", PNG, actor=None)
        assert att.id is not None and _files(app) == before
        db.session.rollback()
    assert _files(app) == before
    with app.test_request_context(), tenant_context(school.tenant_id, db.session):
        nom = db.session.get(Nomination, school.draft_id)
        att = ops.store_attachment(nom, "evidence", "b.png", PNG, actor=None)
        db.session.commit()
        path = ops.attachment_path(att)
    assert {os.path.relpath(path, app.config["UPLOAD_FOLDER"])} == _files(app) - before
    assert os.path.basename(path) == att.stored_name


# --- should fix: what schools type ---------------------------------------------------------------

@pytest.mark.parametrize("channel", CHANNELS)
def test_phones_and_political_statuses_as_schools_write_them(school, channel):
    rows = [row(1, phone="138-0013-8000", political_status="党员"),
            row(2, phone="+86 138 0013 8000", political_status="预备党员"),
            row(3, phone="(010)12345678", political_status="团员")]
    resp = school.upload(channel, to_bytes(workbook(rows)))
    noms = school.imported(channel, resp)
    assert [(n.phone, n.political_status) for n in noms] == [
        ("13800138000", "中共党员"), ("13800138000", "中共预备党员"), ("010-12345678", "共青团员")]
    if channel == "api":
        read_as = resp.get_json()["read_as"]
        assert {"row": 4, "column": "联系电话", "written": "(010)12345678", "read": "010-12345678"} in read_as
        assert {"row": 3, "column": "政治面貌", "written": "预备党员", "read": "中共预备党员"} in read_as
    else:
        page = school.client.get(resp.headers["Location"]).get_data(as_text=True)
        assert "以下内容已按规范写法读取" in page and "+86 138 0013 8000 → 13800138000" in page
        assert "党员 → 中共党员" in page


@pytest.mark.parametrize("channel", CHANNELS)
def test_month_only_publicity_date_is_refused(school, channel):
    data = to_bytes(workbook([row(1, publicity_start="2026年11月")]))
    school.rejected(channel, school.upload(channel, data), "第2行", "校内公示开始日期", "缺少日，无法确定是哪一天")


@pytest.mark.parametrize("channel", CHANNELS)
def test_merged_title_row_says_headers_belong_on_row_1(school, channel):
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(["某某大学驻会执行主席推荐人选汇总表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws.append(HEADERS)
    text = school.rejected(channel, school.upload(channel, to_bytes(wb)), "表头", "应位于第1行", "标题行")
    assert "数据区域不能有合并单元格" not in text


def test_web_form_shows_what_the_phone_was_read_as(school):
    from tests.selection.helpers import nominee

    d = nominee(5)
    d.update(birth_date=d["birth_date"].isoformat(), elected_on="2025-11-20", publicity_start="2026-11-02",
             publicity_end="2026-11-09", phone="+86 138 0013 8000", political_status="团员")
    r = school.client.post(f"/{school.slug}/selection/invitations/{school.inv_id}/nominations/new", data=d)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    page = school.client.get(r.headers["Location"]).get_data(as_text=True)
    assert "+86 138 0013 8000 → 13800138000" in page and "团员 → 共青团员" in page
