"""The synchronous client (`httpx.Client`)."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from types import TracebackType
from typing import Any, Generic, TypeVar, Unpack, cast

import httpx

from ticketry.sdk.errors import ApiConnectionError, error_from_response
from ticketry.sdk.models import (
    Approval,
    ApprovalActionResult,
    ApprovalRequest,
    ApprovalWorkflow,
    Attachment,
    BulkActionResult,
    Comment,
    Dashboard,
    DownloadedFile,
    HistoryEntry,
    LoginResult,
    Page,
    PerformanceReport,
    Team,
    Ticket,
    TicketChanges,
    TokenPair,
    User,
    Webhook,
    WebhookDelivery,
)
from ticketry.sdk.operations import (
    ApprovalId,
    ApprovalOperations,
    AttachmentOperations,
    AuthOperations,
    Call,
    ClientState,
    CommentOperations,
    Destination,
    FileSource,
    Id,
    Plan,
    ReportOperations,
    SortSpec,
    TeamOperations,
    TicketListFilters,
    TicketOperations,
    Values,
    WebhookOperations,
)
from ticketry.sdk.transport import DEFAULT_BASE_URL, api_root, build_request

T = TypeVar("T")
Ops = TypeVar("Ops")


class TicketSystemClient:
    """A client of a Ticketry server's canonical API (`/api/v1`).

    ```python
    client = TicketSystemClient(base_url="http://127.0.0.1:8000", api_key="tkr_...")
    auth = client.auth.login("john.doe", "password123")
    client.set_token(auth.access_token)
    ticket = client.tickets.create({"title": "Server Issue", "description": "Slow"})
    ```

    - `base_url`: the server's address (`/api/v1` is added unless it is already there).
    - `api_key`: a Ticketry API token (`ticketry api-tokens --create`), sent as
      `X-API-Token`. Once `set_token()` gives a session's access token, that is sent instead
      (`Authorization: Bearer`); `set_token(None)` returns to the API key.
    - `queue`: the queue the client works in: new tickets go there, and ticket listings,
      searches, pending approvals, reports and exports are limited to it unless a call names
      another. `None` (the default here) files tickets in the server's default queue and lists
      every queue the caller may see. (`ticket_system_sdk.TicketSystemClient`, the enterprise
      document's SDK, works in the `enterprise` queue by default.)
    - `timeout`, `headers`, `transport`: passed to the `httpx.Client` the SDK creates; or give
      your own `http_client` (closing it stays your job).

    Results are typed objects (`ticketry.sdk.models`); error answers raise `ApiError`
    subclasses (`NotFoundError`, `UnprocessableEntityError`, `RateLimitError`, ...).
    The enterprise document's names are understood where they map onto the canonical API:
    `department_id` (a team's number) becomes `team_id`, `due_date` becomes `due_at`."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, api_key: str | None = None, *,
                 token: str | None = None, queue: str | None = None,
                 timeout: float | httpx.Timeout = 30.0,
                 headers: Mapping[str, str] | None = None,
                 transport: httpx.BaseTransport | None = None,
                 http_client: httpx.Client | None = None) -> None:
        self.base_url = base_url
        self.api_url = api_root(base_url)
        self._state = ClientState(queue=queue, api_key=api_key, token=token)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout, headers=headers,
                                                 transport=transport)
        teams = TeamOperations(self._state)
        self.auth = AuthResource(self, AuthOperations(self._state))
        self.teams = TeamResource(self, teams)
        self.tickets = TicketResource(self, TicketOperations(self._state, teams))
        self.comments = CommentResource(self, CommentOperations(self._state))
        self.attachments = AttachmentResource(self, AttachmentOperations(self._state))
        self.approvals = ApprovalResource(self, ApprovalOperations(self._state))
        self.webhooks = WebhookResource(self, WebhookOperations(self._state))
        self.reports = ReportResource(self, ReportOperations(self._state))

    @property
    def queue(self) -> str | None:
        return self._state.queue

    @property
    def token(self) -> str | None:
        return self._state.token

    def set_token(self, access_token: str | None) -> None:
        """Authenticate the following calls with this access token (`None`: the API key)."""
        self._state.token = access_token

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> TicketSystemClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, queue={self.queue!r})"

    def run(self, plan: Plan[T]) -> T:
        """Carry out an operation's calls in turn."""
        try:
            call = next(plan)
            while True:
                try:
                    response = self._send(call)
                except BaseException:
                    plan.close()
                    raise
                call = plan.send(response)
        except StopIteration as finished:
            return cast(T, finished.value)

    def _send(self, call: Call) -> httpx.Response:
        request = build_request(self._http, self.api_url, call, self._state)
        try:
            response = self._http.send(request, stream=call.sink is not None)
        except httpx.TransportError as exc:
            raise ApiConnectionError(f"{call.method} {request.url}: {exc}") from exc
        try:
            if response.is_error:
                response.read()
                raise error_from_response(response)
            if call.sink is not None:
                for chunk in response.iter_bytes():
                    call.sink.write(chunk)
            else:
                response.read()
        except httpx.TransportError as exc:
            raise ApiConnectionError(f"{call.method} {request.url}: {exc}") from exc
        finally:
            response.close()
        return response


