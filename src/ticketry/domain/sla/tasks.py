"""The worker's side of SLAs: a timer that marks the targets that have passed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ticketry.db import utcnow
from ticketry.domain.events.service import EventSubscriber
from ticketry.domain.jobs.tasks import JobContext, JobHandler, PeriodicTask
from ticketry.domain.sla.service import BREACH_BATCH, mark_breaches
from ticketry.log import get_logger

log = get_logger("ticketry.sla")

CHECK_BREACHES = "sla.check_breaches"


async def check_breaches(ctx: JobContext, *, now: datetime | None = None,
                         batch_size: int = BREACH_BATCH) -> int:
    """Mark every breached target, one committed batch at a time; returns how many tickets.
    Each batch marks all it claims, so the loop ends; one `now` for the whole run."""
    settings = ctx.settings
    if not settings.sla_enabled:
        return 0
    now = now or utcnow()
    total = 0
    while True:
        marked = await ctx.transaction(
            lambda s: mark_breaches(s, now=now, settings=settings, limit=batch_size))
        total += marked
        if marked < batch_size:
            break
    if total:
        log.info("sla_breaches_marked", tickets=total)
    return total


async def _run(ctx: JobContext) -> None:
    await check_breaches(ctx)


JOBS: dict[str, JobHandler] = {}
PERIODIC: Sequence[PeriodicTask] = (
    PeriodicTask(CHECK_BREACHES, interval=lambda s: s.sla_check_interval_seconds, run=_run),
)
EVENT_SUBSCRIBERS: Sequence[EventSubscriber] = ()
