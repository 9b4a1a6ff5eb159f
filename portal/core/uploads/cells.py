"""Cell parsers: dates, numbers, text, enums, ID numbers and phones, refused in Chinese."""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


from portal.core.idcard import IdNumberError, validate_id_number
from .errors import _BIDI_CONTROLS, _fail, _q

# ---------------------------------------------------------------------------
# 单元格规范化
# ---------------------------------------------------------------------------

_WS_RE = re.compile(r"\s+")
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS), None)

def _is_blank(v: Any) -> bool:
    if v is None:
        return True
    if v.__class__ is not str and not isinstance(v, str):
        return False
    t = v.strip()
    if t and t[0] not in _INVISIBLE_CHARS:  # a visible first character: not blank
        return False
    return not v.translate(_INVISIBLE).strip()


_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = 0x20


def to_halfwidth(s: str) -> str:
    """全角 ASCII 变体（U+FF01–U+FF5E）转半角，全角空格（U+3000）转半角空格。其他字符不变。"""
    return s.translate(_HALFWIDTH)


# 日期文本里常见的“类分隔符”：句号、各种横线
_DATE_PUNCT = str.maketrans({"。": ".", "．": ".", "－": "-", "—": "-", "–": "-", "−": "-", "／": "/", "\\": "/"})
_DATE_TIME_SUFFIX = r"(?:[ T]+\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)?"
_DATE_PATTERNS: list[tuple[re.Pattern[str], bool]] = [
    (re.compile(r"^(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})" + _DATE_TIME_SUFFIX + r"$"), True),
    (re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?" + _DATE_TIME_SUFFIX + r"$"), True),
    (re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月?$"), False),
    (re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$"), False),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), True),
    (re.compile(r"^(\d{4})(\d{2})$"), False),
]
_DATE_HINT = "请按 2003-05-01 或 2003年5月1日 的格式填写"
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31


def _make_date(y: int, m: int, d: int, raw: str, row, column) -> date:
    if not 1 <= m <= 12:
        _fail(f"日期「{_q(raw)}」中的月份 {m} 无效（应为 1–12）", "bad_date", row, column)
    try:
        return date(y, m, d)
    except ValueError:
        _fail(f"日期「{_q(raw)}」不存在：{y}年{m}月没有{d}日", "bad_date", row, column)
        raise  # pragma: no cover


def _date_from_number(v: int | float, min_year: int, max_year: int, row, column) -> date:
    raw = repr(v) if isinstance(v, float) else str(v)
    if isinstance(v, float) and not math.isfinite(v):
        _fail(f"无法识别的日期「{_q(raw)}」，{_DATE_HINT}", "bad_date", row, column)
    # 在常规格式的单元格里输入 2003.05，Excel 会存成数字 2003.05（2003.10 会变成 2003.1）
    if min_year <= v < max_year + 1:
        year = int(v)
        if v == year:
            _fail(f"日期「{year}」只有年份，缺少月份，{_DATE_HINT}", "bad_date", row, column)
        decimals = repr(float(v)).split(".", 1)[1]
        if "e" in decimals or len(decimals) > 2:
            _fail(f"无法识别的日期「{_q(raw)}」，{_DATE_HINT}", "bad_date", row, column)
        if decimals == "1":
            _fail(
                f"日期被 Excel 存成了数字 {raw}，无法判断是 {year}年1月 还是 {year}年10月。"
                "请将该列设为文本格式后按 2003-10-01 的格式填写",
                "bad_date",
                row,
                column,
            )
        return _make_date(year, int(decimals), 1, raw, row, column)
    if float(v).is_integer():
        n = int(v)
        if 10_000_000 <= n <= 99_999_999:  # 20030501
            s = str(n)
            return _make_date(int(s[:4]), int(s[4:6]), int(s[6:]), raw, row, column)
        if 100_000 <= n <= 999_999 and min_year <= n // 100 <= max_year:  # 200305
            return _make_date(n // 100, n % 100, 1, raw, row, column)
    if 1 <= v <= _EXCEL_MAX_SERIAL:  # Excel 日期序列号（1900 日期系统）
        from openpyxl.utils.datetime import from_excel

        result = from_excel(v)
        return result.date() if isinstance(result, datetime) else result
    _fail(f"无法识别的日期「{_q(raw)}」，{_DATE_HINT}", "bad_date", row, column)
    raise AssertionError  # pragma: no cover


def _month_only(raw: str) -> str:
    return f"日期「{_q(raw)}」只有年和月，缺少日，无法确定是哪一天。请填写完整的日期，如 2026-11-02 或 2026年11月2日"


def parse_date_cell(
    v: Any,
    *,
    required: bool = True,
    min_year: int = 1900,
    max_year: int = 2100,
    require_day: bool = False,
    row: int | None = None,
    column: str | None = None,
) -> date | None:
    """把单元格值规范化为 ``date``。

    接受 ``datetime``/``date``；Excel 日期序列号；数字形式的 ``20030501``、``200305``、``2003.05``；
    文本 ``2003-05-01``、``2003/5/1``、``2003.05.01``、``2003.05``、``2003年5月``、``2003年5月1日``
    （全角数字、全角标点、中文句号均可；只有年月时取当月 1 日，``require_day=True`` 时拒绝——
    例如公示的开始日期，哪一天开始不能猜）。
    不存在的日期（如 2月30日）、年份超出 ``[min_year, max_year]`` 时报错。
    ``required=False`` 时空值返回 ``None``。
    """
    if _is_blank(v):
        if required:
            _fail("日期不能为空", "required", row, column)
        return None
    if isinstance(v, bool):
        _fail(f"无法识别的日期「{_q(v)}」，{_DATE_HINT}", "bad_date", row, column)
    if isinstance(v, datetime):
        result = v.date()
    elif isinstance(v, date):
        result = v
    elif isinstance(v, (int, float)):
        if require_day and (min_year <= v < max_year + 1 or (
                float(v).is_integer() and 100_000 <= v <= 999_999 and min_year <= int(v) // 100 <= max_year)):
            _fail(_month_only(str(v)), "bad_date", row, column)
        result = _date_from_number(v, min_year, max_year, row, column)
    elif isinstance(v, str):
        raw = v.strip()
        s = to_halfwidth(v).translate(_INVISIBLE).translate(_DATE_PUNCT).strip()
        result = None
        for pattern, has_day in _DATE_PATTERNS:
            m = pattern.match(s)
            if m:
                g = [x for x in m.groups() if x is not None and x not in "-/."]
                y, mo = int(g[0]), int(g[1])
                if not has_day and require_day:
                    _fail(_month_only(raw), "bad_date", row, column)
                d = int(g[2]) if has_day else 1
                result = _make_date(y, mo, d, raw, row, column)
                break
        if result is None:
            if re.fullmatch(r"\d{4}\s*年?", s):
                _fail(f"日期「{_q(raw)}」只有年份，缺少月份，{_DATE_HINT}", "bad_date", row, column)
            _fail(f"无法识别的日期「{_q(raw)}」，{_DATE_HINT}", "bad_date", row, column)
    else:
        _fail(f"无法识别的日期「{_q(v)}」，{_DATE_HINT}", "bad_date", row, column)
        raise AssertionError  # pragma: no cover

    if not min_year <= result.year <= max_year:
        _fail(f"日期 {result:%Y-%m-%d} 超出合理范围（{min_year}–{max_year} 年），请核对", "bad_date", row, column)
    return result


def parse_int_cell(
    v: Any,
    *,
    min_value: int | None = None,
    max_value: int | None = None,
    required: bool = True,
    row: int | None = None,
    column: str | None = None,
) -> int | None:
    """规范化为整数。接受 int、整数值的 float（``3.0``）、文本 ``"３"``/``" 12 "``/``"1,200"``/``"12.0"``。"""
    if _is_blank(v):
        if required:
            _fail("该项不能为空，请填写整数", "required", row, column)
        return None
    if isinstance(v, bool):
        _fail(f"「{_q(v)}」不是整数", "bad_int", row, column)
    if isinstance(v, int):
        n = v
    elif isinstance(v, float):
        if not math.isfinite(v) or not v.is_integer():
            _fail(f"「{v:g}」不是整数", "bad_int", row, column)
        n = int(v)
    elif isinstance(v, str):
        raw = v.strip()
        s = to_halfwidth(v).translate(_INVISIBLE).strip().replace(",", "").replace("，", "")
        m = re.fullmatch(r"([+-]?\d+)(?:\.0*)?", s)
        if not m:
            _fail(f"「{_q(raw)}」不是整数，请只填写数字", "bad_int", row, column)
        n = int(m.group(1))
    else:
        _fail(f"「{_q(v)}」不是整数", "bad_int", row, column)
        raise AssertionError  # pragma: no cover
    if min_value is not None and n < min_value:
        _fail(f"数值 {n} 不能小于 {min_value}", "out_of_range", row, column)
    if max_value is not None and n > max_value:
        _fail(f"数值 {n} 不能大于 {max_value}", "out_of_range", row, column)
    return n


def parse_decimal_cell(
    v: Any,
    *,
    min_value: int | Decimal | None = None,
    max_value: int | Decimal | None = None,
    places: int | None = None,
    required: bool = True,
    row: int | None = None,
    column: str | None = None,
) -> Decimal | None:
    """规范化为 ``Decimal``（成绩、分数）。接受数字、文本 ``"85.5"``、``"８５．５"``、``" 90 "``。

    数字单元格按 Excel 显示的 15 位有效数字取值（公式结果 ``51.000000000000007`` → ``51``）；
    小数位超过 ``places``、超出 ``[min_value, max_value]`` 时报错。
    """
    if _is_blank(v):
        if required:
            _fail("该项不能为空，请填写数字", "required", row, column)
        return None
    if isinstance(v, bool):
        _fail(f"「{_q(v)}」不是数字", "bad_number", row, column)
    if isinstance(v, int):
        d = Decimal(v)
    elif isinstance(v, float):
        if not math.isfinite(v):
            _fail("内容不是有效的数字", "bad_number", row, column)
        d = Decimal(format(v, ".15g"))
    elif isinstance(v, (str, Decimal)):
        raw = str(v).strip()
        s = to_halfwidth(raw).translate(_INVISIBLE).replace("。", ".").strip()
        if not re.fullmatch(r"[+-]?[0-9]+(?:\.[0-9]+)?", s):
            _fail(f"「{_q(raw)}」不是数字，请只填写数字（如 85.5）", "bad_number", row, column)
        try:
            d = Decimal(s)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            _fail(f"「{_q(raw)}」不是数字", "bad_number", row, column)
    else:
        _fail(f"「{_q(v)}」不是数字", "bad_number", row, column)
        raise AssertionError  # pragma: no cover
    d = d.quantize(Decimal(1)) + 0 if d == d.to_integral_value() else d.normalize()  # 90.0 → 90, -0 → 0, 85.50 → 85.5
    if places is not None and -d.as_tuple().exponent > places:
        _fail(f"「{d}」最多保留 {places} 位小数", "bad_number", row, column)
    if (min_value is not None and d < min_value) or (max_value is not None and d > max_value):
        lo = "" if min_value is None else min_value
        hi = "" if max_value is None else max_value
        _fail(f"数值 {d} 超出范围，应在 {lo}–{hi} 之间", "out_of_range", row, column)
    return d


_FORMULA_START = frozenset("=+-@")


def parse_text_cell(
    v: Any,
    max_len: int | None = None,
    *,
    required: bool = True,
    allow_newlines: bool = False,
    row: int | None = None,
    column: str | None = None,
) -> str | None:
    """规范化文本：去掉首尾空白（含全角空格、零宽字符），拒绝控制字符/不可见格式字符，
    超过 ``max_len`` 个字符报错。``allow_newlines=True`` 时允许单元格内换行（统一为 ``\\n``）。

    数字会转成文本（``13800138000.0`` → ``"13800138000"``）；超过 15 位的数字已被 Excel 丢失精度，报错。
    ``required=False`` 时空值返回 ``None``。
    """
    if _is_blank(v):
        if required:
            _fail("该项不能为空", "required", row, column)
        return None
    if isinstance(v, bool):
        s = "TRUE" if v else "FALSE"
    elif isinstance(v, int):
        s = str(v)
    elif isinstance(v, float):
        if not math.isfinite(v):
            _fail("内容无效", "bad_text", row, column)
        if v.is_integer():
            if abs(v) >= 1e15:
                _fail(
                    "该单元格被存成了数字并丢失了位数（Excel 只保留 15 位有效数字），请将该列设为文本格式后重新填写",
                    "stored_as_number",
                    row,
                    column,
                )
            s = str(int(v))
        else:
            s = repr(v)
    elif isinstance(v, datetime):
        s = f"{v:%Y-%m-%d}" if v.time() == datetime.min.time() else f"{v:%Y-%m-%d %H:%M:%S}"
    elif isinstance(v, date):
        s = f"{v:%Y-%m-%d}"
    elif isinstance(v, str):
        s = v
    elif isinstance(v, (list, tuple, dict, set)):  # a JSON body's array or object: not a text value
        _fail("内容格式不正确，应填写文本", "bad_text", row, column)
    else:
        s = str(v)

    s = s.strip(" \t\r\n\u3000\u00a0\u200b\u200c\u200d\u2060\ufeff")
    if s[:1] == "'" and s[1:2] in _FORMULA_START:
        s = s[1:]  # the apostrophe the portal's formula-safe writer put before = + - @ (core.sheets)
    if allow_newlines:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    # Fast path: a printable string has no Cc/Cf/Cs/Co/unassigned character (str.isprintable);
    # only the rest (spaces other than U+0020, newlines, the refused ones) needs the scan.
    for ch in ("" if s.isprintable() else s):
        if ch == "\n" and allow_newlines:
            continue
        cat = unicodedata.category(ch)
        if cat == "Cc":
            what = "换行符" if ch in "\r\n" else ("制表符" if ch == "\t" else f"控制字符 U+{ord(ch):04X}")
            _fail(f"内容中包含{what}，请删除后重新填写", "bad_text", row, column)
        if cat in ("Cf", "Cs", "Co") or ch in _BIDI_CONTROLS or ch in "\ufffe\uffff":
            _fail(f"内容中包含不可见的特殊字符（U+{ord(ch):04X}），请删除后重新填写（可尝试手动重新输入）", "bad_text", row, column)
    if not s:
        if required:
            _fail("该项不能为空", "required", row, column)
        return None
    if max_len is not None and len(s) > max_len:
        _fail(f"内容不能超过 {max_len} 个字，当前为 {len(s)} 个字", "too_long", row, column)
    return s


def parse_enum_cell(
    v: Any,
    choices: Sequence[str] | Mapping[str, Any],
    *,
    required: bool = True,
    aliases: Mapping[str, str] | None = None,
    row: int | None = None,
    column: str | None = None,
) -> Any:
    """值必须是 ``choices`` 之一（比较时去空白、忽略全/半角和英文大小写）。

    ``choices`` 为映射时按键匹配并返回对应的值（例如 ``{"是": True, "否": False}``）；
    否则返回 ``choices`` 中的规范写法。``aliases`` 把常见的其他写法映射到某个选项（``{"党员": "中共党员"}``）。
    错误信息列出全部可选项。
    """
    if isinstance(v, str) and v in choices:  # the common case: exactly one of the options
        return choices[v] if isinstance(choices, Mapping) else v
    options = list(choices.keys()) if isinstance(choices, Mapping) else list(choices)
    allowed = "、".join(f"「{c}」" for c in options)
    if _is_blank(v):
        if required:
            _fail(f"该项不能为空，可选：{allowed}", "required", row, column)
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    key = _WS_RE.sub("", to_halfwidth(str(v)).translate(_INVISIBLE)).casefold()
    for opt in options:
        if _WS_RE.sub("", to_halfwidth(str(opt))).casefold() == key:
            return choices[opt] if isinstance(choices, Mapping) else opt
    for alias, opt in (aliases or {}).items():  # what people write for an option (党员 → 中共党员)
        if _WS_RE.sub("", to_halfwidth(str(alias))).casefold() == key:
            return choices[opt] if isinstance(choices, Mapping) else opt
    _fail(f"「{_q(str(v).strip())}」不是有效选项，可选：{allowed}", "bad_choice", row, column)


def parse_id_cell(
    v: Any,
    *,
    required: bool = True,
    row: int | None = None,
    column: str | None = None,
) -> str | None:
    """校验身份证号单元格，返回规范化的 18 位号码（详见 :mod:`portal.core.idcard`）。"""
    if _is_blank(v):
        if required:
            _fail("身份证号不能为空", "required", row, column)
        return None
    try:
        return validate_id_number(v).number
    except IdNumberError as exc:
        _fail(exc.message, exc.code, row, column)
        raise  # pragma: no cover


_PHONE_SEPARATORS = re.compile(r"[\s\u3000\-]+")
_MOBILE_RE = re.compile(r"(?:\+?86|0086)?(1[0-9]{10})")
# 固定电话：区号（0 开头 3–4 位；带 +86 时去掉区号的 0）可以带括号或横线，号码 7–8 位。
# 区号：010、02x 为三位（去掉 0 为两位），其余 0xxx 为四位。
_LANDLINE_RE = re.compile(r"(?:(?:\+86|0086)\(?0?([12][0-9]|[3-9][0-9]{2})\)?|\(?(0[12][0-9]|0[3-9][0-9]{2})\)?)(-?)([0-9]{7,8})")


def parse_phone_cell(
    v: Any,
    *,
    required: bool = True,
    row: int | None = None,
    column: str | None = None,
) -> str | None:
    """手机号（1 开头 11 位）或固定电话（0 开头区号 + 号码），返回规范写法：手机号为 11 位数字，
    固定电话为「区号-号码」（原文没有分隔时保持连写）。

    学校日常的写法都接受：全角数字和符号（中文输入法下常见）、空格与横线分组（``138-0013-8000``、
    ``138 0013 8000``）、国家代码（``+86 138 0013 8000``、``0086…``、``86…``）、括号里的区号
    （``(010)12345678``、``（010）1234 5678``、``+86 (10) 1234 5678``）。数字单元格按文本处理。
    """
    s = parse_text_cell(v, 30, required=required, row=row, column=column)
    if s is None:
        return None
    if len(s) == 11 and s[0] == "1" and s.isascii() and s.isdigit():  # a mobile number as typed: nothing to fix
        return s
    t = to_halfwidth(s).translate(_INVISIBLE).translate(_DATE_PUNCT).strip()
    m = _MOBILE_RE.fullmatch(_PHONE_SEPARATORS.sub("", t))
    if m:
        return m.group(1)
    compact = re.sub(r"[\s\u3000]+", "", t)
    compact = re.sub(r"(?<=\))-", "", compact)  # (010)-12345678
    m = _LANDLINE_RE.fullmatch(re.sub(r"(?<=[0-9])-(?=[0-9]{4}$)", "", compact) if compact.count("-") > 1 else compact)
    if m:
        area = "0" + m.group(1) if m.group(1) else m.group(2)
        separated = bool(m.group(3)) or "(" in compact or m.group(1) is not None or " " in t
        return f"{area}-{m.group(4)}" if separated else f"{area}{m.group(4)}"
    _fail(f"「{_q(s)}」不是有效的电话号码（手机号 11 位，或 区号-号码，如 010-12345678）", "bad_value", row, column)
