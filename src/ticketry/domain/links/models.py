from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketry.db import Base, UTCDateTime, utcnow
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import User


class LinkKind(enum.StrEnum):
    """How links are stored: `source` relates to / duplicates / is the parent of `target`."""

    RELATES_TO = "relates_to"
    DUPLICATES = "duplicates"
    PARENT_OF = "parent_of"


_PARENT = "kind = 'parent_of'"


class TicketLink(Base):
    """One row per link, read from either end. A `relates_to` link is stored once, from the
    lower ticket id, so A-B and B-A are the same row."""

    __tablename__ = "ticket_links"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "kind"),
        Index("ix_ticket_links_target_kind", "target_id", "kind"),
        # A ticket has at most one parent (also under concurrent writers).
        Index("uq_ticket_links_one_parent", "target_id", unique=True,
              postgresql_where=text(_PARENT), sqlite_where=text(_PARENT)),
        CheckConstraint("source_id <> target_id", name="not_self"),
        CheckConstraint("kind IN ('relates_to', 'duplicates', 'parent_of')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Hard-deleting a ticket removes its links; soft-deleted tickets only stop being listed.
    source_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    source: Mapped[Ticket] = relationship(foreign_keys=[source_id], lazy="raise")
    target: Mapped[Ticket] = relationship(foreign_keys=[target_id], lazy="raise")
    created_by: Mapped[User | None] = relationship(lazy="raise")
