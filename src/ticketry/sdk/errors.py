"""What the SDK raises: one class per kind of failure, parsed from the canonical API's
RFC 9457 problem details (`detail`, `error_code`, `request_id`, `errors`)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx


class TicketSystemError(Exception):
    """Base of everything the SDK raises on purpose."""


class ApiConnectionError(TicketSystemError):
    """The server could not be reached, or did not answer in time (the request may or may not
    have been carried out)."""


class ApiError(TicketSystemError):
    """The server answered with an error status.

    `error_code` is the problem's machine-readable code (`VALIDATION_ERROR`, `NOT_FOUND`, ...),
    `detail` its sentence, `errors` the per-field problems, `request_id` what to quote to the
    server's operators; `retry_after` (seconds) is set when the server said when to retry."""

    def __init__(self, status_code: int, *, error_code: str | None, detail: str,
                 request_id: str | None = None, errors: list[dict[str, Any]] | None = None,
                 body: Any = None, headers: httpx.Headers | None = None) -> None:
        self.status_code = status_code
        self.error_code = error_code
        self.detail = detail
        self.request_id = request_id
        self.errors = errors or []
        self.body = body
        self.headers = headers or httpx.Headers()
        self.retry_after = _retry_after(self.headers.get("retry-after"))
        super().__init__(str(self))

    def __str__(self) -> str:
        code = f" {self.error_code}" if self.error_code else ""
        request = f" (request {self.request_id})" if self.request_id else ""
        return f"{self.status_code}{code}: {self.detail}{request}"


class BadRequestError(ApiError):
    """400: a malformed request (for instance a body that is not JSON)."""


class AuthenticationError(ApiError):
    """401: no credentials, or a token that is invalid, expired or revoked."""


class PermissionDeniedError(ApiError):
    """403: authenticated, but not allowed to do this."""


class NotFoundError(ApiError):
    """404: the resource does not exist, or the caller may not see it."""


class ConflictError(ApiError):
    """409: the request conflicts with existing data (a duplicate, an open request)."""


class PreconditionFailedError(ApiError):
    """412: the resource changed since the version named in `If-Match`."""


class PayloadTooLargeError(ApiError):
    """413: a body or file above the server's limit."""


class UnsupportedMediaTypeError(ApiError):
    """415: a file whose type the server does not accept."""


class UnprocessableEntityError(ApiError):
    """422: well-formed input that fails validation or breaks a rule (see `errors`)."""


class RateLimitError(ApiError):
    """429: too many requests; retry after `retry_after` seconds. `limit`, `remaining` and
    `reset` (unix time) come from the `X-RateLimit-*` headers when the server sent them."""

    def __init__(self, status_code: int, **kwargs: Any) -> None:
        super().__init__(status_code, **kwargs)
        self.limit = _int_header(self.headers, "x-ratelimit-limit")
        self.remaining = _int_header(self.headers, "x-ratelimit-remaining")
        self.reset = _int_header(self.headers, "x-ratelimit-reset")


class ServerError(ApiError):
    """5xx: the server failed (503 comes with `retry_after`)."""


_CLASS_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_from_response(response: httpx.Response) -> ApiError:
    """The exception for an error answer; `response` must have been read."""
    status = response.status_code
    cls = _CLASS_BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        body = None
    detail, code, errors, request_id = _problem_fields(body)
    if detail is None:
        text = response.text.strip()
        detail = text[:500] if text else (response.reason_phrase or f"HTTP {status}")
    return cls(status, error_code=code, detail=detail,
               request_id=request_id or response.headers.get("x-request-id"),
               errors=errors, body=body, headers=response.headers)


def _problem_fields(body: Any) -> tuple[str | None, str | None, list[dict[str, Any]], str | None]:
    """`detail`, `error_code`, `errors` and `request_id` of a problem document; also reads the
    `{"error": {"code", "message"}}` envelope some Ticketry dialects answer with."""
    if not isinstance(body, dict):
        return None, None, [], None
    envelope = body.get("error")
    if isinstance(envelope, dict):
        message = envelope.get("message")
        details = envelope.get("details")
        return (str(message) if message is not None else None,
                _str_or_none(envelope.get("code")),
                [details] if isinstance(details, dict) else [],
                _str_or_none(body.get("request_id")))
    detail = body.get("detail")
    errors = body.get("errors")
    if isinstance(detail, list):
        # A framework's plain validation answer: the list is the per-field problems.
        errors, detail = detail, "request validation failed"
    return (str(detail) if detail is not None else None,
            _str_or_none(body.get("error_code")),
            [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [],
            _str_or_none(body.get("request_id")))


def _str_or_none(value: Any) -> str | None:
    return str(value) if value is not None else None


def _int_header(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number of seconds or an HTTP date (RFC 9110)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
