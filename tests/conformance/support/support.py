# ruff: noqa: E501  (the example files are kept verbatim)
"""Helpers and the document's literal values for the customer-support-api.md conformance suite.

The document's base URL `http://localhost:5000` is the mount prefix `/support` here."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

SP = "/support"
DOC_BASE = "http://localhost:5000"
DOC_ID = "550e8400-e29b-41d4-a716-446655440000"
UNKNOWN_ID = "3f2b8c1e-9d4a-4e7b-8a6c-2d1e0f9b7a53"

# "POST /tickets - Create a Ticket", request body, verbatim.
EXAMPLE_TICKET: dict[str, Any] = {
    "customer_id": "CUST-001",
    "customer_email": "john@example.com",
    "customer_name": "John Doe",
    "subject": "Cannot login to my account",
    "description": "I've been trying to login for the past hour but keep getting an access denied error.",
    "category": "account_access",
    "priority": "high",
    "status": "new",
    "tags": ["login", "urgent"],
    "metadata": {
        "source": "web_form",
        "browser": "Chrome 120",
        "device_type": "desktop",
    },
}

# The second ticket of the "GET /tickets" example (the payment ticket).
PAYMENT_TICKET: dict[str, Any] = {
    "customer_id": "CUST-002",
    "customer_email": "jane@example.com",
    "customer_name": "Jane Smith",
    "subject": "Payment not processed",
    "description": "I tried to pay for my subscription but the payment failed.",
    "category": "billing_question",
    "priority": "high",
    "status": "new",
    "tags": ["billing", "payment"],
    "metadata": {"source": "email"},
}

# "Ticket Schema": every field of a ticket, exactly.
TICKET_FIELDS = frozenset({
    "id", "customer_id", "customer_email", "customer_name", "subject", "description", "category",
    "priority", "status", "created_at", "updated_at", "resolved_at", "assigned_to", "tags",
    "metadata", "classification_confidence", "classification_reasoning", "classification_keywords",
    "classified_at", "manual_override",
})
REQUIRED_FIELDS = ("customer_id", "customer_email", "customer_name", "subject", "description",
                   "category", "priority", "status")
CLASSIFICATION_FIELDS = frozenset({"category", "priority", "confidence", "reasoning", "keywords_found"})
PAGINATION_FIELDS = frozenset({"page", "limit", "total", "total_pages"})

# "Valid Enumerations".
CATEGORIES = ("account_access", "technical_issue", "billing_question", "feature_request",
              "bug_report", "other")
PRIORITIES = ("urgent", "high", "medium", "low")
STATUSES = ("new", "in_progress", "waiting_customer", "resolved", "closed")
SOURCES = ("web_form", "email", "api", "chat", "phone")
DEVICE_TYPES = ("desktop", "mobile", "tablet")

# "Error Handling", verbatim.
VALIDATION_FAILED = "Validation failed"
BAD_JSON = {"error": "Request body must be valid JSON"}
UNSUPPORTED_FORMAT = {"error": "Unsupported file format. Use csv, json, or xml"}
NOT_FOUND = {"error": "Ticket not found"}
INTERNAL_ERROR = {"error": "Internal server error",
                  "message": "An unexpected error occurred. Please try again later."}

# The validation messages, in the document's wording.
EMAIL_REQUIRED = "customer_email is required"
EMAIL_INVALID = "customer_email must be a valid email address"
SUBJECT_LENGTH = "subject must be between 1 and 200 characters"
DESCRIPTION_LENGTH = "description must be between 10 and 2000 characters"
PRIORITY_ENUM = "priority must be one of: urgent, high, medium, low"
CATEGORY_ENUM = ("category must be one of: account_access, technical_issue, billing_question, "
                 "feature_request, bug_report, other")
STATUS_ENUM = "status must be one of: new, in_progress, waiting_customer, resolved, closed"
# The document shows no message for the metadata enums; "likewise" means this wording, with the
# field named `metadata.source` or `source`.
SOURCE_ENUM = re.compile(r"^(metadata\.)?source must be one of: web_form, email, api, chat, phone$")
SOURCE_REQUIRED = re.compile(r"^(metadata\.)?source is required$")
DEVICE_TYPE_ENUM = re.compile(r"^(metadata\.)?device_type must be one of: desktop, mobile, tablet$")

# "RFC 3339 format", as the examples write it: 2025-02-08T10:30:00Z (UTC, with a Z).
RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
REASONING = re.compile(
    r"^Classified as (?P<category>[a-z_]+) \((?P<label>high|medium|low) confidence\) "
    r"based on keywords: (?P<keywords>.+)$")

# "POST /tickets/import": the example files, verbatim.
CSV_EXAMPLE = """\
customer_id,customer_email,customer_name,subject,description,category,priority,status,tags
CUST-001,john@example.com,John Doe,Cannot login,I've been trying to login for hours,account_access,high,new,login;urgent
CUST-002,jane@example.com,Jane Smith,Payment issue,Payment not processed,billing_question,high,new,billing;payment
"""

# "cURL Examples", 7: tickets.csv, verbatim (one row more than the endpoint's example).
CURL_CSV_EXAMPLE = """\
customer_id,customer_email,customer_name,subject,description,category,priority,status,tags
CUST-001,john@example.com,John Doe,Cannot login,I've been trying to login for hours,account_access,high,new,login;urgent
CUST-002,jane@example.com,Jane Smith,Payment issue,Payment not processed,billing_question,high,new,billing;payment
CUST-003,bob@example.com,Bob Johnson,App crashes,Application keeps crashing on startup,technical_issue,urgent,new,crash;bug
"""

JSON_EXAMPLE = """\
[
  {
    "customer_id": "CUST-001",
    "customer_email": "john@example.com",
    "customer_name": "John Doe",
    "subject": "Cannot login to my account",
    "description": "I've been trying to login for the past hour but keep getting an access denied error.",
    "category": "account_access",
    "priority": "high",
    "status": "new",
    "tags": ["login", "urgent"]
  },
  {
    "customer_id": "CUST-002",
    "customer_email": "jane@example.com",
    "customer_name": "Jane Smith",
    "subject": "Payment not processed",
    "description": "I tried to pay for my subscription but the payment failed.",
    "category": "billing_question",
    "priority": "high",
    "status": "new",
    "tags": ["billing", "payment"]
  }
]
"""

XML_EXAMPLE = """\
<?xml version="1.0" encoding="UTF-8"?>
<tickets>
  <ticket>
    <customer_id>CUST-001</customer_id>
    <customer_email>john@example.com</customer_email>
    <customer_name>John Doe</customer_name>
    <subject>Cannot login to my account</subject>
    <description>I've been trying to login for the past hour but keep getting an access denied error.</description>
    <category>account_access</category>
    <priority>high</priority>
    <status>new</status>
    <tags>login,urgent</tags>
  </ticket>
  <ticket>
    <customer_id>CUST-002</customer_id>
    <customer_email>jane@example.com</customer_email>
    <customer_name>Jane Smith</customer_name>
    <subject>Payment not processed</subject>
    <description>I tried to pay for my subscription but the payment failed.</description>
    <category>billing_question</category>
    <priority>high</priority>
    <status>new</status>
    <tags>billing,payment</tags>
  </ticket>
