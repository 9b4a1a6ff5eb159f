"""Tenant isolation (A22: every federation's data is its own), walked over the URL map.

Tenant A's user, holding every role in A, calls every route that takes an object id —
views, API, admin, downloads — with tenant B's ids. Nothing of B may be read or changed.
On PostgreSQL the same walk runs again with the application filter switched off, so that
row-level security alone must hold.
"""
from __future__ import annotations

import hashlib
import json
import re

import pytest
import sqlalchemy as sa

from portal.core.db import TenantScoped, reset_app_filter, set_app_filter, tenant_context
from portal.extensions import db
from tenants.models import Role, Tenant
from tests.conftest import IS_PG
from tests.factories import MembershipFactory, SchoolFactory, TenantFactory, UserFactory

INT_ARG = re.compile(r"<int:(\w+)>")


def tenant_models():
    return [m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)]


def fingerprint(tenant_id: int) -> str:
    """A hash of every tenant-owned row of one tenant (read inside that tenant)."""
    h = hashlib.sha256()
    with tenant_context(tenant_id, db.session):
        for model in sorted(tenant_models(), key=lambda m: m.__tablename__):
            table = model.__table__
            rows = db.session.execute(
                sa.select(table).where(table.c.tenant_id == tenant_id).order_by(*table.primary_key.columns)
            ).all()
            h.update(model.__tablename__.encode())
            h.update(json.dumps([list(r) for r in rows], default=str, ensure_ascii=False).encode())
    return h.hexdigest()


def b_ids(tenant_id: int) -> dict[str, list[int]]:
    """Every tenant-owned id of B, by table."""
    found = {}
    with tenant_context(tenant_id, db.session):
        for model in tenant_models():
            pk = list(model.__table__.primary_key.columns)
            if len(pk) != 1:
                continue
            found[model.__tablename__] = list(db.session.scalars(
                sa.select(pk[0]).where(model.__table__.c.tenant_id == tenant_id).limit(40)))
    return found


def b_markers(tenant_id: int) -> set[str]:
    """Distinctive strings of B's data (names, titles) that must never show up for A."""
    markers = set()
    with tenant_context(tenant_id, db.session):
        for model in tenant_models():
            for col in ("name", "title", "full_name", "nominee_name"):
                if col in model.__table__.c:
                    t = model.__table__
                    for v in db.session.scalars(sa.select(t.c[col]).where(t.c.tenant_id == tenant_id)):
                        if isinstance(v, str) and len(v) >= 4:
                            markers.add(v)
    return markers


@pytest.fixture()
def two_tenants(session):
    from portal.demo import load_demo

    load_demo()  # tenant B: the demo's national federation with all its data
    b = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "acsf"))
    a = TenantFactory(slug="iso-a", name="甲省学联", parent=b)
    school_a = SchoolFactory(tenant=a, name="甲方学校")
    user = UserFactory(email="a-all-roles@example.cn")
    for role in Role:
        kw = {}
        if role == Role.school_liaison:
            kw["school_id"] = school_a.id
        if role == Role.provincial_reviewer:
            kw["province_code"] = "44"
        MembershipFactory(user=user, tenant=a, role=role, **kw)
    db.session.flush()
    return a, b, user


def id_routes(app):
    for rule in app.url_map.iter_rules():
        if "tenant" in rule.arguments and INT_ARG.search(rule.rule):
            yield rule


def admin_views(app):
    admin = app.extensions["portal_admin"]
    return [v for v in admin._views if getattr(v, "model", None) is not None]


