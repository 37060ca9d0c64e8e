"""The worker's side of webhooks: fan events out to deliveries, prepare an attempt, record it.

The HTTP request itself happens between two short transactions (see `tasks.py`), so no
database transaction waits on a receiver.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from ticketry.config import Settings
from ticketry.db import utcnow
from ticketry.domain.events.models import Event
from ticketry.domain.events.service import EventType, emit_event
from ticketry.domain.jobs.models import Job
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.permissions import can_view
from ticketry.domain.users.models import Role, User
from ticketry.domain.webhooks import signing
from ticketry.domain.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from ticketry.domain.webhooks.service import ALL_EVENTS, delivery_job_row, delivery_payload

RESPONSE_BODY_LIMIT = 1024


def retry_delays(settings: Settings) -> list[float]:
    """`webhook_retry_schedule`: seconds to wait after each failed automatic attempt."""
    delays: list[float] = []
    for part in settings.webhook_retry_schedule.split(","):
        if part.strip():
            try:
                delays.append(max(0.0, float(part)))
            except ValueError as exc:
                raise ValueError(f"webhook_retry_schedule: {part.strip()!r} is not a number of "
                                 "seconds") from exc
    return delays


# ------------------------------------------------------------------------------- fan-out

def _internal(event: Event) -> bool:
    data = event.data or {}
    if event.type == EventType.COMMENT_ADDED:
        return bool((data.get("comment") or {}).get("is_internal"))
    if event.type == EventType.FILE_UPLOADED:
        return bool((data.get("file") or {}).get("is_internal"))
    return False


def _may_receive(owner: User, event: Event, tickets: dict[int, Ticket]) -> bool:
    """What the owner could see through the API is what their webhook receives."""
    if _internal(event) and not owner.is_agent:
        return False
    if event.ticket_id is None:
        # Not about a ticket (webhook.disabled...): administrators, and the people it names.
        named = (event.data or {}).get("notify_user_ids") or []
        return owner.role_enum is Role.ADMIN or owner.id in named
    ticket = tickets.get(event.ticket_id)
    if ticket is None:
        # Hard-deleted: nobody can view it any more; administrators deleted it.
        return owner.role_enum is Role.ADMIN
    return can_view(owner, ticket)


def fan_out(session: Session, events: Sequence[Event]) -> None:
    """One delivery row and one `webhook.deliver` job per (active subscription, event it
    matches and its owner may see). A fixed number of statements per batch."""
    endpoints = session.execute(
        select(WebhookEndpoint, User).join(User, User.id == WebhookEndpoint.owner_id)
        .where(WebhookEndpoint.active.is_(True), User.is_active.is_(True))
        .order_by(WebhookEndpoint.id)).all()
    if not endpoints:
        return
    wanted = [e for e in events
              if any(ALL_EVENTS in ep.events or e.type in ep.events for ep, _ in endpoints)]
    ticket_ids = {e.ticket_id for e in wanted if e.ticket_id is not None}
    tickets: dict[int, Ticket] = {}
    if ticket_ids:
        tickets = {t.id: t for t in session.scalars(select(Ticket)
                                                    .where(Ticket.id.in_(ticket_ids)))}
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for event in wanted:
        for endpoint, owner in endpoints:
            if ALL_EVENTS not in endpoint.events and event.type not in endpoint.events:
                continue
            if not _may_receive(owner, event, tickets):
                continue
            rows.append({"public_id": uuid.uuid4(), "endpoint_id": endpoint.id,
                         "event_id": event.id, "event_type": event.type,
                         "status": DeliveryStatus.PENDING.value, "attempt_count": 0,
                         "automatic_attempts": 0, "next_attempt_at": now, "created_at": now,
                         "updated_at": now})
    if not rows:
        return
    ids = session.scalars(insert(WebhookDelivery).returning(WebhookDelivery.id), rows).all()
    # What `enqueue_delivery` writes, as one multi-row INSERT (the ORM would send one
    # INSERT per job on SQLite).
    session.execute(insert(Job), [delivery_job_row(delivery_id=i, at=now) for i in ids])


# ------------------------------------------------------------------------------ attempts

@dataclass(frozen=True, slots=True)
class AttemptPlan:
    """Everything one attempt needs, read in the first transaction."""

    delivery_id: int
    endpoint_id: int
    url: str
    secret: str
    message_id: str
    body: bytes
    manual: bool
    once: bool


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response_body: str | None
    request_info: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status_code is not None \
            and 200 <= self.status_code < 300


def prepare_attempt(session: Session, *, delivery_id: int, manual: bool,
                    once: bool = False) -> AttemptPlan | None:
    """The attempt to make, or None when there is nothing to send: the delivery (or its
    endpoint) is gone, it already succeeded, or the endpoint was switched off."""
    row = session.execute(
        select(WebhookDelivery, WebhookEndpoint, Event)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id == delivery_id)).one_or_none()
    if row is None:
        return None
    delivery, endpoint, event = row
    if not manual and delivery.status != DeliveryStatus.PENDING.value:
        return None
    if not endpoint.active:
        if not manual and delivery.status == DeliveryStatus.PENDING.value:
            now = utcnow()
            delivery.status = DeliveryStatus.FAILED.value
            delivery.last_error = "not sent: the webhook is inactive"
            delivery.next_attempt_at = None
            delivery.completed_at = delivery.updated_at = now
            session.flush()
        return None
    body = signing.body_bytes(delivery_payload(endpoint, event))
    return AttemptPlan(delivery_id=delivery.id, endpoint_id=endpoint.id, url=endpoint.url,
                       secret=endpoint.secret, message_id=signing.message_id(event.public_id),
                       body=body, manual=manual, once=once)


# How stale an endpoint's last_success_at may get before a success rewrites it.
_SUCCESS_MARK_INTERVAL = timedelta(seconds=30)


def record_attempt(session: Session, *, plan: AttemptPlan, outcome: AttemptOutcome,
                   settings: Settings) -> datetime | None:
    """Log the attempt and settle the delivery; returns when to try again, if at all."""
    delivery = session.get(WebhookDelivery, plan.delivery_id, with_for_update=True)
    if delivery is None:
        return None  # the webhook was deleted meanwhile
    now = utcnow()
    number = delivery.attempt_count + 1
    session.add(WebhookAttempt(
        delivery_id=delivery.id, number=number, manual=plan.manual,
        started_at=outcome.started_at, duration_ms=outcome.duration_ms,
        status_code=outcome.status_code, error=outcome.error,
        response_body=outcome.response_body, request_info=outcome.request_info))
    delivery.attempt_count = number
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    delivery.updated_at = now
    if not plan.manual:
        delivery.automatic_attempts += 1

    if outcome.succeeded:
        delivery.status = DeliveryStatus.SUCCEEDED.value
        delivery.next_attempt_at = None
        delivery.completed_at = now
        # The endpoint row is every delivery's: touch (and lock) it only when a success changes
        # something there, so concurrent deliveries to one endpoint do not queue on its lock.
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == delivery.endpoint_id,
                   or_(WebhookEndpoint.failing_since.is_not(None),
                       WebhookEndpoint.last_success_at.is_(None),
                       WebhookEndpoint.last_success_at < now - _SUCCESS_MARK_INTERVAL))
            .values(failing_since=None, last_success_at=now)
            .execution_options(synchronize_session=False))
        session.flush()
        return None

    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id, with_for_update=True)
    assert endpoint is not None

    if endpoint.failing_since is None:
        endpoint.failing_since = outcome.started_at
    window = timedelta(hours=settings.webhook_disable_after_hours)
    if endpoint.active and now - endpoint.failing_since >= window:
        _disable(session, endpoint, now=now, settings=settings)

    retry_at: datetime | None = None
    if delivery.status == DeliveryStatus.PENDING.value and (not plan.manual or plan.once):
        delays = retry_delays(settings)
        used = delivery.automatic_attempts
        if endpoint.active and not plan.once and used <= len(delays):
            retry_at = now + timedelta(seconds=delays[used - 1])
            delivery.next_attempt_at = retry_at
        else:
            delivery.status = DeliveryStatus.FAILED.value
            delivery.next_attempt_at = None
            delivery.completed_at = now
    # A failed manual redelivery leaves the status as it was (a delivery that once
    # succeeded stays succeeded; a pending one keeps its schedule).
    session.flush()
    return retry_at


def _disable(session: Session, endpoint: WebhookEndpoint, *, now: datetime,
             settings: Settings) -> None:
    assert endpoint.failing_since is not None
    since = signing.iso_z(endpoint.failing_since)
    reason = (f"every delivery failed since {since}, longer than "
              f"{settings.webhook_disable_after_hours:g} h without a success")
    endpoint.active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason
    endpoint.updated_at = now
    emit_event(session, type=EventType.WEBHOOK_DISABLED, actor=None, at=now, data={
        "webhook": {"id": str(endpoint.public_id), "url": endpoint.url,
                    "owner_id": endpoint.owner_id, "reason": reason},
        "notify_user_ids": [endpoint.owner_id]})
