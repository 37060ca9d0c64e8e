"""What clients of the document send. Values (statuses, priorities, types) are checked by the
core against the enterprise queue; here only shapes and the document's own limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ticketry.domain.text import CleanStr

Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
Key = Annotated[CleanStr, Field(min_length=1, max_length=64)]
Tag = Annotated[CleanStr, Field(min_length=1, max_length=100)]
FileName = Annotated[CleanStr, Field(min_length=1, max_length=255)]
Notes = Annotated[CleanStr, Field(max_length=100_000)]


def _utc(value: datetime | None) -> datetime | None:
    """A time without a zone is UTC (the document writes `Z` but clients drop it)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


When = Annotated[datetime, AfterValidator(_utc)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_Input):
    username: CleanStr = Field(min_length=1, max_length=150)
    password: CleanStr = Field(min_length=1, max_length=256)


class RefreshIn(_Input):
    refresh_token: CleanStr | None = Field(default=None, min_length=1, max_length=4096)


class TicketIn(_Input):
    # The document's Ticket model: title required, at most 200 characters.
    title: CleanStr = Field(min_length=1, max_length=200)
    description: CleanStr = Field(min_length=1, max_length=100_000)
    priority: Key | None = None
    ticket_type: Key | None = None
    department_id: Id | None = None
    assigned_to_id: Id | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    due_date: When | None = None
    # File names the client announces (see the preset's attachments_note).
    attachments: list[FileName] | None = Field(default=None, max_length=20)


class TicketPatchIn(_Input):
    title: CleanStr | None = Field(default=None, min_length=1, max_length=200)
    description: CleanStr | None = Field(default=None, min_length=1, max_length=100_000)
    status: Key | None = None
    priority: Key | None = None
    ticket_type: Key | None = None
    assigned_to_id: Id | None = None
    department_id: Id | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    due_date: When | None = None
    internal_notes: Notes | None = None
    public_notes: Notes | None = None
    resolution_notes: Notes | None = None
    customer_satisfaction_rating: Annotated[int, Field(ge=1, le=5)] | None = None


class SearchFilters(_Input):
    status: list[Key] = Field(default_factory=list, max_length=20)
    priority: list[Key] = Field(default_factory=list, max_length=20)
    ticket_type: list[Key] = Field(default_factory=list, max_length=20)
    departments: list[Id] = Field(default_factory=list, max_length=50)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    created_by_id: list[Id] = Field(default_factory=list, max_length=50)
    assigned_to_id: list[Id] = Field(default_factory=list, max_length=50)
    created_after: When | None = None
    created_before: When | None = None


SearchSortField = Literal["relevance", "created_at", "updated_at", "priority", "status", "title",
                          "ticket_number", "due_date"]


class SortKeyIn(_Input):
    field: SearchSortField
    order: Literal["asc", "desc"] = "desc"


class SearchIn(_Input):
    query: CleanStr | None = Field(default=None, max_length=500)
    filters: SearchFilters = Field(default_factory=SearchFilters)
    sort: list[SortKeyIn] = Field(default_factory=list, max_length=5)
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    size: Annotated[int, Field(ge=1, le=100)] = 20


ActionName = Literal["approve", "reject", "delegate", "request_info"]
Comments = Annotated[CleanStr, Field(max_length=5000)]
Condition = Annotated[CleanStr, Field(min_length=1, max_length=500)]


class ApprovalActionIn(_Input):
    action: ActionName
    comments: Comments | None = None
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    # For `delegate`: the user (by id) who decides instead (`delegate_to` is taken too).
    delegate_to_id: Id | None = None
    delegate_to: Id | None = None


class BulkApprovalIn(ApprovalActionIn):
    approval_ids: list[Id] = Field(min_length=1, max_length=100)


class CommentIn(_Input):
    content: CleanStr = Field(min_length=1, max_length=50_000)
    is_internal: bool = False
    mentions: list[Annotated[CleanStr, Field(min_length=1, max_length=151)]] = Field(
        default_factory=list, max_length=50)
    attachments: list[FileName] = Field(default_factory=list, max_length=20)


class WebhookIn(_Input):
    url: CleanStr = Field(min_length=1, max_length=2048)
    events: list[Annotated[CleanStr, Field(max_length=64)]] = Field(min_length=1, max_length=100)
    secret: CleanStr | None = Field(default=None, min_length=1, max_length=512)
    active: bool = True


class WebhookPatchIn(_Input):
    url: CleanStr | None = Field(default=None, min_length=1, max_length=2048)
    events: list[Annotated[CleanStr, Field(max_length=64)]] | None = Field(
        default=None, min_length=1, max_length=100)
    secret: CleanStr | None = Field(default=None, min_length=1, max_length=512)
    active: bool | None = None
