"""Webhook subscriptions and their delivery log: who may manage which, and what they read.

Agents manage their own subscriptions, administrators everyone's; end users none. Nothing
here makes a network request but the bounded DNS lookup that checks a new URL: deliveries
happen in the worker (see `delivery.py` and `tasks.py`).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from ticketry.config import Settings
from ticketry.db import utcnow
from ticketry.domain.events.models import Event
from ticketry.domain.events.service import EVENT_TYPES
from ticketry.domain.jobs.models import JobStatus
from ticketry.domain.jobs.service import enqueue_job
from ticketry.domain.users.models import Role, User
from ticketry.domain.webhooks import egress, signing
from ticketry.domain.webhooks.errors import (
    DeliveryNotFound,
    InvalidWebhookSecret,
    InvalidWebhookUrl,
    RefusedWebhookTarget,
    UnknownEventType,
    WebhookAlreadyExists,
    WebhookInactive,
    WebhookNotFound,
    WebhooksForbidden,
)
from ticketry.domain.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from ticketry.domain.webhooks.schemas import WebhookCreate, WebhookUpdate

ALL_EVENTS = "*"
DELIVER_JOB = "webhook.deliver"
# Not an EventType: a ping is written already dispatched, so it reaches no subscriber.
PING_EVENT = "webhook.ping"
# Consecutive crashes of the handler (not failed deliveries) before the job gives up.
DELIVER_JOB_MAX_ATTEMPTS = 5


def _require_agent(actor: User) -> None:
    if not actor.is_agent:
        raise WebhooksForbidden("webhooks are managed by agents and administrators")


def _is_admin(actor: User) -> bool:
    return actor.role_enum is Role.ADMIN


def _events(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in (v.strip() for v in values):
        if value != ALL_EVENTS and value not in EVENT_TYPES:
            raise UnknownEventType(
                f"unknown event type {value!r}; known types: {', '.join(EVENT_TYPES)} "
                f"(or '*' for all)", field="events")
        if value not in out:
            out.append(value)
    return [ALL_EVENTS] if ALL_EVENTS in out else out


def _url(url: str, settings: Settings) -> str:
    url = url.strip()
    try:
        egress.check_url(url, allow_private=settings.webhook_allow_private_targets)
    except egress.TargetRefused as exc:
        error = InvalidWebhookUrl if exc.invalid else RefusedWebhookTarget
        raise error(exc.message, field="url") from exc
    return url


def _secret(secret: str) -> str:
    problem = signing.secret_problem(secret)
    if problem is not None:
        raise InvalidWebhookSecret(problem, field="secret")
    return secret


@dataclass(frozen=True, slots=True)
class WebhookView:
    endpoint: WebhookEndpoint
    # The secret was set by this call: its answer shows it (the only time it is shown).
    reveal_secret: bool


def _check_not_duplicate(session: Session, owner: User, url: str, events: list[str],
                         exclude_id: int | None = None) -> None:
    """One owner's two subscriptions of a URL to the same events would deliver everything
    twice: the second one is refused (a URL may take different events in different ones)."""
    stmt = select(WebhookEndpoint.events).where(WebhookEndpoint.owner_id == owner.id,
                                                WebhookEndpoint.url == url)
    if exclude_id is not None:
        stmt = stmt.where(WebhookEndpoint.id != exclude_id)
    if any(sorted(existing) == sorted(events) for existing in session.scalars(stmt)):
        raise WebhookAlreadyExists("you already have a webhook for this URL and these events",
                                   field="url")


def create_webhook(session: Session, *, actor: User, data: WebhookCreate,
                   settings: Settings) -> WebhookView:
    _require_agent(actor)
    now = utcnow()
    url, events = _url(data.url, settings), _events(data.events)
    _check_not_duplicate(session, actor, url, events)
    endpoint = WebhookEndpoint(
        public_id=uuid.uuid4(), owner_id=actor.id, url=url, events=events,
        secret=_secret(data.secret) if data.secret is not None else signing.generate_secret(),
        active=data.active, description=data.description, created_at=now, updated_at=now)
    session.add(endpoint)
    session.flush()
    endpoint.owner = actor
    return WebhookView(endpoint, reveal_secret=True)


def _visible(actor: User) -> Select[tuple[WebhookEndpoint]]:
    stmt = select(WebhookEndpoint).options(joinedload(WebhookEndpoint.owner))
    return stmt if _is_admin(actor) else stmt.where(WebhookEndpoint.owner_id == actor.id)


def _page_count(total: int, size: int) -> int:
    return max(1, math.ceil(total / size))


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    pages: int


def list_webhooks(session: Session, *, actor: User, page: int, size: int
                  ) -> Page[WebhookEndpoint]:
    """Newest first: the caller's own, or everyone's for an administrator."""
    _require_agent(actor)
    stmt = _visible(actor)
    total = int(session.scalar(select(func.count()).select_from(
        stmt.with_only_columns(WebhookEndpoint.id).subquery())) or 0)
    items = list(session.scalars(stmt.order_by(WebhookEndpoint.id.desc())
                                 .offset((page - 1) * size).limit(size)))
    return Page(items, total, _page_count(total, size))


def get_webhook(session: Session, *, actor: User, webhook_id: uuid.UUID) -> WebhookEndpoint:
    _require_agent(actor)
    endpoint = session.scalar(_visible(actor).where(WebhookEndpoint.public_id == webhook_id))
    if endpoint is None:
        # Someone else's subscription is as absent as one that never existed.
        raise WebhookNotFound("webhook not found")
    return endpoint


def update_webhook(session: Session, *, actor: User, webhook_id: uuid.UUID,
                   data: WebhookUpdate, settings: Settings) -> WebhookView:
    endpoint = get_webhook(session, actor=actor, webhook_id=webhook_id)
    given = data.model_fields_set
    if data.secret is not None and data.regenerate_secret:
        raise InvalidWebhookSecret("give a secret or regenerate_secret, not both",
                                   field="secret")
    if "url" in given and data.url is not None:
        endpoint.url = _url(data.url, settings)
    if "events" in given and data.events is not None:
        endpoint.events = _events(data.events)
    if given & {"url", "events"}:
        _check_not_duplicate(session, endpoint.owner, endpoint.url, list(endpoint.events),
                             exclude_id=endpoint.id)
    if "description" in given:
        endpoint.description = data.description
    reveal = False
    if data.secret is not None:
        endpoint.secret = _secret(data.secret)
        reveal = True
    elif data.regenerate_secret:
        endpoint.secret = signing.generate_secret()
        reveal = True
    if data.active is not None and data.active != endpoint.active:
        endpoint.active = data.active
        if data.active:
            # Switched back on: a fresh start, the old failure streak forgotten.
            endpoint.disabled_at = None
            endpoint.disabled_reason = None
            endpoint.failing_since = None
    endpoint.updated_at = utcnow()
    session.flush()
    return WebhookView(endpoint, reveal_secret=reveal)


def delete_webhook(session: Session, *, actor: User, webhook_id: uuid.UUID) -> None:
    """Gone with its delivery log; queued delivery jobs find nothing and end."""
    endpoint = get_webhook(session, actor=actor, webhook_id=webhook_id)
    session.delete(endpoint)
    session.flush()


# ---------------------------------------------------------------------------- delivery log

@dataclass(frozen=True, slots=True)
class DeliveryRow:
    delivery: WebhookDelivery
    endpoint: WebhookEndpoint
    event_public_id: uuid.UUID


def list_deliveries(session: Session, *, actor: User, webhook_id: uuid.UUID, page: int,
                    size: int, status: DeliveryStatus | None = None,
                    event_type: str | None = None) -> Page[DeliveryRow]:
    """An endpoint's deliveries, newest first."""
    endpoint = get_webhook(session, actor=actor, webhook_id=webhook_id)
    filters: list[Any] = [WebhookDelivery.endpoint_id == endpoint.id]
    if status is not None:
        filters.append(WebhookDelivery.status == status.value)
    if event_type is not None:
        filters.append(WebhookDelivery.event_type == event_type)
    total = int(session.scalar(select(func.count()).select_from(WebhookDelivery)
                               .where(*filters)) or 0)
    rows = session.execute(
        select(WebhookDelivery, Event.public_id).join(Event, Event.id == WebhookDelivery.event_id)
        .where(*filters)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .offset((page - 1) * size).limit(size)).all()
    return Page([DeliveryRow(d, endpoint, event_id) for d, event_id in rows], total,
                _page_count(total, size))


