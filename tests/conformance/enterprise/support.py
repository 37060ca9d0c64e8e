"""Helpers and the document's literal values for the enterprise-api.md conformance suite.

The document's base URL `https://api.ticketsystem.com` is the mount prefix `/enterprise` here.
Users, tickets, comments, attachments and approvals are addressed by integers, as the document
shows them; `department_id` is a team's `code` (the preset installs 1, "IT Department")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from ticketry.domain.users.models import User

EP = "/enterprise"
DOC_BASE = "https://api.ticketsystem.com"
IT_DEPARTMENT = {"id": 1, "name": "IT Department"}

# ------------------------------------------------------------------ the document's examples

# "Create Ticket", request body, verbatim (`assigned_to_id` 5 is replaced by a real agent).
CREATE_EXAMPLE: dict[str, Any] = {
    "title": "New System Issue",
    "description": "Detailed description of the issue",
    "priority": "medium",
    "ticket_type": "incident",
    "department_id": 1,
    "assigned_to_id": 5,
    "tags": ["system", "bug"],
    "due_date": "2023-12-05T18:00:00Z",
    "attachments": ["file1.pdf", "screenshot.png"],
}
# "Update Ticket", request body, verbatim (`assigned_to_id` 7 is replaced by a real agent).
UPDATE_EXAMPLE: dict[str, Any] = {
    "status": "in_progress",
    "priority": "high",
    "assigned_to_id": 7,
    "internal_notes": "Escalated to senior engineer",
}
# "Process Approval", verbatim.
APPROVAL_ACTION_EXAMPLE: dict[str, Any] = {
    "action": "approve",
    "comments": "Approved with conditions",
    "conditions": ["Budget limit: $5000", "Timeline: 2 weeks"],
}
# "Bulk Approval", verbatim (the ids 45, 46, 47 are replaced by real approvals).
BULK_EXAMPLE: dict[str, Any] = {
    "approval_ids": [45, 46, 47],
    "action": "approve",
    "comments": "Bulk approval for routine requests",
}
# "Add Comment", verbatim.
COMMENT_EXAMPLE: dict[str, Any] = {
    "content": "I've investigated this issue and found the root cause.",
    "is_internal": False,
    "mentions": ["@john.doe", "@admin"],
    "attachments": ["investigation_log.txt"],
}
# "Advanced Search", verbatim.
SEARCH_EXAMPLE: dict[str, Any] = {
    "query": "server performance",
    "filters": {
        "status": ["open", "in_progress"],
        "priority": ["high", "critical"],
        "created_after": "2023-11-01",
        "departments": [1, 2],
        "tags": ["performance", "server"],
    },
    "sort": [
        {"field": "priority", "order": "desc"},
        {"field": "created_at", "order": "desc"},
    ],
    "page": 1,
    "size": 20,
}
# "Webhook Configuration", verbatim.
WEBHOOK_EXAMPLE: dict[str, Any] = {
    "url": "https://your-app.com/webhooks/tickets",
    "events": ["ticket.created", "ticket.updated"],
    "secret": "your_webhook_secret",
    "active": True,
}
# "Export Data": the query string as the document writes it.
EXPORT_QUERY = 'type=tickets&format=csv&filters={"status":"resolved","created_after":"2023-11-01"}'
WEBHOOK_EVENTS = ("ticket.created", "ticket.updated", "ticket.status_changed", "ticket.assigned",
                  "comment.added", "approval.requested", "approval.processed", "file.uploaded")

# ------------------------------------------------------------------ the document's shapes

SUCCESS_FIELDS = frozenset({"success", "data", "message", "timestamp", "request_id"})
ERROR_FIELDS = frozenset({"success", "error", "request_id"})
ERROR_BODY_FIELDS = frozenset({"code", "message", "details", "timestamp"})
PAGE_FIELDS = frozenset({"items", "total", "page", "size", "pages"})
PAGINATION_FIELDS = frozenset({"total", "page", "size", "pages", "has_next", "has_prev",
                               "next_page", "prev_page"})
LOGIN_FIELDS = frozenset({"access_token", "refresh_token", "token_type", "expires_in", "user"})
LOGIN_USER_FIELDS = frozenset({"id", "username", "email", "first_name", "last_name", "role",
                               "permissions"})
# "User Model".
USER_MODEL_FIELDS = frozenset({"id", "username", "email", "first_name", "last_name", "role",
                               "department_id", "is_active", "last_login", "created_at",
                               "preferences", "permissions"})
USER_REF_FIELDS = frozenset({"id", "username", "first_name", "last_name"})
DEPARTMENT_FIELDS = frozenset({"id", "name"})
# "List Tickets", one item of the response: every field shown.
LIST_ITEM_FIELDS = frozenset({
    "id", "ticket_number", "title", "description", "status", "priority", "ticket_type",
    "created_by_id", "assigned_to_id", "department_id", "tags", "created_at", "updated_at",
    "due_date", "sla_breach_time", "resolution_time", "created_by", "assigned_to", "department",
})
# "Ticket Model".
TICKET_MODEL_FIELDS = frozenset({
    "id", "ticket_number", "title", "description", "status", "priority", "ticket_type",
    "created_by_id", "assigned_to_id", "department_id", "tags", "created_at", "updated_at",
    "due_date", "resolution_time", "sla_breach_time", "customer_satisfaction_rating",
    "internal_notes", "public_notes",
})
CREATE_RESPONSE_FIELDS = frozenset({"id", "ticket_number", "title", "status", "created_at"})
# "Comment Model".
COMMENT_FIELDS = frozenset({"id", "ticket_id", "user_id", "content", "is_internal", "mentions",
                            "created_at", "updated_at", "edited", "attachments"})
# "Get Ticket Details": "Response includes: Complete ticket information, Comment history,
# Attachment list, Approval workflow status, Activity timeline, Related tickets" (the document
# names no fields for the five lists; these are the names the dialect gives them).
DETAIL_SECTIONS = {"comments": "comments", "attachments": "attachments",
                   "approval": "approval_workflow", "activity": "activity_timeline",
                   "related": "related_tickets"}
UPLOAD_FIELDS = frozenset({"id", "filename", "size", "content_type", "upload_url",
                           "virus_scan_status"})
DASHBOARD_FIELDS = frozenset({"metrics", "trends", "top_categories"})
METRIC_FIELDS = frozenset({"total_tickets", "open_tickets", "in_progress_tickets",
                           "resolved_tickets", "closed_tickets", "avg_resolution_time",
                           "sla_compliance", "customer_satisfaction"})
TREND_FIELDS = frozenset({"ticket_volume_trend", "resolution_time_trend", "satisfaction_trend"})
WEBHOOK_PAYLOAD_FIELDS = frozenset({"event", "timestamp", "data", "webhook_id"})

# "Error Codes", the table.
ERROR_CODES = ("VALIDATION_ERROR", "AUTHENTICATION_REQUIRED", "PERMISSION_DENIED",
               "RESOURCE_NOT_FOUND", "DUPLICATE_RESOURCE", "BUSINESS_RULE_VIOLATION",
               "RATE_LIMIT_EXCEEDED", "EXTERNAL_SERVICE_ERROR")
STATUSES = ("open", "in_progress", "pending_approval", "resolved", "closed")
PRIORITIES = ("low", "medium", "high", "critical")
TICKET_TYPES = ("incident", "request", "problem", "change")
ROLES = ("user", "manager", "admin", "super_admin")
USER_PERMISSIONS = ["view_tickets", "create_tickets", "comment_tickets"]

TICKET_NUMBER = re.compile(r"^TKT-(\d{8})-(\d{3,})$")
# "2023-12-01T10:00:00Z": UTC with a Z (fractions of a second tolerated).
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
# "+12%", "-8%".
TREND = re.compile(r"^[+-]\d+(\.\d+)?%$|^0(\.0+)?%$")


@dataclass
class Actor:
    """A user of the enterprise API with the Authorization header from POST /auth/login."""

    user: User
    headers: dict[str, str]
    login: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def token(self) -> str:
        return self.headers["Authorization"].removeprefix("Bearer ")


# ------------------------------------------------------------------ envelopes


def parse_utc(value: str) -> datetime:
    assert isinstance(value, str), value
    assert ISO_UTC.match(value), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _assert_recent(value: str) -> None:
    at = parse_utc(value)
    assert abs(datetime.now(UTC) - at) < timedelta(hours=1), value


def assert_success(response: Response, status: int = 200) -> Any:
    """"Success Response": {success: true, data, message, timestamp, request_id}; returns data."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == SUCCESS_FIELDS, body
    assert body["success"] is True
    assert isinstance(body["message"], str), body
    assert body["message"], body
    _assert_recent(body["timestamp"])
    assert body["request_id"] == response.headers["x-request-id"], body
    return body["data"]


