"""Sub-application for `enterprise-api.md`; every rule lives in the core services."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ticketry.api.dialect_app import dialect_app
from ticketry.api.dialects.enterprise import (
    approvals,
    attachments,
    auth,
    comments,
    reports,
    search,
    tickets,
    webhooks,
)
from ticketry.api.dialects.enterprise.envelopes import (
    AUTHENTICATION_REQUIRED,
    INTERNAL_SERVER_ERROR,
    RESOURCE_NOT_FOUND,
    VALIDATION_ERROR,
    error_details,
    failure,
    status_and_code,
)
from ticketry.api.middleware import DatabaseSlots, WriteGate
from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.attachments.storage import LocalStorage
from ticketry.domain.errors import DomainError
from ticketry.log import get_logger

log = get_logger("ticketry.enterprise")

DESCRIPTION = """
The enterprise service desk API (enterprise-api.md). Log in with `POST /auth/login`, then send
`Authorization: Bearer <access_token>` (API tokens are accepted too). Every answer is an
envelope: `{"success": true, "data", "message", "timestamp", "request_id"}`, or
`{"success": false, "error": {"code", "message", "details", "timestamp"}, "request_id"}`.
"""

_SECRET_FIELDS = ("password", "secret", "token")
_PROVIDED_MAX = 200


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) if parts else "body"


def _provided(field: str, error: dict[str, Any]) -> dict[str, Any]:
    """What the client sent for the field, when it is a short plain value and not a secret."""
    if error.get("type") in ("missing", "json_invalid", "extra_forbidden") or any(
            word in field for word in _SECRET_FIELDS):
        return {}
    value = error.get("input")
    if isinstance(value, str):
        return {"provided_value": value[:_PROVIDED_MAX]}
    if value is None or isinstance(value, bool | int | float):
        return {"provided_value": value}
    return {}


def validation_details(errors: list[Any]) -> tuple[str, dict[str, Any]]:
    problems = []
    for err in errors:
        kind = err.get("type")
        # A body that is not JSON at all has no field; pydantic places it at a byte offset.
        field = "body" if kind == "json_invalid" else _field(tuple(err.get("loc", ())))
        reason = ("request body is not valid JSON" if kind == "json_invalid" else
                  "unknown field" if kind == "extra_forbidden" else
                  str(err.get("msg", "invalid value")))
        problems.append({"field": field, "reason": reason, **_provided(field, err)})
    if not problems:
        return "Invalid input data", {}
    details: dict[str, Any] = dict(problems[0])
    if len(problems) > 1:
        details["errors"] = problems
    if any(err.get("type") == "json_invalid" for err in errors):
        return "Request body is not valid JSON", details
    return f"Invalid input data: {', '.join(dict.fromkeys(p['field'] for p in problems))}", \
        details


def create_enterprise_app(settings: Settings, database: Database, storage: LocalStorage,
                          write_gate: WriteGate, db_slots: DatabaseSlots,
        queue_key: str = "enterprise") -> FastAPI:
    app = dialect_app(title="Ticketry enterprise service desk", version="1.0.0",
                      description=DESCRIPTION, settings=settings, database=database,
                      storage=storage, write_gate=write_gate, db_slots=db_slots,
                      queue_key=queue_key)
    # Search before tickets: `POST /tickets/search` is not a ticket id.
    for module in (auth, search, tickets, approvals, comments, attachments, reports,
                   webhooks):
        app.include_router(module.router)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        status, code = status_and_code(exc)
        return failure(request, status, code, exc.message, error_details(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        message, details = validation_details(list(exc.errors()))
        return failure(request, 400, VALIDATION_ERROR, message, details)

    @app.exception_handler(ValidationError)
    async def _model_validation(request: Request, exc: ValidationError) -> Response:
        # Input that passed this document's schema but not a core model built from it.
        message, details = validation_details(list(exc.errors()))
        return failure(request, 400, VALIDATION_ERROR, message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 404:
            return failure(request, 404, RESOURCE_NOT_FOUND,
                           f"no resource at {request.url.path}")
        if exc.status_code == 405:
            # The document has no code for it: the path exists, not for this method.
            return failure(request, 405, RESOURCE_NOT_FOUND,
                           f"{request.method} is not allowed on {request.url.path}",
                           headers=headers)
        if exc.status_code == 401:
            return failure(request, 401, AUTHENTICATION_REQUIRED, str(exc.detail))
        code = VALIDATION_ERROR if exc.status_code < 500 else INTERNAL_SERVER_ERROR
        return failure(request, exc.status_code, code, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled error", path=request.url.path, exc_info=exc)
        return failure(request, 500, INTERNAL_SERVER_ERROR, "An unexpected error occurred")

    return app