@dataclass(frozen=True, slots=True)
class DeliveryDetails:
    delivery: WebhookDelivery
    endpoint: WebhookEndpoint
    event: Event
    attempts: list[WebhookAttempt]

    @property
    def payload(self) -> dict[str, Any]:
        return delivery_payload(self.endpoint, self.event)


def delivery_payload(endpoint: WebhookEndpoint, event: Event) -> dict[str, Any]:
    return signing.payload(event_type=event.type, created_at=event.created_at,
                           data=event.data or {}, webhook_public_id=endpoint.public_id,
                           event_public_id=event.public_id)


def _delivery(session: Session, endpoint: WebhookEndpoint,
              delivery_id: uuid.UUID) -> tuple[WebhookDelivery, Event]:
    row = session.execute(
        select(WebhookDelivery, Event).join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.public_id == delivery_id,
               WebhookDelivery.endpoint_id == endpoint.id)).one_or_none()
    if row is None:
        raise DeliveryNotFound("delivery not found")
    return row[0], row[1]


def get_delivery(session: Session, *, actor: User, webhook_id: uuid.UUID,
                 delivery_id: uuid.UUID) -> DeliveryDetails:
    endpoint = get_webhook(session, actor=actor, webhook_id=webhook_id)
    delivery, event = _delivery(session, endpoint, delivery_id)
    attempts = list(session.scalars(select(WebhookAttempt)
                                    .where(WebhookAttempt.delivery_id == delivery.id)
                                    .order_by(WebhookAttempt.number)))
    return DeliveryDetails(delivery, endpoint, event, attempts)


