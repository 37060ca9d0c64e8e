"""Request-scoped dependencies: the unit of work, the settings and the authenticated actor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import nullcontext
from typing import Annotated, ParamSpec, TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import BackgroundTasks, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ticketry.api.middleware import DatabaseSlots
from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.api_tokens.service import record_api_token_use
from ticketry.domain.auth.service import Authenticated, authenticate_request
from ticketry.domain.users.models import User
from ticketry.log import get_logger

log = get_logger("ticketry.auth")

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token", auto_error=False,
    description="An access token from /api/v1/auth/login, or an API token (tkr_...)")
api_token_scheme = APIKeyHeader(name="X-API-Token", auto_error=False,
                                description="An API token (tkr_...)")


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _writes(request: Request) -> bool:
    """Whether the request's session writes. Uploads read first, stream, then write in a unit of
    work of their own (under the write gate): their request session only reads, so it never
    holds SQLite's write lock."""
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    return request.method not in _READ_METHODS and not multipart


def first_statement_may_wait(request: Request) -> bool:
    """On SQLite a writing session begins with BEGIN IMMEDIATE, which waits while another process
    (the job worker, a sibling server worker) holds the write lock: its first statement must
    run in a worker thread, never on the event loop."""
    return _writes(request) and get_database(request).is_sqlite


P = ParamSpec("P")
R = TypeVar("R")


async def run_db(request: Request, session: Session, call: Callable[P, R], /, *args: P.args,
                 **kwargs: P.kwargs) -> R:
    """Run a route's service call where it costs least. On SQLite nothing it does can wait: in
    WAL mode readers never wait, and a writer's transaction took the write lock with its first
    statement (authentication, in a worker thread: see `first_statement_may_wait`). So it runs
    on the event loop, in the request's database slot or under the write gate: a hand-off to a
    worker thread and back costs more than most calls. On PostgreSQL every statement is a
    round trip: the call runs in a worker thread."""
    if get_database(request).is_sqlite and (not _writes(request) or session.in_transaction()):
        return call(*args, **kwargs)
    return await run_in_threadpool(call, *args, **kwargs)


# Full-text searches run in at most two worker threads per process. The database matches
# without the GIL, but the Python around it contends for it with the event loop: with eight
# threads a search at 1 000 tickets cost 9 ms of CPU, with two 6.4 ms (127 -> 169 req/s, p99
# 338 -> 218 ms); one thread halves throughput at 100 000 tickets (75 -> 50 req/s).
_SEARCHES = CapacityLimiter(2)


async def run_search(call: Callable[[], R]) -> R:
    """Run a full-text search: it can take tens of milliseconds over a large table, so on
    either backend it runs in a worker thread while the event loop serves other requests."""
    return await to_thread.run_sync(call, limiter=_SEARCHES)


async def unit_of_work(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, committed before the response is sent.

    Async on purpose: opening a session does no I/O, and commit/rollback are short, so running
    them on the event loop saves two thread hand-offs per request (each costs more than the
    statement itself under load). The request first takes one of the worker's database slots
    (`DatabaseSlots`), so its first statement finds a free pooled connection and may run on the
    event loop too (authentication does). SQLite writers hold the write gate instead: one at a
    time, taken before the body was read (`RequestContextMiddleware`)."""
    database = get_database(request)
    write = _writes(request)
    slots: DatabaseSlots = request.app.state.db_slots
    async with nullcontext() if write and database.is_sqlite else slots:
        with database.unit_of_work(write=write) as session:
            yield session


SessionDep = Annotated[Session, Depends(unit_of_work, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# The two ways a credential arrives (declared as dependencies so that OpenAPI shows them).
BearerDep = Annotated[str | None, Depends(oauth2_scheme)]
ApiTokenDep = Annotated[str | None, Depends(api_token_scheme)]


async def authenticated(request: Request, session: SessionDep, background: BackgroundTasks,
                        bearer: BearerDep, api_token: ApiTokenDep) -> Authenticated:
    return await authenticate(request, session, request.app.state.settings, background, bearer,
                              api_token)


async def authenticate(request: Request, session: Session, settings: Settings,
                       background: BackgroundTasks, bearer: str | None,
                       api_token: str | None) -> Authenticated:
    """The request's credentials, on the event loop where the lookup cannot wait: one indexed
    query, and the request's slot (see `unit_of_work`) means the connection is there; a thread
    hand-off costs more than the query. A stale API-token `last_used` is recorded after the
    response."""
    if first_statement_may_wait(request):
        auth = await run_in_threadpool(authenticate_request, session, settings=settings,
                                       bearer=bearer, api_token=api_token)
    else:
        auth = authenticate_request(session, settings=settings, bearer=bearer,
                                    api_token=api_token)
    if auth.api_token_id is not None and auth.api_token_use_stale:
        background.add_task(record_token_use, get_database(request), auth.api_token_id)
    return auth


def record_token_use(database: Database, token_id: int) -> None:
    """After the response, in its own short transaction: `last_used` is advisory, so a busy
    database only postpones it."""
    try:
        with database.unit_of_work(write=True) as session:
            record_api_token_use(session, token_id=token_id)
    except SQLAlchemyError:
        log.warning("could not record API token use", token_id=token_id)


async def current_user(request: Request, session: SessionDep, background: BackgroundTasks,
                       bearer: BearerDep, api_token: ApiTokenDep) -> User:
    """`authenticated`'s user: the same parameters rather than a dependency on it, since each
    level of dependencies costs FastAPI a solve on every request."""
    auth = await authenticate(request, session, request.app.state.settings, background, bearer,
                              api_token)
    return auth.user


AuthDep = Annotated[Authenticated, Depends(authenticated)]
ActorDep = Annotated[User, Depends(current_user)]
