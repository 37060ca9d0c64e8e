"""Every table of the domain, imported in one place for Alembic and the metadata."""

from ticketry.domain.api_tokens.models import ApiToken
from ticketry.domain.attachments.models import Attachment
from ticketry.domain.auth.models import AuthSession, RefreshToken
from ticketry.domain.classification.models import ClassifierModel
from ticketry.domain.comments.models import Comment
from ticketry.domain.history.models import TicketHistory
from ticketry.domain.idempotency.models import IdempotencyRecord
from ticketry.domain.queues.models import (
    Queue,
    QueueCategory,
    QueueCounter,
    QueuePriority,
    QueueReferenceItem,
    QueueStatus,
    QueueTicketType,
)
from ticketry.domain.tickets.models import Ticket, TicketTag, TicketWatcher
from ticketry.domain.users.models import Team, User

__all__ = [
    "ApiToken",
    "Attachment",
    "AuthSession",
    "ClassifierModel",
    "Comment",
    "IdempotencyRecord",
    "Queue",
    "QueueCategory",
    "QueueCounter",
    "QueuePriority",
    "QueueReferenceItem",
    "QueueStatus",
    "QueueTicketType",
    "RefreshToken",
    "Team",
    "Ticket",
    "TicketHistory",
    "TicketTag",
    "TicketWatcher",
    "User",
]
