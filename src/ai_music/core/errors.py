"""The application's error tree and its one mapping to HTTP.

    AppError                      -> its ``status_code``, body ``{"error": message}``
    ├── BadRequest                   400  invalid input a user can fix
    ├── Unauthorized                 401  missing, malformed, expired or revoked token
    ├── Forbidden                    403  authenticated, but not allowed to touch this
    ├── NotFound                     404  absent, or owned by someone else
    ├── Conflict                     409
    ├── TooManyRequests              429  a limit or quota, with Retry-After (limits/errors.py)
    └── UpstreamError                502  a generation backend failed; its subclasses carry
                                          400/503/504 (generation/upstreams/base.py)

Lower-level errors (validation, routing, unexpected exceptions) are mapped here too, so every
error a client sees has the same shape and none carries exception text.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ai_music.core.responses import json_response

log = logging.getLogger("ai_music.errors")


class AppError(Exception):
    status_code = 500

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers


class BadRequest(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401

    def __init__(self, message: str = "Authentication required") -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


T = TypeVar("T")


def found(value: T | None, message: str) -> T:
    """``value``, or NotFound(message) when there is none (someone else's counts as none)."""
    if value is None:
        raise NotFound(message)
    return value


class Conflict(AppError):
    status_code = 409


def error_response(
    status_code: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    return json_response({"error": message}, status_code=status_code, headers=headers)


def describe_validation_error(errors: list[Any]) -> str:
    """One readable sentence from Pydantic's first error, naming the field."""
    if not errors:
        return "Invalid request"
    first = errors[0]
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    message = str(first.get("msg", "is invalid"))
    if first.get("type") == "json_invalid":
        return "Request body is not valid JSON"
    if first.get("type") == "missing" and not location:
        return "Request body is required"
    if first.get("type") in ("model_attributes_type", "dict_type") and not location:
        return "Request body must be a JSON object"
    message = message.removeprefix("Value error, ")
    return f"{'.'.join(location)}: {message}" if location else message


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def on_app_error(_: Request, exc: AppError) -> Response:
        return error_response(exc.status_code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(_: Request, exc: RequestValidationError) -> Response:
        return error_response(400, describe_validation_error(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(_: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "Endpoint not found", 405: "Method not allowed"}
        message = messages.get(exc.status_code) or str(exc.detail)
        return error_response(exc.status_code, message, getattr(exc, "headers", None))
