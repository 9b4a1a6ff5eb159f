"""The one error type for refused files and cells, and the helpers its messages use."""
from __future__ import annotations

from typing import Any



MB = 1024 * 1024
MAX_MESSAGE_CHARS = 1000
# An import lists at most this many row errors; checking stops there (see too_many_errors_note).
MAX_REPORTED_ERRORS = 200


def too_many_errors_note(limit: int | None = None) -> str:
    return (f"错误已超过 {limit or MAX_REPORTED_ERRORS} 处，其余各行未再检查。"
            "请先改正以上错误（可下载标注了错误的文件），然后重新上传")

# ---------------------------------------------------------------------------
# 错误类型
# ---------------------------------------------------------------------------


class UploadError(ValueError):
    """上传文件/单元格校验错误。

    * ``message`` —— 面向用户的中文说明（不含位置）；``str(err)`` 会在前面加上"第N行「列」："。
    * ``code`` —— 机器可读原因，例如 ``zip_bomb``、``bad_type``、``too_large``、``missing_sheet``、
      ``merged_cells``、``xml_entities``、``bad_header``、``bad_value``、``empty``、``corrupt``、
      ``encrypted``、``macro``、``too_many_rows``、``unexpected_data``。
    * ``row`` —— Excel 行号（1 起），``column`` —— 表头名称（不在表头范围内时为列字母）。
    """

    def __init__(self, message: str, code: str = "invalid", *, row: int | None = None, column: str | None = None):
        if len(message) > MAX_MESSAGE_CHARS:  # never a page (or a JSON body) of one echoed cell
            message = message[: MAX_MESSAGE_CHARS - 1] + "…"
        super().__init__(message)
        self.message = message
        self.code = code
        self.row = row
        self.column = column

    @property
    def location(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column is not None:
            parts.append(f"「{self.column}」列")
        return "".join(parts)

    def __str__(self) -> str:
        loc = self.location
        return f"{loc}：{self.message}" if loc else self.message

    def as_tuple(self) -> tuple[int | None, str | None, str]:
        """``(row, column, message)``，可直接传给 :func:`mark_errors_xlsx`。"""
        return (self.row, self.column, self.message)

    def __reduce__(self):  # 让带关键字参数的异常可以被 pickle（例如经由任务队列传递）
        return (_rebuild_upload_error, (self.message, self.code, self.row, self.column))


def _rebuild_upload_error(message, code, row, column):
    return UploadError(message, code, row=row, column=column)


def _fail(message: str, code: str = "bad_value", row: int | None = None, column: str | None = None):
    """How every cell parser refuses a value: always an :class:`UploadError` (a ``ValueError``),
    with the row and column when the caller gave them. A parser used outside a sheet (a web
    form, a JSON body) refuses with the same type, so the one ``except UploadError`` its caller
    writes catches every refusal; a bare ``ValueError`` here was a 500 wherever it escaped."""
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    raise UploadError(message, code, row=row, column=column)


# An echoed cell value in an error message is cut to this many characters (a 1 MB cell must not
# come back in full on the error page, in the JSON or in the marked copy).
ECHO_MAX_CHARS = 60


def _q(v: Any, limit: int = ECHO_MAX_CHARS) -> str:
    """``v`` as text for quoting in an error message, cut to ``limit`` characters with an ellipsis."""
    s = v if isinstance(v, str) else str(v)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _fmt_size(n: int) -> str:
    if n >= MB:
        return f"{n / MB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} 字节"



# Bidirectional controls: stripped from names, refused in cells.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")

def _col_letter(col: int) -> str:
    from openpyxl.utils.cell import get_column_letter

    return get_column_letter(col)
