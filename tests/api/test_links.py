"""`/api/v1/tickets/{id}/links`: link by id or key, list from either end, unlink; refusals as
problem details that leave every row as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.conftest import API, World, assert_problem, failing_fields
from tests.factories import make_ticket


def links(client: TestClient, world: World, actor: str, ticket: str) -> Any:
    response = client.get(f"{API}/tickets/{ticket}/links", headers=world.actor(actor).headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_link_made_by_key_is_listed_from_both_ends(client: TestClient, world: World,
                                                     session: Session) -> None:
    parent = make_ticket(session, world.admin.user, title="Outage of the payment service")
    session.commit()

    made = client.post(f"{API}/tickets/{world.ticket}/links", headers=world.engineer.headers,
                       json={"target_key": parent.key, "kind": "child_of"})

    assert made.status_code == 201, made.text
    body = made.json()
    assert body["kind"] == "child_of"
    assert body["ticket"]["id"] == str(parent.public_id)
    assert body["ticket"]["key"] == parent.key
    assert body["ticket"]["title"] == "Outage of the payment service"
    assert body["created_by"]["username"] == world.engineer.user.username
    assert links(client, world, "engineer", world.ticket) == [body]
    [from_parent] = links(client, world, "admin", str(parent.public_id))
    assert (from_parent["id"], from_parent["kind"], from_parent["ticket"]["id"]) == (
        body["id"], "parent_of", world.ticket)


def test_the_requester_sees_links_only_to_tickets_they_may_see(client: TestClient,
                                                               world: World) -> None:
    made = client.post(f"{API}/tickets/{world.ticket}/links", headers=world.admin.headers,
                       json={"target_id": world.others_ticket, "kind": "relates_to"})
    assert made.status_code == 201, made.text

    assert links(client, world, "requester", world.ticket) == []
    assert [link["ticket"]["id"] for link in links(client, world, "engineer", world.ticket)] \
        == [world.others_ticket]
    assert_problem(client.get(world.url("/tickets/{others_ticket}/links"),
                              headers=world.requester.headers), 404, "TICKET_NOT_FOUND")


def test_unlinking_from_the_other_end_removes_the_link(client: TestClient, world: World) -> None:
    made = client.post(f"{API}/tickets/{world.ticket}/links", headers=world.admin.headers,
                       json={"target_id": world.others_ticket, "kind": "duplicates"}).json()

    gone = client.delete(world.url("/tickets/{others_ticket}/links/") + str(made["id"]),
                         headers=world.admin.headers)

    assert gone.status_code == 204, gone.text
    assert links(client, world, "admin", world.ticket) == []
    assert_problem(client.delete(world.url("/tickets/{ticket}/links/") + str(made["id"]),
                                 headers=world.admin.headers), 404, "TICKET_LINK_NOT_FOUND")


def test_history_tells_of_the_link_on_both_tickets(client: TestClient, world: World,
                                                   session: Session) -> None:
    parent = make_ticket(session, world.admin.user)
    session.commit()
    client.post(f"{API}/tickets/{parent.public_id}/links", headers=world.admin.headers,
                json={"target_id": world.ticket, "kind": "parent_of"})

    def last(ticket: str) -> dict[str, Any]:
        entries = client.get(f"{API}/tickets/{ticket}/history", headers=world.admin.headers)
        assert entries.status_code == 200, entries.text
        entry: dict[str, Any] = entries.json()[-1]
        return entry

    ticket_key = client.get(f"{API}/tickets/{world.ticket}", headers=world.admin.headers
                            ).json()["key"]
    assert (last(str(parent.public_id))["change_type"], last(str(parent.public_id))["message"]
            ) == ("LINK_ADDED", f"{ticket_key} became a child of this ticket")
    assert last(world.ticket)["message"] == f"This ticket became a child of {parent.key}"


def test_refusals_name_the_problem_and_change_nothing(
        client: TestClient, world: World, unchanged: Callable[[], Any]) -> None:
    url = f"{API}/tickets/{world.ticket}/links"
    client.post(url, headers=world.admin.headers,
                json={"target_id": world.others_ticket, "kind": "relates_to"})

    with unchanged():
        cases: list[tuple[str, dict[str, Any], int, str]] = [
            ("admin", {"target_id": world.others_ticket, "kind": "relates_to"}, 409,
             "TICKET_LINK_EXISTS"),
            ("admin", {"target_id": world.ticket, "kind": "parent_of"}, 422,
             "INVALID_TICKET_LINK"),
            ("admin", {"target_key": "NOPE-1", "kind": "relates_to"}, 422, "TICKET_NOT_FOUND"),
            ("admin", {"target_id": world.others_ticket, "kind": "blocks"}, 422,
             "VALIDATION_ERROR"),
            ("admin", {"kind": "relates_to"}, 422, "VALIDATION_ERROR"),
            ("admin", {"target_id": world.others_ticket, "target_key": "OPS-1",
                       "kind": "relates_to"}, 422, "VALIDATION_ERROR"),
            ("other_engineer", {"target_id": world.others_ticket, "kind": "duplicates"}, 403,
             "PERMISSION_DENIED"),
            ("requester", {"target_id": world.others_ticket, "kind": "duplicates"}, 403,
             "PERMISSION_DENIED"),
        ]
        for actor, body, status, code in cases:
            answer = assert_problem(client.post(url, headers=world.actor(actor).headers,
                                                json=body), status, code)
            if code == "TICKET_NOT_FOUND":
                assert failing_fields(answer) == {"target_key"}
        assert_problem(client.post(world.url("/tickets/{unknown}/links"),
                                   headers=world.admin.headers,
                                   json={"target_id": world.ticket, "kind": "relates_to"}),
                       404, "TICKET_NOT_FOUND")
        for link_id in ("0", "abc", str(2**40)):
            assert_problem(client.delete(f"{url}/{link_id}", headers=world.admin.headers), 422)
        assert_problem(client.delete(f"{url}/999999", headers=world.admin.headers), 404,
                       "TICKET_LINK_NOT_FOUND")
        assert_problem(client.get(url), 401)


def test_a_second_parent_is_a_rule_violation(client: TestClient, world: World,
                                            session: Session) -> None:
    other_parent = make_ticket(session, world.admin.user)
    session.commit()
    client.post(f"{API}/tickets/{world.ticket}/links", headers=world.admin.headers,
                json={"target_id": world.others_ticket, "kind": "child_of"})

    refused = client.post(f"{API}/tickets/{world.ticket}/links", headers=world.admin.headers,
                          json={"target_key": other_parent.key, "kind": "child_of"})

    body = assert_problem(refused, 422, "TICKET_LINK_NOT_ALLOWED")
    assert "already has a parent" in body["detail"]
