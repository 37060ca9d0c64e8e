"""Every table of the domain, imported in one place for Alembic and the metadata."""

from ticketry.domain.api_tokens.models import ApiToken
from ticketry.domain.approvals import models as approvals_models
from ticketry.domain.attachments.models import Attachment
from ticketry.domain.auth.models import AuthSession, RefreshToken
from ticketry.domain.classification.models import ClassifierModel
from ticketry.domain.comments.models import Comment
from ticketry.domain.events.models import Event
from ticketry.domain.history.models import TicketHistory
from ticketry.domain.idempotency.models import IdempotencyRecord
from ticketry.domain.jobs.models import Job
from ticketry.domain.links.models import TicketLink
from ticketry.domain.notifications import models as notifications_models
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
from ticketry.domain.webhooks import models as webhooks_models

__all__ = [
    "ApiToken",
    "Attachment",
    "AuthSession",
    "ClassifierModel",
    "Comment",
    "Event",
    "IdempotencyRecord",
    "Job",
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
    "TicketLink",
    "TicketTag",
    "TicketWatcher",
    "User",
    "approvals_models",
    "notifications_models",
    "webhooks_models",
]
