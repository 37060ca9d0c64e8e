"""Link input and output models of the core (the canonical API shows these as they are)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ticketry.domain.users.schemas import UserSummary

# A link as seen from one of its tickets: the stored kinds plus the inverse names.
SeenKind = Literal["relates_to", "duplicates", "duplicated_by", "parent_of", "child_of"]
SEEN_KINDS: tuple[str, ...] = ("relates_to", "duplicates", "duplicated_by", "parent_of",
                               "child_of")


class TicketLinkCreate(BaseModel):
    """Link the ticket in the path to another one, named by id or by key; `kind` reads from the
    path's ticket: `{"kind": "child_of", "target_key": "OPS-1"}` makes OPS-1 its parent."""

    model_config = ConfigDict(extra="forbid")

    target_id: uuid.UUID | None = None
    target_key: str | None = Field(None, min_length=1, max_length=64)
    kind: SeenKind

    @model_validator(mode="after")
    def _one_target(self) -> TicketLinkCreate:
        if (self.target_id is None) == (self.target_key is None):
            raise ValueError("give exactly one of target_id and target_key")
        return self


class LinkedTicketRead(BaseModel):
    id: uuid.UUID
    key: str
    title: str
    status: str
    status_category: str
    priority: str | None
    ticket_type: str | None


class TicketLinkRead(BaseModel):
    id: int
    kind: SeenKind
    ticket: LinkedTicketRead
    created_by: UserSummary | None
    created_at: datetime


def ticket_link_read(view: Any) -> TicketLinkRead:
    """A `service.TicketLinkView` as the canonical API shows it."""
    other, author = view.ticket, view.created_by
    return TicketLinkRead(
        id=view.id, kind=view.kind,
        ticket=LinkedTicketRead(id=other.public_id, key=other.key, title=other.title,
                                status=other.status, status_category=other.status_category,
                                priority=other.priority, ticket_type=other.ticket_type),
        created_by=UserSummary(id=author.public_id, username=author.username,
                               full_name=author.full_name, email=author.email)
        if author is not None else None,
        created_at=view.created_at)
