"""enterprise-api.md, "Webhook Integration": the configuration call, the eight events and the
payload {"event", "timestamp", "data": {"ticket": {id, ticket_number, title, status,
created_by: {id, username}}}, "webhook_id"}. Deliveries go to a real receiver on 127.0.0.1,
sent by the worker (drained in the test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conformance.enterprise.support import (
    EP,
    WEBHOOK_EVENTS,
    WEBHOOK_EXAMPLE,
    WEBHOOK_PAYLOAD_FIELDS,
    Actor,
    approval_of,
    assert_error,
    assert_success,
    create_ticket,
    parse_utc,
    update_ticket,
)
from tests.conftest import BoundDatabase
from tests.domain.webhooks.receiver import Receiver, drain, running_receiver, verify_standard_webhook
from ticketry.config import Settings

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running_receiver()


@pytest.fixture
def local_settings(settings: Settings) -> Settings:
    """A deployment that lets webhooks reach the loopback receiver."""
    return settings.model_copy(update={"webhook_allow_private_targets": True,
                                       "webhook_retry_schedule": "0,0,0"})


@pytest.fixture
def local_client(make_client: ClientFactory) -> TestClient:
    return make_client(webhook_allow_private_targets=True, webhook_retry_schedule="0,0,0")


def test_configure_a_webhook_with_the_documents_example(client: TestClient, manager: Actor) -> None:
    """POST /webhooks {"url", "events": ["ticket.created", "ticket.updated"], "secret",
    "active": true}."""
    response = client.post(f"{EP}/webhooks", headers=manager.headers, json=WEBHOOK_EXAMPLE)

    data = assert_success(response, 201)
    assert data["id"]
    for name, value in WEBHOOK_EXAMPLE.items():
        assert data[name] == value, name


def test_every_documented_event_may_be_subscribed(client: TestClient, manager: Actor) -> None:
    data = assert_success(client.post(f"{EP}/webhooks", headers=manager.headers, json={
        **WEBHOOK_EXAMPLE, "url": "https://your-app.com/webhooks/all",
        "events": list(WEBHOOK_EVENTS)}), 201)
    assert data["events"] == list(WEBHOOK_EVENTS)


@pytest.mark.parametrize("body", [
    {**WEBHOOK_EXAMPLE, "events": ["ticket.exploded"]}, {**WEBHOOK_EXAMPLE, "events": []},
    {**WEBHOOK_EXAMPLE, "url": "not a url"}, {**WEBHOOK_EXAMPLE, "url": "http://10.0.0.8/hook"},
    {"events": ["ticket.created"]}, {**WEBHOOK_EXAMPLE, "active": "yes please"},
])
def test_invalid_webhooks_are_validation_errors(client: TestClient, manager: Actor,
                                                body: dict[str, Any]) -> None:
    assert_error(client.post(f"{EP}/webhooks", headers=manager.headers, json=body), 400,
                 "VALIDATION_ERROR")


def test_a_user_may_not_configure_webhooks(client: TestClient, user: Actor) -> None:
    assert_error(client.post(f"{EP}/webhooks", headers=user.headers, json=WEBHOOK_EXAMPLE), 403,
                 "PERMISSION_DENIED")


def _subscribe(api: TestClient, actor: Actor, url: str, events: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = assert_success(api.post(f"{EP}/webhooks", headers=actor.headers, json={
        **WEBHOOK_EXAMPLE, "url": url, "events": events}), 201)
    return data


def test_the_documents_payload_is_delivered(local_client: TestClient, local_settings: Settings,
                                            db: BoundDatabase, receiver: Receiver,
                                            user: Actor, manager: Actor) -> None:
    """{"event": "ticket.created", "timestamp": "2023-12-01T10:00:00Z", "data": {"ticket":
    {"id": 123, "ticket_number": "TKT-20231201-001", "title": "New Issue", "status": "open",
    "created_by": {"id": 1, "username": "john.doe"}}}, "webhook_id": "wh_123456789"}."""
    webhook = _subscribe(local_client, manager, receiver.url(), ["ticket.created"])
    ticket = create_ticket(local_client, user, title="New Issue")

    drain(db, local_settings)

    [delivery] = receiver.requests
    payload = delivery.json()
    assert set(payload) >= WEBHOOK_PAYLOAD_FIELDS, payload
    assert payload["event"] == "ticket.created"
    parse_utc(payload["timestamp"])
    assert payload["webhook_id"] == webhook["id"]
    sent = payload["data"]["ticket"]
    assert {k: sent[k] for k in ("id", "ticket_number", "title", "status")} == {
        "id": ticket["id"], "ticket_number": ticket["ticket_number"], "title": "New Issue",
        "status": "open"}
    assert {k: sent["created_by"][k] for k in ("id", "username")} == \
        {"id": user.id, "username": user.username}
    # Signed with the configured secret (Standard Webhooks).
    verify_standard_webhook("your_webhook_secret", delivery.headers, delivery.body)


def test_each_documented_event_is_sent(local_client: TestClient, local_settings: Settings,
                                       db: BoundDatabase, receiver: Receiver, user: Actor,
                                       manager: Actor, agent: Actor) -> None:
    """ticket.created, ticket.updated, ticket.status_changed, ticket.assigned, comment.added,
    approval.requested, approval.processed, file.uploaded."""
    _subscribe(local_client, manager, receiver.url(), list(WEBHOOK_EVENTS))
    ticket = create_ticket(local_client, user, ticket_type="change", title="Upgrade the switch")
    approval = approval_of(local_client, manager, ticket["id"])
    assert_success(local_client.post(f"{EP}/approvals/{approval['id']}/action",
                                     headers=manager.headers, json={"action": "approve"}))
    update_ticket(local_client, manager, ticket["id"], assigned_to_id=agent.id, priority="low")
    update_ticket(local_client, manager, ticket["id"], status="in_progress")
    assert_success(local_client.post(f"{EP}/comments/ticket/{ticket['id']}", headers=user.headers,
                                     json={"content": "Thanks"}), 201)
    assert_success(local_client.post(f"{EP}/attachments/ticket/{ticket['id']}/upload",
                                     headers=user.headers,
                                     files={"file": ("plan.txt", b"step 1\n", "text/plain")}), 201)

    drain(db, local_settings)

    events = [r.json() for r in receiver.requests]
    assert set(WEBHOOK_EVENTS) <= {e["event"] for e in events}, [e["event"] for e in events]
    for event in events:
        assert event["data"]["ticket"]["id"] == ticket["id"]


def test_only_subscribed_events_are_sent(local_client: TestClient, local_settings: Settings,
                                         db: BoundDatabase, receiver: Receiver, user: Actor,
                                         manager: Actor) -> None:
    _subscribe(local_client, manager, receiver.url(), ["comment.added"])
    ticket = create_ticket(local_client, user)
    assert_success(local_client.post(f"{EP}/comments/ticket/{ticket['id']}", headers=user.headers,
                                     json={"content": "Any news?"}), 201)
    drain(db, local_settings)
    assert [r.json()["event"] for r in receiver.requests] == ["comment.added"]


def test_an_inactive_webhook_receives_nothing(local_client: TestClient, local_settings: Settings,
                                              db: BoundDatabase, receiver: Receiver,
                                              user: Actor, manager: Actor) -> None:
    assert_success(local_client.post(f"{EP}/webhooks", headers=manager.headers, json={
        **WEBHOOK_EXAMPLE, "url": receiver.url(), "events": ["ticket.created"],
        "active": False}), 201)
    create_ticket(local_client, user)
    drain(db, local_settings)
    assert receiver.requests == []
