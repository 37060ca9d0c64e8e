"""Helpers shared by the integration-tokens-api.md conformance tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import Response

LIST = "/api/tickets/"

# "Field Descriptions", exactly as the document lists them (every type is `string`;
# `closed_on` is null while the ticket is open, `assigned_to` only "if any").
TICKET_FIELDS = (
    "ticket_number", "title", "description", "category", "created_by", "assigned_to",
    "status", "priority", "location", "department", "created_at", "closed_on",
)

# The document's example: 2025-08-21T19:20:51+00:00 (ISO 8601, to the second, with an offset).
ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")

# The methods the read-only API refuses with 405.
UNSUPPORTED_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def detail_path(ticket_number: str) -> str:
    return f"/api/tickets/{ticket_number}/"


def parse_iso(value: Any) -> datetime:
    assert isinstance(value, str), value
    assert ISO_8601.match(value), f"not ISO 8601 with an offset like the document's: {value!r}"
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None
    return parsed


def assert_recent(value: Any) -> None:
    """A response `timestamp`: ISO 8601 with offset, and now."""
    moment = parse_iso(value)
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=1)


def assert_error(response: Response, status: int) -> dict[str, Any]:
    """The document's "Error Response Format": {success: false, error, detail, timestamp}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) <= {"success", "error", "detail", "timestamp"}
    assert {"success", "error", "timestamp"} <= set(body)
    assert body["success"] is False
    assert isinstance(body["error"], str)
    assert body["error"]
    assert body.get("detail") is None or isinstance(body["detail"], str)
    assert_recent(body["timestamp"])
    return body


def assert_document_ticket(ticket: dict[str, Any]) -> None:
    """Exactly the documented fields; strings, or null where the document allows it."""
    assert set(ticket) == set(TICKET_FIELDS), ticket
    for field in ("ticket_number", "title", "description", "status", "created_at"):
        assert isinstance(ticket[field], str), (field, ticket[field])
    for field in TICKET_FIELDS:
        assert ticket[field] is None or isinstance(ticket[field], str), (field, ticket[field])
    parse_iso(ticket["created_at"])
    if ticket["closed_on"] is not None:
        parse_iso(ticket["closed_on"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def parse_table(output: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of the `ticketry api-tokens --list` table; a cell wrapped onto
    several lines (narrow terminals) is joined again."""
    header: list[str] = []
    rows: list[list[str]] = []
    for line in output.splitlines():
        if line.startswith("┃"):
            header = [c.strip() for c in line.strip("┃").split("┃")]
        elif line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            if cells[0]:
                rows.append(cells)
            else:
                rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
    return header, [dict(zip(header, row, strict=True)) for row in rows]
