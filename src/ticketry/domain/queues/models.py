from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketry.db import Base, JSONType, UTCDateTime, utcnow


class Queue(Base):
    """A help desk: its key format, lifecycle, priorities and lists are data, not code."""

    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    key_format: Mapped[str] = mapped_column(String(100))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    default_language: Mapped[str] = mapped_column(String(16), default="en")
    # Free settings of the preset (reopen status, default priority, ...).
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    config_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    statuses: Mapped[list[QueueStatus]] = relationship(
        lazy="raise", order_by="QueueStatus.position", cascade="all, delete-orphan"
    )
    priorities: Mapped[list[QueuePriority]] = relationship(
        lazy="raise", order_by="QueuePriority.rank", cascade="all, delete-orphan"
    )
    categories: Mapped[list[QueueCategory]] = relationship(
        lazy="raise", order_by="QueueCategory.position", cascade="all, delete-orphan"
    )
    ticket_types: Mapped[list[QueueTicketType]] = relationship(
        lazy="raise", order_by="QueueTicketType.position", cascade="all, delete-orphan"
    )
    reference_items: Mapped[list[QueueReferenceItem]] = relationship(
        lazy="raise", order_by="QueueReferenceItem.position", cascade="all, delete-orphan"
    )


class QueueStatus(Base):
    __tablename__ = "queue_statuses"
    __table_args__ = (UniqueConstraint("queue_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    labels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    # new / open / pending / solved / closed / deleted
    category: Mapped[str] = mapped_column(String(16))
    code: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_initial: Mapped[bool] = mapped_column(Boolean, default=False)
    transitions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # History change type written when a ticket enters this status (RESOLVED, ESCALATED, ...).
    history_type: Mapped[str | None] = mapped_column(String(32))


class QueuePriority(Base):
    __tablename__ = "queue_priorities"
    __table_args__ = (UniqueConstraint("queue_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    labels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    code: Mapped[int | None] = mapped_column(Integer)
    # 1 is the most urgent.
    rank: Mapped[int] = mapped_column(Integer)
    response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class QueueCategory(Base):
    __tablename__ = "queue_categories"
    __table_args__ = (UniqueConstraint("queue_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    labels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Keyword rules for classification: queue configuration, not code.
    keywords: Mapped[list[str]] = mapped_column(JSONType, default=list)


class QueueTicketType(Base):
    __tablename__ = "queue_ticket_types"
    __table_args__ = (UniqueConstraint("queue_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    labels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Overrides the queue's key format (healthcare suggestions get their own prefix).
    key_format: Mapped[str | None] = mapped_column(String(100))
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)


class QueueReferenceItem(Base):
    """Entries of a queue's reference lists: tools, centers, locations, environments, ..."""

    __tablename__ = "queue_reference_items"
    __table_args__ = (UniqueConstraint("queue_id", "list_name", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    list_name: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(300))
    labels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    code: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class QueueCounter(Base):
    """Ticket number sequences, per queue and scope (a ticket type, a day)."""

    __tablename__ = "queue_counters"

    queue_id: Mapped[int] = mapped_column(
        ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
