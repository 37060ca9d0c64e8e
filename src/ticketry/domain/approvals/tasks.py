from __future__ import annotations

from collections.abc import Sequence

from ticketry.domain.events.service import EventSubscriber
from ticketry.domain.jobs.tasks import JobHandler, PeriodicTask

JOBS: dict[str, JobHandler] = {}
PERIODIC: Sequence[PeriodicTask] = ()
EVENT_SUBSCRIBERS: Sequence[EventSubscriber] = ()
