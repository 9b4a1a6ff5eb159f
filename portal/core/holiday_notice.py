"""Read the State Council's holiday notice (国务院办公厅关于某年部分节假日安排的通知).

The secretariat pastes the notice's text; :func:`parse_notice` turns it into the year's
days off and adjusted working weekend days (:class:`~portal.core.workdays.YearData`),
with a per-item account for the confirmation screen. Nothing is stored here: the caller
shows the result, and imports it only once a person has confirmed it.

The notice's items read, for example::

    一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
    二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。……
    五、端午节：6月10日放假，与周末连休。
    六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）……上班。

Each clause (split at ，；。) that says 放假 or 补休 lists days off, a bare date or a range
joined by 至 (the second date inherits the first's month and year); a clause that says
上班 lists working weekend days. Other clauses (鼓励……除夕休息, the closing paragraph, the
signature date) are ignored. The parenthesised weekday of every date is checked against
the calendar, and a 共N天 against the range, so that a notice pasted under the wrong year,
or mistyped, is refused instead of imported.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from portal.core.workdays import YearData, check_year_complete

__all__ = ["NoticeError", "NoticeItem", "ParsedNotice", "parse_notice", "MAX_NOTICE_CHARS"]

MAX_NOTICE_CHARS = 20_000  # the notices run to about 1,000 characters

_NUMERALS = "一二三四五六七八九十"
_ITEM = re.compile(rf"(?:^|(?<=[\s。；;]))([{_NUMERALS}]{{1,3}})、\s*([^：:\n。]{{1,40}}?)\s*[：:]")
_TITLE_YEAR = re.compile(r"关于\s*(\d{4})\s*年\s*(?:部分)?节假日安排的通知")
_DOC_NO = re.compile(r"国办发(?:明电)?\s*〔\s*\d{4}\s*〕\s*\d+\s*号")
_DATE = re.compile(r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日(?:\s*[（(]([^）)]{0,30})[）)])?")
_WEEKDAY = re.compile(r"(?:周|星期)([一二三四五六日天])")
_TOTAL = re.compile(r"共\s*(\d{1,2})\s*天|放假\s*(\d{1,2})\s*天")
_WEEKDAY_NO = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAY_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class NoticeError(ValueError):
    """The text cannot be read as the notice for the year; the message says where."""


@dataclass
class NoticeItem:
    """One numbered item of the notice, as read."""

    number: str
    name: str
    text: str
    holidays: list[dt.date] = field(default_factory=list)
    workdays: list[dt.date] = field(default_factory=list)
    other_year: list[dt.date] = field(default_factory=list)


@dataclass
class ParsedNotice:
    year: int
    data: YearData
    items: list[NoticeItem]
    document_number: str | None
    warnings: list[str]

    @property
    def source(self) -> str:
        title = f"国务院办公厅关于{self.year}年部分节假日安排的通知"
        return f"{title}（{self.document_number}）" if self.document_number else title


def _normalise(text: str) -> str:
    # Full-width digits and punctuation variants to one form; keep Chinese brackets.
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("(", "（").replace(")", "）").replace(":", "：")
    return re.sub(r"[ \t\u3000]+", "", text)


def parse_notice(text: str, year: int | None = None) -> ParsedNotice:
    """Parse the notice; ``year`` defaults to the one its title names.

    Raises :class:`NoticeError` naming the item and date at fault.
    """
    if not text or not text.strip():
        raise NoticeError("请粘贴通知全文")
    if len(text) > MAX_NOTICE_CHARS:
        raise NoticeError(f"通知文本过长（{len(text)} 字），请只粘贴通知本身（不超过 {MAX_NOTICE_CHARS} 字）")
    text = _normalise(text)
    m = _TITLE_YEAR.search(text)
    title_year = int(m.group(1)) if m else None
    if year is None:
        if title_year is None:
            raise NoticeError("没有找到通知标题中的年份（“关于XXXX年部分节假日安排的通知”），请填写年份")
        year = title_year
    elif title_year is not None and title_year != year:
        raise NoticeError(f"通知标题是{title_year}年的安排，与所填年份{year}年不符")
    if not 2000 <= year <= 2100:
        raise NoticeError(f"年份「{year}」不正确")

    markers = list(_ITEM.finditer(text))
    if not markers:
        raise NoticeError("没有找到“一、元旦：……”这样的分项，请粘贴通知正文")
    items: list[NoticeItem] = []
    for i, mk in enumerate(markers):
        end = markers[i + 1].start() if i + 1 < len(markers) else len(text)
        body = text[mk.end():end]
        item = NoticeItem(number=mk.group(1), name=mk.group(2).strip(), text=body.strip())
        _read_item(item, body, year)
        if item.holidays or item.workdays or item.other_year:
            items.append(item)
    if not items:
        raise NoticeError("通知各项中没有读到任何放假或上班日期")

    holidays: dict[dt.date, str] = {}
    workdays: dict[dt.date, str] = {}
    warnings: list[str] = []
    for item in items:
        label = f"第{item.number}项（{item.name}）"
        for d in item.holidays:
            if d in holidays and holidays[d] != item.name:
                raise NoticeError(f"{label}：{_fmt(d)}已在“{holidays[d]}”中列为放假")
            holidays[d] = item.name[:40]
        for d in item.workdays:
            if d in holidays:
                raise NoticeError(f"{label}：{_fmt(d)}不能既放假又上班")
            if d.weekday() < 5:
                raise NoticeError(f"{label}：{_fmt(d)}是{_WEEKDAY_ZH[d.weekday()]}，调休上班日应为周六或周日")
            workdays[d] = item.name[:40]
        for d in item.other_year:
            warnings.append(f"{label}：{_fmt(d)}属于{d.year}年，应列入{d.year}年的安排，本次不导入")
    doc = _DOC_NO.search(text)
    parsed = ParsedNotice(year=year, data=YearData(year, holidays, workdays), items=items,
                          document_number=doc.group(0) if doc else None, warnings=warnings)
    try:
        check_year_complete(parsed.data)
    except ValueError as exc:
        raise NoticeError(str(exc)) from None
    parsed.data = YearData(year, holidays, workdays, source=parsed.source)
    return parsed


def _read_item(item: NoticeItem, body: str, year: int) -> None:
    label = f"第{item.number}项（{item.name}）"
    for sentence in re.split(r"[。]", body):
        clauses = [c for c in re.split(r"[，,；;]", sentence) if c]
        total_days = 0
        stated_total = None
        for clause in clauses:
            t = _TOTAL.search(clause)
            if t and stated_total is None:
                stated_total = int(t.group(1) or t.group(2))
            off = "放假" in clause or "补休" in clause
            on = "上班" in clause
            if not (off or on):
                continue
            if off and on:
                raise NoticeError(f"{label}：无法判断“{clause}”是放假还是上班，请检查文本")
            dates = _dates(clause, year, label)
            if not dates:
                continue
            if on:
                for d, _ in dates:
                    (item.workdays if d.year == year else item.other_year).append(d)
                continue
            # days off: a bare date, or ranges joined by 至
            k = 0
            while k < len(dates):
                d, joined = dates[k]
                if k + 1 < len(dates) and dates[k + 1][1]:
                    last = dates[k + 1][0]
                    if last < d or (last - d).days > 31:
                        raise NoticeError(f"{label}：日期范围{_fmt(d)}至{_fmt(last)}不正确")
                    span = [d + dt.timedelta(days=j) for j in range((last - d).days + 1)]
                    k += 2
                else:
                    span = [d]
                    k += 1
                total_days += len(span)
                for day in span:
                    (item.holidays if day.year == year else item.other_year).append(day)
        if stated_total is not None and total_days and stated_total != total_days:
            raise NoticeError(f"{label}：写明“共{stated_total}天”，但列出的放假日期共{total_days}天")


def _dates(clause: str, year: int, label: str) -> list[tuple[dt.date, bool]]:
    """Dates in a clause with whether each is joined to the previous one by 至."""
    out: list[tuple[dt.date, bool]] = []
    cur_year, cur_month = year, None
    prev_end = None
    for m in _DATE.finditer(clause):
        y, mo, d, paren = m.group(1), m.group(2), m.group(3), m.group(4)
        if y:
            cur_year = int(y)
        if mo:
            cur_month = int(mo)
        if cur_month is None:
            continue  # "共3天" style numbers never match 日 without a month before
        try:
            day = dt.date(cur_year, cur_month, int(d))
        except ValueError:
            raise NoticeError(f"{label}：日期“{m.group(0)}”不存在") from None
        if paren:
            w = _WEEKDAY.search(paren)
            if w and _WEEKDAY_NO[w.group(1)] != day.weekday():
                raise NoticeError(
                    f"{label}：{_fmt(day)}标注为{w.group(0)}，但{day.year}年{day.month}月{day.day}日"
                    f"是{_WEEKDAY_ZH[day.weekday()]}（年份是否填错？）")
        joined = prev_end is not None and "至" in clause[prev_end:m.start()]
        out.append((day, joined))
        prev_end = m.end()
    return out


def _fmt(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"
