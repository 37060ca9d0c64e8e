"""RFC 9457 problem details for the canonical API: `detail`, `error_code`, the request id."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ticketry.domain import errors as domain
from ticketry.domain.attachments import errors as attachment_errors
from ticketry.domain.idempotency import errors as idempotency_errors

log = logging.getLogger("ticketry.api")

PROBLEM_JSON = "application/problem+json"

# Most specific first; the first class in a raised error's MRO that is listed decides.
_STATUS_BY_ERROR: list[tuple[type[domain.DomainError], int]] = [
    (attachment_errors.FileTooLarge, 413),
    (attachment_errors.UnsupportedFileType, 415),
    (attachment_errors.ScannerUnavailable, 503),
    (idempotency_errors.IdempotencyKeyReused, 422),
    (domain.NotFound, 404),
    (domain.PermissionDenied, 403),
    (domain.AuthenticationFailed, 401),
    (domain.ValidationFailed, 422),
    (domain.Conflict, 409),
    (domain.PreconditionFailed, 412),
    (domain.BusinessRuleViolation, 422),
]


def status_for(error: domain.DomainError) -> int:
    # A reference in the body to something missing is bad input, not a missing resource.
    if isinstance(error, domain.NotFound) and "field" in error.context:
        return 422
    for cls, status in _STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 400


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def problem_response(
    request: Request, status: int, detail: str, error_code: str, *,
    errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "error_code": error_code,
        "instance": request.url.path,
        "request_id": request_id_of(request),
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON,
                    headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) if parts else "body"


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        message = err.get("msg", "invalid value")
        if err.get("type") == "extra_forbidden":
            message = "unknown field"
        elif err.get("type") == "json_invalid":
            message = "request body is not valid JSON"
        out.append({"field": _location(loc), "location": str(loc[0]) if loc else "body",
                    "message": message, "type": err.get("type")})
    return out


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(domain.DomainError)
    async def _domain(request: Request, exc: domain.DomainError) -> Response:
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        errors = list(exc.details)
        if "field" in exc.context and not errors:
            errors = [{"field": exc.context["field"], "message": exc.message}]
        extra = {k: v for k, v in exc.context.items() if k in ("allowed", "current", "requested")}
        return problem_response(request, status, exc.message, exc.code, errors=errors or None,
                                headers=headers, extra=extra or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = validation_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            return problem_response(request, 400, "request body is not valid JSON",
                                    "MALFORMED_JSON", errors=errors)
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem_response(request, 422, f"request validation failed: {fields}",
                                "VALIDATION_ERROR", errors=errors)

    @app.exception_handler(ValidationError)
    async def _model_validation(request: Request, exc: ValidationError) -> Response:
        # Input that passed the route's schema but not a core model built from it.
        return await _validation(request, RequestValidationError(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 401: "NOT_AUTHENTICATED",
                 413: "PAYLOAD_TOO_LARGE", 400: "BAD_REQUEST", 403: "PERMISSION_DENIED"}
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}"
        if exc.status_code == 405:
            detail = f"method {request.method} is not allowed on {request.url.path}"
        return problem_response(request, exc.status_code, detail,
                                codes.get(exc.status_code, "HTTP_ERROR"),
                                headers=dict(exc.headers) if exc.headers else None)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        log.warning("integrity error on %s: %s", request.url.path, exc.orig)
        return problem_response(request, 409, "the request conflicts with existing data",
                                "CONFLICT")

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> Response:
        log.error("database unavailable on %s: %s", request.url.path, exc.orig)
        return problem_response(request, 503, "the database is busy or unavailable; retry",
                                "SERVICE_UNAVAILABLE", headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "an internal error occurred", "INTERNAL_ERROR")
