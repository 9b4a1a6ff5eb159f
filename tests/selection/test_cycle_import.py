"""The secretariat's workbook for a whole cycle (A6.2): one file, many schools, all or nothing."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Invitation, Nomination
from portal.selection.xlsx import CYCLE_HEADERS, KEY_OF, REASON_HEADER, SCHOOL_HEADER, SHEET
from tenants.models import Role
from tests.factories import member
from tests.selection.helpers import invite, world
from tests.selection.test_upload_edges import row
from tests.suite_clock import SUITE_TODAY

CHANNELS = ["ui", "api"]


def workbook(rows: list[tuple[str, dict, str | None]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(CYCLE_HEADERS)
    for code, r, reason in rows:
        ws.append([code] + [r.get(KEY_OF[h]) for h in CYCLE_HEADERS[1:-1]] + [reason])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class Secretariat:
    def __init__(self, app, client, login_as):
        from portal.auth.operations import issue_token

        self.app, self.client = app, client
        w = world(2)
        with tenant_context(w.tenant.id, db.session):
            w.cycle = ops.open_cycle(w.tenant, "2030-2031", actor=w.admin, opened_on=SUITE_TODAY)
        self.invs = [invite(w, s) for s in w.schools]
        self.codes = [s.code for s in w.schools]
        self.w, self.slug, self.cycle_id = w, w.tenant.slug, w.cycle.id
        with tenant_context(w.tenant.id, db.session):
            self.per_school = w.cycle.rule("selection.nominees_per_school")
            _tok, raw = issue_token(w.admin, "秘书处系统", w.admin)
        self.auth = {"Authorization": f"Bearer {raw}"}
        self.api = app.test_client()
        login_as(w.admin)

    def upload(self, channel, data, client=None, cycle_id=None, auth=None):
        files = {"file": (io.BytesIO(data), "汇总.xlsx")}
        cid = cycle_id or self.cycle_id
        if channel == "ui":
            return (client or self.client).post(f"/{self.slug}/selection/cycles/{cid}/nominations/import",
                                                data=files, content_type="multipart/form-data")
        return self.api.post(f"/api/v1/{self.slug}/selection/cycles/{cid}/nominations/import", data=files,
                             content_type="multipart/form-data", headers=auth or self.auth)

    def nominations(self):
        db.session.expire_all()
        with tenant_context(self.w.tenant.id, db.session):
            return list(db.session.scalars(sa.select(Nomination).where(Nomination.cycle_id == self.cycle_id)
                                           .order_by(Nomination.id)))

    def error_text(self, channel, resp) -> str:
        assert resp.status_code == 422, resp.get_data(as_text=True)[:1500]
        if channel == "api":
            errors = resp.get_json()["error"]["details"]["errors"]
            return "".join(f"第{e['row']}行{e.get('column') or ''}{e['message']}" for e in errors)
        return re.sub(r"<[^>]+>", "", resp.get_data(as_text=True))


@pytest.fixture()
def sec(app, client, login_as):
    return Secretariat(app, client, login_as)


@pytest.mark.parametrize("channel", CHANNELS)
def test_A6_2_cycle_workbook_imports_every_school_with_audit(sec, channel):
    a, b = sec.codes
    n = sec.per_school
    rows = [(a, row(i), None) for i in range(n)] + [(a, row(50), "省学联推荐增加一名")] + \
        [(b, row(60 + i), None) for i in range(n)]
    resp = sec.upload(channel, workbook(rows))
    assert resp.status_code == (201 if channel == "api" else 302), resp.get_data(as_text=True)[:2000]
    noms = sec.nominations()
    assert len(noms) == 2 * n + 1
    assert {x.school_id for x in noms} == {s.id for s in sec.w.schools}
    assert all(x.status.value == "draft" and x.source == "xlsx" for x in noms)
    with tenant_context(sec.w.tenant.id, db.session):
        inv = db.session.get(Invitation, sec.invs[0].id)
        assert (inv.extra_nominees, inv.extra_reason) == (1, "省学联推荐增加一名")
        actions = [r.action for r in db.session.scalars(sa.select(AuditRecord).where(
            AuditRecord.action.in_(["nomination.created", "nomination.imported", "invitation.extra_nominees"])))]
    assert actions.count("nomination.created") == 2 * n + 1
    assert actions.count("nomination.imported") == 1 and actions.count("invitation.extra_nominees") == 1


@pytest.mark.parametrize("channel", CHANNELS)
def test_A6_2_cycle_workbook_bad_row_stores_nothing_and_names_row_and_column(sec, channel):
    a, b = sec.codes
    rows = [(a, row(1), None), (b, row(2, gender="未知"), None), ("9999999999", row(3), None)]
    text = sec.error_text(channel, sec.upload(channel, workbook(rows)))
    assert "第3行" in text and "性别" in text
    assert "第4行" in text and SCHOOL_HEADER in text
    assert sec.nominations() == []


@pytest.mark.parametrize("channel", CHANNELS)
def test_A6_2_cycle_workbook_over_the_limit_without_reason_is_refused(sec, channel):
    a, _ = sec.codes
    rows = [(a, row(i), None) for i in range(sec.per_school + 1)]
    text = sec.error_text(channel, sec.upload(channel, workbook(rows)))
    assert f"第{sec.per_school + 2}行" in text and REASON_HEADER in text and "上限" in text
    assert sec.nominations() == []
    with tenant_context(sec.w.tenant.id, db.session):
        assert db.session.get(Invitation, sec.invs[0].id).extra_nominees == 0


@pytest.mark.parametrize("role", [Role.secretariat_staff, Role.provincial_reviewer])
def test_A6_2_cycle_workbook_is_for_the_secretariat_admin_only(sec, app, role):
    from tests.conftest import login

    other = member(sec.w.tenant, role, province_code="44") if role == Role.provincial_reviewer \
        else member(sec.w.tenant, role)
    client = app.test_client()
    login(client, other, "correct horse battery")
    resp = sec.upload("ui", workbook([(sec.codes[0], row(1), None)]), client=client)
    assert resp.status_code == 403
    assert sec.nominations() == []


@pytest.mark.parametrize("channel", CHANNELS)
def test_A6_2_cycle_workbook_for_another_tenants_cycle_is_404(sec, channel):
    o = world(1, province="11")
    with tenant_context(o.tenant.id, db.session):
        o.cycle = ops.open_cycle(o.tenant, "2030-2031", actor=o.admin, opened_on=SUITE_TODAY)
        other_cycle = o.cycle.id
    resp = sec.upload(channel, workbook([(sec.codes[0], row(1), None)]), cycle_id=other_cycle)
    assert resp.status_code == 404


def test_A6_2_cycle_workbook_error_copy_downloads_for_its_cycle_only(sec):
    """The refused workbook's error-marked copy is served under its cycle; a malformed token,
    an unknown one or another cycle's URL is a 404."""
    a, _ = sec.codes
    resp = sec.upload("ui", workbook([(a, row(1, gender="未知"), None)]))
    assert resp.status_code == 422
    link = re.search(r'href="([^"]+import-errors/([0-9a-f]{32})\.xlsx)"', resp.get_data(as_text=True))
    got = sec.client.get(link.group(1))
    assert got.status_code == 200 and got.data.startswith(b"PK")
    token = link.group(2)
    base = f"/{sec.slug}/selection/cycles/{sec.cycle_id}/import-errors"
    assert sec.client.get(f"{base}/not-a-token.xlsx").status_code == 404
    assert sec.client.get(f"{base}/{'0' * 32}.xlsx").status_code == 404
    with tenant_context(sec.w.tenant.id, db.session):
        other = ops.open_cycle(sec.w.tenant, "2031-2032", actor=sec.w.admin, opened_on=SUITE_TODAY)
        db.session.commit()
    assert sec.client.get(f"/{sec.slug}/selection/cycles/{other.id}/import-errors/{token}.xlsx").status_code == 404