# Which table an id argument names; an unknown name is tried with ids of every table.
ARG_TABLES = {
    "cycle_id": "selection_cycles", "nom_id": "selection_nominations", "inv_id": "selection_invitations",
    "doc_id": "generated_documents", "job_id": "job_records", "school_id": "schools",
    "record_id": "audit_records", "notice_id": "selection_public_notices", "nid": "notifications",
    "token_id": "api_tokens", "message_id": "mailbox_messages", "item_id": "inbox_items",
    "att_id": "selection_attachments", "obj_id": "selection_objections", "entry_id": "selection_rotation_entries",
    "res_id": "residencies", "rec_id": "obligation_records",
    "run_id": "allowance_runs", "rate_id": "allowance_rates", "appr_id": "incentive_appraisals",
    "case_id": "supervision_cases", "activity_id": "supervision_activities",
    "dept_id": "departments", "seg_id": "residency_rotation_segments", "plan_id": "residency_rotation_plans",
    "group_id": "residency_working_groups",
    "file_id": ("vault_files", "supervision_files"), "seal_id": "confidentiality_seals", "req_id": "confidentiality_seal_requests",
    "handover_item_id": "confidentiality_handover_items",
}
PER_ARG = 6


def _candidates(name, ids):
    tables = ARG_TABLES.get(name)
    tables = [tables] if isinstance(tables, str) else list(tables or ())
    found = [i for t in tables if t in ids for i in ids[t][:PER_ARG]]
    if found:
        return found
    return sorted({i for v in ids.values() for i in v[:2]})[:PER_ARG * 2]


def walk(client, app, a, b, user):
    """Call every id route as A with B's ids; return what was requested."""
    ids = b_ids(b.id)
    markers = b_markers(b.id)
    assert markers, "tenant B must have data to leak"
    before = fingerprint(b.id)
    requested = []
    for rule in id_routes(app):
        names = INT_ARG.findall(rule.rule)
        columns = [_candidates(n, ids) or [1] for n in names]
        width = max(len(c) for c in columns)
        for k in range(width):
            url = rule.rule.replace("<tenant>", a.slug)
            for n, col in zip(names, columns):
                url = url.replace(f"<int:{n}>", str(col[k % len(col)]))
            url = re.sub(r"<any\(([^,)]+)[^>]*>", lambda m: m.group(1).strip(), url)  # a choice: its first
            url = re.sub(r"<[^>]+>", "x", url)
            for method in sorted(rule.methods & {"GET", "POST", "PUT", "DELETE", "PATCH"}):
                resp = client.open(url, method=method, data={}, follow_redirects=False)
                body = resp.get_data(as_text=True) if not resp.is_streamed or resp.mimetype.startswith(("text", "application/json")) else ""
                requested.append((method, url, resp.status_code))
                leaked = [m for m in markers if m in body]
                assert not leaked, f"{method} {url} showed B's data: {leaked[:3]}"
    # flask-admin passes ids in the query string
    for view in admin_views(app):
        table = view.model.__tablename__
        for value in ids.get(table, []):
            for endpoint, method in (("edit_view", "GET"), ("details_view", "GET"),
                                     ("edit_view", "POST"), ("delete_view", "POST")):
                url = f"/{a.slug}/admin/{view.endpoint.replace('admin_', 'admin_')}/"
                url = {"edit_view": "edit/", "details_view": "details/", "delete_view": "delete/"}[endpoint]
                url = f"/{a.slug}/admin/{view.url.strip('/').split('/')[-1]}/{url}?id={value}"
                data = {"id": str(value)} if method == "POST" else None
                resp = client.open(url, method=method, data=data, follow_redirects=True)
                body = resp.get_data(as_text=True)
                requested.append((method, url, resp.status_code))
                leaked = [m for m in markers if m in body]
                assert not leaked, f"{method} {url} showed B's data: {leaked[:3]}"
        # the list, count and export must not include B either
        for suffix in ("", "export/csv/", "export/xlsx/"):
            resp = client.get(f"/{a.slug}/admin/{view.url.strip('/').split('/')[-1]}/{suffix}")
            body = resp.get_data(as_text=True) if resp.mimetype.startswith("text") else ""
            assert not [m for m in markers if m in body], f"admin list {view.endpoint} leaks"
    assert fingerprint(b.id) == before, "a request as A changed B's rows"
    return requested


