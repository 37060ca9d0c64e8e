"""enterprise-api.md, "Tickets": list (every filter), create, update, details, delete; and the
"Ticket Model" (ticket numbers, statuses, priorities, types, the 200-character title)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conformance.enterprise.support import (
    CREATE_EXAMPLE,
    CREATE_RESPONSE_FIELDS,
    DETAIL_SECTIONS,
    EP,
    IT_DEPARTMENT,
    PRIORITIES,
    TICKET_MODEL_FIELDS,
    TICKET_NUMBER,
    TICKET_TYPES,
    UPDATE_EXAMPLE,
    Actor,
    assert_error,
    assert_page,
    assert_success,
    assert_ticket_shape,
    assert_user_ref,
    create_ticket,
    get_ticket,
    list_tickets,
    listed_ids,
    parse_utc,
    update_ticket,
)
from tests.factories import make_team
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Team


def _today() -> set[str]:
    return {datetime.now(UTC).strftime("%Y%m%d"), date.today().strftime("%Y%m%d")}


def _post(client: TestClient, actor: Actor, body: dict[str, Any]) -> Any:
    return client.post(f"{EP}/tickets", headers=actor.headers, json=body)


# ------------------------------------------------------------------------------------ create


def test_create_the_documents_example(client: TestClient, manager: Actor, agent: Actor) -> None:
    """POST /tickets with the example body -> 201 {"success": true, "data": {"id",
    "ticket_number": "TKT-20231201-002", "title", "status": "open", "created_at"},
    "message": "Ticket created successfully", "timestamp"}."""
    body = {**CREATE_EXAMPLE, "assigned_to_id": agent.id}
    response = _post(client, manager, body)

    data = assert_success(response, 201)
    assert response.json()["message"] == "Ticket created successfully"
    assert set(data) == CREATE_RESPONSE_FIELDS
    assert isinstance(data["id"], int)
    match = TICKET_NUMBER.match(data["ticket_number"])
    assert match, data["ticket_number"]
    assert match.group(1) in _today(), data["ticket_number"]
    assert data["title"] == "New System Issue"
    assert data["status"] == "open"
    parse_utc(data["created_at"])

    ticket = get_ticket(client, manager, data["id"])
    assert_ticket_shape(ticket)
    assert set(ticket) >= TICKET_MODEL_FIELDS, TICKET_MODEL_FIELDS - set(ticket)
    assert {k: ticket[k] for k in ("id", "ticket_number", "title", "status", "created_at")} == data
    assert ticket["description"] == "Detailed description of the issue"
    assert (ticket["priority"], ticket["ticket_type"]) == ("medium", "incident")
    assert ticket["department_id"] == 1
    assert ticket["department"] == IT_DEPARTMENT
    assert ticket["assigned_to_id"] == agent.id
    assert_user_ref(ticket["assigned_to"], agent.user)
    assert ticket["created_by_id"] == manager.id
    assert_user_ref(ticket["created_by"], manager.user)
    assert ticket["tags"] == ["system", "bug"]
    assert ticket["due_date"] == "2023-12-05T18:00:00Z"


def test_ticket_numbers_count_up_within_the_day(client: TestClient, user: Actor) -> None:
    """"ticket_number": "string (unique, auto-generated)", TKT-20231201-001, -002, ..."""
    numbers = [create_ticket(client, user, title=f"Issue {n}")["ticket_number"] for n in range(3)]
    matches = [TICKET_NUMBER.match(n) for n in numbers]
    assert all(matches), numbers
    dates = {m.group(1) for m in matches if m}
    counters = [int(m.group(2)) for m in matches if m]
    assert len(dates) == 1
    assert dates <= _today()
    assert counters == [counters[0], counters[0] + 1, counters[0] + 2]


def test_create_as_the_sdk_examples_do(client: TestClient, user: Actor) -> None:
    """The Python SDK example creates {"title", "description", "priority", "department_id"}
    (no ticket_type)."""
    data = assert_success(_post(client, user, {
        "title": "Server Issue", "description": "Server is responding slowly",
        "priority": "high", "department_id": 1}), 201)
    ticket = get_ticket(client, user, data["id"])
    assert ticket["ticket_type"] in TICKET_TYPES
    assert ticket["status"] == "open"
    assert ticket["assigned_to_id"] is None
    assert ticket["assigned_to"] is None
    assert ticket["created_by_id"] == user.id
    assert_user_ref(ticket["created_by"], user.user)


@pytest.mark.parametrize("missing", ["title", "description"])
def test_title_and_description_are_required(client: TestClient, user: Actor, missing: str) -> None:
    """"title": "string (required, max 200 chars)", "description": "string (required)"."""
    body = {"title": "Server Issue", "description": "Slow", "priority": "high", "department_id": 1}
    del body[missing]
    error = assert_error(_post(client, user, body), 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == missing
    assert list_tickets(client, user)["total"] == 0


def test_a_title_of_up_to_200_characters(client: TestClient, user: Actor) -> None:
    assert create_ticket(client, user, title="t" * 200)["title"] == "t" * 200
    error = assert_error(_post(client, user, {"title": "t" * 201, "description": "Too long",
                                              "department_id": 1}), 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "title"
    assert list_tickets(client, user)["total"] == 1


@pytest.mark.parametrize("priority", PRIORITIES)
def test_every_documented_priority(client: TestClient, user: Actor, priority: str) -> None:
    ticket = create_ticket(client, user, priority=priority)
    assert get_ticket(client, user, ticket["id"])["priority"] == priority


@pytest.mark.parametrize("ticket_type", ["incident", "problem"])
def test_ticket_types_that_need_no_approval_open(client: TestClient, user: Actor,
                                                 ticket_type: str) -> None:
    ticket = create_ticket(client, user, ticket_type=ticket_type)
    assert ticket["status"] == "open"
    assert get_ticket(client, user, ticket["id"])["ticket_type"] == ticket_type


@pytest.mark.parametrize("ticket_type", ["request", "change"])
def test_requests_and_changes_wait_for_approval(client: TestClient, user: Actor,
                                                ticket_type: str) -> None:
    """"status": "enum (open, in_progress, pending_approval, resolved, closed)"; see
    test_approvals.py for the workflow."""
    ticket = create_ticket(client, user, ticket_type=ticket_type)
    assert ticket["status"] == "pending_approval"
    assert get_ticket(client, user, ticket["id"])["ticket_type"] == ticket_type


@pytest.mark.parametrize(("field", "value"), [
    ("priority", "urgent"), ("ticket_type", "bug"), ("department_id", 999_999),
    ("department_id", "IT"), ("assigned_to_id", 999_999_999), ("tags", "system,bug"),
    ("due_date", "next tuesday"), ("title", ""), ("title", 5),
])
def test_invalid_fields_are_refused_by_name(client: TestClient, manager: Actor, field: str,
                                            value: Any) -> None:
    body = {"title": "Server Issue", "description": "Slow", "priority": "high",
            "ticket_type": "incident", "department_id": 1, field: value}
    error = assert_error(_post(client, manager, body), 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == field
    assert list_tickets(client, manager)["total"] == 0


# ------------------------------------------------------------------------------------ list


def test_list_answers_the_documented_item(client: TestClient, user: Actor, agent: Actor,
                                          manager: Actor) -> None:
    """The list example: every field of the item, with nested created_by, assigned_to and
    department."""
    created = create_ticket(client, user, title="Server Performance Issue",
                            tags=["performance", "database", "urgent"])
    update_ticket(client, manager, created["id"], assigned_to_id=agent.id)

    data = list_tickets(client, user, page=1, size=20)

    [item] = assert_page(data, total=1)
    assert_ticket_shape(item)
    assert item["id"] == created["id"]
    assert item["ticket_number"] == created["ticket_number"]
    assert item["description"] == "Database queries are running slowly"
    assert (item["status"], item["priority"], item["ticket_type"]) == ("open", "high", "incident")
    assert (item["created_by_id"], item["assigned_to_id"], item["department_id"]) == \
        (user.id, agent.id, 1)
    assert item["tags"] == ["performance", "database", "urgent"]
    assert item["sla_breach_time"] is None
    assert item["resolution_time"] is None
    assert_user_ref(item["created_by"], user.user)
    assert_user_ref(item["assigned_to"], agent.user)
    assert item["department"] == IT_DEPARTMENT


def test_a_user_lists_their_own_tickets_a_manager_all(client: TestClient, user: Actor,
                                                      other_user: Actor, manager: Actor) -> None:
    mine = create_ticket(client, user)["id"]
    theirs = create_ticket(client, other_user)["id"]
    assert listed_ids(client, user) == {mine}
    assert listed_ids(client, manager) == {mine, theirs}


@pytest.fixture
def second_department(session: Session, admin: Actor) -> Team:
    team = make_team(session, admin.user, key="facilities")
    team.code = 2
    session.commit()
    return team


def test_every_list_filter(client: TestClient, session: Session, user: Actor,
                           other_user: Actor, manager: Actor, agent: Actor,
                           second_department: Team) -> None:
    """status, priority, search, created_by_id, assigned_to_id, department_id, created_after,
    tags: each narrows the list to what it names."""
    server = create_ticket(client, user, title="Server Performance Issue", priority="high",
                           tags=["performance", "database"])["id"]
    printer = create_ticket(client, other_user, title="Printer jam on floor 2",
                            description="Paper stuck in tray 3", priority="low",
                            tags=["printer"])["id"]
    chairs = create_ticket(client, other_user, title="Broken chair",
                           description="The chair in room 4 wobbles", priority="medium",
                           department_id=2)["id"]
    old = create_ticket(client, user, title="Old ticket", description="From October",
                        priority="critical")["id"]
    update_ticket(client, manager, printer, status="in_progress", assigned_to_id=agent.id)
    update_ticket(client, manager, chairs, status="resolved")
    update_ticket(client, manager, old, status="closed")
    row = session.get(Ticket, old)
    assert row is not None
    row.created_at = datetime(2023, 10, 15, 9, 0, tzinfo=UTC)
    session.commit()

    def ids(**params: Any) -> set[int]:
        return listed_ids(client, manager, **params)

    assert ids() == {server, printer, chairs, old}
    assert ids(status="open") == {server}
    assert ids(status="in_progress") == {printer}
    assert ids(status="resolved") == {chairs}
    assert ids(status="closed") == {old}
    assert ids(priority="high") == {server}
    assert ids(priority="critical") == {old}
    assert ids(search="server") == {server}
    assert ids(search="tray") == {printer}
    assert ids(created_by_id=user.id) == {server, old}
    assert ids(created_by_id=other_user.id) == {printer, chairs}
    assert ids(assigned_to_id=agent.id) == {printer}
    assert ids(department_id=1) == {server, printer, old}
    assert ids(department_id=2) == {chairs}
    assert ids(created_after="2023-11-01") == {server, printer, chairs}
    assert ids(created_after="2023-11-01T00:00:00Z") == {server, printer, chairs}
    assert ids(created_after="2023-10-01") == {server, printer, chairs, old}
    assert ids(tags="printer") == {printer}
    assert ids(tags="performance,database") == {server}
    # The request line of "List Tickets", filters combined.
    assert ids(page=1, size=20, status="open", priority="high", search="server") == {server}
    assert ids(status="open", priority="low") == set()


def test_the_status_filter_takes_pending_approval_too(client: TestClient, user: Actor,
                                                      manager: Actor) -> None:
    """The Ticket Model's status enum adds pending_approval to the filter's four."""
    change = create_ticket(client, user, ticket_type="change")["id"]
    create_ticket(client, user)
    assert listed_ids(client, manager, status="pending_approval") == {change}


@pytest.mark.parametrize("params", [
    {"status": "waiting"}, {"priority": "urgent"}, {"page": 0}, {"page": "one"}, {"size": 0},
    {"size": 101}, {"created_by_id": "john"}, {"assigned_to_id": "x"}, {"department_id": "IT"},
    {"created_after": "yesterday"},
], ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()))
def test_invalid_query_parameters_are_refused_by_name(client: TestClient, user: Actor,
                                                      params: dict[str, Any]) -> None:
    """`size`: "default: 20, max: 100"; the enums as documented."""
    error = assert_error(client.get(f"{EP}/tickets", headers=user.headers, params=params), 400,
                         "VALIDATION_ERROR")
    assert error["details"]["field"] == next(iter(params))


def test_size_100_is_allowed(client: TestClient, user: Actor) -> None:
    create_ticket(client, user)
    assert_page(list_tickets(client, user, size=100), total=1, size=100)


# ------------------------------------------------------------------------------------ update


def test_update_the_documents_example(client: TestClient, user: Actor, manager: Actor,
                                      agent: Actor) -> None:
    """PATCH /tickets/123 {"status": "in_progress", "priority": "high", "assigned_to_id": 7,
    "internal_notes": "Escalated to senior engineer"}."""
    created = create_ticket(client, user, priority="medium")
    before = get_ticket(client, manager, created["id"])

    data = update_ticket(client, manager, created["id"],
                         **{**UPDATE_EXAMPLE, "assigned_to_id": agent.id})

    assert data["id"] == created["id"]
    ticket = get_ticket(client, manager, created["id"])
    assert_ticket_shape(ticket)
    assert (ticket["status"], ticket["priority"]) == ("in_progress", "high")
    assert ticket["assigned_to_id"] == agent.id
    assert_user_ref(ticket["assigned_to"], agent.user)
    assert ticket["internal_notes"] == "Escalated to senior engineer"
    assert parse_utc(ticket["updated_at"]) >= parse_utc(before["updated_at"])
    # The answer shows the ticket as it now is.
    for name, value in data.items():
        if name in ticket and name != "updated_at":
            assert ticket[name] == value, name


def test_internal_notes_are_not_shown_to_the_requester(client: TestClient, user: Actor,
                                                       manager: Actor) -> None:
    """"internal_notes" and "public_notes": the requester reads the public ones only."""
    created = create_ticket(client, user)
    update_ticket(client, manager, created["id"], internal_notes="Escalated to senior engineer",
                  public_notes="We are on it")
    seen = get_ticket(client, user, created["id"])
    assert seen.get("internal_notes") is None
    assert seen["public_notes"] == "We are on it"
    listed = list_tickets(client, user)["items"][0]
    assert listed.get("internal_notes") is None


def test_update_changes_only_what_it_names(client: TestClient, user: Actor, manager: Actor) -> None:
    created = create_ticket(client, user, priority="low", tags=["printer"])
    update_ticket(client, manager, created["id"], priority="critical")
    ticket = get_ticket(client, manager, created["id"])
    assert (ticket["priority"], ticket["status"], ticket["tags"], ticket["title"]) == \
        ("critical", "open", ["printer"], created["title"])


def test_a_resolved_ticket_has_its_resolution_time_and_a_rating(
        client: TestClient, user: Actor, manager: Actor) -> None:
    """"resolution_time": "integer (minutes, nullable)", "customer_satisfaction_rating":
    "integer (1-5, nullable)"."""
    created = create_ticket(client, user)
    update_ticket(client, manager, created["id"], status="resolved")
    update_ticket(client, manager, created["id"], customer_satisfaction_rating=5)
    ticket = get_ticket(client, user, created["id"])
    assert ticket["status"] == "resolved"
    assert ticket["resolution_time"] == 0
    assert ticket["customer_satisfaction_rating"] == 5
    for rating in (0, 6, "five"):
        error = assert_error(client.patch(f"{EP}/tickets/{created['id']}", headers=manager.headers,
                                          json={"customer_satisfaction_rating": rating}),
                             400, "VALIDATION_ERROR")
        assert error["details"]["field"] == "customer_satisfaction_rating"


@pytest.mark.parametrize(("field", "value"), [
    ("status", "waiting"), ("priority", "urgent"), ("title", "t" * 201),
    ("assigned_to_id", 999_999_999),
])
def test_invalid_updates_are_refused_by_name_and_change_nothing(
        client: TestClient, user: Actor, manager: Actor, field: str, value: Any) -> None:
    created = create_ticket(client, user)
    before = get_ticket(client, manager, created["id"])
    error = assert_error(client.patch(f"{EP}/tickets/{created['id']}", headers=manager.headers,
                                      json={"priority": "low", field: value}),
                         400, "VALIDATION_ERROR")
    assert error["details"]["field"] == field
    assert get_ticket(client, manager, created["id"]) == before


def test_a_move_the_lifecycle_forbids_is_a_business_rule_violation(
        client: TestClient, user: Actor, manager: Actor) -> None:
    """A closed ticket is reopened to `open`; it cannot jump to `in_progress` (422)."""
    created = create_ticket(client, user)
    update_ticket(client, manager, created["id"], status="closed")
    assert_error(client.patch(f"{EP}/tickets/{created['id']}", headers=manager.headers,
                              json={"status": "in_progress"}), 422, "BUSINESS_RULE_VIOLATION")
    assert get_ticket(client, manager, created["id"])["status"] == "closed"


def test_a_user_may_not_work_on_tickets(client: TestClient, user: Actor, agent: Actor) -> None:
    created = create_ticket(client, user)
    assert_error(client.patch(f"{EP}/tickets/{created['id']}", headers=user.headers,
                              json={"assigned_to_id": agent.id}), 403, "PERMISSION_DENIED")
    assert get_ticket(client, user, created["id"])["assigned_to_id"] is None


# ------------------------------------------------------------------------------------ details


def test_details_include_comments_attachments_approval_activity_and_related_tickets(
        client: TestClient, user: Actor, manager: Actor, session: Session) -> None:
    """GET /tickets/123: "Complete ticket information, Comment history, Attachment list,
    Approval workflow status, Activity timeline, Related tickets"."""
    created = create_ticket(client, user, ticket_type="change", title="Upgrade the core switch")
    other = create_ticket(client, user, title="Switch firmware bug")
    assert_success(client.post(f"{EP}/comments/ticket/{created['id']}", headers=user.headers,
                               json={"content": "Needed before Friday"}), 201)
    assert_success(client.post(f"{EP}/comments/ticket/{created['id']}", headers=manager.headers,
                               json={"content": "Budget check pending", "is_internal": True}), 201)
    assert_success(client.post(f"{EP}/attachments/ticket/{created['id']}/upload",
                               headers=user.headers,
                               files={"file": ("plan.txt", b"step 1\nstep 2\n", "text/plain")},
                               data={"description": "Rollout plan"}), 201)
    # Ticket links are a core feature (canonical API).
    rows = {t.id: t for t in session.query(Ticket).filter(Ticket.id.in_([created["id"], other["id"]]))}
    linked = client.post(f"/api/v1/tickets/{rows[created['id']].public_id}/links",
                         headers=manager.headers,
                         json={"target_key": rows[other["id"]].key, "kind": "relates_to"})
    assert linked.status_code == 201, linked.text

    ticket = get_ticket(client, manager, created["id"])

    assert_ticket_shape(ticket)
    assert set(DETAIL_SECTIONS.values()) <= set(ticket)
    comments = ticket[DETAIL_SECTIONS["comments"]]
    assert [c["content"] for c in comments] == ["Needed before Friday", "Budget check pending"]
    assert [c["is_internal"] for c in comments] == [False, True]
    [attachment] = ticket[DETAIL_SECTIONS["attachments"]]
    assert attachment["filename"] == "plan.txt"
    assert attachment["size"] == len(b"step 1\nstep 2\n")
    approval = ticket[DETAIL_SECTIONS["approval"]]
    assert approval["status"] == "pending"
    activity = ticket[DETAIL_SECTIONS["activity"]]
    assert len(activity) >= 2
    for entry in activity:
        parse_utc(entry["timestamp"])
    [related] = ticket[DETAIL_SECTIONS["related"]]
    assert related["id"] == other["id"]
    assert related["ticket_number"] == other["ticket_number"]

    # The requester sees no internal comment.
    seen = get_ticket(client, user, created["id"])
    assert [c["content"] for c in seen[DETAIL_SECTIONS["comments"]]] == ["Needed before Friday"]


