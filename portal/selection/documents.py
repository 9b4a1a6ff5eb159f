"""Document builders for request_document (A6.1 letters, A6.5 notice, exports)."""
from __future__ import annotations

import sqlalchemy as sa

from portal.core import clock
from portal.documents.render import DocumentSpec, SheetSpec, TableSpec
from portal.extensions import db
from portal.selection.models import Invitation, Nomination, PublicNotice, SelectionCycle


def invitation_letter(tenant_id: int, invitation_id: int) -> DocumentSpec:
    inv = db.session.get(Invitation, invitation_id)
    cycle = inv.cycle
    due = cycle.step("nominations").due_on
    fed = cycle.rule("federation.name")
    n = cycle.rule("selection.nominees_per_school")
    days = cycle.rule("selection.school_publicity_min_workdays")
    return DocumentSpec(
        title=f"关于推荐{cycle.academic_year}学年驻会执行主席人选的函", doc_number=inv.letter_number,
        addressee=f"{inv.school.name}党委：",
        paragraphs=[
            f"根据《全国学联驻会执行主席管理办法（试行）》第六条，{fed}拟于{cycle.academic_year}学年选拔驻会执行主席。"
            f"请贵校党委提前物色、培养人选，经审核后推荐。",
            f"贵校一般推荐 {n} 名人选，推荐前须在校内公示不少于 {days} 个工作日。",
            f"请于{due:%Y年%m月%d日}前通过驻会执行主席管理平台报送推荐材料。" if due else "请按时报送推荐材料。",
        ],
        signature=fed, date=clock.today())


def public_notice(tenant_id: int, notice_id: int) -> DocumentSpec:
    notice = db.session.get(PublicNotice, notice_id)
    noms = db.session.scalars(sa.select(Nomination).where(Nomination.id.in_(notice.nomination_ids))
                              .order_by(Nomination.rank)).all()
    return DocumentSpec(title=notice.title, paragraphs=[notice.body],
                        tables=[TableSpec(["姓名", "性别", "学校", "学历层次", "政治面貌"],
                                          [[n.name, n.gender, n.school.name, n.degree_level, n.political_status]
                                           for n in noms])],
                        signature=db.session.get(SelectionCycle, notice.cycle_id).rule("federation.name"),
                        date=notice.starts_on)


EXPORT_CHUNK = 2000  # rows per statement: memory stays flat at any cycle size
EXPORT_KIND = "selection.nominations_export"
NOMINATION_HEADERS = ["编号", "姓名", "性别", "学校", "省份", "途径", "状态", "身份证号（脱敏）", "政治面貌",
                      "学历层次", "专业", "成绩排名", "保研资格", "联系电话（脱敏）"]
RANKING_HEADERS = ["排名", "姓名", "学校", "笔试", "面试", "综合成绩"]


def mask_phone(phone: str | None) -> str:
    """A phone as the portal shows it outside the record: 138****5678 (the middle hidden)."""
    digits = (phone or "").strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    keep = 3 if len(digits) >= 11 else max(0, len(digits) - 8)
    return digits[:keep] + "*" * (len(digits) - keep - 4) + digits[-4:]


def scope_params(scope) -> dict:
    """A ``NominationScope`` as a job's JSON parameters (the job builds under the requester's scope)."""
    return {"everything": scope.everything, "provinces": sorted(scope.provinces),
            "school_ids": sorted(scope.school_ids)}


def _scope(scope):
    from portal.selection.access import NominationScope

    if isinstance(scope, dict):
        return NominationScope(everything=bool(scope.get("everything")),
                               provinces=frozenset(scope.get("provinces") or ()),
                               school_ids=frozenset(int(i) for i in scope.get("school_ids") or ()))
    return scope


def _report(done: int, total: int) -> None:
    """Progress of the running export job (its document row and its job record), if any."""
    from portal.documents.models import GeneratedDocument
    from portal.jobs import set_progress
    from portal.jobs.runner import current_record_id

    rid = current_record_id()
    if rid is None or not total:
        return
    pct = 10 + int(80 * min(done, total) / total)
    message = f"已写入 {done}/{total} 行"
    db.session.execute(sa.update(GeneratedDocument).where(GeneratedDocument.job_id == rid)
                       .values(progress=pct, message=message))
    set_progress(pct, message)  # commits: between two chunks, no cursor is open


def _chunks(stmt, key_cols, *, total: int | None = None):
    """Rows of ``stmt`` (ordered by ``key_cols``, the last one unique) in keyset chunks of
    ``EXPORT_CHUNK``: one short statement each, never a cursor held across a commit."""
    after = None
    done = 0
    while True:
        q = stmt.order_by(*key_cols).limit(EXPORT_CHUNK)
        if after is not None:
            q = q.where(sa.tuple_(*key_cols) > sa.tuple_(*after))
        rows = db.session.execute(q).all()
        if not rows:
            return
        yield from rows
        done += len(rows)
        n = len(key_cols)
        after = tuple(rows[-1][-n:])
        if total is not None:
            _report(done, total)
        if len(rows) < EXPORT_CHUNK:
            return


def nominations_export(tenant_id: int, cycle_id: int, *, scope) -> list[SheetSpec]:
    """The cycle's nominations and ranking as far as ``scope`` may see them (A6.3), streamed:
    the rows are read in keyset chunks while the write-only workbook is written
    (``write_xlsx`` through ``portal.core.sheets``, formula-safe). Phones are masked, as the
    back office keeps them out of downloads; ID numbers are masked as everywhere."""
    from portal.core.idcard import mask_id_number
    from portal.reference.models import Province, School
    from portal.selection.models import ROUTE_LABELS, STATUS_LABELS

    seen = _scope(scope)
    where = sa.and_(Nomination.cycle_id == cycle_id, seen.clause())
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Nomination).where(where)) or 0
    cols = (Nomination.id, Nomination.name, Nomination.gender, School.name, Province.name, Nomination.route,
            Nomination.status, Nomination.id_number, Nomination.political_status, Nomination.degree_level,
            Nomination.major, Nomination.grade_rank, Nomination.grade_cohort, Nomination.baoyan_eligible,
            Nomination.phone)
    base = (sa.select(*cols, School.province_code, School.code, Nomination.id.label("key_id"))
            .select_from(Nomination).join(School, School.id == Nomination.school_id)
            .join(Province, Province.code == School.province_code).where(where))

    def nominations():
        for r in _chunks(base, (School.province_code, School.code, Nomination.id), total=total):
            yield [r[0], r[1], r[2], r[3], r[4], ROUTE_LABELS[r[5]], STATUS_LABELS[r[6]], mask_id_number(r[7]),
                   r[8], r[9], r[10], f"{r[11]}/{r[12]}", "是" if r[13] else "否", mask_phone(r[14])]

    ranked = (sa.select(Nomination.rank, Nomination.name, School.name, Nomination.exam_score,
                        Nomination.interview_score, Nomination.total_score, Nomination.rank.label("k_rank"),
                        Nomination.id)
              .select_from(Nomination).join(School, School.id == Nomination.school_id)
              .where(where, Nomination.rank.is_not(None)))

    def ranking():
        def num(x):
            return float(x) if x is not None else None

        for r in _chunks(ranked, (Nomination.rank, Nomination.id)):
            yield [r[0], r[1], r[2], num(r[3]), num(r[4]), num(r[5])]

    return [SheetSpec("推荐人选", NOMINATION_HEADERS, nominations()),
            SheetSpec("成绩与排名", RANKING_HEADERS, ranking())]
