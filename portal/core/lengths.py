"""String lengths come from the columns: every write is checked before it reaches the database.

PostgreSQL refuses a value longer than its ``VARCHAR(n)`` at the INSERT (a 500 in a request);
SQLite stores it silently. Both now refuse it the same way, before the flush, with the field
named in Chinese: a :class:`TooLong` (422). The API's schemas and the importers read the same
limits through :func:`max_length`, so a field's error comes before any write at all.
"""
from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FSASession
from sqlalchemy import event

from portal.core.errors import DomainError

# Chinese names of the attributes that take free text from a form, an API body or a file; a
# column may name itself with ``info={"label": ...}`` instead.
LABELS = {
    "academic_year": "学年", "term_label": "届次", "source": "来源", "name": "名称", "title": "标题",
    "code": "标识码", "affiliation": "单位", "reason": "理由", "note": "备注", "contact": "联系方式",
    "email": "电子邮箱", "phone": "联系电话", "major": "专业", "ethnicity": "民族", "languages": "外语水平",
    "computer_skills": "计算机水平", "original_name": "文件名", "letter_number": "文号", "draw_seed": "抽签种子",
    "website_name": "网站名称", "approving_body": "审批机关", "stage": "阶段", "short_name": "简称",
    "slug": "标识", "kind": "类型", "province_code": "省份代码", "label": "名称", "item": "事项",
}


class TooLong(DomainError):
    status = 422
    code = "too_long"


def max_length(attr) -> int | None:
    """The declared length of a mapped string column (``Model.attr``), or None for TEXT."""
    column = attr.property.columns[0] if hasattr(attr, "property") else attr
    return getattr(column.type, "length", None)


def label_of(column: sa.Column) -> str:
    return column.info.get("label") or LABELS.get(column.key, column.key)


def too_long_message(label: str, limit: int, got: int) -> str:
    return f"「{label}」不能超过 {limit} 个字符，当前为 {got} 个"


def check_length(value, attr, label: str | None = None) -> None:
    """Refuse ``value`` for ``Model.attr`` if it is longer than the column allows."""
    limit = max_length(attr)
    if limit is not None and isinstance(value, str) and len(value) > limit:
        column = attr.property.columns[0]
        name = label or label_of(column)
        raise TooLong(too_long_message(name, limit, len(value)), field=column.key,
                      details={column.key: too_long_message(name, limit, len(value))})


@lru_cache(maxsize=None)
def _bounded_columns(mapper) -> tuple[tuple[str, int, sa.Column], ...]:
    out = []
    for prop in mapper.column_attrs:
        for column in prop.columns:
            length = getattr(column.type, "length", None)
            if isinstance(column, sa.Column) and isinstance(column.type, sa.String) and length:
                out.append((prop.key, length, column))
    return tuple(out)


def check_object(obj) -> None:
    state = sa.inspect(obj)
    values = state.dict  # only what was set or loaded: nothing is loaded for the check
    for key, limit, column in _bounded_columns(state.mapper):
        value = values.get(key)
        if isinstance(value, str) and len(value) > limit:
            label = label_of(column)
            msg = too_long_message(label, limit, len(value))
            raise TooLong(msg, field=key, details={key: msg})


@event.listens_for(FSASession, "before_flush")
def _check_lengths(session, flush_context, instances):
    for obj in session.new:
        check_object(obj)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            check_object(obj)
