"""The document's numbers (ticket 123, user 5, department 1) turned into core objects."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from fastapi import Request

from ticketry.domain.errors import NotFound, ValidationFailed
from ticketry.domain.queues.config import QueueConfig
from ticketry.domain.queues.service import find_queue_config
from ticketry.domain.tickets import service as tickets
from ticketry.domain.tickets.errors import TicketNotFound
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users import service as users
from ticketry.domain.users.models import User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MAX_ID = 2_147_483_647


def queue_config(request: Request, session: Session) -> QueueConfig:
    return find_queue_config(session, request.app.state.queue_key)


def queue_key(request: Request) -> str:
    key: str = request.app.state.queue_key
    return key


def ticket_of(request: Request, session: Session, actor: User, ref: str) -> Ticket:
    """A ticket of this desk by its id (`123`) or its number (`TKT-20231201-001`)."""
    if ref.isdigit() and int(ref) <= MAX_ID:
        ticket = tickets.get_ticket_by_id(session, actor=actor, id=int(ref))
    elif ref.isdigit() or not ref or len(ref) > 64:
        raise TicketNotFound(f"ticket {ref[:64]} not found")
    else:
        ticket = tickets.get_ticket_by_key(session, actor=actor, key=ref)
    if ticket.queue_id != queue_config(request, session).id:
        raise TicketNotFound(f"ticket {ref} not found")
    return ticket


def user_public_id(session: Session, actor: User, user_id: int, field: str) -> uuid.UUID:
    """A user named in a request body: missing is bad input naming the field."""
    try:
        return users.get_user(session, actor=actor, user_id=user_id).public_id
    except NotFound:
        raise NotFound(f"user {user_id} does not exist", field=field) from None


def team_public_id(session: Session, code: int, field: str = "department_id") -> uuid.UUID:
    return users.get_team_by_code(session, code, field=field).public_id


def number(ref: str, what: str) -> int:
    """A path id that must be a number; anything else names nothing."""
    if not ref.isdigit() or int(ref) > MAX_ID:
        raise NotFound(f"{what} {ref[:64]} not found")
    return int(ref)


def _allowed(config: QueueConfig, field: str) -> list[str]:
    return list(config.statuses if field == "status" else
                config.priorities if field == "priority" else config.ticket_types)


def _refuse(config: QueueConfig, field: str, provided: str) -> ValidationFailed:
    message = f"{field} must be one of: {', '.join(_allowed(config, field))}"
    return ValidationFailed(message, details=[{"field": field, "message": message,
                                               "provided_value": provided}])


def choices(config: QueueConfig, raw: str | list[str] | None, field: str) -> list[str]:
    """Filter values (`open` or `open,in_progress`, or a list), each a value of the queue."""
    given = raw if isinstance(raw, list) else (raw or "").split(",")
    values = [v.strip() for v in given if v.strip()]
    wrong = [v for v in values if v not in _allowed(config, field)]
    if wrong:
        raise _refuse(config, field, ",".join(wrong))
    return values


def check_choices(config: QueueConfig, **values: str | None) -> None:
    """Statuses, priorities and types given in a body: values of the queue (the core checks
    them too; here the answer can show the value sent, as the document's details do)."""
    for field, value in values.items():
        if value is not None and value not in _allowed(config, field):
            raise _refuse(config, field, value)
