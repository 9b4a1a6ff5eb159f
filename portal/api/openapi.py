"""The OpenAPI document, built from the URL map so it matches what the server routes."""
from __future__ import annotations

import re

from flask import current_app

_CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_TYPES = {"int": {"type": "integer"}, "float": {"type": "number"}}


def _path_and_params(rule: str):
    params = []

    def repl(m):
        params.append({"name": m["name"], "in": "path", "required": True,
                       "schema": _TYPES.get(m["conv"] or "", {"type": "string"})})
        return "{" + m["name"] + "}"

    return _CONVERTER.sub(repl, rule), params


def api_rules():
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "static":
            yield rule


def build_spec() -> dict:
    paths: dict[str, dict] = {}
    for rule in api_rules():
        path, params = _path_and_params(rule.rule)
        view = current_app.view_functions[rule.endpoint]
        doc = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
        roles = getattr(view, "_portal_roles", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "summary": doc,
                "parameters": params,
                "responses": {
                    "200": {"description": "OK"},
                    "400": {"$ref": "#/components/responses/Error"},
                    "401": {"$ref": "#/components/responses/Error"},
                    "403": {"$ref": "#/components/responses/Error"},
                    "404": {"$ref": "#/components/responses/Error"},
                },
            }
            if roles:
                op["x-roles"] = sorted(r.value for r in roles)
            if "{tenant}" in path:
                op["security"] = [{"bearer": []}, {"session": []}]
            else:
                op["security"] = []
            if method in ("POST", "PUT", "PATCH"):
                op["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}},
                                                 "multipart/form-data": {"schema": {"type": "object"}}}}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "全国学联驻会执行主席管理平台 API", "version": "1"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "responses": {
                "Error": {
                    "description": "错误（JSON）",
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {"error": {"type": "object", "properties": {
                            "status": {"type": "integer"}, "code": {"type": "string"},
                            "message": {"type": "string"}}}}}}},
                }
            },
        },
    }
