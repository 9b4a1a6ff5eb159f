"""Hostile and awkward nomination workbooks and attachments through the real endpoints (A6.2).

Each case goes through the liaison's upload on the page and through the API (token auth):
a clear Chinese reason naming the row and column where there is one, or a correct import;
a rejected upload stores nothing and leaves the school's existing draft untouched.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from portal.core.db import tenant_context
from portal.core.idcard import LOST_DIGITS_MESSAGE, make_id_number
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Nomination, NominationAttachment
from portal.selection.xlsx import HEADERS, KEY_OF, SHEET
from tenants.models import Role
from tests.factories import member
from tests.selection.helpers import draft, invite, nominee, world
from tests.suite_clock import SUITE_TODAY

CHANNELS = ["ui", "api"]


def row(seq: int, **over) -> dict:
    """One nominee as a liaison types it: text dates, publicity already over."""
    d = nominee(seq)
    d.update(elected_on="2025-11-20", publicity_start="2026-11-02", publicity_end="2026-11-09",
             birth_date=d["birth_date"].isoformat())
    d.update(over)
    return d


def workbook(rows: list[dict], title: str = SHEET) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(HEADERS)
    for r in rows:
        ws.append([r.get(KEY_OF[h]) for h in HEADERS])
    return wb


def to_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The same workbook with some parts replaced or added (what an attacker's tool does)."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name, body in add.items():
            dst.writestr(name, body)
    return out.getvalue()


class School:
    """A liaison with an open invitation and one existing draft."""

    def __init__(self, app, client, login_as):
        from portal.auth.operations import issue_token

        self.app, self.client = app, client
        w = world(1)
        with tenant_context(w.tenant.id, db.session):
            w.cycle = ops.open_cycle(w.tenant, "2030-2031", actor=w.admin, opened_on=SUITE_TODAY)
        inv = invite(w, w.schools[0])
        self.draft_id = draft(w, inv, 90, elected_on=dt.date(2025, 11, 20)).id
        self.tenant_id, self.slug, self.inv_id = w.tenant.id, w.tenant.slug, inv.id
        self.liaison = member(w.tenant, Role.school_liaison, school_id=w.schools[0].id)
        with tenant_context(w.tenant.id, db.session):
            _tok, raw = issue_token(self.liaison, "学校系统", self.liaison)
        self.auth = {"Authorization": f"Bearer {raw}"}
        self.api = app.test_client()  # a school's system: the token only, no browser session
        login_as(self.liaison)

    def upload(self, channel: str, data: bytes, filename: str = "推荐人选.xlsx"):
        files = {"file": (io.BytesIO(data), filename)}
        if channel == "ui":
            return self.client.post(f"/{self.slug}/selection/invitations/{self.inv_id}/upload", data=files,
                                    content_type="multipart/form-data")
        return self.api.post(f"/api/v1/{self.slug}/selection/invitations/{self.inv_id}/upload", data=files,
                                content_type="multipart/form-data", headers=self.auth)

    def nominations(self) -> list[Nomination]:
        db.session.expire_all()
        with tenant_context(self.tenant_id, db.session):
            return list(db.session.scalars(sa.select(Nomination).order_by(Nomination.id)))

    def rejected(self, channel: str, resp, *needles: str, status: int = 422) -> str:
        """Assert the refusal, its Chinese reason, and that nothing changed; return the text."""
        assert resp.status_code == status, resp.get_data(as_text=True)[:1500]
        if channel == "api":
            err = resp.get_json()["error"]
            assert err["status"] == status
            errors = (err.get("details") or {}).get("errors", [])
            text = err["message"] + "".join(
                (f"第{e['row']}行" if e.get("row") else "") + (e.get("column") or "") + e["message"] for e in errors)
        else:
            assert resp.mimetype == "text/html"
            text = re.sub(r"<[^>]+>", "", resp.get_data(as_text=True))
        for n in needles:
            assert n in text, f"{n!r} not in {text[:1500]!r}"
        assert [(n.id, n.name) for n in self.nominations()] == [(self.draft_id, "候选人90")], \
            "a rejected upload changed the school's drafts"
        return text

    def imported(self, channel: str, resp) -> list[Nomination]:
        assert resp.status_code == (201 if channel == "api" else 302), resp.get_data(as_text=True)[:3000]
        noms = self.nominations()
        assert "候选人90" not in [n.name for n in noms]  # the re-upload replaced the old draft
        return noms


@pytest.fixture()
def school(app, client, login_as):
    return School(app, client, login_as)


# --- the container: zip bombs and XML entities -------------------------------------------------

@pytest.mark.parametrize("channel", CHANNELS)
def test_A6_2_zip_bomb_over_uncompressed_size_cap_is_refused(school, channel):
    # 60 parts just under 1 MB of zeros each: ~60 KB on the wire, 60 MB unpacked (cap 50 MB).
    pad = {f"xl/media/pad{i}.bin": b"\0" * (1024 * 1024 - 1) for i in range(60)}
    data = rezip(to_bytes(workbook([row(1)])), add=pad)
    assert len(data) < 1024 * 1024
    school.rejected(channel, school.upload(channel, data), "解压后", "超过了 50.0 MB 的上限")


@pytest.mark.parametrize("channel", CHANNELS)
def test_A6_2_zip_bomb_single_part_compression_ratio_is_refused(school, channel):
    data = rezip(to_bytes(workbook([row(1)])), add={"xl/media/bomb.bin": b"\0" * (40 * 1024 * 1024)})
    school.rejected(channel, school.upload(channel, data), "压缩比异常", "疑似压缩炸弹")


@pytest.mark.parametrize("channel", CHANNELS)
def test_A6_2_zip_bomb_over_entry_count_cap_is_refused(school, channel):
    data = rezip(to_bytes(workbook([row(1)])), add={f"xl/media/p{i}.bin": b"x" for i in range(250)})
    school.rejected(channel, school.upload(channel, data), "个部件，超过 200 个的上限", "疑似压缩炸弹")


BILLION_LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b']>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    b"<si><t>&lol9;</t></si></sst>"
)


def with_shared_strings(data: bytes, sst: bytes) -> bytes:
    """Move A2's text into a shared-strings part, as Excel itself writes it."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        rels, types, sheet = (z.read(n).decode() for n in
                              ("xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/worksheets/sheet1.xml"))
    rels = rels.replace("</Relationships>", '<Relationship Id="rIdSst" Target="sharedStrings.xml" Type="http://'
                        'schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>')
    types = types.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                          'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    sheet, n = re.subn(r'<c r="A2" t="inlineStr"><is><t>[^<]*</t></is></c>', '<c r="A2" t="s"><v>0</v></c>', sheet)
    assert n == 1
    return rezip(data, replace={"xl/_rels/workbook.xml.rels": rels.encode(), "[Content_Types].xml": types.encode(),
                                "xl/worksheets/sheet1.xml": sheet.encode()}, add={"xl/sharedStrings.xml": sst})


