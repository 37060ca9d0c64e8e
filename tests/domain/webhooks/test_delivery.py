"""Webhook deliveries end to end: events fan out to subscriptions, the worker POSTs them to a
real receiver on 127.0.0.1, signed per Standard Webhooks, retried, logged and, when an
endpoint keeps failing, switched off."""

from __future__ import annotations

import base64
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domain.webhooks.receiver import Receiver, Reply, drain, verify_standard_webhook
from tests.factories import make_ticket, make_user
from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.comments.schemas import CommentCreate
from ticketry.domain.comments.service import add_comment
from ticketry.domain.events.models import Event
from ticketry.domain.events.service import dispatch_events
from ticketry.domain.tickets.service import delete_ticket
from ticketry.domain.users.models import Role, User
from ticketry.domain.webhooks.delivery import fan_out
from ticketry.domain.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ticketry.domain.webhooks.schemas import WebhookCreate, WebhookUpdate
from ticketry.domain.webhooks.service import create_webhook, delete_webhook, update_webhook


def subscribe(session: Session, owner: User, settings: Settings, url: str, *,
              events: tuple[str, ...] = ("*",), secret: str | None = None,
              active: bool = True) -> WebhookEndpoint:
    return create_webhook(session, actor=owner, settings=settings, data=WebhookCreate(
        url=url, events=list(events), secret=secret, active=active)).endpoint


def deliveries_of(session: Session, endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.scalars(select(WebhookDelivery)
                                .where(WebhookDelivery.endpoint_id == endpoint.id)
                                .order_by(WebhookDelivery.id)))


