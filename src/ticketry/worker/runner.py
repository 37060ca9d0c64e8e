"""The worker loop: fan out new events, claim due jobs, run them, keep their leases alive.

One asyncio loop per worker; database work runs on a small thread pool (SQLAlchemy is sync),
network work (webhooks, SMTP) is async. Several workers -- processes, machines, or the one
embedded in `ticketry serve` -- share the work through the jobs table.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from ticketry.config import Settings
from ticketry.db import Database, utcnow
from ticketry.domain.events.service import (
    EVENTS_EMITTED,
    dispatch_events,
    has_undispatched_events,
)
from ticketry.domain.jobs import service as jobs
from ticketry.domain.jobs.service import ClaimedJob
from ticketry.domain.jobs.tasks import JobContext, PeriodicTask, RetryAt
from ticketry.worker.registry import Registry, default_registry

log = structlog.get_logger("ticketry.worker")

# Retry delay for a job whose handler raised (seconds, by attempt; the last repeats).
_ERROR_BACKOFF = (5, 30, 120, 600, 1800, 3600)


def _pending_work(session: Session, *, want_jobs: bool, kinds: list[str]) -> tuple[bool, bool]:
    return (has_undispatched_events(session),
            want_jobs and jobs.has_ready_jobs(session, kinds=kinds))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, database: Database, settings: Settings, *,
                 registry: Registry | None = None, name: str | None = None,
                 concurrency: int | None = None) -> None:
        self.database = database
        self.settings = settings
        self.registry = registry or default_registry()
        self.name = name or worker_name()
        self.concurrency = max(1, concurrency or settings.worker_concurrency)
        self._periodic: dict[str, PeriodicTask] = {t.kind: t for t in self.registry.periodic}
        self._running: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self.ctx = JobContext(database=database, settings=settings, worker=self.name)

    def wake(self) -> None:
        """Look for work now rather than at the next poll (call from the worker's loop)."""
        self._wake.set()

    # ------------------------------------------------------------------ one round

    async def _db(self, work: Callable[[Session], Any]) -> Any:
        return await self.ctx.transaction(work)

    async def prepare(self) -> None:
        """Make sure every periodic task has its job row (one per task, whoever starts first)."""
        def ensure(session: Session) -> None:
            for task in self.registry.periodic:
                jobs.ensure_job(session, kind=task.kind, dedupe_key=f"periodic:{task.kind}")

        await self._db(ensure)

    async def dispatch_once(self, limit: int = 200) -> int:
        subscribers = self.registry.subscribers
        return int(await self._db(
            lambda s: dispatch_events(s, subscribers=subscribers, limit=limit)))

    async def claim(self, limit: int) -> list[ClaimedJob]:
        lease = self.settings.worker_lease_seconds
        kinds = sorted(set(self.registry.jobs) | set(self._periodic))
        return list(await self._db(lambda s: jobs.claim_jobs(
            s, worker=self.name, limit=limit, lease_seconds=lease, kinds=kinds)))

    async def run_job(self, job: ClaimedJob) -> None:
        """Run one claimed job and record its outcome; never raises (but for cancellation)."""
        worker = self.name
        try:
            task = self._periodic.get(job.kind)
            if task is not None:
                await task.run(self.ctx)
                outcome: RetryAt | None = RetryAt(
                    utcnow() + timedelta(seconds=task.interval(self.settings)),
                    reset_attempts=True)
            else:
                outcome = await self.registry.jobs[job.kind](self.ctx, job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failing job must not stop the worker
            error = f"{type(exc).__name__}: {exc}"
            log.exception("job_failed", job_id=job.id, kind=job.kind, attempt=job.attempts)
            if job.kind in self._periodic:
                interval = self._periodic[job.kind].interval(self.settings)
                retry = RetryAt(utcnow() + timedelta(seconds=interval), reset_attempts=True,
                                error=error)
                await self._db(lambda s: jobs.reschedule_job(
                    s, job_id=job.id, worker=worker, run_at=retry.at, reset_attempts=True,
                    error=error))
            elif job.attempts >= job.max_attempts:
                await self._db(lambda s: jobs.fail_job(s, job_id=job.id, worker=worker,
                                                       error=error))
            else:
                delay = _ERROR_BACKOFF[min(job.attempts, len(_ERROR_BACKOFF)) - 1]
                await self._db(lambda s: jobs.reschedule_job(
                    s, job_id=job.id, worker=worker, run_at=utcnow() + timedelta(seconds=delay),
                    error=error))
            return
        if outcome is None:
            await self._db(lambda s: jobs.finish_job(s, job_id=job.id, worker=worker))
        else:
            await self._db(lambda s: jobs.reschedule_job(
                s, job_id=job.id, worker=worker, run_at=outcome.at,
                reset_attempts=outcome.reset_attempts, error=outcome.error))

    async def drain(self, *, max_rounds: int = 1000) -> int:
        """Tests and one-off runs: fan out and run everything due now, one job at a time,
        until nothing is left. Returns the number of events and jobs handled."""
        await self.prepare()
        handled = 0
        for _ in range(max_rounds):
            done = 0
            while (n := await self.dispatch_once()):
                done += n
            claimed = await self.claim(self.concurrency)
            for job in claimed:
                await self.run_job(job)
            done += len(claimed)
            handled += done
            if not done:
                return handled
        return handled

    # ------------------------------------------------------------------ the loop

    async def run(self, stop: asyncio.Event) -> None:
        executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ticketry-worker-db")
        self.ctx.executor = executor
        log.info("worker_started", worker=self.name, concurrency=self.concurrency)
        try:
            await self.prepare()
            renew = asyncio.create_task(self._renew_leases(stop))
            try:
                await self._loop(stop)
            finally:
                renew.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renew
                await self._shut_down()
        finally:
            executor.shutdown(wait=True)
            log.info("worker_stopped", worker=self.name)

    async def _loop(self, stop: asyncio.Event) -> None:
        poll = self.settings.worker_poll_interval
        kinds = sorted(set(self.registry.jobs) | set(self._periodic))
        while not stop.is_set():
            try:
                work = 0
                free = self.concurrency - len(self._running)
                events, ready = await self.ctx.transaction(
                    functools.partial(_pending_work, want_jobs=free > 0, kinds=kinds),
                    write=False)
                if events:
                    work += await self.dispatch_once()
                if ready:
                    for job in await self.claim(free):
                        self._start(job)
                        work += 1
            except Exception:
                # The database went away for a moment: wait and try again.
                log.exception("worker_round_failed", worker=self.name)
                work = 0
            if not work:
                self._wake.clear()
                waits = [asyncio.ensure_future(stop.wait()),
                         asyncio.ensure_future(self._wake.wait())]
                await asyncio.wait(waits, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waits:
                    waiter.cancel()
            else:
                await self._wait_for_free_slots(stop, poll)

    async def _wait_for_free_slots(self, stop: asyncio.Event, poll: float) -> None:
        """Claim in batches: with most slots busy, wait (at most a poll interval) until a
        quarter of them are free, rather than paying a claiming transaction per finished job."""
        batch = max(1, self.concurrency // 4)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + poll
        while (self._running and self.concurrency - len(self._running) < batch
               and not stop.is_set()):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            await asyncio.wait(list(self._running.values()), timeout=remaining,
                               return_when=asyncio.FIRST_COMPLETED)

    def _start(self, job: ClaimedJob) -> None:
        task = asyncio.create_task(self.run_job(job), name=f"job-{job.id}-{job.kind}")
        self._running[job.id] = task

        def done(_: asyncio.Task[None]) -> None:
            self._running.pop(job.id, None)
            self._wake.set()

        task.add_done_callback(done)

    async def _renew_leases(self, stop: asyncio.Event) -> None:
        lease = self.settings.worker_lease_seconds
        while not stop.is_set():
            await asyncio.sleep(max(lease / 3, 0.05))
            ids = list(self._running)
            if ids:
                with contextlib.suppress(Exception):
                    await self._db(lambda s, ids=ids: jobs.extend_lease(  # type: ignore[misc]
                        s, worker=self.name, job_ids=ids, lease_seconds=lease))

    async def _shut_down(self) -> None:
        """Let running jobs finish within the grace period; hand back the rest untouched."""
        if not self._running:
            return
        grace = self.settings.worker_shutdown_grace_seconds
        log.info("worker_finishing_jobs", worker=self.name, jobs=len(self._running))
        _done, pending = await asyncio.wait(list(self._running.values()), timeout=grace)
        unfinished = [job_id for job_id, task in self._running.items() if task in pending]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if unfinished:
            count = await self._db(lambda s: jobs.release_jobs(s, worker=self.name,
                                                                 job_ids=unfinished))
            log.info("worker_released_jobs", worker=self.name, jobs=count)


def run_worker_forever(database: Database, settings: Settings) -> None:
    """`ticketry worker`: run until SIGTERM or SIGINT, then finish or hand back."""
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await Worker(database, settings).run(stop)

    asyncio.run(main())


class EmbeddedWorker:
    """The worker inside `ticketry serve`: its own thread, event loop and database pool."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._worker: Worker | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, name="ticketry-worker", daemon=True)

    def _main(self) -> None:
        database = Database(self.settings.database_url, pool_size=4, max_overflow=4)

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._worker = Worker(database, self.settings)
            self._started.set()
            await self._worker.run(self._stop)

        # Requests in this process that commit events wake the worker at once (no poll delay).
        sa_event.listen(Session, "after_commit", self._after_commit)
        sa_event.listen(Session, "after_rollback", self._after_rollback)
        try:
            asyncio.run(main())
        finally:
            sa_event.remove(Session, "after_commit", self._after_commit)
            sa_event.remove(Session, "after_rollback", self._after_rollback)
            self._started.set()
            database.dispose()

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(EVENTS_EMITTED, False) and self._loop is not None \
                and self._worker is not None:
            with contextlib.suppress(RuntimeError):  # the loop has just closed
                self._loop.call_soon_threadsafe(self._worker.wake)

    @staticmethod
    def _after_rollback(session: Session) -> None:
        session.info.pop(EVENTS_EMITTED, None)

    def start(self) -> None:
        self._thread.start()
        self._started.wait(10)

    def stop(self, timeout: float | None = None) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout if timeout is not None
                          else self.settings.worker_shutdown_grace_seconds + 5)
