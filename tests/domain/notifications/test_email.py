"""Notification e-mail, delivered to a real SMTP server on 127.0.0.1 (aiosmtpd).

Each new notification of a person with an address gets a `notification.email` job when an SMTP
server is configured; the worker sends it, retries a refusal with backoff, records failures and
never sends a notification twice.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.domain.notifications.helpers import drain, inbox
from tests.factories import login, make_ticket
from ticketry.config import Settings
from ticketry.db import Database, utcnow
from ticketry.domain.events.service import EventType, emit_event
from ticketry.domain.jobs.models import Job, JobStatus
from ticketry.domain.jobs.service import enqueue_job
from ticketry.domain.notifications.models import Notification
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import User
from ticketry.worker.runner import Worker

API = "/api/v1"
EMAIL_JOB = "notification.email"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Mailbox:
    """An SMTP server's handler: keeps what it accepts, refuses the first `refuse` messages."""

    port: int
    refuse: int = 0
    received: list[Envelope] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.received.append(envelope)
        return "250 2.0.0 Accepted"

    def messages(self) -> list[EmailMessage]:
        out = []
        for envelope in self.received:
            assert isinstance(envelope.content, bytes)
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            out.append(parsed)
        return out


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def mailing(settings: Settings, port: int, **extra: Any) -> Settings:
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port,
                                       "smtp_from": "Ticketry <ticketry@tickets.example.com>",
                                       "public_base_url": "https://tickets.example.com/",
                                       **extra})


@pytest.fixture
def ticket(session: Session, requester: User, engineer: User) -> Ticket:
    ticket = make_ticket(session, requester, title="Disk full on build agent")
    ticket.assignee_id = engineer.id
    session.flush()
    return ticket


def comment(client: TestClient, author: User, ticket: Ticket, content: str) -> None:
    response = client.post(f"{API}/tickets/{ticket.public_id}/comments",
                           headers=login(client, author), json={"content": content})
    assert response.status_code == 201, response.text


def email_jobs(session: Session) -> list[Job]:
    session.expire_all()
    return list(session.scalars(select(Job).where(Job.kind == EMAIL_JOB)))


def make_due(session: Session) -> None:
    """Bring the retries forward to now (instead of waiting for the backoff)."""
    session.execute(update(Job).where(Job.kind == EMAIL_JOB).values(run_at=utcnow()))
    session.flush()


def test_a_notification_arrives_by_e_mail_with_a_link_to_the_ticket(
        client: TestClient, session: Session, db: Database, settings: Settings,
        mailbox: Mailbox, ticket: Ticket, requester: User, engineer: User) -> None:
    comment(client, requester, ticket, "The build agent is down again.")

    drain(db, mailing(settings, mailbox.port))

    [envelope] = mailbox.received
    assert envelope.rcpt_tos == [engineer.email]
    assert envelope.mail_from == "ticketry@tickets.example.com"
    [message] = mailbox.messages()
    [note] = inbox(session, engineer)
    assert message["Subject"] == f"[{ticket.key}] {requester.username} commented on {ticket.key}"
    assert message["To"].addresses[0].addr_spec == engineer.email
    assert message["From"] == "Ticketry <ticketry@tickets.example.com>"
    assert message["Message-ID"] == f"<{note.public_id}@tickets.example.com>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"].datetime.tzinfo is not None
    body = message.get_content()
    assert "The build agent is down again." in body
    assert f"https://tickets.example.com/api/v1/tickets/{ticket.public_id}" in body
    assert note.email_status == "sent"
    assert note.email_sent_at is not None
    assert note.email_attempts == 1
    assert email_jobs(session) == []


def test_everyone_told_gets_their_own_message(
        client: TestClient, session: Session, db: Database, settings: Settings,
        mailbox: Mailbox, ticket: Ticket, requester: User, engineer: User,
        manager: User) -> None:
    comment(client, manager, ticket, "Replaced the disk.")

    drain(db, mailing(settings, mailbox.port))

    assert sorted(e.rcpt_tos[0] for e in mailbox.received) == sorted(
        [requester.email, engineer.email])