def test_every_id_route_refuses_other_tenants_ids_A22(app, client, login_as, two_tenants):
    a, b, user = two_tenants
    login_as(user)
    requested = walk(client, app, a, b, user)
    assert len({u for _m, u, _s in requested}) > 10
    # B's own ids are unknown inside A: detail pages answer 404, never 200 with B's data
    school_b = b_ids(b.id)["schools"][0]
    assert client.get(f"/{a.slug}/schools/{school_b}").status_code == 404
    assert client.get(f"/api/v1/{a.slug}/schools/{school_b}").status_code == 404


@pytest.mark.postgres
def test_rls_alone_isolates_with_app_filter_off_A22(app, client, login_as, two_tenants):
    """The same walk, the application filter switched off: PostgreSQL RLS must hold."""
    a, b, user = two_tenants
    login_as(user)
    token = set_app_filter(False)
    try:
        requested = walk(client, app, a, b, user)
        # and a bare query without any tenant filter sees only A's rows
        from portal.reference.models import School

        with tenant_context(a.id, db.session):
            names = set(db.session.scalars(sa.select(School.name)))
        assert names == {"甲方学校"}
    finally:
        reset_app_filter(token)
    assert requested


def test_user_of_one_tenant_on_another_path_gets_403(client, login_as, session):
    a = TenantFactory()
    b = TenantFactory(parent=a.parent)
    user = UserFactory()
    MembershipFactory(user=user, tenant=a)
    login_as(user)
    assert client.get(f"/{b.slug}/").status_code == 403
    assert client.get(f"/api/v1/{b.slug}/rules").status_code == 403
    assert client.get(f"/api/v1/{b.slug}/rules").json["error"]["status"] == 403
    assert client.get(f"/{b.slug}/admin/").status_code == 403


def test_unknown_tenant_is_404(client, session):
    assert client.get("/no-such-federation/").status_code == 404
    resp = client.get("/api/v1/no-such-federation/rules")
    assert resp.status_code == 404 and resp.json["error"]["status"] == 404


def test_session_get_and_identity_map_do_not_leak(session):
    """A5.2 data of B loaded in the identity map is not returned by get() inside A."""
    from portal.reference.models import School

    school_b = SchoolFactory()
    a = TenantFactory()
    db.session.flush()
    with tenant_context(school_b.tenant_id, db.session):
        assert db.session.get(School, school_b.id) is school_b  # in the identity map now
    with tenant_context(a.id, db.session):
        assert db.session.get(School, school_b.id) is None
        assert db.session.scalars(sa.select(School)).all() == []


def test_writes_to_another_tenants_rows_are_refused(session):
    from portal.core.db import TenantViolation

    school_b = SchoolFactory()
    a = TenantFactory()
    with tenant_context(a.id, db.session):
        school_b.name = "改名"
        with pytest.raises(TenantViolation):
            db.session.flush()
    db.session.rollback()


@pytest.mark.postgres
def test_every_tenant_owned_table_has_rls_enabled_and_forced(session):
    tables = {m.__tablename__ for m in tenant_models()}
    rows = db.session.execute(sa.text(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
        "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")).all()
    state = {r.relname: (r.relrowsecurity, r.relforcerowsecurity) for r in rows}
    assert tables and tables <= set(state)
    for t in tables:
        assert state[t] == (True, True), f"{t} lacks forced RLS"
    # every table that has a tenant_id column is covered, not only mapped ones
    cols = db.session.execute(sa.text(
        "SELECT table_name FROM information_schema.columns WHERE column_name = 'tenant_id' "
        "AND table_schema = 'public'")).scalars().all()
    for t in cols:
        if t != "tenants":
            assert state[t] == (True, True), f"{t} lacks forced RLS"
    role = db.session.execute(sa.text(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    assert role == (False, False)
    owned = db.session.execute(sa.text(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")).scalar()
    assert owned == 0
