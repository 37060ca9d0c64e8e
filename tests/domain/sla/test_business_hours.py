"""A queue's business hours: administrators set and clear them, and due times set from then on
(on creation, on a priority change, in imports) count only working time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import make_ticket
from ticketry.domain.errors import PermissionDenied
from ticketry.domain.imports.service import import_tickets
from ticketry.domain.queues.errors import QueueNotFound
from ticketry.domain.queues.models import Queue
from ticketry.domain.queues.service import find_queue_config
from ticketry.domain.sla.calendar import BusinessCalendar
from ticketry.domain.sla.schemas import BusinessHours
from ticketry.domain.sla.service import (
    business_calendar,
    clear_business_hours,
    get_business_hours,
    set_business_hours,
)
from ticketry.domain.tickets import service
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketCreate, TicketPatch
from ticketry.domain.users.models import User

MADRID = ZoneInfo("Europe/Madrid")
OFFICE = BusinessHours(timezone="Europe/Madrid", days=["mon", "tue", "wed", "thu", "fri"],
                       start="09:00", end="17:00", holidays=["2026-12-25"])
# Friday 27 March 2026, 16:30 in Madrid (UTC+1; the clocks go forward on Sunday).
FRIDAY_AFTERNOON = datetime(2026, 3, 27, 16, 30, tzinfo=MADRID)


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


@pytest.fixture
def office_hours(session: Session, admin: User) -> BusinessCalendar:
    set_business_hours(session, actor=admin, queue_key="devops", data=OFFICE)
    return OFFICE.calendar()


# --------------------------------------------------------------------------- administration


def test_an_admin_sets_a_queues_business_hours(session: Session, admin: User,
                                               engineer: User) -> None:
    before = find_queue_config(session, "devops").version

    saved = set_business_hours(session, actor=admin, queue_key="devops", data=OFFICE)

    assert saved.always_open is False
    assert saved.business_hours == OFFICE
    config = find_queue_config(session, "devops")
    assert config.version == before + 1  # other processes reload the queue
    assert config.settings["business_hours"]["timezone"] == "Europe/Madrid"
    assert get_business_hours(session, actor=engineer, queue_key="devops") == saved
    # The queue's other settings stay as they were.
    assert config.settings["reopen_status"] == "REOPENED"


def test_clearing_business_hours_returns_the_queue_to_round_the_clock(
        session: Session, admin: User, office_hours: BusinessCalendar) -> None:
    cleared = clear_business_hours(session, actor=admin, queue_key="devops")

    assert cleared.always_open is True
    assert cleared.business_hours is None
    config = find_queue_config(session, "devops")
    assert "business_hours" not in config.settings
    assert business_calendar(config).is_always


def test_a_queue_without_business_hours_runs_round_the_clock(session: Session,
                                                             engineer: User) -> None:
    read = get_business_hours(session, actor=engineer, queue_key="healthcare")

    assert (read.queue, read.always_open, read.business_hours) == ("healthcare", True, None)
    assert business_calendar(find_queue_config(session, "healthcare")).is_always


@pytest.mark.parametrize("role", ["manager", "engineer", "requester"])
def test_only_administrators_change_business_hours(session: Session, request: pytest.FixtureRequest,
                                                   role: str) -> None:
    actor: User = request.getfixturevalue(role)

    with pytest.raises(PermissionDenied):
        set_business_hours(session, actor=actor, queue_key="devops", data=OFFICE)
    with pytest.raises(PermissionDenied):
        clear_business_hours(session, actor=actor, queue_key="devops")


def test_an_unknown_queue_has_no_business_hours(session: Session, admin: User) -> None:
    with pytest.raises(QueueNotFound):
        set_business_hours(session, actor=admin, queue_key="nope", data=OFFICE)


def test_hand_written_settings_that_make_no_sense_count_as_round_the_clock(
        session: Session, engineer: User) -> None:
    queue = session.scalars(select(Queue).where(Queue.key == "devops")).one()
    queue.settings = {**queue.settings, "business_hours": {"timezone": "Atlantis/Capital"}}
    queue.config_version += 1
    session.flush()

    config = find_queue_config(session, "devops")

    assert business_calendar(config).is_always
    assert get_business_hours(session, actor=engineer, queue_key="devops").always_open


# --------------------------------------------------------------------------- due times


def test_due_times_of_a_new_ticket_count_only_working_time(
        session: Session, requester: User, office_hours: BusinessCalendar) -> None:
    """P1: respond within 1 working hour, resolve within 4. Filed Friday 16:30: half an hour
    is left on Friday, the rest runs from Monday 09:00 (after the change to summer time)."""
    ticket = service.create_ticket(session, actor=requester, now=FRIDAY_AFTERNOON.astimezone(UTC),
                                   data=TicketCreate(title="Database is down",
                                                     description="No connections.",
                                                     priority="P1"))

    assert ticket.response_due_at == madrid(2026, 3, 30, 9, 30)
    assert ticket.resolution_due_at == madrid(2026, 3, 30, 12, 30)


def test_a_holiday_does_not_count(session: Session, requester: User,
                                  office_hours: BusinessCalendar) -> None:
    christmas_eve = madrid(2026, 12, 24, 16, 30)

    ticket = service.create_ticket(session, actor=requester, now=christmas_eve.astimezone(UTC),
                                   data=TicketCreate(title="VPN down", description="Nobody in.",
                                                     priority="P1"))

    assert ticket.response_due_at == madrid(2026, 12, 28, 9, 30)


def test_other_queues_keep_round_the_clock_targets(session: Session, requester: User,
                                                   office_hours: BusinessCalendar) -> None:
    ticket = make_ticket(session, requester, queue="healthcare", title="Printer jammed",
                         description="Third floor.")

    assert business_calendar(find_queue_config(session, "healthcare")).is_always
    assert ticket.response_due_at is None  # healthcare priorities have no targets at all


def test_a_priority_change_recomputes_due_times_in_working_time(
        session: Session, manager: User, office_hours: BusinessCalendar) -> None:
    ticket = service.create_ticket(session, actor=manager, now=FRIDAY_AFTERNOON.astimezone(UTC),
                                   data=TicketCreate(title="Database is slow",
                                                     description="p99 at 4s.", priority="P4"))
    # P4: 24 working hours to respond: Friday's half hour, then three office days less that.
    assert ticket.response_due_at == madrid(2026, 4, 1, 16, 30)

    service.update_ticket(session, actor=manager, ticket_id=ticket.public_id,
                          data=TicketPatch(priority="P2"))

    # P2: 4 working hours to respond, 24 to resolve, from the ticket's creation.
    assert ticket.response_due_at == madrid(2026, 3, 30, 12, 30)
    assert ticket.resolution_due_at == madrid(2026, 4, 1, 16, 30)


def test_existing_due_times_stand_when_business_hours_are_set(session: Session, admin: User,
                                                              requester: User) -> None:
    ticket = make_ticket(session, requester, priority="P1")
    due = ticket.response_due_at

    set_business_hours(session, actor=admin, queue_key="devops", data=OFFICE)
    session.refresh(ticket)

    assert ticket.response_due_at == due
    assert due == ticket.created_at + timedelta(hours=1)


# One half hour a week: any one-hour target spans more than a week, whenever the test runs.
HALF_HOUR_A_WEEK = BusinessHours(timezone="Europe/Madrid", days=["mon"], start="09:00",
                                 end="09:30")


def test_imported_tickets_get_due_times_in_working_time(session: Session, admin: User,
                                                        engineer: User) -> None:
    set_business_hours(session, actor=admin, queue_key="devops", data=HALF_HOUR_A_WEEK)
    calendar = HALF_HOUR_A_WEEK.calendar()

    report = import_tickets(session, actor=engineer, queue_key="devops", checkpoint=session.flush,
                            rows=[(1, {"title": "Disk full", "description": "At 100%.",
                                       "priority": "P1"}),
                                  (2, {"title": "Need logs", "description": "Waiting on you.",
                                       "priority": "P1", "status": "PENDING_INFO"})])

    assert report.successful == 2
    running, waiting = session.scalars(select(Ticket).where(
        Ticket.title.in_(["Disk full", "Need logs"])).order_by(Ticket.title)).all()
    assert running.response_due_at == calendar.add_business_minutes(running.created_at, 60)
    assert running.response_due_at - running.created_at > timedelta(days=7)
    assert running.sla_paused_at is None
    # Imported straight into a pending status: its clock starts stopped.
    assert waiting.sla_paused_at == waiting.created_at
