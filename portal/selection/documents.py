"""Document builders for request_document (A6.1 letters, A6.5 notice, exports)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from portal.core import clock
from portal.documents.render import DocumentSpec, SheetSpec, TableSpec, chinese_date
from portal.documents.templating import DocumentKind, TemplatedDocument, base_context, register_document_kind
from portal.extensions import db
from tenants.models import Tenant
from portal.selection.models import Invitation, Nomination, PublicNotice, SelectionCycle


LETTER = "selection.invitation_letter"
NOTICE = "selection.public_notice"

# The contact block of every letter: each line only when the tenant's settings give it.
_CONTACT_NOTE = "\n".join([
    "{%p if contact_person %}", "联系人：{{ contact_person }}", "{%p endif %}",
    "{%p if contact_phone %}", "联系电话：{{ contact_phone }}", "{%p endif %}",
    "{%p if contact_email %}", "电子邮箱：{{ contact_email }}", "{%p endif %}",
    "{%p if contact_address %}", "通信地址：{{ contact_address }}", "{%p endif %}",
])


def _letter_template() -> DocumentSpec:
    return DocumentSpec(
        title="关于推荐{{ academic_year }}学年驻会执行主席人选的函", doc_number="{{ letter_number }}",
        addressee="{{ school }}党委：",
        paragraphs=[
            "根据《全国学联驻会执行主席管理办法（试行）》第六条，{{ federation }}拟于{{ academic_year }}学年选拔驻会执行主席。"
            "请贵校党委提前物色、培养人选，经审核后推荐。",
            "贵校一般推荐 {{ nominees_per_school }} 名人选，推荐前须在校内公示不少于 {{ publicity_workdays }} 个工作日。",
            "{%p if due %}", "请于{{ due }}前通过驻会执行主席管理平台报送推荐材料。", "{%p else %}", "请按时报送推荐材料。",
            "{%p endif %}",
        ],
        signature="{{ secretariat }}", date="{{ date }}", footer_note=_CONTACT_NOTE)


def _notice_template() -> DocumentSpec:
    return DocumentSpec(
        title="{{ title }}",
        paragraphs=[
            "{{ body }}",
            "{%p if contact_phone or contact_email or contact_address %}",
            "公示期间，也可通过以下方式向{{ secretariat }}反映：",
            "{%p endif %}",
            "{%p if contact_phone %}", "联系电话：{{ contact_phone }}", "{%p endif %}",
            "{%p if contact_email %}", "电子邮箱：{{ contact_email }}", "{%p endif %}",
            "{%p if contact_address %}", "通信地址：{{ contact_address }}", "{%p endif %}",
        ],
        tables=[TableSpec(["姓名", "性别", "学校", "学历层次", "政治面貌"],
                          [["{%tr for n in nominees %}", "", "", "", ""],
                           ["{{ n.name }}", "{{ n.gender }}", "{{ n.school }}", "{{ n.degree_level }}",
                            "{{ n.political_status }}"],
                           ["{%tr endfor %}", "", "", "", ""]], position=1)],
        signature="{{ federation }}", date="{{ date }}")


register_document_kind(DocumentKind(
    LETTER, "驻会执行主席人选推荐函", "A6.1",
    placeholders={"school": "受函学校", "academic_year": "选拔学年（如 2027-2028）", "letter_number": "文号（发函年度编号）",
                  "nominees_per_school": "每校推荐人数（规则）", "publicity_workdays": "校内公示最少工作日（规则）",
                  "due": "报送截止日期（未定时为空）", "date": "成文日期（发函日）"},
    national=_letter_template,
    sample={"school": "示例大学", "academic_year": "2027-2028", "letter_number": "学联驻〔2026〕1号",
            "nominees_per_school": 1, "publicity_workdays": 5, "due": "2026年12月31日", "date": "2026年12月1日"},
    filename="驻会执行主席人选推荐函"))

register_document_kind(DocumentKind(
    NOTICE, "拟任驻会执行主席人选公示", "A6.5",
    placeholders={"title": "公示标题", "body": "公示正文（公示期、异议方式）", "starts_on": "公示开始日期",
                  "ends_on": "公示结束日期", "workdays": "公示工作日数", "website": "发布网站",
                  "nominees": "拟任人选（每人有 name 姓名、gender 性别、school 学校、degree_level 学历层次、"
                              "political_status 政治面貌）",
                  "date": "成文日期（公示开始日）"},
    national=_notice_template,
    sample={"title": "全国学联2027-2028学年驻会执行主席拟任人选公示", "body": "现将拟任人选予以公示。",
            "starts_on": "2026年12月1日", "ends_on": "2026年12月7日", "workdays": 5, "website": "全国学联官方网站",
            "nominees": [{"name": "王某", "gender": "女", "school": "示例大学", "degree_level": "本科生",
                          "political_status": "共青团员"}],
            "date": "2026年12月1日"},
    filename="拟任驻会执行主席人选公示"))


def _base(cycle: SelectionCycle) -> dict:
    """The issuer: the tenant's settings, the federation as the cycle's pinned rules name it."""
    ctx = base_context(db.session.get(Tenant, cycle.tenant_id))
    fed = cycle.rule("federation.name")
    return ctx | {"federation": fed, "secretariat": f"{fed}秘书处"}


def invitation_letter(tenant_id: int, invitation_id: int, issued_on: str | None = None) -> TemplatedDocument:
    """The A6.1 letter, dated the day it was issued (its 文号 counts in that year)."""
    inv = db.session.get(Invitation, invitation_id)
    cycle = inv.cycle
    due = cycle.step("nominations").due_on
    issued = dt.date.fromisoformat(issued_on) if issued_on else clock.today()
    return TemplatedDocument(LETTER, _base(cycle) | {
        "school": inv.school.name, "academic_year": cycle.academic_year, "letter_number": inv.letter_number or "",
        "nominees_per_school": cycle.rule("selection.nominees_per_school"),
        "publicity_workdays": cycle.rule("selection.school_publicity_min_workdays"),
        "due": chinese_date(due) if due else "", "date": chinese_date(issued)})


def public_notice(tenant_id: int, notice_id: int) -> TemplatedDocument:
    """The A6.5 notice: its stored text, the listed nominees, where objections go."""
    notice = db.session.get(PublicNotice, notice_id)
    noms = db.session.scalars(sa.select(Nomination).where(Nomination.id.in_(notice.nomination_ids))
                              .order_by(Nomination.rank)).all()
    cycle = db.session.get(SelectionCycle, notice.cycle_id)
    return TemplatedDocument(NOTICE, _base(cycle) | {
        "title": notice.title, "body": notice.body, "starts_on": chinese_date(notice.starts_on),
        "ends_on": chinese_date(notice.ends_on), "workdays": notice.min_workdays, "website": notice.website_name,
        "nominees": [{"name": n.name, "gender": n.gender, "school": n.school.name, "degree_level": n.degree_level,
                      "political_status": n.political_status} for n in noms],
        "date": chinese_date(notice.starts_on)})


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


def _school_groups(where, limit: int):
    """The schools that have rows under ``where``, in the sheet's order (province, school code),
    as consecutive groups of about ``limit`` rows: [(school ids, {id: (name, province)}, rows)].
    Two statements over the (cycle, school) index, however large the cycle."""
    from portal.reference.models import Province, School

    counts = dict(db.session.execute(sa.select(Nomination.school_id, sa.func.count())
                                     .where(where).group_by(Nomination.school_id)).all())
    schools = db.session.execute(
        sa.select(School.id, School.name, Province.name).join(Province, Province.code == School.province_code)
        .where(School.id.in_(sa.select(Nomination.school_id).where(where).distinct().scalar_subquery()))
        .order_by(School.province_code, School.code, School.id)).all()
    groups, ids, names, rows = [], [], {}, 0
    for sid, name, province in schools:
        ids.append(sid)
        names[sid] = (name, province)
        rows += counts.get(sid, 0)
        if rows >= limit:
            groups.append((ids, names, rows))
            ids, names, rows = [], {}, 0
    if ids:
        groups.append((ids, names, rows))
    return groups, sum(counts.values())


def nominations_export(tenant_id: int, cycle_id: int, *, scope) -> list[SheetSpec]:
    """The cycle's nominations and ranking as far as ``scope`` may see them (A6.3), streamed:
    the rows are read a group of schools at a time (about ``EXPORT_CHUNK`` rows, one statement
    on the (cycle, school) index each, never a cursor held across a commit) while the
    write-only workbook is written (``write_xlsx`` through ``portal.core.sheets``, formula-safe).
    Phones are masked, as the back office keeps them out of downloads; ID numbers are masked as
    everywhere."""
    from portal.core.idcard import mask_id_number
    from portal.reference.models import School
    from portal.selection.models import ROUTE_LABELS, STATUS_LABELS

    seen = _scope(scope)
    where = sa.and_(Nomination.cycle_id == cycle_id, seen.clause())
    cols = (Nomination.school_id, Nomination.id, Nomination.name, Nomination.gender, Nomination.route,
            Nomination.status, Nomination.id_number, Nomination.political_status, Nomination.degree_level,
            Nomination.major, Nomination.grade_rank, Nomination.grade_cohort, Nomination.baoyan_eligible,
            Nomination.phone)

    def nominations():
        groups, total = _school_groups(where, EXPORT_CHUNK)
        done = 0
        for ids, names, _n in groups:
            order = {sid: i for i, sid in enumerate(ids)}
            rows = db.session.execute(sa.select(*cols).where(where, Nomination.school_id.in_(ids))).all()
            rows.sort(key=lambda r: (order[r[0]], r[1]))
            for r in rows:
                school, province = names[r[0]]
                yield [r[1], r[2], r[3], school, province, ROUTE_LABELS[r[4]], STATUS_LABELS[r[5]],
                       mask_id_number(r[6]), r[7], r[8], r[9], f"{r[10]}/{r[11]}", "是" if r[12] else "否",
                       mask_phone(r[13])]
            done += len(rows)
            _report(done, total)

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