class Resource(Generic[Ops]):
    def __init__(self, client: TicketSystemClient, operations: Ops) -> None:
        self._client = client
        self._ops = operations

    def _run(self, plan: Plan[T]) -> T:
        return self._client.run(plan)


class AuthResource(Resource[AuthOperations]):
    def login(self, username: str, password: str) -> LoginResult:
        """Exchange a username and password for tokens (`.access_token`, `.refresh_token`,
        `.expires_in`) and the user. Pass the access token to `client.set_token`."""
        return self._run(self._ops.login(username, password))

    def refresh(self, refresh_token: str) -> TokenPair:
        """New tokens for a refresh token (which stops working: use the new one next time)."""
        return self._run(self._ops.refresh(refresh_token))

    def logout(self, refresh_token: str | None = None) -> None:
        """End the session of the client's token; the client forgets the token."""
        self._run(self._ops.logout(refresh_token))

    def me(self) -> User:
        return self._run(self._ops.me())


class TeamResource(Resource[TeamOperations]):
    def list(self) -> list[Team]:
        return self._run(self._ops.list())

    def by_code(self, code: int) -> Team:
        """The team with a department number (the enterprise document's `department_id`)."""
        return self._run(self._ops.by_code(code))


class TicketResource(Resource[TicketOperations]):
    def create(self, data: Mapping[str, Any] | None = None, /, *,
               idempotency_key: str | None = None, **fields: Any) -> Ticket:
        """Create a ticket from a dict and/or keyword fields (`title`, `description`,
        `priority`, `ticket_type`, `team_id` or `department_id`, `tags`, `due_at`, ...).
        With `idempotency_key`, a retried call creates the ticket only once."""
        return self._run(self._ops.create(data, fields, idempotency_key))

    def get(self, ticket_id: Id) -> Ticket:
        return self._run(self._ops.get(ticket_id))

    def list(self, *, page: int = 1, size: int = 20,
             **filters: Unpack[TicketListFilters]) -> Page[Ticket]:
        """One page of the tickets the caller may see (`.items`, `.total`, `.pages`;
        iterating the page gives its tickets)."""
        return self._run(self._ops.list(page, size, filters))

    def iterate(self, *, size: int = 100, **filters: Unpack[TicketListFilters]) -> Iterator[Ticket]:
        """Every matching ticket, fetching page after page as the iteration goes (by cursor
        where the server offers one, so that tickets added meanwhile are neither repeated
        nor skipped)."""
        result = self.list(page=1, size=size, **filters)
        page = 1
        while True:
            yield from result.items
            if not result.items or not result.has_next:
                return
            if result.next_cursor is not None:
                following = filters.copy()
                following["cursor"] = result.next_cursor
                result = self.list(size=size, **following)
            else:
                page += 1
                result = self.list(page=page, size=size, **filters)

    def changes(self, cursor: str | None = None, *, size: int = 100) -> TicketChanges:
        """Tickets changed (and deleted) since `cursor` (from the start without one), oldest
        change first: for clients that keep a copy in sync. Continue from `next_cursor`."""
        return self._run(self._ops.changes(cursor, size))

    def search(self, query: str | None = None, *, filters: Mapping[str, Any] | None = None,
               sort: Sequence[SortSpec] | str | None = None, page: int = 1,
               size: int = 20) -> Page[Ticket]:
        """Full-text search (title, description, comments), ranked, with filters (the
        canonical filter names; `departments` numbers are understood) and sort keys such as
        `[{"field": "priority", "order": "desc"}]`, `("created_at", "desc")` or `"-priority"`."""
        return self._run(self._ops.search(query, filters, sort, page, size))

    def update(self, ticket_id: Id, data: Mapping[str, Any] | None = None, /, *,
               expected_version: int | None = None, **fields: Any) -> Ticket:
        """Change the fields given (PATCH). With `expected_version` (a ticket's `.version`),
        a ticket changed meanwhile is not overwritten (`PreconditionFailedError`)."""
        return self._run(self._ops.update(ticket_id, data, fields, expected_version))

    def replace(self, ticket_id: Id, data: Mapping[str, Any] | None = None, /, *,
                expected_version: int | None = None, **fields: Any) -> Ticket:
        """Replace the editable content (PUT): omitted optional fields return to defaults."""
        return self._run(self._ops.update(ticket_id, data, fields, expected_version,
                                          replace=True))

    def delete(self, ticket_id: Id) -> None:
        self._run(self._ops.delete(ticket_id))

    def change_status(self, ticket_id: Id, status: str, *, notes: str | None = None,
                      resolution_notes: str | None = None,
                      expected_version: int | None = None) -> Ticket:
        """Move the ticket to `status` (its queue's lifecycle decides which moves exist)."""
        return self._run(self._ops.change_status(ticket_id, status, notes, resolution_notes,
                                                 expected_version))

    def assign(self, ticket_id: Id, assignee_id: Id | None, *, notes: str | None = None) -> Ticket:
        """Assign the ticket to a user (by id), or unassign it with `None`."""
        return self._run(self._ops.assign(ticket_id, assignee_id, notes))

    def resolve(self, ticket_id: Id, resolution_notes: str) -> Ticket:
        return self._run(self._ops.resolve(ticket_id, resolution_notes))

    def close(self, ticket_id: Id, *, notes: str | None = None) -> Ticket:
        return self._run(self._ops.close(ticket_id, notes))

    def reopen(self, ticket_id: Id, *, reason: str | None = None) -> Ticket:
        return self._run(self._ops.reopen(ticket_id, reason))

    def history(self, ticket_id: Id, *, language: str | None = None) -> builtins.list[HistoryEntry]:
        """Every change, oldest first, each with a sentence (`language`: en, ca, es)."""
        return self._run(self._ops.history(ticket_id, language))


