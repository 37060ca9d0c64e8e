from __future__ import annotations

from collections.abc import Sequence

from ticketry.domain.approvals.service import escalate_overdue_approvals
from ticketry.domain.events.service import EventSubscriber
from ticketry.domain.jobs.tasks import JobContext, JobHandler, PeriodicTask

_BATCH = 100


async def escalate_approvals(ctx: JobContext) -> None:
    """Escalate every overdue approval, a batch per transaction (short locks)."""
    while True:
        done = await ctx.transaction(
            lambda session: escalate_overdue_approvals(session, settings=ctx.settings,
                                                       limit=_BATCH))
        if done < _BATCH:
            return


JOBS: dict[str, JobHandler] = {}
PERIODIC: Sequence[PeriodicTask] = (
    PeriodicTask(kind="approvals.escalate",
                 interval=lambda settings: settings.approval_check_interval_seconds,
                 run=escalate_approvals),
)
EVENT_SUBSCRIBERS: Sequence[EventSubscriber] = ()
