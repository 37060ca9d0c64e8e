"""The async SDK client (httpx.AsyncClient) against the app through httpx's ASGI transport:
the same operations as the sync client, awaited."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, make_ticket
from ticketry.domain.users.models import Team, User
from ticketry.sdk import (
    AsyncTicketSystemClient,
    AuthenticationError,
    NotFoundError,
    UnprocessableEntityError,
)
from ticketry.sdk.models import Page, Ticket

Connect = Callable[..., Any]


def test_login_set_token_and_me(async_connect: Connect, admin: User) -> None:
    async def scenario() -> None:
        async with async_connect() as sdk:
            auth = await sdk.auth.login(admin.username, PASSWORD)
            with pytest.raises(AuthenticationError):
                await sdk.auth.me()
            sdk.set_token(auth.access_token)
            assert (await sdk.auth.me()).username == admin.username
            await sdk.auth.logout(auth.refresh_token)
            assert sdk.token is None
            with pytest.raises(AuthenticationError):
                await sdk.auth.refresh(auth.refresh_token)

    asyncio.run(scenario())


def test_tickets_in_the_enterprise_queue(async_connect: Connect, admin: User,
                                         it_department: Team) -> None:
    async def scenario() -> None:
        async with async_connect(admin, queue="enterprise") as sdk:
            ticket = await sdk.tickets.create({"title": "Server Issue",
                                               "description": "Server is responding slowly",
                                               "priority": "high", "department_id": 1})
            assert isinstance(ticket, Ticket)
            assert (ticket.queue, ticket.status, ticket.department_id) == (
                "enterprise", "open", 1)
            listed = await sdk.tickets.list(status="open", priority="high", page=1, size=20)
            assert [t.id for t in listed] == [ticket.id]

            changed = await sdk.tickets.update(ticket.id, status="in_progress",
                                               expected_version=ticket.version)
            assert changed.status == "in_progress"
            assert (await sdk.tickets.change_status(ticket.id, "resolved")).status == "resolved"
            await sdk.tickets.delete(ticket.id)
            with pytest.raises(NotFoundError):
                await sdk.tickets.get(ticket.id)

    asyncio.run(scenario())


def test_pagination_and_iteration(async_connect: Connect, session: Session,
                                  admin: User) -> None:
    for n in range(5):
        make_ticket(session, admin, title=f"Ticket {n}")

    async def scenario() -> None:
        async with async_connect(admin) as sdk:
            page = await sdk.tickets.list(page=2, size=2, sort_by="title", order="asc")
            assert isinstance(page, Page)
            assert (page.total, page.pages, [t.title for t in page]) == (
                5, 3, ["Ticket 2", "Ticket 3"])
            titles = [t.title async for t in sdk.tickets.iterate(size=2, sort_by="title",
                                                                 order="asc")]
            assert titles == [f"Ticket {n}" for n in range(5)]

    asyncio.run(scenario())


def test_comments_and_a_file_round_trip(async_connect: Connect, admin: User,
                                        tmp_path: Path) -> None:
    content = bytes(range(256)) * 4096  # 1 MiB, every byte value
    source = tmp_path / "capture.zip"
    source.write_bytes(b"PK\x03\x04" + content)

    async def scenario() -> None:
        async with async_connect(admin) as sdk:
            ticket = await sdk.tickets.create(title="Packet capture", description="Attached")
            comment = await sdk.comments.create(ticket_id=ticket.id, content="Capture attached",
                                                is_internal=False)
            assert [c.id for c in await sdk.comments.list(ticket.id)] == [comment.id]

            uploaded = await sdk.attachments.upload(ticket.id, source,
                                                    description="tcpdump output")
            assert (uploaded.size, uploaded.description) == (len(content) + 4,
                                                             "tcpdump output")
            into = io.BytesIO()
            downloaded = await sdk.attachments.download(uploaded.id, into)
            assert into.getvalue() == source.read_bytes()
            assert (downloaded.filename, downloaded.size) == ("capture.zip", len(content) + 4)

            target = tmp_path / "missing.bin"
            with pytest.raises(NotFoundError):
                await sdk.attachments.download(uuid.uuid4(), target)
            assert not target.exists()

    asyncio.run(scenario())


def test_errors_approvals_and_webhooks(async_connect: Connect, admin: User,
                                       engineer: User) -> None:
    async def scenario() -> None:
        async with async_connect(admin) as sdk, async_connect(engineer) as approver:
            with pytest.raises(UnprocessableEntityError) as caught:
                await sdk.tickets.create(title="", description="d")
            assert [e["field"] for e in caught.value.errors] == ["title"]

            ticket = await sdk.tickets.create(title="Laptop", description="New hire")
            await sdk.approvals.request(ticket.id, "Purchase", approvers=[engineer.public_id])
            pending = await approver.approvals.pending()
            assert [a.ticket.id for a in pending] == [ticket.id]
            result = await approver.approvals.act(pending[0].number, "approve")
            assert result.approval.status == "approved"

            hook = await sdk.webhooks.create("https://hooks.example.com/t", ["ticket.created"])
            assert [h.id for h in await sdk.webhooks.list()] == [hook.id]
            await sdk.webhooks.delete(hook.id)
            assert (await sdk.webhooks.list()).total == 0

    asyncio.run(scenario())


def test_async_with_closes_the_client_it_made() -> None:
    async def scenario() -> AsyncTicketSystemClient:
        async with AsyncTicketSystemClient("http://127.0.0.1:9", queue="support") as sdk:
            assert sdk.queue == "support"
        return sdk

    assert asyncio.run(scenario())._http.is_closed
