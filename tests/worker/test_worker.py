"""The worker fans out events, runs jobs, retries failures, keeps timers, and on shutdown
finishes or hands back what it holds."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tests.factories import make_ticket
from ticketry.config import Settings
from ticketry.db import Database, utcnow
from ticketry.domain.events.models import Event
from ticketry.domain.jobs import service as jobs
from ticketry.domain.jobs.models import Job
from ticketry.domain.jobs.service import ClaimedJob
from ticketry.domain.jobs.tasks import JobContext, PeriodicTask, RetryAt
from ticketry.domain.users.models import User
from ticketry.worker.registry import Registry
from ticketry.worker.runner import Worker


class Recorder:
    def __init__(self) -> None:
        self.runs: list[tuple[str, dict[str, object], int]] = []
        self.events: list[str] = []

    async def ok(self, ctx: JobContext, job: ClaimedJob) -> RetryAt | None:
        self.runs.append(("ok", job.payload, job.attempts))
        return None

    async def broken(self, ctx: JobContext, job: ClaimedJob) -> RetryAt | None:
        self.runs.append(("broken", job.payload, job.attempts))
        raise RuntimeError("receiver exploded")

    async def later(self, ctx: JobContext, job: ClaimedJob) -> RetryAt | None:
        self.runs.append(("later", job.payload, job.attempts))
        return RetryAt(utcnow() + timedelta(hours=1), error="not yet")

    async def tick(self, ctx: JobContext) -> None:
        self.runs.append(("tick", {}, 0))

    def subscriber(self, session: Session, events: Sequence[Event]) -> None:
        self.events.extend(e.type for e in events)

    def registry(self) -> Registry:
        return Registry(
            jobs={"ok": self.ok, "broken": self.broken, "later": self.later},
            periodic=[PeriodicTask("tick", interval=lambda s: 300, run=self.tick)],
            subscribers=[self.subscriber])


def job_rows(session: Session, kind: str) -> list[Job]:
    session.expire_all()
    return list(session.scalars(select(Job).where(Job.kind == kind)))


def test_events_are_fanned_out_once_and_marked_dispatched(
        db: Database, session: Session, settings: Settings, engineer: User) -> None:
    ticket = make_ticket(session, engineer)
    session.commit()
    recorder = Recorder()

    asyncio.run(Worker(db, settings, registry=recorder.registry()).drain())
    asyncio.run(Worker(db, settings, registry=recorder.registry()).drain())

    assert recorder.events == ["ticket.created"]
    session.expire_all()
    event = session.scalars(select(Event).where(Event.ticket_id == ticket.id)).one()
    assert event.dispatched_at is not None


def test_a_finished_job_is_gone_and_a_failing_one_is_retried_later(
        db: Database, session: Session, settings: Settings) -> None:
    jobs.enqueue_job(session, kind="ok", payload={"n": 1})
    jobs.enqueue_job(session, kind="broken", payload={"n": 2}, max_attempts=3)
    session.commit()
    recorder = Recorder()

    asyncio.run(Worker(db, settings, registry=recorder.registry()).drain())

    assert ("ok", {"n": 1}, 1) in recorder.runs
    assert job_rows(session, "ok") == []
    [broken] = job_rows(session, "broken")
    assert broken.status == "queued"
    assert broken.attempts == 1
    assert broken.last_error == "RuntimeError: receiver exploded"
    assert broken.run_at > utcnow()  # backoff: not due again yet


def test_a_job_that_keeps_failing_is_given_up_after_its_attempts(
        db: Database, session: Session, settings: Settings) -> None:
    job = jobs.enqueue_job(session, kind="broken", max_attempts=2)
    session.commit()
    recorder = Recorder()
    worker = Worker(db, settings, registry=recorder.registry())

    asyncio.run(worker.drain())
    session.execute(Job.__table__.update().where(Job.id == job.id).values(run_at=utcnow()))
    session.commit()
    asyncio.run(worker.drain())

    [row] = job_rows(session, "broken")
    assert (row.status, row.attempts) == ("failed", 2)
    assert [r[2] for r in recorder.runs if r[0] == "broken"] == [1, 2]


def test_a_handler_can_ask_to_run_again_later(db: Database, session: Session,
                                              settings: Settings) -> None:
    jobs.enqueue_job(session, kind="later")
    session.commit()

    asyncio.run(Worker(db, settings, registry=Recorder().registry()).drain())

    [row] = job_rows(session, "later")
    assert row.status == "queued"
    assert row.last_error == "not yet"
    assert row.run_at > utcnow() + timedelta(minutes=59)


def test_periodic_tasks_have_one_job_each_and_run_on_their_interval(
        db: Database, session: Session, settings: Settings) -> None:
    recorder = Recorder()
    first, second = (Worker(db, settings, registry=recorder.registry()) for _ in range(2))

    asyncio.run(first.drain())
    asyncio.run(second.drain())

    assert [r[0] for r in recorder.runs] == ["tick"]
    [row] = job_rows(session, "tick")
    assert row.dedupe_key == "periodic:tick"
    assert row.attempts == 0
    assert utcnow() + timedelta(seconds=290) < row.run_at < utcnow() + timedelta(seconds=310)


def test_shutdown_hands_back_a_job_that_does_not_finish_in_the_grace_period(
        migrated_database: Database, settings: Settings) -> None:
    """Committed for real: the loop runs its database work on threads of its own."""
    started = asyncio.Event()

    async def slow(ctx: JobContext, job: ClaimedJob) -> RetryAt | None:
        started.set()
        await asyncio.sleep(30)
        return None

    quick = settings.model_copy(update={"worker_shutdown_grace_seconds": 0.2,
                                        "worker_poll_interval": 0.05})
    registry = Registry(jobs={"slow-demo": slow}, periodic=[], subscribers=[])
    with migrated_database.unit_of_work() as s:
        jobs.enqueue_job(s, kind="slow-demo")
        s.flush()
        job_id = s.scalar(select(Job.id).where(Job.kind == "slow-demo"))

    async def main() -> None:
        stop = asyncio.Event()
        worker = Worker(migrated_database, quick, registry=registry, name="w-shutdown")
        running = asyncio.create_task(worker.run(stop))
        await asyncio.wait_for(started.wait(), 10)
        stop.set()
        await asyncio.wait_for(running, 10)

    try:
        asyncio.run(main())
        with migrated_database.unit_of_work() as s:
            row = s.get(Job, job_id)
            assert row is not None
            assert (row.status, row.locked_by, row.attempts) == ("queued", None, 0)
    finally:
        with migrated_database.unit_of_work() as s:
            s.execute(delete(Job).where(Job.kind == "slow-demo"))


def test_the_loop_runs_jobs_as_they_arrive(migrated_database: Database,
                                           settings: Settings) -> None:
    done = asyncio.Event()
    seen: list[int] = []

    async def count(ctx: JobContext, job: ClaimedJob) -> RetryAt | None:
        seen.append(int(job.payload["n"]))  # type: ignore[call-overload]
        if len(seen) == 5:
            done.set()
        return None

    quick = settings.model_copy(update={"worker_poll_interval": 0.05})
    registry = Registry(jobs={"count-demo": count}, periodic=[], subscribers=[])

    async def main() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(
            Worker(migrated_database, quick, registry=registry).run(stop))
        await asyncio.sleep(0.1)
        with migrated_database.unit_of_work() as s:
            for n in range(5):
                jobs.enqueue_job(s, kind="count-demo", payload={"n": n})
        await asyncio.wait_for(done.wait(), 10)
        stop.set()
        await asyncio.wait_for(running, 10)

    try:
        asyncio.run(main())
        assert sorted(seen) == [0, 1, 2, 3, 4]
        with migrated_database.unit_of_work() as s:
            assert s.scalars(select(Job).where(Job.kind == "count-demo")).all() == []
    finally:
        with migrated_database.unit_of_work() as s:
            s.execute(delete(Job).where(Job.kind == "count-demo"))