def assert_error(response: Response, status: int, code: str) -> dict[str, Any]:
    """"Error Response": {success: false, error: {code, message, details, timestamp},
    request_id}; returns the error object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == ERROR_FIELDS, body
    assert body["success"] is False
    assert body["request_id"] == response.headers["x-request-id"], body
    error: dict[str, Any] = body["error"]
    assert set(error) == ERROR_BODY_FIELDS, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str), error
    assert error["message"], error
    assert isinstance(error["details"], dict), error
    _assert_recent(error["timestamp"])
    return error


def assert_page(data: dict[str, Any], *, total: int, page: int = 1, size: int = 20) -> list[Any]:
    """The list example's {items, total, page, size, pages} and the "Pagination Response"
    section's `pagination` object, both; returns the items."""
    assert PAGE_FIELDS | {"pagination"} <= set(data), data
    pages = -(-total // size)
    assert (data["total"], data["page"], data["size"], data["pages"]) == (total, page, size, pages)
    assert data["pagination"] == {
        "total": total, "page": page, "size": size, "pages": pages,
        "has_next": page < pages, "has_prev": page > 1,
        "next_page": page + 1 if page < pages else None,
        "prev_page": page - 1 if page > 1 else None,
    }, data["pagination"]
    items: list[Any] = data["items"]
    assert len(items) == max(0, min(size, total - (page - 1) * size))
    return items


def assert_user_ref(value: Any, user: User) -> None:
    assert set(value) == USER_REF_FIELDS, value
    assert value["id"] == user.id
    assert value["username"] == user.username
    assert value["first_name"] == user.given_name
    assert value["last_name"] == user.family_name


def assert_ticket_shape(ticket: dict[str, Any]) -> None:
    """A ticket as the list example shows it (every field of the example; more may follow)."""
    assert set(ticket) >= LIST_ITEM_FIELDS, LIST_ITEM_FIELDS - set(ticket)
    assert isinstance(ticket["id"], int)
    assert TICKET_NUMBER.match(ticket["ticket_number"]), ticket["ticket_number"]
    assert ticket["status"] in STATUSES
    assert ticket["priority"] in PRIORITIES
    assert ticket["ticket_type"] in TICKET_TYPES
    assert isinstance(ticket["tags"], list)
    parse_utc(ticket["created_at"])
    parse_utc(ticket["updated_at"])
    for name in ("due_date", "sla_breach_time"):
        if ticket[name] is not None:
            parse_utc(ticket[name])
    assert ticket["resolution_time"] is None or isinstance(ticket["resolution_time"], int)
    assert set(ticket["created_by"]) == USER_REF_FIELDS
    assert ticket["created_by"]["id"] == ticket["created_by_id"]
    if ticket["assigned_to_id"] is None:
        assert ticket["assigned_to"] is None
    else:
        assert set(ticket["assigned_to"]) == USER_REF_FIELDS
        assert ticket["assigned_to"]["id"] == ticket["assigned_to_id"]
    if ticket["department_id"] is None:
        assert ticket["department"] is None
    else:
        assert set(ticket["department"]) == DEPARTMENT_FIELDS
        assert ticket["department"]["id"] == ticket["department_id"]


# ------------------------------------------------------------------ calls


def login_response(client: TestClient, username: str, password: str) -> Response:
    return client.post(f"{EP}/auth/login", json={"username": username, "password": password})


def create_ticket(client: TestClient, actor: Actor, **fields: Any) -> dict[str, Any]:
    body = {"title": "Server Performance Issue", "description": "Database queries are running slowly",
            "priority": "high", "ticket_type": "incident", "department_id": 1, **fields}
    body = {k: v for k, v in body.items() if v is not ...}
    data: dict[str, Any] = assert_success(
        client.post(f"{EP}/tickets", headers=actor.headers, json=body), 201)
    return data


def get_ticket(client: TestClient, actor: Actor, ticket_id: int) -> dict[str, Any]:
    data: dict[str, Any] = assert_success(client.get(f"{EP}/tickets/{ticket_id}",
                                                     headers=actor.headers))
    return data


def update_ticket(client: TestClient, actor: Actor, ticket_id: int, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = assert_success(client.patch(f"{EP}/tickets/{ticket_id}",
                                                       headers=actor.headers, json=fields))
    return data


def list_tickets(client: TestClient, actor: Actor, **params: Any) -> dict[str, Any]:
    data: dict[str, Any] = assert_success(client.get(f"{EP}/tickets", headers=actor.headers,
                                                     params=params))
    return data


def listed_ids(client: TestClient, actor: Actor, **params: Any) -> set[int]:
    return {t["id"] for t in list_tickets(client, actor, **{"size": 100, **params})["items"]}


def pending_approvals(client: TestClient, actor: Actor, **params: Any) -> list[dict[str, Any]]:
    data = assert_success(client.get(f"{EP}/approvals/pending", headers=actor.headers,
                                     params={"size": 100, **params}))
    items: list[dict[str, Any]] = data["items"]
    return items


def approval_of(client: TestClient, approver: Actor, ticket_id: int) -> dict[str, Any]:
    """The pending approval of a ticket, as its approver's pending list shows it."""
    found = [a for a in pending_approvals(client, approver) if a["ticket_id"] == ticket_id]
    assert len(found) == 1, found
    return found[0]
