"""enterprise-api.md, "Approvals": list pending approvals, process an approval (approve, reject,
delegate, request_info), bulk approval; and how tickets come to need approval (a `change` or
`request` ticket, or a ticket moved to `pending_approval`), asked of a manager of the ticket's
department, else of any manager or admin."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conformance.enterprise.conftest import ActorFactory
from tests.conformance.enterprise.support import (
    APPROVAL_ACTION_EXAMPLE,
    BULK_EXAMPLE,
    DETAIL_SECTIONS,
    EP,
    Actor,
    approval_of,
    assert_error,
    assert_page,
    assert_success,
    create_ticket,
    get_ticket,
    pending_approvals,
    update_ticket,
)
from tests.factories import make_team
from ticketry.domain.users.models import Role, Team


def _act(client: TestClient, actor: Actor, approval_id: int, **body: Any) -> Any:
    return client.post(f"{EP}/approvals/{approval_id}/action", headers=actor.headers, json=body)


def _change(client: TestClient, requester: Actor, **fields: Any) -> dict[str, Any]:
    ticket = create_ticket(client, requester, ticket_type="change",
                           title=fields.pop("title", "Upgrade the core switch"), **fields)
    assert ticket["status"] == "pending_approval"
    return ticket


def _workflow(client: TestClient, actor: Actor, ticket_id: int) -> dict[str, Any]:
    workflow: dict[str, Any] = get_ticket(client, actor, ticket_id)[DETAIL_SECTIONS["approval"]]
    return workflow


@pytest.fixture
def facilities(session: Session, admin: Actor) -> Team:
    """Department 2 (the JavaScript example's), with no manager of its own."""
    team = make_team(session, admin.user, key="facilities")
    team.code = 2
    session.commit()
    return team


# ------------------------------------------------------------------------ pending approvals


def test_a_change_waits_for_a_manager_of_its_department(
        client: TestClient, user: Actor, manager: Actor, make_actor: ActorFactory,
        facilities: Team) -> None:
    """GET /approvals/pending: what awaits the caller's decision."""
    elsewhere = make_actor(Role.MANAGER, team=facilities)
    ticket = _change(client, user)

    data = assert_success(client.get(f"{EP}/approvals/pending", headers=manager.headers))
    [approval] = assert_page(data, total=1)
    assert isinstance(approval["id"], int)
    assert approval["ticket_id"] == ticket["id"]
    assert approval["status"] == "pending"
    assert [a["ticket_id"] for a in pending_approvals(client, elsewhere)] == []
    assert pending_approvals(client, user) == []
    assert _workflow(client, user, ticket["id"])["status"] == "pending"


@pytest.mark.parametrize("ticket_type", ["request", "change"])
def test_requests_and_changes_are_held_for_approval(client: TestClient, user: Actor,
                                                    manager: Actor, ticket_type: str) -> None:
    ticket = create_ticket(client, user, ticket_type=ticket_type)
    assert ticket["status"] == "pending_approval"
    assert approval_of(client, manager, ticket["id"])["status"] == "pending"


def test_incidents_and_problems_are_not_held(client: TestClient, user: Actor, manager: Actor) -> None:
    for ticket_type in ("incident", "problem"):
        assert create_ticket(client, user, ticket_type=ticket_type)["status"] == "open"
    assert pending_approvals(client, manager) == []


def test_without_a_manager_in_the_department_any_manager_or_admin_approves(
        client: TestClient, user: Actor, manager: Actor, admin: Actor, facilities: Team) -> None:
    """Department 2 has no manager: the manager and the admin of department 1 may approve."""
    ticket = _change(client, user, department_id=2, title="Move the printers")
    assert approval_of(client, manager, ticket["id"])["ticket_id"] == ticket["id"]
    assert approval_of(client, admin, ticket["id"])["ticket_id"] == ticket["id"]


def test_moving_a_ticket_to_pending_approval_asks_for_approval(
        client: TestClient, user: Actor, manager: Actor) -> None:
    ticket = create_ticket(client, user, ticket_type="incident")
    update_ticket(client, manager, ticket["id"], status="pending_approval")
    assert get_ticket(client, user, ticket["id"])["status"] == "pending_approval"
    assert approval_of(client, manager, ticket["id"])["status"] == "pending"


def test_the_pending_list_filters_by_department_and_priority(
        client: TestClient, user: Actor, manager: Actor, facilities: Team) -> None:
    """GET /approvals/pending?department_id=1&priority=high."""
    high = _change(client, user, priority="high")["id"]
    low = _change(client, user, priority="low")["id"]
    other = _change(client, user, priority="high", department_id=2)["id"]

    def tickets(**params: Any) -> set[int]:
        return {a["ticket_id"] for a in pending_approvals(client, manager, **params)}

    assert tickets() == {high, low, other}
    assert tickets(department_id=1, priority="high") == {high}
    assert tickets(department_id=1) == {high, low}
    assert tickets(priority="low") == {low}
    assert tickets(department_id=2) == {other}


@pytest.mark.parametrize("params", [{"priority": "urgent"}, {"department_id": "IT"},
                                    {"size": 101}, {"page": 0}])
def test_the_pending_list_refuses_invalid_filters(client: TestClient, manager: Actor,
                                                  params: dict[str, Any]) -> None:
    assert_error(client.get(f"{EP}/approvals/pending", headers=manager.headers, params=params),
                 400, "VALIDATION_ERROR")


# ------------------------------------------------------------------------ process an approval


def test_approve_with_the_documents_example(client: TestClient, user: Actor,
                                            manager: Actor) -> None:
    """POST /approvals/45/action {"action": "approve", "comments": "Approved with conditions",
    "conditions": ["Budget limit: $5000", "Timeline: 2 weeks"]}: the ticket moves on."""
    ticket = _change(client, user)
    approval = approval_of(client, manager, ticket["id"])

    data = assert_success(_act(client, manager, approval["id"], **APPROVAL_ACTION_EXAMPLE))

    assert data["id"] == approval["id"]
    assert data["status"] == "approved"
    assert data["comments"] == "Approved with conditions"
    assert data["conditions"] == ["Budget limit: $5000", "Timeline: 2 weeks"]
    assert get_ticket(client, user, ticket["id"])["status"] == "open"
    assert pending_approvals(client, manager) == []
    workflow = _workflow(client, manager, ticket["id"])
    assert workflow["status"] == "approved"
    [decided] = workflow["requests"][0]["approvals"]
    assert decided["conditions"] == ["Budget limit: $5000", "Timeline: 2 weeks"]
    assert decided["acted_by"]["id"] == manager.id


def test_reject(client: TestClient, user: Actor, manager: Actor) -> None:
    ticket = _change(client, user)
    approval = approval_of(client, manager, ticket["id"])
    data = assert_success(_act(client, manager, approval["id"], action="reject",
                               comments="Not this quarter"))
    assert data["status"] == "rejected"
    assert get_ticket(client, user, ticket["id"])["status"] == "closed"
    assert _workflow(client, user, ticket["id"])["status"] == "rejected"


def test_delegate_to_another_user(client: TestClient, user: Actor, manager: Actor,
                                  make_actor: ActorFactory) -> None:
    """"delegate: Delegate to another user": the decision becomes theirs."""
    deputy = make_actor(Role.MANAGER)
    ticket = _change(client, user)
    approval = approval_of(client, manager, ticket["id"])

    data = assert_success(_act(client, manager, approval["id"], action="delegate",
                               delegate_to_id=deputy.id, comments="On leave next week"))

    assert data["status"] == "delegated"
    assert [a["ticket_id"] for a in pending_approvals(client, manager)] == []
    handed = approval_of(client, deputy, ticket["id"])
    assert handed["id"] != approval["id"]
    assert get_ticket(client, user, ticket["id"])["status"] == "pending_approval"
    assert_success(_act(client, deputy, handed["id"], action="approve"))
    assert get_ticket(client, user, ticket["id"])["status"] == "open"


def test_delegate_needs_someone_to_delegate_to(client: TestClient, user: Actor,
                                               manager: Actor) -> None:
    ticket = _change(client, user)
    approval = approval_of(client, manager, ticket["id"])
    assert_error(_act(client, manager, approval["id"], action="delegate"), 400, "VALIDATION_ERROR")
    error = assert_error(_act(client, manager, approval["id"], action="delegate",
                              delegate_to_id=999_999_999), 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "delegate_to_id"
    assert approval_of(client, manager, ticket["id"])["status"] == "pending"


def test_request_info_keeps_the_approval_open(client: TestClient, user: Actor,
                                              manager: Actor) -> None:
    """"request_info: Request additional information"."""
    ticket = _change(client, user)
    approval = approval_of(client, manager, ticket["id"])

    data = assert_success(_act(client, manager, approval["id"], action="request_info",
                               comments="Which budget line pays for it?"))

    assert data["status"] == "info_requested"
    assert get_ticket(client, user, ticket["id"])["status"] == "pending_approval"
    still = approval_of(client, manager, ticket["id"])
    assert still["id"] == approval["id"]
    assert_success(_act(client, manager, approval["id"], action="approve"))
    assert get_ticket(client, user, ticket["id"])["status"] == "open"


def test_request_info_needs_the_question(client: TestClient, user: Actor, manager: Actor) -> None:
    ticket = _change(client, user)
    approval = approval_of(client, manager, ticket["id"])
    error = assert_error(_act(client, manager, approval["id"], action="request_info"), 400,
                         "VALIDATION_ERROR")
    assert error["details"]["field"] == "comments"


def test_approving_twice_is_a_business_rule_violation(client: TestClient, user: Actor,
                                                      manager: Actor) -> None:
    """422 "Unprocessable Entity (business logic error)", BUSINESS_RULE_VIOLATION."""
    ticket = _change(client, user)
    approval = approval_of(client, manager, ticket["id"])
    assert_success(_act(client, manager, approval["id"], action="approve"))
    for action in ("approve", "reject"):
        assert_error(_act(client, manager, approval["id"], action=action), 422,
                     "BUSINESS_RULE_VIOLATION")
    assert get_ticket(client, user, ticket["id"])["status"] == "open"


@pytest.mark.parametrize("body", [
    {"action": "accept"}, {}, {"action": "approve", "conditions": "Budget limit: $5000"},
    {"action": "approve", "comments": 5},
])
def test_invalid_actions_are_validation_errors(client: TestClient, user: Actor, manager: Actor,
                                               body: dict[str, Any]) -> None:
    ticket = _change(client, user)
    approval = approval_of(client, manager, ticket["id"])
    assert_error(client.post(f"{EP}/approvals/{approval['id']}/action", headers=manager.headers,
                             json=body), 400, "VALIDATION_ERROR")
    assert approval_of(client, manager, ticket["id"])["status"] == "pending"


def test_only_the_approver_acts(client: TestClient, user: Actor, manager: Actor,
                                make_actor: ActorFactory, facilities: Team) -> None:
    ticket = _change(client, user)
    approval = approval_of(client, manager, ticket["id"])
    elsewhere = make_actor(Role.MANAGER, team=facilities)
    assert_error(_act(client, user, approval["id"], action="approve"), 403, "PERMISSION_DENIED")
    assert_error(_act(client, elsewhere, approval["id"], action="approve"), 403,
                 "PERMISSION_DENIED")
    assert get_ticket(client, user, ticket["id"])["status"] == "pending_approval"


def test_an_unknown_approval(client: TestClient, manager: Actor) -> None:
    assert_error(_act(client, manager, 999_999_999, action="approve"), 404, "RESOURCE_NOT_FOUND")


# ------------------------------------------------------------------------ bulk approval


def test_bulk_approval_with_the_documents_example(client: TestClient, user: Actor,
                                                  manager: Actor) -> None:
    """POST /approvals/bulk-action {"approval_ids": [45, 46, 47], "action": "approve",
    "comments": "Bulk approval for routine requests"}."""
    tickets = [_change(client, user, title=f"Routine request {n}") for n in range(3)]
    ids = [approval_of(client, manager, t["id"])["id"] for t in tickets]

    response = client.post(f"{EP}/approvals/bulk-action", headers=manager.headers,
                           json={**BULK_EXAMPLE, "approval_ids": ids})

    data = assert_success(response)
    assert data["succeeded"] == 3
    assert data["failed"] == 0
    assert [r["approval_id"] for r in data["results"]] == ids
    assert all(r["success"] for r in data["results"])
    for ticket in tickets:
        assert get_ticket(client, user, ticket["id"])["status"] == "open"
        decided = _workflow(client, manager, ticket["id"])["requests"][0]["approvals"][0]
        assert decided["comments"] == "Bulk approval for routine requests"
    assert pending_approvals(client, manager) == []


def test_bulk_approval_reports_each_approval_on_its_own(client: TestClient, user: Actor,
                                                        manager: Actor) -> None:
    first, second = (_change(client, user, title=f"Routine request {n}") for n in range(2))
    done = approval_of(client, manager, first["id"])["id"]
    waiting = approval_of(client, manager, second["id"])["id"]
    assert_success(_act(client, manager, done, action="approve"))

    data = assert_success(client.post(f"{EP}/approvals/bulk-action", headers=manager.headers,
                                      json={**BULK_EXAMPLE, "approval_ids": [done, waiting, 999_999_999]}))

    assert (data["succeeded"], data["failed"]) == (1, 2)
    by_id = {r["approval_id"]: r for r in data["results"]}
    assert by_id[waiting]["success"] is True
    assert by_id[done]["success"] is False
    assert by_id[done]["error"]["code"] == "BUSINESS_RULE_VIOLATION"
    assert by_id[999_999_999]["error"]["code"] == "RESOURCE_NOT_FOUND"
    assert get_ticket(client, user, second["id"])["status"] == "open"


@pytest.mark.parametrize("body", [
    {"approval_ids": [], "action": "approve"}, {"approval_ids": [1], "action": "accept"},
    {"approval_ids": "45,46", "action": "approve"}, {"action": "approve"},
])
def test_an_invalid_bulk_action(client: TestClient, manager: Actor, body: dict[str, Any]) -> None:
    assert_error(client.post(f"{EP}/approvals/bulk-action", headers=manager.headers, json=body),
                 400, "VALIDATION_ERROR")
