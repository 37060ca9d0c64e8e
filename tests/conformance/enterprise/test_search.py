"""enterprise-api.md, "Search": POST /tickets/search with a full-text query (title,
description and comments), filters and a multi-field sort; and the list's `search` parameter,
"Full-text search query", answered by the same engine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conformance.enterprise.support import (
    EP,
    SEARCH_EXAMPLE,
    Actor,
    assert_error,
    assert_page,
    assert_success,
    assert_ticket_shape,
    create_ticket,
    listed_ids,
    update_ticket,
)
from tests.factories import make_team
from ticketry.domain.tickets.models import Ticket

TAGS = ["performance", "server"]


def _search(client: TestClient, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = assert_success(client.post(f"{EP}/tickets/search",
                                                      headers=actor.headers, json=body))
    return data


def _comment(client: TestClient, actor: Actor, ticket_id: int, content: str,
             internal: bool = False) -> None:
    assert_success(client.post(f"{EP}/comments/ticket/{ticket_id}", headers=actor.headers,
                               json={"content": content, "is_internal": internal}), 201)


@pytest.fixture
def tickets(client: TestClient, session: Session, user: Actor, manager: Actor,
            admin: Actor) -> dict[str, int]:
    team = make_team(session, admin.user, key="facilities")
    team.code = 2
    session.commit()
    made = {
        "title": create_ticket(client, user, title="Server performance degraded",
                               description="Pages take ten seconds", priority="high", tags=TAGS),
        "critical": create_ticket(client, user, title="Database server performance",
                                  description="Replication lag", priority="critical", tags=TAGS,
                                  department_id=2),
        "comment": create_ticket(client, user, title="Slow checkout",
                                 description="Customers wait at the till", priority="high",
                                 tags=TAGS),
        "low": create_ticket(client, user, title="Server performance graphs", priority="low",
                             tags=TAGS),
        "resolved": create_ticket(client, user, title="Server performance after patch",
                                  priority="high", tags=TAGS),
        "october": create_ticket(client, user, title="Server performance in October",
                                 priority="high", tags=TAGS),
        "untagged": create_ticket(client, user, title="Server performance, no tags",
                                  priority="high"),
        "unrelated": create_ticket(client, user, title="Printer jam", description="Floor 2",
                                   priority="high", tags=TAGS),
    }
    ids = {name: t["id"] for name, t in made.items()}
    _comment(client, manager, ids["comment"], "The server performance drops at noon")
    update_ticket(client, manager, ids["critical"], status="in_progress")
    update_ticket(client, manager, ids["resolved"], status="resolved")
    row = session.get(Ticket, ids["october"])
    assert row is not None
    row.created_at = datetime(2023, 10, 20, tzinfo=UTC)
    session.commit()
    return ids


def test_advanced_search_with_the_documents_example(client: TestClient, manager: Actor,
                                                    tickets: dict[str, int]) -> None:
    """The example body as written: "server performance" in open or in-progress, high or
    critical tickets created since November, of departments 1 or 2, tagged performance and
    server; the most urgent first, then the newest."""
    data = _search(client, manager, SEARCH_EXAMPLE)

    items = assert_page(data, total=3, page=1, size=20)
    for item in items:
        assert_ticket_shape(item)
    assert [t["id"] for t in items] == [tickets["critical"], tickets["comment"], tickets["title"]]


def test_search_reads_titles_descriptions_and_comments(client: TestClient, manager: Actor,
                                                       tickets: dict[str, int]) -> None:
    def found(query: str) -> set[int]:
        return {t["id"] for t in _search(client, manager, {"query": query, "size": 100})["items"]}

    assert found("replication") == {tickets["critical"]}
    assert found("till") == {tickets["comment"]}
    assert found("noon") == {tickets["comment"]}
    assert found("printer") == {tickets["unrelated"]}
    assert found("nothing-like-this") == set()


def test_without_a_sort_the_best_match_comes_first(client: TestClient, user: Actor,
                                                  manager: Actor) -> None:
    """Full-text search "with ranking": a ticket about the words outranks one that mentions
    them once in a comment, whatever their age."""
    about = create_ticket(client, user, title="Printer offline",
                          description="The printer on floor 2 is offline; printer queue stuck")["id"]
    passing = create_ticket(client, user, title="New starter", description="Laptop and badge")["id"]
    _comment(client, manager, passing, "The printer is offline too, by the way")
    items = _search(client, manager, {"query": "printer offline"})["items"]
    assert [t["id"] for t in items] == [about, passing]


def test_the_list_search_uses_the_same_engine(client: TestClient, manager: Actor,
                                              tickets: dict[str, int]) -> None:
    """GET /tickets?search=...: "Full-text search query" (comments included)."""
    assert listed_ids(client, manager, search="noon") == {tickets["comment"]}
    assert listed_ids(client, manager, search="server performance", status="open",
                      priority="high", created_after="2023-11-01") == \
        {tickets["title"], tickets["comment"], tickets["untagged"]}


def test_internal_comments_are_searched_for_staff_only(client: TestClient, user: Actor,
                                                       manager: Actor) -> None:
    ticket = create_ticket(client, user, title="Laptop will not boot")["id"]
    _comment(client, manager, ticket, "Motherboard capacitor swollen", internal=True)
    assert {t["id"] for t in _search(client, manager, {"query": "capacitor"})["items"]} == {ticket}
    assert _search(client, user, {"query": "capacitor"})["items"] == []


def test_a_user_finds_only_their_own_tickets(client: TestClient, user: Actor, other_user: Actor) -> None:
    mine = create_ticket(client, user, title="Server performance at home")["id"]
    create_ticket(client, other_user, title="Server performance at work")
    assert {t["id"] for t in _search(client, user, {"query": "server performance"})["items"]} == {mine}


def test_sort_and_pages(client: TestClient, manager: Actor, tickets: dict[str, int]) -> None:
    body = {"filters": {"tags": TAGS}, "sort": [{"field": "created_at", "order": "asc"}],
            "page": 2, "size": 2}
    data = _search(client, manager, body)
    # Tagged: every ticket but "untagged", oldest first ("october" was created in October).
    page = assert_page(data, total=7, page=2, size=2)
    assert [t["id"] for t in page] == [tickets["critical"], tickets["comment"]]


@pytest.mark.parametrize("body", [
    {"query": "server", "size": 101}, {"query": "server", "page": 0},
    {"sort": [{"field": "colour", "order": "asc"}]},
    {"sort": [{"field": "priority", "order": "upwards"}]},
    {"filters": {"status": ["waiting"]}}, {"filters": {"priority": ["urgent"]}},
    {"filters": {"created_after": "last week"}}, {"filters": {"departments": ["IT"]}},
    {"filters": {"colour": "blue"}}, {"query": 5},
])
def test_invalid_searches_are_validation_errors(client: TestClient, manager: Actor,
                                                body: dict[str, Any]) -> None:
    assert_error(client.post(f"{EP}/tickets/search", headers=manager.headers, json=body), 400,
                 "VALIDATION_ERROR")
