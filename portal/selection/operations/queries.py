"""Lists and counts of a cycle, always through the viewer's scope."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from portal.extensions import db
from portal.reference.models import School
from portal.selection.access import NominationScope
from portal.selection.models import Invitation, Nomination, NominationStatus as S, SelectionCycle


def nominations_query(cycle_id: int, *, scope: NominationScope, status=None, province=None, school_id=None,
                      route=None, q=None, inner: bool = False):
    """The nomination list: one statement per page (school, union eager-joined; no N+1). The
    school is an outer join: every nomination has one (a NOT NULL foreign key), so the rows are
    the same, and the databases drop the join from the count where no school column is used.
    ``scope`` is the viewer's visibility (A6.3): required, so no list forgets it."""
    # ``inner``: the same rows (the school is NOT NULL) by an inner join, which lets the database
    # walk schools in list order by their index (a keyset page) instead of sorting the cycle.
    if inner:
        from portal.selection.lists import school_walk

        base = sa.select(Nomination).select_from(school_walk())
    else:
        base = sa.select(Nomination).outerjoin(School, School.id == Nomination.school_id)
    stmt = (base
            .where(Nomination.cycle_id == cycle_id, scope.clause())
            .order_by(School.province_code, School.code, Nomination.id))
    if status and isinstance(status, (list, tuple, set, frozenset)):
        stmt = stmt.where(Nomination.status.in_(sorted(status)))
    elif status:
        stmt = stmt.where(Nomination.status == status)
    if province:
        stmt = stmt.where(School.province_code == province)
    if school_id:
        stmt = stmt.where(Nomination.school_id == int(school_id))
    if route:
        stmt = stmt.where(Nomination.route == route)
    if q:
        stmt = stmt.where(sa.or_(Nomination.name.contains(q), School.name.contains(q)))
    return stmt


@dataclass
class NominationPage:
    """One page of the nomination list, shaped like Flask-SQLAlchemy's Pagination for the pager."""
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def nominations_page(stmt, page: int, per_page: int, *, total: int | None = None,
                     with_union: bool = True) -> NominationPage:
    """A page of ``nominations_query`` by deferred join: the count and the page's ids from the
    filtered, ordered ids alone (no eager joins over the whole cycle), then only those rows with
    their school and union. Three statements at any page size or cycle size (two when the
    caller has the count, e.g. cached: ``nominations_list``)."""
    ids_stmt = stmt.with_only_columns(Nomination.id)
    if total is None:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(ids_stmt.order_by(None).subquery()))
    ids = list(db.session.scalars(ids_stmt.limit(per_page).offset((page - 1) * per_page)))
    items = []
    if ids:
        from portal.selection.lists import page_rows

        by_id = {n.id: n for n in db.session.scalars(page_rows(ids, with_union))}
        items = [by_id[i] for i in ids]
    return NominationPage(items, total, page, per_page)


def list_signature(scope: NominationScope, **filters) -> str:
    """The cache key of one filtered, scoped list (see ``portal.selection.lists``)."""
    import json

    return json.dumps({"scope": [scope.everything, sorted(scope.provinces), sorted(scope.school_ids)],
                       **{k: v for k, v in sorted(filters.items()) if v not in (None, "")}},
                      ensure_ascii=False, sort_keys=True, default=str)


def nominations_list(cycle: SelectionCycle, *, scope: NominationScope, status=None, province=None,
                     route=None, q=None, school_id=None, cursor: str | None = None, page: int | None = None,
                     per_page: int = 50, with_union: bool = True):
    """The nomination list without scanning the cycle: a keyset page after ``cursor`` (deep pages
    cost what page 1 costs), or an offset ``page`` (shallow pages, kept for old links), with the
    exact count cached per cycle and filter until a nomination changes (``lists.cached_count``)."""
    from portal.selection import lists

    stmt = nominations_query(cycle.id, scope=scope, status=status, province=province, route=route, q=q,
                             school_id=school_id)
    sig = list_signature(scope, status=status, province=province, route=route, q=q, school_id=school_id)
    total = lists.cached_count(cycle.tenant_id, cycle.id, sig, lambda: lists.count_of(stmt))
    if cursor or not page or page == 1:
        walk = nominations_query(cycle.id, scope=scope, status=status, province=province, route=route, q=q,
                                 school_id=school_id, inner=True)
        return lists.nominations_keyset(walk, cursor=cursor, per_page=per_page, total=total, with_union=with_union)
    return nominations_page(stmt, page, per_page, total=total, with_union=with_union)


