"""devops-service.md, "Ticket Status Workflow" and "Valid Status Transitions", via
PATCH /api/v1/tickets/{id}/status (as an administrator, so only the workflow decides)."""

from __future__ import annotations

import pytest

from tests.conformance.devops.support import (
    STATUSES,
    VALID_TRANSITIONS,
    Actor,
    assert_problem,
    change_status,
    create_ticket,
    ticket_in,
    ticket_url,
)

ALLOWED = [(source, target) for source, targets in VALID_TRANSITIONS.items() for target in targets]
# Everything the list does not name, staying in the same status included.
DISALLOWED = [(source, target) for source in STATUSES for target in STATUSES
              if target not in VALID_TRANSITIONS[source]]


def _name(pair: tuple[str, str]) -> str:
    return f"{pair[0]}->{pair[1]}"


def test_a_new_ticket_starts_in_status_new(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    assert create_ticket(client, admin)["status"] == "NEW"


def test_the_table_covers_every_status_of_the_workflow() -> None:
    assert set(STATUSES) == {"NEW", "OPEN", "IN_PROGRESS", "PENDING_INFO", "RESOLVED", "CLOSED",
                             "REOPENED", "ESCALATED"}
    assert len(ALLOWED) == 23
    assert len(DISALLOWED) == 8 * 8 - 23


@pytest.mark.parametrize("transition", ALLOWED, ids=_name)
def test_allowed_transition_succeeds(client, admin: Actor, transition: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    source, target = transition
    ticket = ticket_in(client, admin, source)
    assert ticket["status"] == source
    response = change_status(client, admin, ticket["id"], target)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == target
    assert client.get(ticket_url(ticket["id"]), headers=admin.headers).json()["status"] == target


@pytest.mark.parametrize("transition", DISALLOWED, ids=_name)
def test_disallowed_transition_is_422_naming_the_allowed_next_statuses(  # type: ignore[no-untyped-def]
        client, admin: Actor, transition: tuple[str, str]) -> None:
    source, target = transition
    ticket = ticket_in(client, admin, source)
    response = change_status(client, admin, ticket["id"], target)
    body = assert_problem(response, 422)
    assert sorted(body["allowed"]) == sorted(VALID_TRANSITIONS[source])
    for allowed in VALID_TRANSITIONS[source]:
        assert allowed in body["detail"]
    # Nothing changed.
    assert client.get(ticket_url(ticket["id"]), headers=admin.headers).json()["status"] == source


def test_an_unknown_status_is_refused(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, admin)
    assert_problem(change_status(client, admin, ticket["id"], "DONE"), 422)


@pytest.mark.parametrize("source", ["OPEN", "IN_PROGRESS", "REOPENED", "ESCALATED"])
def test_resolving_through_the_status_endpoint_requires_resolution_notes(  # type: ignore[no-untyped-def]
        client, admin: Actor, source: str) -> None:
    ticket = ticket_in(client, admin, source)
    response = client.patch(ticket_url(ticket["id"], "/status"), headers=admin.headers,
                            json={"status": "RESOLVED"})
    body = assert_problem(response, 422)
    assert "resolution_notes" in body["detail"]
    blank = client.patch(ticket_url(ticket["id"], "/status"), headers=admin.headers,
                         json={"status": "RESOLVED", "resolution_notes": "   "})
    assert_problem(blank, 422)
    assert client.get(ticket_url(ticket["id"]), headers=admin.headers).json()["status"] == source


def test_resolving_through_the_status_endpoint_records_the_resolution(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = ticket_in(client, admin, "IN_PROGRESS")
    response = change_status(client, admin, ticket["id"], "RESOLVED",
                             resolution_notes="Rolled back release 42.")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resolution_notes"] == "Rolled back release 42."
    assert body["resolved_at"] is not None


def test_the_documented_workflow_end_to_end(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    """NEW -> OPEN -> IN_PROGRESS <-> PENDING_INFO -> RESOLVED -> CLOSED -> REOPENED -> OPEN."""
    ticket = create_ticket(client, admin)
    for status in ("OPEN", "IN_PROGRESS", "PENDING_INFO", "IN_PROGRESS", "RESOLVED", "CLOSED",
                   "REOPENED", "OPEN"):
        response = change_status(client, admin, ticket["id"], status)
        assert response.status_code == 200, (status, response.text)
        assert response.json()["status"] == status


def test_resolve_action_refuses_a_ticket_whose_status_cannot_reach_resolved(  # type: ignore[no-untyped-def]
        client, admin: Actor) -> None:
    ticket = create_ticket(client, admin)  # NEW -> RESOLVED is not a valid transition
    response = client.post(ticket_url(ticket["id"], "/resolve"), headers=admin.headers,
                           json={"resolution_notes": "done"})
    body = assert_problem(response, 422)
    assert sorted(body["allowed"]) == sorted(VALID_TRANSITIONS["NEW"])


def test_close_action_refuses_a_ticket_whose_status_cannot_reach_closed(  # type: ignore[no-untyped-def]
        client, admin: Actor) -> None:
    ticket = ticket_in(client, admin, "IN_PROGRESS")  # IN_PROGRESS -> CLOSED is not valid
    body = assert_problem(client.post(ticket_url(ticket["id"], "/close"), headers=admin.headers),
                          422)
    assert sorted(body["allowed"]) == sorted(VALID_TRANSITIONS["IN_PROGRESS"])
