"""The worker's side of notifications: the fan-out of events and the e-mail job."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from ticketry.config import Settings, get_settings
from ticketry.domain.events.models import Event
from ticketry.domain.events.service import EventSubscriber
from ticketry.domain.jobs.service import ClaimedJob
from ticketry.domain.jobs.tasks import JobContext, JobHandler, PeriodicTask, RetryAt
from ticketry.domain.notifications.fanout import EMAIL_JOB, notify_events
from ticketry.domain.notifications.mail import (
    SMTP_ERRORS,
    EmailNotSent,
    prepare_email,
    record_email_failure,
    record_email_sent,
    send_message,
)


def _settings_of(session: Session) -> Settings:
    # The worker puts its settings on the session (JobContext.transaction); a session from
    # elsewhere gets the process's.
    settings = session.info.get("settings")
    return settings if isinstance(settings, Settings) else get_settings()


def notify_subscriber(session: Session, events: Sequence[Event]) -> None:
    notify_events(session, events, settings=_settings_of(session))


async def send_notification_email(ctx: JobContext, job: ClaimedJob) -> RetryAt | None:
    """Send one notification's e-mail. An SMTP failure raises, so the worker retries it with
    its backoff; the notification records each failure and, after the last, gives up."""
    try:
        notification_id = uuid.UUID(str(job.payload.get("notification_id")))
    except ValueError:
        return None  # not a job this handler wrote
    settings = ctx.settings
    outgoing = await ctx.transaction(
        lambda s: prepare_email(s, notification_id=notification_id, settings=settings))
    if outgoing is None:
        return None
    try:
        await send_message(outgoing.message, settings)
    except SMTP_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"
        final = job.attempts >= job.max_attempts
        await ctx.transaction(lambda s: record_email_failure(
            s, notification_id=notification_id, attempts=job.attempts, error=error, final=final))
        # An expected, operational failure: logged by the worker without the SMTP client's
        # stack, which says nothing the message does not.
        raise EmailNotSent(error) from None
    await ctx.transaction(lambda s: record_email_sent(
        s, notification_id=notification_id, attempts=job.attempts))
    return None


JOBS: dict[str, JobHandler] = {EMAIL_JOB: send_notification_email}
PERIODIC: Sequence[PeriodicTask] = ()
EVENT_SUBSCRIBERS: Sequence[EventSubscriber] = (notify_subscriber,)
