"""One error family, one JSON shape: {"error": {"code", "message"}}."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)
RETRY = {"Retry-After": "5"}  # seconds: the pool reconnects by itself once the database is back


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class NotFound(AppError):
    status, code = 404, "not_found"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class Conflict(AppError):
    status, code = 409, "conflict"


class PayloadTooLarge(AppError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(AppError):
    status, code = 415, "unsupported_media_type"


class Unprocessable(AppError):
    status, code = 422, "invalid_request"


class Unavailable(AppError):
    status, code = 503, "unavailable"


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
}


def error_body(code: str, message: str, details: Any = None) -> dict:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


def _json(status: int, code: str, message: str, details: Any = None, headers=None) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict]:
    details = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        details.append({"field": ".".join(loc), "message": err.get("msg", "invalid")})
    return details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else getattr(exc, "headers", None)
        return _json(exc.status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, AppError):  # raised while the body was read, e.g. the body limit: 413
            return await _app_error(request, exc.__cause__)
        if exc.status_code == 400 and exc.__cause__ is not None:  # the body could not be read as JSON at all
            return _json(422, "invalid_request", "the request body is not valid JSON (UTF-8)")
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return _json(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _json(422, "invalid_request", "the request is not valid", _validation_details(exc))

    @app.exception_handler(OperationalError)
    @app.exception_handler(psycopg.OperationalError)  # a learner's batch on psycopg directly (app/db.py `direct`)
    async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        # Connection lost, server gone, or SQLite's file busy past its timeout: nothing was stored; retry.
        cause = exc.orig if isinstance(exc, OperationalError) else exc
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(cause).__name__)
        return _json(503, "database_unavailable", "the database is unavailable; retry shortly", headers=RETRY)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return _json(500, "internal_error", "an unexpected error occurred; it has been logged")


class Problem(BaseModel):
    """One problem of a 422: in a field of the request, or on a line of an uploaded CSV."""

    field: str | None = Field(None, description="dotted path of the field, e.g. body.events.0.at")
    line: int | None = Field(None, description="line number in an uploaded CSV, counted from 1")
    message: str


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, for programs: e.g. lesson_not_found, rate_limited")
    message: str = Field(description="for developers, in English")
    details: list[Problem] | None = Field(
        None, description="per-field problems of a 422, or per-line problems of a CSV"
    )


class ErrorOut(BaseModel):
    """The body of every error reply."""

    error: ErrorDetail


_MEANINGS = {
    400: "Malformed request",
    401: "Missing, invalid or expired token",
    403: "The token lacks the scope this needs",
    404: "No such resource",
    409: "Conflicts with what is stored",
    413: "Body or batch too large",
    415: "Unsupported media type",
    422: "Invalid input (details list every problem)",
    429: "A rate or attempt limit: retry after Retry-After seconds",
    503: "Temporarily unavailable (database, first catalogue load, no statistics release yet): retry later",
}


_SECONDS = {"type": "integer", "minimum": 0}
_HEADERS = {
    429: {
        "Retry-After": {
            "description": "seconds to wait (absent for event_quota, which waiting does not free)",
            "schema": _SECONDS,
        },
        "RateLimit-Limit": {"description": "requests allowed in the tightest window", "schema": _SECONDS},
        "RateLimit-Remaining": {"description": "requests left in that window", "schema": _SECONDS},
        "RateLimit-Reset": {"description": "seconds until that window has room again", "schema": _SECONDS},
    },
    503: {"Retry-After": {"description": "seconds to wait, where known", "schema": _SECONDS}},
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each with the error body's schema (and Retry-After)."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        responses[status] = {"model": ErrorOut, "description": _MEANINGS[status]}
        if status in _HEADERS:
            responses[status]["headers"] = _HEADERS[status]
    return responses
