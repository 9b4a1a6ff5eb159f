"""A14's part of the chair's record for the A17 appraisal (portal.core.record): the relation
transferred with its receipt, the months of organizational life attended, the months of dues
paid on time and in full; and gaps for what is missing. Every fact names its rows."""
from __future__ import annotations

from portal.core import clock
from portal.core.record import Fact, Gap, Ref
from portal.residency import relations as rel
from portal.residency.relations_models import TransferStatus

SECTION = "political"


def _month(m) -> str:
    return f"{m.year}年{m.month}月"


def facts(residency):
    out = []
    today = clock.today()
    for t in rel.transfers_of(residency):
        if t.status == TransferStatus.receipt_returned:
            out.append(Fact(SECTION, f"{t.kind_label}{t.direction_label}：介绍信{t.letter_no}（{t.letter_date.isoformat()}），"
                                     f"回执于{t.receipt_on.isoformat()}返回", "A14",
                            (Ref("relation_transfer", t.id, t.letter_no or ""),), order=0))
        elif t.status in (TransferStatus.letter_issued, TransferStatus.reported):
            out.append(Gap(SECTION, f"{t.kind_label}{t.direction_label}的回执尚未返回（应于"
                                    f"{t.receipt_due.isoformat() if t.receipt_due else '—'}前返回）", "A14"))
        elif t.status == TransferStatus.open:
            out.append(Gap(SECTION, f"{t.kind_label}{t.direction_label}尚未开具介绍信", "A14"))
    if not rel.kinds_for(residency):
        return out
    rows = [r for r in rel.months(residency, today, with_due=False) if r.closed]
    attended = [r for r in rows if r.attended]
    if attended:
        refs = tuple(Ref("obligation_record", rec.id, row.topic) for r in attended for row, rec in r.org_life
                     if rec.counts)
        out.append(Fact(SECTION, f"驻会期间{len(rows)}个月中有{len(attended)}个月按规定参加组织生活", "A14", refs, order=1))
    missing = [r for r in rows if not r.attended]
    if missing:
        out.append(Gap(SECTION, "未见组织生活记录的月份：" + "、".join(_month(r.month) for r in missing), "A14"))
    good = [r for r in rows if r.dues_ok]
    if good:
        out.append(Fact(SECTION, f"{len(good)}个月及时、足额缴纳党（团）费", "A14",
                        tuple(Ref("obligation_record", r.payment_record.id, _month(r.month)) for r in good), order=2))
    bad = [r for r in rows if not r.dues_ok]
    if bad:
        def why(r):
            if r.payment is None:
                return f"{_month(r.month)}未缴"
            parts = [p for p, ok in (("逾期", r.payment.on_time), ("未足额", r.payment.in_full)) if not ok]
            return f"{_month(r.month)}{'、'.join(parts) or '待确认'}"
        out.append(Gap(SECTION, "党（团）费未及时、足额缴纳的月份：" + "；".join(why(r) for r in bad), "A14"))
    return out
