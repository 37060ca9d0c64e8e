"""Writing events (inside the change's transaction) and fanning them out (in the worker)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from ticketry.db import utcnow
from ticketry.domain.events.models import Event
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import User


class EventType(enum.StrEnum):
    TICKET_CREATED = "ticket.created"
    TICKET_UPDATED = "ticket.updated"
    TICKET_STATUS_CHANGED = "ticket.status_changed"
    TICKET_ASSIGNED = "ticket.assigned"
    TICKET_DELETED = "ticket.deleted"
    COMMENT_ADDED = "comment.added"
    FILE_UPLOADED = "file.uploaded"
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_PROCESSED = "approval.processed"
    TICKET_SLA_BREACHED = "ticket.sla_breached"
    WEBHOOK_DISABLED = "webhook.disabled"


EVENT_TYPES: tuple[str, ...] = tuple(e.value for e in EventType)

# A fan-out step: given a batch of new events, write what they cause (webhook deliveries,
# notifications) in the dispatcher's transaction.
EventSubscriber = Callable[[Session, Sequence[Event]], None]


def user_ref(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "public_id": str(user.public_id), "username": user.username}


def ticket_snapshot(ticket: Ticket, *, requester: User | None = None,
                    assignee: User | None = None) -> dict[str, Any]:
    """The ticket as events carry it: the enterprise document's payload (`id`,
    `ticket_number`, `title`, `status`, `created_by`) plus the canonical identifiers."""
    return {
        "id": ticket.id,
        "public_id": str(ticket.public_id),
        "ticket_number": ticket.key,
        "queue_id": ticket.queue_id,
        "title": ticket.title,
        "status": ticket.status,
        "status_category": ticket.status_category,
        "priority": ticket.priority,
        "ticket_type": ticket.ticket_type,
        "category": ticket.category,
        "team_id": ticket.team_id,
        "created_by": user_ref(requester),
        "assigned_to": user_ref(assignee),
        "created_at": ticket.created_at.isoformat() if ticket.created_at else None,
        "updated_at": ticket.updated_at.isoformat() if ticket.updated_at else None,
    }


def snapshot_from_row(ticket_id: int, row: dict[str, Any], *,
                      requester: User | None) -> dict[str, Any]:
    """`ticket_snapshot` for a ticket written by a bulk INSERT (imports): from its values."""
    created = row.get("created_at")
    updated = row.get("updated_at")
    return {
        "id": ticket_id, "public_id": str(row["public_id"]), "ticket_number": row["key"],
        "queue_id": row["queue_id"], "title": row["title"], "status": row["status"],
        "status_category": row["status_category"], "priority": row.get("priority"),
        "ticket_type": row.get("ticket_type"), "category": row.get("category"),
        "team_id": row.get("team_id"), "created_by": user_ref(requester), "assigned_to": None,
        "created_at": created.isoformat() if created else None,
        "updated_at": updated.isoformat() if updated else None,
    }


def event_row(*, type: EventType | str, actor: User | None, ticket_id: int | None,
              queue_id: int | None, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    """An event as values for a bulk INSERT (same transaction as the bulk change)."""
    return {"public_id": uuid.uuid4(), "type": str(type), "ticket_id": ticket_id,
            "queue_id": queue_id, "actor_id": actor.id if actor else None, "data": data,
            "created_at": at, "dispatched_at": None}


def emit_event(session: Session, *, type: EventType | str, actor: User | None,
               ticket: Ticket | None = None, data: dict[str, Any] | None = None,
               at: datetime | None = None) -> Event:
    """Add an event to the current transaction; it is committed (or dropped) with the change.
    Written now, like `emit_ticket_event`'s, so events keep the order they were emitted in."""
    event = session.scalars(insert(Event).returning(Event),
                            [_event_values(type, actor, ticket, data, at)]).one()
    mark_events_emitted(session)
    return event


def _event_values(type: EventType | str, actor: User | None, ticket: Ticket | None,
                  data: dict[str, Any] | None, at: datetime | None) -> dict[str, Any]:
    payload = dict(data or {})
    if ticket is not None and "ticket" not in payload:
        payload["ticket"] = ticket_snapshot(ticket)
    return {"public_id": uuid.uuid4(), "type": str(type),
            "ticket_id": ticket.id if ticket is not None else None,
            "queue_id": ticket.queue_id if ticket is not None else None,
            "actor_id": actor.id if actor is not None else None, "data": payload,
            "created_at": at or utcnow()}


# Set on a session that wrote events, so a worker in the same process can be woken the moment
# the transaction commits (see ticketry.worker.runner.EmbeddedWorker).
EVENTS_EMITTED = "ticketry.events_emitted"


def mark_events_emitted(session: Session) -> None:
    session.info[EVENTS_EMITTED] = True


def emit_ticket_event(session: Session, *, type: EventType | str, actor: User | None,
                      ticket: Ticket, extra: dict[str, Any] | None = None,
                      at: datetime | None = None) -> None:
    """An event about a ticket whose requester and assignee are loaded, written now as a plain
    INSERT: every ticket mutation emits one, and through the ORM's unit of work it cost about
    as much as the rest of a ticket's creation."""
    data = {"ticket": ticket_snapshot(ticket, requester=_loaded(ticket, "requester"),
                                      assignee=_loaded(ticket, "assignee"))}
    data.update(extra or {})
    session.connection().execute(_INSERT_EVENT, _event_values(type, actor, ticket, data, at))
    mark_events_emitted(session)


_INSERT_EVENT = insert(cast(Table, Event.__table__))


def _loaded(ticket: Ticket, name: str) -> User | None:
    # lazy="raise" relationships: use them only when the service already loaded them.
    value = ticket.__dict__.get(name)
    return value if isinstance(value, User) else None


def dispatch_events(session: Session, *, subscribers: Sequence[EventSubscriber],
                    limit: int = 200) -> int:
    """Fan out one batch of undispatched events; returns how many.

    On PostgreSQL the batch is claimed with FOR UPDATE SKIP LOCKED, so several workers take
    different batches; the fan-out and the dispatched mark commit together, so a worker that
    dies mid-batch leaves the batch to the next one.
    """
    events = session.scalars(
        select(Event).where(Event.dispatched_at.is_(None)).order_by(Event.id).limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not events:
        return 0
    for subscriber in subscribers:
        subscriber(session, events)
    session.execute(update(Event).where(Event.id.in_([e.id for e in events]))
                    .values(dispatched_at=utcnow()))
    session.flush()
    return len(events)


def has_undispatched_events(session: Session) -> bool:
    """A cheap read an idle worker makes before it takes a write lock for a batch."""
    return session.scalar(select(Event.id).where(Event.dispatched_at.is_(None)).limit(1)) \
        is not None


def list_events(session: Session, *, ticket_id: int | None = None,
                types: Sequence[str] | None = None, limit: int = 100) -> Sequence[Event]:
    stmt = select(Event).order_by(Event.id.desc()).limit(limit)
    if ticket_id is not None:
        stmt = stmt.where(Event.ticket_id == ticket_id)
    if types:
        stmt = stmt.where(Event.type.in_(list(types)))
    return session.scalars(stmt).all()
