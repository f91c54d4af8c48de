"""The app's OpenAPI document, with errors documented as sent: ``application/problem+json``.

FastAPI documents its 422 as ``application/json`` with its own ``HTTPValidationError`` shape, but
every error leaves through ``api.errors`` as problem+json (``type``, ``title``, ``status``,
``detail``, ``errors: [{field, line, message}]``). ``install_problem_openapi`` rewrites each
operation's 4xx entries to that media type and schema and adds a ``default`` problem response,
so clients (and Schemathesis) read the errors' real shape.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.errors import PROBLEM_JSON

__all__ = ["PROBLEM_SCHEMA", "install_problem_openapi"]

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail", "errors"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "line": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def _with_problems(document: dict[str, Any]) -> dict[str, Any]:
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    document["components"]["schemas"].pop("HTTPValidationError", None)
    document["components"]["schemas"].pop("ValidationError", None)
    content = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _HTTP_METHODS:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    response["content"] = dict(content)
            responses.setdefault("default", {"description": "An error (problem+json)"})
            responses["default"]["content"] = dict(content)
    return document


def install_problem_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` document every error as problem+json."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _with_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
