"""In-app notifications, ticket watchers and notification e-mail."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketry.db import Base, JSONType, UTCDateTime, new_uuid, utcnow
from ticketry.domain.tickets.models import Ticket


class NotificationKind(enum.StrEnum):
    ASSIGNED = "assigned"
    MENTIONED = "mentioned"
    COMMENTED = "commented"
    STATUS_CHANGED = "status_changed"
    SLA_BREACHED = "sla_breached"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_PROCESSED = "approval_processed"
    WEBHOOK_DISABLED = "webhook_disabled"


class EmailStatus(enum.StrEnum):
    """What became of a notification's e-mail (no status: none was due)."""

    PENDING = "pending"  # queued, or being retried after a failed attempt
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt
    SKIPPED = "skipped"  # the recipient lost their address or was deactivated meanwhile


class Notification(Base):
    """One line of a user's inbox: at most one per user and event."""

    __tablename__ = "notifications"
    __table_args__ = (
        # Also answers "which notifications did these events already make" (event_id first).
        UniqueConstraint("event_id", "user_id"),
        # The inbox, newest first; and the same filtered by kind.
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_user_kind_created", "user_id", "kind", "created_at"),
        # The unread badge and ?unread=true only look at unread rows.
        Index("ix_notifications_user_unread", "user_id", "created_at",
              postgresql_where=text("read_at IS NULL"),
              sqlite_where=text("read_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    # Not a foreign key, like the events table's own references: events may be pruned.
    event_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    email_status: Mapped[str | None] = mapped_column(String(16))
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_error: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket | None] = relationship(lazy="raise")