@pytest.mark.parametrize("channel", CHANNELS)
def test_A6_2_billion_laughs_in_shared_strings_is_refused(school, channel):
    data = with_shared_strings(to_bytes(workbook([row(1)])), BILLION_LAUGHS)
    school.rejected(channel, school.upload(channel, data), "不安全的 XML 声明", "xl/sharedStrings.xml")


# --- the sheet: name, merged cells ----------------------------------------------------------------

@pytest.mark.parametrize("channel", CHANNELS)
def test_A6_2_wrong_sheet_name_names_the_expected_and_found_sheets(school, channel):
    data = to_bytes(workbook([row(1)], title="Sheet1"))
    school.rejected(channel, school.upload(channel, data), f"没有名为「{SHEET}」的工作表", "「Sheet1」")


@pytest.mark.parametrize("channel", CHANNELS)
def test_A6_2_merged_cells_are_refused_with_row_and_column(school, channel):
    wb = workbook([row(1), row(2)])
    wb.active.merge_cells("C2:C3")  # 民族 typed once for two nominees
    text = school.rejected(channel, school.upload(channel, to_bytes(wb)), "合并单元格", "C2:C3", "第2行", "民族")
    assert "取消合并" in text


# --- the cells: ID numbers, dates, full-width digits ------------------------------------------------

@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("stored", ["number", "scientific text"])
def test_A6_2_id_number_stored_as_number_is_refused_as_lost_digits(school, channel, stored):
    idn = make_id_number("440106", dt.date(2003, 5, 3), 102)
    value = float(idn[:17]) * 10 if stored == "number" else "4.40106E+17"
    data = to_bytes(workbook([row(1), row(2, id_number=value)]))
    school.rejected(channel, school.upload(channel, data), "第3行", "身份证号", LOST_DIGITS_MESSAGE)


