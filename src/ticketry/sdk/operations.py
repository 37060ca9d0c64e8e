"""Every SDK operation, written once for the sync and the async client.

An operation is a generator (a *plan*): it yields the HTTP calls it needs (`Call`) and is sent
back each answer, then returns its typed result. `TicketSystemClient` runs plans with
`httpx.Client`, `AsyncTicketSystemClient` with `httpx.AsyncClient`; neither repeats the
knowledge of paths, parameters and shapes kept here. Error answers never reach a plan: the
runner raises the matching `ApiError` (and closes the plan, so files it opened are closed)."""

from __future__ import annotations

import builtins
import dataclasses
import mimetypes
import os
import re
import uuid
from collections.abc import Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Literal, Protocol, TypedDict, TypeVar
from urllib.parse import quote, unquote

import httpx
import orjson
from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python

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

T = TypeVar("T")

Plan = Generator["Call", httpx.Response, T]

# Something that names a resource: its id as the server gave it, or as text.
Id = uuid.UUID | str
# An approval by its public id or by the number the enterprise document uses.
ApprovalId = uuid.UUID | int | str
# A file to upload: a path, its bytes, or a binary file object.
FileSource = str | os.PathLike[str] | bytes | IO[bytes]
# Where a download goes: a path (created or replaced) or a binary file object.
Destination = str | os.PathLike[str] | IO[bytes]
TimeValue = datetime | date | str
Values = str | Sequence[str]


class Writable(Protocol):
    def write(self, chunk: bytes, /) -> object: ...


@dataclasses.dataclass
class Call:
    """One HTTP request of a plan. `path` is relative to the API root (`/api/v1`)."""

    method: str
    path: str
    params: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, IO[bytes] | bytes, str]] | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    # When set, the answer's body is streamed into it instead of being read into memory.
    sink: Writable | None = None


@dataclasses.dataclass
class ClientState:
    """What a client remembers between calls (shared by its resources)."""

    queue: str | None
    api_key: str | None
    token: str | None = None
    # Department number -> team, from GET /teams (fetched once, again for an unknown number).
    teams_by_code: dict[int, Team] | None = None

    def auth_headers(self) -> dict[str, str]:
        # A session token replaces the API key: the server prefers X-API-Token when both come.
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.api_key:
            return {"X-API-Token": self.api_key}
        return {}


class TicketListFilters(TypedDict, total=False):
    """Filters of `tickets.list` (the canonical list's query parameters). List-valued filters
    take one value or several (any of them matches); filters combine with AND."""

    status: Values
    status_category: Values
    priority: Values
    category: Values
    tags: Values
    ticket_type: Values
    environment: Values
    # The client's queue when not given (see the client's `queue`).
    queue: str
    assignee_id: Id
    unassigned: bool
    requester_id: Id
    team_id: Id
    # The enterprise document's department number (a team's `code`), resolved to `team_id`.
    department_id: int
    created_after: TimeValue
    created_before: TimeValue
    updated_after: TimeValue
    updated_before: TimeValue
    search: str
    sort_by: str
    order: Literal["asc", "desc"]
    cursor: str


SortSpec = str | tuple[str, str] | Mapping[str, str]

# Filters that take several values.
_LIST_FILTERS = frozenset({"status", "status_category", "priority", "category", "tags",
                           "ticket_type", "environment"})

_COMMENTS = TypeAdapter(list[Comment])
_ATTACHMENTS = TypeAdapter(list[Attachment])
_HISTORY = TypeAdapter(list[HistoryEntry])
_TEAMS = TypeAdapter(list[Team])

# The enterprise document's field names that are another name for a canonical field.
_TICKET_FIELD_ALIASES = {"due_date": "due_at", "ticket_number": "key"}


# ------------------------------------------------------------------------------ helpers


def segment(value: Id | int) -> str:
    """A path segment: ids are quoted so that no value can change the path."""
    return quote(str(value), safe="")


def jsonable(value: Any) -> Any:
    return to_jsonable_python(value)


def query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def query(**values: Any) -> list[tuple[str, str]]:
    """Query parameters, leaving out None; a list or tuple becomes repeated parameters."""
    params: list[tuple[str, str]] = []
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            params.extend((name, query_value(v)) for v in value)
        else:
            params.append((name, query_value(value)))
    return params


