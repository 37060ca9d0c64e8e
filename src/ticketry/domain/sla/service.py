"""SLA targets: due times from the priority (in the queue's business hours), the clock stopped
while a ticket waits on others, whether each target is met, pending or breached, and the
breach marks the worker sets when a target passes."""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, and_, insert, or_, select
from sqlalchemy.orm import Session

from ticketry.config import Settings, get_settings
from ticketry.db import utcnow
from ticketry.domain.errors import PermissionDenied
from ticketry.domain.events.models import Event
from ticketry.domain.events.service import (
    EventType,
    event_row,
    mark_events_emitted,
    ticket_snapshot,
)
from ticketry.domain.history.models import ChangeType, TicketHistory
from ticketry.domain.queues.config import PriorityConfig, QueueConfig, queue_configs
from ticketry.domain.queues.errors import QueueNotFound
from ticketry.domain.queues.models import Queue
from ticketry.domain.queues.service import _bump_config_version, find_queue_config
from ticketry.domain.sla.calendar import BusinessCalendar
from ticketry.domain.sla.schemas import BusinessHours, BusinessHoursRead
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Role, User
from ticketry.log import get_logger

log = get_logger("ticketry.sla")

ALWAYS = BusinessCalendar.always()
SETTING = "business_hours"
# Status categories whose tickets have no running SLA clock.
_STOPPED = ("pending", "solved", "closed", "deleted")
BREACH_BATCH = 200


class SlaState(enum.StrEnum):
    MET = "met"
    PENDING = "pending"
    BREACHED = "breached"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class SlaTargets:
    response_due_at: datetime | None
    resolution_due_at: datetime | None


# --------------------------------------------------------------------------- calendars


def business_calendar(config: QueueConfig) -> BusinessCalendar:
    """The queue's business hours, or round the clock when it has none."""
    value = config.settings.get(SETTING)
    if not value:
        return ALWAYS
    return _calendar(json.dumps(value, sort_keys=True))


@functools.lru_cache(maxsize=64)
def _calendar(spec: str) -> BusinessCalendar:
    try:
        return BusinessHours.model_validate(json.loads(spec)).calendar()
    except ValidationError as exc:
        # Settings written by hand (not through the admin API): keep tickets flowing, round the
        # clock, and say why.
        log.warning("invalid_business_hours", error=str(exc))
        return ALWAYS


# --------------------------------------------------------------------------- targets


def compute_targets(created_at: datetime, priority: PriorityConfig | None, *,
                    enabled: bool = True, calendar: BusinessCalendar = ALWAYS) -> SlaTargets:
    if not enabled or priority is None:
        return SlaTargets(None, None)
    response = (calendar.add_business_minutes(created_at, priority.response_minutes)
                if priority.response_minutes else None)
    resolution = (calendar.add_business_minutes(created_at, priority.resolution_minutes)
                  if priority.resolution_minutes else None)
    return SlaTargets(response, resolution)


_TARGETS = (
    ("response", "response_minutes", "response_due_at", "response_breached_at"),
    ("resolution", "resolution_minutes", "resolution_due_at", "resolution_breached_at"),
)


def retarget(ticket: Ticket, old: PriorityConfig | None, new: PriorityConfig | None, *,
             enabled: bool, calendar: BusinessCalendar, now: datetime) -> None:
    """New due times after a priority change: the new priority's times from creation, plus the
    time the clock has stood still so far (what the old due times were moved by pauses).
    A breach mark of a due time that no longer stands is withdrawn."""
    targets = compute_targets(ticket.created_at, new, enabled=enabled, calendar=calendar)
    elapsed = max(calendar.business_minutes_between(ticket.created_at, now), 0.0)
    for _target, minutes_attr, due_attr, mark_attr in _TARGETS:
        due: datetime | None = getattr(targets, due_attr)
        old_due: datetime | None = getattr(ticket, due_attr)
        old_minutes = getattr(old, minutes_attr) if old is not None else None
        if due is not None and old_due is not None and old_minutes:
            # Paused time credited to the old due time; never more than has passed (guards
            # against a calendar changed since the old due time was set).
            credit = calendar.business_minutes_between(ticket.created_at, old_due) - old_minutes
            credit = min(max(credit, 0.0), elapsed)
            if credit >= 1 / 60:  # below a second is rounding, not a pause
                due = calendar.add_business_minutes(due, credit)
        setattr(ticket, due_attr, due)
        if due != old_due:
            setattr(ticket, mark_attr, None)