def delivery_job_row(*, delivery_id: int, at: datetime) -> dict[str, Any]:
    """An automatic delivery's job as INSERT values (fan-out writes them in bulk)."""
    return {"kind": DELIVER_JOB, "payload": {"delivery_id": delivery_id, "manual": False,
                                             "once": False},
            "status": JobStatus.QUEUED.value, "run_at": at, "attempts": 0,
            "max_attempts": DELIVER_JOB_MAX_ATTEMPTS, "dedupe_key": None, "created_at": at}


def enqueue_delivery(session: Session, *, delivery_id: int, manual: bool = False,
                     once: bool = False) -> None:
    """`manual`: a redelivery (outside the retry schedule); `once`: the delivery's only
    attempt, whose failure is final (pings)."""
    enqueue_job(session, kind=DELIVER_JOB,
                payload={"delivery_id": delivery_id, "manual": manual, "once": once},
                max_attempts=DELIVER_JOB_MAX_ATTEMPTS)


def redeliver(session: Session, *, actor: User, webhook_id: uuid.UUID,
              delivery_id: uuid.UUID) -> DeliveryRow:
    """Send a delivery once more, whatever its status: same body, same `webhook-id`. It does
    not use up an automatic retry; its outcome shows in the attempt log."""
    endpoint = get_webhook(session, actor=actor, webhook_id=webhook_id)
    if not endpoint.active:
        raise WebhookInactive("the webhook is inactive: activate it before redelivering")
    delivery, event = _delivery(session, endpoint, delivery_id)
    enqueue_delivery(session, delivery_id=delivery.id, manual=True)
    session.flush()
    return DeliveryRow(delivery, endpoint, event.public_id)


def ping_webhook(session: Session, *, actor: User, webhook_id: uuid.UUID) -> DeliveryRow:
    """A `webhook.ping` delivery to this endpoint alone, logged like any other."""
    endpoint = get_webhook(session, actor=actor, webhook_id=webhook_id)
    if not endpoint.active:
        raise WebhookInactive("the webhook is inactive: activate it before pinging it")
    now = utcnow()
    event = Event(public_id=uuid.uuid4(), type=PING_EVENT, ticket_id=None, queue_id=None,
                  actor_id=actor.id, created_at=now, dispatched_at=now,
                  data={"webhook": {"id": str(endpoint.public_id), "url": endpoint.url},
                        "requested_by": {"id": actor.id, "public_id": str(actor.public_id),
                                         "username": actor.username}})
    session.add(event)
    session.flush()
    delivery = WebhookDelivery(public_id=uuid.uuid4(), endpoint_id=endpoint.id,
                               event_id=event.id, event_type=PING_EVENT,
                               status=DeliveryStatus.PENDING.value, attempt_count=0,
                               automatic_attempts=0, next_attempt_at=now, created_at=now,
                               updated_at=now)
    session.add(delivery)
    session.flush()
    enqueue_delivery(session, delivery_id=delivery.id, manual=True, once=True)
    session.flush()
    return DeliveryRow(delivery, endpoint, event.public_id)
