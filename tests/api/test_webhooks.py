"""/api/v1/webhooks: subscriptions managed by agents (administrators: everyone's), checked
when made, and their delivery log with manual redelivery. Deliveries go to a real receiver on
127.0.0.1, sent by the worker."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.api.conftest import assert_problem, failing_fields
from tests.domain.webhooks.receiver import (
    Receiver,
    Reply,
    drain,
    running_receiver,
    verify_standard_webhook,
)
from tests.factories import login, make_ticket, make_user
from ticketry.api.app import create_app
from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.events.models import Event
from ticketry.domain.users.models import Role, User
from ticketry.domain.webhooks.models import WebhookDelivery

API = "/api/v1/webhooks"
# A public address written as a literal: creating a subscription to it looks nothing up.
PUBLIC_URL = "https://93.184.216.34/hooks/tickets"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running_receiver()


@pytest.fixture
def local_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_private_targets": True,
                                       "webhook_retry_schedule": "0,0,0"})


@pytest.fixture
def local_client(local_settings: Settings, db: Database) -> Iterator[TestClient]:
    """The API of a deployment that lets webhooks reach the loopback receiver."""
    with TestClient(create_app(local_settings, db), base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture
def agent(session: Session) -> User:
    return make_user(session, Role.DEVOPS_ENGINEER)


@pytest.fixture
def agent_headers(client: TestClient, agent: User) -> dict[str, str]:
    return login(client, agent)


def create(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body = {"url": PUBLIC_URL, "events": ["ticket.created"], **body}
    response = client.post(API, headers=headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


# ------------------------------------------------------------------------- subscriptions

def test_an_agent_subscribes_and_sees_the_secret_only_in_that_answer(
        client: TestClient, agent: User, agent_headers: dict[str, str]) -> None:
    response = client.post(API, headers=agent_headers, json={
        "url": PUBLIC_URL, "events": ["ticket.created", "ticket.updated"],
        "secret": "your_webhook_secret", "active": True, "description": "CI bridge"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{API}/{body['id']}"
    assert uuid.UUID(body["id"])
    assert {k: body[k] for k in ("url", "events", "active", "description", "secret")} == {
        "url": PUBLIC_URL, "events": ["ticket.created", "ticket.updated"], "active": True,
        "description": "CI bridge", "secret": "your_webhook_secret"}
    assert body["owner"] == {"id": str(agent.public_id), "username": agent.username}

    shown = client.get(f"{API}/{body['id']}", headers=agent_headers).json()
    assert shown["secret"] == "********cret"
    listed = client.get(API, headers=agent_headers).json()
    assert [w["secret"] for w in listed["items"]] == ["********cret"]


def test_without_a_secret_a_whsec_secret_is_generated(
        client: TestClient, agent_headers: dict[str, str]) -> None:
    body = create(client, agent_headers)

    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"][len("whsec_"):], validate=True)) == 32
    masked = client.get(f"{API}/{body['id']}", headers=agent_headers).json()["secret"]
    assert masked == "whsec_********" + body["secret"][-4:]


def test_end_users_may_not_manage_webhooks(client: TestClient, session: Session) -> None:
    headers = login(client, make_user(session, Role.END_USER))

    assert_problem(client.post(API, headers=headers,
                               json={"url": PUBLIC_URL, "events": ["ticket.created"]}), 403)
    assert_problem(client.get(API, headers=headers), 403)
    assert_problem(client.get(f"{API}/{uuid.uuid4()}", headers=headers), 403)


def test_agents_manage_their_own_and_administrators_everyone_s(
        client: TestClient, session: Session, agent_headers: dict[str, str]) -> None:
    other = login(client, make_user(session, Role.TEAM_LEAD))
    admin = login(client, make_user(session, Role.ADMIN))
    mine = create(client, agent_headers)
    theirs = create(client, other)

    assert [w["id"] for w in client.get(API, headers=agent_headers).json()["items"]] == \
        [mine["id"]]
    for method in ("get", "patch", "delete"):
        kwargs: dict[str, Any] = {"json": {"active": False}} if method == "patch" else {}
        response = getattr(client, method)(f"{API}/{theirs['id']}", headers=agent_headers,
                                           **kwargs)
        assert_problem(response, 404, "WEBHOOK_NOT_FOUND")

    everyone = client.get(API, headers=admin).json()
    assert {w["id"] for w in everyone["items"]} >= {mine["id"], theirs["id"]}
    assert client.patch(f"{API}/{theirs['id']}", headers=admin,
                        json={"active": False}).json()["active"] is False
    assert client.delete(f"{API}/{mine['id']}", headers=admin).status_code == 204


def test_an_unknown_event_type_is_refused_by_name(
        client: TestClient, agent_headers: dict[str, str]) -> None:
    response = client.post(API, headers=agent_headers, json={
        "url": PUBLIC_URL, "events": ["ticket.created", "ticket.exploded"]})

    body = assert_problem(response, 422, "UNKNOWN_EVENT_TYPE")
    assert "'ticket.exploded'" in body["detail"]
    assert failing_fields(body) == {"events"}


def test_star_subscribes_to_every_event_type(
        client: TestClient, agent_headers: dict[str, str]) -> None:
    assert create(client, agent_headers, events=["ticket.created", "*"])["events"] == ["*"]


@pytest.mark.parametrize("body", [
    {"events": ["ticket.created"]},
    {"url": PUBLIC_URL},
    {"url": PUBLIC_URL, "events": []},
    {"url": PUBLIC_URL, "events": ["ticket.created"], "secret": ""},
    {"url": PUBLIC_URL, "events": ["ticket.created"], "colour": "blue"},
])
def test_incomplete_or_unknown_input_is_refused(
        client: TestClient, agent_headers: dict[str, str], body: dict[str, Any]) -> None:
    assert_problem(client.post(API, headers=agent_headers, json=body), 422)


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1:8080/hook", "127.0.0.1 is loopback"),
    ("http://[::1]/hook", "::1 is loopback"),
    ("http://localhost/hook", "localhost -> "),
    ("http://10.1.2.3/hook", "private"),
    ("http://192.168.1.10/hook", "private"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://100.64.1.1/", "carrier-grade NAT"),
    ("http://2130706433/", "2130706433 -> 127.0.0.1 is loopback"),
    ("http://0x7f000001/", "127.0.0.1 is loopback"),
    ("http://0177.0.0.1/", "127.0.0.1 is loopback"),
    ("http://[::ffff:169.254.169.254]/", "cloud metadata"),
])
def test_a_refused_target_is_refused_when_subscribing(
        client: TestClient, agent_headers: dict[str, str], url: str, reason: str) -> None:
    response = client.post(API, headers=agent_headers,
                           json={"url": url, "events": ["ticket.created"]})

    body = assert_problem(response, 422, "WEBHOOK_TARGET_REFUSED")
    assert reason in body["detail"]
    assert failing_fields(body) == {"url"}


def test_a_refused_target_is_refused_when_changing_the_url(
        client: TestClient, agent_headers: dict[str, str]) -> None:
    webhook = create(client, agent_headers)

    response = client.patch(f"{API}/{webhook['id']}", headers=agent_headers,
                            json={"url": "http://10.0.0.8/"})

    assert_problem(response, 422, "WEBHOOK_TARGET_REFUSED")
    assert client.get(f"{API}/{webhook['id']}", headers=agent_headers).json()["url"] == \
        PUBLIC_URL


@pytest.mark.parametrize(("url", "problem"), [
    ("ftp://93.184.216.34/hook", "http or https"),
    ("https://user:pw@93.184.216.34/hook", "user name or password"),
    ("not a url", "spaces"),
])
def test_a_url_that_is_not_an_http_target_is_invalid(
        client: TestClient, agent_headers: dict[str, str], url: str, problem: str) -> None:
    body = assert_problem(client.post(API, headers=agent_headers,
                                      json={"url": url, "events": ["ticket.created"]}),
                          422, "INVALID_WEBHOOK_URL")
    assert problem in body["detail"]


def test_a_whsec_secret_must_carry_a_base64_key(
        client: TestClient, agent_headers: dict[str, str]) -> None:
    for secret in ("whsec_not base64!", "whsec_" + base64.b64encode(b"short").decode()):
        body = assert_problem(client.post(API, headers=agent_headers, json={
            "url": PUBLIC_URL, "events": ["ticket.created"], "secret": secret}),
            422, "INVALID_WEBHOOK_SECRET")
        assert failing_fields(body) == {"secret"}


def test_a_private_target_is_accepted_where_the_deployment_allows_it(
        local_client: TestClient, agent: User) -> None:
    headers = login(local_client, agent)
    assert create(local_client, headers, url="http://127.0.0.1:9/hook")["url"] == \
        "http://127.0.0.1:9/hook"


def test_patch_changes_only_what_it_names_and_shows_a_new_secret_once(
        client: TestClient, agent_headers: dict[str, str]) -> None:
    webhook = create(client, agent_headers, description="before")
    url = f"{API}/{webhook['id']}"

    changed = client.patch(url, headers=agent_headers,
                           json={"events": ["comment.added"], "active": False}).json()
    assert (changed["events"], changed["active"], changed["description"]) == \
        (["comment.added"], False, "before")
    assert changed["secret"].startswith("whsec_********")

    new_secret = client.patch(url, headers=agent_headers,
                              json={"secret": "a-new-shared-secret"}).json()["secret"]
    assert new_secret == "a-new-shared-secret"
    regenerated = client.patch(url, headers=agent_headers,
                               json={"regenerate_secret": True}).json()["secret"]
    assert regenerated.startswith("whsec_")
    assert "*" not in regenerated
    assert client.get(url, headers=agent_headers).json()["secret"] == \
        "whsec_********" + regenerated[-4:]

    assert_problem(client.patch(url, headers=agent_headers,
                                json={"events": ["nope"]}), 422, "UNKNOWN_EVENT_TYPE")


def test_deleting_a_webhook_removes_it(client: TestClient,
                                       agent_headers: dict[str, str]) -> None:
    webhook = create(client, agent_headers)

    assert client.delete(f"{API}/{webhook['id']}", headers=agent_headers).status_code == 204

    assert_problem(client.get(f"{API}/{webhook['id']}", headers=agent_headers), 404)
    assert client.get(API, headers=agent_headers).json()["total"] == 0


# -------------------------------------------------------------------------- delivery log

def test_the_delivery_log_lists_deliveries_newest_first(
        local_client: TestClient, session: Session, db: Database,
        local_settings: Settings, receiver: Receiver, agent: User) -> None:
    headers = login(local_client, agent)
    webhook = create(local_client, headers, url=receiver.url())
    receiver.replies = [Reply(500)]
    first = make_ticket(session, agent, title="First")
    second = make_ticket(session, agent, title="Second")
    session.commit()

    drain(db, local_settings)

    page = local_client.get(f"{API}/{webhook['id']}/deliveries", headers=headers).json()
    assert page["total"] == 2
    events = {e.ticket_id: e for e in session.scalars(select(Event))}
    newest, oldest = page["items"]
    assert newest["event_id"] == str(events[second.id].public_id)
    assert oldest["event_id"] == str(events[first.id].public_id)
    assert {k: oldest[k] for k in ("webhook_id", "event_type", "status", "attempt_count",
                                   "last_status_code", "next_attempt_at")} == {
        "webhook_id": webhook["id"], "event_type": "ticket.created", "status": "succeeded",
        "attempt_count": 2, "last_status_code": 200, "next_attempt_at": None}
    assert newest["attempt_count"] == 1

    one = local_client.get(f"{API}/{webhook['id']}/deliveries", headers=headers,
                           params={"size": 1, "page": 2}).json()
    assert [d["id"] for d in one["items"]] == [oldest["id"]]
    assert one["pages"] == 2
    failed = local_client.get(f"{API}/{webhook['id']}/deliveries", headers=headers,
                              params={"status": "failed"}).json()
    assert failed["total"] == 0


def test_a_delivery_shows_its_body_and_every_attempt(
        local_client: TestClient, session: Session, db: Database,
        local_settings: Settings, receiver: Receiver, agent: User) -> None:
    headers = login(local_client, agent)
    webhook = create(local_client, headers, url=receiver.url())
    receiver.replies = [Reply(503, b"maintenance")]
    make_ticket(session, agent)
    session.commit()
    drain(db, local_settings)
    [delivery] = local_client.get(f"{API}/{webhook['id']}/deliveries",
                                  headers=headers).json()["items"]

    detail = local_client.get(f"{API}/{webhook['id']}/deliveries/{delivery['id']}",
                              headers=headers).json()

    assert detail["payload"] == receiver.requests[0].json()
    assert detail["payload"]["webhook_id"] == webhook["id"]
    assert [(a["number"], a["status_code"], a["error"], a["response_body"], a["manual"])
            for a in detail["attempts"]] == [(1, 503, "HTTP 503", "maintenance", False),
                                              (2, 200, None, "ok", False)]
    assert {a["webhook_id"] for a in detail["attempts"]} == \
        {receiver.requests[0].headers["webhook-id"]}
    assert_problem(local_client.get(f"{API}/{webhook['id']}/deliveries/{uuid.uuid4()}",
                                    headers=headers), 404, "WEBHOOK_DELIVERY_NOT_FOUND")


def test_a_manual_redelivery_sends_the_same_message_again_even_after_success_or_failure(
        local_client: TestClient, session: Session, db: Database,
        local_settings: Settings, receiver: Receiver, agent: User) -> None:
    headers = login(local_client, agent)
    webhook = create(local_client, headers, url=receiver.url())
    make_ticket(session, agent)
    session.commit()
    drain(db, local_settings)
    [delivery] = local_client.get(f"{API}/{webhook['id']}/deliveries",
                                  headers=headers).json()["items"]
    url = f"{API}/{webhook['id']}/deliveries/{delivery['id']}"

    response = local_client.post(f"{url}/redeliver", headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["id"] == delivery["id"]
    # Nothing is sent by the request itself.
    assert len(receiver.requests) == 1
    receiver.replies = [Reply(500)]
    drain(db, local_settings)

    first, again = receiver.requests
    assert again.headers["webhook-id"] == first.headers["webhook-id"]
    assert again.body == first.body
    verify_standard_webhook(webhook["secret"], again.headers, again.body)
    detail = local_client.get(url, headers=headers).json()
    # One manual attempt, not retried; the delivery did succeed once.
    assert [(a["number"], a["manual"], a["status_code"]) for a in detail["attempts"]] == \
        [(1, False, 200), (2, True, 500)]
    assert detail["status"] == "succeeded"


def test_a_failed_delivery_can_be_sent_again_by_hand(
        local_client: TestClient, session: Session, db: Database,
        local_settings: Settings, receiver: Receiver, agent: User) -> None:
    headers = login(local_client, agent)
    webhook = create(local_client, headers, url=receiver.url())
    receiver.replies = [Reply(500)] * 4
    make_ticket(session, agent)
    session.commit()
    drain(db, local_settings)
    [delivery] = local_client.get(f"{API}/{webhook['id']}/deliveries",
                                  headers=headers).json()["items"]
    assert delivery["status"] == "failed"

    local_client.post(f"{API}/{webhook['id']}/deliveries/{delivery['id']}/redeliver",
                      headers=headers)
    drain(db, local_settings)

    detail = local_client.get(f"{API}/{webhook['id']}/deliveries/{delivery['id']}",
                              headers=headers).json()
    assert (detail["status"], detail["attempt_count"], detail["last_status_code"]) == \
        ("succeeded", 5, 200)
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1


def test_an_inactive_webhook_is_not_redelivered_or_pinged(
        local_client: TestClient, session: Session, db: Database,
        local_settings: Settings, receiver: Receiver, agent: User) -> None:
    headers = login(local_client, agent)
    webhook = create(local_client, headers, url=receiver.url())
    make_ticket(session, agent)
    session.commit()
    drain(db, local_settings)
    [delivery] = local_client.get(f"{API}/{webhook['id']}/deliveries",
                                  headers=headers).json()["items"]
    local_client.patch(f"{API}/{webhook['id']}", headers=headers, json={"active": False})

    assert_problem(local_client.post(
        f"{API}/{webhook['id']}/deliveries/{delivery['id']}/redeliver", headers=headers),
        409, "WEBHOOK_INACTIVE")
    assert_problem(local_client.post(f"{API}/{webhook['id']}/ping", headers=headers),
                   409, "WEBHOOK_INACTIVE")


def test_a_ping_is_a_signed_logged_delivery_to_that_webhook_alone(
        local_client: TestClient, db: Database, local_settings: Settings,
        receiver: Receiver, agent: User) -> None:
    headers = login(local_client, agent)
    webhook = create(local_client, headers, url=receiver.url("/pinged"), events=["*"])
    create(local_client, headers, url=receiver.url("/other"), events=["*"])

    response = local_client.post(f"{API}/{webhook['id']}/ping", headers=headers)
    assert response.status_code == 202, response.text
    drain(db, local_settings)

    [request] = receiver.requests
    assert request.path == "/pinged"
    verify_standard_webhook(webhook["secret"], request.headers, request.body)
    assert request.json()["event"] == "webhook.ping"
    assert request.json()["webhook_id"] == webhook["id"]
    detail = local_client.get(f"{API}/{webhook['id']}/deliveries/{response.json()['id']}",
                              headers=headers).json()
    assert (detail["status"], detail["event_type"]) == ("succeeded", "webhook.ping")


def test_a_failed_ping_is_not_retried(
        local_client: TestClient, db: Database, local_settings: Settings,
        receiver: Receiver, agent: User) -> None:
    headers = login(local_client, agent)
    webhook = create(local_client, headers, url=receiver.url())
    receiver.default = Reply(404)

    ping = local_client.post(f"{API}/{webhook['id']}/ping", headers=headers).json()
    drain(db, local_settings)

    assert len(receiver.requests) == 1
    detail = local_client.get(f"{API}/{webhook['id']}/deliveries/{ping['id']}",
                              headers=headers).json()
    assert (detail["status"], detail["last_error"]) == ("failed", "HTTP 404")


def test_another_webhook_s_delivery_is_not_found_through_mine(
        local_client: TestClient, session: Session, db: Database,
        local_settings: Settings, receiver: Receiver, agent: User) -> None:
    headers = login(local_client, agent)
    mine = create(local_client, headers, url=receiver.url("/a"))
    other = create(local_client, headers, url=receiver.url("/b"))
    make_ticket(session, agent)
    session.commit()
    drain(db, local_settings)
    [delivery] = local_client.get(f"{API}/{other['id']}/deliveries",
                                  headers=headers).json()["items"]

    assert_problem(local_client.get(f"{API}/{mine['id']}/deliveries/{delivery['id']}",
                                    headers=headers), 404)
    assert_problem(local_client.post(
        f"{API}/{mine['id']}/deliveries/{delivery['id']}/redeliver", headers=headers), 404)


def test_a_rolled_back_request_leaves_no_event_and_no_delivery(
        local_client: TestClient, session: Session, db: Database,
        local_settings: Settings, receiver: Receiver, agent: User) -> None:
    headers = login(local_client, agent)
    create(local_client, headers, url=receiver.url(), events=["ticket.updated"])
    ticket = make_ticket(session, agent, assignee_ref=agent.username)
    session.commit()
    events_before = session.scalar(select(func.count()).select_from(Event))

    # The title changes in the session before the status is refused: all of it goes.
    response = local_client.patch(f"/api/v1/tickets/{ticket.public_id}", headers=headers,
                                  json={"title": "Renamed", "status": "NO_SUCH_STATUS"})
    assert response.status_code == 422
    drain(db, local_settings)

    assert session.scalar(select(func.count()).select_from(Event)) == events_before
    assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert receiver.requests == []