def test_details_of_an_unknown_ticket(client: TestClient, manager: Actor) -> None:
    assert_error(client.get(f"{EP}/tickets/999999999", headers=manager.headers), 404,
                 "RESOURCE_NOT_FOUND")
    assert_error(client.get(f"{EP}/tickets/TKT-20231201-001", headers=manager.headers), 404,
                 "RESOURCE_NOT_FOUND")


# ------------------------------------------------------------------------------------ delete


def test_delete_a_ticket(client: TestClient, user: Actor, admin: Actor) -> None:
    """DELETE /tickets/123: the ticket is gone from the API."""
    created = create_ticket(client, user)
    kept = create_ticket(client, user)

    assert_success(client.delete(f"{EP}/tickets/{created['id']}", headers=admin.headers))

    assert_error(client.get(f"{EP}/tickets/{created['id']}", headers=admin.headers), 404,
                 "RESOURCE_NOT_FOUND")
    assert listed_ids(client, admin) == {kept["id"]}
    assert_error(client.delete(f"{EP}/tickets/{created['id']}", headers=admin.headers), 404,
                 "RESOURCE_NOT_FOUND")


def test_only_administrators_delete(client: TestClient, user: Actor, manager: Actor) -> None:
    created = create_ticket(client, user)
    for actor in (user, manager):
        assert_error(client.delete(f"{EP}/tickets/{created['id']}", headers=actor.headers), 403,
                     "PERMISSION_DENIED")
    assert get_ticket(client, user, created["id"])["id"] == created["id"]
