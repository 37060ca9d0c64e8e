"""What the SDK returns: the canonical API's answers as typed, attribute-accessible objects.

These mirror the server's JSON, not its code: the SDK talks to any Ticketry server over HTTP.
Fields a newer server adds are kept (`extra="allow"`) and readable as attributes too."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="allow")


# ------------------------------------------------------------------------------ people


class UserSummary(ApiModel):
    id: uuid.UUID
    username: str
    full_name: str | None = None
    email: str | None = None


class Team(ApiModel):
    id: uuid.UUID
    key: str
    name: str
    # The department number of documents that count departments (enterprise `department_id`).
    code: int | None = None


class User(ApiModel):
    id: uuid.UUID
    username: str
    email: str
    full_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    default_location: str | None = None
    role: str
    is_active: bool = True
    team: Team | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_login_at: datetime | None = None


class TokenPair(ApiModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class LoginResult(TokenPair):
    """`auth.login`'s answer: the tokens and who they belong to."""

    user: User


# ------------------------------------------------------------------------------ tickets


class SlaTarget(ApiModel):
    due_at: datetime | None = None
    state: str


class Sla(ApiModel):
    response: SlaTarget
    resolution: SlaTarget
    first_response_at: datetime | None = None


class Ticket(ApiModel):
    """A ticket. `id` is its canonical id (a UUID), `key` what people quote
    (`TKT-20231201-001`, `OPS-42`)."""

    id: uuid.UUID
    key: str
    number: int
    queue: str
    ticket_type: str | None = None
    title: str
    description: str
    status: str
    status_category: str | None = None
    priority: str | None = None
    category: str | None = None
    tags: list[str] = Field(default_factory=list)
    requester: UserSummary | None = None
    assignee: UserSummary | None = None
    team: Team | None = None
    customer_id: str | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    notifier: str | None = None
    environment: str | None = None
    impact_level: str | None = None
    affected_service: str | None = None
    tool: str | None = None
    location: str | None = None
    people: list[str] = Field(default_factory=list)
    channel: str | None = None
    url: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    due_at: datetime | None = None
    response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    sla: Sla | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    resolution_notes: str | None = None
    satisfaction_rating: int | None = None
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def ticket_number(self) -> str:
        """The enterprise document's name for `key`."""
        return self.key

    @property
    def department_id(self) -> int | None:
        """The enterprise document's department number: the team's `code`."""
        return self.team.code if self.team is not None else None


class HistoryEntry(ApiModel):
    id: int
    change_type: str
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    actor: UserSummary | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    message: str


# ------------------------------------------------------------------------------ comments, files


