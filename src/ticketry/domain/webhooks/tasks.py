"""Webhook work for the worker: the fan-out subscriber and the `webhook.deliver` job."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import httpx

from ticketry.config import Settings
from ticketry.db import utcnow
from ticketry.domain.events.service import EventSubscriber
from ticketry.domain.jobs.service import ClaimedJob
from ticketry.domain.jobs.tasks import JobContext, JobHandler, PeriodicTask, RetryAt
from ticketry.domain.webhooks import egress, signing
from ticketry.domain.webhooks.delivery import (
    RESPONSE_BODY_LIMIT,
    AttemptOutcome,
    AttemptPlan,
    fan_out,
    prepare_attempt,
    record_attempt,
)
from ticketry.domain.webhooks.service import DELIVER_JOB


async def send_attempt(plan: AttemptPlan, settings: Settings) -> AttemptOutcome:
    """Check the target, sign and POST; every way it can go wrong becomes the outcome's error."""
    started = utcnow()
    clock = time.monotonic()
    timestamp = int(started.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": signing.USER_AGENT,
        "webhook-id": plan.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.sign(plan.secret, message_id=plan.message_id,
                                          timestamp=timestamp, body=plan.body),
    }
    info: dict[str, object] = {"webhook_id": plan.message_id, "webhook_timestamp": timestamp}
    status: int | None = None
    body: bytes | None = None
    error: str | None = None
    timeout = settings.webhook_timeout_seconds
    try:
        # One deadline for resolving, connecting, sending and reading.
        async with asyncio.timeout(timeout):
            target = await egress.resolve_target(
                plan.url, allow_private=settings.webhook_allow_private_targets)
            info["address"] = str(target.address)
            response = await egress.post(target, headers=headers, body=plan.body,
                                         timeout=timeout, limit=RESPONSE_BODY_LIMIT)
        status, body = response.status_code, response.body
        if 300 <= status < 400:
            error = f"HTTP {status}: redirects are not followed"
        elif not 200 <= status < 300:
            error = f"HTTP {status}"
    except egress.TargetRefused as exc:
        error = f"not sent: {exc.message}"
    except TimeoutError:
        error = f"timed out after {timeout:g} s"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except OSError as exc:
        error = f"{type(exc).__name__}: {exc}"
    if error is not None:
        error = error.replace("\x00", "")
    duration_ms = int((time.monotonic() - clock) * 1000)
    return AttemptOutcome(
        started_at=started, duration_ms=duration_ms, status_code=status, error=error,
        # NUL cannot be stored in a PostgreSQL text column.
        response_body=(body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
                       if body is not None else None),
        request_info=info)


async def deliver(ctx: JobContext, job: ClaimedJob) -> RetryAt | None:
    delivery_id = int(job.payload["delivery_id"])
    manual = bool(job.payload.get("manual", False))
    once = bool(job.payload.get("once", False))
    plan = await ctx.transaction(lambda s: prepare_attempt(
        s, delivery_id=delivery_id, manual=manual, once=once))
    if plan is None:
        return None
    outcome = await send_attempt(plan, ctx.settings)
    retry_at = await ctx.transaction(lambda s: record_attempt(
        s, plan=plan, outcome=outcome, settings=ctx.settings))
    # reset_attempts: the job's own counter is for crashes; the schedule lives on the delivery.
    return RetryAt(retry_at, reset_attempts=True) if retry_at is not None else None


JOBS: dict[str, JobHandler] = {DELIVER_JOB: deliver}
PERIODIC: Sequence[PeriodicTask] = ()
EVENT_SUBSCRIBERS: Sequence[EventSubscriber] = (fan_out,)