def attempts_of(session: Session, delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(session.scalars(select(WebhookAttempt)
                                .where(WebhookAttempt.delivery_id == delivery.id)
                                .order_by(WebhookAttempt.number)))


def event_types(receiver: Receiver) -> list[str]:
    return [r.json()["event"] for r in receiver.requests]


def ticket_ids(receiver: Receiver) -> list[int]:
    return [r.json()["data"]["ticket"]["id"] for r in receiver.requests]


# ------------------------------------------------------------------------ payload and signing

def test_an_event_is_posted_signed_with_the_documented_payload(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    endpoint = subscribe(session, engineer, local_settings, receiver.url(),
                         events=("ticket.created",))
    ticket = make_ticket(session, engineer)
    event = session.scalars(select(Event).where(Event.ticket_id == ticket.id)).one()

    drain(db, local_settings)

    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "Ticketry-Webhooks/1"
    assert request.headers["webhook-id"] == f"msg_{event.public_id.hex}"
    verify_standard_webhook(endpoint.secret, request.headers, request.body)
    body = request.json()
    assert body == {"event": "ticket.created", "timestamp": body["timestamp"],
                    "data": event.data, "webhook_id": str(endpoint.public_id),
                    "event_id": str(event.public_id)}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["timestamp"])
    assert body["timestamp"].startswith(event.created_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert body["data"]["ticket"]["ticket_number"] == ticket.key
    [delivery] = deliveries_of(session, endpoint)
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == \
        ("succeeded", 1, 200)
    assert delivery.completed_at is not None
    assert delivery.next_attempt_at is None


def test_a_generated_secret_is_whsec_and_32_random_bytes(
        session: Session, local_settings: Settings, engineer: User) -> None:
    first = subscribe(session, engineer, local_settings, "https://hooks.example.com/a")
    second = subscribe(session, engineer, local_settings, "https://hooks.example.com/b")

    for endpoint in (first, second):
        assert endpoint.secret.startswith("whsec_")
        assert len(base64.b64decode(endpoint.secret[len("whsec_"):], validate=True)) == 32
    assert first.secret != second.secret


def test_a_hand_chosen_secret_signs_with_its_utf8_bytes(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    subscribe(session, engineer, local_settings, receiver.url(), secret="your_webhook_secret")
    make_ticket(session, engineer)

    drain(db, local_settings)

    [request] = receiver.requests
    verify_standard_webhook("your_webhook_secret", request.headers, request.body)


def test_only_the_subscribed_event_types_are_delivered_and_star_means_all(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    subscribe(session, engineer, local_settings, receiver.url("/created"),
              events=("ticket.created",))
    subscribe(session, engineer, local_settings, receiver.url("/comments"),
              events=("comment.added",))
    subscribe(session, engineer, local_settings, receiver.url("/all"))
    ticket = make_ticket(session, engineer)
    add_comment(session, actor=engineer, ticket_id=ticket.public_id,
                data=CommentCreate(content="On it."))

    drain(db, local_settings)

    by_path: dict[str, list[str]] = {}
    for request in receiver.requests:
        by_path.setdefault(request.path, []).append(request.json()["event"])
    assert by_path == {"/created": ["ticket.created"], "/comments": ["comment.added"],
                       "/all": ["ticket.created", "comment.added"]}


def test_an_inactive_subscription_receives_nothing(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    endpoint = subscribe(session, engineer, local_settings, receiver.url(), active=False)
    make_ticket(session, engineer)

    drain(db, local_settings)

    assert receiver.requests == []
    assert deliveries_of(session, endpoint) == []


# ------------------------------------------------------------------------------- retries

def test_a_failing_receiver_gets_the_delivery_again_with_the_same_id_and_body(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    endpoint = subscribe(session, engineer, local_settings, receiver.url())
    receiver.replies = [Reply(500, b"database down"), Reply(503, b"still down")]
    make_ticket(session, engineer)

    drain(db, local_settings)

    assert len(receiver.requests) == 3
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    for request in receiver.requests:
        verify_standard_webhook(endpoint.secret, request.headers, request.body)
    [delivery] = deliveries_of(session, endpoint)
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == \
        ("succeeded", 3, 200)
    attempts = attempts_of(session, delivery)
    assert [(a.number, a.status_code, a.error, a.response_body, a.manual) for a in attempts] == [
        (1, 500, "HTTP 500", "database down", False),
        (2, 503, "HTTP 503", "still down", False),
        (3, 200, None, "ok", False)]
    assert all(a.duration_ms >= 0 for a in attempts)
    session.refresh(endpoint)
    assert endpoint.failing_since is None
    assert endpoint.last_success_at is not None


def test_when_the_retries_run_out_the_delivery_has_failed(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    endpoint = subscribe(session, engineer, local_settings, receiver.url())
    receiver.default = Reply(500, b"no")
    make_ticket(session, engineer)

    drain(db, local_settings.model_copy(update={"webhook_retry_schedule": "0,0"}))

    # The first attempt and one per retry delay, then nothing more.
    assert len(receiver.requests) == 3
    [delivery] = deliveries_of(session, endpoint)
    assert (delivery.status, delivery.attempt_count, delivery.next_attempt_at) == \
        ("failed", 3, None)
    assert delivery.last_error == "HTTP 500"
    session.refresh(endpoint)
    # Failing, but not for long enough to be switched off.
    assert endpoint.active
    assert endpoint.failing_since is not None


def test_a_retry_waits_for_the_next_delay_of_the_schedule(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    endpoint = subscribe(session, engineer, local_settings, receiver.url())
    receiver.default = Reply(500)
    make_ticket(session, engineer)

    drain(db, local_settings.model_copy(update={"webhook_retry_schedule": "3600"}))

    assert len(receiver.requests) == 1
    [delivery] = deliveries_of(session, endpoint)
    assert delivery.status == "pending"
    assert delivery.next_attempt_at is not None
    [attempt] = attempts_of(session, delivery)
    assert 3590 < (delivery.next_attempt_at - attempt.started_at).total_seconds() < 3610


def test_an_endpoint_failing_longer_than_the_window_is_disabled_and_its_owner_told(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    endpoint = subscribe(session, engineer, local_settings, receiver.url())
    receiver.default = Reply(500)
    make_ticket(session, engineer)
    settings = local_settings.model_copy(update={"webhook_disable_after_hours": 0})

    drain(db, settings)

    session.refresh(endpoint)
    assert endpoint.active is False
    assert endpoint.disabled_at is not None
    assert endpoint.disabled_reason
    assert "without a success" in endpoint.disabled_reason
    # Switched off: the delivery is not retried.
    assert len(receiver.requests) == 1
    [delivery] = deliveries_of(session, endpoint)
    assert delivery.status == "failed"
    [event] = session.scalars(select(Event).where(Event.type == "webhook.disabled")).all()
    assert event.ticket_id is None
    assert event.data == {
        "webhook": {"id": str(endpoint.public_id), "url": endpoint.url,
                    "owner_id": engineer.id, "reason": endpoint.disabled_reason},
        "notify_user_ids": [engineer.id]}

    # Later events pass it by.
    make_ticket(session, engineer)
    drain(db, settings)
    assert len(receiver.requests) == 1


def test_switching_a_disabled_endpoint_back_on_clears_its_failure_streak(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    endpoint = subscribe(session, engineer, local_settings, receiver.url())
    receiver.replies = [Reply(500)]
    make_ticket(session, engineer)
    drain(db, local_settings.model_copy(update={"webhook_disable_after_hours": 0}))
    session.refresh(endpoint)
    assert not endpoint.active

    update_webhook(session, actor=engineer, webhook_id=endpoint.public_id,
                   data=WebhookUpdate(active=True), settings=local_settings)
    make_ticket(session, engineer)
    drain(db, local_settings)

    session.refresh(endpoint)
    assert endpoint.active
    assert (endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since) == \
        (None, None, None)
    assert [d.status for d in deliveries_of(session, endpoint)] == ["failed", "succeeded"]


def test_a_redirect_is_a_failure_and_is_not_followed(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    endpoint = subscribe(session, engineer, local_settings, receiver.url())
    receiver.default = Reply(302, b"", {"Location": receiver.url("/elsewhere")})
    make_ticket(session, engineer)

    drain(db, local_settings.model_copy(update={"webhook_retry_schedule": ""}))

    assert [r.path for r in receiver.requests] == ["/hook"]
    [delivery] = deliveries_of(session, endpoint)
    assert delivery.status == "failed"
    assert delivery.last_error == "HTTP 302: redirects are not followed"


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    endpoint = subscribe(session, engineer, local_settings, receiver.url())
    receiver.default = Reply(hold=True)
    make_ticket(session, engineer)

    drain(db, local_settings.model_copy(update={"webhook_retry_schedule": "",
                                                "webhook_timeout_seconds": 0.2}))
    receiver.release.set()

    [delivery] = deliveries_of(session, endpoint)
    [attempt] = attempts_of(session, delivery)
    assert attempt.status_code is None
    assert attempt.error == "timed out after 0.2 s"
    assert delivery.status == "failed"


def test_a_refused_connection_is_a_failed_attempt_with_its_reason(
        session: Session, db: Database, local_settings: Settings, engineer: User) -> None:
    closed = Receiver()  # bound, never listening to requests: then closed
    url = closed.url()
    closed.server.server_close()
    endpoint = subscribe(session, engineer, local_settings, url)
    make_ticket(session, engineer)

    drain(db, local_settings.model_copy(update={"webhook_retry_schedule": ""}))

    [delivery] = deliveries_of(session, endpoint)
    [attempt] = attempts_of(session, delivery)
    assert attempt.status_code is None
    assert attempt.error is not None
    assert attempt.error.startswith("ConnectError")


def test_only_the_first_kilobyte_of_the_answer_is_kept(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    endpoint = subscribe(session, engineer, local_settings, receiver.url())
    receiver.default = Reply(200, b"x" * 5000)
    make_ticket(session, engineer)

    drain(db, local_settings)

    [delivery] = deliveries_of(session, endpoint)
    [attempt] = attempts_of(session, delivery)
    assert attempt.response_body == "x" * 1024


def test_a_deleted_webhook_drops_its_queued_deliveries_quietly(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    endpoint = subscribe(session, engineer, local_settings, receiver.url())
    make_ticket(session, engineer)
    dispatch_events(session, subscribers=(fan_out,))
    assert len(deliveries_of(session, endpoint)) == 1

    delete_webhook(session, actor=engineer, webhook_id=endpoint.public_id)
    drain(db, local_settings)

    assert receiver.requests == []


def test_a_webhook_switched_off_before_sending_sends_nothing(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User) -> None:
    endpoint = subscribe(session, engineer, local_settings, receiver.url())
    make_ticket(session, engineer)
    dispatch_events(session, subscribers=(fan_out,))

    update_webhook(session, actor=engineer, webhook_id=endpoint.public_id,
                   data=WebhookUpdate(active=False), settings=local_settings)
    drain(db, local_settings)

    assert receiver.requests == []
    [delivery] = deliveries_of(session, endpoint)
    assert (delivery.status, delivery.attempt_count) == ("failed", 0)
    assert delivery.last_error == "not sent: the webhook is inactive"


# ----------------------------------------------------------------------------- visibility

def test_an_owner_receives_only_tickets_they_may_view(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User, requester: User, other_end_user: User) -> None:
    """Agents view every ticket, end users their own: a subscription whose owner is no longer
    an agent receives only the owner's own tickets (and none of their internal notes)."""
    owner = make_user(session, Role.DEVOPS_ENGINEER)
    subscribe(session, owner, local_settings, receiver.url("/demoted"))
    subscribe(session, engineer, local_settings, receiver.url("/agent"))
    owner.role = Role.END_USER.value
    session.flush()
    own = make_ticket(session, owner, title="Owner's own")
    others = make_ticket(session, requester, title="Someone else's")
    add_comment(session, actor=engineer, ticket_id=own.public_id,
                data=CommentCreate(content="Internal triage note", is_internal=True))
    add_comment(session, actor=engineer, ticket_id=own.public_id,
                data=CommentCreate(content="We are on it"))

    drain(db, local_settings)

    seen: dict[str, list[tuple[str, int]]] = {}
    for request in receiver.requests:
        body = request.json()
        seen.setdefault(request.path, []).append((body["event"], body["data"]["ticket"]["id"]))
    assert seen["/demoted"] == [("ticket.created", own.id), ("comment.added", own.id)]
    assert seen["/agent"] == [("ticket.created", own.id), ("ticket.created", others.id),
                              ("comment.added", own.id), ("comment.added", own.id)]
    public = [r for r in receiver.requests if r.path == "/demoted"][1].json()
    assert public["data"]["comment"]["content"] == "We are on it"


def test_a_hard_deleted_ticket_is_announced_to_administrators_only(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        admin: User, engineer: User) -> None:
    ticket = make_ticket(session, engineer, queue="support")
    subscribe(session, admin, local_settings, receiver.url("/admin"),
              events=("ticket.deleted",))
    subscribe(session, engineer, local_settings, receiver.url("/agent"),
              events=("ticket.deleted",))

    delete_ticket(session, actor=admin, ticket_id=ticket.public_id)
    session.flush()
    drain(db, local_settings)

    assert [(r.path, r.json()["data"]["ticket"]["id"]) for r in receiver.requests] == \
        [("/admin", ticket.id)]


def test_a_disabled_webhook_is_announced_to_its_owner_s_other_webhooks_only(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User, other_engineer: User) -> None:
    failing = subscribe(session, engineer, local_settings, receiver.url("/failing"),
                        events=("ticket.created",))
    subscribe(session, engineer, local_settings, receiver.url("/mine"),
              events=("webhook.disabled",))
    subscribe(session, other_engineer, local_settings, receiver.url("/theirs"),
              events=("webhook.disabled",))
    receiver.replies = [Reply(500)]
    make_ticket(session, engineer)

    drain(db, local_settings.model_copy(update={"webhook_disable_after_hours": 0}))

    notices = [r for r in receiver.requests if r.json()["event"] == "webhook.disabled"]
    assert [r.path for r in notices] == ["/mine"]
    assert notices[0].json()["data"]["webhook"]["id"] == str(failing.public_id)


# ------------------------------------------------------------------------------- fan-out

def _batch_statements(session: Session, statements: Any, events: int, admin: User) -> int:
    for _ in range(events):
        make_ticket(session, admin)
    session.flush()
    with statements.counting() as counter:
        dispatch_events(session, subscribers=(fan_out,))
    return int(counter.count)


def test_fan_out_uses_the_same_number_of_statements_for_any_batch_size(
        session: Session, local_settings: Settings, statements: Any, admin: User,
        engineer: User, requester: User) -> None:
    for owner, path in ((admin, "x"), (engineer, "x"), (engineer, "z")):
        subscribe(session, owner, local_settings, f"https://hooks.example.com/{path}")
    # The requester's own subscription (from when they were an agent) needs the tickets.
    demoted = make_user(session, Role.DEVOPS_ENGINEER)
    subscribe(session, demoted, local_settings, "https://hooks.example.com/y")
    demoted.role = Role.END_USER.value
    session.flush()

    small = _batch_statements(session, statements, 2, admin)
    large = _batch_statements(session, statements, 12, admin)

    assert small == large
    # claim, subscriptions, tickets, deliveries, jobs, mark dispatched
    assert large <= 6


def test_each_subscription_gets_one_delivery_and_one_job_per_event(
        session: Session, local_settings: Settings, admin: User, engineer: User) -> None:
    from ticketry.domain.jobs.models import Job

    first = subscribe(session, admin, local_settings, "https://hooks.example.com/a")
    second = subscribe(session, engineer, local_settings, "https://hooks.example.com/b")
    for _ in range(3):
        make_ticket(session, admin)

    dispatch_events(session, subscribers=(fan_out,))

    assert len(deliveries_of(session, first)) == 3
    assert len(deliveries_of(session, second)) == 3
    ids = {d.id for d in deliveries_of(session, first) + deliveries_of(session, second)}
    jobs = session.scalars(select(Job).where(Job.kind == "webhook.deliver")).all()
    assert {j.payload["delivery_id"] for j in jobs} == ids
    assert len(jobs) == 6
