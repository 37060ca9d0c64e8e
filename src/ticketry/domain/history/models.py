from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketry.db import Base, JSONType, UTCDateTime, utcnow
from ticketry.domain.users.models import User


class ChangeType(enum.StrEnum):
    CREATED = "CREATED"
    STATUS_CHANGE = "STATUS_CHANGE"
    PRIORITY_CHANGE = "PRIORITY_CHANGE"
    ASSIGNMENT_CHANGE = "ASSIGNMENT_CHANGE"
    UPDATE = "UPDATE"
    COMMENT_ADDED = "COMMENT_ADDED"
    COMMENT_UPDATED = "COMMENT_UPDATED"
    COMMENT_DELETED = "COMMENT_DELETED"
    ATTACHMENT_ADDED = "ATTACHMENT_ADDED"
    ATTACHMENT_DELETED = "ATTACHMENT_DELETED"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REOPENED = "REOPENED"
    ESCALATED = "ESCALATED"
    SLA_BREACH = "SLA_BREACH"
    DELETED = "DELETED"
    # A change recorded by hand (healthcare's POST /modifications/), not made by Ticketry.
    MODIFICATION = "MODIFICATION"
    # Approval workflows: an approval became someone's to decide, was acted on (field = the
    # action, or "request" for the request's outcome), or was handed on for being overdue.
    APPROVAL_REQUESTED = "APPROVAL_REQUESTED"
    APPROVAL_PROCESSED = "APPROVAL_PROCESSED"
    APPROVAL_ESCALATED = "APPROVAL_ESCALATED"
    # Ticket links: field = the kind as this ticket sees it, new/old = the other ticket's key.
    LINK_ADDED = "LINK_ADDED"
    LINK_REMOVED = "LINK_REMOVED"


class TicketHistory(Base):
    __tablename__ = "ticket_history"
    __table_args__ = (Index("ix_ticket_history_ticket_created", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    change_type: Mapped[str] = mapped_column(String(32))
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="raise")