# --------------------------------------------------------------------------- pause


def track_pause(ticket: Ticket, *, entering: str, now: datetime,
                calendar: BusinessCalendar) -> dict[str, Any]:
    """Stop the SLA clock when the ticket enters a pending-category status; when it leaves for
    another category, move each due time that was still running later by the business time
    spent paused. Returns what moved, for the status change's history entry."""
    if entering == "pending":
        if ticket.sla_paused_at is None:
            ticket.sla_paused_at = now
        return {}
    paused_at = ticket.sla_paused_at
    if paused_at is None:
        return {}
    ticket.sla_paused_at = None
    moved: dict[str, dict[str, str]] = {}
    for target, done_at in (("response", ticket.first_response_at),
                            ("resolution", ticket.resolved_at)):
        due_attr = f"{target}_due_at"
        due: datetime | None = getattr(ticket, due_attr)
        if due is None or due < paused_at:
            continue  # no target, or already overdue when the clock stopped: it stays missed
        if done_at is not None and done_at < paused_at:
            continue  # met before the pause
        remaining = calendar.business_minutes_between(paused_at, due)
        new_due = calendar.add_business_minutes(now, remaining)
        if new_due != due:
            setattr(ticket, due_attr, new_due)
            moved[target] = {"from": due.isoformat(), "to": new_due.isoformat()}
    if not moved:
        return {}
    return {"sla_paused_minutes": round(calendar.business_minutes_between(paused_at, now), 2),
            "sla_due_moved": moved}


# --------------------------------------------------------------------------- states


def target_state(due_at: datetime | None, done_at: datetime | None, now: datetime, *,
                 breached_at: datetime | None = None,
                 paused_at: datetime | None = None) -> SlaState:
    """`breached_at` is the worker's breach mark; `paused_at` when the clock was stopped (time
    passing while paused does not count)."""
    if due_at is None:
        return SlaState.NOT_APPLICABLE
    if breached_at is not None:
        return SlaState.BREACHED
    if paused_at is not None:
        if done_at is not None and done_at < paused_at:
            return SlaState.MET if done_at <= due_at else SlaState.BREACHED
        # The clock stopped at `paused_at`: it decides, not the time done or now.
        if paused_at > due_at:
            return SlaState.BREACHED
        return SlaState.MET if done_at is not None else SlaState.PENDING
    if done_at is not None:
        return SlaState.MET if done_at <= due_at else SlaState.BREACHED
    return SlaState.BREACHED if now > due_at else SlaState.PENDING


# --------------------------------------------------------------------------- breaches


def _open() -> list[ColumnElement[bool]]:
    # Also the predicate of the partial indexes ix_tickets_{response,resolution}_sla_open:
    # each branch of the breach query repeats it so the planner can use them.
    return [Ticket.resolved_at.is_(None), Ticket.closed_at.is_(None),
            Ticket.deleted_at.is_(None)]


def _response_overdue(now: datetime) -> ColumnElement[bool]:
    return and_(Ticket.response_due_at < now, Ticket.response_breached_at.is_(None),
                Ticket.first_response_at.is_(None), *_open())


def _resolution_overdue(now: datetime) -> ColumnElement[bool]:
    return and_(Ticket.resolution_due_at < now, Ticket.resolution_breached_at.is_(None),
                *_open())


def _overdue_targets(ticket: Ticket, now: datetime) -> Iterator[tuple[str, datetime]]:
    if (ticket.response_due_at is not None and ticket.response_due_at < now
            and ticket.response_breached_at is None and ticket.first_response_at is None):
        yield "response", ticket.response_due_at
    if (ticket.resolution_due_at is not None and ticket.resolution_due_at < now
            and ticket.resolution_breached_at is None and ticket.resolved_at is None):
        yield "resolution", ticket.resolution_due_at


