"""Classifying tickets on request (`auto-classify`)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketry.db import utcnow
from ticketry.domain.classification.choose import best_classification
from ticketry.domain.classification.models import ClassifierModel
from ticketry.domain.classification.rules import Classification, apply_classification
from ticketry.domain.errors import PermissionDenied, ValidationFailed
from ticketry.domain.history.models import ChangeType
from ticketry.domain.history.service import record_change
from ticketry.domain.queues.service import find_queue_config, get_queue_config
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.service import get_ticket
from ticketry.domain.users.models import Role, User

__all__ = ["Classification", "auto_classify_ticket", "train_queue_classifier"]


def auto_classify_ticket(session: Session, *, actor: User,
                         ticket_id: uuid.UUID) -> tuple[Ticket, Classification]:
    """Classify a ticket now. A category a person chose (`manual_override`) is never replaced."""
    if not actor.is_agent:
        raise PermissionDenied("only agents may classify tickets")
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id, for_update=True)
    config = get_queue_config(session, ticket.queue_id)
    result = best_classification(session, config, ticket.title, ticket.description)
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


def train_queue_classifier(session: Session, *, actor: User, queue_key: str) -> ClassifierModel:
    """Learn the queue's categories from its tickets whose category a person chose: set at
    creation without the classifier, or corrected afterwards (`manual_override`)."""
    if actor.role_enum is not Role.ADMIN:
        raise PermissionDenied("only an administrator may train a queue's classifier")
    from ticketry.domain.classification import learned  # scikit-learn: only when training
    config = find_queue_config(session, queue_key)
    rows = session.execute(
        select(Ticket.title, Ticket.description, Ticket.category)
        .where(Ticket.queue_id == config.id, Ticket.category.is_not(None),
               Ticket.deleted_at.is_(None),
               (Ticket.manual_override.is_(True)) | (Ticket.classified_at.is_(None)))).all()
    labels = [row.category for row in rows]
    if len(rows) < learned.MIN_SAMPLES or len(set(labels)) < 2:
        raise ValidationFailed(
            f"queue {queue_key!r} has {len(rows)} tickets with a confirmed category in "
            f"{len(set(labels))} categories; at least {learned.MIN_SAMPLES} in 2 are needed")
    trained = learned.train([learned.ticket_text(r.title, r.description) for r in rows], labels)
    model = ClassifierModel(queue_id=config.id, samples=trained.samples,
                            accuracy=trained.accuracy, algorithm=learned.ALGORITHM,
                            payload=learned.dump(trained.pipeline))
    session.add(model)
    session.flush()
    return model
