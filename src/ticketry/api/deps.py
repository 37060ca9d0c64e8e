"""Request-scoped dependencies: the unit of work, the settings and the authenticated actor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

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


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def unit_of_work(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, committed before the response is sent.

    Async on purpose: opening a session does no I/O, and commit/rollback are short, so running
    them on the event loop saves two thread hand-offs per request (each costs more than the
    statement itself under load). Nothing that may wait for a pooled connection runs here or in
    any other async dependency: the first statement of a request runs in a worker thread."""
    database = get_database(request)
    # Uploads read first, stream, then write in a unit of work of their own (under the
    # write gate): their request session only reads, so it never holds SQLite's write lock.
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    with database.unit_of_work(
            write=request.method not in _READ_METHODS and not multipart) as session:
        yield session


SessionDep = Annotated[Session, Depends(unit_of_work, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]




def authenticated(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
    api_token: Annotated[str | None, Depends(api_token_scheme)],
) -> Authenticated:
    """Synchronous on purpose: it is the request's first use of the database, so it may wait for a
    pooled connection, and that wait must happen in a worker thread. On the event loop it would
    stop the commits of the requests holding the connections (see `unit_of_work`)."""
    auth = authenticate_request(session, settings=settings, bearer=bearer, api_token=api_token)
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


async def current_user(auth: Annotated[Authenticated, Depends(authenticated)]) -> User:
    return auth.user


AuthDep = Annotated[Authenticated, Depends(authenticated)]
ActorDep = Annotated[User, Depends(current_user)]
