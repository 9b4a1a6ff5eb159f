"""Declared schemas for every JSON API body (pydantic v2), and the declaration of each operation.

A view declares what it takes and answers with :func:`operation`::

    @bp.post("/cycles")
    @require_roles(*ROLE_STAFF)
    @operation(body=CycleIn, responses={201: CycleOut})
    def create_cycle(body: CycleIn): ...

The body (JSON), form fields (multipart) and query string are validated before the view runs;
a refusal is a 422 naming every field: ``{"error": {"status": 422, "code": "invalid_fields",
"message": ..., "details": {"quota": "应为整数", "panelists.0.name": "必填"}}}``, in Chinese, or
in English when the session's language is English. The OpenAPI document
(:mod:`portal.api.openapi`) is generated from the same declarations, so it cannot drift.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from typing import Annotated, Any

from flask import request
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from portal.core.errors import DomainError
from portal.core.lengths import max_length

from portal.core.converters import INT32_MAX  # noqa: E402,F401


class InvalidFields(DomainError):
    status = 422
    code = "invalid_fields"


class Body(BaseModel):
    """Base of every request schema: unknown keys are ignored, as the API always did."""

    model_config = ConfigDict(extra="ignore")


class Out(BaseModel):
    """Base of every response schema (documentation only: views build the dicts)."""

    model_config = ConfigDict(extra="allow")


# --- field types --------------------------------------------------------------------------------

def _printable(value: str) -> str:
    # PostgreSQL refuses NUL in text; other control characters are never meant in a form field.
    for ch in value:
        if ch not in "\n\r\t" and unicodedata.category(ch) == "Cc":
            raise ValueError(f"control:{ord(ch):04X}")
    return value


Str = Annotated[str, AfterValidator(_printable)]


def text(attr=None, *, max_len: int | None = None, min_len: int = 0):
    """A string field bounded by its column (``Model.attr``): the limit is the schema's."""
    limit = max_len if max_len is not None else (max_length(attr) if attr is not None else None)
    return Annotated[str, Field(min_length=min_len, max_length=limit), AfterValidator(_printable)]


def _not_bool(value):
    # JSON true/false are not ids: lax mode would read true as 1 (someone's first row)
    if isinstance(value, bool):
        from pydantic_core import PydanticCustomError

        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


Id = Annotated[int, BeforeValidator(_not_bool), Field(ge=1, le=INT32_MAX)]
Date = dt.date


# --- messages -----------------------------------------------------------------------------------

_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("必填", "required"),
    "string_type": ("应为文本", "must be a string"),
    "string_too_long": ("不能超过 {max_length} 个字符", "at most {max_length} characters"),
    "string_too_short": ("不能为空" , "must not be empty"),
    "int_type": ("应为整数", "must be an integer"),
    "int_parsing": ("应为整数", "must be an integer"),
    "int_from_float": ("应为整数", "must be an integer"),
    "int_parsing_size": ("数值过大", "number too large"),
    "float_type": ("应为数字", "must be a number"),
    "float_parsing": ("应为数字", "must be a number"),
    "finite_number": ("应为有限的数字", "must be a finite number"),
    "decimal_type": ("应为数字", "must be a number"),
    "decimal_parsing": ("应为数字", "must be a number"),
    "bool_type": ("应为 true 或 false", "must be true or false"),
    "bool_parsing": ("应为 true 或 false", "must be true or false"),
    "greater_than_equal": ("不能小于 {ge}", "must be at least {ge}"),
    "greater_than": ("应大于 {gt}", "must be greater than {gt}"),
    "less_than_equal": ("不能大于 {le}", "must be at most {le}"),
    "less_than": ("应小于 {lt}", "must be less than {lt}"),
    "enum": ("应为以下之一：{expected}", "must be one of {expected}"),
    "literal_error": ("应为以下之一：{expected}", "must be one of {expected}"),
    "date_type": ("日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD"),
    "date_parsing": ("日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD"),
    "date_from_datetime_parsing": ("日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD"),
    "date_from_datetime_inexact": ("日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD"),
    "list_type": ("应为数组", "must be an array"),
    "too_long": ("最多 {max_length} 项", "at most {max_length} items"),
    "too_short": ("至少 {min_length} 项", "at least {min_length} items"),
    "dict_type": ("应为对象", "must be an object"),
    "model_type": ("应为对象", "must be an object"),
    "model_attributes_type": ("应为对象", "must be an object"),
}
_CONTROL = ("包含控制字符 U+{code}，请删除后重试", "contains the control character U+{code}")
_FALLBACK = ("格式不正确", "invalid value")
_NOT_OBJECT = ("请求体应为 JSON 对象", "The request body must be a JSON object")
_BODY = ("请求内容有误，请按各字段的说明修改", "The request has errors; see each field")


def _english() -> bool:
    try:
        from flask_babel import get_locale

        loc = get_locale()
        return bool(loc and loc.language == "en")
    except Exception:  # outside a request
        return False


