"""portal.core.idcard —— 居民身份证号码规范化/校验/脱敏。"""

from datetime import date

import pytest

from portal.core.idcard import (
    LOST_DIGITS_MESSAGE,
    PROVINCE_CODES,
    IdInfo,
    IdNumberError,
    id_check_digit,
    is_valid_id_number,
    make_id_number,
    mask_id_number,
    normalize_id_number,
    validate_id_number,
)

VALID = make_id_number()  # 110105 20030501 123 + 校验位


# --- 校验码 / 生成 ----------------------------------------------------------


def test_check_digit_matches_gb11643_examples():
    # GB 11643-1999 附录中的示例号码
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("44052418800101001") == "4"
    assert validate_id_number("11010519491231002X").gender == "女"


def test_make_id_number_defaults_are_valid():
    assert VALID.startswith("11010520030501123")
    assert len(VALID) == 18
    info = validate_id_number(VALID)
    assert info == IdInfo(
        number=VALID,
        birth_date=date(2003, 5, 1),
        gender="男",
        region_code="110105",
        province_code="11",
    )
    assert info.province_name == "北京"


@pytest.mark.parametrize("seq,gender", [(123, "男"), (124, "女"), (1, "男"), (0, "女"), (999, "男")])
def test_gender_from_17th_digit(seq, gender):
    assert validate_id_number(make_id_number(seq=seq)).gender == gender


def test_make_id_number_custom_and_x_check_digit():
    n = make_id_number(region="440305", birth=date(1999, 12, 31), seq=7)
    info = validate_id_number(n)
    assert info.region_code == "440305" and info.province_code == "44"
    assert info.birth_date == date(1999, 12, 31)
    # 找一个校验位为 X 的号码，确保 X 结尾能通过
    with_x = next(make_id_number(seq=s) for s in range(1000) if make_id_number(seq=s).endswith("X"))
    assert validate_id_number(with_x).number == with_x


@pytest.mark.parametrize("kwargs", [{"region": "11010"}, {"region": "abcdef"}, {"seq": 1000}, {"seq": -1}])
def test_make_id_number_rejects_bad_args(kwargs):
    with pytest.raises(ValueError):
        make_id_number(**kwargs)


@pytest.mark.parametrize("code", sorted(PROVINCE_CODES))
def test_every_province_code_accepted(code):
    assert is_valid_id_number(make_id_number(region=code + "0101"))


def test_age_on():
    info = validate_id_number(VALID)
    assert info.age_on(date(2021, 4, 30)) == 17
    assert info.age_on(date(2021, 5, 1)) == 18


# --- 规范化 -------------------------------------------------------------------


def test_normalize_fullwidth_lowercase_and_spaces():
    x = "11010519491231002X"
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in x.lower())  # １１０…ｘ
    assert normalize_id_number(f"\u3000 {fullwidth} \t") == x
    assert normalize_id_number(" 11010519491231002x ") == x
    assert normalize_id_number("\ufeff11010519491231002x\u200b") == x
    assert validate_id_number(fullwidth).number == x


def test_normalize_int_is_accepted():
    n = make_id_number(seq=124)
    assert n[-1] != "X"
    assert normalize_id_number(int(n)) == n
    assert validate_id_number(int(n)).number == n


@pytest.mark.parametrize(
    "raw",
    [
        1.10105200305011e17,       # Excel 数字单元格读出的 float
        110105200305011237.0,
        1.10105e17,
        "1.10105E+17",             # 复制出来的科学计数法文本
        "1.10105200305011e+17",
        " １.１０１０５Ｅ＋１７ ",
        110105200305011000,        # 被截断成 15 位有效数字后再存成整数
    ],
)
def test_id_stored_as_number_lost_digits(raw):
    with pytest.raises(IdNumberError) as ei:
        normalize_id_number(raw)
    assert ei.value.message == LOST_DIGITS_MESSAGE == "身份证号被存成了数字并丢失了位数，请将该列设为文本格式后重新填写"
    assert ei.value.code == "stored_as_number"
    with pytest.raises(IdNumberError, match="丢失了位数"):
        validate_id_number(raw)


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000"])
def test_empty(raw):
    with pytest.raises(IdNumberError, match="不能为空"):
        validate_id_number(raw)


@pytest.mark.parametrize("raw", [True, 3.5, -1, object()])
def test_bad_types(raw):
    with pytest.raises(IdNumberError):
        validate_id_number(raw)


def test_id_number_error_is_value_error():
    assert issubclass(IdNumberError, ValueError)


# --- 校验错误信息 --------------------------------------------------------------


def _msg(raw, **kw):
    with pytest.raises(IdNumberError) as ei:
        validate_id_number(raw, **kw)
    return ei.value


def test_wrong_length():
    e = _msg(VALID[:-1])
    assert e.code == "bad_length" and "应为 18 位，当前为 17 位" in e.message
    assert "当前为 19 位" in _msg(VALID + "1").message


def test_non_digit_in_body():
    bad = VALID[:8] + "A" + VALID[9:]
    e = _msg(bad)
    assert e.code == "bad_char" and "第 9 位「A」不是数字" in e.message


def test_bad_last_char():
    e = _msg(VALID[:17] + "Y")
    assert e.code == "bad_char" and "最后一位「Y」" in e.message


@pytest.mark.parametrize("prefix", ["00", "10", "16", "20", "66", "70", "80", "83", "99"])
def test_bad_province(prefix):
    first17 = prefix + VALID[2:17]
    e = _msg(first17 + id_check_digit(first17))
    assert e.code == "bad_region" and f"「{prefix}」" in e.message


@pytest.mark.parametrize("ymd", ["20030230", "20031301", "20030000", "20010229"])
def test_impossible_birth_date(ymd):
    first17 = "110105" + ymd + "123"
    e = _msg(first17 + id_check_digit(first17))
    assert e.code == "bad_birth_date" and ymd in e.message and "不是有效日期" in e.message


def test_leap_day_ok():
    assert validate_id_number(make_id_number(birth=date(2004, 2, 29))).birth_date == date(2004, 2, 29)


def test_future_birth_date():
    n = make_id_number(birth=date(2030, 1, 1))
    e = _msg(n, today=date(2025, 1, 1))
    assert e.code == "bad_birth_date" and "晚于今天" in e.message
    assert validate_id_number(n, today=date(2030, 1, 1)).birth_date == date(2030, 1, 1)


def test_implausibly_old():
    first17 = "110105" + "18991231" + "123"
    assert "不合理" in _msg(first17 + id_check_digit(first17)).message


def test_wrong_check_digit():
    wrong = "0" if VALID[-1] != "0" else "1"
    e = _msg(VALID[:17] + wrong)
    assert e.code == "bad_check_digit" and "校验位不正确" in e.message


def test_single_digit_typo_detected():
    # MOD 11-2 能发现任意单个数字的录入错误
    body = VALID[:17]
    for i in range(6, 17):
        for d in "0123456789":
            if d == body[i]:
                continue
            typo = body[:i] + d + body[i + 1 :] + VALID[17]
            assert not is_valid_id_number(typo)


# --- 脱敏 -----------------------------------------------------------------------


def test_mask():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number("11010519491231002x") == "110105********002X"
    assert mask_id_number(VALID) == "110105********" + VALID[-4:]
    assert mask_id_number(int(make_id_number(seq=124))).startswith("110105********")
    assert mask_id_number(None) == ""
    assert mask_id_number("1234567890") == "**********"
    assert mask_id_number("") == ""
    assert mask_id_number("12345678901") == "123456*8901"
