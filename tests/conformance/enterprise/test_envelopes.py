"""enterprise-api.md, "Response Formats" and "Error Handling": the success, error and
pagination envelopes, and every error code of the table with its HTTP status. Each code is
also met where it arises (the other test modules); this module walks the table in one place.
RATE_LIMIT_EXCEEDED is in test_rate_limiting.py, EXTERNAL_SERVICE_ERROR in test_attachments.py."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conformance.enterprise.conftest import app_with
from tests.conformance.enterprise.support import (
    EP,
    ERROR_CODES,
    Actor,
    approval_of,
    assert_error,
    assert_page,
    assert_success,
    create_ticket,
    list_tickets,
)
from tests.conftest import BoundDatabase
from ticketry.config import Settings

# ------------------------------------------------------------------------ success envelope


def test_the_success_envelope(client: TestClient, user: Actor) -> None:
    """{"success": true, "data": {...}, "message": "Operation completed successfully",
    "timestamp": "2023-12-01T10:00:00Z", "request_id": "550e8400-..."}: the request id is the
    one the response's X-Request-ID header carries."""
    response = client.get(f"{EP}/tickets", headers=user.headers)
    assert_success(response)
    assert response.json()["request_id"]


def test_a_request_id_sent_by_the_client_is_the_one_answered(client: TestClient, user: Actor) -> None:
    request_id = "550e8400-e29b-41d4-a716-446655440000"
    response = client.get(f"{EP}/tickets", headers={**user.headers, "X-Request-ID": request_id})
    assert_success(response)
    assert response.json()["request_id"] == request_id
    error = client.get(f"{EP}/tickets/999999999", headers={**user.headers, "X-Request-ID": request_id})
    assert_error(error, 404, "RESOURCE_NOT_FOUND")
    assert error.json()["request_id"] == request_id


def test_every_response_has_its_own_request_id(client: TestClient, user: Actor) -> None:
    ids = {client.get(f"{EP}/tickets", headers=user.headers).json()["request_id"] for _ in range(3)}
    assert len(ids) == 3


# ------------------------------------------------------------------------ error envelope


def test_the_error_envelope_names_the_field_the_reason_and_the_value(
        client: TestClient, user: Actor) -> None:
    """"details": {"field": "email", "reason": "Invalid email format", "provided_value":
    "invalid-email"}: here, a priority the document does not list."""
    response = client.post(f"{EP}/tickets", headers=user.headers, json={
        "title": "Printer jam", "description": "Floor 2", "priority": "urgent",
        "ticket_type": "incident", "department_id": 1})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "priority"
    assert isinstance(error["details"]["reason"], str)
    assert error["details"]["reason"]
    assert error["details"]["provided_value"] == "urgent"
    assert list_tickets(client, user)["total"] == 0


# ------------------------------------------------------------------------ pagination envelope


def test_the_pagination_envelope_on_every_page(client: TestClient, user: Actor) -> None:
    """"Pagination Response": {"items", "pagination": {"total", "page", "size", "pages",
    "has_next", "has_prev", "next_page", "prev_page"}}, next to the list example's
    {"items", "total", "page", "size", "pages"}."""
    for n in range(5):
        create_ticket(client, user, title=f"Ticket {n}")
    first = assert_page(list_tickets(client, user, page=1, size=2), total=5, page=1, size=2)
    middle = assert_page(list_tickets(client, user, page=2, size=2), total=5, page=2, size=2)
    last = assert_page(list_tickets(client, user, page=3, size=2), total=5, page=3, size=2)
    ids = [t["id"] for t in first + middle + last]
    assert len(set(ids)) == 5
    assert assert_page(list_tickets(client, user), total=5)


def test_an_empty_list(client: TestClient, user: Actor) -> None:
    data = list_tickets(client, user)
    assert assert_page(data, total=0) == []
    assert data["pagination"]["has_next"] is False
    assert data["pagination"]["next_page"] is None


# ------------------------------------------------------------------------ the table of codes


def test_validation_error_is_400(client: TestClient, user: Actor) -> None:
    """VALIDATION_ERROR, "Input validation failed": 400 "Bad Request (validation errors)"."""
    assert_error(client.post(f"{EP}/tickets", headers=user.headers, json={}), 400,
                 "VALIDATION_ERROR")
    assert_error(client.get(f"{EP}/tickets", headers=user.headers, params={"page": "first"}),
                 400, "VALIDATION_ERROR")


def test_a_body_that_is_not_json_is_400_naming_the_body(client: TestClient, user: Actor) -> None:
    error = assert_error(client.post(f"{EP}/tickets", headers={
        **user.headers, "Content-Type": "application/json"}, content=b"not json"), 400,
        "VALIDATION_ERROR")
    assert error["message"] == "Request body is not valid JSON"
    assert error["details"]["field"] == "body"


def test_authentication_required_is_401(client: TestClient) -> None:
    assert_error(client.get(f"{EP}/tickets"), 401, "AUTHENTICATION_REQUIRED")


