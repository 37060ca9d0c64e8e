"""healthcare-api.md, "Get Tickets": skip/limit, every filter, every sort, {tickets,total,page,size}."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.conformance.healthcare.support import (
    CREATE_RESPONSE_FIELDS,
    HC,
    Actor,
    assert_error,
    create_ticket,
    get_ticket,
    list_tickets,
)
from ticketry.domain.tickets.models import Ticket


def _backdate(session: Session, ticket_id: str, days: int) -> str:
    """Move a ticket's creation back by `days`; return its new creation date (YYYY-MM-DD)."""
    moment = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=days)
    session.execute(update(Ticket).where(Ticket.key == ticket_id).values(created_at=moment))
    session.commit()
    return moment.date().isoformat()


def _ids(body: dict[str, Any]) -> list[str]:
    return [t["id"] for t in body["tickets"]]


def test_the_documents_example_request(client: TestClient, admin: Actor) -> None:
    made = [create_ticket(client, admin, title=f"T{n}") for n in range(3)]
    create_ticket(client, admin, title="Reviewed", status_id=2)
    body = list_tickets(client, admin, skip=0, limit=20, status_id=1, sort_by="creation_date",
                        sort_order="desc")
    assert body["total"] == 3
    assert body["page"] == 1
    assert body["size"] == 20
    assert sorted(_ids(body)) == sorted(t["id"] for t in made)
    for ticket in body["tickets"]:
        assert set(ticket) >= CREATE_RESPONSE_FIELDS
        assert ticket["status_id"] == 1
        assert ticket == get_ticket(client, admin, ticket["id"])


def test_the_default_page_is_ten(client: TestClient, end_user: Actor) -> None:
    for n in range(12):
        create_ticket(client, end_user, title=f"Ticket {n:02d}")
    body = list_tickets(client, end_user)
    assert len(body["tickets"]) == 10
    assert body["total"] == 12
    assert body["page"] == 1
    assert body["size"] == 10


def test_skip_and_limit_walk_the_pages(client: TestClient, end_user: Actor) -> None:
    made = [create_ticket(client, end_user, title=f"Ticket {n:02d}")["id"] for n in range(7)]
    seen: list[str] = []
    for skip, page in ((0, 1), (3, 2), (6, 3)):
        body = list_tickets(client, end_user, skip=skip, limit=3, sort_by="title", sort_order="asc")
        assert body["total"] == 7
        assert body["page"] == page
        assert body["size"] == 3
        seen.extend(_ids(body))
    assert seen == made
    beyond = list_tickets(client, end_user, skip=50, limit=3)
    assert beyond["tickets"] == []
    assert beyond["total"] == 7


def test_the_limit_is_at_most_100(client: TestClient, end_user: Actor) -> None:
    assert list_tickets(client, end_user, limit=100)["size"] == 100
    response = client.get(f"{HC}/tickets/", headers=end_user.headers, params={"limit": 101})
    if response.status_code == 200:
        assert response.json()["size"] == 100
    else:
        assert_error(response, 400)


@pytest.mark.parametrize("params", [
    {"skip": -1}, {"limit": 0}, {"limit": "ten"}, {"status_id": "one"}, {"crit_id": "x"},
    {"date_from": "15/01/2025"}, {"date_to": "yesterday"}, {"sort_by": "colour"},
    {"sort_order": "sideways"},
])
def test_invalid_query_parameters_are_400(client: TestClient, end_user: Actor,
                                          params: dict[str, Any]) -> None:
    assert_error(client.get(f"{HC}/tickets/", headers=end_user.headers, params=params), 400)


@pytest.mark.parametrize(("param", "value", "fields"), [
    ("status_id", 2, {"status_id": 2}),
    ("type", "suggestion", {"type": "suggestion"}),
    ("crit_id", 4, {"crit_id": 4}),
    ("tool_id", 7, {"tool_id": 7}),
    ("center_id", 273, {"center_id": 273}),
    ("center_id", 2, {"center_id": 273}),
])
def test_each_filter(client: TestClient, end_user: Actor, param: str, value: Any,
                     fields: dict[str, Any]) -> None:
    wanted = create_ticket(client, end_user, title="Wanted", **fields)
    create_ticket(client, end_user, title="Other")
    body = list_tickets(client, end_user, **{param: value})
    assert _ids(body) == [wanted["id"]]
    assert body["total"] == 1


def test_filters_combine(client: TestClient, end_user: Actor) -> None:
    both = create_ticket(client, end_user, crit_id=4, tool_id=2)
    create_ticket(client, end_user, crit_id=4, tool_id=1)
    create_ticket(client, end_user, crit_id=1, tool_id=2)
    assert _ids(list_tickets(client, end_user, crit_id=4, tool_id=2)) == [both["id"]]


