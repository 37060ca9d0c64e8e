"""Jobs are claimed with a lease: one worker at a time, and a dead worker's job is taken over."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from ticketry.db import Database, utcnow
from ticketry.domain.jobs import service as jobs
from ticketry.domain.jobs.models import Job, JobStatus


def job_row(session: Session, job_id: int) -> Job | None:
    session.expire_all()
    return session.get(Job, job_id)


def test_a_claimed_job_belongs_to_its_worker_until_the_lease_runs_out(session: Session) -> None:
    job = jobs.enqueue_job(session, kind="demo", payload={"n": 1})
    session.flush()

    [mine] = jobs.claim_jobs(session, worker="w1", limit=10, lease_seconds=60)
    assert (mine.id, mine.kind, mine.payload, mine.attempts) == (job.id, "demo", {"n": 1}, 1)
    assert jobs.claim_jobs(session, worker="w2", limit=10, lease_seconds=60) == []

    # w1 died: once the lease has run out, w2 takes the job over (a second attempt).
    later = utcnow() + timedelta(seconds=61)
    [taken] = jobs.claim_jobs(session, worker="w2", limit=10, lease_seconds=60, now=later)
    assert (taken.id, taken.attempts) == (job.id, 2)

    # w1 comes back to life: it no longer owns the job and cannot finish it.
    assert jobs.finish_job(session, job_id=job.id, worker="w1") is False
    assert jobs.finish_job(session, job_id=job.id, worker="w2") is True
    assert job_row(session, job.id) is None


def test_jobs_wait_for_their_time(session: Session) -> None:
    later = utcnow() + timedelta(minutes=5)
    jobs.enqueue_job(session, kind="demo", run_at=later)
    session.flush()

    assert jobs.claim_jobs(session, worker="w1", limit=10, lease_seconds=60) == []
    assert len(jobs.claim_jobs(session, worker="w1", limit=10, lease_seconds=60,
                               now=later)) == 1


def test_only_the_kinds_a_worker_knows_are_claimed(session: Session) -> None:
    jobs.enqueue_job(session, kind="known")
    jobs.enqueue_job(session, kind="unknown")
    session.flush()

    claimed = jobs.claim_jobs(session, worker="w1", limit=10, lease_seconds=60, kinds=["known"])

    assert [c.kind for c in claimed] == ["known"]


def test_a_handed_back_job_is_claimable_at_once_and_the_attempt_is_not_counted(
        session: Session) -> None:
    job = jobs.enqueue_job(session, kind="demo")
    session.flush()
    jobs.claim_jobs(session, worker="w1", limit=1, lease_seconds=60)

    assert jobs.release_jobs(session, worker="w1", job_ids=[job.id]) == 1

    row = job_row(session, job.id)
    assert row is not None
    assert (row.status, row.locked_by, row.attempts) == (JobStatus.QUEUED, None, 0)
    assert [c.id for c in jobs.claim_jobs(session, worker="w2", limit=1,
                                          lease_seconds=60)] == [job.id]


def test_rescheduling_and_failing(session: Session) -> None:
    job = jobs.enqueue_job(session, kind="demo")
    session.flush()
    jobs.claim_jobs(session, worker="w1", limit=1, lease_seconds=60)
    at = utcnow() + timedelta(minutes=1)

    assert jobs.reschedule_job(session, job_id=job.id, worker="w1", run_at=at, error="boom")
    row = job_row(session, job.id)
    assert row is not None
    assert (row.status, row.run_at, row.last_error) == ("queued", at, "boom")

    jobs.claim_jobs(session, worker="w1", limit=1, lease_seconds=60, now=at)
    assert jobs.fail_job(session, job_id=job.id, worker="w1", error="gave up")
    row = job_row(session, job.id)
    assert row is not None
    assert (row.status, row.last_error) == ("failed", "gave up")
    # Failed jobs stay for inspection and are never claimed again.
    assert jobs.claim_jobs(session, worker="w1", limit=1, lease_seconds=60,
                           now=at + timedelta(days=1)) == []


def test_ensure_job_keeps_one_row_per_key(session: Session) -> None:
    jobs.ensure_job(session, kind="tick", dedupe_key="periodic:tick")
    jobs.ensure_job(session, kind="tick", dedupe_key="periodic:tick")
    session.flush()

    rows = session.scalars(select(Job).where(Job.dedupe_key == "periodic:tick")).all()
    assert len(rows) == 1


def test_ensure_job_accepts_a_job_made_by_another_worker_at_the_same_moment(
        session: Session) -> None:
    """Two workers starting together both look, find nothing, and insert: the second insert
    meets the first's row (the unique dedupe key) and is no error."""
    connection = session.connection()
    raced: list[bool] = []

    def the_other_worker_inserts(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not raced and statement.lstrip().upper().startswith("SELECT") \
                and "dedupe_key" in statement:
            raced.append(True)
            jobs.enqueue_job(session, kind="tick", dedupe_key="periodic:tick")
            session.flush()

    event.listen(connection, "after_cursor_execute", the_other_worker_inserts)
    try:
        jobs.ensure_job(session, kind="tick", dedupe_key="periodic:tick")
    finally:
        event.remove(connection, "after_cursor_execute", the_other_worker_inserts)

    assert raced

    rows = session.scalars(select(Job).where(Job.dedupe_key == "periodic:tick")).all()
    assert len(rows) == 1


def test_two_workers_claiming_at_the_same_time_never_take_the_same_job(
        migrated_database: Database) -> None:
    """Real transactions, committed: on PostgreSQL both are open at once (SKIP LOCKED passes
    over the other's rows); on SQLite the write lock makes the second wait for the first."""
    with migrated_database.unit_of_work() as session:
        ids = [jobs.enqueue_job(session, kind="race-demo").id for _ in range(20)]
        session.flush()
        ids = [j.id for j in session.scalars(select(Job).where(Job.kind == "race-demo"))]
    try:
        first = migrated_database.session(write=True)
        second = migrated_database.session(write=True)
        try:
            a = jobs.claim_jobs(first, worker="a", limit=12, lease_seconds=60,
                                kinds=["race-demo"])
            if not migrated_database.is_sqlite:
                # `first` still holds its rows locked, uncommitted.
                b = jobs.claim_jobs(second, worker="b", limit=12, lease_seconds=60,
                                    kinds=["race-demo"])
                first.commit()
            else:
                first.commit()
                b = jobs.claim_jobs(second, worker="b", limit=12, lease_seconds=60,
                                    kinds=["race-demo"])
            second.commit()
        finally:
            first.close()
            second.close()
        taken_a, taken_b = {j.id for j in a}, {j.id for j in b}
        assert len(taken_a) == 12
        assert len(taken_b) == 8
        assert taken_a.isdisjoint(taken_b)
        assert taken_a | taken_b == set(ids)
    finally:
        with migrated_database.unit_of_work() as session:
            session.execute(delete(Job).where(Job.kind == "race-demo"))
