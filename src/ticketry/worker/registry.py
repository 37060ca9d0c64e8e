"""Every feature's jobs, periodic tasks and event subscribers, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

from ticketry.domain.approvals import tasks as approval_tasks
from ticketry.domain.events.service import EventSubscriber
from ticketry.domain.jobs.tasks import JobHandler, PeriodicTask
from ticketry.domain.notifications import tasks as notification_tasks
from ticketry.domain.sla import tasks as sla_tasks
from ticketry.domain.webhooks import tasks as webhook_tasks

# Order matters for subscribers: notifications before webhooks is arbitrary but fixed.
_MODULES: tuple[ModuleType, ...] = (notification_tasks, webhook_tasks, approval_tasks, sla_tasks)


@dataclass(frozen=True, slots=True)
class Registry:
    jobs: dict[str, JobHandler]
    periodic: Sequence[PeriodicTask]
    subscribers: Sequence[EventSubscriber]


def default_registry() -> Registry:
    jobs: dict[str, JobHandler] = {}
    periodic: list[PeriodicTask] = []
    subscribers: list[EventSubscriber] = []
    for module in _MODULES:
        for kind, handler in getattr(module, "JOBS", {}).items():
            if kind in jobs:
                raise RuntimeError(f"job kind {kind!r} registered twice")
            jobs[kind] = handler
        periodic.extend(getattr(module, "PERIODIC", ()))
        subscribers.extend(getattr(module, "EVENT_SUBSCRIBERS", ()))
    return Registry(jobs=jobs, periodic=periodic, subscribers=subscribers)
