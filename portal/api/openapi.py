"""The OpenAPI document, built from the URL map and each view's declared schemas
(:func:`portal.api.schemas.operation`), so it matches what the server routes and validates."""
from __future__ import annotations

import re

from flask import current_app
from pydantic import BaseModel

from portal.api.schemas import INT32_MAX, Error

_CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")

DESCRIPTIONS = {
    200: "成功", 201: "已创建", 202: "已受理（后台任务）", 400: "请求有误（业务规则拒绝、CSRF 令牌缺失等）",
    401: "未登录或令牌无效", 403: "角色无权执行", 404: "不存在或不属于当前学联", 405: "不支持的请求方式",
    409: "与当前状态冲突", 410: "文件已丢失", 413: "文件过大", 422: "字段校验失败（details 按字段给出中文说明）",
}
BINARY_TYPES = ("application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv",
                "application/octet-stream")


def _param_schema(conv: str | None, args: str | None) -> dict:
    if conv == "int":
        signed = "signed=True" in (args or "")
        return {"type": "integer", "minimum": -INT32_MAX if signed else 0, "maximum": INT32_MAX}
    if conv == "float":
        return {"type": "number"}
    return {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}


def _path_and_params(rule: str):
    params = []

    def repl(m):
        params.append({"name": m["name"], "in": "path", "required": True,
                       "schema": _param_schema(m["conv"], m["args"])})
        return "{" + m["name"] + "}"

    return _CONVERTER.sub(repl, rule), params


def api_rules():
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "static":
            yield rule


class _Components:
    def __init__(self):
        self.schemas: dict[str, dict] = {}

    def ref(self, model: type[BaseModel]) -> dict:
        if model.__name__ not in self.schemas:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                self.schemas.setdefault(name, sub)
            self.schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _request_body(api: dict, comps: _Components) -> dict | None:
    if api.get("body") is not None:
        model = api["body"]
        required = any(f.is_required() for f in model.model_fields.values())
        return {"required": required, **_json(comps.ref(model))}
    if api.get("form") is not None or api.get("files"):
        props, required = {}, []
        if api.get("form") is not None:
            schema = api["form"].model_json_schema()
            props.update(schema.get("properties", {}))
            required += schema.get("required", [])
        for name in api.get("files", ()):
            props[name] = {"type": "string", "format": "binary"}
            required.append(name)
        return {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "properties": props, "required": required}}}}
    return None


def _query_params(api: dict) -> list[dict]:
    model = api.get("query")
    if model is None:
        return []
    schema = model.model_json_schema()
    req = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in req, "schema": sub}
            for name, sub in schema.get("properties", {}).items()]


def _responses(api: dict, method: str, tenant: bool, comps: _Components) -> dict:
    out: dict[str, dict] = {}
    for status, model in (api.get("responses") or {200: None}).items():
        entry: dict = {"description": DESCRIPTIONS.get(status, "成功")}
        if model == "binary":
            entry["content"] = {t: {"schema": {"type": "string", "format": "binary"}} for t in BINARY_TYPES}
        elif model is not None:
            entry.update(_json(comps.ref(model)))
        else:
            entry.update(_json({"type": "object"}))
        out[str(status)] = entry
    errors = api.get("errors")
    if errors is None:
        errors = (400, 404, 422)
        if tenant:
            errors += (401, 403)
        if method != "GET":
            errors += (409,)
        if api.get("files"):
            errors += (413,)
    error = comps.ref(Error)
    for status in sorted(set(errors) | {405}):
        out[str(status)] = {"description": DESCRIPTIONS.get(status, "错误"), **_json(error)}
    return dict(sorted(out.items()))


def build_spec() -> dict:
    comps = _Components()
    paths: dict[str, dict] = {}
    for rule in api_rules():
        path, params = _path_and_params(rule.rule)
        view = current_app.view_functions[rule.endpoint]
        doc = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
        roles = getattr(view, "_portal_roles", None)
        api = getattr(view, "_api", None) or {}
        tenant = "{tenant}" in path
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "summary": doc,
                "parameters": params + _query_params(api),
                "responses": _responses(api, method, tenant, comps),
                "security": [{"bearer": []}, {"session": []}] if tenant else [],
            }
            if roles:
                op["x-roles"] = sorted(r.value for r in roles)
            body = _request_body(api, comps)
            if body is not None and method in ("POST", "PUT", "PATCH"):
                op["requestBody"] = body
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "全国学联驻会执行主席管理平台 API", "version": "1",
                 "description": "Bearer 令牌（个人设置中生成）或浏览器会话；会话调用的写操作须带 X-CSRFToken。"
                                "校验失败为 422，details 按字段路径给出中文说明（会话语言为英文时为英文）。"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": dict(sorted(comps.schemas.items())),
        },
    }
