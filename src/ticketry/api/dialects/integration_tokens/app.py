"""Sub-application serving `/api/tickets/` and `/api/tickets/{id}/` as documented."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

import orjson
from fastapi import BackgroundTasks, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from ticketry.api.deps import SessionDep, get_database, record_token_use
from ticketry.api.dialect_app import dialect_app
from ticketry.api.dialects.integration_tokens.mapping import iso, ticket_document
from ticketry.api.dialects.integration_tokens.schemas import ErrorBody, TicketDetail, TicketList
from ticketry.api.middleware import DatabaseSlots
from ticketry.config import Settings
from ticketry.db import Database, utcnow
from ticketry.domain.api_tokens.service import authenticate_api_token
from ticketry.domain.errors import AuthenticationFailed, DomainError, NotFound
from ticketry.domain.queues.service import get_queue_config
from ticketry.domain.tickets.errors import TicketNotFound
from ticketry.domain.tickets.schemas import TicketFilters
from ticketry.domain.tickets.service import (
    count_tickets,
    get_ticket,
    get_ticket_by_key,
    iter_ticket_batches,
)
from ticketry.domain.users.models import User
from ticketry.log import get_logger

log = get_logger("ticketry.integration")

_bearer = HTTPBearer(auto_error=False, description="An API token (tkr_...)")
_header = APIKeyHeader(name="X-API-Token", auto_error=False)


def raw_error_body(status: int, code: str, detail: str) -> tuple[bytes, str]:
    """A refusal made before the request reaches this app (body too large, bad URL)."""
    body = ErrorBody(error="Bad request" if status < 500 else "Internal server error",
                     detail=detail, timestamp=iso(utcnow()) or "")
    return body.model_dump_json().encode(), "application/json"


def _error(status: int, error: str, detail: str | None = None,
           headers: dict[str, str] | None = None) -> Response:
    body = ErrorBody(error=error, detail=detail, timestamp=iso(utcnow()) or "")
    return Response(body.model_dump_json(), status_code=status, media_type="application/json",
                     headers=headers)


async def token_user(
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
    token: Annotated[str | None, Query(description="API token (query form)")] = None,
) -> User:
    """The document's three ways of passing a token: bearer, X-API-Token, ?token=."""
    secret = header or (bearer.credentials if bearer else None) or token
    if not secret:
        raise AuthenticationFailed("missing API token")
    # On the event loop: this API only reads (see `first_statement_may_wait`).
    found = authenticate_api_token(session, secret=secret)
    if found.stale_last_used:
        background.add_task(record_token_use, get_database(request), found.token_id)
    return found.user



Actor = Annotated[User, Depends(token_user)]


def create_integration_app(settings: Settings, database: Database,
                           db_slots: DatabaseSlots) -> FastAPI:
    app = dialect_app(title="Ticketry integration API", version="1.0",
                      description="Read-only tickets for API tokens (integration-tokens-api.md).",
                      settings=settings, database=database, db_slots=db_slots,
                      # Its paths take any ticket number: no /docs to shadow one.
                      docs=False)


    @app.get("/", response_model=TicketList)
    @app.get("", include_in_schema=False)
    def list_tickets(actor: Actor) -> StreamingResponse:
        """Every ticket the token's user may see, streamed in batches."""
        filters = TicketFilters()

        def body() -> Iterator[bytes]:
            with database.unit_of_work(write=False) as session:
                count = count_tickets(session, actor=actor, filters=filters)
                yield b'{"success":true,"count":' + str(count).encode() + b',"tickets":['
                first = True
                for batch in iter_ticket_batches(session, actor=actor, filters=filters):
                    parts = [orjson.dumps(ticket_document(
                        t, get_queue_config(session, t.queue_id))) for t in batch]
                    chunk = b",".join(parts)
                    yield chunk if first else b"," + chunk
                    first = False
            yield b'],"timestamp":' + orjson.dumps(iso(utcnow())) + b"}"

        return StreamingResponse(body(), media_type="application/json")

    @app.get("/{ticket_id}/", response_model=TicketDetail)
    @app.get("/{ticket_id}", include_in_schema=False)
    def read_ticket(ticket_id: str, actor: Actor, session: SessionDep) -> Response:
        """One ticket, by its number (key) as listed, or its UUID."""
        # The key first: some queues' keys are themselves UUIDs (the support preset's).
        try:
            ticket = get_ticket_by_key(session, actor=actor, key=ticket_id)
        except TicketNotFound:
            try:
                public_id = uuid.UUID(ticket_id)
            except ValueError:
                public_id = None
            if public_id is None:
                raise
            ticket = get_ticket(session, actor=actor, ticket_id=public_id)
        document = ticket_document(ticket, get_queue_config(session, ticket.queue_id))
        body = {"success": True, "ticket": document, "timestamp": iso(utcnow())}
        return Response(orjson.dumps(body), media_type="application/json")

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, AuthenticationFailed):
            return _error(401, "Invalid or missing API token", exc.message,
                          headers={"WWW-Authenticate": "Bearer"})
        if isinstance(exc, TicketNotFound | NotFound):
            return _error(404, "Ticket not found", exc.message)
        return _error(400, "Bad request", exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return _error(400, "Bad request", "; ".join(e.get("msg", "") for e in exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            return _error(405, "Method not allowed",
                          f"{request.method} is not supported; this API is read-only (GET)",
                          headers={"Allow": "GET"})
        if exc.status_code == 404:
            return _error(404, "Not found", f"no resource at {request.url.path}")
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled error", path=request.url.path, exc_info=exc)
        return _error(500, "Internal server error")

    return app