def mark_breaches(session: Session, *, now: datetime | None = None,
                  settings: Settings | None = None, limit: int = BREACH_BATCH) -> int:
    """Mark one batch of tickets whose response or resolution target has passed: the mark
    (the due time), one SLA_BREACH history entry and one `ticket.sla_breached` event per
    target. Paused tickets and tickets not being worked on are left alone.

    The batch is claimed with FOR UPDATE SKIP LOCKED, so several workers share the work, and
    marked targets drop out of the query, so running again finds nothing new. Returns how many
    tickets were marked (a full batch means there may be more)."""
    settings = settings or get_settings()
    if not settings.sla_enabled:
        return 0
    now = now or utcnow()
    tickets = session.scalars(
        select(Ticket)
        .where(or_(_response_overdue(now), _resolution_overdue(now)),
               Ticket.sla_paused_at.is_(None), Ticket.status_category.not_in(_STOPPED))
        .order_by(Ticket.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    if not tickets:
        return 0
    people = {t.requester_id for t in tickets} | {t.assignee_id for t in tickets}
    users = {u.id: u for u in session.scalars(
        select(User).where(User.id.in_([i for i in people if i is not None])))}
    history: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for ticket in tickets:
        snapshot = ticket_snapshot(
            ticket, requester=users.get(ticket.requester_id or 0),
            assignee=users.get(ticket.assignee_id or 0))
        for target, due_at in _overdue_targets(ticket, now):
            setattr(ticket, f"{target}_breached_at", due_at)
            due = due_at.isoformat()
            history.append({
                "ticket_id": ticket.id, "actor_id": None, "change_type": ChangeType.SLA_BREACH.value,
                "field": "sla", "old_value": None, "new_value": target,
                "details": {"target": target, "due_at": due}, "created_at": now})
            events.append(event_row(
                type=EventType.TICKET_SLA_BREACHED, actor=None, ticket_id=ticket.id,
                queue_id=ticket.queue_id, at=now, data={"ticket": snapshot, "sla": {
                    "target": target, "due_at": due, "breached_at": due}}))
            log.info("sla_breached", key=ticket.key, target=target, due_at=due)
    session.flush()
    # One statement each for the whole batch, however many tickets it holds.
    session.execute(insert(TicketHistory), history)
    session.execute(insert(Event), events)
    mark_events_emitted(session)
    return len(tickets)


# --------------------------------------------------------------------------- administration


def _require_admin(actor: User) -> None:
    if actor.role_enum is not Role.ADMIN:
        raise PermissionDenied("only an administrator may change a queue's configuration")


def business_hours_read(config: QueueConfig) -> BusinessHoursRead:
    value = config.settings.get(SETTING)
    hours = None
    if value:
        try:
            hours = BusinessHours.model_validate(value)
        except ValidationError:
            hours = None  # unusable settings count as round the clock (see `_calendar`)
    return BusinessHoursRead(queue=config.key, always_open=hours is None, business_hours=hours)


def _queue(session: Session, queue_key: str) -> QueueConfig:
    try:
        return find_queue_config(session, queue_key)
    except QueueNotFound:
        # The queue is the resource addressed, not a field of the request: not found (404).
        raise QueueNotFound(f"queue {queue_key!r} does not exist") from None


def get_business_hours(session: Session, *, actor: User, queue_key: str) -> BusinessHoursRead:
    """Anyone signed in may read a queue's configuration, its business hours included."""
    return business_hours_read(_queue(session, queue_key))


def _store(session: Session, queue_key: str, value: dict[str, Any] | None) -> QueueConfig:
    config = _queue(session, queue_key)
    queue = session.get_one(Queue, config.id, with_for_update=True, populate_existing=True)
    settings = dict(queue.settings or {})
    if value is None:
        settings.pop(SETTING, None)
    else:
        settings[SETTING] = value
    queue.settings = settings  # a new dict: the JSON column sees the change
    session.flush()
    _bump_config_version(session, config.id)
    return queue_configs.get(session, config.id)


def set_business_hours(session: Session, *, actor: User, queue_key: str,
                       data: BusinessHours) -> BusinessHoursRead:
    """Due times of tickets created or re-prioritised from now on count only these hours;
    existing due times stand."""
    _require_admin(actor)
    config = _store(session, queue_key, data.stored())
    log.info("business_hours_set", queue=queue_key, actor=actor.username)
    return business_hours_read(config)


def clear_business_hours(session: Session, *, actor: User, queue_key: str) -> BusinessHoursRead:
    """Back to round the clock."""
    _require_admin(actor)
    config = _store(session, queue_key, None)
    log.info("business_hours_cleared", queue=queue_key, actor=actor.username)
    return business_hours_read(config)

