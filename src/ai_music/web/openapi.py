"""The OpenAPI document tells the truth about errors.

FastAPI documents a 422 validation error that this app never sends (errors.py answers 400), and
nothing of the 400/401/413 answers every route can give. This rewrites the generated document
once: 422 becomes 400, and each operation lists the errors its shape implies (400 for any input,
401 when it needs a token, 404 for a resource named in the path, 413 for a body), all with the
one error body ``{"error": "..."}``. Errors particular to a route (403, 429) are declared on
the route with ``responses=error_responses(403)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA_NAME = "ErrorBody"
ERROR_SCHEMA = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "properties": {"error": {"type": "string", "title": "Error"}},
    "required": ["error"],
}
ERROR_CONTENT = {
    "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}
}
DESCRIPTIONS = {
    "400": "Invalid input",
    "401": "Missing, invalid or expired token",
    "403": "Not allowed",
    "404": "Not found",
    "413": "Request body too large",
    "429": "Too many requests: see Retry-After",
}
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def error_response(status: str) -> dict[str, Any]:
    return {"description": DESCRIPTIONS[status], "content": ERROR_CONTENT}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """For a route's ``responses=``: the errors only it gives, e.g. ``error_responses(403)``."""
    return {status: error_response(str(status)) for status in statuses}


def throttled_responses() -> dict[int | str, dict[str, Any]]:
    """For ``responses=`` on a route that a rate limit or quota may refuse."""
    return error_responses(429)


def _document_operation(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    implied = []
    if operation.get("parameters") or operation.get("requestBody"):
        implied.append("400")
    if operation.get("security"):
        implied.append("401")
    if any(parameter.get("in") == "path" for parameter in operation.get("parameters", ())):
        implied.append("404")
    if operation.get("requestBody"):
        implied.append("413")
    for status in implied:
        responses.setdefault(status, error_response(status))
    for status, response in responses.items():
        if status in DESCRIPTIONS and "content" not in response:
            response["content"] = ERROR_CONTENT


def document_errors(schema: dict[str, Any]) -> None:
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    for path_item in schema.get("paths", {}).values():
        for method in HTTP_METHODS:
            if method in path_item:
                _document_operation(path_item[method])


def install_error_documentation(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        first = app.openapi_schema is None
        schema = generate()
        if first:
            document_errors(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
