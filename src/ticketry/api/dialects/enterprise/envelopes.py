"""The document's answers: the success and error envelopes, pagination, and which HTTP status
and document error code each core error becomes."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

from ticketry.api.middleware import current_request_id
from ticketry.domain import errors as domain

# The document's error codes (Error Handling section).
VALIDATION_ERROR = "VALIDATION_ERROR"
AUTHENTICATION_REQUIRED = "AUTHENTICATION_REQUIRED"
PERMISSION_DENIED = "PERMISSION_DENIED"
RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
DUPLICATE_RESOURCE = "DUPLICATE_RESOURCE"
BUSINESS_RULE_VIOLATION = "BUSINESS_RULE_VIOLATION"
RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
EXTERNAL_SERVICE_ERROR = "EXTERNAL_SERVICE_ERROR"
# Not in the document's table, which lists no code for its 500.
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

_MESSAGES = {
    VALIDATION_ERROR: "Invalid input data",
    AUTHENTICATION_REQUIRED: "Valid token required",
    PERMISSION_DENIED: "Insufficient permissions",
    RESOURCE_NOT_FOUND: "Requested resource doesn't exist",
    DUPLICATE_RESOURCE: "Resource already exists",
    BUSINESS_RULE_VIOLATION: "Business logic constraint violated",
    RATE_LIMIT_EXCEEDED: "Too many requests",
    EXTERNAL_SERVICE_ERROR: "External service unavailable",
    INTERNAL_SERVER_ERROR: "An unexpected error occurred",
}

# Codes of refusals made outside this app (middleware) -> (document code).
_RAW_CODES = {
    "rate_limit_exceeded": RATE_LIMIT_EXCEEDED,
    "external_service_error": EXTERNAL_SERVICE_ERROR,
    "BAD_REQUEST": VALIDATION_ERROR,
    "PAYLOAD_TOO_LARGE": VALIDATION_ERROR,
}
_BY_STATUS = {400: VALIDATION_ERROR, 401: AUTHENTICATION_REQUIRED, 403: PERMISSION_DENIED,
              404: RESOURCE_NOT_FOUND, 409: DUPLICATE_RESOURCE, 413: VALIDATION_ERROR,
              422: BUSINESS_RULE_VIOLATION, 429: RATE_LIMIT_EXCEEDED,
              502: EXTERNAL_SERVICE_ERROR, 503: EXTERNAL_SERVICE_ERROR}

JSON = "application/json"
# Core error codes (not classes: their modules belong to other features) with their own answer.
_CORE_CODES = {"external_service_error": (503, EXTERNAL_SERVICE_ERROR),
               "attachment_infected": (400, VALIDATION_ERROR),
               "webhook_inactive": (422, BUSINESS_RULE_VIOLATION),
               "rate_limit_exceeded": (429, RATE_LIMIT_EXCEEDED)}


def stamp(value: datetime | None) -> str | None:
    """The document's timestamps: 2023-12-01T10:00:00Z."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_stamp() -> str:
    return stamp(datetime.now(UTC)) or ""


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _dumps(body: Any) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)


def ok(request: Request, data: Any, message: str = "Operation completed successfully",
       status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(_dumps({"success": True, "data": data, "message": message,
                            "timestamp": now_stamp(), "request_id": request_id_of(request)}),
                    status_code=status_code, media_type=JSON, headers=headers)


def error_body(code: str, message: str | None, details: dict[str, Any] | None,
               request_id: str | None) -> dict[str, Any]:
    return {"success": False,
            "error": {"code": code, "message": message or _MESSAGES.get(code, code),
                      "details": details or {}, "timestamp": now_stamp()},
            "request_id": request_id}


def failure(request: Request, status_code: int, code: str, message: str | None = None,
            details: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    if status_code == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    return Response(_dumps(error_body(code, message, details, request_id_of(request))),
                    status_code=status_code, media_type=JSON, headers=headers)


def raw_error_body(status_code: int, code: str, detail: str) -> tuple[bytes, str]:
    """A refusal made before the request reaches this app (rate limits, body too large, bad
    URL), in the document's error shape."""
    doc_code = _RAW_CODES.get(code) or _BY_STATUS.get(status_code) or (
        INTERNAL_SERVER_ERROR if status_code >= 500 else VALIDATION_ERROR)
    message = detail if status_code < 500 or doc_code == EXTERNAL_SERVICE_ERROR else None
    return _dumps(error_body(doc_code, message, {"reason": detail} if message else {},
                             current_request_id.get())), JSON


def page_data(items: list[Any], *, total: int, page: int, size: int) -> dict[str, Any]:
    """Both of the document's list shapes at once: the list example's `total/page/size/pages`
    and the Pagination Response section's `pagination` object."""
    pages = math.ceil(total / size) if size else 0
    return {
        "items": items, "total": total, "page": page, "size": size, "pages": pages,
        "pagination": {"total": total, "page": page, "size": size, "pages": pages,
                       "has_next": page < pages, "has_prev": page > 1,
                       "next_page": page + 1 if page < pages else None,
                       "prev_page": page - 1 if page > 1 and pages else None},
    }


def status_and_code(error: domain.DomainError) -> tuple[int, str]:
    """A core error as this document answers it."""
    special = _CORE_CODES.get(error.code.lower())
    if special is not None:
        return special
    if isinstance(error, domain.AuthenticationFailed):
        return 401, AUTHENTICATION_REQUIRED
    if isinstance(error, domain.PermissionDenied):
        return 403, PERMISSION_DENIED
    if isinstance(error, domain.NotFound):
        # A reference in the body to something missing is bad input, not a missing resource.
        return (400, VALIDATION_ERROR) if "field" in error.context else (404, RESOURCE_NOT_FOUND)
    if isinstance(error, domain.ValidationFailed):
        return 400, VALIDATION_ERROR
    if isinstance(error, domain.Conflict):
        return 409, DUPLICATE_RESOURCE
    if isinstance(error, domain.BusinessRuleViolation | domain.PreconditionFailed):
        return 422, BUSINESS_RULE_VIOLATION
    # Any other refusal of the core is about the input (file too large, malformed import...).
    return 400, VALIDATION_ERROR


def error_details(error: domain.DomainError) -> dict[str, Any]:
    """`{field, reason, provided_value}` when the error names a field; the core's precise
    reason code (`rule`) and its context otherwise."""
    details: dict[str, Any] = {}
    problems = [{"field": p.get("field"), "reason": p.get("message"),
                 **({"provided_value": p["provided_value"]} if "provided_value" in p else {})}
                for p in error.details]
    if problems:
        details.update(problems[0])
        if len(problems) > 1:
            details["errors"] = problems
    elif "field" in error.context:
        details.update(field=error.context["field"], reason=error.message)
    else:
        details["reason"] = error.message
    details["rule"] = error.code
    for key in ("allowed", "current", "requested"):
        if key in error.context:
            details[key] = error.context[key]
    return details