def stage_nominations(cycle: SelectionCycle, scope: NominationScope, statuses, *, per_page: int = 50,
                      order: str = "school"):
    """The first page of one stage's own list (the nominations in ``statuses``), two statements;
    the rest is paged on the list page. ``order`` "rank" orders by the ranking (A6.4)."""
    stmt = (sa.select(Nomination.id).where(Nomination.cycle_id == cycle.id, scope.clause(),
                                           Nomination.status.in_(list(statuses))))
    if order == "rank":
        stmt = stmt.order_by(Nomination.rank.is_(None), Nomination.rank, Nomination.id)
    else:  # walked in list order from the first key (see ``lists.nominations_keyset``)
        from portal.selection.lists import START_KEY, school_walk

        key = (School.province_code, School.code, Nomination.id)
        stmt = stmt.select_from(school_walk()).where(sa.tuple_(*key) > sa.tuple_(*START_KEY)).order_by(*key)
    ids = list(db.session.scalars(stmt.limit(per_page)))
    if not ids:
        return []
    from sqlalchemy.orm import raiseload

    # the preview shows the school's name: its union is not loaded (a use of it raises)
    rows = db.session.scalars(sa.select(Nomination).where(Nomination.id.in_(ids)).options(raiseload(Nomination.union)))
    by_id = {n.id: n for n in rows}
    return [by_id[i] for i in ids if i in by_id]


@dataclass
class Funnel:
    by_status: dict
    by_province: list
    by_route: dict


def funnel(cycle: SelectionCycle, scope: NominationScope) -> Funnel:
    """Counts by status, province and route over the nominations ``scope`` may see (A6.3),
    cached per cycle and scope until a nomination (or a school) of the tenant changes
    (``lists.cached_value``): the cycle page and the home page do not count the cycle per request."""
    from portal.selection import lists

    from portal.selection.models import Route

    sig = lists.VALUE_PREFIX + "funnel:" + list_signature(scope)
    raw = lists.cached_value(cycle.tenant_id, cycle.id, sig, lambda: _funnel_rows(cycle, scope))
    by_status = {s: 0 for s in S}
    for k, n in raw["status"].items():
        by_status[S(k)] = n
    return Funnel(by_status, [tuple(p) for p in raw["province"]], {Route(k): n for k, n in raw["route"].items()})


def _funnel_rows(cycle: SelectionCycle, scope: NominationScope) -> dict:
    seen = sa.and_(Nomination.cycle_id == cycle.id, scope.clause())
    rows = db.session.execute(sa.select(Nomination.status, sa.func.count()).where(seen)
                              .group_by(Nomination.status)).all()
    by_status = {s: 0 for s in S}
    for s, c in rows:
        by_status[s] = c
    prov = db.session.execute(
        sa.select(School.province_code, sa.func.count()).select_from(Nomination)
        .join(School, School.id == Nomination.school_id)
        .where(seen, Nomination.status.not_in([S.draft]))
        .group_by(School.province_code).order_by(sa.func.count().desc(), School.province_code)).all()
    route = dict(db.session.execute(sa.select(Nomination.route, sa.func.count()).where(
        seen, Nomination.status.not_in([S.draft])).group_by(Nomination.route)).all())
    return {"status": {str(k): n for k, n in by_status.items() if n},
            "province": [[code, n] for code, n in prov], "route": {str(k): n for k, n in route.items()}}


def ranked_list(cycle: SelectionCycle, scope: NominationScope) -> list[Nomination]:
    """The cycle's ranking (A6.4), as far as ``scope`` may see it."""
    return list(db.session.scalars(sa.select(Nomination).where(
        Nomination.cycle_id == cycle.id, Nomination.rank.is_not(None), scope.clause()).order_by(Nomination.rank)))


def invitation_for_liaison(cycle_id: int, membership) -> Invitation | None:
    if membership is None or membership.school_id is None:
        return None
    return db.session.scalar(sa.select(Invitation).where(Invitation.cycle_id == cycle_id,
                                                         Invitation.school_id == membership.school_id))
