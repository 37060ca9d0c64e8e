"""enterprise-api.md, "Comments": add a comment (mentions, internal, attachments) and list a
ticket's comments; the "Comment Model"."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conformance.enterprise.conftest import ActorFactory
from tests.conformance.enterprise.support import (
    COMMENT_EXAMPLE,
    COMMENT_FIELDS,
    EP,
    Actor,
    assert_error,
    assert_page,
    assert_success,
    create_ticket,
    parse_utc,
)
from tests.conftest import BoundDatabase
from tests.domain.webhooks.receiver import drain
from ticketry.config import Settings
from ticketry.domain.users.models import Role


def _add(client: TestClient, actor: Actor, ticket_id: int, **body: Any) -> dict[str, Any]:
    data: dict[str, Any] = assert_success(client.post(f"{EP}/comments/ticket/{ticket_id}",
                                                      headers=actor.headers, json=body), 201)
    return data


def _list(client: TestClient, actor: Actor, ticket_id: int, **params: Any) -> dict[str, Any]:
    data: dict[str, Any] = assert_success(client.get(f"{EP}/comments/ticket/{ticket_id}",
                                                     headers=actor.headers, params=params))
    return data


def test_add_the_documents_example(client: TestClient, user: Actor, manager: Actor,
                                   make_actor: ActorFactory) -> None:
    """POST /comments/ticket/123 {"content", "is_internal": false, "mentions": ["@john.doe",
    "@admin"], "attachments": ["investigation_log.txt"]}: the Comment Model, with mentions as
    user ids and attachments as attachment ids."""
    john = make_actor(Role.END_USER, username="john.doe")
    admin = make_actor(Role.ADMIN, username="admin")
    ticket = create_ticket(client, user)
    upload = assert_success(client.post(
        f"{EP}/attachments/ticket/{ticket['id']}/upload", headers=manager.headers,
        files={"file": ("investigation_log.txt", b"root cause: full disk\n", "text/plain")}), 201)

    response = client.post(f"{EP}/comments/ticket/{ticket['id']}", headers=manager.headers,
                           json=COMMENT_EXAMPLE)

    comment = assert_success(response, 201)
    assert set(comment) >= COMMENT_FIELDS, COMMENT_FIELDS - set(comment)
    assert isinstance(comment["id"], int)
    assert comment["ticket_id"] == ticket["id"]
    assert comment["user_id"] == manager.id
    assert comment["content"] == "I've investigated this issue and found the root cause."
    assert comment["is_internal"] is False
    assert comment["mentions"] == [john.id, admin.id]
    assert comment["attachments"] == [upload["id"]]
    assert comment["edited"] is False
    parse_utc(comment["created_at"])
    parse_utc(comment["updated_at"])
    # The requester reads it, with its attachment.
    [listed] = _list(client, user, ticket["id"])["items"]
    assert listed == comment


def test_a_mention_in_the_text_counts_and_unknown_names_are_left_out(
        client: TestClient, user: Actor, manager: Actor, make_actor: ActorFactory) -> None:
    john = make_actor(Role.END_USER, username="john.doe")
    ticket = create_ticket(client, user)
    comment = _add(client, manager, ticket["id"], content="@john.doe please check",
                   mentions=["@nobody.here"])
    assert comment["mentions"] == [john.id]


def test_the_mentioned_are_notified(client: TestClient, user: Actor, manager: Actor,
                                   make_actor: ActorFactory, db: BoundDatabase,
                                   settings: Settings) -> None:
    """"Collaboration: Real-time comments, mentions, and notifications"."""
    admin = make_actor(Role.ADMIN, username="admin")
    ticket = create_ticket(client, user)
    _add(client, manager, ticket["id"], **{**COMMENT_EXAMPLE, "attachments": []})

    drain(db, settings)

    inbox = client.get("/api/v1/notifications", headers=admin.headers).json()["items"]
    assert [n["kind"] for n in inbox] == ["mentioned"]
    assert inbox[0]["ticket"]["key"] == ticket["ticket_number"]


def test_a_user_comments_on_their_own_ticket(client: TestClient, user: Actor) -> None:
    ticket = create_ticket(client, user)
    comment = _add(client, user, ticket["id"], content="It happened again at 10:00")
    assert (comment["user_id"], comment["is_internal"], comment["mentions"],
            comment["attachments"]) == (user.id, False, [], [])


def test_internal_comments_are_for_staff(client: TestClient, user: Actor, manager: Actor) -> None:
    """"is_internal": "boolean (default: false)"."""
    ticket = create_ticket(client, user)
    assert_error(client.post(f"{EP}/comments/ticket/{ticket['id']}", headers=user.headers,
                             json={"content": "Secret", "is_internal": True}), 403,
                 "PERMISSION_DENIED")
    assert _add(client, manager, ticket["id"], content="Check the RAID", is_internal=True)[
        "is_internal"] is True


def test_list_comments_with_the_documents_parameters(client: TestClient, user: Actor,
                                                     manager: Actor) -> None:
    """GET /comments/ticket/123?page=1&size=10&include_internal=false."""
    ticket = create_ticket(client, user)
    public = [_add(client, user if n % 2 else manager, ticket["id"], content=f"Reply {n}")
              for n in range(12)]
    internal = _add(client, manager, ticket["id"], content="Check the RAID", is_internal=True)

    data = _list(client, manager, ticket["id"], page=1, size=10, include_internal="false")
    first = assert_page(data, total=12, page=1, size=10)
    second = assert_page(_list(client, manager, ticket["id"], page=2, size=10,
                               include_internal="false"), total=12, page=2, size=10)
    assert [c["id"] for c in first + second] == [c["id"] for c in public]

    everything = _list(client, manager, ticket["id"], size=100, include_internal="true")
    assert [c["id"] for c in assert_page(everything, total=13, size=100)] == \
        [c["id"] for c in public] + [internal["id"]]
    # The requester never reads internal comments, whatever they ask for.
    theirs = _list(client, user, ticket["id"], size=100, include_internal="true")
    assert internal["id"] not in {c["id"] for c in assert_page(theirs, total=12, size=100)}


@pytest.mark.parametrize("body", [
    {}, {"content": ""}, {"content": "   "}, {"content": "Hi", "is_internal": "sometimes"},
    {"content": "Hi", "mentions": "@john.doe"}, {"content": "Hi", "attachments": ["nothing.txt"]},
])
def test_invalid_comments_are_validation_errors(client: TestClient, user: Actor, manager: Actor,
                                                body: dict[str, Any]) -> None:
    ticket = create_ticket(client, user)
    assert_error(client.post(f"{EP}/comments/ticket/{ticket['id']}", headers=manager.headers,
                             json=body), 400, "VALIDATION_ERROR")
    assert _list(client, manager, ticket["id"])["total"] == 0


@pytest.mark.parametrize("params", [{"page": 0}, {"size": 101}, {"include_internal": "maybe"}])
def test_invalid_list_parameters(client: TestClient, user: Actor, params: dict[str, Any]) -> None:
    ticket = create_ticket(client, user)
    assert_error(client.get(f"{EP}/comments/ticket/{ticket['id']}", headers=user.headers,
                            params=params), 400, "VALIDATION_ERROR")


def test_comments_on_someone_elses_ticket_are_not_found(client: TestClient, user: Actor,
                                                         other_user: Actor) -> None:
    ticket = create_ticket(client, other_user)
    assert_error(client.post(f"{EP}/comments/ticket/{ticket['id']}", headers=user.headers,
                             json={"content": "Me too"}), 404, "RESOURCE_NOT_FOUND")
    assert_error(client.get(f"{EP}/comments/ticket/{ticket['id']}", headers=user.headers), 404,
                 "RESOURCE_NOT_FOUND")
