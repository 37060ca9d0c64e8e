"""OpenAPI descriptions of the problem responses every canonical route may give."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class FieldError(BaseModel):
    field: str
    message: str
    location: str | None = None
    type: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details (`application/problem+json`)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    error_code: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "Malformed request", 401: "Missing or invalid authentication",
        403: "Insufficient permissions", 404: "Resource not found",
        409: "Conflict with existing data", 412: "If-Match does not match the current version",
        413: "Body or file too large", 415: "File type not accepted",
        422: "Validation failed or rule broken",
    }
    return {
        s: {"model": Problem, "description": text.get(s, "Error"),
            "content": {"application/problem+json": {}}}
        for s in statuses
    }
