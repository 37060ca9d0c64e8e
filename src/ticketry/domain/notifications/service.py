"""The inbox (list, count, mark read) and ticket watchers (who follows a ticket)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ticketry.db import utcnow
from ticketry.domain.history.models import ChangeType
from ticketry.domain.history.service import record_change
from ticketry.domain.notifications.errors import (
    NotificationNotFound,
    WatcherNotAllowed,
    WatcherPermissionDenied,
)
from ticketry.domain.notifications.models import Notification, NotificationKind
from ticketry.domain.tickets import permissions
from ticketry.domain.tickets.models import Ticket, TicketWatcher
from ticketry.domain.tickets.service import get_ticket
from ticketry.domain.users.errors import UserNotFound
from ticketry.domain.users.models import User

# --------------------------------------------------------------------------- the inbox


@dataclass(frozen=True, slots=True)
class NotificationListPage:
    items: Sequence[Notification]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.size) if self.size else 0


# The inbox shows each ticket's key and title, nothing more.
_WITH_TICKET = joinedload(Notification.ticket).load_only(Ticket.public_id, Ticket.key, Ticket.title)


def list_notifications(session: Session, *, actor: User, unread: bool | None = None,
                       kind: NotificationKind | None = None, page: int = 1,
                       size: int = 20) -> NotificationListPage:
    """The actor's own notifications, newest first."""
    where: list[ColumnElement[bool]] = [Notification.user_id == actor.id]
    if unread is True:
        where.append(Notification.read_at.is_(None))
    elif unread is False:
        where.append(Notification.read_at.is_not(None))
    if kind is not None:
        where.append(Notification.kind == kind.value)
    total = int(session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0)
    items = session.scalars(
        select(Notification).where(*where).options(_WITH_TICKET)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * size).limit(size)
    ).all()
    return NotificationListPage(items=items, total=total, page=page, size=size)


def count_unread(session: Session, *, actor: User) -> int:
    return int(session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))) or 0)


def mark_notification(session: Session, *, actor: User, notification_id: uuid.UUID,
                      read: bool) -> Notification:
    """Mark one of the actor's notifications read or unread (others' are not found)."""
    notification = session.scalars(
        select(Notification).options(_WITH_TICKET)
        .where(Notification.public_id == notification_id, Notification.user_id == actor.id)
    ).one_or_none()
    if notification is None:
        raise NotificationNotFound(f"notification {notification_id} not found")
    if read and notification.read_at is None:
        notification.read_at = utcnow()
    elif not read:
        notification.read_at = None
    session.flush()
    return notification


def mark_all_read(session: Session, *, actor: User) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- watchers


def list_watchers(session: Session, *, actor: User, ticket_id: uuid.UUID
                  ) -> list[tuple[TicketWatcher, User]]:
    """Who watches a ticket the actor may see, longest-watching first."""
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id)
    rows = session.execute(
        select(TicketWatcher, User).join(User, User.id == TicketWatcher.user_id)
        .where(TicketWatcher.ticket_id == ticket.id)
        .order_by(TicketWatcher.created_at, User.username)).all()
    return [(watcher, user) for watcher, user in rows]


def _other_person(session: Session, actor: User, user_id: uuid.UUID | None,
                  verb: str) -> User | None:
    """The person named by `user_id` when it is not the actor (None: the actor themselves).

    Only agents act on other people's subscriptions."""
    if user_id is None or user_id == actor.public_id:
        return None
    if not actor.is_agent:
        raise WatcherPermissionDenied(f"only agents may {verb} other people as watchers")
    return session.scalars(select(User).where(User.public_id == user_id)).one_or_none()


def _watcher_names(session: Session, ticket_id: int) -> list[str]:
    return list(session.scalars(
        select(User.username).join(TicketWatcher, TicketWatcher.user_id == User.id)
        .where(TicketWatcher.ticket_id == ticket_id).order_by(User.username)))


def _record_watchers_change(session: Session, *, ticket: Ticket, actor: User,
                            before: list[str], target: User, added: bool) -> None:
    # Someone changing another person's subscription is part of the ticket's story; people
    # following or leaving a ticket themselves are not.
    after = sorted({*before, target.username}) if added else \
        [name for name in before if name != target.username]
    record_change(session, ticket_id=ticket.id, actor=actor, change_type=ChangeType.UPDATE,
                  at=utcnow(), field="watchers", old=", ".join(before) or None,
                  new=", ".join(after) or None,
                  details={"watcher": str(target.public_id),
                           "action": "added" if added else "removed"})


def watch_ticket(session: Session, *, actor: User, ticket_id: uuid.UUID,
                 user_id: uuid.UUID | None = None) -> tuple[TicketWatcher, User, bool]:
    """Make the actor (or, for agents, another person) watch a ticket.

    Idempotent: returns the watcher row, its user, and whether it was just created."""
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id, for_update=True)
    other = _other_person(session, actor, user_id, "add")
    if user_id is not None and other is None and user_id != actor.public_id:
        raise WatcherNotAllowed(f"user {user_id} does not exist", field="user_id")
    target = other or actor
    if other is not None and not other.is_active:
        raise WatcherNotAllowed(f"{other.username} is deactivated and cannot watch tickets",
                                field="user_id")
    if other is not None and not permissions.can_view(other, ticket):
        raise WatcherNotAllowed(f"{other.username} may not see ticket {ticket.key}",
                                field="user_id")
    existing = session.get(TicketWatcher, (ticket.id, target.id))
    if existing is not None:
        return existing, target, False
    before = _watcher_names(session, ticket.id) if other is not None else []
    watcher = TicketWatcher(ticket_id=ticket.id, user_id=target.id, created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(watcher)
            session.flush()
    except IntegrityError:
        # A concurrent request added the same watcher first: same outcome.
        found = session.get(TicketWatcher, (ticket.id, target.id))
        if found is None:
            raise
        return found, target, False
    if other is not None:
        _record_watchers_change(session, ticket=ticket, actor=actor, before=before,
                                target=other, added=True)
        session.flush()
    return watcher, target, True


def unwatch_ticket(session: Session, *, actor: User, ticket_id: uuid.UUID,
                   user_id: uuid.UUID | None = None) -> bool:
    """Stop the actor (or, for agents, another person) watching; False if they were not."""
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id, for_update=True)
    other = _other_person(session, actor, user_id, "remove")
    if user_id is not None and other is None and user_id != actor.public_id:
        raise UserNotFound(f"user {user_id} not found")
    target = other or actor
    watcher = session.get(TicketWatcher, (ticket.id, target.id))
    if watcher is None:
        return False
    before = _watcher_names(session, ticket.id) if other is not None else []
    session.delete(watcher)
    if other is not None:
        _record_watchers_change(session, ticket=ticket, actor=actor, before=before,
                                target=other, added=False)
    session.flush()
    return True
