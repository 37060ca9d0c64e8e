"""Ticket input and output models of the core (the canonical API shows these as they are)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from ticketry.domain.sla.service import SlaState, target_state
from ticketry.domain.text import CleanStr, check_json_value
from ticketry.domain.users.schemas import TeamRef, UserSummary


class Channel(enum.StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    EMAIL = "email"
    PHONE = "phone"
    IN_PERSON = "in_person"
    API = "api"
    CHAT = "chat"
    WEB_FORM = "web_form"


def _strip(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


Title = Annotated[CleanStr, AfterValidator(_strip), Field(min_length=1, max_length=500)]
Description = Annotated[CleanStr, Field(min_length=1, max_length=100_000)]
Key = Annotated[CleanStr, Field(min_length=1, max_length=64)]
ShortText = Annotated[CleanStr, Field(max_length=200)]
Tag = Annotated[CleanStr, AfterValidator(_strip), Field(min_length=1, max_length=100)]
Metadata = Annotated[dict[str, Any], AfterValidator(check_json_value)]


class _TicketFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    category: Key | None = None
    priority: Key | None = None
    ticket_type: Key | None = None
    environment: Key | None = None
    impact_level: Key | None = None
    affected_service: ShortText | None = None
    tool: ShortText | None = None
    location: ShortText | None = None
    team_id: uuid.UUID | None = None
    customer_id: ShortText | None = None
    customer_email: Annotated[CleanStr, Field(max_length=320)] | None = None
    customer_name: ShortText | None = None
    notifier: ShortText | None = None
    people: list[ShortText] | None = Field(default=None, max_length=100)
    channel: Channel | None = None
    url: Annotated[CleanStr, Field(max_length=2000)] | None = None
    metadata: Metadata | None = None
    due_at: datetime | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)

    @field_validator("due_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a timezone (e.g. 2025-01-15T10:00:00Z)")
        return value


class TicketCreate(_TicketFields):
    """A new ticket. `queue` defaults to the default queue; `requester_id` lets agents file for others."""

    title: Title
    description: Description
    queue: Key | None = None
    requester_id: uuid.UUID | None = None
    # An assignee by username or outside identifier (the support desk's `assigned_to`).
    assignee_ref: ShortText | None = None
    # A starting status other than the queue's initial one (must be a transition from it).
    status: Key | None = None
    # A client-chosen ticket key, where the queue allows it (`settings.allow_custom_ticket_num`).
    key: Annotated[CleanStr, Field(min_length=1, max_length=64,
                                   pattern=r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")] | None = None


class TicketReplace(_TicketFields):
    """PUT: the editable content as a whole; anything omitted returns to its default."""

    title: Title
    description: Description


class TicketPatch(_TicketFields):
    """PATCH: only the fields given change."""

    title: Title | None = None
    description: Description | None = None
    status: Key | None = None
    assignee_id: uuid.UUID | None = None
    assignee_ref: ShortText | None = None
    resolution_notes: Annotated[CleanStr, Field(max_length=100_000)] | None = None
    # Notes only agents read, notes everyone reads (the enterprise document's ticket fields).
    internal_notes: Annotated[CleanStr, Field(max_length=100_000)] | None = None
    public_notes: Annotated[CleanStr, Field(max_length=100_000)] | None = None
    # The requester's (or an editor's) rating of how the ticket was handled.
    satisfaction_rating: Annotated[int, Field(ge=1, le=5)] | None = None


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Key
    notes: Annotated[CleanStr, Field(max_length=10_000)] | None = None
    resolution_notes: Annotated[CleanStr, Field(max_length=100_000)] | None = None


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: uuid.UUID | None
    notes: Annotated[CleanStr, Field(max_length=10_000)] | None = None


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution_notes: Annotated[CleanStr, AfterValidator(_strip), Field(min_length=1,
                                                                        max_length=100_000)]


class CloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notes: Annotated[CleanStr, Field(max_length=10_000)] | None = None


class ReopenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[CleanStr, Field(max_length=10_000)] | None = None


SortField = Literal[
    "created_at", "updated_at", "priority", "status", "title", "key", "number",
    "resolution_due_at", "response_due_at", "category",
]


class TicketFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: str | None = None
    status: list[str] = Field(default_factory=list)
    status_category: list[str] = Field(default_factory=list)
    priority: list[str] = Field(default_factory=list)
    category: list[str] = Field(default_factory=list)
    ticket_type: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    assignee_id: uuid.UUID | None = None
    # An assignee by username or outside identifier.
    assignee_ref: str | None = None
    customer_email: str | None = None
    unassigned: bool | None = None
    requester_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    # Documents that number people and departments (enterprise: created_by_id, assigned_to_id,
    # department_id) filter by the internal user ids and the departments' codes.
    requester_ids: list[int] = Field(default_factory=list)
    assignee_ids: list[int] = Field(default_factory=list)
    team_codes: list[int] = Field(default_factory=list)
    environment: list[str] = Field(default_factory=list)
    tool: list[str] = Field(default_factory=list)
    location: list[str] = Field(default_factory=list)
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    search: str | None = None
    include_deleted: bool = False

    @field_validator("created_after", "created_before", "updated_after", "updated_before")
    @classmethod
    def _assume_utc(cls, value: datetime | None) -> datetime | None:
        """A date or time without a zone (`2025-01-15`) is read as UTC."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class SlaTarget(BaseModel):
    due_at: datetime | None
    state: SlaState


