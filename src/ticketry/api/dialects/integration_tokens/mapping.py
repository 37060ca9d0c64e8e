"""Core ticket -> the document's ticket: labels instead of keys, names instead of ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ticketry.domain.queues.config import QueueConfig
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import User


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with an explicit offset, to the second: 2025-08-21T19:20:51+00:00."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.full_name or user.username


def ticket_document(ticket: Ticket, config: QueueConfig) -> dict[str, Any]:
    status = config.statuses.get(ticket.status)
    priority = config.priorities.get(ticket.priority) if ticket.priority else None
    category = config.categories.get(ticket.category) if ticket.category else None
    return {
        "ticket_number": ticket.key,
        "title": ticket.title,
        "description": ticket.description,
        "category": category.label if category else ticket.category,
        "created_by": _name(ticket.requester),
        "assigned_to": _name(ticket.assignee),
        "status": status.label if status else ticket.status,
        "priority": priority.label if priority else ticket.priority,
        "location": ticket.location,
        "department": ticket.team.name if ticket.team else None,
        "created_at": iso(ticket.created_at),
        "closed_on": iso(ticket.closed_at),
    }
