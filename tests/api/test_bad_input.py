"""Bad input is a clear error, never a 500 (issue 8, item 5): cell parsers, JSON bodies, lengths."""
from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Nomination
from portal.selection.xlsx import HEADERS, KEY_OF, SHEET
from tests.selection.helpers import invite, nominee, world
from tests.suite_clock import SUITE_TODAY


def _login(client, user):
    r = client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert r.status_code == 302


def _open_today(w):
    with tenant_context(w.tenant.id, db.session):
        w.cycle = ops.open_cycle(w.tenant, "2030-2031", actor=w.admin, opened_on=SUITE_TODAY)
    return w.cycle


def _form_row(**over) -> dict:
    d = nominee(1, **over)
    d["publicity_start"], d["publicity_end"] = dt.date(2026, 11, 2), dt.date(2026, 11, 9)
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in d.items()}


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(HEADERS)
    for r in rows:
        ws.append([r.get(KEY_OF[h]) for h in HEADERS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Nomination))


@pytest.mark.parametrize("union", ["", "   ", "团委"])
def test_blank_or_unknown_union_is_a_field_error_everywhere(client, session, union):
    """所在学生组织 blank or unknown: the web form, the JSON API and the upload name the field."""
    w = world(1)
    _open_today(w)
    inv = invite(w, w.schools[0])
    inv_id, slug = inv.id, w.tenant.slug
    _login(client, w.admin)
    row = _form_row(union=union)

    r = client.post(f"/{slug}/selection/invitations/{inv_id}/nominations/new", data=row)
    assert r.status_code == 400
    assert "所在学生组织" in r.get_data(as_text=True)

    r = client.post(f"/api/v1/{slug}/selection/invitations/{inv_id}/nominations", json=row)
    assert r.status_code == 422, r.get_data(as_text=True)[:500]
    assert "所在学生组织" in r.json["error"]["details"]

    r = client.post(f"/api/v1/{slug}/selection/invitations/{inv_id}/upload",
                    data={"file": (io.BytesIO(_xlsx([row])), "a.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 422, r.get_data(as_text=True)[:500]
    assert any(e.get("column") == "所在学生组织" for e in r.json["error"]["details"]["errors"]), r.json
    with tenant_context(w.tenant.id, db.session):
        assert _count() == 0


# --- lengths come from the columns (PostgreSQL refused them with a 500) ------------------------

def _schools_csv(term_label: str) -> io.BytesIO:
    from portal.reference.operations import IMPORT_HEADERS

    row = ["4144010558", "中山大学", "广东省", "学生会", "中山大学学生会", "是", term_label, "2023-08-21", ""]
    return io.BytesIO("\n".join([",".join(IMPORT_HEADERS), ",".join(row)]).encode("utf-8-sig"))


def test_overlong_term_label_is_a_row_error_on_the_school_import(client, session):
    from portal.reference.models import PresidiumMembership, School
    from tests.factories import TenantFactory, member
    from tenants.models import Role

    t = TenantFactory()
    _login(client, member(t, Role.secretariat_admin))
    r = client.post(f"/api/v1/{t.slug}/schools/import", data={"file": (_schools_csv("第" * 61), "s.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 422, r.get_data(as_text=True)[:500]
    errors = r.json["error"]["details"]["errors"]
    assert errors == [{"row": 2, "column": "届次", "message": "「届次」不能超过 60 个字符，当前为 61 个"}]
    r = client.post(f"/{t.slug}/schools/import", data={"file": (_schools_csv("第" * 61), "s.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "不能超过 60 个字符" in r.get_data(as_text=True)
    with tenant_context(t.id, db.session):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(School)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PresidiumMembership)) == 0


def _holiday_table(name="元旦") -> bytes:
    return f"日期,类型,名称\n2031-01-01,休,{name}\n2031-01-04,班,元旦\n".encode()


def test_overlong_holiday_name_or_source_is_refused_before_the_write(client, session):
    from portal.core.calendar import HolidayYear
    from tests.factories import NationalTenantFactory, member

    national = NationalTenantFactory()
    _login(client, member(national))
    r = client.post(f"/{national.slug}/workdays/import",
                    data={"year": "2031", "file": (io.BytesIO(_holiday_table("节" * 41)), "2031.csv")})
    assert r.status_code == 422
    assert "「名称」不能超过 40 个字符" in r.get_data(as_text=True)
    r = client.post(f"/{national.slug}/workdays/import",
                    data={"year": "2031", "source": "通" * 201, "file": (io.BytesIO(_holiday_table()), "2031.csv")})
    assert r.status_code == 422
    assert "不能超过 200 个字符" in r.get_data(as_text=True)
    r = client.post(f"/api/v1/{national.slug}/workdays/years/2031",
                    data={"source": "通" * 201, "file": (io.BytesIO(_holiday_table()), "2031.csv")})
    assert r.status_code == 422, r.get_data(as_text=True)[:500]
    assert "不能超过 200 个字符" in r.json["error"]["details"]["source"]
    assert db.session.get(HolidayYear, 2031) is None


def test_every_flush_checks_string_lengths_against_the_columns(session):
    """The shared net under every form, API, admin and job write, on SQLite as on PostgreSQL."""
    from portal.core.calendar import HolidayYear
    from portal.core.lengths import TooLong

    db.session.add(HolidayYear(year=2033, source="来" * 201))
    with pytest.raises(TooLong) as ei:
        db.session.flush()
    assert ei.value.status == 422 and ei.value.field == "source"
    assert ei.value.message == "「来源」不能超过 200 个字符，当前为 201 个"
    db.session.rollback()
    db.session.add(HolidayYear(year=2033, source="来" * 200))
    db.session.flush()  # at the limit: written
