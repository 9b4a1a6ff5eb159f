"""Item 8 and A22: the demo's Chapter 4, nationally and in a province (广东省学联 has its own cohort
in residence, its own 本科 rate, beds, runs, a suspension and a chair who could not suspend)."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core.db import tenant_context
from portal.extensions import db
from portal.incentives.models import (AllowanceLine, AllowanceRate, AllowanceRun, AppraisalStatus, Appraisal,
                                      BedAssignment, RunStatus, Schooling, SchoolingStatus, SuspensionLetter)
from portal.residency.models import Residency
from tenants.models import Tenant


def test_A15_A16_A17_A22_demo_walks_a_province_through_chapter_4(session):
    from portal.demo import load_demo

    load_demo()
    acsf = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "acsf"))
    with tenant_context(acsf.id, db.session):
        stages = {a.status for a in db.session.scalars(sa.select(Appraisal))}
        assert {AppraisalStatus.issued, AppraisalStatus.sent} & stages
    gd = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "gd"))
    with tenant_context(gd.id, db.session):
        residencies = db.session.scalars(sa.select(Residency)).all()
        assert len(residencies) >= 2
        (own,) = db.session.scalars(sa.select(AllowanceRate)).all()
        assert own.degree_level == "本科" and "粤学联" in own.source
        runs = {r.status for r in db.session.scalars(sa.select(AllowanceRun))}
        assert RunStatus.approved in runs
        used = {line.rate_scope for line in db.session.scalars(sa.select(AllowanceLine))}
        assert "own" in used  # the province pays 本科 chairs on its own rate
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BedAssignment)) >= 2
        statuses = {s.status for s in db.session.scalars(sa.select(Schooling))}
        assert statuses == {SchoolingStatus.suspended, SchoolingStatus.not_suspended}
        (letter,) = db.session.scalars(sa.select(SuspensionLetter)).all()
        assert letter.number.startswith("学联驻函〔")
