"""Plain factory functions that build test data through the domain services."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ticketry.domain.attachments.storage import LocalStorage, StagedUpload
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketCreate
from ticketry.domain.tickets.service import create_ticket
from ticketry.domain.users.models import Role, Team, User
from ticketry.domain.users.schemas import TeamCreate, UserCreate
from ticketry.domain.users.service import create_team, create_user

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def make_user(session: Session, role: Role | str = Role.END_USER, *, username: str | None = None,
              team: Team | None = None, email: str | None = None, **extra: Any) -> User:
    n = next(_seq)
    username = username or f"user{n}"
    user = create_user(session, actor=None, data=UserCreate(
        username=username, email=email or f"{username}@example.com", password=PASSWORD,
        role=Role(role), full_name=extra.pop("full_name", f"User {n}"), **extra))
    if team is not None:
        user.team_id = team.id
        session.flush()
    return user


def make_team(session: Session, admin: User, *, key: str | None = None) -> Team:
    n = next(_seq)
    return create_team(session, actor=admin, data=TeamCreate(key=key or f"team{n}",
                                                             name=f"Team {n}"))


# What the support queue's field rules require of every ticket.
SUPPORT_DEFAULTS = {"customer_id": "CUST-001", "customer_email": "john@example.com",
                    "customer_name": "John Doe", "category": "technical_issue",
                    "priority": "medium", "status": "new"}


def make_ticket(session: Session, actor: User, **fields: Any) -> Ticket:
    """A valid ticket of its queue: the support queue's required fields are filled in."""
    data = {"title": "Disk full on build agent", "description": "The / partition is at 100%."}
    if fields.get("queue") == "support":
        data.update(SUPPORT_DEFAULTS)
    data.update(fields)
    return create_ticket(session, actor=actor, data=TicketCreate(**data))


def login(client: TestClient, user: User, password: str = PASSWORD) -> dict[str, str]:
    """Log in through the API and return the Authorization header."""
    response = client.post("/api/v1/auth/login",
                           json={"username": user.username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def stage_file(storage: LocalStorage, name: str, content: bytes, *,
               max_size: int = 10 * 1024 * 1024) -> StagedUpload:
    """A file as an upload leaves it: staged in storage, named, complete."""
    staged = storage.stage(max_size)
    staged.filename = name
    staged.write(content)
    staged.finish()
    return staged
