"""The SLA clock stops while a ticket waits in a pending-category status and resumes when it
leaves: due times still running move later by the working time spent waiting; a target already
missed when the clock stopped stays missed, and one met before stays met."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import make_ticket
from ticketry.db import utcnow
from ticketry.domain.history.models import TicketHistory
from ticketry.domain.sla.calendar import BusinessCalendar
from ticketry.domain.sla.schemas import BusinessHours
from ticketry.domain.sla.service import SlaState, track_pause
from ticketry.domain.tickets import service
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketCreate, TicketPatch, ticket_read
from ticketry.domain.users.models import User

MADRID = ZoneInfo("Europe/Madrid")
ALWAYS = BusinessCalendar.always()
OFFICE = BusinessHours(timezone="Europe/Madrid").calendar()  # Mon-Fri 09:00-17:00


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


def devops_ticket(session: Session, actor: User, *, priority: str,
                  created: datetime) -> Ticket:
    return service.create_ticket(session, actor=actor, now=created, data=TicketCreate(
        title="Deploy pipeline stuck", description="Stage 3 hangs.", priority=priority))


def move(session: Session, actor: User, ticket: Ticket, status: str) -> Ticket:
    return service.change_status(session, actor=actor, ticket_id=ticket.public_id, status=status)


def last_status_change(session: Session, ticket: Ticket) -> TicketHistory:
    return session.scalars(select(TicketHistory).where(
        TicketHistory.ticket_id == ticket.id, TicketHistory.field == "status")
        .order_by(TicketHistory.id.desc()).limit(1)).one()


# --------------------------------------------------------------------------- through the service


def test_waiting_for_information_stops_the_clock(session: Session, manager: User) -> None:
    ticket = make_ticket(session, manager, priority="P2")
    move(session, manager, ticket, "OPEN")
    assert ticket.sla_paused_at is None

    move(session, manager, ticket, "PENDING_INFO")

    assert ticket.sla_paused_at == ticket.updated_at


def test_leaving_pending_moves_the_running_due_times_by_the_time_spent_waiting(
        session: Session, manager: User) -> None:
    ticket = devops_ticket(session, manager, priority="P2", created=utcnow() - timedelta(hours=1))
    move(session, manager, ticket, "OPEN")
    move(session, manager, ticket, "PENDING_INFO")
    paused = ticket.sla_paused_at = utcnow() - timedelta(minutes=30)  # waited half an hour
    response, resolution = ticket.response_due_at, ticket.resolution_due_at
    assert response is not None
    assert resolution is not None

    move(session, manager, ticket, "IN_PROGRESS")

    waited = ticket.updated_at - paused
    assert waited >= timedelta(minutes=30)
    assert ticket.sla_paused_at is None
    assert ticket.response_due_at == response + waited
    assert ticket.resolution_due_at == resolution + waited
    details = last_status_change(session, ticket).details
    assert details["sla_due_moved"] == {
        "response": {"from": response.isoformat(), "to": ticket.response_due_at.isoformat()},
        "resolution": {"from": resolution.isoformat(),
                       "to": ticket.resolution_due_at.isoformat()}}


def test_a_status_change_outside_pending_leaves_the_due_times_alone(session: Session,
                                                                   manager: User) -> None:
    ticket = make_ticket(session, manager, priority="P2")
    due = ticket.response_due_at

    move(session, manager, ticket, "OPEN")
    move(session, manager, ticket, "IN_PROGRESS")

    assert ticket.response_due_at == due
    assert "sla_due_moved" not in last_status_change(session, ticket).details


def test_resolving_straight_from_pending_does_not_count_the_wait(session: Session,
                                                                 manager: User) -> None:
    """Healthcare's `notified` is a pending status that may be resolved at once: the
    resolution target passed while the ticket waited, yet it is met."""
    ticket = make_ticket(session, manager, queue="healthcare", title="Printer jammed",
                         description="Third floor.")
    move(session, manager, ticket, "notified")
    ticket.sla_paused_at = utcnow() - timedelta(hours=1)
    ticket.resolution_due_at = utcnow() - timedelta(minutes=30)

    move(session, manager, ticket, "solved")

    assert ticket.resolved_at is not None
    assert ticket.resolution_due_at is not None
    assert ticket.resolution_due_at > ticket.resolved_at
    read = ticket_read(ticket, now=utcnow())
    assert read.sla.resolution.state is SlaState.MET


def test_a_priority_change_keeps_the_time_already_spent_waiting(session: Session,
                                                                manager: User) -> None:
    created = utcnow() - timedelta(hours=5)
    ticket = devops_ticket(session, manager, priority="P3", created=created)
    # Waited two hours, from the first hour to the third.
    track_pause(ticket, entering="pending", now=created + timedelta(hours=1), calendar=ALWAYS)
    track_pause(ticket, entering="open", now=created + timedelta(hours=3), calendar=ALWAYS)
    assert ticket.response_due_at == created + timedelta(hours=8 + 2)

    service.update_ticket(session, actor=manager, ticket_id=ticket.public_id,
                          data=TicketPatch(priority="P1"))

    assert ticket.response_due_at == created + timedelta(hours=1 + 2)
    assert ticket.resolution_due_at == created + timedelta(hours=4 + 2)


# --------------------------------------------------------------------------- the rule itself


def test_working_time_spent_waiting_is_what_moves_the_due_times(session: Session,
                                                               manager: User) -> None:
    """Office hours. Filed Friday 14:00 as P1: respond by 15:00, resolve by Monday 10:00.
    Waiting from Friday 14:30 to Monday 11:00 is 4.5 working hours: the response, half an hour
    from due when the clock stopped, is due Monday 11:30; the resolution Monday 14:30."""
    ticket = devops_ticket(session, manager, priority="P1", created=madrid(2026, 3, 27, 14, 0))
    ticket.response_due_at = OFFICE.add_business_minutes(ticket.created_at, 60)
    ticket.resolution_due_at = OFFICE.add_business_minutes(ticket.created_at, 240)
    assert ticket.response_due_at == madrid(2026, 3, 27, 15, 0)
    assert ticket.resolution_due_at == madrid(2026, 3, 30, 10, 0)

    track_pause(ticket, entering="pending", now=madrid(2026, 3, 27, 14, 30), calendar=OFFICE)
    moved = track_pause(ticket, entering="open", now=madrid(2026, 3, 30, 11, 0), calendar=OFFICE)

    assert ticket.response_due_at == madrid(2026, 3, 30, 11, 30)
    assert ticket.resolution_due_at == madrid(2026, 3, 30, 14, 30)
    assert ticket.sla_paused_at is None
    assert moved["sla_paused_minutes"] == 270


def test_a_target_missed_before_the_pause_stays_missed(session: Session, manager: User) -> None:
    created = madrid(2026, 6, 1, 9, 0)
    ticket = devops_ticket(session, manager, priority="P1", created=created)

    # Paused after 90 minutes: the response (due after 60) was already late.
    track_pause(ticket, entering="pending", now=created + timedelta(minutes=90), calendar=ALWAYS)
    track_pause(ticket, entering="open", now=created + timedelta(hours=5), calendar=ALWAYS)

    assert ticket.response_due_at == created + timedelta(hours=1)
    assert ticket.resolution_due_at == created + timedelta(hours=4) + timedelta(minutes=210)


def test_a_response_given_before_the_pause_is_not_moved(session: Session,
                                                        manager: User) -> None:
    created = madrid(2026, 6, 1, 9, 0)
    ticket = devops_ticket(session, manager, priority="P1", created=created)
    ticket.first_response_at = created + timedelta(minutes=10)

    track_pause(ticket, entering="pending", now=created + timedelta(minutes=30), calendar=ALWAYS)
    moved = track_pause(ticket, entering="open", now=created + timedelta(minutes=90),
                        calendar=ALWAYS)

    assert ticket.response_due_at == created + timedelta(hours=1)
    assert ticket.resolution_due_at == created + timedelta(hours=5)
    assert set(moved["sla_due_moved"]) == {"resolution"}


def test_a_response_given_while_waiting_meets_the_target(session: Session,
                                                         manager: User) -> None:
    created = madrid(2026, 6, 1, 9, 0)
    ticket = devops_ticket(session, manager, priority="P1", created=created)
    track_pause(ticket, entering="pending", now=created + timedelta(minutes=30), calendar=ALWAYS)
    # Answered after the original due time, but the clock was stopped.
    ticket.first_response_at = created + timedelta(minutes=75)

    assert ticket_read(ticket, now=created + timedelta(hours=2)).sla.response.state is \
        SlaState.MET
    track_pause(ticket, entering="open", now=created + timedelta(hours=2), calendar=ALWAYS)

    assert ticket.response_due_at == created + timedelta(hours=2, minutes=30)
    assert ticket_read(ticket, now=created + timedelta(hours=3)).sla.response.state is \
        SlaState.MET


def test_entering_another_pending_status_keeps_the_clock_stopped_since_the_first(
        session: Session, manager: User) -> None:
    ticket = make_ticket(session, manager, priority="P2")
    first = utcnow() - timedelta(hours=1)
    track_pause(ticket, entering="pending", now=first, calendar=ALWAYS)

    track_pause(ticket, entering="pending", now=utcnow(), calendar=ALWAYS)

    assert ticket.sla_paused_at == first


# --------------------------------------------------------------------------- what is shown


@pytest.mark.parametrize(("paused_after", "state"), [
    (timedelta(minutes=30), SlaState.PENDING),
    (timedelta(minutes=90), SlaState.BREACHED),
], ids=["paused-in-time", "paused-already-late"])
def test_a_paused_ticket_is_not_shown_breached_for_time_that_passed_while_waiting(
        session: Session, manager: User, paused_after: timedelta, state: SlaState) -> None:
    created = madrid(2026, 6, 1, 9, 0)
    ticket = devops_ticket(session, manager, priority="P1", created=created)
    track_pause(ticket, entering="pending", now=created + paused_after, calendar=ALWAYS)

    read = ticket_read(ticket, now=created + timedelta(days=3))

    assert read.sla.response.state is state
    assert read.sla.resolution.state is SlaState.PENDING
