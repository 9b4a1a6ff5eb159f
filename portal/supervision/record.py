"""Chapter 5's part of a chair's record for the A17 appraisal (portal.core.record): the outside
activities approved and filed (A19) and the disciplinary measures taken (A21), each tied to its row."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core.record import Fact, Ref
from portal.extensions import db
from portal.supervision.models import Activity, ActivityKind, ActivityStatus, CaseKind, SupervisionCase


def facts(residency):
    out = []
    acts = db.session.scalars(sa.select(Activity).where(
        Activity.residency_id == residency.id, Activity.status.in_((ActivityStatus.approved, ActivityStatus.filed)))
        .order_by(Activity.event_date, Activity.id)).all()
    for n, a in enumerate(acts):
        section = "political" if a.kind == ActivityKind.position else "research"
        done = "并报备了结果" if a.status == ActivityStatus.filed else "（结果待报备）"
        out.append(Fact(section, f"{a.event_date.year}年{a.event_date.month}月{a.event_date.day}日，经批准{a.capacity_label}"
                                 f"{a.kind_label}：{a.title}（{a.organizer}）{done}。", "A19",
                        refs=(Ref("supervision_activity", a.id, a.title),), order=100 + n))
    cases = db.session.scalars(sa.select(SupervisionCase).where(
        SupervisionCase.residency_id == residency.id, SupervisionCase.kind == CaseKind.discipline,
        SupervisionCase.measure.is_not(None)).order_by(SupervisionCase.measure_on, SupervisionCase.id)).all()
    for n, c in enumerate(cases):
        day = c.measure_on
        out.append(Fact("improve", f"{day.year}年{day.month}月{day.day}日，因{c.title}，秘书处予以{c.measure}"
                                   f"（理由：{c.measure_reason}）。", "A21",
                        refs=(Ref("supervision_case", c.id, c.title),), order=100 + n))
    return out