class AttachmentSummary(ApiModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int


class Comment(ApiModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    author: UserSummary | None = None
    content: str
    comment_type: str
    is_internal: bool
    created_at: datetime
    updated_at: datetime
    edited_at: datetime | None = None
    attachments: list[AttachmentSummary] = Field(default_factory=list)


class Attachment(ApiModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    comment_id: uuid.UUID | None = None
    filename: str
    content_type: str
    size: int
    sha256: str
    description: str | None = None
    is_internal: bool = False
    # `clean` when a scanner passed it, `not_scanned` when the server has no scanner.
    virus_scan_status: str | None = None
    uploaded_by: UserSummary | None = None
    created_at: datetime


@dataclass(frozen=True)
class DownloadedFile:
    """A file the SDK streamed into a destination: what the server said about it, and how
    many bytes were written."""

    filename: str | None
    content_type: str | None
    size: int
    etag: str | None = None


# ------------------------------------------------------------------------------ approvals


class ApprovalTicket(ApiModel):
    id: uuid.UUID
    key: str
    title: str
    priority: str | None = None
    status: str


class Approval(ApiModel):
    id: uuid.UUID
    # The integer the enterprise document addresses approvals by (`/approvals/45/action`).
    number: int
    request_id: uuid.UUID
    request_status: str
    mode: str
    reason: str | None = None
    ticket: ApprovalTicket
    approver: UserSummary | None = None
    approver_role: str | None = None
    approver_team: Team | None = None
    position: int = 0
    status: str
    acted_by: UserSummary | None = None
    comments: str | None = None
    conditions: list[str] = Field(default_factory=list)
    created_at: datetime
    activated_at: datetime | None = None
    escalate_at: datetime | None = None
    decided_at: datetime | None = None
    delegated_from: int | None = None
    escalated_from: int | None = None


class ApprovalRequest(ApiModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    requested_by: UserSummary | None = None
    reason: str | None = None
    mode: str
    status: str
    previous_status: str | None = None
    created_at: datetime
    decided_at: datetime | None = None
    approvals: list[Approval] = Field(default_factory=list)


class ApprovalWorkflow(ApiModel):
    ticket_id: uuid.UUID
    status: str
    requests: list[ApprovalRequest] = Field(default_factory=list)


class ApprovalActionResult(ApiModel):
    approval: Approval
    # Approvals that became pending because of the action (the delegate, the next approver).
    activated: list[Approval] = Field(default_factory=list)


class BulkItemResult(ApiModel):
    approval_id: int | uuid.UUID
    ok: bool
    status: str | None = None
    error_code: str | None = None
    message: str | None = None


class BulkActionResult(ApiModel):
    succeeded: int
    failed: int
    results: list[BulkItemResult] = Field(default_factory=list)


# ------------------------------------------------------------------------------ webhooks


class WebhookOwner(ApiModel):
    id: uuid.UUID
    username: str


class Webhook(ApiModel):
    id: uuid.UUID
    url: str
    events: list[str]
    active: bool
    description: str | None = None
    # In full only in the answer that set it; masked afterwards.
    secret: str
    owner: WebhookOwner | None = None
    created_at: datetime
    updated_at: datetime
    failing_since: datetime | None = None
    last_success_at: datetime | None = None
    disabled_at: datetime | None = None
    disabled_reason: str | None = None


class WebhookDelivery(ApiModel):
    id: uuid.UUID
    webhook_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: str
    attempt_count: int
    last_status_code: int | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None


# ------------------------------------------------------------------------------ reports


class CategoryCount(ApiModel):
    name: str
    count: int


class DashboardTrends(ApiModel):
    """Signed percentages against the previous period (`+12%`), null without a figure to
    compare with."""

    ticket_volume: str | None = None
    resolution_time: str | None = None
    satisfaction: str | None = None


class PeriodFigures(ApiModel):
    start: datetime
    end: datetime
    total_tickets: int
    resolved_tickets: int
    avg_resolution_hours: float | None = None
    sla_compliance: float | None = None
    avg_satisfaction: float | None = None


class Dashboard(ApiModel):
    period_days: int
    period_start: datetime
    period_end: datetime
    total_tickets: int
    by_status: dict[str, int] = Field(default_factory=dict)
    by_status_category: dict[str, int] = Field(default_factory=dict)
    resolved_tickets: int = 0
    avg_resolution_hours: float | None = None
    sla_compliance: float | None = None
    avg_satisfaction: float | None = None
    trends: DashboardTrends | None = None
    top_categories: list[CategoryCount] = Field(default_factory=list)
    previous_period: PeriodFigures | None = None


class PerformanceFigures(ApiModel):
    assigned: int
    resolved: int
    avg_resolution_hours: float | None = None
    avg_first_response_hours: float | None = None
    sla_compliance: float | None = None
    avg_satisfaction: float | None = None


class AgentPerformance(PerformanceFigures):
    agent: UserSummary


class TeamPerformance(PerformanceFigures):
    team: Team


class PerformanceReport(ApiModel):
    start_date: date
    end_date: date
    agents: list[AgentPerformance] = Field(default_factory=list)
    teams: list[TeamPerformance] = Field(default_factory=list)


# ------------------------------------------------------------------------------ pages

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing. Iterating a page gives its items; `total` counts every match.

    Listings that page by cursor (the canonical ticket list) give `next_cursor`, the way to the
    next page that neither repeats nor skips tickets while others are added (`page` is None
    for a page reached by cursor); `None` there means this is the last page."""

    items: list[T]
    total: int
    page: int | None
    size: int
    pages: int
    next_cursor: str | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    @property
    def has_next(self) -> bool:
        if self.next_cursor is not None:
            return True
        return self.page is not None and self.page < self.pages

    @classmethod
    def parse(cls, body: dict[str, Any], item: Callable[[Any], T]) -> Page[T]:
        known = {"items", "total", "page", "size", "pages", "next_cursor"}
        items = [item(raw) for raw in body.get("items", [])]
        size = int(body.get("size") or len(items))
        total = int(body.get("total", len(items)))
        pages = body.get("pages")
        if pages is None:
            pages = (total + size - 1) // size if size else 0
        page = body.get("page", 1)
        return cls(items=items, total=total, page=int(page) if page is not None else None,
                   size=size, pages=int(pages), next_cursor=body.get("next_cursor"),
                   extra={k: v for k, v in body.items() if k not in known})


class DeletedTicket(ApiModel):
    id: uuid.UUID
    key: str
    deleted_at: datetime | None = None


class TicketChanges(ApiModel):
    """One step of the incremental export: tickets changed since the cursor (oldest change
    first) and those deleted since. Keep `next_cursor` to continue from; `end_of_stream` says
    there is nothing more for now."""

    items: list[Ticket] = Field(default_factory=list)
    deleted: list[DeletedTicket] = Field(default_factory=list)
    next_cursor: str
    end_of_stream: bool
