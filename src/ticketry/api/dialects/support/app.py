"""Sub-application for `customer-support-api.md`; every rule lives in the core services."""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from fastapi import BackgroundTasks, Depends, FastAPI, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError

from ticketry.api.deps import (
    SessionDep,
    SettingsDep,
    api_token_scheme,
    authenticate,
    oauth2_scheme,
)
from ticketry.api.dialect_app import dialect_app
from ticketry.api.dialects.support import mapping
from ticketry.api.import_upload import import_from_request
from ticketry.api.middleware import DatabaseSlots, WriteGate
from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.attachments.storage import LocalStorage
from ticketry.domain.classification.service import auto_classify_ticket
from ticketry.domain.errors import (
    AuthenticationFailed,
    DomainError,
    NotFound,
    PermissionDenied,
)
from ticketry.domain.imports.errors import MalformedImportFile, UnsupportedImportFormat
from ticketry.domain.imports.parsers import UNSUPPORTED
from ticketry.domain.queues.config import QueueConfig
from ticketry.domain.queues.service import find_queue_config
from ticketry.domain.tickets import service as tickets
from ticketry.domain.tickets.errors import TicketNotFound
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketCreate, TicketFilters, TicketPatch
from ticketry.domain.users.models import User
from ticketry.domain.users.service import ensure_support_anonymous_user
from ticketry.log import get_logger

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = get_logger("ticketry.support")

INTERNAL_ERROR = {"error": "Internal server error",
                  "message": "An unexpected error occurred. Please try again later."}


class SupportError(Exception):
    """An answer in the document's error shape."""

    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("error"))
        self.status_code = status_code
        self.body = body


