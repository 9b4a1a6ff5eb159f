"""Reference data (A2, A5.2): provinces, schools, unions, presidium memberships, import."""
import io

import openpyxl
import sqlalchemy as sa

from portal.extensions import db
from portal.reference.models import PresidiumMembership, Province, School, StudentUnion
from portal.reference.operations import IMPORT_HEADERS
from tests.factories import PresidiumFactory, SchoolFactory, TenantFactory, UnionFactory, member


def test_A2_31_provinces_with_codes(session):
    provinces = db.session.scalars(sa.select(Province)).all()
    assert len(provinces) == 31
    assert {p.code: p.name for p in provinces}["44"] == "广东省"


def _csv(rows):
    lines = [",".join(IMPORT_HEADERS)] + [",".join(r) for r in rows]
    return io.BytesIO("\n".join(lines).encode("utf-8-sig"))


def _xlsx(rows, sheet="学校与组织"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(IMPORT_HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


GOOD = [
    ["4144010558", "中山大学", "广东省", "学生会", "中山大学学生会", "是", "第二十七届", "2023-08-21", "2028-08-31"],
    ["4144010558", "中山大学", "广东", "研究生会", "中山大学研究生会", "否", "", "", ""],
    ["4144010561", "华南理工大学", "44", "学生会", "华南理工大学学生会", "是", "第二十七届", "2023年8月", ""],
]


def test_A2_import_csv_creates_schools_unions_and_terms(client, login_as, session):
    t = TenantFactory()
    login_as(member(t))
    resp = client.post(f"/{t.slug}/schools/import", data={"file": (_csv(GOOD), "schools.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    from portal.core.db import tenant_context

    with tenant_context(t.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(School)) == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StudentUnion)) == 3
        terms = db.session.scalars(sa.select(PresidiumMembership)).all()
        assert len(terms) == 2 and {str(m.term_start) for m in terms} == {"2023-08-21", "2023-08-01"}


def test_A2_bad_row_is_reported_and_nothing_saved(client, login_as, session):
    t = TenantFactory()
    login_as(member(t))
    bad = GOOD + [["12ab", "某大学", "火星", "团委", "", "也许", "", "", ""]]
    resp = client.post(f"/{t.slug}/schools/import", data={"file": (_xlsx(bad), "schools.xlsx")},
                       content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for col in ("学校标识码", "所在省份", "组织类型", "组织名称", "是否主席团成员团体"):
        assert col in page
    assert "第5行" in page or "第</td>" in page or ">第5" in page or "5行" in page
    from portal.core.db import tenant_context

    with tenant_context(t.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(School)) == 0


def test_import_rejects_wrong_sheet_and_api_reports_rows(client, login_as, session):
    t = TenantFactory()
    login_as(member(t))
    resp = client.post(f"/{t.slug}/schools/import", data={"file": (_xlsx(GOOD, sheet="Sheet9"), "s.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and "学校与组织" in resp.get_data(as_text=True)
    resp = client.post(f"/api/v1/{t.slug}/schools/import",
                       data={"file": (_csv([["1", "x", "y", "z", "", "否", "", "", ""]]), "s.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    errors = resp.json["error"]["details"]["errors"]
    assert {e["row"] for e in errors} == {2} and {"学校标识码", "所在省份", "组织类型"} <= {e["column"] for e in errors}


def test_upload_limit_413(app, client, login_as, session):
    t = TenantFactory()
    login_as(member(t))
    big = io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10))
    resp = client.post(f"/{t.slug}/schools/import", data={"file": (big, "big.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 413 and "文件过大" in resp.get_data(as_text=True)
    resp = client.post(f"/api/v1/{t.slug}/schools/import", data={"file": (io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)), "big.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 413 and resp.json["error"]["status"] == 413


def test_school_list_has_no_n_plus_one(client, login_as, session, query_counter):
    """The schools page issues the same number of queries at 3 and at 30 schools."""
    t = TenantFactory()
    admin = member(t)

    def add(n):
        for _ in range(n):
            PresidiumFactory(union=UnionFactory(school=SchoolFactory(tenant=t), tenant=t), tenant=t)

    add(3)
    login_as(admin)
    client.get(f"/{t.slug}/schools/")
    with query_counter() as few:
        assert client.get(f"/{t.slug}/schools/").status_code == 200
    add(27)
    db.session.commit()
    with query_counter() as many:
        page = client.get(f"/{t.slug}/schools/").get_data(as_text=True)
    assert page.count("第二十七届") >= 30
    assert many.count == few.count
    with query_counter() as api_few:
        client.get(f"/api/v1/{t.slug}/schools?per_page=3")
    with query_counter() as api_many:
        assert len(client.get(f"/api/v1/{t.slug}/schools?per_page=30").json["items"]) == 30
    assert api_few.count == api_many.count


def test_A5_2_presidium_term_validity(session):
    pm = PresidiumFactory()
    import datetime as dt

    assert pm.valid_on(dt.date(2025, 1, 1)) and not pm.valid_on(dt.date(2029, 1, 1))
