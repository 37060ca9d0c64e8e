"""The sync SDK client against the canonical API: every resource, as a client program uses it."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, make_ticket
from ticketry.domain.api_tokens.service import create_api_token_for
from ticketry.domain.users.models import Team, User
from ticketry.sdk import (
    AuthenticationError,
    NotFoundError,
    PreconditionFailedError,
    TicketSystemClient,
    UnprocessableEntityError,
)
from ticketry.sdk.models import Approval, Attachment, Comment, Page, Ticket

Connect = Callable[..., TicketSystemClient]


# ------------------------------------------------------------------------------ authentication


def test_login_gives_tokens_and_the_user_and_set_token_authenticates(connect: Connect,
                                                                     admin: User) -> None:
    sdk = connect()
    auth = sdk.auth.login(admin.username, PASSWORD)
    assert auth.token_type == "bearer"
    assert auth.expires_in > 0
    assert auth.refresh_token
    assert auth.user.username == admin.username
    assert auth.user.role == "ADMIN"

    with pytest.raises(AuthenticationError):
        sdk.auth.me()
    sdk.set_token(auth.access_token)
    assert sdk.token == auth.access_token
    assert sdk.auth.me().id == admin.public_id


def test_wrong_password_raises_authentication_error(connect: Connect, admin: User) -> None:
    with pytest.raises(AuthenticationError) as caught:
        connect().auth.login(admin.username, "not-the-password")
    assert caught.value.status_code == 401
    assert caught.value.request_id


def test_refresh_rotates_tokens_and_logout_ends_the_session(connect: Connect,
                                                            admin: User) -> None:
    sdk = connect()
    auth = sdk.auth.login(admin.username, PASSWORD)
    renewed = sdk.auth.refresh(auth.refresh_token)
    assert renewed.access_token != auth.access_token
    with pytest.raises(AuthenticationError):
        sdk.auth.refresh(auth.refresh_token)  # a rotated refresh token is spent

    again = connect().auth.login(admin.username, PASSWORD)
    sdk.set_token(again.access_token)
    sdk.auth.logout()
    assert sdk.token is None
    other = connect()
    other.set_token(again.access_token)
    with pytest.raises(AuthenticationError):
        other.auth.me()


def test_an_api_key_authenticates_until_a_token_is_set(connect: Connect, session: Session,
                                                       admin: User, requester: User) -> None:
    issued = create_api_token_for(session, username=requester.username, name="sdk",
                                  expires_days=None)
    sdk = connect(api_key=issued.secret)
    assert sdk.auth.me().username == requester.username

    # A session token replaces the key (the server would otherwise prefer the key).
    sdk.set_token(sdk.auth.login(admin.username, PASSWORD).access_token)
    assert sdk.auth.me().username == admin.username
    sdk.set_token(None)
    assert sdk.auth.me().username == requester.username


# ------------------------------------------------------------------------------ tickets


def test_create_get_update_and_delete_a_ticket(sdk: TicketSystemClient) -> None:
    ticket = sdk.tickets.create({"title": "Build agents are out of disk",
                                 "description": "The / partition is at 100%."},
                                priority="P2", tags=["disk"])
    assert isinstance(ticket, Ticket)
    assert isinstance(ticket.id, uuid.UUID)
    assert (ticket.queue, ticket.priority, ticket.tags) == ("devops", "P2", ["disk"])

    fetched = sdk.tickets.get(ticket.id)
    assert fetched.key == ticket.key == fetched.ticket_number

    changed = sdk.tickets.update(str(ticket.id).upper(), priority="P1",
                                 expected_version=fetched.version)
    assert changed.priority == "P1"
    assert changed.version > fetched.version
    with pytest.raises(PreconditionFailedError):
        sdk.tickets.update(ticket.id, {"priority": "P3"}, expected_version=fetched.version)

    # PUT: what is not given returns to the queue's default (devops: P3).
    replaced = sdk.tickets.replace(str(ticket.id), title="Disk full", description="Cleaned up")
    assert (replaced.title, replaced.priority, replaced.tags) == ("Disk full", "P3", [])

    sdk.tickets.delete(ticket.id)
    with pytest.raises(NotFoundError):
        sdk.tickets.get(ticket.id)


def test_the_enterprise_vocabulary_is_translated_in_the_enterprise_queue(
        connect: Connect, admin: User, it_department: Team) -> None:
    sdk = connect(admin, queue="enterprise")
    ticket = sdk.tickets.create({"title": "Server Issue",
                                 "description": "Server is responding slowly",
                                 "priority": "high", "department_id": 1,
                                 "due_date": "2030-12-05T18:00:00Z"})
    assert (ticket.queue, ticket.status, ticket.priority) == ("enterprise", "open", "high")
    assert ticket.key.startswith("TKT-")
    assert ticket.team is not None
    assert ticket.team.id == it_department.public_id
    assert ticket.department_id == 1
    assert ticket.due_at == datetime(2030, 12, 5, 18, tzinfo=UTC)

    listed = sdk.tickets.list(status="open", priority="high", department_id=1, page=1, size=20)
    assert [t.id for t in listed] == [ticket.id]


def test_an_unknown_department_is_refused_before_anything_is_sent(connect: Connect,
                                                                  admin: User) -> None:
    sdk = connect(admin, queue="enterprise")
    with pytest.raises(ValueError, match=r"no department .* 987654"):
        sdk.tickets.create(title="x", description="y", department_id=987654)
    assert sdk.tickets.list().total == 0


def test_the_client_queue_scopes_listing_and_creation(connect: Connect, session: Session,
                                                      admin: User) -> None:
    make_ticket(session, admin, title="A devops ticket")
    make_ticket(session, admin, queue="enterprise", title="An enterprise ticket")
    everywhere = connect(admin)
    enterprise = connect(admin, queue="enterprise")

    assert {t.title for t in everywhere.tickets.list()} == {"A devops ticket",
                                                            "An enterprise ticket"}
    assert [t.title for t in enterprise.tickets.list()] == ["An enterprise ticket"]
    assert [t.title for t in enterprise.tickets.list(queue="devops")] == ["A devops ticket"]
    assert enterprise.tickets.create(title="New", description="d").queue == "enterprise"
    assert everywhere.tickets.create(title="New", description="d").queue == "devops"


def test_pages_carry_totals_and_iterate_their_items(sdk: TicketSystemClient, session: Session,
                                                    admin: User) -> None:
    for n in range(7):
        make_ticket(session, admin, title=f"Ticket {n}", priority="P3" if n % 2 else "P4")

    first = sdk.tickets.list(page=1, size=3, sort_by="title", order="asc")
    assert isinstance(first, Page)
    assert (first.total, first.page, first.size, first.pages, len(first)) == (7, 1, 3, 3, 3)
    assert first.has_next
    assert [t.title for t in first] == ["Ticket 0", "Ticket 1", "Ticket 2"]
    assert first[0].title == "Ticket 0"
    last = sdk.tickets.list(page=3, size=3, sort_by="title", order="asc")
    assert [t.title for t in last.items] == ["Ticket 6"]
    assert not last.has_next

    assert [t.title for t in sdk.tickets.iterate(size=2, sort_by="title", order="asc")] == [
        f"Ticket {n}" for n in range(7)]
    assert {t.title for t in sdk.tickets.iterate(size=2, priority=["P3"])} == {
        "Ticket 1", "Ticket 3", "Ticket 5"}


def test_status_changes_assignment_and_history(sdk: TicketSystemClient,
                                               engineer: User) -> None:
    ticket = sdk.tickets.create(title="VPN drops", description="Every 10 minutes")
    assigned = sdk.tickets.assign(ticket.id, engineer.public_id, notes="Network expert")
    assert assigned.assignee is not None
    assert assigned.assignee.username == engineer.username
    assert sdk.tickets.change_status(ticket.id, "IN_PROGRESS", notes="Looking").status == \
        "IN_PROGRESS"
    resolved = sdk.tickets.resolve(ticket.id, "Replaced the router")
    assert (resolved.status, resolved.resolution_notes) == ("RESOLVED", "Replaced the router")
    assert sdk.tickets.close(ticket.id, notes="Confirmed").status == "CLOSED"
    assert sdk.tickets.reopen(ticket.id, reason="Back again").status == "REOPENED"
    assert sdk.tickets.assign(ticket.id, None).assignee is None

    history = sdk.tickets.history(ticket.id)
    assert history[0].change_type == "CREATED"
    assert {"ASSIGNMENT_CHANGE", "RESOLVED", "CLOSED", "REOPENED"} <= {
        h.change_type for h in history}
    assert sdk.tickets.history(ticket.id, language="ca")[0].message != history[0].message

    with pytest.raises(UnprocessableEntityError) as caught:
        sdk.tickets.change_status(ticket.id, "NO_SUCH_STATUS")
    assert caught.value.error_code


# ------------------------------------------------------------------------------ comments, files


def test_comments_are_created_listed_edited_and_deleted(sdk: TicketSystemClient,
                                                        connect: Connect,
                                                        requester: User) -> None:
    ticket = sdk.tickets.create(title="Printer", description="Jammed",
                                requester_id=requester.public_id)
    public = sdk.comments.create(ticket_id=ticket.id, content="I'm investigating this issue",
                                 is_internal=False)
    assert isinstance(public, Comment)
    assert (public.ticket_id, public.is_internal) == (ticket.id, False)
    internal = sdk.comments.create(ticket.id, "Toner supplier is late", is_internal=True)
    assert [c.id for c in sdk.comments.list(ticket.id)] == [public.id, internal.id]
    # The requester never sees internal comments.
    assert [c.id for c in connect(requester).comments.list(ticket.id)] == [public.id]

    edited = sdk.comments.update(public.id, "Investigating: paper path")
    assert edited.content == "Investigating: paper path"
    assert edited.edited_at is not None
    sdk.comments.delete(internal.id)
    assert [c.id for c in sdk.comments.list(ticket.id)] == [public.id]


def test_a_file_uploads_and_downloads_byte_for_byte(sdk: TicketSystemClient,
                                                    tmp_path: Path) -> None:
    ticket = sdk.tickets.create(title="Crash", description="See the log")
    content = b"".join(f"line {n}: connection reset\n".encode() for n in range(20_000))
    log = tmp_path / "error_log.txt"
    log.write_bytes(content)

    uploaded = sdk.attachments.upload(ticket.id, log, description="Error log file")
    assert isinstance(uploaded, Attachment)
    assert (uploaded.filename, uploaded.size, uploaded.content_type) == (
        "error_log.txt", len(content), "text/plain")
    assert uploaded.description == "Error log file"
    assert uploaded.virus_scan_status == "not_scanned"

    into = io.BytesIO()
    downloaded = sdk.attachments.download(uploaded.id, into)
    assert into.getvalue() == content
    assert (downloaded.filename, downloaded.size, downloaded.content_type) == (
        "error_log.txt", len(content), "text/plain")

    target = tmp_path / "copy.txt"
    sdk.attachments.download(uploaded.id, target)
    assert target.read_bytes() == content


def test_uploads_take_bytes_and_file_objects(sdk: TicketSystemClient) -> None:
    ticket = sdk.tickets.create(title="Screenshots", description="Two of them")
    from_bytes = sdk.attachments.upload(ticket.id, b"a,b\n1,2\n", filename="data.csv",
                                        is_internal=True)
    handle = io.BytesIO(b'{"ok": true}')
    from_file = sdk.attachments.upload(ticket.id, handle, filename="state.json")
    assert (from_bytes.content_type, from_bytes.is_internal) == ("text/csv", True)
    assert from_file.content_type == "application/json"
    assert {a.filename for a in sdk.attachments.list(ticket.id)} == {"data.csv", "state.json"}

    sdk.attachments.delete(from_bytes.id)
    assert [a.filename for a in sdk.attachments.list(ticket.id)] == ["state.json"]
    with pytest.raises(ValueError, match="filename"):
        sdk.attachments.upload(ticket.id, b"no name")


def test_a_failed_download_leaves_no_file(sdk: TicketSystemClient, tmp_path: Path) -> None:
    target = tmp_path / "missing.bin"
    with pytest.raises(NotFoundError):
        sdk.attachments.download(uuid.uuid4(), target)
    assert not target.exists()


# ------------------------------------------------------------------------------ approvals


def test_approvals_are_requested_listed_and_acted_on(connect: Connect, admin: User,
                                                     engineer: User) -> None:
    sdk = connect(admin)
    first = sdk.tickets.create(title="New laptop", description="For the new hire")
    second = sdk.tickets.create(title="Second monitor", description="For the new hire")
    third = sdk.tickets.create(title="Docking station", description="For the new hire")
    for ticket in (first, second, third):
        sdk.approvals.request(ticket.id, "Hardware purchase", approvers=[engineer.public_id])

    approver = connect(engineer)
    pending = approver.approvals.pending()
    assert isinstance(pending[0], Approval)
    assert {a.ticket.id for a in pending} == {first.id, second.id, third.id}
    by_ticket = {a.ticket.id: a for a in pending}

    approved = approver.approvals.act(by_ticket[first.id].number, "approve",
                                      comments="Approved with conditions",
                                      conditions=["Budget limit: $5000"])
    assert (approved.approval.status, approved.approval.conditions) == (
        "approved", ["Budget limit: $5000"])
    assert approver.approvals.get(by_ticket[first.id].id).status == "approved"
    with pytest.raises(UnprocessableEntityError):
        approver.approvals.act(by_ticket[first.id].id, "approve")

    bulk = approver.approvals.bulk_act([by_ticket[second.id].number, by_ticket[third.id].id,
                                        by_ticket[first.id].number], "reject", comments="No")
    assert (bulk.succeeded, bulk.failed) == (2, 1)
    assert approver.approvals.pending().total == 0
    workflow = sdk.approvals.for_ticket(second.id)
    assert workflow.requests[0].approvals[0].status == "rejected"


# ------------------------------------------------------------------------------ webhooks


def test_webhooks_are_created_listed_and_deleted(sdk: TicketSystemClient) -> None:
    hook = sdk.webhooks.create("https://hooks.example.com/tickets",
                               ["ticket.created", "ticket.updated"],
                               secret="your_webhook_secret")
    assert hook.secret == "your_webhook_secret"
    assert hook.active
    listed = sdk.webhooks.list()
    assert [h.id for h in listed] == [hook.id]
    assert listed.items[0].secret != "your_webhook_secret"  # masked after creation

    assert sdk.webhooks.update(hook.id, active=False).active is False
    assert sdk.webhooks.get(hook.id).events == ["ticket.created", "ticket.updated"]
    sdk.webhooks.delete(hook.id)
    assert sdk.webhooks.list().total == 0


# ------------------------------------------------------------------------------ the client itself


def test_the_client_closes_what_it_opened_and_nothing_else(connect: Connect) -> None:
    with TicketSystemClient(base_url="http://127.0.0.1:9") as own:
        assert repr(own) == "TicketSystemClient(base_url='http://127.0.0.1:9', queue=None)"
        assert own.api_url == "http://127.0.0.1:9/api/v1"
    assert own._http.is_closed

    borrowed = connect()
    borrowed.close()
    assert not borrowed._http.is_closed


def test_base_url_may_name_the_api_root_or_a_path_prefix() -> None:
    assert TicketSystemClient("https://desk.example.com/api/v1/").api_url == \
        "https://desk.example.com/api/v1"
    assert TicketSystemClient("https://example.com/ticketry").api_url == \
        "https://example.com/ticketry/api/v1"
    with pytest.raises(ValueError, match="http"):
        TicketSystemClient("desk.example.com")
