"""A6.1: a letter to a school without a liaison is marked delivered by hand — how, when, who."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core.audit import AuditRecord
from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection.models import Invitation
from tests.selection.helpers import invite, open_cycle, world


def _letter_without_liaison():
    w = world(1)
    open_cycle(w)
    inv = invite(w, w.schools[0])
    db.session.commit()
    with tenant_context(w.tenant.id, db.session):
        assert inv.sent_at is not None and inv.delivered_at is None  # no liaison: 待送达
        sent = inv.sent_at
    return w, inv.id, sent


def _beijing(utc: dt.datetime) -> str:
    return (utc + dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")


def test_A6_1_letter_delivered_by_fax_is_recorded_once_with_who_and_how(client, login_as, session):
    w, inv_id, sent = _letter_without_liaison()
    login_as(w.admin)
    page = client.get(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}").get_data(as_text=True)
    assert "该校尚无联络员账号" in page and "登记人工送达" in page
    when = sent
    form = {"method": "fax", "delivered_at": _beijing(when), "handed_by": "秘书处 李文", "received_by": "校团委 张老师"}
    resp = client.post(f"/{w.tenant.slug}/selection/invitations/{inv_id}/delivery", data=form)
    assert resp.status_code == 302
    with tenant_context(w.tenant.id, db.session):
        inv = db.session.get(Invitation, inv_id)
        db.session.refresh(inv)
        assert inv.delivery_method == "fax" and inv.delivered_at == when.replace(second=0, microsecond=0)
        assert "李文" in inv.delivery_note and "张老师" in inv.delivery_note
        assert inv.delivery_recorded_by_id == w.admin.id
    with tenant_context(w.tenant.id, db.session):
        rec = db.session.scalars(sa.select(AuditRecord).where(AuditRecord.action == "invitation.delivered")
                                 .order_by(AuditRecord.id.desc())).first()
    assert rec.after["method"] == "fax" and rec.after["received_by"] == "校团委 张老师"
    # a second record is refused: the first stands
    again = client.post(f"/api/v1/{w.tenant.slug}/selection/invitations/{inv_id}/delivery",
                        json={**form, "method": "post"})
    assert again.status_code == 409
    with tenant_context(w.tenant.id, db.session):
        assert db.session.get(Invitation, inv_id).delivery_method == "fax"


def test_A6_1_manual_delivery_is_checked(client, login_as, session):
    w, inv_id, sent = _letter_without_liaison()
    login_as(w.admin)
    url = f"/api/v1/{w.tenant.slug}/selection/invitations/{inv_id}/delivery"
    ok = {"method": "post", "delivered_at": _beijing(sent), "handed_by": "李文",
          "received_by": "张老师"}
    cases = [({"method": "pigeon"}, "method"), ({"delivered_at": "yesterday"}, "delivered_at"),
             ({"delivered_at": _beijing(dt.datetime.utcnow() + dt.timedelta(days=2))}, "delivered_at"),
             ({"delivered_at": _beijing(sent - dt.timedelta(days=3))}, "delivered_at"),
             ({"received_by": " "}, "received_by"), ({"handed_by": "x" * 61}, "handed_by")]
    for change, field in cases:
        resp = client.post(url, json={**ok, **change})
        assert resp.status_code in (400, 422), (change, resp.get_json())
        assert field in resp.get_data(as_text=True) or resp.get_json()["error"]["message"], change
    resp = client.post(url, json={k: v for k, v in ok.items() if k != "handed_by"})
    assert resp.status_code == 422 and "handed_by" in resp.get_data(as_text=True)
    with tenant_context(w.tenant.id, db.session):
        assert db.session.get(Invitation, inv_id).delivered_at is None
    resp = client.post(url, json=ok)
    assert resp.status_code == 200 and resp.get_json()["delivery_method"] == "post"


def test_A6_1_only_staff_of_the_tenant_record_delivery(client, login_as, session):
    from tenants.models import Role
    from tests.factories import TenantFactory, member

    w, inv_id, sent = _letter_without_liaison()
    form = {"method": "fax", "delivered_at": _beijing(sent), "handed_by": "a", "received_by": "b"}
    login_as(member(w.tenant, Role.approver))
    assert client.post(f"/{w.tenant.slug}/selection/invitations/{inv_id}/delivery", data=form).status_code == 403
    client.get("/logout")
    other = TenantFactory()
    login_as(member(other))
    assert client.post(f"/api/v1/{other.slug}/selection/invitations/{inv_id}/delivery", json=form).status_code == 404


def test_unknown_choices_on_the_web_forms_are_clear_errors_not_500(client, login_as, session):
    """Issue 8 item 5: a route or review level the enum does not know is refused in Chinese."""
    w, inv_id, sent = _letter_without_liaison()
    login_as(w.admin)
    resp = client.post(f"/{w.tenant.slug}/selection/cycles/{w.cycle.id}/invitations",
                       data={"mode": "school", "school_id": str(w.schools[0].id), "route": "bribery"})
    assert resp.status_code == 400 and "途径「bribery」无效" in resp.get_data(as_text=True)