class SlaRead(BaseModel):
    response: SlaTarget
    resolution: SlaTarget
    first_response_at: datetime | None


class TicketRead(BaseModel):
    id: uuid.UUID
    key: str
    number: int
    queue: str
    ticket_type: str | None
    title: str
    description: str
    status: str
    status_category: str
    priority: str | None
    category: str | None
    tags: list[str]
    requester: UserSummary | None
    assignee: UserSummary | None
    team: TeamRef | None
    customer_id: str | None
    customer_email: str | None
    customer_name: str | None
    notifier: str | None
    environment: str | None
    impact_level: str | None
    affected_service: str | None
    tool: str | None
    location: str | None
    people: list[str]
    channel: str | None
    url: str | None
    metadata: dict[str, Any]
    due_at: datetime | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    sla: SlaRead
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution_notes: str | None
    satisfaction_rating: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class TicketPage(BaseModel):
    items: list[TicketRead]
    total: int
    # None on a page reached by `cursor`.
    page: int | None
    size: int
    pages: int
    # Pass as `cursor` for the page after this one (keyset: stable while rows are added);
    # None on the last page.
    next_cursor: str | None = None


class HistoryEntryRead(BaseModel):
    id: int
    change_type: str
    field: str | None
    old_value: str | None
    new_value: str | None
    actor: UserSummary | None
    metadata: dict[str, Any]
    created_at: datetime
    # The change as a sentence, in the language negotiated from Accept-Language.
    message: str


def ticket_read(ticket: Any, now: datetime) -> TicketRead:
    """The canonical view of a loaded ticket (requester, assignee, team and queue eager-loaded)."""
    return TicketRead.model_validate(ticket_read_fields(ticket, now))


def ticket_page(tickets: Iterable[Any], now: datetime, *, total: int, page: int | None,
                size: int, pages: int, next_cursor: str | None = None) -> TicketPage:
    """A page of canonical views, validated in one call (nested models included): a model
    built per ticket and per nested object from Python cost a fifth of a list request."""
    return TicketPage.model_validate({
        "items": [ticket_read_fields(ticket, now) for ticket in tickets], "total": total,
        "page": page, "size": size, "pages": pages, "next_cursor": next_cursor})


def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.public_id, "username": user.username, "full_name": user.full_name,
            "email": user.email}


def ticket_read_fields(ticket: Any, now: datetime) -> dict[str, Any]:
    """TicketRead's fields as plain data, for one validation of a ticket or a page."""
    team = ticket.team
    response_due_at, resolution_due_at = ticket.response_due_at, ticket.resolution_due_at
    first_response_at, paused_at = ticket.first_response_at, ticket.sla_paused_at
    return {
        "id": ticket.public_id, "key": ticket.key, "number": ticket.number,
        "queue": ticket.queue.key, "ticket_type": ticket.ticket_type, "title": ticket.title,
        "description": ticket.description, "status": ticket.status,
        "status_category": ticket.status_category, "priority": ticket.priority,
        "category": ticket.category, "tags": list(ticket.tags or []),
        "requester": _person(ticket.requester), "assignee": _person(ticket.assignee),
        "team": {"id": team.public_id, "key": team.key, "name": team.name,
                 "code": team.code} if team else None,
        "customer_id": ticket.customer_id, "customer_email": ticket.customer_email,
        "customer_name": ticket.customer_name, "notifier": ticket.notifier,
        "environment": ticket.environment, "impact_level": ticket.impact_level,
        "affected_service": ticket.affected_service, "tool": ticket.tool,
        "location": ticket.location, "people": list(ticket.people or []),
        "channel": ticket.channel, "url": ticket.url, "metadata": dict(ticket.extra or {}),
        "due_at": ticket.due_at, "response_due_at": response_due_at,
        "resolution_due_at": resolution_due_at,
        "sla": {
            "response": {"due_at": response_due_at, "state": target_state(
                response_due_at, first_response_at, now,
                breached_at=ticket.response_breached_at, paused_at=paused_at)},
            "resolution": {"due_at": resolution_due_at, "state": target_state(
                resolution_due_at, ticket.resolved_at, now,
                breached_at=ticket.resolution_breached_at, paused_at=paused_at)},
            "first_response_at": first_response_at,
        },
        "resolved_at": ticket.resolved_at, "closed_at": ticket.closed_at,
        "resolution_notes": ticket.resolution_notes,
        "satisfaction_rating": ticket.satisfaction_rating, "version": ticket.version,
        "created_at": ticket.created_at, "updated_at": ticket.updated_at,
    }


def history_entry_read(entry: Any, message: str) -> HistoryEntryRead:
    actor = entry.actor
    return HistoryEntryRead(
        id=entry.id, change_type=entry.change_type, field=entry.field,
        old_value=entry.old_value, new_value=entry.new_value,
        actor=UserSummary(id=actor.public_id, username=actor.username,
                          full_name=actor.full_name, email=actor.email) if actor else None,
        metadata=dict(entry.details or {}), created_at=entry.created_at, message=message,
    )