@pytest.mark.parametrize("channel", CHANNELS)
def test_A6_2_dates_typed_as_text_are_imported_as_dates(school, channel):
    birth = dt.date(2003, 5, 1)
    rows = [row(1, birth_date="2003.05", id_number=make_id_number("440106", birth, 101), elected_on="2025年11月"),
            row(2, birth_date="2003年5月", id_number=make_id_number("440106", birth, 102), elected_on="2025.10")]
    (a, b) = school.imported(channel, school.upload(channel, to_bytes(workbook(rows))))
    assert (a.birth_date, a.elected_on) == (birth, dt.date(2025, 11, 1))
    assert (b.birth_date, b.elected_on) == (birth, dt.date(2025, 10, 1))


FULLWIDTH = str.maketrans("0123456789-X", "０１２３４５６７８９－Ｘ")


@pytest.mark.parametrize("channel", CHANNELS)
def test_A6_2_full_width_digits_are_imported_as_plain_digits(school, channel):
    birth = dt.date(2003, 5, 2)
    idn = make_id_number("440106", birth, 101)
    r = row(1, id_number=idn.translate(FULLWIDTH), birth_date="２００３－０５－０２", grade_rank="３",
            grade_cohort="１２０", phone="１３８００１３８０００", publicity_start="２０２６年１１月２日")
    (nom,) = school.imported(channel, school.upload(channel, to_bytes(workbook([r]))))
    assert (nom.id_number, nom.birth_date, nom.grade_rank, nom.grade_cohort, nom.phone, nom.publicity_start) == \
        (idn, birth, 3, 120, "13800138000", dt.date(2026, 11, 2))


# --- attachments: judged by content, stored under a generated name -----------------------------------

PNG = (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       + b"\x1f\x15\xc4\x89" + b"\x00\x00\x00\x0bIDATx\x9cc\xf8\x0f\x00\x01\x01\x01\x00\x18\xdd\x8d\xb0"
       + b"\x00\x00\x00\x00IEND\xaeB`\x82")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode."


def _attach(school, data: bytes, filename: str):
    return school.client.post(f"/{school.slug}/selection/nominations/{school.draft_id}/attachments",
                              data={"kind": "evidence", "file": (io.BytesIO(data), filename)},
                              content_type="multipart/form-data")


def _attachments(school) -> list[NominationAttachment]:
    db.session.expire_all()
    with tenant_context(school.tenant_id, db.session):
        return list(db.session.scalars(sa.select(NominationAttachment)))


def _stored_files(app) -> set[str]:
    """Every file under UPLOAD_FOLDER (the vault keeps them in per-tenant folders)."""
    folder = app.config["UPLOAD_FOLDER"]
    return {os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs}


def test_A6_2_exe_renamed_pdf_is_refused_by_content(school):
    before = _stored_files(school.app)
    resp = _attach(school, EXE, "成绩证明.pdf")
    assert resp.status_code == 400
    text = resp.get_data(as_text=True)
    assert "只能上传 PDF、JPG、PNG" in text and "Windows 可执行程序" in text and "修改文件扩展名" in text
    assert _attachments(school) == [] and _stored_files(school.app) == before


def test_A6_2_png_named_pdf_is_stored_as_png_under_a_generated_name(school):
    resp = _attach(school, PNG, "获奖证书.pdf")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:1000]
    (att,) = _attachments(school)
    # the name follows the content (issue 8, item 10): never a PNG served as image/png under a .pdf name
    assert att.file_type == "png" and att.original_name == "获奖证书.png" and att.size == len(PNG)
    assert re.fullmatch(r"[0-9a-f]{32}\.png", att.stored_name)
    with school.app.test_request_context(), tenant_context(school.tenant_id, db.session):
        path = ops.attachment_path(att)  # in the tenant's folder of the vault, under the generated name
    assert os.path.basename(path) == att.stored_name
    with open(path, "rb") as fh:
        assert fh.read() == PNG
    got = school.client.get(f"/{school.slug}/selection/attachments/{att.id}")
    assert got.status_code == 200 and got.mimetype == "image/png" and got.data == PNG
    assert ".png" in got.headers["Content-Disposition"] and ".pdf" not in got.headers["Content-Disposition"]


# --- the request: over MAX_CONTENT_LENGTH -----------------------------------------------------------

@pytest.mark.parametrize("channel", CHANNELS)
def test_A6_2_upload_over_max_content_length_is_413_in_chinese(school, channel):
    limit = school.app.config["MAX_CONTENT_LENGTH"]
    resp = school.upload(channel, b"PK\x03\x04" + b"\0" * limit)
    text = school.rejected(channel, resp, "文件过大" if channel == "ui" else "上传的文件", status=413)
    assert f"{limit // (1024 * 1024)} MB" in text
    if channel == "api":
        assert resp.get_json()["error"]["status"] == 413
