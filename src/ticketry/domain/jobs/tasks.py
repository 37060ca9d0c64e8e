"""What a job handler is, and what it gets to work with.

Each feature's `tasks.py` exposes `JOBS` (kind -> handler), `PERIODIC` (tasks the worker
runs on a timer) and `EVENT_SUBSCRIBERS` (fan-out steps run on every batch of new events);
the worker collects them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.jobs.service import ClaimedJob

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryAt:
    """Run this job again at `at` (a handler's own retry schedule, or a periodic task's next
    run); `reset_attempts` for tasks that are meant to run forever."""

    at: datetime
    reset_attempts: bool = False
    error: str | None = None


@dataclass(slots=True)
class JobContext:
    database: Database
    settings: Settings
    worker: str
    executor: Executor | None = None
    # Services the worker shares between jobs (an HTTP client, ...), by name.
    resources: dict[str, object] = field(default_factory=dict)

    async def transaction(self, work: Callable[[Session], T], *, write: bool = True) -> T:
        """Run `work(session)` in a unit of work of its own, off the event loop (`write=False`
        for reads: on SQLite they do not take the write lock)."""
        def run() -> T:
            with self.database.unit_of_work(write=write) as session:
                # Event subscribers get only the session: they read the worker's settings here.
                session.info["settings"] = self.settings
                return work(session)

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, run)


JobHandler = Callable[[JobContext, ClaimedJob], Awaitable[RetryAt | None]]


@dataclass(frozen=True, slots=True)
class PeriodicTask:
    kind: str
    # Seconds between runs, read from the settings (so tests and deployments can tune it).
    interval: Callable[[Settings], float]
    run: Callable[[JobContext], Awaitable[None]]
