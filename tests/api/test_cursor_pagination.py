"""Cursor pagination of GET /api/v1/tickets (keyset: stable while tickets are added) and the
incremental export for clients that sync (GET /api/v1/tickets/export/incremental)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.factories import login, make_ticket, make_user
from ticketry.db import utcnow
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketCreate
from ticketry.domain.tickets.service import create_ticket, delete_ticket
from ticketry.domain.users.models import Role, User

API = "/api/v1"


def listing(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/tickets", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def walk(client: TestClient, headers: dict[str, str], **params: Any) -> list[list[str]]:
    """Every page, following next_cursor from the first asked for; ticket ids per page."""
    body = listing(client, headers, **params)
    pages = [[t["id"] for t in body["items"]]]
    while body["next_cursor"] is not None:
        body = listing(client, headers, **{**params, "cursor": body["next_cursor"]})
        assert body["page"] is None
        pages.append([t["id"] for t in body["items"]])
    return pages


@pytest.fixture
def agent(session: Session) -> User:
    return make_user(session, Role.MANAGER)


@pytest.mark.parametrize(("sort_by", "order"), [
    ("created_at", "desc"), ("created_at", "asc"), ("priority", "asc"), ("priority", "desc"),
    ("title", "asc"), ("category", "desc"), ("category", "asc"), ("status", "desc"),
])
def test_following_the_cursor_visits_every_ticket_once_in_order(
        client: TestClient, session: Session, agent: User, sort_by: str, order: str) -> None:
    for n, priority in enumerate(["P2", "P1", "P2", "P3", "P2", "P1", "P4"]):
        make_ticket(session, agent, title=f"Ticket {n % 3}", priority=priority,
                    category="INCIDENT" if n % 2 else "PROBLEM")
    # Some without a category: NULLs sort last either way.
    session.execute(update(Ticket).where(Ticket.title == "Ticket 0").values(category=None))
    session.commit()
    headers = login(client, agent)

    everything = [t["id"] for t in listing(client, headers, sort_by=sort_by, order=order,
                                           size=100)["items"]]
    pages = walk(client, headers, sort_by=sort_by, order=order, size=2)

    assert [ticket for page in pages for ticket in page] == everything
    assert [len(page) for page in pages] == [2, 2, 2, 1]


def test_tickets_created_between_pages_neither_repeat_nor_skip_rows(
        client: TestClient, session: Session, agent: User) -> None:
    before = [make_ticket(session, agent, title=f"Old {n}").public_id for n in range(5)]
    session.commit()
    headers = login(client, agent)

    first = listing(client, headers, size=2)
    newer = make_ticket(session, agent, title="Created meanwhile")
    session.commit()
    rest = walk(client, headers, size=2, cursor=first["next_cursor"])
    seen = [t["id"] for t in first["items"]] + [ticket for page in rest for ticket in page]

    assert seen == [str(ticket) for ticket in reversed(before)]
    assert str(newer.public_id) not in seen
    # Paging by number would have shown the second page's first ticket twice.
    by_number = listing(client, headers, size=2, page=2)
    assert by_number["items"][0]["id"] == first["items"][1]["id"]


def test_tickets_created_ahead_of_the_cursor_show_up_once(
        client: TestClient, session: Session, agent: User) -> None:
    for n in range(3):
        make_ticket(session, agent, title=f"Old {n}")
    session.commit()
    headers = login(client, agent)

    first = listing(client, headers, size=2, sort_by="created_at", order="asc")
    newer = make_ticket(session, agent, title="Created meanwhile")
    session.commit()
    rest = walk(client, headers, size=2, sort_by="created_at", order="asc",
                cursor=first["next_cursor"])

    assert [ticket for page in rest for ticket in page][-1] == str(newer.public_id)
    assert sum(page.count(str(newer.public_id)) for page in rest) == 1


def test_numbered_pages_still_work_and_point_to_the_next_page(
        client: TestClient, session: Session, agent: User) -> None:
    for n in range(3):
        make_ticket(session, agent, title=f"Ticket {n}")
    session.commit()
    headers = login(client, agent)

    second = listing(client, headers, size=2, page=2)
    first = listing(client, headers, size=2, page=1)
    after_first = listing(client, headers, size=2, cursor=first["next_cursor"])

    assert (first["page"], first["total"], first["pages"]) == (1, 3, 2)
    assert second["next_cursor"] is None
    assert [t["id"] for t in after_first["items"]] == [t["id"] for t in second["items"]]
    assert (after_first["total"], after_first["next_cursor"]) == (3, None)


def _forged(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


@pytest.mark.parametrize(("cursor", "params"), [
    ("not-a-cursor", {}),
    ("%%%", {}),
    (_forged({"k": "list", "s": "created_at", "o": "desc", "v": "2024-01-01T00:00:00+00:00",
              "i": 1}), {"sort_by": "title"}),
    (_forged({"k": "list", "s": "created_at", "o": "desc", "v": 12, "i": 1}), {}),
    (_forged({"k": "list", "s": "created_at", "o": "desc", "v": "yesterday", "i": 1}), {}),
    (_forged({"k": "list", "s": "created_at", "o": "desc", "v": "2024-01-01T00:00:00", "i": 1}), {}),
    (_forged({"k": "list", "s": "priority", "o": "asc", "v": "P1", "i": 1}),
     {"sort_by": "priority", "order": "asc"}),
    (_forged({"k": "list", "s": "created_at", "o": "desc", "v": None, "i": "1"}), {}),
    (_forged({"k": "changes", "u": None, "i": 0}), {}),
    (_forged(["list"]), {}),
    ("x" * 1001, {}),
])
def test_a_cursor_this_listing_did_not_issue_is_refused(
        client: TestClient, session: Session, agent: User, cursor: str,
        params: dict[str, Any]) -> None:
    session.commit()

    response = client.get(f"{API}/tickets", headers=login(client, agent),
                          params={"cursor": cursor, **params})

    assert response.status_code == 422, response.text
    assert response.json()["error_code"] in ("INVALID_CURSOR", "VALIDATION_ERROR")


# --------------------------------------------------------------------------- incremental export


def changes(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/tickets/export/incremental", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def old_ticket(session: Session, actor: User, title: str, minutes_ago: int) -> Ticket:
    return create_ticket(session, actor=actor, now=utcnow() - timedelta(minutes=minutes_ago),
                         data=TicketCreate(title=title, description="Created a while ago."))


def test_the_export_walks_every_change_in_order_and_then_waits_for_more(
        client: TestClient, session: Session, agent: User) -> None:
    for n in range(5):
        old_ticket(session, agent, f"Ticket {n}", minutes_ago=50 - n)
    session.commit()
    headers = login(client, agent)

    seen: list[str] = []
    body = changes(client, headers, size=2)
    seen += [t["title"] for t in body["items"]]
    while not body["end_of_stream"]:
        body = changes(client, headers, size=2, cursor=body["next_cursor"])
        seen += [t["title"] for t in body["items"]]
    again = changes(client, headers, size=2, cursor=body["next_cursor"])

    assert seen == [f"Ticket {n}" for n in range(5)]
    assert (again["items"], again["deleted"], again["end_of_stream"]) == ([], [], True)
    assert again["next_cursor"] == body["next_cursor"]


def test_the_export_holds_back_changes_of_the_last_seconds(
        client: TestClient, session: Session, agent: User) -> None:
    old_ticket(session, agent, "Settled", minutes_ago=5)
    make_ticket(session, agent, title="Just now")
    session.commit()

    body = changes(client, login(client, agent))

    assert [t["title"] for t in body["items"]] == ["Settled"]


def test_changed_and_deleted_tickets_come_again_after_the_cursor(
        client: TestClient, session: Session, agent: User) -> None:
    admin = make_user(session, Role.ADMIN)
    edited = old_ticket(session, agent, "Edited later", minutes_ago=30)
    deleted = old_ticket(session, agent, "Deleted later", minutes_ago=29)
    session.commit()
    headers = login(client, agent)
    cursor = changes(client, headers)["next_cursor"]

    ten_minutes_ago = utcnow() - timedelta(minutes=10)
    delete_ticket(session, actor=admin, ticket_id=deleted.public_id)
    session.execute(update(Ticket).where(Ticket.id.in_([edited.id, deleted.id]))
                    .values(updated_at=ten_minutes_ago))
    session.execute(update(Ticket).where(Ticket.id == edited.id).values(title="Edited title"))
    session.commit()
    body = changes(client, headers, cursor=cursor)

    assert [t["title"] for t in body["items"]] == ["Edited title"]
    assert [(d["id"], d["key"]) for d in body["deleted"]] == [(str(deleted.public_id),
                                                              deleted.key)]


def test_end_users_export_only_their_own_tickets(
        client: TestClient, session: Session, agent: User) -> None:
    requester, stranger = make_user(session, Role.END_USER), make_user(session, Role.END_USER)
    old_ticket(session, requester, "Mine", minutes_ago=5)
    old_ticket(session, stranger, "Theirs", minutes_ago=5)
    session.commit()

    body = changes(client, login(client, requester))

    assert [t["title"] for t in body["items"]] == ["Mine"]


def test_a_list_cursor_is_not_an_export_cursor(client: TestClient, session: Session,
                                               agent: User) -> None:
    for n in range(3):
        make_ticket(session, agent, title=f"Ticket {n}")
    session.commit()
    headers = login(client, agent)
    list_cursor = listing(client, headers, size=1)["next_cursor"]

    response = client.get(f"{API}/tickets/export/incremental", headers=headers,
                          params={"cursor": list_cursor})

    assert response.status_code == 422
    assert response.json()["error_code"] == "INVALID_CURSOR"
