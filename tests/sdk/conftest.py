"""SDK fixtures: the SDK's clients against the app in this process (the sync client through
the test client, the async one through httpx's ASGI transport), on the test's rolled-back
transaction, and people of each role to log in as."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, make_user
from ticketry.domain.users.models import Role, Team, User
from ticketry.sdk import AsyncTicketSystemClient, TicketSystemClient

BASE_URL = "http://127.0.0.1"


@pytest.fixture
def admin(session: Session) -> User:
    return make_user(session, Role.ADMIN)


@pytest.fixture
def engineer(session: Session) -> User:
    return make_user(session, Role.DEVOPS_ENGINEER)


@pytest.fixture
def requester(session: Session) -> User:
    return make_user(session, Role.END_USER)


@pytest.fixture
def it_department(session: Session) -> Team:
    """Department 1 of the enterprise document, as the enterprise preset installs it."""
    return session.scalars(select(Team).where(Team.code == 1)).one()


@pytest.fixture
def connect(client: TestClient) -> Iterator[Callable[..., TicketSystemClient]]:
    """`connect(user=None, **options)`: a sync SDK client, logged in as `user` if given."""
    made: list[TicketSystemClient] = []

    def make(user: User | None = None, **options: Any) -> TicketSystemClient:
        sdk = TicketSystemClient(base_url=BASE_URL, http_client=client, **options)
        made.append(sdk)
        if user is not None:
            sdk.set_token(sdk.auth.login(user.username, PASSWORD).access_token)
        return sdk

    yield make
    for sdk in made:
        sdk.close()


@pytest.fixture
def sdk(connect: Callable[..., TicketSystemClient], admin: User) -> TicketSystemClient:
    """The SDK logged in as an administrator, working in the server's default queue."""
    return connect(admin)


@pytest.fixture
def async_connect(app: Any) -> Callable[..., Any]:
    """`async with async_connect(user=None, **options) as sdk`: an async SDK client over the
    ASGI app, logged in as `user` if given."""

    @asynccontextmanager
    async def make(user: User | None = None,
                   **options: Any) -> AsyncIterator[AsyncTicketSystemClient]:
        transport = httpx.ASGITransport(app=app)
        async with AsyncTicketSystemClient(base_url=BASE_URL, transport=transport,
                                           **options) as sdk:
            if user is not None:
                sdk.set_token((await sdk.auth.login(user.username, PASSWORD)).access_token)
            yield sdk

    return make
