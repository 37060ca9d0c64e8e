from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from ticketry.domain.notifications.models import Notification, NotificationKind
from ticketry.domain.tickets.models import TicketWatcher
from ticketry.domain.users.models import User
from ticketry.domain.users.schemas import UserSummary


class NotificationTicket(BaseModel):
    id: uuid.UUID
    key: str
    title: str


class NotificationRead(BaseModel):
    id: uuid.UUID
    kind: NotificationKind
    title: str
    body: str
    data: dict[str, Any]
    ticket: NotificationTicket | None
    read: bool
    read_at: datetime | None
    created_at: datetime
    email_status: str | None
    email_sent_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    total: int
    page: int
    size: int
    pages: int


class UnreadCount(BaseModel):
    unread: int


class ReadAllResult(BaseModel):
    marked_read: int
    unread: int


class WatcherAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Unset: the caller watches the ticket themselves.
    user_id: uuid.UUID | None = None


class WatcherRead(BaseModel):
    user: UserSummary
    watching_since: datetime


def notification_read(notification: Notification) -> NotificationRead:
    """`notification.ticket` must be loaded (the inbox queries join it)."""
    ticket = notification.ticket
    return NotificationRead(
        id=notification.public_id, kind=NotificationKind(notification.kind),
        title=notification.title, body=notification.body, data=notification.data or {},
        ticket=NotificationTicket(id=ticket.public_id, key=ticket.key, title=ticket.title)
        if ticket is not None else None,
        read=notification.read_at is not None, read_at=notification.read_at,
        created_at=notification.created_at, email_status=notification.email_status,
        email_sent_at=notification.email_sent_at,
    )


def watcher_read(watcher: TicketWatcher, user: User) -> WatcherRead:
    return WatcherRead(user=UserSummary(id=user.public_id, username=user.username,
                                        full_name=user.full_name, email=user.email),
                       watching_since=watcher.created_at)
