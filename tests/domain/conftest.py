"""People of every role, created through the user service inside the test's transaction."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_team, make_user
from ticketry.domain.users.models import Role, Team, User


@pytest.fixture
def admin(session: Session) -> User:
    return make_user(session, Role.ADMIN)


@pytest.fixture
def manager(session: Session) -> User:
    return make_user(session, Role.MANAGER)


@pytest.fixture
def team(session: Session, admin: User) -> Team:
    return make_team(session, admin)


@pytest.fixture
def other_team(session: Session, admin: User) -> Team:
    return make_team(session, admin)


@pytest.fixture
def lead(session: Session, team: Team) -> User:
    return make_user(session, Role.TEAM_LEAD, team=team)


@pytest.fixture
def engineer(session: Session, team: Team) -> User:
    return make_user(session, Role.DEVOPS_ENGINEER, team=team)


@pytest.fixture
def other_engineer(session: Session, other_team: Team) -> User:
    return make_user(session, Role.DEVOPS_ENGINEER, team=other_team)


@pytest.fixture
def requester(session: Session) -> User:
    return make_user(session, Role.END_USER)


@pytest.fixture
def other_end_user(session: Session) -> User:
    return make_user(session, Role.END_USER)
