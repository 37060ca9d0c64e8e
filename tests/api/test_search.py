"""POST /api/v1/tickets/search and the list's `search`: ranked full-text search, filters and
sort keys, within what the caller may see."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import API, Actor, World, assert_problem


def search(client: TestClient, actor: Actor, **body: Any) -> dict[str, Any]:
    response = client.post(f"{API}/tickets/search", headers=actor.headers, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def titles(page: dict[str, Any]) -> list[str]:
    return [t["title"] for t in page["items"]]


def new_ticket(client: TestClient, actor: Actor, title: str, description: str = "Details.",
               **fields: Any) -> str:
    response = client.post(f"{API}/tickets", headers=actor.headers,
                           json={"title": title, "description": description, **fields})
    assert response.status_code == 201, response.text
    ticket_id: str = response.json()["id"]
    return ticket_id


def new_comment(client: TestClient, actor: Actor, ticket_id: str, content: str,
                internal: bool = False) -> None:
    response = client.post(f"{API}/tickets/{ticket_id}/comments", headers=actor.headers,
                           json={"content": content, "is_internal": internal})
    assert response.status_code == 201, response.text


def test_a_word_from_a_comment_finds_its_ticket_ranked_below_title_matches(
        client: TestClient, world: World) -> None:
    new_ticket(client, world.requester, "Pipeline flaky", "Random failures.")
    new_comment(client, world.engineer, world.ticket, "The pipeline runner ran out of inodes.")

    page = search(client, world.engineer, query="pipeline")

    assert titles(page) == ["Pipeline flaky", "Disk full on build agent"]
    assert (page["total"], page["page"], page["size"], page["pages"]) == (2, 1, 20, 1)
    assert page["items"][1]["id"] == world.ticket


def test_internal_comments_are_searchable_by_agents_only(client: TestClient, world: World) -> None:
    new_comment(client, world.engineer, world.ticket, "Vendor case 77 wobbegong.", internal=True)

    assert titles(search(client, world.engineer, query="wobbegong")) == ["Disk full on build agent"]
    assert search(client, world.requester, query="wobbegong")["total"] == 0
    listed = client.get(f"{API}/tickets", params={"search": "wobbegong"},
                        headers=world.requester.headers).json()
    assert listed["total"] == 0


def test_end_users_only_find_their_own_tickets(client: TestClient, world: World) -> None:
    assert search(client, world.requester, query="stranger")["total"] == 0
    assert titles(search(client, world.stranger, query="stranger")) == ["Stranger's ticket"]
    assert search(client, world.engineer, query="stranger")["total"] == 1


def test_filters_and_sort_keys_in_the_body(client: TestClient, world: World) -> None:
    new_ticket(client, world.admin, "Backup failed nightly", priority="P3", tags=["backup"])
    new_ticket(client, world.admin, "Backup failed weekly", priority="P1", tags=["backup"])
    new_ticket(client, world.admin, "Backup failed monthly", priority="P1")

    page = search(client, world.admin, query="backup failed",
                  filters={"tags": ["backup"], "priority": ["P1", "P3"]},
                  sort=[{"field": "priority", "order": "asc"}, {"field": "created_at", "order": "desc"}])
    assert titles(page) == ["Backup failed weekly", "Backup failed nightly"]

    by_title = search(client, world.admin, query="backup", sort=[{"field": "title", "order": "asc"}],
                      size=2, page=2)
    assert titles(by_title) == ["Backup failed weekly"]
    assert (by_title["total"], by_title["pages"]) == (3, 2)


def test_the_lists_search_parameter_uses_the_full_text_index(client: TestClient,
                                                             world: World) -> None:
    new_comment(client, world.engineer, world.ticket, "Rotated the logs with logrotate.")

    listed = client.get(f"{API}/tickets", params={"search": "logrotate"},
                        headers=world.requester.headers)

    assert listed.status_code == 200, listed.text
    assert [t["id"] for t in listed.json()["items"]] == [world.ticket]


@pytest.mark.parametrize("body", [
    {"query": "disk", "size": 101},
    {"query": "disk", "page": 0},
    {"query": "disk", "unknown": 1},
    {"query": "disk", "filters": {"colour": "red"}},
    {"query": "disk", "sort": [{"field": "colour", "order": "asc"}]},
    {"query": "disk", "sort": [{"field": "title", "order": "sideways"}]},
    {"query": "disk\u0000"},
    {"query": "x" * 501},
])
def test_malformed_searches_are_refused_naming_the_problem(client: TestClient, world: World,
                                                           body: dict[str, Any]) -> None:
    response = client.post(f"{API}/tickets/search", headers=world.engineer.headers, json=body)

    assert_problem(response, 422, "VALIDATION_ERROR")


def test_relevance_needs_a_query(client: TestClient, world: World) -> None:
    response = client.post(f"{API}/tickets/search", headers=world.engineer.headers,
                           json={"sort": [{"field": "relevance", "order": "desc"}]})

    body = assert_problem(response, 422, "VALIDATION_ERROR")
    assert "relevance" in body["detail"]


@pytest.mark.parametrize("query", ['"unbalanced', "NEAR(disk full)", "disk:*A & !full",
                                   "{title}: disk", "***", "-disk", "'; DROP TABLE tickets; --"])
def test_query_syntax_characters_are_plain_text(client: TestClient, world: World,
                                                query: str) -> None:
    search(client, world.requester, query=query)
    listed = client.get(f"{API}/tickets", params={"search": query}, headers=world.requester.headers)
    assert listed.status_code == 200, listed.text


def test_without_a_query_the_newest_come_first(client: TestClient, world: World) -> None:
    newest = new_ticket(client, world.requester, "Newest")

    page = search(client, world.requester)

    assert [t["id"] for t in page["items"]] == [newest, world.ticket]
