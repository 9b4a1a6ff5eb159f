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


def _login(client, user):
    r = client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert r.status_code == 302


def _open_today(w):
    with tenant_context(w.tenant.id, db.session):
        w.cycle = ops.open_cycle(w.tenant, "2030-2031", actor=w.admin, opened_on=dt.date.today())
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