</tickets>
"""

# What the two-ticket examples hold, as a ticket of the API shows it.
IMPORTED_EXAMPLE_ROWS = [
    {"customer_id": "CUST-001", "customer_email": "john@example.com", "customer_name": "John Doe",
     "category": "account_access", "priority": "high", "status": "new", "tags": ["login", "urgent"]},
    {"customer_id": "CUST-002", "customer_email": "jane@example.com", "customer_name": "Jane Smith",
     "category": "billing_question", "priority": "high", "status": "new",
     "tags": ["billing", "payment"]},
]


def ticket_body(**fields: Any) -> dict[str, Any]:
    """The document's create body with some fields changed (`...` removes a field)."""
    body = {**EXAMPLE_TICKET, **fields}
    return {k: v for k, v in body.items() if v is not ...}


def parse_time(value: Any) -> datetime:
    assert isinstance(value, str), value
    assert RFC3339_Z.match(value), f"not RFC 3339 with a Z like the document's: {value!r}"
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def assert_uuid(value: Any) -> None:
    assert isinstance(value, str), value
    assert str(uuid.UUID(value)) == value.lower(), value


def assert_ticket(ticket: dict[str, Any]) -> None:
    """Exactly the schema's fields, with the schema's types."""
    assert set(ticket) == TICKET_FIELDS, sorted(set(ticket) ^ TICKET_FIELDS)
    assert_uuid(ticket["id"])
    for field in ("customer_id", "customer_email", "customer_name", "subject", "description"):
        assert isinstance(ticket[field], str), (field, ticket[field])
    assert ticket["category"] in CATEGORIES
    assert ticket["priority"] in PRIORITIES
    assert ticket["status"] in STATUSES
    created = parse_time(ticket["created_at"])
    assert parse_time(ticket["updated_at"]) >= created
    if ticket["resolved_at"] is not None:
        parse_time(ticket["resolved_at"])
    if ticket["classified_at"] is not None:
        parse_time(ticket["classified_at"])
    assert ticket["assigned_to"] is None or isinstance(ticket["assigned_to"], str)
    assert isinstance(ticket["tags"], list)
    assert all(isinstance(t, str) for t in ticket["tags"])
    assert isinstance(ticket["metadata"], dict)
    confidence = ticket["classification_confidence"]
    assert confidence is None or (isinstance(confidence, int | float) and 0 <= confidence <= 1)
    assert ticket["classification_reasoning"] is None or isinstance(ticket["classification_reasoning"], str)
    assert isinstance(ticket["classification_keywords"], list)
    assert isinstance(ticket["manual_override"], bool)


