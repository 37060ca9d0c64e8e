"""customer-support-api.md: POST, GET, PUT and DELETE /tickets[/{id}], the Ticket Schema, its
Metadata Schema and the validation rules, under /support."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conformance.support.support import (
    BAD_JSON,
    CATEGORIES,
    CATEGORY_ENUM,
    DESCRIPTION_LENGTH,
    DEVICE_TYPE_ENUM,
    DEVICE_TYPES,
    EMAIL_INVALID,
    EMAIL_REQUIRED,
    EXAMPLE_TICKET,
    NOT_FOUND,
    PRIORITIES,
    PRIORITY_ENUM,
    REQUIRED_FIELDS,
    SOURCE_ENUM,
    SOURCE_REQUIRED,
    SOURCES,
    SP,
    STATUS_ENUM,
    STATUSES,
    SUBJECT_LENGTH,
    UNKNOWN_ID,
    assert_body,
    assert_json,
    assert_ticket,
    create,
    get,
    listing,
    parse_time,
    ticket_body,
    update,
    validation_details,
)
from tests.factories import make_ticket, make_user
from ticketry.domain.users.models import Role

# ------------------------------------------------------------------------------------ create


def test_create_the_documents_example(api: TestClient) -> None:
    before = datetime.now(UTC) - timedelta(seconds=2)
    response = api.post(f"{SP}/tickets", json=EXAMPLE_TICKET)
    body = assert_json(response, 201)
    assert_ticket(body)
    for field, value in EXAMPLE_TICKET.items():
        assert body[field] == value, field
    created = parse_time(body["created_at"])
    assert before <= created <= datetime.now(UTC) + timedelta(seconds=2)
    assert body["updated_at"] == body["created_at"]
    assert body["resolved_at"] is None
    assert body["assigned_to"] is None
    # Nothing has classified it yet.
    assert body["classification_confidence"] is None
    assert body["classification_reasoning"] is None
    assert body["classification_keywords"] == []
    assert body["classified_at"] is None
    assert body["manual_override"] is False


def test_ids_are_distinct_uuids(api: TestClient) -> None:
    first = create(api)
    second = create(api)
    assert first["id"] != second["id"]


def test_only_the_required_fields(api: TestClient) -> None:
    body = {field: EXAMPLE_TICKET[field] for field in REQUIRED_FIELDS}
    created = assert_json(api.post(f"{SP}/tickets", json=body), 201)
    assert_ticket(created)
    for field in REQUIRED_FIELDS:
        assert created[field] == EXAMPLE_TICKET[field]
    assert created["tags"] == []  # "Default: []"
    assert created["classification_keywords"] == []
    assert created["manual_override"] is False
    assert isinstance(created["metadata"], dict)
    assert get(api, created["id"]) == created


def test_metadata_with_only_a_source(api: TestClient) -> None:
    created = create(api, metadata={"source": "email"})
    assert created["metadata"]["source"] == "email"
    # The list example shows the optional keys of such a ticket as null.
    assert created["metadata"].get("browser") is None
    assert created["metadata"].get("device_type") is None


@pytest.mark.parametrize("value", CATEGORIES)
def test_every_category(api: TestClient, value: str) -> None:
    assert create(api, category=value)["category"] == value


@pytest.mark.parametrize("value", PRIORITIES)
def test_every_priority(api: TestClient, value: str) -> None:
    assert create(api, priority=value)["priority"] == value


@pytest.mark.parametrize("value", STATUSES)
def test_every_status(api: TestClient, value: str) -> None:
    created = create(api, status=value)
    assert created["status"] == value
    # resolved_at: "Timestamp when ticket was resolved/closed".
    if value in ("resolved", "closed"):
        delay = parse_time(created["resolved_at"]) - parse_time(created["created_at"])
        assert abs(delay) < timedelta(seconds=2)
    else:
        assert created["resolved_at"] is None


@pytest.mark.parametrize("value", SOURCES)
def test_every_source(api: TestClient, value: str) -> None:
    assert create(api, metadata={"source": value})["metadata"]["source"] == value


@pytest.mark.parametrize("value", DEVICE_TYPES)
def test_every_device_type(api: TestClient, value: str) -> None:
    created = create(api, metadata={"source": "chat", "device_type": value})
    assert created["metadata"]["device_type"] == value


def test_a_created_ticket_is_readable_and_listed(api: TestClient) -> None:
    created = create(api)
    assert get(api, created["id"]) == created
    assert listing(api)["tickets"] == [created]


# ------------------------------------------------------------------------------------ validation


def _details(api: TestClient, **fields: Any) -> list[str]:
    response = api.post(f"{SP}/tickets", json=ticket_body(**fields))
    details = validation_details(response)
    assert listing(api)["pagination"]["total"] == 0  # nothing was stored
    return details


@pytest.mark.parametrize(("length", "valid"), [(0, False), (1, True), (200, True), (201, False)])
def test_subject_length(api: TestClient, length: int, valid: bool) -> None:
    subject = "S" * length
    if valid:
        assert create(api, subject=subject)["subject"] == subject
    else:
        assert _details(api, subject=subject) == [SUBJECT_LENGTH]


@pytest.mark.parametrize(("length", "valid"), [(9, False), (10, True), (2000, True), (2001, False)])
def test_description_length(api: TestClient, length: int, valid: bool) -> None:
    description = "d" * length
    if valid:
        assert create(api, description=description)["description"] == description
    else:
        assert _details(api, description=description) == [DESCRIPTION_LENGTH]


def test_lengths_count_characters_not_bytes(api: TestClient) -> None:
    assert _details(api, subject="é" * 201) == [SUBJECT_LENGTH]
    assert _details(api, description="ü" * 2001) == [DESCRIPTION_LENGTH]
    created = create(api, subject="é" * 200, description="ü" * 2000)
    assert created["subject"] == "é" * 200
    assert created["description"] == "ü" * 2000


@pytest.mark.parametrize("email", ["invalid-email", "john@", "@example.com", "john doe@example.com",
                                   "john@@example.com", "john.example.com"])
def test_a_bad_email(api: TestClient, email: str) -> None:
    assert _details(api, customer_email=email) == [EMAIL_INVALID]


@pytest.mark.parametrize("email", ["john.doe+support@example.co.uk", "a@b.io"])
def test_a_good_email(api: TestClient, email: str) -> None:
    assert create(api, customer_email=email)["customer_email"] == email


@pytest.mark.parametrize("field", REQUIRED_FIELDS)
@pytest.mark.parametrize("how", ["missing", "null"])
def test_each_required_field(api: TestClient, field: str, how: str) -> None:
    details = _details(api, **{field: ... if how == "missing" else None})
    assert f"{field} is required" in details
    # Only that field's problems.
    assert all(d.startswith(f"{field} ") for d in details), details


def test_a_missing_email_in_the_documents_words(api: TestClient) -> None:
    assert EMAIL_REQUIRED in _details(api, customer_email=...)


@pytest.mark.parametrize("field", ["customer_id", "customer_name"])
def test_empty_identity_fields(api: TestClient, field: str) -> None:
    # "Required, non-empty"
    details = _details(api, **{field: ""})
    assert details == [f"{field} is required"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("priority", "critical", PRIORITY_ENUM),
    ("priority", "HIGH", PRIORITY_ENUM),
    ("category", "login_problem", CATEGORY_ENUM),
    ("status", "open", STATUS_ENUM),
    ("status", "deleted", STATUS_ENUM),
])
def test_wrong_enum_values(api: TestClient, field: str, value: str, message: str) -> None:
    assert _details(api, **{field: value}) == [message]


def test_metadata_needs_a_source(api: TestClient) -> None:
    [message] = _details(api, metadata={"browser": "Chrome 120", "device_type": "desktop"})
    assert SOURCE_REQUIRED.match(message), message


def test_metadata_source_is_an_enum(api: TestClient) -> None:
    [message] = _details(api, metadata={"source": "fax"})
    assert SOURCE_ENUM.match(message), message


def test_metadata_device_type_is_an_enum(api: TestClient) -> None:
    [message] = _details(api, metadata={"source": "web_form", "device_type": "smartwatch"})
    assert DEVICE_TYPE_ENUM.match(message), message


def test_every_problem_is_listed(api: TestClient) -> None:
    details = _details(api, customer_email="invalid-email", subject="s" * 201, description="too short",
                       priority="critical")
    assert sorted(details) == sorted([EMAIL_INVALID, SUBJECT_LENGTH, DESCRIPTION_LENGTH, PRIORITY_ENUM])


def test_every_problem_is_listed_with_missing_fields(api: TestClient) -> None:
    details = validation_details(api.post(f"{SP}/tickets", json={"category": "other"}))
    for field in REQUIRED_FIELDS:
        if field != "category":
            assert f"{field} is required" in details
    assert EMAIL_REQUIRED in details


@pytest.mark.parametrize("fields", [
    {"subject": 123}, {"tags": "login"}, {"tags": [1, 2]}, {"metadata": "web_form"},
    {"customer_email": ["john@example.com"]}, {"priority": 1},
])
def test_wrong_types_are_validation_errors(api: TestClient, fields: dict[str, Any]) -> None:
    _details(api, **fields)


@pytest.mark.parametrize("content", ["{not json", "", '{"customer_id": "CUST-001",}', "\xff"])
def test_a_body_that_is_not_json(api: TestClient, content: str) -> None:
    response = api.post(f"{SP}/tickets", content=content.encode("latin-1"),
                        headers={"Content-Type": "application/json"})
    assert_body(response, 400, BAD_JSON)
    assert listing(api)["pagination"]["total"] == 0


@pytest.mark.parametrize("content", ["[]", '"a ticket"', "42", "null"])
def test_a_json_body_that_is_not_an_object(api: TestClient, content: str) -> None:
    response = api.post(f"{SP}/tickets", content=content, headers={"Content-Type": "application/json"})
    body = assert_json(response, 400)
    assert body == BAD_JSON or body["error"] == "Validation failed", body


# ------------------------------------------------------------------------------------ get


def test_get_by_id(api: TestClient) -> None:
    created = create(api)
    fetched = get(api, created["id"])
    assert fetched == created
    assert get(api, created["id"].upper())["id"] == created["id"]


@pytest.mark.parametrize("ticket_id", [UNKNOWN_ID, "550e8400-e29b-41d4-a716-446655440000",
                                       "not-a-uuid", "12345", "550e8400e29b41d4a716"])
def test_get_unknown_or_malformed(api: TestClient, ticket_id: str) -> None:
    assert_body(api.get(f"{SP}/tickets/{ticket_id}"), 404, NOT_FOUND)


def test_a_ticket_of_another_desk_is_not_found(api: TestClient, session: Session) -> None:
    user = make_user(session, Role.ADMIN)
    other = make_ticket(session, user, title="Disk full on build agent")
    session.commit()
    assert_body(api.get(f"{SP}/tickets/{other.public_id}"), 404, NOT_FOUND)
    assert_body(api.put(f"{SP}/tickets/{other.public_id}", json={"priority": "low"}), 404, NOT_FOUND)
    assert_body(api.delete(f"{SP}/tickets/{other.public_id}"), 404, NOT_FOUND)
    assert_body(api.post(f"{SP}/tickets/{other.public_id}/auto-classify"), 404, NOT_FOUND)
    assert listing(api)["tickets"] == []


# ------------------------------------------------------------------------------------ update


def test_the_documents_partial_update(api: TestClient) -> None:
    created = create(api)
    updated = update(api, created["id"], status="in_progress", assigned_to="agent-456",
                     priority="urgent")
    assert updated["status"] == "in_progress"
    assert updated["assigned_to"] == "agent-456"
    assert updated["priority"] == "urgent"
    assert updated["resolved_at"] is None
    assert parse_time(updated["updated_at"]) >= parse_time(created["updated_at"])
    # Everything else as it was.
    unchanged = {k: v for k, v in created.items()
                 if k not in {"status", "assigned_to", "priority", "updated_at"}}
    assert {k: updated[k] for k in unchanged} == unchanged
    assert get(api, created["id"]) == updated


def test_every_field_can_be_updated(api: TestClient) -> None:
    created = create(api)
    changes = {
        "customer_id": "CUST-999", "customer_email": "johnny@example.org", "customer_name": "Johnny D",
        "subject": "Still cannot login", "description": "Ten chars or more, surely.",
        "priority": "low", "tags": ["vip"], "metadata": {"source": "phone", "device_type": "mobile"},
    }
    updated = update(api, created["id"], **changes)
    for field, value in changes.items():
        if field == "metadata":
            assert updated[field]["source"] == "phone"
            assert updated[field]["device_type"] == "mobile"
        else:
            assert updated[field] == value, field


def test_an_empty_update_changes_nothing(api: TestClient) -> None:
    created = create(api)
    updated = update(api, created["id"])
    assert {k: v for k, v in updated.items() if k != "updated_at"} == \
        {k: v for k, v in created.items() if k != "updated_at"}


def test_unassign(api: TestClient) -> None:
    created = create(api)
    update(api, created["id"], assigned_to="agent-456")
    assert update(api, created["id"], assigned_to=None)["assigned_to"] is None


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_resolved_at_is_set_when_resolved_or_closed(api: TestClient, status: str) -> None:
    created = create(api)
    before = datetime.now(UTC) - timedelta(seconds=2)
    updated = update(api, created["id"], status="in_progress")
    assert updated["resolved_at"] is None
    updated = update(api, created["id"], status=status)
    assert updated["status"] == status
    resolved_at = parse_time(updated["resolved_at"])
    assert before <= resolved_at <= datetime.now(UTC) + timedelta(seconds=2)
    assert get(api, created["id"])["resolved_at"] == updated["resolved_at"]


def test_resolved_then_closed_keeps_a_resolution_time(api: TestClient) -> None:
    created = create(api)
    resolved = update(api, created["id"], status="resolved")
    closed = update(api, created["id"], status="closed")
    assert closed["status"] == "closed"
    assert closed["resolved_at"] is not None
    assert parse_time(closed["resolved_at"]) >= parse_time(resolved["resolved_at"])


def test_waiting_customer(api: TestClient) -> None:
    created = create(api)
    updated = update(api, created["id"], status="waiting_customer")
    assert updated["status"] == "waiting_customer"
    assert updated["resolved_at"] is None


@pytest.mark.parametrize(("fields", "message"), [
    ({"priority": "critical"}, PRIORITY_ENUM),
    ({"status": "done"}, STATUS_ENUM),
    ({"category": "sales"}, CATEGORY_ENUM),
    ({"subject": ""}, SUBJECT_LENGTH),
    ({"subject": "s" * 201}, SUBJECT_LENGTH),
    ({"description": "too short"}, DESCRIPTION_LENGTH),
    ({"description": "d" * 2001}, DESCRIPTION_LENGTH),
    ({"customer_email": "invalid-email"}, EMAIL_INVALID),
])
def test_an_update_is_validated(api: TestClient, fields: dict[str, Any], message: str) -> None:
    created = create(api)
    details = validation_details(api.put(f"{SP}/tickets/{created['id']}", json=fields))
    assert details == [message]
    assert get(api, created["id"]) == created


def test_an_update_lists_every_problem(api: TestClient) -> None:
    created = create(api)
    details = validation_details(api.put(f"{SP}/tickets/{created['id']}", json={
        "priority": "critical", "status": "done", "customer_email": "invalid-email"}))
    assert sorted(details) == sorted([PRIORITY_ENUM, STATUS_ENUM, EMAIL_INVALID])
    assert get(api, created["id"]) == created


@pytest.mark.parametrize("field", ["customer_id", "customer_email", "customer_name", "subject",
                                   "description", "category", "priority", "status"])
def test_an_update_cannot_empty_a_required_field(api: TestClient, field: str) -> None:
    created = create(api)
    validation_details(api.put(f"{SP}/tickets/{created['id']}", json={field: None}))
    assert get(api, created["id"]) == created


def test_an_update_validates_metadata(api: TestClient) -> None:
    created = create(api)
    [message] = validation_details(api.put(f"{SP}/tickets/{created['id']}",
                                           json={"metadata": {"source": "fax"}}))
    assert SOURCE_ENUM.match(message), message
    [message] = validation_details(api.put(f"{SP}/tickets/{created['id']}",
                                           json={"metadata": {"browser": "Firefox"}}))
    assert SOURCE_REQUIRED.match(message), message
    assert get(api, created["id"]) == created


def test_an_update_with_a_body_that_is_not_json(api: TestClient) -> None:
    created = create(api)
    response = api.put(f"{SP}/tickets/{created['id']}", content=b'{"status": ',
                       headers={"Content-Type": "application/json"})
    assert_body(response, 400, BAD_JSON)


@pytest.mark.parametrize("ticket_id", [UNKNOWN_ID, "not-a-uuid"])
def test_update_unknown_or_malformed(api: TestClient, ticket_id: str) -> None:
    assert_body(api.put(f"{SP}/tickets/{ticket_id}", json={"priority": "low"}), 404, NOT_FOUND)


def test_a_category_set_by_a_person_is_a_manual_override(api: TestClient) -> None:
    created = create(api)
    assert created["manual_override"] is False
    assert update(api, created["id"], priority="low")["manual_override"] is False
    updated = update(api, created["id"], category="feature_request")
    assert updated["category"] == "feature_request"
    assert updated["manual_override"] is True
    assert get(api, created["id"])["manual_override"] is True


# ------------------------------------------------------------------------------------ delete


def test_delete(api: TestClient) -> None:
    created = create(api)
    kept = create(api, customer_id="CUST-002")
    response = api.delete(f"{SP}/tickets/{created['id']}")
    assert assert_json(response, 200) == {"message": "Ticket deleted successfully", "id": created["id"]}
    assert_body(api.get(f"{SP}/tickets/{created['id']}"), 404, NOT_FOUND)
    assert_body(api.put(f"{SP}/tickets/{created['id']}", json={"priority": "low"}), 404, NOT_FOUND)
    assert_body(api.delete(f"{SP}/tickets/{created['id']}"), 404, NOT_FOUND)
    assert_body(api.post(f"{SP}/tickets/{created['id']}/auto-classify"), 404, NOT_FOUND)
    body = listing(api)
    assert body["tickets"] == [kept]
    assert body["pagination"]["total"] == 1


@pytest.mark.parametrize("ticket_id", [UNKNOWN_ID, "not-a-uuid"])
def test_delete_unknown_or_malformed(api: TestClient, ticket_id: str) -> None:
    assert_body(api.delete(f"{SP}/tickets/{ticket_id}"), 404, NOT_FOUND)
