"""Running the worker and reading inboxes, for the notification tests (domain and API)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.notifications.models import Notification
from ticketry.domain.users.models import User
from ticketry.worker.runner import Worker


def drain(db: Database, settings: Settings) -> int:
    """Let the worker fan out every event and run every job that is due."""
    return asyncio.run(Worker(db, settings).drain())


def inbox(session: Session, user: User) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.id)))


def kinds(session: Session, *users: User) -> dict[str, list[str]]:
    """Each person's notification kinds, oldest first."""
    return {user.username: [n.kind for n in inbox(session, user)] for user in users}