class CommentResource(Resource[CommentOperations]):
    def create(self, ticket_id: Id, content: str, *, is_internal: bool = False,
               comment_type: str | None = None, mentions: Sequence[str] | None = None,
               idempotency_key: str | None = None) -> Comment:
        """Comment on a ticket; `is_internal` comments are shown to agents only."""
        return self._run(self._ops.create(ticket_id, content, is_internal, comment_type,
                                          mentions, idempotency_key))

    def list(self, ticket_id: Id) -> list[Comment]:
        return self._run(self._ops.list(ticket_id))

    def update(self, comment_id: Id, content: str, *, is_internal: bool | None = None) -> Comment:
        return self._run(self._ops.update(comment_id, content, is_internal))

    def delete(self, comment_id: Id) -> None:
        self._run(self._ops.delete(comment_id))


class AttachmentResource(Resource[AttachmentOperations]):
    def upload(self, ticket_id: Id, file: FileSource, *, description: str | None = None,
               is_internal: bool = False, filename: str | None = None,
               content_type: str | None = None, comment_id: Id | None = None) -> Attachment:
        """Upload a file (a path, bytes with `filename`, or a binary file object), streamed.
        The type is guessed from the name unless `content_type` is given."""
        return self._run(self._ops.upload(ticket_id, file, filename=filename,
                                          content_type=content_type, description=description,
                                          is_internal=is_internal, comment_id=comment_id))

    def list(self, ticket_id: Id) -> list[Attachment]:
        return self._run(self._ops.list(ticket_id))

    def download(self, attachment_id: Id, destination: Destination) -> DownloadedFile:
        """Stream the file into `destination` (a binary file object, or a path to create)."""
        return self._run(self._ops.download(attachment_id, destination))

    def delete(self, attachment_id: Id) -> None:
        self._run(self._ops.delete(attachment_id))