def test_a_refusing_server_is_tried_again_later_and_the_message_sent_once(
        client: TestClient, session: Session, db: Database, settings: Settings,
        mailbox: Mailbox, ticket: Ticket, requester: User, engineer: User) -> None:
    mailbox.refuse = 1
    comment(client, requester, ticket, "Any news?")
    mail_settings = mailing(settings, mailbox.port)

    drain(db, mail_settings)

    assert mailbox.received == []
    [note] = inbox(session, engineer)
    assert note.email_status == "pending"
    assert note.email_attempts == 1
    assert "451" in (note.email_error or "")
    [job] = email_jobs(session)
    assert job.status == JobStatus.QUEUED
    assert job.run_at > utcnow()  # backing off, not retried at once

    make_due(session)
    drain(db, mail_settings)

    assert len(mailbox.received) == 1
    [note] = inbox(session, engineer)
    assert note.email_status == "sent"
    assert note.email_attempts == 2
    assert note.email_error is None
    assert email_jobs(session) == []


def test_an_unreachable_server_is_recorded_and_given_up_after_the_last_attempt(
        client: TestClient, session: Session, db: Database, settings: Settings,
        ticket: Ticket, requester: User, engineer: User) -> None:
    closed = mailing(settings, free_port())  # nothing listens there
    comment(client, requester, ticket, "Any news?")

    drain(db, closed)

    [note] = inbox(session, engineer)
    assert note.email_status == "pending"
    assert note.email_error
    [job] = email_jobs(session)
    assert job.status == JobStatus.QUEUED
    assert job.last_error

    # The last attempt fails too: the notification's e-mail is failed, the job kept as failed.
    session.execute(update(Job).where(Job.id == job.id).values(attempts=job.max_attempts - 1))
    make_due(session)
    drain(db, closed)

    [note] = inbox(session, engineer)
    assert note.email_status == "failed"
    assert note.email_attempts == job.max_attempts
    [job] = email_jobs(session)
    assert job.status == JobStatus.FAILED
    # The in-app notification is there all the same.
    assert note.kind == "commented"


def test_a_sent_notification_is_never_sent_again(
        client: TestClient, session: Session, db: Database, settings: Settings,
        mailbox: Mailbox, ticket: Ticket, requester: User, engineer: User) -> None:
    comment(client, requester, ticket, "Any news?")
    mail_settings = mailing(settings, mailbox.port)
    drain(db, mail_settings)
    [note] = inbox(session, engineer)

    # A duplicate job (a retry after a lost acknowledgement, say) finds it sent.
    enqueue_job(session, kind=EMAIL_JOB, payload={"notification_id": str(note.public_id)})
    session.flush()
    drain(db, mail_settings)

    assert len(mailbox.received) == 1
    assert email_jobs(session) == []


def test_a_recipient_deactivated_before_sending_gets_no_e_mail(
        client: TestClient, session: Session, db: Database, settings: Settings,
        mailbox: Mailbox, ticket: Ticket, requester: User, engineer: User) -> None:
    comment(client, requester, ticket, "Any news?")
    mail_settings = mailing(settings, mailbox.port)
    # Fan out only (nothing is sent yet), then deactivate the recipient.
    asyncio.run(Worker(db, mail_settings).dispatch_once())
    assert len(email_jobs(session)) == 1
    engineer.is_active = False
    session.flush()

    drain(db, mail_settings)

    assert mailbox.received == []
    [note] = inbox(session, engineer)
    assert note.email_status == "skipped"


def test_a_notification_without_a_ticket_links_to_what_it_is_about(
        session: Session, db: Database, settings: Settings, mailbox: Mailbox,
        engineer: User) -> None:
    emit_event(session, type=EventType.WEBHOOK_DISABLED, actor=None, data={
        "webhook": {"id": "5f0c7a52-3333-4a5b-9c1d-2e3f4a5b6c7d",
                    "url": "https://hooks.example.com/t", "owner_id": engineer.id,
                    "reason": "no successful delivery for 72 hours"},
        "notify_user_ids": [engineer.id]})
    session.flush()

    drain(db, mailing(settings, mailbox.port))

    [message] = mailbox.messages()
    assert message["Subject"] == "[Ticketry] Your webhook to https://hooks.example.com/t was disabled"
    assert "https://tickets.example.com/api/v1/webhooks/5f0c7a52-3333-4a5b-9c1d-2e3f4a5b6c7d" \
        in message.get_content()
    assert session.scalar(select(Notification.email_status)) == "sent"