def assert_json(response: Response, status: int) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    return response.json()


def assert_body(response: Response, status: int, body: dict[str, Any]) -> None:
    """One of the document's fixed error bodies, exactly."""
    assert assert_json(response, status) == body


def validation_details(response: Response) -> list[str]:
    """The document's 400 validation error: {"error": "Validation failed", "details": [...]}."""
    body = assert_json(response, 400)
    assert set(body) == {"error", "details"}, body
    assert body["error"] == VALIDATION_FAILED
    details = body["details"]
    assert isinstance(details, list), details
    assert details
    assert all(isinstance(d, str) and d for d in details), details
    return details


def create(client: TestClient, **fields: Any) -> dict[str, Any]:
    response = client.post(f"{SP}/tickets", json=ticket_body(**fields))
    ticket: dict[str, Any] = assert_json(response, 201)
    return ticket


def get(client: TestClient, ticket_id: str) -> dict[str, Any]:
    ticket: dict[str, Any] = assert_json(client.get(f"{SP}/tickets/{ticket_id}"), 200)
    assert_ticket(ticket)
    return ticket


def update(client: TestClient, ticket_id: str, **fields: Any) -> dict[str, Any]:
    ticket: dict[str, Any] = assert_json(client.put(f"{SP}/tickets/{ticket_id}", json=fields), 200)
    assert_ticket(ticket)
    return ticket


def listing(client: TestClient, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = assert_json(client.get(f"{SP}/tickets", params=params), 200)
    assert set(body) == {"tickets", "pagination"}, body
    assert set(body["pagination"]) == PAGINATION_FIELDS, body["pagination"]
    for ticket in body["tickets"]:
        assert_ticket(ticket)
    return body


def import_file(client: TestClient, filename: str, content: str | bytes, content_type: str | None = None,
                *, format: str | None = None) -> Response:
    """A multipart upload under the field name `file`, as `curl -F "file=@name"` sends it."""
    data = content.encode() if isinstance(content, str) else content
    file: tuple[str, bytes] | tuple[str, bytes, str] = (
        (filename, data) if content_type is None else (filename, data, content_type))
    url = f"{SP}/tickets/import" + (f"?format={format}" if format is not None else "")
    return client.post(url, files={"file": file})


def import_result(response: Response) -> dict[str, Any]:
    body: dict[str, Any] = assert_json(response, 200)
    assert set(body) == {"total", "successful", "failed", "errors"}, body
    assert body["total"] == body["successful"] + body["failed"]
    assert isinstance(body["errors"], list)
    for error in body["errors"]:
        assert set(error) == {"row", "errors"}, error
        assert isinstance(error["row"], int)
        assert isinstance(error["errors"], list)
        assert error["errors"]
        assert all(isinstance(e, str) for e in error["errors"])
    return body


def curl_multipart(filename: str, content: bytes, *, request_type: str | None = None) -> tuple[bytes, str]:
    """The body and Content-Type curl 7.88 sends for `-F "file=@<filename>"`, with an optional
    `-H "Content-Type: <request_type>"`: curl keeps its boundary but uses that type for the request
    and writes `Content-Disposition: attachment` for the part; it labels .xml files
    application/xml and others application/octet-stream."""
    boundary = "------------------------" + uuid.uuid4().hex[:16]
    disposition = "form-data" if request_type is None else "attachment"
    part_type = "application/xml" if filename.endswith(".xml") else "application/octet-stream"
    body = (f"--{boundary}\r\n"
            f'Content-Disposition: {disposition}; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {part_type}\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"{request_type or 'multipart/form-data'}; boundary={boundary}"
