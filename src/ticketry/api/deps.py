"""Request-scoped dependencies: the unit of work, the settings and the authenticated actor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.auth.errors import InvalidToken
from ticketry.domain.auth.service import Authenticated, authenticate_access_token
from ticketry.domain.users.models import User

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


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
    statement itself under load)."""
    database = get_database(request)
    session = database.session(write=request.method not in _READ_METHODS)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(unit_of_work, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]




async def authenticated(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Authenticated:
    if not token:
        raise InvalidToken("authentication required: send Authorization: Bearer <token>")
    return authenticate_access_token(session, settings=settings, token=token)


def current_user(auth: Annotated[Authenticated, Depends(authenticated)]) -> User:
    return auth.user


AuthDep = Annotated[Authenticated, Depends(authenticated)]
ActorDep = Annotated[User, Depends(current_user)]