def field_message(err: dict, en: bool) -> str:
    kind = err.get("type", "")
    ctx = dict(err.get("ctx") or {})
    if kind == "value_error" and str(ctx.get("error", "")).startswith("control:"):
        return _CONTROL[en].format(code=str(ctx["error"]).split(":", 1)[1])
    if kind == "value_error" and ctx.get("error"):
        return str(ctx["error"])  # a schema's own validator speaks Chinese already
    zh_en = _MESSAGES.get(kind)
    if zh_en is None:
        return _FALLBACK[en]
    if "expected" in ctx:
        options = re.findall(r"'([^']*)'", str(ctx["expected"])) or [str(ctx["expected"])]
        ctx["expected"] = ("、" if not en else ", ").join(f"「{o}」" if not en else f"'{o}'" for o in options)
    try:
        return zh_en[en].format(**ctx)
    except (KeyError, IndexError):
        return zh_en[en].split("{")[0].strip() or _FALLBACK[en]


def field_errors(exc: ValidationError) -> dict[str, str]:
    en = _english()
    out: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"]) or "body"
        out.setdefault(path, field_message(err, en))
    return out


def validate(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidFields(_BODY[_english()], details=field_errors(exc)) from None


def json_data() -> Any:
    """The request's JSON object: an empty body is ``{}``; anything else that is not a JSON
    object is a 400 (the syntax is wrong, not a field)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        en = _english()
        raise DomainError(_NOT_OBJECT[en], code="bad_json", details={"body": _NOT_OBJECT[en]})
    return data


# --- the declaration of an operation ------------------------------------------------------------

def operation(*, body: type[BaseModel] | None = None, form: type[BaseModel] | None = None,
              files: tuple[str, ...] = (), query: type[BaseModel] | None = None,
              responses: dict[int, Any] | None = None, errors: tuple[int, ...] | None = None):
    """Validate what the view takes (``body``, ``form``, ``query`` keyword arguments) and
    record it with the answers for the OpenAPI document. ``responses`` maps each success
    status to its schema (a model, ``"binary"`` for a file, or None)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if body is not None:
                kwargs["body"] = validate(body, json_data())
            if form is not None:
                kwargs["form"] = validate(form, request.form.to_dict())
            if query is not None:
                kwargs["query"] = validate(query, request.args.to_dict())
            return view(*args, **kwargs)

        wrapped._api = {"body": body, "form": form, "files": files, "query": query,
                        "responses": responses or {200: None}, "errors": errors}
        return wrapped

    return decorator


# --- shared answers -----------------------------------------------------------------------------

class ErrorDetail(Out):
    status: int
    code: str
    message: str
    details: Any = None


class Error(Out):
    """Every refusal: the status, a machine code, a Chinese message; field errors in details."""

    error: ErrorDetail


# --- the core API's bodies and answers (portal/api/views.py) ----------------------------------

class RuleIn(Body):
    value: Any = Field(description="新的取值，类型见规则的 type；地方规则只能更严格（A22）")
    reason: Str = ""


class RuleOut(Out):
    key: str
    article: str
    citation: str
    label: str
    label_en: str | None = None
    type: str
    unit: str | None = None
    national_value: Any = None
    value: Any = None
    source: str
    reason: str | None = None
    version: str | None = None


class RulesOut(Out):
    tenant: str
    version: str
    rules: list[RuleOut]


class MeUser(Out):
    id: int
    email: str
    name: str


class MeTenant(Out):
    slug: str
    name: str


class MeOut(Out):
    user: MeUser
    tenant: MeTenant
    roles: list[str]


class PageQuery(Body):
    page: int = Field(1, ge=1, le=1_000_000)


class SchoolsQuery(PageQuery):
    per_page: int = Field(50, ge=1, le=1_000_000, description="至多 200 条一页")
    province: text(max_len=2) | None = None
    q: text(max_len=120) | None = None


class AuditQuery(PageQuery):
    action: text(max_len=80) | None = None
    object_type: text(max_len=60) | None = None
    actor: text(max_len=200) | None = None
    article: text(max_len=20) | None = None
    since: Str | None = Field(None, description="YYYY-MM-DD")
    until: Str | None = Field(None, description="YYYY-MM-DD")


class TermOut(Out):
    id: int
    term: str
    start: str
    end: str | None


class UnionOut(Out):
    id: int
    kind: str
    name: str
    presidium_terms: list[TermOut]


class SchoolOut(Out):
    id: int
    code: str
    name: str
    province_code: str
    province: str
    unions: list[UnionOut]


class SchoolPage(Out):
    items: list[SchoolOut]
    page: int
    per_page: int
    total: int


class RowErrorOut(Out):
    row: int
    column: str
    message: str


class SchoolImportOut(Out):
    rows: int
    schools_created: int
    unions_created: int
    memberships_created: int
    errors: list[RowErrorOut]


class AuditRecordOut(Out):
    id: int
    seq: int
    at: str
    actor: str | None
    action: str
    object_type: str
    object_id: int | str | None
    article: str | None
    before: Any = None
    after: Any = None
    hash: str
    prev_hash: str | None


class AuditPage(Out):
    items: list[AuditRecordOut]
    total: int
    page: int


class WorkdaysAddOut(Out):
    start: str
    workdays: int
    end: str
    convention: str


class WorkdaysPeriodOut(Out):
    first: str
    workdays: int
    end: str
    convention: str


class IsWorkdayOut(Out):
    date: str
    is_workday: bool
    holiday: str | None


class WorkdaysBetweenOut(Out):
    start: str
    end: str
    workdays: int
    convention: str
