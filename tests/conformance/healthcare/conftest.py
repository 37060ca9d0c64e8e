"""Fixtures for the healthcare-api.md conformance suite: people of each permission level, with a
token from the dialect's own `POST /healthcare/token`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conformance.healthcare.support import Actor, token_for
from tests.factories import PASSWORD, make_user
from ticketry.domain.users.models import Role

ActorFactory = Callable[..., Actor]


@pytest.fixture
def make_actor(client: TestClient, session: Session) -> ActorFactory:
    def make(role: Role, **extra: str) -> Actor:
        user = make_user(session, role, **extra)
        session.commit()
        response = token_for(client, user.username, PASSWORD)
        assert response.status_code == 200, response.text
        return Actor(user, {"Authorization": f"Bearer {response.json()['access_token']}"})

    return make


@pytest.fixture
def admin(make_actor: ActorFactory) -> Actor:
    """Permission level 1."""
    return make_actor(Role.ADMIN)


@pytest.fixture
def agent(make_actor: ActorFactory) -> Actor:
    """Permission level 2: desk staff, who work on every ticket (the core's MANAGER)."""
    return make_actor(Role.MANAGER)


@pytest.fixture
def end_user(make_actor: ActorFactory) -> Actor:
    """Permission level 3, the level the document gives a new user."""
    return make_actor(Role.END_USER)
