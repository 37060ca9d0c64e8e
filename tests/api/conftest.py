"""API test fixtures: logged-in people of each role, a small world of tickets with a comment and
an attachment, and a snapshot of the rows a refused request must not touch."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import Response
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, make_ticket, make_user, stage_file
from ticketry.config import Settings
from ticketry.domain.attachments.service import add_attachment
from ticketry.domain.attachments.storage import LocalStorage
from ticketry.domain.auth import service as auth
from ticketry.domain.comments.schemas import CommentCreate
from ticketry.domain.comments.service import add_comment
from ticketry.domain.tickets.service import assign_ticket
from ticketry.domain.users.models import Role, User

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
# The rows every refused request must leave exactly as they were.
TABLES = ("tickets", "ticket_history", "comments", "attachments", "users")


@dataclass
class Actor:
    user: User
    headers: dict[str, str]

    @property
    def id(self) -> str:
        return str(self.user.public_id)


@dataclass
class World:
    """`ticket` is the requester's, assigned to the engineer; `others_ticket` is a stranger's."""

    admin: Actor
    engineer: Actor
    other_engineer: Actor
    requester: Actor
    stranger: Actor
    ticket: str
    others_ticket: str
    comment: str
    attachment: str

    def url(self, template: str) -> str:
        return API + template.format(
            ticket=self.ticket, others_ticket=self.others_ticket, comment=self.comment,
            attachment=self.attachment, unknown=uuid.uuid4(), requester=self.requester.id,
            engineer=self.engineer.id)

    def fill(self, value: Any) -> Any:
        """`value` with the placeholders of `url` (`{ticket}`, `{requester}`, ...) filled in."""
        if isinstance(value, str):
            return self.url(value)[len(API):]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    def actor(self, name: str) -> Actor:
        actor: Actor = getattr(self, name)
        return actor


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    users = {role: make_user(session, role) for role in Role}
    other_engineer = make_user(session, Role.DEVOPS_ENGINEER)
    stranger = make_user(session, Role.END_USER)
    engineer, requester = users[Role.DEVOPS_ENGINEER], users[Role.END_USER]

    ticket = make_ticket(session, requester, priority="P2", tags=["disk"])
    assign_ticket(session, actor=users[Role.MANAGER], ticket_id=ticket.public_id,
                  assignee_id=engineer.public_id)
    comment, _ = add_comment(session, actor=engineer, ticket_id=ticket.public_id,
                             data=CommentCreate(content="Looking into it."))
    storage = LocalStorage(settings.storage_path)
    attachment, _ = add_attachment(session, actor=requester, ticket_id=ticket.public_id,
                                   staged=stage_file(storage, "df.txt", b"/dev/sda1 100%\n"),
                                   storage=storage)
    others_ticket = make_ticket(session, stranger, title="Stranger's ticket")

    def actor(user: User) -> Actor:
        # Logged in through the service: the same tokens as POST /auth/login, without the trip.
        issued = auth.login(session, settings=settings, username=user.username, password=PASSWORD)
        return Actor(user, {"Authorization": f"Bearer {issued.access_token}"})

    actors = {name: actor(user) for name, user in (
        ("admin", users[Role.ADMIN]), ("engineer", engineer), ("other_engineer", other_engineer),
        ("requester", requester), ("stranger", stranger))}
    session.commit()

    return World(**actors, ticket=str(ticket.public_id),
                 others_ticket=str(others_ticket.public_id), comment=str(comment.public_id),
                 attachment=str(attachment.public_id))


def snapshot(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {table: [tuple(row) for row in connection.execute(
        text(f"SELECT * FROM {table} ORDER BY id"))] for table in TABLES}


@pytest.fixture
def unchanged(connection: Connection) -> Callable[[], Any]:
    """`with unchanged(): ...` asserts the block leaves every row of TABLES as it was."""

    @contextmanager
    def check() -> Iterator[None]:
        before = snapshot(connection)
        yield
        after = snapshot(connection)
        assert {t: len(rows) for t, rows in after.items()} == \
            {t: len(rows) for t, rows in before.items()}
        assert after == before

    return check


def assert_problem(response: Response, status: int, error_code: str | None = None) -> dict[str, Any]:
    """A refusal in the API's one error shape: RFC 9457 with `detail` and `error_code`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["error_code"], str)
    assert body["error_code"]
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    if error_code is not None:
        assert body["error_code"] == error_code
    return body


def failing_fields(body: dict[str, Any]) -> set[str]:
    return {error["field"] for error in body.get("errors") or []}
