"""Webhook subscriptions and their signed, retried, logged deliveries."""
from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketry.db import Base, JSONType, UTCDateTime, new_uuid, utcnow
from ticketry.domain.events.models import Event
from ticketry.domain.users.models import User


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its first attempt or a retry
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # retries exhausted, or the endpoint was switched off meanwhile


class WebhookEndpoint(Base):
    """A subscription: where to POST which events, signed with which secret, on whose behalf
    (the owner's view of tickets decides what is delivered)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500))
    # Event types, or ["*"] for every type.
    events: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Kept as given: the HMAC needs the secret itself, so it cannot be hashed.
    secret: Mapped[str] = mapped_column(String(512))
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    # Start of the current run of failed attempts (no success since); None while healthy.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship(lazy="raise")


class WebhookDelivery(Base):
    """One event for one endpoint: sent until it succeeds or its retries run out."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # Fan-out writes each (endpoint, event) pair once, even if a batch is replayed.
        UniqueConstraint("endpoint_id", "event_id"),
        # The delivery log: an endpoint's deliveries, newest first.
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    # Every attempt (automatic and manual), and the automatic ones alone (they walk the
    # retry schedule; a manual redelivery does not use up a retry).
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    automatic_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    endpoint: Mapped[WebhookEndpoint] = relationship(lazy="raise")
    event: Mapped[Event] = relationship(lazy="raise")


class WebhookAttempt(Base):
    """One HTTP request of a delivery, as it went."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    # The first kilobyte of what the receiver answered (decoded leniently).
    response_body: Mapped[str | None] = mapped_column(Text)
    # What was sent besides the body (webhook-id, webhook-timestamp, the target address).
    request_info: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
