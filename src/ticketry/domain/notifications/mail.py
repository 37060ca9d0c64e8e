"""Notification e-mail: the message (plain text) and its delivery over SMTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

import aiosmtplib
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ticketry.config import Settings
from ticketry.db import utcnow
from ticketry.domain.notifications.models import EmailStatus, Notification
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import User

# What a failed delivery raises: refusals, dropped connections, refused ports, timeouts.
SMTP_ERRORS: tuple[type[Exception], ...] = (aiosmtplib.SMTPException, OSError, TimeoutError)


class EmailNotSent(Exception):
    """The SMTP server refused or could not be reached (the worker tries again later)."""


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    notification_id: uuid.UUID
    recipient: str
    message: EmailMessage


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _link(settings: Settings, notification: Notification, ticket: Ticket | None) -> str | None:
    base = settings.public_base_url.rstrip("/")
    if ticket is not None:
        return f"{base}/api/v1/tickets/{ticket.public_id}"
    webhook = (notification.data or {}).get("webhook")
    if isinstance(webhook, dict) and isinstance(webhook.get("id"), str):
        return f"{base}/api/v1/webhooks/{webhook['id']}"
    return None


def build_message(*, notification: Notification, recipient: User, ticket: Ticket | None,
                  settings: Settings) -> EmailMessage:
    """One notification as a plain-text e-mail to its recipient."""
    sender_domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "ticketry.localhost"
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = formataddr((_one_line(recipient.full_name or recipient.username),
                                recipient.email))
    tag = ticket.key if ticket is not None else "Ticketry"
    message["Subject"] = _one_line(f"[{tag}] {notification.title}")
    message["Date"] = format_datetime(utcnow())
    # The same id on every attempt: a retry after a lost reply is recognisably one message.
    message["Message-ID"] = f"<{notification.public_id}@{sender_domain}>"
    # RFC 3834: vacation responders and ticket systems must not answer this.
    message["Auto-Submitted"] = "auto-generated"
    lines = [notification.title, "", notification.body]
    link = _link(settings, notification, ticket)
    if link is not None:
        lines += ["", f"Open it: {link}"]
    lines += ["", "-- ", "Ticketry notification: this message was sent automatically."]
    message.set_content("\n".join(lines) + "\n")
    return message


async def send_message(message: EmailMessage, settings: Settings) -> None:
    """Hand the message to the configured SMTP server; raises one of SMTP_ERRORS on failure."""
    await aiosmtplib.send(
        message, hostname=settings.smtp_host, port=settings.smtp_port,
        username=settings.smtp_username or None, password=settings.smtp_password or None,
        use_tls=settings.smtp_use_tls,
        start_tls=settings.smtp_starttls and not settings.smtp_use_tls,
        timeout=settings.smtp_timeout_seconds)


def _by_public_id(session: Session, notification_id: uuid.UUID) -> Notification | None:
    return session.scalars(select(Notification)
                           .where(Notification.public_id == notification_id)).one_or_none()


def prepare_email(session: Session, *, notification_id: uuid.UUID,
                  settings: Settings) -> OutgoingEmail | None:
    """The message to send for a notification, or None if there is nothing (left) to send."""
    row = session.execute(
        select(Notification, User).join(User, User.id == Notification.user_id)
        .options(joinedload(Notification.ticket))
        .where(Notification.public_id == notification_id)).one_or_none()
    if row is None:
        return None  # deleted with its ticket or its user
    notification, user = row
    if notification.email_status in (EmailStatus.SENT.value, EmailStatus.SKIPPED.value):
        return None  # never twice
    if not settings.smtp_host or not user.is_active or not user.email:
        notification.email_status = EmailStatus.SKIPPED.value
        notification.email_error = ("e-mail is not configured" if not settings.smtp_host
                                    else "the recipient has no active address")
        session.flush()
        return None
    message = build_message(notification=notification, recipient=user,
                            ticket=notification.ticket, settings=settings)
    return OutgoingEmail(notification_id=notification.public_id, recipient=user.email,
                         message=message)


def record_email_sent(session: Session, *, notification_id: uuid.UUID, attempts: int) -> None:
    notification = _by_public_id(session, notification_id)
    if notification is not None:
        notification.email_status = EmailStatus.SENT.value
        notification.email_sent_at = utcnow()
        notification.email_attempts = attempts
        notification.email_error = None
        session.flush()


def record_email_failure(session: Session, *, notification_id: uuid.UUID, attempts: int,
                         error: str, final: bool) -> None:
    """An attempt failed: the error is kept; after the last attempt the e-mail is failed."""
    notification = _by_public_id(session, notification_id)
    if notification is not None:
        notification.email_status = (EmailStatus.FAILED if final else EmailStatus.PENDING).value
        notification.email_attempts = attempts
        notification.email_error = error[:2000]
        session.flush()