class ApprovalResource(Resource[ApprovalOperations]):
    def pending(self, *, priority: Values | None = None, team_id: Id | None = None,
                department_id: int | None = None, queue: str | None = None, page: int = 1,
                size: int = 20) -> Page[Approval]:
        """Approvals awaiting the caller's decision, oldest first."""
        return self._run(self._ops.pending(priority, team_id, department_id, queue, page, size))

    def get(self, approval_id: ApprovalId) -> Approval:
        return self._run(self._ops.get(approval_id))

    def act(self, approval_id: ApprovalId, action: str, *, comments: str | None = None,
            conditions: Sequence[str] | None = None,
            delegate_to: Id | None = None) -> ApprovalActionResult:
        """`approve`, `reject`, `delegate` (to `delegate_to`) or `request_info`. Approvals are
        addressed by id or by their `number`."""
        return self._run(self._ops.act(approval_id, action, comments, conditions, delegate_to))

    def bulk_act(self, approval_ids: Sequence[ApprovalId], action: str, *,
                 comments: str | None = None, conditions: Sequence[str] | None = None,
                 delegate_to: Id | None = None) -> BulkActionResult:
        """The same action on many approvals; each succeeds or fails on its own."""
        return self._run(self._ops.bulk_act(approval_ids, action, comments, conditions,
                                            delegate_to))

    def request(self, ticket_id: Id, reason: str, *, approvers: Sequence[Id] | None = None,
                approver_role: str | None = None, team_id: Id | None = None,
                mode: str | None = None) -> ApprovalRequest:
        """Ask named users (in order, or in parallel with `mode="parallel"`) or anyone of a
        role to approve a ticket."""
        return self._run(self._ops.request(ticket_id, reason, approvers, approver_role,
                                           team_id, mode))

    def for_ticket(self, ticket_id: Id) -> ApprovalWorkflow:
        return self._run(self._ops.for_ticket(ticket_id))


class WebhookResource(Resource[WebhookOperations]):
    def create(self, url: str, events: Sequence[str], *, secret: str | None = None,
               active: bool = True, description: str | None = None) -> Webhook:
        """Subscribe `url` to events; the answer shows the signing secret, this once."""
        return self._run(self._ops.create(url, events, secret, active, description))

    def list(self, *, page: int = 1, size: int = 20) -> Page[Webhook]:
        return self._run(self._ops.list(page, size))

    def get(self, webhook_id: Id) -> Webhook:
        return self._run(self._ops.get(webhook_id))

    def update(self, webhook_id: Id, **fields: Any) -> Webhook:
        """Change `url`, `events`, `secret`, `active`, `description` (or `regenerate_secret`)."""
        return self._run(self._ops.update(webhook_id, fields))

    def delete(self, webhook_id: Id) -> None:
        self._run(self._ops.delete(webhook_id))

    def deliveries(self, webhook_id: Id, *, status: str | None = None,
                   event_type: str | None = None, page: int = 1,
                   size: int = 20) -> Page[WebhookDelivery]:
        return self._run(self._ops.deliveries(webhook_id, status, event_type, page, size))

    def ping(self, webhook_id: Id) -> WebhookDelivery:
        return self._run(self._ops.ping(webhook_id))


class ReportResource(Resource[ReportOperations]):
    def dashboard(self, period: str | int = "30d", *,
                  department_id: int | Sequence[int] | None = None, team_id: Id | None = None,
                  queue: str | None = None) -> Dashboard:
        """Metrics of the tickets created in the last `period` (`7d`, `30d`, `12w`, `6m`,
        `1y`, or a number of days), with trends against the period before (agents only)."""
        return self._run(self._ops.dashboard(period, department_id, team_id, queue))

    def performance(self, start_date: date | str | None = None,
                    end_date: date | str | None = None, *,
                    department_id: int | Sequence[int] | None = None,
                    team_id: Id | None = None, queue: str | None = None) -> PerformanceReport:
        """Per agent and per team over a date range (default: the last 30 days)."""
        return self._run(self._ops.performance(start_date, end_date, department_id, team_id,
                                              queue))

    def export(self, destination: Destination, *, format: str = "csv",
               type: str = "tickets", filters: Mapping[str, Any] | None = None,
               columns: Sequence[str] | None = None) -> DownloadedFile:
        """Stream an export (`csv`, `json` or `xlsx`) into `destination` (a binary file
        object, or a path to create). `filters` take the canonical filter names
        (`{"status": "resolved", "created_after": "2023-11-01"}`); `columns` choose and
        order the columns."""
        return self._run(self._ops.export(destination, format, type, filters, columns))
