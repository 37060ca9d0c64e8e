"""What a search asks for, and what the incremental export answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ticketry.domain.text import CleanStr
from ticketry.domain.tickets.schemas import SortField, TicketFilters, TicketRead

SearchSortField = Literal[SortField, "relevance"]


class SortKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: SearchSortField
    order: Literal["asc", "desc"] = "desc"


class TicketSearch(BaseModel):
    """Full-text `query` (title, description, comments) with the list's filters, sorted by the
    keys in turn (default: relevance with a query, else newest first)."""

    model_config = ConfigDict(extra="forbid")

    query: Annotated[CleanStr, Field(max_length=500)] | None = None
    filters: TicketFilters = Field(default_factory=TicketFilters)
    sort: list[SortKey] = Field(default_factory=list, max_length=5)
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    size: Annotated[int, Field(ge=1, le=100)] = 20

    @field_validator("query")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value if value is not None and value.strip() else None


class DeletedTicketRead(BaseModel):
    id: uuid.UUID
    key: str
    deleted_at: datetime


class TicketChangesRead(BaseModel):
    """One step of the incremental export: tickets changed since the cursor, oldest change
    first, and those deleted since; pass `next_cursor` to continue."""

    items: list[TicketRead]
    deleted: list[DeletedTicketRead]
    next_cursor: str
    end_of_stream: bool
