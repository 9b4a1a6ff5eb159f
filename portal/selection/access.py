"""Who may see which nominations: the one rule every page, list, count, export and API payload uses.

A6.3: the provincial federation's secretariat reviews the candidates of *its* province; a
school liaison acts for one school's party committee (A6.2). The national secretariat, the
approving body (A6.5) and the CYL departments that run the exam (A6.4) see the whole cycle.
A chair sees no candidates.

``NominationScope.clause()`` is a WHERE clause on ``Nomination`` (a subquery on schools, so it
needs no join and composes with any select); ``allows()`` is the same rule for one loaded row.
Build the scope with ``scope_for(memberships)`` from the request's memberships, never from a
role name written at a call site.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from portal.reference.models import School
from portal.selection.models import Nomination
from tenants.models import Role

# Roles that see every nomination of the tenant's cycles.
WHOLE_CYCLE = frozenset({Role.secretariat_admin, Role.secretariat_staff, Role.approver, Role.department_head})
# Roles that may open a cycle's page (progress, ranking, funnel) at all.
CYCLE_PAGE = WHOLE_CYCLE | {Role.provincial_reviewer}


@dataclass(frozen=True)
class NominationScope:
    everything: bool = False
    provinces: frozenset = frozenset()
    school_ids: frozenset = frozenset()

    @property
    def sees_any(self) -> bool:
        return self.everything or bool(self.provinces or self.school_ids)

    @property
    def is_provincial(self) -> bool:
        """Limited to some provinces (a provincial reviewer), not to one school only."""
        return not self.everything and bool(self.provinces)

    def clause(self, school_id_column=Nomination.school_id):
        """WHERE clause on a school id column (Nomination's by default; Chair, Invitation...)."""
        if self.everything:
            return sa.true()
        parts = []
        if self.provinces:
            parts.append(school_id_column.in_(
                sa.select(School.id).where(School.province_code.in_(sorted(self.provinces)))
                .scalar_subquery()))
        if self.school_ids:
            parts.append(school_id_column.in_(sorted(self.school_ids)))
        return sa.or_(*parts) if parts else sa.false()

    def allows_school(self, school: School) -> bool:
        if self.everything:
            return True
        return school.province_code in self.provinces or school.id in self.school_ids

    def allows(self, nom: Nomination) -> bool:
        return self.allows_school(nom.school)


EVERYTHING = NominationScope(everything=True)
NOTHING = NominationScope()


def scope_for(memberships) -> NominationScope:
    """The scope of one user's active memberships in the current tenant."""
    memberships = [m for m in memberships if getattr(m, "active", True)]
    if any(m.role in WHOLE_CYCLE for m in memberships):
        return EVERYTHING
    return NominationScope(
        provinces=frozenset(m.province_code for m in memberships
                            if m.role == Role.provincial_reviewer and m.province_code),
        school_ids=frozenset(m.school_id for m in memberships if m.role == Role.school_liaison and m.school_id),
    )


def may_open_cycle_page(roles) -> bool:
    return bool(set(roles) & CYCLE_PAGE)