def _json(body: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def raw_error_body(status_code: int, code: str, detail: str) -> tuple[bytes, str]:
    """A refusal made before the request reaches this app (body too large, bad URL)."""
    if status_code >= 500:
        return orjson.dumps(INTERNAL_ERROR), "application/json"
    return orjson.dumps({"error": detail}), "application/json"


def validation_failed(problems: list[str]) -> SupportError:
    return SupportError(400, {"error": "Validation failed", "details": problems})


async def support_actor(
    request: Request, session: SessionDep, settings: SettingsDep, background: BackgroundTasks,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
    api_token: Annotated[str | None, Depends(api_token_scheme)],
) -> User:
    """Credentials when sent; without them, the anonymous desk account where it is allowed."""
    if bearer or api_token:
        auth = await authenticate(request, session, settings, background, bearer, api_token)
        return auth.user
    if not settings.support_allow_anonymous:
        raise AuthenticationFailed("authentication required: send Authorization: Bearer <token>")
    # Created by `ticketry serve`/`migrate`; made here, in this request, on a bare database
    # (a write: in a worker thread).
    return await run_in_threadpool(ensure_support_anonymous_user, session)


Actor = Annotated[User, Depends(support_actor)]


async def json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise SupportError(400, {"error": "Request body must be valid JSON"}) from None
    if not isinstance(body, dict):
        raise SupportError(400, {"error": "Request body must be valid JSON"})
    return body


Body = Annotated[dict[str, Any], Depends(json_object)]


def _config(request: Request, session: Session) -> QueueConfig:
    return find_queue_config(session, request.app.state.queue_key)


def _ticket(session: Session, config: QueueConfig, actor: User, ticket_id: str) -> Ticket:
    try:
        public_id = uuid.UUID(ticket_id)
    except ValueError:
        raise TicketNotFound(f"ticket {ticket_id} not found") from None
    ticket = tickets.get_ticket(session, actor=actor, ticket_id=public_id)
    if ticket.queue_id != config.id:
        raise TicketNotFound(f"ticket {ticket_id} not found")
    return ticket


def _checked(config: QueueConfig, body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Every problem of the body at once, in the document's words, or the core values."""
    problems = mapping.type_problems(body)
    values = mapping.core_values(body)
    if not problems:
        problems = [p["message"] for p in tickets.value_problems(config, values, partial=partial)]
    if problems:
        raise validation_failed(problems)
    return values


def create_support_app(settings: Settings, database: Database, storage: LocalStorage,
                       write_gate: WriteGate, db_slots: DatabaseSlots,
        queue_key: str = "support") -> FastAPI:
    app = dialect_app(title="Ticketry customer support desk", version="1.0",
                      description="The customer support desk API (customer-support-api.md).",
                      settings=settings, database=database, storage=storage,
                      write_gate=write_gate, db_slots=db_slots,
                      queue_key=queue_key)

    @app.post("/tickets", status_code=status.HTTP_201_CREATED)
    def create_ticket(body: Body, request: Request, actor: Actor, session: SessionDep,
                      settings: SettingsDep) -> Response:
        config = _config(request, session)
        values = _checked(config, body, partial=False)
        data = TicketCreate(queue=config.key, channel="api", **values)
        ticket = tickets.create_ticket(session, actor=actor, data=data, settings=settings)
        return _json(mapping.ticket_document(ticket), status.HTTP_201_CREATED)

    @app.get("/tickets")
    def list_tickets(
        request: Request, actor: Actor, session: SessionDep,
        status_: Annotated[str | None, Query(alias="status", max_length=64)] = None,
        priority: Annotated[str | None, Query(max_length=64)] = None,
        category: Annotated[str | None, Query(max_length=64)] = None,
        assigned_to: Annotated[str | None, Query(max_length=200)] = None,
        customer_email: Annotated[str | None, Query(max_length=320)] = None,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Response:
        config = _config(request, session)
        filters = TicketFilters(
            queue=config.key, status=[status_] if status_ else [],
            priority=[priority] if priority else [], category=[category] if category else [],
            assignee_ref=assigned_to, customer_email=customer_email)
        result = tickets.list_tickets(session, actor=actor, filters=filters, page=page,
                                      size=limit, sort_by="created_at", order="desc")
        return _json({
            "tickets": [mapping.ticket_document(t) for t in result.items],
            "pagination": {"page": page, "limit": limit, "total": result.total,
                           "total_pages": math.ceil(result.total / limit)},
        })

    @app.get("/tickets/{ticket_id}")
    def read_ticket(ticket_id: str, request: Request, actor: Actor,
                    session: SessionDep) -> Response:
        config = _config(request, session)
        return _json(mapping.ticket_document(_ticket(session, config, actor, ticket_id)))

    @app.put("/tickets/{ticket_id}")
    def update_ticket(ticket_id: str, body: Body, request: Request, actor: Actor,
                      session: SessionDep, settings: SettingsDep) -> Response:
        """Partial update: only the fields sent change."""
        config = _config(request, session)
        ticket = _ticket(session, config, actor, ticket_id)
        values = _checked(config, body, partial=True)
        updated = tickets.update_ticket(session, actor=actor, ticket_id=ticket.public_id,
                                        data=TicketPatch(**values), settings=settings)
        return _json(mapping.ticket_document(updated))

    @app.delete("/tickets/{ticket_id}")
    def delete_ticket(ticket_id: str, request: Request, actor: Actor, session: SessionDep,
                      background: BackgroundTasks) -> Response:
        """Permanent, as the document says (the queue deletes hard)."""
        config = _config(request, session)
        ticket = _ticket(session, config, actor, ticket_id)
        deleted = tickets.delete_ticket(session, actor=actor, ticket_id=ticket.public_id)
        for key in deleted.purged_files:
            background.add_task(storage.delete, key)
        return _json({"message": "Ticket deleted successfully", "id": str(ticket.public_id)})

    @app.post("/tickets/import")
    async def import_tickets(request: Request, actor: Actor, session: SessionDep,
                             format: Annotated[str | None, Query(max_length=16)] = None,
                             ) -> Response:
        """CSV, JSON or XML; every row validated, valid rows stored, each problem reported."""
        report = await import_from_request(request, session, actor=actor,
                                           queue_key=request.app.state.queue_key, fmt=format)
        return _json(report)

    @app.post("/tickets/{ticket_id}/auto-classify")
    def auto_classify(ticket_id: str, request: Request, actor: Actor,
                      session: SessionDep) -> Response:
        config = _config(request, session)
        ticket = _ticket(session, config, actor, ticket_id)
        classified, result = auto_classify_ticket(session, actor=actor,
                                                  ticket_id=ticket.public_id)
        return _json({"ticket": mapping.ticket_document(classified),
                      "classification": mapping.classification_document(result)})

    @app.exception_handler(SupportError)
    async def _support(request: Request, exc: SupportError) -> Response:
        return _json(exc.body, exc.status_code)

    @app.exception_handler(UnsupportedImportFormat)
    async def _format(request: Request, exc: UnsupportedImportFormat) -> Response:
        return _json({"error": UNSUPPORTED}, 400)

    @app.exception_handler(MalformedImportFile)
    async def _malformed(request: Request, exc: MalformedImportFile) -> Response:
        return _json({"error": "Invalid import file", "message": exc.message}, 400)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, AuthenticationFailed):
            response = _json({"error": "Authentication required", "message": exc.message}, 401)
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        if isinstance(exc, TicketNotFound):
            return _json({"error": "Ticket not found"}, 404)
        if isinstance(exc, NotFound) and "field" not in exc.context:
            return _json({"error": "Not found", "message": exc.message}, 404)
        if isinstance(exc, PermissionDenied):
            return _json({"error": "Forbidden", "message": exc.message}, 403)
        problems = [d.get("message", "") for d in exc.details] or [exc.message]
        return _json({"error": "Validation failed", "details": problems}, 400)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
            problems.append(f"{where} {err.get('msg', 'is invalid')}".strip())
        return _json({"error": "Validation failed", "details": problems}, 400)

    @app.exception_handler(ValidationError)
    async def _model_validation(request: Request, exc: ValidationError) -> Response:
        return await _validation(request, RequestValidationError(exc.errors()))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled error", path=request.url.path, exc_info=exc)
        return _json(INTERNAL_ERROR, 500)

    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _json({"error": "Not found"}, 404)
        if exc.status_code == 405:
            return _json({"error": "Method not allowed"}, 405)
        return _json({"error": str(exc.detail)}, exc.status_code)

    return app