def test_permission_denied_is_403(client: TestClient, user: Actor) -> None:
    """A user (role `user`) may not delete tickets, not even their own."""
    ticket = create_ticket(client, user)
    assert_error(client.delete(f"{EP}/tickets/{ticket['id']}", headers=user.headers), 403,
                 "PERMISSION_DENIED")


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/tickets/999999999"), ("PATCH", "/tickets/999999999"),
    ("DELETE", "/tickets/999999999"), ("POST", "/comments/ticket/999999999"),
    ("GET", "/comments/ticket/999999999"), ("GET", "/attachments/999999999/download"),
    ("POST", "/approvals/999999999/action"), ("GET", "/no-such-endpoint"),
])
def test_resource_not_found_is_404(client: TestClient, admin: Actor, method: str, path: str) -> None:
    body: dict[str, Any] | None = None
    if method == "PATCH":
        body = {"priority": "high"}
    elif path.startswith("/comments"):
        body = {"content": "Hello"}
    elif path.startswith("/approvals"):
        body = {"action": "approve"}
    assert_error(client.request(method, f"{EP}{path}", headers=admin.headers, json=body), 404,
                 "RESOURCE_NOT_FOUND")


@pytest.mark.parametrize(("method", "path"), [("PUT", "/tickets/1"), ("DELETE", "/tickets"),
                                              ("GET", "/auth/login")])
def test_a_method_a_path_does_not_take_is_answered_in_the_error_envelope(
        client: TestClient, admin: Actor, method: str, path: str) -> None:
    """The document lists no 405 and no code for it: whatever the answer, it is the error
    envelope with one of the document's codes."""
    response = client.request(method, f"{EP}{path}", headers=admin.headers)
    assert response.status_code in (404, 405), response.text
    code = response.json()["error"]["code"]
    assert code in ERROR_CODES
    assert_error(response, response.status_code, code)


def test_a_ticket_one_may_not_see_is_not_found(client: TestClient, user: Actor,
                                               other_user: Actor) -> None:
    ticket = create_ticket(client, other_user)
    assert_error(client.get(f"{EP}/tickets/{ticket['id']}", headers=user.headers), 404,
                 "RESOURCE_NOT_FOUND")


def test_duplicate_resource_is_409(client: TestClient, manager: Actor) -> None:
    """DUPLICATE_RESOURCE, "Resource already exists": among the documented operations, a second
    webhook of one owner for the same URL is a resource that already exists."""
    body = {"url": "https://93.184.216.34/webhooks/tickets", "events": ["ticket.created"],
            "secret": "your_webhook_secret", "active": True}
    assert_success(client.post(f"{EP}/webhooks", headers=manager.headers, json=body), 201)
    assert_error(client.post(f"{EP}/webhooks", headers=manager.headers, json=body), 409,
                 "DUPLICATE_RESOURCE")


def test_business_rule_violation_is_422(client: TestClient, user: Actor, manager: Actor) -> None:
    """BUSINESS_RULE_VIOLATION, "Business logic constraint violated": approving twice."""
    ticket = create_ticket(client, user, ticket_type="change", title="Upgrade the core switch")
    approval = approval_of(client, manager, ticket["id"])
    url = f"{EP}/approvals/{approval['id']}/action"
    assert_success(client.post(url, headers=manager.headers, json={"action": "approve"}))
    assert_error(client.post(url, headers=manager.headers, json={"action": "approve"}), 422,
                 "BUSINESS_RULE_VIOLATION")


# ------------------------------------------------------------------------ before the dialect


def test_an_oversized_json_body_is_refused_in_the_documents_shape(client: TestClient,
                                                                   user: Actor) -> None:
    response = client.post(f"{EP}/tickets", headers=user.headers, json={
        "title": "Big", "description": "d" * 2_000_000, "ticket_type": "incident",
        "priority": "low", "department_id": 1})
    assert response.status_code in (400, 413), response.text
    assert_error(response, response.status_code, "VALIDATION_ERROR")
    assert list_tickets(client, user)["total"] == 0


def test_a_nul_character_in_the_url(client: TestClient, user: Actor) -> None:
    assert_error(client.get(f"{EP}/tickets/1%00", headers=user.headers), 400, "VALIDATION_ERROR")


def test_an_unexpected_failure_is_a_500_in_the_documents_shape(
        settings: Settings, db: BoundDatabase, user: Actor,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """"500: Internal Server Error", in the error envelope, telling nothing of the cause."""
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database is on fire")

    with TestClient(app_with(settings, db), base_url="http://127.0.0.1",
                    raise_server_exceptions=False) as api:
        monkeypatch.setattr(db, "session", broken)
        monkeypatch.setattr(db, "unit_of_work", broken)
        response = api.get(f"{EP}/tickets", headers=user.headers)
    assert response.status_code == 500, response.text
    body = response.json()
    assert set(body) == {"success", "error", "request_id"}
    assert body["success"] is False
    assert body["request_id"] == response.headers["x-request-id"]
    assert set(body["error"]) == {"code", "message", "details", "timestamp"}
    assert "on fire" not in response.text
