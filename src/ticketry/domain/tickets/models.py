from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketry.db import Base, JSONType, UTCDateTime, new_uuid, utcnow
from ticketry.domain.queues.models import Queue
from ticketry.domain.users.models import Team, User

_TICKET_OPEN = "resolved_at IS NULL AND closed_at IS NULL AND deleted_at IS NULL"
_RESPONSE_OPEN = f"response_breached_at IS NULL AND first_response_at IS NULL AND {_TICKET_OPEN}"
_RESOLUTION_OPEN = f"resolution_breached_at IS NULL AND {_TICKET_OPEN}"


# Columns most tickets leave empty (outside identifiers, a desk's own fields, the team, the
# resolution and deletion times): their indexes hold only the tickets that have a value. Every
# filter on them compares a value, which implies it is present, so both backends still use the
# index; a new ticket skips each of them (fewer pages written per create), and `deleted_at IS
# NULL`, true of nearly every ticket, can no longer be planned through an index (see 0015).
SPARSE_INDEXED_COLUMNS = ("customer_id", "assignee_ref", "team_id", "location", "tool",
                          "environment", "resolved_at", "deleted_at")
# The customer's email is filtered case-blind (`lower(customer_email) = ?`): indexed so. SQLite
# uses a partial index on an expression only when the query repeats the index's WHERE term,
# which the filter does.
CUSTOMER_EMAIL_PRESENT = "customer_email IS NOT NULL"


def _sparse_index(column: str) -> Index:
    present = text(f"{column} IS NOT NULL")
    return Index(f"ix_tickets_{column}", column, postgresql_where=present, sqlite_where=present)


class Ticket(Base):
    """The union of what the documents describe; each API shows its own slice of it."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_queue_status", "queue_id", "status"),
        Index("ix_tickets_queue_created", "queue_id", "created_at"),
        # The list filtered by status, newest first (the default sort), and its COUNT.
        Index("ix_tickets_status_created", "status", "created_at", "deleted_at",
              postgresql_where=text("deleted_at IS NULL"),
              sqlite_where=text("deleted_at IS NULL")),
        Index("ix_tickets_status_category", "status_category"),
        Index("ix_tickets_priority_rank", "priority_rank"),
        # The SLA breach check: only targets still running (unmarked, ticket not done) are
        # indexed, so the check stays cheap however many old tickets there are.
        Index("ix_tickets_response_sla_open", "response_due_at",
              postgresql_where=text(_RESPONSE_OPEN), sqlite_where=text(_RESPONSE_OPEN)),
        Index("ix_tickets_resolution_sla_open", "resolution_due_at",
              postgresql_where=text(_RESOLUTION_OPEN), sqlite_where=text(_RESOLUTION_OPEN)),
        # Reports (migration 0015): each holds every column its aggregates read, so a range
        # over most tickets reads the index, never the table. `deleted_at` is a column too:
        # SQLite counts a partial index as covering only if it holds its WHERE's column.
        Index("ix_tickets_dashboard_created", "queue_id", "status", "status_category",
              "category", "ticket_type", "created_at", "deleted_at",
              postgresql_where=text("deleted_at IS NULL"),
              sqlite_where=text("deleted_at IS NULL")),
        Index("ix_tickets_report_resolved", "resolved_at", "created_at", "resolution_minutes",
              "resolution_due_at", "resolution_breached_at", "satisfaction_rating",
              "assignee_id", "team_id", "queue_id", "deleted_at",
              postgresql_where=text("deleted_at IS NULL"),
              sqlite_where=text("deleted_at IS NULL")),
        Index("ix_tickets_report_created", "created_at", "assignee_id", "team_id",
              "first_response_at", "queue_id", "deleted_at",
              postgresql_where=text("deleted_at IS NULL"),
              sqlite_where=text("deleted_at IS NULL")),
        *(_sparse_index(column) for column in SPARSE_INDEXED_COLUMNS),
        Index("ix_tickets_customer_email", text("lower(customer_email)"),
              postgresql_where=text(CUSTOMER_EMAIL_PRESENT),
              sqlite_where=text(CUSTOMER_EMAIL_PRESENT)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    number: Mapped[int] = mapped_column(Integer)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"))
    ticket_type: Mapped[str | None] = mapped_column(String(64))

    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(64))
    status_category: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str | None] = mapped_column(String(64), index=True)
    priority_rank: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)

    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    notifier: Mapped[str | None] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # An agent known only by an outside identifier ("agent-456": the support desk's agents
    # need not be Ticketry users).
    assignee_ref: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))

    location: Mapped[str | None] = mapped_column(String(200))
    tool: Mapped[str | None] = mapped_column(String(200))
    affected_service: Mapped[str | None] = mapped_column(String(200))
    environment: Mapped[str | None] = mapped_column(String(64))
    impact_level: Mapped[str | None] = mapped_column(String(64))
    people: Mapped[list[str]] = mapped_column(JSONType, default=list)
    channel: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(String(2000))
    extra: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)

    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    response_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while the ticket sits in a pending-category status: the SLA clock is stopped.
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Indexed for reports: the tickets resolved in a period (migration 0013).
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    resolution_notes: Mapped[str | None] = mapped_column(Text)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    internal_notes: Mapped[str | None] = mapped_column(Text)
    public_notes: Mapped[str | None] = mapped_column(Text)
    satisfaction_rating: Mapped[int | None] = mapped_column(Integer)
    support_votes: Mapped[int] = mapped_column(Integer, default=0)

    classification_confidence: Mapped[float | None] = mapped_column(Float)
    classification_reasoning: Mapped[str | None] = mapped_column(Text)
    classification_keywords: Mapped[list[str] | None] = mapped_column(JSONType)
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    manual_override: Mapped[bool] = mapped_column(Boolean, default=False)

    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    queue: Mapped[Queue] = relationship(lazy="raise")
    requester: Mapped[User | None] = relationship(foreign_keys=[requester_id], lazy="raise")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="raise")
    team: Mapped[Team | None] = relationship(lazy="raise")


class TicketTag(Base):
    """Tags as rows too, so a tag filter is an indexed lookup on every backend."""

    __tablename__ = "ticket_tags"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class TicketWatcher(Base):
    __tablename__ = "ticket_watchers"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
