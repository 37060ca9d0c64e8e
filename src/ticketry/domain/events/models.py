from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from ticketry.db import Base, JSONType, UTCDateTime, new_uuid, utcnow


class Event(Base):
    """Something that happened, kept for the worker to fan out (webhooks, notifications).

    Written by the service that made the change, in the same transaction: a rolled-back
    change leaves no event and a committed one always has its event.
    """

    __tablename__ = "events"
    __table_args__ = (
        # The dispatcher's only question: which events have not been fanned out yet.
        Index("ix_events_undispatched", "id",
              postgresql_where=text("dispatched_at IS NULL"),
              sqlite_where=text("dispatched_at IS NULL")),
        Index("ix_events_ticket_created", "ticket_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    type: Mapped[str] = mapped_column(String(64), index=True)
    # Not foreign keys: an event outlives a hard-deleted ticket or a removed user.
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    queue_id: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
