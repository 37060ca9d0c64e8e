"""Enqueue, claim, finish, reschedule and hand back jobs.

Claiming is one UPDATE over rows picked with FOR UPDATE SKIP LOCKED (PostgreSQL), so any
number of workers share the table without taking the same job; on SQLite the write lock
serialises claims. A claimed job carries a lease: if its worker dies, the job becomes
claimable again when the lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticketry.db import utcnow
from ticketry.domain.jobs.models import Job, JobStatus


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


def enqueue_job(session: Session, *, kind: str, payload: dict[str, Any] | None = None,
                run_at: datetime | None = None, max_attempts: int = 10,
                dedupe_key: str | None = None) -> Job:
    job = Job(kind=kind, payload=payload or {}, status=JobStatus.QUEUED.value,
              run_at=run_at or utcnow(), attempts=0, max_attempts=max_attempts,
              dedupe_key=dedupe_key, created_at=utcnow())
    session.add(job)
    return job


def enqueue_jobs(session: Session, *, kind: str, payloads: Sequence[dict[str, Any]],
                 run_at: datetime | None = None, max_attempts: int = 10) -> int:
    """Many jobs of one kind in one INSERT (a fan-out's jobs); returns how many."""
    if not payloads:
        return 0
    now = utcnow()
    session.execute(insert(Job), [
        {"kind": kind, "payload": payload, "status": JobStatus.QUEUED.value,
         "run_at": run_at or now, "attempts": 0, "max_attempts": max_attempts,
         "dedupe_key": None, "created_at": now} for payload in payloads])
    return len(payloads)


def ensure_job(session: Session, *, kind: str, dedupe_key: str,
               payload: dict[str, Any] | None = None, run_at: datetime | None = None) -> None:
    """Create the job named by `dedupe_key` unless it exists (periodic tasks)."""
    exists = session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key))
    if exists is None:
        try:
            with session.begin_nested():
                enqueue_job(session, kind=kind, payload=payload, run_at=run_at,
                            dedupe_key=dedupe_key, max_attempts=1_000_000)
                session.flush()
        except IntegrityError:
            # Another worker starting at the same moment made it between our look and our
            # insert: the job exists, which is all this asks.
            pass


def _ready(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Job.status == JobStatus.QUEUED.value, Job.run_at <= now),
        # A running job whose lease ran out: its worker died or hung.
        and_(Job.status == JobStatus.RUNNING.value, Job.locked_until < now),
    )


def has_ready_jobs(session: Session, *, kinds: Sequence[str] | None = None,
                   now: datetime | None = None) -> bool:
    """A cheap read an idle worker makes before it takes a write lock to claim."""
    stmt = select(Job.id).where(_ready(now or utcnow())).limit(1)
    if kinds is not None:
        stmt = stmt.where(Job.kind.in_(list(kinds)))
    return session.scalar(stmt) is not None


def claim_jobs(session: Session, *, worker: str, limit: int, lease_seconds: float,
               kinds: Sequence[str] | None = None, now: datetime | None = None
               ) -> list[ClaimedJob]:
    now = now or utcnow()
    pick = select(Job.id).where(_ready(now)).order_by(Job.run_at, Job.id).limit(limit)
    if kinds is not None:
        pick = pick.where(Job.kind.in_(list(kinds)))
    ids = list(session.scalars(pick.with_for_update(skip_locked=True)))
    if not ids:
        return []
    rows = session.execute(
        update(Job).where(Job.id.in_(ids))
        .values(status=JobStatus.RUNNING.value, locked_by=worker,
                locked_until=now + timedelta(seconds=lease_seconds), attempts=Job.attempts + 1)
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((ClaimedJob(r.id, r.kind, dict(r.payload or {}), r.attempts, r.max_attempts)
                   for r in rows), key=lambda j: j.id)


def finish_job(session: Session, *, job_id: int, worker: str) -> bool:
    """Done: the job row goes. False if the lease was lost and another worker owns it now."""
    result = session.execute(delete(Job).where(Job.id == job_id, Job.locked_by == worker)
                             .execution_options(synchronize_session=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def reschedule_job(session: Session, *, job_id: int, worker: str, run_at: datetime,
                   reset_attempts: bool = False, error: str | None = None) -> bool:
    values: dict[str, Any] = {"status": JobStatus.QUEUED.value, "run_at": run_at,
                              "locked_by": None, "locked_until": None, "last_error": error}
    if reset_attempts:
        values["attempts"] = 0
    result = session.execute(update(Job).where(Job.id == job_id, Job.locked_by == worker)
                             .values(**values).execution_options(synchronize_session=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def fail_job(session: Session, *, job_id: int, worker: str, error: str) -> bool:
    result = session.execute(
        update(Job).where(Job.id == job_id, Job.locked_by == worker)
        .values(status=JobStatus.FAILED.value, locked_by=None, locked_until=None,
                last_error=error[:4000])
        .execution_options(synchronize_session=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_jobs(session: Session, *, worker: str, job_ids: Sequence[int]) -> int:
    """Hand jobs back untouched (shutdown): they are claimable at once, the attempt uncounted."""
    if not job_ids:
        return 0
    result = session.execute(
        update(Job).where(Job.id.in_(list(job_ids)), Job.locked_by == worker)
        .values(status=JobStatus.QUEUED.value, locked_by=None, locked_until=None,
                attempts=Job.attempts - 1)
        .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def extend_lease(session: Session, *, worker: str, job_ids: Sequence[int],
                 lease_seconds: float) -> None:
    if job_ids:
        session.execute(
            update(Job).where(Job.id.in_(list(job_ids)), Job.locked_by == worker)
            .values(locked_until=utcnow() + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False))


def next_job_due(session: Session) -> datetime | None:
    """When the earliest queued job becomes ready (lets an idle worker sleep until then)."""
    return session.scalar(select(Job.run_at).where(Job.status == JobStatus.QUEUED.value)
                          .order_by(Job.run_at).limit(1))


def count_jobs(session: Session, *, kind: str | None = None,
               status: JobStatus | None = None) -> int:
    from sqlalchemy import func

    stmt = select(func.count()).select_from(Job)
    if kind is not None:
        stmt = stmt.where(Job.kind == kind)
    if status is not None:
        stmt = stmt.where(Job.status == status.value)
    return int(session.scalar(stmt) or 0)
