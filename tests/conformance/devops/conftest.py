"""Fixtures for the devops-service.md conformance suite: people of every role, logged in."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conformance.devops.support import Actor
from tests.factories import login, make_team, make_user
from ticketry.api.app import create_app
from ticketry.domain.users.models import Role, Team

ActorFactory = Callable[..., Actor]


@pytest.fixture
def make_actor(client: TestClient, session: Session) -> ActorFactory:
    def make(role: Role, *, team: Team | None = None, api: TestClient | None = None) -> Actor:
        user = make_user(session, role, team=team)
        session.commit()
        return Actor(user, login(api or client, user))

    return make


@pytest.fixture
def admin(make_actor: ActorFactory) -> Actor:
    return make_actor(Role.ADMIN)


@pytest.fixture
def manager(make_actor: ActorFactory) -> Actor:
    return make_actor(Role.MANAGER)


@pytest.fixture
def engineer(make_actor: ActorFactory) -> Actor:
    return make_actor(Role.DEVOPS_ENGINEER)


@pytest.fixture
def other_engineer(make_actor: ActorFactory) -> Actor:
    return make_actor(Role.DEVOPS_ENGINEER)


@pytest.fixture
def end_user(make_actor: ActorFactory) -> Actor:
    return make_actor(Role.END_USER)


@pytest.fixture
def other_end_user(make_actor: ActorFactory) -> Actor:
    return make_actor(Role.END_USER)


@pytest.fixture
def make_team_of(session: Session, admin: Actor) -> Callable[[], Team]:
    def make() -> Team:
        team = make_team(session, admin.user)
        session.commit()
        return team

    return make


@pytest.fixture
def small_upload_client(settings, db) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """The app with UPLOAD_MAX_FILE_SIZE set to 1024 bytes."""
    app = create_app(settings.model_copy(update={"upload_max_file_size": 1024}), db)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c
