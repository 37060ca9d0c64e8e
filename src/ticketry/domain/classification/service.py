"""Classifying tickets on request (`auto-classify`)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from ticketry.db import utcnow
from ticketry.domain.classification.rules import (
    Classification,
    apply_classification,
    classify_text,
)
from ticketry.domain.errors import PermissionDenied
from ticketry.domain.history.models import ChangeType
from ticketry.domain.history.service import record_change
from ticketry.domain.queues.service import get_queue_config
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.service import get_ticket
from ticketry.domain.users.models import User

__all__ = ["Classification", "auto_classify_ticket"]


def auto_classify_ticket(session: Session, *, actor: User,
                         ticket_id: uuid.UUID) -> tuple[Ticket, Classification]:
    """Classify a ticket now. A category a person chose (`manual_override`) is never replaced."""
    if not actor.is_agent:
        raise PermissionDenied("only agents may classify tickets")
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id, for_update=True)
    config = get_queue_config(session, ticket.queue_id)
    result = classify_text(config, ticket.title, ticket.description)
    old = ticket.category
    if apply_classification(ticket, result, set_category=True):
        record_change(session, ticket_id=ticket.id, actor=actor, change_type=ChangeType.UPDATE,
                      at=ticket.classified_at or utcnow(), field="category", old=old,
                      new=ticket.category, details={"by": "classifier",
                                                    "confidence": result.confidence})
    ticket.version += 1
    ticket.updated_at = ticket.classified_at or utcnow()
    session.flush()
    return ticket, result