def idempotency(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key} if key else {}


def if_match(ticket_id: Id, version: int | None) -> dict[str, str]:
    """The ETag the server gives a ticket's version (`"<id>.<version>"`)."""
    if version is None:
        return {}
    try:
        canonical = str(uuid.UUID(str(ticket_id)))
    except ValueError:
        canonical = str(ticket_id)
    return {"If-Match": f'"{canonical}.{version}"'}


def parse(model: type[T], response: httpx.Response) -> T:
    adapter: TypeAdapter[T] = TypeAdapter(model)
    return adapter.validate_json(response.content)


def parse_page(model: type[T], response: httpx.Response) -> Page[T]:
    adapter: TypeAdapter[T] = TypeAdapter(model)
    return Page.parse(orjson.loads(response.content), adapter.validate_python)


_FILENAME_STAR = re.compile(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", re.IGNORECASE)
_FILENAME = re.compile(r'filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))', re.IGNORECASE)


def filename_from(disposition: str | None) -> str | None:
    """The file name of a `Content-Disposition` header (RFC 6266; `filename*` preferred)."""
    if not disposition:
        return None
    star = _FILENAME_STAR.search(disposition)
    if star:
        return unquote(star[2].strip(), encoding=star[1] or "utf-8", errors="replace")
    plain = _FILENAME.search(disposition)
    if plain:
        return (plain[1] if plain[1] is not None else plain[2]).strip()
    return None


class CountingWriter:
    """Passes bytes on to a file object, counting them."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.count = 0

    def write(self, chunk: bytes) -> int:
        self.target.write(chunk)
        self.count += len(chunk)
        return len(chunk)


@contextmanager
def upload_source(file: FileSource, filename: str | None,
                  content_type: str | None) -> Iterator[tuple[str, IO[bytes] | bytes, str]]:
    """(name, content, type) for a multipart file field; a path is opened (and closed)."""
    if isinstance(file, str | os.PathLike):
        path = Path(file)
        with path.open("rb") as handle:
            name = filename or path.name
            yield name, handle, content_type or guess_type(name)
        return
    if isinstance(file, bytes | bytearray | memoryview):
        if not filename:
            raise ValueError("give a filename when uploading bytes")
        yield filename, bytes(file), content_type or guess_type(filename)
        return
    name = filename or os.path.basename(str(getattr(file, "name", "") or ""))
    if not name:
        raise ValueError("give a filename: this file object has no name")
    yield name, file, content_type or guess_type(name)


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@contextmanager
def download_target(destination: Destination) -> Iterator[IO[bytes]]:
    """A binary file to stream into; a path is created, and removed again if the download
    fails, so that no partial file is left behind."""
    if not isinstance(destination, str | os.PathLike):
        yield destination
        return
    path = Path(destination)
    handle = path.open("wb")
    try:
        yield handle
    except BaseException:
        handle.close()
        path.unlink(missing_ok=True)
        raise
    handle.close()


def downloaded(response: httpx.Response, writer: CountingWriter) -> DownloadedFile:
    content_type = response.headers.get("content-type")
    return DownloadedFile(
        filename=filename_from(response.headers.get("content-disposition")),
        content_type=content_type.split(";")[0].strip() if content_type else None,
        size=writer.count, etag=response.headers.get("etag"))


def sort_keys(sort: Sequence[SortSpec] | str | None) -> list[dict[str, str]] | None:
    """`[{"field": ..., "order": ...}]` from dicts, `("priority", "desc")` pairs or
    `"-created_at"` strings (a leading `-` is descending); one string is one key."""
    if sort is None:
        return None
    keys: list[dict[str, str]] = []
    for spec in [sort] if isinstance(sort, str) else sort:
        if isinstance(spec, str):
            descending = spec.startswith("-")
            keys.append({"field": spec.lstrip("-+"), "order": "desc" if descending else "asc"})
        elif isinstance(spec, Mapping):
            # Without an order the server's default applies.
            keys.append({k: str(v) for k, v in spec.items() if k in ("field", "order")})
        else:
            field, order = spec
            keys.append({"field": field, "order": order})
    return keys


def filter_object(filters: Mapping[str, Any] | None, queue: str | None) -> dict[str, Any]:
    """Filters as a JSON object of the canonical filter names (search, export): one value of a
    list filter becomes a list, the enterprise document's `departments` / `department_id`
    numbers become `team_codes`, and the client's queue applies unless one is named."""
    shaped = dict(filters or {})
    codes: list[Any] = []
    for name in ("departments", "department_id"):
        value = shaped.pop(name, None)
        if value is not None:
            codes.extend(value if isinstance(value, list | tuple) else [value])
    if codes:
        shaped["team_codes"] = [*shaped.get("team_codes", []), *codes]
    for name in _LIST_FILTERS:
        if isinstance(shaped.get(name), str):
            shaped[name] = [shaped[name]]
    if queue and "queue" not in shaped:
        shaped["queue"] = queue
    result: dict[str, Any] = jsonable(shaped)
    return result


# ------------------------------------------------------------------------------ resources


class Operations:
    def __init__(self, state: ClientState) -> None:
        self.state = state


class TeamOperations(Operations):
    def list(self) -> Plan[list[Team]]:
        response = yield Call("GET", "/teams")
        teams = _TEAMS.validate_json(response.content)
        self.state.teams_by_code = {t.code: t for t in teams if t.code is not None}
        return teams

    def by_code(self, code: int) -> Plan[Team]:
        """The team with a department number, from the client's cache (filled on first use,
        refreshed once for a number it does not know)."""
        known = self.state.teams_by_code
        if known is None or code not in known:
            yield from self.list()
            known = self.state.teams_by_code or {}
        team = known.get(code)
        if team is None:
            raise ValueError(f"this server has no department (team) with number {code}")
        return team


class AuthOperations(Operations):
    def login(self, username: str, password: str) -> Plan[LoginResult]:
        response = yield Call("POST", "/auth/login",
                              json={"username": username, "password": password})
        return parse(LoginResult, response)

    def refresh(self, refresh_token: str) -> Plan[TokenPair]:
        response = yield Call("POST", "/auth/refresh", json={"refresh_token": refresh_token})
        return parse(TokenPair, response)

    def logout(self, refresh_token: str | None) -> Plan[None]:
        body = {"refresh_token": refresh_token} if refresh_token else None
        yield Call("POST", "/auth/logout", json=body)
        # The session's tokens no longer work; an API key (if any) is used again.
        self.state.token = None

    def me(self) -> Plan[User]:
        response = yield Call("GET", "/users/me")
        return parse(User, response)


class TicketOperations(Operations):
    def __init__(self, state: ClientState, teams: TeamOperations) -> None:
        super().__init__(state)
        self.teams = teams

    def _body(self, data: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> Plan[
            dict[str, Any]]:
        """A ticket body in the canonical vocabulary: the enterprise document's names
        (`department_id`, `due_date`) are translated."""
        body = {**(data or {}), **fields}
        for alias, name in _TICKET_FIELD_ALIASES.items():
            if alias in body:
                if name in body:
                    raise ValueError(f"give {alias} or {name}, not both")
                body[name] = body.pop(alias)
        if "department_id" in body:
            if "team_id" in body:
                raise ValueError("give department_id or team_id, not both")
            code = body.pop("department_id")
            body["team_id"] = None if code is None else (yield from self.teams.by_code(code)).id
        result: dict[str, Any] = jsonable(body)
        return result

    def create(self, data: Mapping[str, Any] | None, fields: Mapping[str, Any],
               idempotency_key: str | None) -> Plan[Ticket]:
        body = yield from self._body(data, fields)
        if "queue" not in body and self.state.queue:
            body["queue"] = self.state.queue
        response = yield Call("POST", "/tickets", json=body,
                              headers=idempotency(idempotency_key))
        return parse(Ticket, response)

    def get(self, ticket_id: Id) -> Plan[Ticket]:
        response = yield Call("GET", f"/tickets/{segment(ticket_id)}")
        return parse(Ticket, response)

    def list(self, page: int, size: int, filters: TicketListFilters) -> Plan[Page[Ticket]]:
        values: dict[str, Any] = dict(filters)
        values.setdefault("queue", self.state.queue)
        code = values.pop("department_id", None)
        if code is not None:
            if values.get("team_id") is not None:
                raise ValueError("give department_id or team_id, not both")
            values["team_id"] = (yield from self.teams.by_code(code)).id
        response = yield Call("GET", "/tickets", params=query(**values, page=page, size=size))
        return parse_page(Ticket, response)

    def search(self, query_text: str | None, filters: Mapping[str, Any] | None,
               sort: Sequence[SortSpec] | str | None, page: int,
               size: int) -> Plan[Page[Ticket]]:
        """`POST /tickets/search`: `filters` take the canonical filter names; the enterprise
        document's `departments` / `department_id` (numbers) are sent as `team_codes`."""
        shaped = filter_object(filters, self.state.queue)
        body: dict[str, Any] = {"query": query_text, "filters": shaped,
                                "page": page, "size": size}
        keys = sort_keys(sort)
        if keys is not None:
            body["sort"] = keys
        response = yield Call("POST", "/tickets/search", json=body)
        return parse_page(Ticket, response)

    def changes(self, cursor: str | None, size: int) -> Plan[TicketChanges]:
        response = yield Call("GET", "/tickets/export/incremental",
                              params=query(cursor=cursor, size=size))
        return parse(TicketChanges, response)

    def update(self, ticket_id: Id, data: Mapping[str, Any] | None, fields: Mapping[str, Any],
               expected_version: int | None, *, replace: bool = False) -> Plan[Ticket]:
        body = yield from self._body(data, fields)
        headers = if_match(ticket_id, expected_version)
        response = yield Call("PUT" if replace else "PATCH", f"/tickets/{segment(ticket_id)}",
                              json=body, headers=headers)
        return parse(Ticket, response)

    def delete(self, ticket_id: Id) -> Plan[None]:
        yield Call("DELETE", f"/tickets/{segment(ticket_id)}")

    def change_status(self, ticket_id: Id, status: str, notes: str | None,
                      resolution_notes: str | None,
                      expected_version: int | None) -> Plan[Ticket]:
        headers = if_match(ticket_id, expected_version)
        body = {"status": status, "notes": notes, "resolution_notes": resolution_notes}
        response = yield Call("PATCH", f"/tickets/{segment(ticket_id)}/status",
                              json={k: v for k, v in body.items() if v is not None},
                              headers=headers)
        return parse(Ticket, response)

    def assign(self, ticket_id: Id, assignee_id: Id | None, notes: str | None) -> Plan[Ticket]:
        body: dict[str, Any] = {"assignee_id": None if assignee_id is None else str(assignee_id)}
        if notes is not None:
            body["notes"] = notes
        response = yield Call("PUT", f"/tickets/{segment(ticket_id)}/assign", json=body)
        return parse(Ticket, response)

    def resolve(self, ticket_id: Id, resolution_notes: str) -> Plan[Ticket]:
        response = yield Call("POST", f"/tickets/{segment(ticket_id)}/resolve",
                              json={"resolution_notes": resolution_notes})
        return parse(Ticket, response)

    def close(self, ticket_id: Id, notes: str | None) -> Plan[Ticket]:
        response = yield Call("POST", f"/tickets/{segment(ticket_id)}/close",
                              json={"notes": notes} if notes is not None else None)
        return parse(Ticket, response)

    def reopen(self, ticket_id: Id, reason: str | None) -> Plan[Ticket]:
        response = yield Call("POST", f"/tickets/{segment(ticket_id)}/reopen",
                              json={"reason": reason} if reason is not None else None)
        return parse(Ticket, response)

    def history(self, ticket_id: Id, language: str | None) -> Plan[builtins.list[HistoryEntry]]:
        response = yield Call("GET", f"/tickets/{segment(ticket_id)}/history",
                              headers={"Accept-Language": language} if language else {})
        return _HISTORY.validate_json(response.content)



class CommentOperations(Operations):
    def create(self, ticket_id: Id, content: str, is_internal: bool, comment_type: str | None,
               mentions: Sequence[str] | None, idempotency_key: str | None) -> Plan[Comment]:
        body: dict[str, Any] = {"content": content, "is_internal": is_internal}
        if comment_type is not None:
            body["comment_type"] = comment_type
        if mentions:
            body["mentions"] = list(mentions)
        response = yield Call("POST", f"/tickets/{segment(ticket_id)}/comments", json=body,
                              headers=idempotency(idempotency_key))
        return parse(Comment, response)

    def list(self, ticket_id: Id) -> Plan[list[Comment]]:
        response = yield Call("GET", f"/tickets/{segment(ticket_id)}/comments")
        return _COMMENTS.validate_json(response.content)

    def update(self, comment_id: Id, content: str, is_internal: bool | None) -> Plan[Comment]:
        body: dict[str, Any] = {"content": content}
        if is_internal is not None:
            body["is_internal"] = is_internal
        response = yield Call("PUT", f"/comments/{segment(comment_id)}", json=body)
        return parse(Comment, response)

    def delete(self, comment_id: Id) -> Plan[None]:
        yield Call("DELETE", f"/comments/{segment(comment_id)}")


class AttachmentOperations(Operations):
    def upload(self, ticket_id: Id, file: FileSource, *, filename: str | None,
               content_type: str | None, description: str | None, is_internal: bool,
               comment_id: Id | None) -> Plan[Attachment]:
        form = {"is_internal": "true" if is_internal else "false"}
        if description is not None:
            form["description"] = description
        if comment_id is not None:
            form["comment_id"] = str(comment_id)
        with upload_source(file, filename, content_type) as part:
            response = yield Call("POST", f"/tickets/{segment(ticket_id)}/attachments",
                                  data=form, files={"file": part})
        return parse(Attachment, response)

    def list(self, ticket_id: Id) -> Plan[list[Attachment]]:
        response = yield Call("GET", f"/tickets/{segment(ticket_id)}/attachments")
        return _ATTACHMENTS.validate_json(response.content)

    def download(self, attachment_id: Id, destination: Destination) -> Plan[DownloadedFile]:
        with download_target(destination) as target:
            writer = CountingWriter(target)
            response = yield Call("GET", f"/attachments/{segment(attachment_id)}",
                                  sink=writer)
        return downloaded(response, writer)

    def delete(self, attachment_id: Id) -> Plan[None]:
        yield Call("DELETE", f"/attachments/{segment(attachment_id)}")


class ApprovalOperations(Operations):
    def pending(self, priority: Values | None, team_id: Id | None, department_id: int | None,
                queue: str | None, page: int, size: int) -> Plan[Page[Approval]]:
        response = yield Call("GET", "/approvals/pending", params=query(
            priority=[priority] if isinstance(priority, str) else priority, team_id=team_id,
            department_id=department_id, queue=queue or self.state.queue, page=page,
            size=size))
        return parse_page(Approval, response)

    def get(self, approval_id: ApprovalId) -> Plan[Approval]:
        response = yield Call("GET", f"/approvals/{segment(approval_id)}")
        return parse(Approval, response)

    def act(self, approval_id: ApprovalId, action: str, comments: str | None,
            conditions: Sequence[str] | None,
            delegate_to: Id | None) -> Plan[ApprovalActionResult]:
        response = yield Call("POST", f"/approvals/{segment(approval_id)}/action",
                              json=_action_body(action, comments, conditions, delegate_to))
        return parse(ApprovalActionResult, response)

    def bulk_act(self, approval_ids: Sequence[ApprovalId], action: str, comments: str | None,
                 conditions: Sequence[str] | None,
                 delegate_to: Id | None) -> Plan[BulkActionResult]:
        body = _action_body(action, comments, conditions, delegate_to)
        body["approval_ids"] = [a if isinstance(a, int) else str(a) for a in approval_ids]
        response = yield Call("POST", "/approvals/bulk-action", json=body)
        return parse(BulkActionResult, response)

    def request(self, ticket_id: Id, reason: str, approvers: Sequence[Id] | None,
                approver_role: str | None, team_id: Id | None,
                mode: str | None) -> Plan[ApprovalRequest]:
        body: dict[str, Any] = {"reason": reason, "approvers": approvers,
                                "approver_role": approver_role, "team_id": team_id,
                                "mode": mode}
        response = yield Call("POST", f"/tickets/{segment(ticket_id)}/approvals",
                              json=jsonable({k: v for k, v in body.items() if v is not None}))
        return parse(ApprovalRequest, response)

    def for_ticket(self, ticket_id: Id) -> Plan[ApprovalWorkflow]:
        response = yield Call("GET", f"/tickets/{segment(ticket_id)}/approvals")
        return parse(ApprovalWorkflow, response)


def _action_body(action: str, comments: str | None, conditions: Sequence[str] | None,
                 delegate_to: Id | None) -> dict[str, Any]:
    body: dict[str, Any] = {"action": action}
    if comments is not None:
        body["comments"] = comments
    if conditions:
        body["conditions"] = list(conditions)
    if delegate_to is not None:
        body["delegate_to"] = str(delegate_to)
    return body


class WebhookOperations(Operations):
    def create(self, url: str, events: Sequence[str], secret: str | None, active: bool,
               description: str | None) -> Plan[Webhook]:
        body: dict[str, Any] = {"url": url, "events": list(events), "active": active}
        if secret is not None:
            body["secret"] = secret
        if description is not None:
            body["description"] = description
        response = yield Call("POST", "/webhooks", json=body)
        return parse(Webhook, response)

    def list(self, page: int, size: int) -> Plan[Page[Webhook]]:
        response = yield Call("GET", "/webhooks", params=query(page=page, size=size))
        return parse_page(Webhook, response)

    def get(self, webhook_id: Id) -> Plan[Webhook]:
        response = yield Call("GET", f"/webhooks/{segment(webhook_id)}")
        return parse(Webhook, response)

    def update(self, webhook_id: Id, fields: Mapping[str, Any]) -> Plan[Webhook]:
        response = yield Call("PATCH", f"/webhooks/{segment(webhook_id)}",
                              json=jsonable(dict(fields)))
        return parse(Webhook, response)

    def delete(self, webhook_id: Id) -> Plan[None]:
        yield Call("DELETE", f"/webhooks/{segment(webhook_id)}")

    def deliveries(self, webhook_id: Id, status: str | None, event_type: str | None,
                   page: int, size: int) -> Plan[Page[WebhookDelivery]]:
        response = yield Call("GET", f"/webhooks/{segment(webhook_id)}/deliveries",
                              params=query(status=status, event_type=event_type, page=page,
                                           size=size))
        return parse_page(WebhookDelivery, response)

    def ping(self, webhook_id: Id) -> Plan[WebhookDelivery]:
        response = yield Call("POST", f"/webhooks/{segment(webhook_id)}/ping")
        return parse(WebhookDelivery, response)


class ReportOperations(Operations):
    def dashboard(self, period: str | int, department_id: int | Sequence[int] | None,
                  team_id: Id | None, queue: str | None) -> Plan[Dashboard]:
        response = yield Call("GET", "/reports/dashboard", params=query(
            period=f"{period}d" if isinstance(period, int) else period,
            team_code=department_id, team_id=team_id, queue=queue or self.state.queue))
        return parse(Dashboard, response)

    def performance(self, start_date: date | str | None, end_date: date | str | None,
                    department_id: int | Sequence[int] | None, team_id: Id | None,
                    queue: str | None) -> Plan[PerformanceReport]:
        response = yield Call("GET", "/reports/performance", params=query(
            start_date=start_date, end_date=end_date, team_code=department_id, team_id=team_id,
            queue=queue or self.state.queue))
        return parse(PerformanceReport, response)

    def export(self, destination: Destination, format: str, type: str,
               filters: Mapping[str, Any] | None,
               columns: Sequence[str] | None) -> Plan[DownloadedFile]:
        shaped = filter_object(filters, self.state.queue)
        params = query(type=type, format=format, columns=columns)
        if shaped:
            params.append(("filters", orjson.dumps(shaped).decode()))
        with download_target(destination) as target:
            writer = CountingWriter(target)
            response = yield Call("GET", "/reports/export", params=params, sink=writer)
        return downloaded(response, writer)
