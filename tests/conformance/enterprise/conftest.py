"""Fixtures for the enterprise-api.md conformance suite: people of each document role (user,
manager, admin), logged in through the dialect's own `POST /enterprise/auth/login`, and the
preset's department 1 ("IT Department")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conformance.enterprise.support import Actor, assert_success, login_response
from tests.conftest import BoundDatabase
from tests.factories import PASSWORD, make_user
from ticketry.api.app import create_app
from ticketry.config import Settings
from ticketry.domain.users.models import Role, Team

ActorFactory = Callable[..., Actor]


@pytest.fixture
def it_department(session: Session) -> Team:
    """Department 1 of the document, installed by the enterprise preset."""
    team = session.scalar(select(Team).where(Team.code == 1))
    assert team is not None
    assert team.name == "IT Department"
    return team


@pytest.fixture
def make_actor(client: TestClient, session: Session, it_department: Team) -> ActorFactory:
    def make(role: Role, *, team: Team | None = None, api: TestClient | None = None,
             **extra: Any) -> Actor:
        extra.setdefault("given_name", "John")
        extra.setdefault("family_name", "Doe")
        user = make_user(session, role, team=team if team is not None else it_department, **extra)
        session.commit()
        data = assert_success(login_response(api or client, user.username, PASSWORD))
        return Actor(user, {"Authorization": f"Bearer {data['access_token']}"}, data)

    return make


@pytest.fixture
def user(make_actor: ActorFactory) -> Actor:
    """The document's role `user`: files tickets, sees their own, comments."""
    return make_actor(Role.END_USER)


@pytest.fixture
def other_user(make_actor: ActorFactory) -> Actor:
    return make_actor(Role.END_USER)


@pytest.fixture
def manager(make_actor: ActorFactory) -> Actor:
    """The document's role `manager`, in department 1: approves its tickets."""
    return make_actor(Role.MANAGER)


@pytest.fixture
def admin(make_actor: ActorFactory) -> Actor:
    return make_actor(Role.ADMIN)


@pytest.fixture
def agent(make_actor: ActorFactory) -> Actor:
    """Someone to assign tickets to (a senior engineer, in the document's words)."""
    return make_actor(Role.DEVOPS_ENGINEER)


def app_with(settings: Settings, db: BoundDatabase, **changes: Any) -> FastAPI:
    """An app of its own, built with changed settings, on the test's transaction."""
    return create_app(settings.model_copy(update=changes), db)


@pytest.fixture
def make_client(settings: Settings, db: BoundDatabase) -> Iterator[Callable[..., TestClient]]:
    """Clients of apps with changed settings (rate limiting on, a virus scanner, ...)."""
    clients: list[TestClient] = []

    def make(**changes: Any) -> TestClient:
        c = TestClient(app_with(settings, db, **changes), base_url="http://127.0.0.1")
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)