def test_date_from_and_date_to_are_inclusive_creation_dates(client: TestClient, end_user: Actor,
                                                            session: Session) -> None:
    old = create_ticket(client, end_user, title="Old")
    middle = create_ticket(client, end_user, title="Middle")
    new = create_ticket(client, end_user, title="New")
    old_day = _backdate(session, old["id"], 10)
    middle_day = _backdate(session, middle["id"], 5)
    new_day = _backdate(session, new["id"], 1)

    def titles(**params: Any) -> list[str]:
        return sorted(t["title"] for t in list_tickets(client, end_user, **params)["tickets"])

    assert titles(date_from=middle_day) == ["Middle", "New"]
    assert titles(date_to=middle_day) == ["Middle", "Old"]
    assert titles(date_from=middle_day, date_to=middle_day) == ["Middle"]
    assert titles(date_from=old_day, date_to=new_day) == ["Middle", "New", "Old"]
    assert titles(date_from=(datetime.now(UTC) + timedelta(days=2)).date().isoformat()) == []
    listed = {t["id"]: t["creation_date"] for t in list_tickets(client, end_user)["tickets"]}
    assert listed == {old["id"]: old_day, middle["id"]: middle_day, new["id"]: new_day}


def test_sort_by_creation_date(client: TestClient, end_user: Actor, session: Session) -> None:
    ids = [create_ticket(client, end_user, title=f"T{n}")["id"] for n in range(3)]
    for days, ticket_id in zip((3, 9, 6), ids, strict=True):
        _backdate(session, ticket_id, days)
    oldest_first = [ids[1], ids[2], ids[0]]
    assert _ids(list_tickets(client, end_user, sort_by="creation_date", sort_order="asc")) == oldest_first
    assert _ids(list_tickets(client, end_user, sort_by="creation_date",
                             sort_order="desc")) == oldest_first[::-1]


def test_sort_by_title(client: TestClient, end_user: Actor) -> None:
    for title in ("Bravo", "Alpha", "Charlie"):
        create_ticket(client, end_user, title=title)

    def titles(order: str) -> list[str]:
        body = list_tickets(client, end_user, sort_by="title", sort_order=order)
        return [t["title"] for t in body["tickets"]]

    assert titles("asc") == ["Alpha", "Bravo", "Charlie"]
    assert titles("desc") == ["Charlie", "Bravo", "Alpha"]


def test_sort_by_ticket_num(client: TestClient, end_user: Actor) -> None:
    ids = [create_ticket(client, end_user, title=title)["id"] for title in ("B", "C", "A")]
    assert _ids(list_tickets(client, end_user, sort_by="ticket_num", sort_order="asc")) == sorted(ids)
    assert _ids(list_tickets(client, end_user, sort_by="ticket_num", sort_order="desc")) == sorted(
        ids, reverse=True)


def test_sort_by_status(client: TestClient, end_user: Actor) -> None:
    for status_id in (5, 1, 7, 3, 6, 2, 4):
        create_ticket(client, end_user, status_id=status_id)

    def statuses(order: str) -> list[int]:
        body = list_tickets(client, end_user, sort_by="status", sort_order=order)
        return [t["status_id"] for t in body["tickets"]]

    assert statuses("asc") == [1, 2, 3, 4, 5, 6, 7]
    assert statuses("desc") == [7, 6, 5, 4, 3, 2, 1]


def test_sort_by_priority(client: TestClient, end_user: Actor) -> None:
    for crit_id in (2, 4, 1, 3):
        create_ticket(client, end_user, crit_id=crit_id)

    def crits(order: str) -> list[int]:
        body = list_tickets(client, end_user, sort_by="priority", sort_order=order)
        return [t["crit_id"] for t in body["tickets"]]

    ascending = crits("asc")
    # By crit id (low first) or by urgency (critical first): the document does not say which.
    assert ascending in ([1, 2, 3, 4], [4, 3, 2, 1])
    assert crits("desc") == ascending[::-1]


def test_only_healthcare_tickets_are_listed(client: TestClient, end_user: Actor) -> None:
    from tests.factories import login

    ours = create_ticket(client, end_user)
    canonical = client.post("/api/v1/tickets", headers=login(client, end_user.user),
                            json={"title": "Disk full", "description": "On the build agent."})
    assert canonical.status_code == 201, canonical.text
    assert _ids(list_tickets(client, end_user)) == [ours["id"]]
