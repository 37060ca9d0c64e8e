"""customer-support-api.md, "GET /tickets - List All Tickets": every filter, page/limit and the
`pagination` object."""

from __future__ import annotations

import math
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conformance.support.support import create, listing, parse_time, update


@pytest.fixture
def tickets(api: TestClient) -> dict[str, dict[str, Any]]:
    """Four tickets that differ in every filtered field."""
    login = create(api)  # new, high, account_access, john@example.com
    payment = create(api, customer_id="CUST-002", customer_email="jane@example.com",
                     customer_name="Jane Smith", subject="Payment not processed",
                     description="I tried to pay for my subscription but the payment failed.",
                     category="billing_question", priority="high", tags=["billing", "payment"],
                     metadata={"source": "email"})
    payment = update(api, payment["id"], status="in_progress", assigned_to="agent-456")
    crash = create(api, customer_id="CUST-003", customer_email="bob@example.com",
                   customer_name="Bob Johnson", subject="App crashes",
                   description="Application keeps crashing on startup", category="technical_issue",
                   priority="urgent")
    crash = update(api, crash["id"], assigned_to="agent-123")
    idea = create(api, subject="Dark mode please", description="It would be great to have a dark mode.",
                  category="feature_request", priority="low", status="new")
    idea = update(api, idea["id"], status="resolved")
    return {"login": login, "payment": payment, "crash": crash, "idea": idea}


def ids(body: dict[str, Any]) -> set[str]:
    return {t["id"] for t in body["tickets"]}


def names(tickets: dict[str, dict[str, Any]], *which: str) -> set[str]:
    return {tickets[w]["id"] for w in which}


def test_everything(api: TestClient, tickets: dict[str, dict[str, Any]]) -> None:
    body = listing(api)
    assert ids(body) == names(tickets, "login", "payment", "crash", "idea")
    assert len(body["tickets"]) == 4
    # Without page/limit: the document's example shows page 1 of 20.
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 4, "total_pages": 1}
    by_id = {t["id"]: t for t in body["tickets"]}
    for ticket in tickets.values():
        assert by_id[ticket["id"]] == ticket


def test_newest_first_like_the_example(api: TestClient, tickets: dict[str, dict[str, Any]]) -> None:
    created = [parse_time(t["created_at"]) for t in listing(api)["tickets"]]
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "new"}, ("login", "crash")),
    ({"status": "in_progress"}, ("payment",)),
    ({"status": "resolved"}, ("idea",)),
    ({"status": "closed"}, ()),
    ({"priority": "high"}, ("login", "payment")),
    ({"priority": "urgent"}, ("crash",)),
    ({"priority": "medium"}, ()),
    ({"category": "account_access"}, ("login",)),
    ({"category": "technical_issue"}, ("crash",)),
    ({"category": "billing_question"}, ("payment",)),
    ({"assigned_to": "agent-123"}, ("crash",)),
    ({"assigned_to": "agent-456"}, ("payment",)),
    ({"assigned_to": "agent-789"}, ()),
    ({"customer_email": "john@example.com"}, ("login", "idea")),
    ({"customer_email": "jane@example.com"}, ("payment",)),
    ({"customer_email": "nobody@example.com"}, ()),
    # The document's cURL examples: status=new&priority=high, then with category and paging.
    ({"status": "new", "priority": "high"}, ("login",)),
    ({"status": "new", "priority": "high", "category": "account_access", "page": 1, "limit": 20},
     ("login",)),
    ({"status": "new", "priority": "urgent", "assigned_to": "agent-123",
      "customer_email": "bob@example.com", "category": "technical_issue"}, ("crash",)),
])
def test_filters(api: TestClient, tickets: dict[str, dict[str, Any]], params: dict[str, Any],
                 expected: tuple[str, ...]) -> None:
    body = listing(api, **params)
    assert ids(body) == names(tickets, *expected)
    assert body["pagination"]["total"] == len(expected)
    for ticket in body["tickets"]:
        for field in ("status", "priority", "category", "assigned_to", "customer_email"):
            if field in params:
                assert ticket[field] == params[field]


def test_pages(api: TestClient) -> None:
    made = {create(api, customer_id=f"CUST-{n:03}")["id"] for n in range(5)}
    seen: list[str] = []
    for page, size in ((1, 2), (2, 2), (3, 1)):
        body = listing(api, page=page, limit=2)
        assert body["pagination"] == {"page": page, "limit": 2, "total": 5, "total_pages": 3}
        assert len(body["tickets"]) == size
        seen += [t["id"] for t in body["tickets"]]
    assert len(seen) == 5
    assert set(seen) == made
    beyond = listing(api, page=4, limit=2)
    assert beyond["tickets"] == []
    assert beyond["pagination"] == {"page": 4, "limit": 2, "total": 5, "total_pages": 3}


@pytest.mark.parametrize("limit", [1, 3, 5, 20])
def test_total_pages(api: TestClient, limit: int) -> None:
    for n in range(5):
        create(api, customer_id=f"CUST-{n:03}")
    body = listing(api, limit=limit)
    assert body["pagination"] == {"page": 1, "limit": limit, "total": 5,
                                  "total_pages": math.ceil(5 / limit)}
    assert len(body["tickets"]) == min(limit, 5)


def test_pages_of_a_filtered_list(api: TestClient) -> None:
    for n in range(3):
        create(api, customer_id=f"CUST-{n:03}", priority="low")
    create(api, priority="high")
    body = listing(api, priority="low", limit=2, page=2)
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 3, "total_pages": 2}
    assert len(body["tickets"]) == 1
    assert body["tickets"][0]["priority"] == "low"


def test_an_empty_desk(api: TestClient) -> None:
    body = listing(api)
    assert body["tickets"] == []
    assert body["pagination"]["total"] == 0
    assert body["pagination"]["page"] == 1
    assert body["pagination"]["limit"] == 20
    assert body["pagination"]["total_pages"] in (0, 1)
