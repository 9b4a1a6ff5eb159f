"""A12 set-up for tests: the secretariat and departments with their heads, and segments."""
from __future__ import annotations

import datetime as dt

from portal.core.db import tenant_context
from portal.extensions import db
from portal.reference.models import Department, DepartmentKind
from portal.residency import rotation
from tenants.models import Role
from tests.factories import member


def departments(w, n: int = 2, *, names=("团中央宣传部", "团中央学校部", "团中央国际联络部")):
    """(secretariat, [department, ...], [head, ...]): each department headed by its own head."""
    heads = [member(w.tenant, Role.department_head) for _ in range(n)]
    with tenant_context(w.tenant.id, db.session):
        sec = Department(tenant_id=w.tenant.id, name="全国学联秘书处", kind=DepartmentKind.secretariat, sort=0)
        db.session.add(sec)
        depts = [Department(tenant_id=w.tenant.id, name=names[i], kind=DepartmentKind.department,
                            head_user_id=heads[i].id, sort=i + 1) for i in range(n)]
        db.session.add_all(depts)
        db.session.flush()
    return sec, depts, heads


def place(w, res, dept, starts_on: dt.date, ends_on: dt.date, *, reason=None):
    with tenant_context(w.tenant.id, db.session):
        return rotation.add_segment(res, department_id=dept.id, starts_on=starts_on, ends_on=ends_on,
                                    deviation_reason=reason, actor=w.admin)


def halves(w, res, first, second):
    """The test term (1 Sep 2025 – 31 Aug 2026) in two half-years."""
    return (place(w, res, first, dt.date(2025, 9, 1), dt.date(2026, 2, 28)),
            place(w, res, second, dt.date(2026, 3, 1), dt.date(2026, 8, 31)))
