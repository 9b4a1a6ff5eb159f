"""Schemathesis over /api/v1/openapi.json: no 500 anywhere, and every answer conforms to the
document (status codes, content types, bodies). It runs against the WSGI app, logged in with a
bearer API token of a secretariat administrator, with CSRF on (a bearer call is exempt; the
session calls' CSRF is tested in test_schemas.py). The tenant and the ids in paths are pinned
to real rows so operations reach their logic, not only the 404; negative cases still try others.

Bounded and deterministic: few examples per operation, derandomized, no example database.
"""
from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from schemathesis.core.parameters import ParameterLocation

from portal.auth.operations import issue_token
from portal.core.db import tenant_context
from portal.extensions import db
from portal.selection import operations as ops
from portal.selection.models import Route
from tests.selection.helpers import draft, world
from tests.suite_clock import SUITE_TODAY

MAX_EXAMPLES = 4

CONFIG = schemathesis.Config.from_dict({
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": False}, "fuzzing": {"enabled": True},
               "stateful": {"enabled": False}},
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                   "mode": "all"},
    # A well-formed request may still be refused by a rule of the measures (400, 404, 409):
    # acceptance of positive data is not a property of this API.
    "checks": {"positive_data_acceptance": {"enabled": False}},
})


@pytest.fixture()
def fuzz_world(app, session):
    w = world(2)
    with tenant_context(w.tenant.id, db.session):
        w.cycle = ops.open_cycle(w.tenant, "2030-2031", actor=w.admin, opened_on=SUITE_TODAY)
    with tenant_context(w.tenant.id, db.session):
        (inv,) = ops.invite_schools(w.cycle, [w.schools[0].id], Route.selection, actor=w.admin)  # no letter: cheap
    nom = draft(w, inv)
    with tenant_context(w.tenant.id, db.session):
        ops.ensure_rotation_roster(w.tenant, on=w.cycle.opened_on, actor=w.admin)
        entry = ops.rotation_roster()[0]
        _, raw = issue_token(w.admin, "fuzz", w.admin)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    ids = {"tenant": w.tenant.slug, "cycle_id": w.cycle.id, "inv_id": inv.id, "school_id": w.schools[0].id,
           "entry_id": entry.id, "nom_id": nom.id, "kind": "selection.invitation_letter"}
    yield {"token": raw, "ids": ids}
    app.config["WTF_CSRF_ENABLED"] = False


def _spec() -> dict:
    """The document as served: the routes and schemas do not depend on the database."""
    from portal import create_app

    app = create_app(SQLALCHEMY_DATABASE_URI="sqlite://", TESTING=True, SECRET_KEY="spec-only")
    with app.test_client() as c:
        return c.get("/api/v1/openapi.json").get_json()


schema = schemathesis.openapi.from_dict(_spec(), config=CONFIG)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(app, case, fuzz_world):
    case.operation.schema.app = app  # the test app, on the test's database
    if not case.meta.is_negative_at(ParameterLocation.PATH):
        # Real rows behind the path, so the operation's own logic runs, not only its 404.
        for name, value in fuzz_world["ids"].items():
            if name in (case.path_parameters or {}):
                case.path_parameters[name] = value
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {fuzz_world['token']}"})
