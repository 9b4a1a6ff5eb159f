"""居民身份证号码（GB 11643-1999）的规范化、校验、脱敏与测试号码生成。

纯函数模块，不依赖 Flask，可在导入任务、表单校验、工厂（factories）中直接使用。

    >>> info = validate_id_number(" １１０１０５２００３０５０１１２３ｘ ")   # doctest: +SKIP
    >>> info.gender, info.birth_date
    ('男', datetime.date(2003, 5, 1))

所有错误均以 :class:`IdNumberError`（``ValueError`` 子类）抛出，``.message`` 为面向用户的中文说明。
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from datetime import date
from portal.core import clock

__all__ = [
    "IdNumberError",
    "IdInfo",
    "PROVINCE_CODES",
    "normalize_id_number",
    "validate_id_number",
    "is_valid_id_number",
    "mask_id_number",
    "make_id_number",
    "id_check_digit",
]

# ISO 7064 MOD 11-2：第 i 位（从左数，1 起）的加权因子为 2^(18-i) mod 11。
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_CHECK_CHARS = "10X98765432"
_DIGIT_OFFSET = 48 * sum(_WEIGHTS)  # ord("0") times every weight

# GB/T 2260 省级行政区划代码（含 71 台湾、81 香港、82 澳门）。
# 注意：这是 11–65 范围内真实存在的代码，而不是整个 11–65 区间（16–20、24–30 等并不存在）。
PROVINCE_CODES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
    "71": "台湾", "81": "香港", "82": "澳门",
}

_MIN_BIRTH_YEAR = 1900

# 全角数字/字母 → 半角；全角空格 → 半角空格。
_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = 0x20
# 复制粘贴时常混入的不可见字符，直接去掉。
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)

_SCI_NOTATION = re.compile(r"^[+-]?\d+(?:\.\d*)?[eE][+-]?\d+$")

LOST_DIGITS_MESSAGE = "身份证号被存成了数字并丢失了位数，请将该列设为文本格式后重新填写"


class IdNumberError(ValueError):
    """身份证号不合法。``message`` 为中文说明，``code`` 为机器可读的原因。"""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


@dataclass(frozen=True)
class IdInfo:
    number: str          # 规范化后的 18 位号码（末位 X 为大写）
    birth_date: date
    gender: str          # '男' / '女'（第 17 位奇数为男）
    region_code: str     # 前 6 位行政区划代码
    province_code: str   # 前 2 位

    @property
    def province_name(self) -> str:
        return PROVINCE_CODES.get(self.province_code, "")

    def age_on(self, on: date | None = None) -> int:
        """周岁年龄（默认按今天计算）。"""
        on = on or clock.today()
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def id_check_digit(first17: str) -> str:
    """按 ISO 7064 MOD 11-2 计算第 18 位校验码（'0'–'9' 或 'X'）。"""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("计算校验码需要 17 位数字")
    # ASCII digits as bytes are their values plus 48: one C-level pass, the offset taken off once.
    total = sum(map(operator.mul, first17.encode(), _WEIGHTS)) - _DIGIT_OFFSET
    return _CHECK_CHARS[total % 11]


def _lost_digits() -> IdNumberError:
    return IdNumberError(LOST_DIGITS_MESSAGE, code="stored_as_number")


def normalize_id_number(raw) -> str:
    """把各种来源的身份证号整理成 18 位字符串形式（不做完整校验）。

    - 字符串：去掉首尾空白（含全角空格）和零宽字符，全角数字/字母转半角，小写 x 转大写 X。
      形如 ``1.10105E+17`` 的科学计数法文本视为"被存成数字"。
    - 浮点数（Excel 数字单元格读出来的值）：18 位号码超出双精度的有效位数，
      一定已经丢失了位数 → 抛出 :data:`LOST_DIGITS_MESSAGE`。
    - 整数：原样转成字符串；若像是 Excel 截断（第 15 位之后全是 0 且校验不通过）同样拒绝。
    """
    if raw is None:
        raise IdNumberError("身份证号不能为空", code="empty")
    if isinstance(raw, bool):
        raise IdNumberError("身份证号格式不正确", code="bad_format")

    if isinstance(raw, float):
        if not math.isfinite(raw) or raw <= 0 or not raw.is_integer():
            raise IdNumberError("身份证号格式不正确，请将该列设为文本格式后重新填写", code="bad_format")
        if raw >= 1e15:  # 双精度只能精确保存 15 位有效数字
            raise _lost_digits()
        return str(int(raw))

    if isinstance(raw, int):
        if raw <= 0:
            raise IdNumberError("身份证号格式不正确", code="bad_format")
        s = str(raw)
        if len(s) > 15 and set(s[15:]) == {"0"} and not _check_digit_ok(s):
            raise _lost_digits()
        return s

    if not isinstance(raw, str):
        raise IdNumberError("身份证号格式不正确", code="bad_format")

    s = raw.translate(_HALFWIDTH).translate(_INVISIBLE).strip()
    if not s:
        raise IdNumberError("身份证号不能为空", code="empty")
    if _SCI_NOTATION.match(s):
        raise _lost_digits()
    return s.upper()


def _check_digit_ok(s: str) -> bool:
    return (
        len(s) == 18
        and s[:17].isascii()
        and s[:17].isdigit()
        and id_check_digit(s[:17]) == s[17]
    )


def validate_id_number(s, *, today: date | None = None) -> IdInfo:
    """完整校验身份证号，返回 :class:`IdInfo`；不合法时抛出 :class:`IdNumberError`。

    接受与 :func:`normalize_id_number` 相同的输入（会先规范化）。
    检查顺序：长度 → 前 17 位为数字 → 末位为数字或 X → 省级代码 → 出生日期 → 校验码。
    """
    s = normalize_id_number(s)
    today = today or clock.today()

    if len(s) != 18:
        raise IdNumberError(f"身份证号应为 18 位，当前为 {len(s)} 位", code="bad_length")
    if not (s[:17].isascii() and s[:17].isdigit()):  # one test for the common case; the loop names the bad one
        for i, ch in enumerate(s[:17], start=1):
            if not ("0" <= ch <= "9"):
                raise IdNumberError(f"身份证号第 {i} 位「{ch}」不是数字（只有最后一位可以是 X）", code="bad_char")
    if not ("0" <= s[17] <= "9" or s[17] == "X"):
        raise IdNumberError(f"身份证号最后一位「{s[17]}」无效，只能是数字或 X", code="bad_char")

    province = s[:2]
    if province not in PROVINCE_CODES:
        raise IdNumberError(f"身份证号前两位「{province}」不是有效的省级行政区划代码", code="bad_region")

    y, m, d = int(s[6:10]), int(s[10:12]), int(s[12:14])
    try:
        birth = date(y, m, d)
    except ValueError:
        raise IdNumberError(
            f"身份证号中的出生日期「{s[6:14]}」不是有效日期（{y}年{m}月{d}日不存在）", code="bad_birth_date"
        ) from None
    if birth > today:
        raise IdNumberError(
            f"身份证号中的出生日期「{birth:%Y-%m-%d}」晚于今天，请核对", code="bad_birth_date"
        )
    if y < _MIN_BIRTH_YEAR:
        raise IdNumberError(f"身份证号中的出生年份「{y}」不合理，请核对", code="bad_birth_date")

    expected = id_check_digit(s[:17])
    if s[17] != expected:
        raise IdNumberError(
            "身份证号校验位不正确（最后一位与前 17 位不匹配），请逐位核对号码是否录入有误", code="bad_check_digit"
        )

    return IdInfo(
        number=s,
        birth_date=birth,
        gender="男" if int(s[16]) % 2 == 1 else "女",
        region_code=s[:6],
        province_code=province,
    )


def is_valid_id_number(s, *, today: date | None = None) -> bool:
    try:
        validate_id_number(s, today=today)
    except IdNumberError:
        return False
    return True


def mask_id_number(s) -> str:
    """脱敏显示：保留前 6 位和后 4 位，例如 ``110105********123X``。

    从不抛异常（用于页面/日志展示）；长度不足 11 位时全部打码，None 返回空串。
    """
    if s is None:
        return ""
    if isinstance(s, str):
        s = s.translate(_HALFWIDTH).translate(_INVISIBLE).strip().upper()
    elif isinstance(s, int) and not isinstance(s, bool):
        s = str(s)
    else:
        s = str(s).strip()
    if len(s) <= 10:
        return "*" * len(s)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def make_id_number(region: str = "110105", birth: date = date(2003, 5, 1), seq: int = 123) -> str:
    """生成一个校验位正确的身份证号（仅用于测试数据/工厂）。

    ``seq`` 为第 15–17 位顺序码（0–999），其末位奇数为男、偶数为女。
    """
    region = str(region)
    if len(region) != 6 or not region.isdigit():
        raise ValueError("region 必须是 6 位数字行政区划代码")
    if not 0 <= int(seq) <= 999:
        raise ValueError("seq 必须在 0–999 之间")
    first17 = f"{region}{birth:%Y%m%d}{int(seq):03d}"
    return first17 + id_check_digit(first17)
