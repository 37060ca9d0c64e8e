"""Fixtures for the integration-tokens-api.md conformance suite: people, teams and API tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_ticket, make_user
from ticketry.domain.api_tokens.service import create_api_token_for
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Role, User

IssueToken = Callable[..., str]


@pytest.fixture
def issue_token(session: Session) -> IssueToken:
    """A token made the way `ticketry api-tokens --create` makes one; returns the secret."""

    def issue(user: User, *, name: str = "Integration Name", expires_days: int | None = None) -> str:
        issued = create_api_token_for(session, username=user.username, name=name,
                                      expires_days=expires_days)
        session.commit()
        return issued.secret

    return issue


@pytest.fixture
def admin(session: Session) -> User:
    user = make_user(session, Role.ADMIN, full_name="Ada Admin")
    session.commit()
    return user


@pytest.fixture
def admin_token(issue_token: IssueToken, admin: User) -> str:
    return issue_token(admin)


@pytest.fixture
def ticket(session: Session, admin: User) -> Ticket:
    created = make_ticket(session, admin, title="Create a client application",
                          description="Detailed description...")
    session.commit()
    return created


@pytest.fixture
def new_ticket(session: Session) -> Callable[..., Ticket]:
    def make(actor: User, **fields: Any) -> Ticket:
        created = make_ticket(session, actor, **fields)
        session.commit()
        return created

    return make
