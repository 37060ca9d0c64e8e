"""devops-service.md, "Search & Filtering": filters, sorting and pagination of GET /tickets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conformance.devops.support import (
    API,
    Actor,
    assign,
    create_ticket,
    ticket_in,
)
from ticketry.domain.tickets.schemas import TicketCreate
from ticketry.domain.tickets.service import create_ticket as service_create_ticket


def _ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [t["id"] for t in response.json()["items"]]


def test_repeated_status_and_priority_values_combine_with_or(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    open_p1 = ticket_in(client, admin, "OPEN", priority="P1")
    progress_p2 = ticket_in(client, admin, "IN_PROGRESS", priority="P2")
    ticket_in(client, admin, "OPEN", priority="P3")
    ticket_in(client, admin, "NEW", priority="P1")
    ids = _ids(client.get(f"{API}/tickets", headers=admin.headers,
                          params=[("status", "OPEN"), ("status", "IN_PROGRESS"),
                                  ("priority", "P1"), ("priority", "P2")]))
    assert sorted(ids) == sorted([open_p1["id"], progress_p2["id"]])


def test_sort_by_priority_descending_puts_the_lowest_priority_first(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    for priority in ("P2", "P4", "P1", "P3"):
        create_ticket(client, admin, priority=priority)
    response = client.get(f"{API}/tickets?sort_by=priority&order=desc", headers=admin.headers)
    assert [t["priority"] for t in response.json()["items"]] == ["P4", "P3", "P2", "P1"]


def test_pagination_gives_page_size_and_total(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    created = [create_ticket(client, admin, title=f"ticket {n}") for n in range(5)]
    seen: list[str] = []
    for page, expected in ((1, 2), (2, 2), (3, 1)):
        response = client.get(f"{API}/tickets?page={page}&size=2&sort_by=created_at&order=asc",
                              headers=admin.headers)
        body = response.json()
        assert response.status_code == 200
        assert body["total"] == 5
        assert body["page"] == page
        assert body["size"] == 2
        assert len(body["items"]) == expected
        seen += [t["id"] for t in body["items"]]
    assert seen == [t["id"] for t in created]
    beyond = client.get(f"{API}/tickets?page=4&size=2", headers=admin.headers).json()
    assert beyond["items"] == []
    assert beyond["total"] == 5


def test_page_size_is_capped_at_100(client, session, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    for n in range(101):
        service_create_ticket(session, actor=admin.user,
                              data=TicketCreate(title=f"bulk {n}", description="bulk"))
    session.commit()
    body = client.get(f"{API}/tickets?size=500", headers=admin.headers).json()
    assert body["size"] == 100
    assert len(body["items"]) == 100
    assert body["total"] == 101


def test_filter_by_assignee_id(client, manager: Actor, engineer: Actor,
                               other_engineer: Actor) -> None:
    mine = create_ticket(client, manager)
    theirs = create_ticket(client, manager)
    create_ticket(client, manager)
    assert assign(client, manager, mine["id"], engineer).status_code == 200
    assert assign(client, manager, theirs["id"], other_engineer).status_code == 200
    ids = _ids(client.get(f"{API}/tickets", params={"assignee_id": engineer.id},
                          headers=manager.headers))
    assert ids == [mine["id"]]


def test_filter_by_category(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    incident = create_ticket(client, admin, category="INCIDENT")
    create_ticket(client, admin, category="SERVICE_REQUEST")
    create_ticket(client, admin)
    ids = _ids(client.get(f"{API}/tickets?category=INCIDENT", headers=admin.headers))
    assert ids == [incident["id"]]


def test_filter_by_tags(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    both = create_ticket(client, admin, tags=["database", "production"])
    database_only = create_ticket(client, admin, tags=["database"])
    create_ticket(client, admin, tags=["network"])
    ids = _ids(client.get(f"{API}/tickets?tags=database", headers=admin.headers))
    assert sorted(ids) == sorted([both["id"], database_only["id"]])
    ids = _ids(client.get(f"{API}/tickets?tags=database&tags=production", headers=admin.headers))
    assert ids == [both["id"]]


def test_filter_by_created_date_range(client, session, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
    tickets = {}
    for days in (0, 10, 20):
        ticket = service_create_ticket(session, actor=admin.user, now=base + timedelta(days=days),
                                       data=TicketCreate(title=f"day {days}", description="x"))
        tickets[days] = str(ticket.public_id)
    session.commit()

    def between(after: datetime | None, before: datetime | None) -> list[str]:
        params = {}
        if after is not None:
            params["created_after"] = after.isoformat()
        if before is not None:
            params["created_before"] = before.isoformat()
        return sorted(_ids(client.get(f"{API}/tickets", params=params, headers=admin.headers)))

    assert between(base + timedelta(days=5), base + timedelta(days=15)) == [tickets[10]]
    assert between(base + timedelta(days=5), None) == sorted([tickets[10], tickets[20]])
    assert between(None, base + timedelta(days=15)) == sorted([tickets[0], tickets[10]])


def test_search_matches_title_and_description_case_insensitively(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    by_title = create_ticket(client, admin, title="Kafka consumer lag", description="Growing.")
    by_description = create_ticket(client, admin, title="Slow pipeline",
                                   description="The kafka topic is backed up.")
    create_ticket(client, admin, title="Printer jam", description="Tray 2.")
    ids = _ids(client.get(f"{API}/tickets?search=KAFKA", headers=admin.headers))
    assert sorted(ids) == sorted([by_title["id"], by_description["id"]])


def test_filters_combine_with_and(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    match = create_ticket(client, admin, priority="P1", category="INCIDENT", tags=["db"])
    create_ticket(client, admin, priority="P1", category="PROBLEM", tags=["db"])
    create_ticket(client, admin, priority="P2", category="INCIDENT", tags=["db"])
    ids = _ids(client.get(f"{API}/tickets?priority=P1&category=INCIDENT&tags=db",
                          headers=admin.headers))
    assert ids == [match["id"]]
