"""SLA tracking: due times from the priority table, each target met, pending or breached, and the
first response that stops the response clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_ticket
from ticketry.config import Settings
from ticketry.db import utcnow
from ticketry.domain.comments.schemas import CommentCreate
from ticketry.domain.comments.service import add_comment
from ticketry.domain.queues.service import find_queue_config
from ticketry.domain.sla.service import SlaState, compute_targets, target_state
from ticketry.domain.tickets import service
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketCreate, TicketPatch, ticket_read
from ticketry.domain.users.models import User

CREATED = datetime(2025, 1, 15, 14, 30, tzinfo=UTC)

# The document's "Ticket Priority Levels": response and resolution SLA.
SLA = {
    "P1": (timedelta(hours=1), timedelta(hours=4)),
    "P2": (timedelta(hours=4), timedelta(hours=24)),
    "P3": (timedelta(hours=8), timedelta(hours=72)),
    "P4": (timedelta(hours=24), timedelta(hours=168)),
}


# --------------------------------------------------------------------------- targets


@pytest.mark.parametrize(("priority", "response", "resolution"),
                         [(p, r, s) for p, (r, s) in SLA.items()])
def test_targets_follow_the_priority_table(session: Session, priority: str,
                                           response: timedelta, resolution: timedelta) -> None:
    config = find_queue_config(session, "devops")

    targets = compute_targets(CREATED, config.priorities[priority])

    assert targets.response_due_at == CREATED + response
    assert targets.resolution_due_at == CREATED + resolution


def test_no_priority_or_sla_disabled_means_no_targets(session: Session) -> None:
    p1 = find_queue_config(session, "devops").priorities["P1"]

    assert compute_targets(CREATED, None).response_due_at is None
    disabled = compute_targets(CREATED, p1, enabled=False)
    assert (disabled.response_due_at, disabled.resolution_due_at) == (None, None)


@pytest.mark.parametrize("priority", list(SLA))
def test_a_new_ticket_gets_its_due_times_on_creation(session: Session, requester: User,
                                                    priority: str) -> None:
    ticket = service.create_ticket(session, actor=requester, now=CREATED, data=TicketCreate(
        title="Database is down", description="No connections accepted.", priority=priority))

    response, resolution = SLA[priority]
    assert ticket.response_due_at == CREATED + response
    assert ticket.resolution_due_at == CREATED + resolution


def test_sla_tracking_can_be_switched_off(session: Session, requester: User,
                                          settings: Settings) -> None:
    ticket = service.create_ticket(
        session, actor=requester, settings=settings.model_copy(update={"sla_enabled": False}),
        data=TicketCreate(title="Database is down", description="Really.", priority="P1"))

    assert (ticket.response_due_at, ticket.resolution_due_at) == (None, None)


def test_changing_the_priority_recomputes_the_due_times_from_creation(
        session: Session, manager: User) -> None:
    ticket = service.create_ticket(session, actor=manager, now=CREATED, data=TicketCreate(
        title="Database is slow", description="p99 at 4s.", priority="P4"))

    service.update_ticket(session, actor=manager, ticket_id=ticket.public_id,
                          data=TicketPatch(priority="P1"))

    assert ticket.response_due_at == CREATED + timedelta(hours=1)
    assert ticket.resolution_due_at == CREATED + timedelta(hours=4)


def test_changing_something_else_keeps_the_due_times(session: Session, manager: User) -> None:
    ticket = service.create_ticket(session, actor=manager, now=CREATED, data=TicketCreate(
        title="Database is slow", description="p99 at 4s.", priority="P2"))

    service.update_ticket(session, actor=manager, ticket_id=ticket.public_id,
                          data=TicketPatch(title="Database is very slow"))

    assert ticket.response_due_at == CREATED + timedelta(hours=4)


# --------------------------------------------------------------------------- states

DUE = CREATED + timedelta(hours=1)


@pytest.mark.parametrize(("done_at", "now", "state"), [
    (None, DUE - timedelta(minutes=1), SlaState.PENDING),
    (None, DUE, SlaState.PENDING),
    (None, DUE + timedelta(seconds=1), SlaState.BREACHED),
    (DUE - timedelta(minutes=5), DUE + timedelta(days=3), SlaState.MET),
    (DUE, DUE + timedelta(days=3), SlaState.MET),
    (DUE + timedelta(seconds=1), DUE + timedelta(days=3), SlaState.BREACHED),
], ids=["pending-before-due", "pending-at-due", "breached-after-due", "met-before-due",
        "met-at-due", "breached-when-done-late"])
def test_a_target_is_met_pending_or_breached(done_at: datetime | None, now: datetime,
                                             state: SlaState) -> None:
    assert target_state(DUE, done_at, now) is state


def test_a_target_without_a_due_time_does_not_apply() -> None:
    assert target_state(None, None, DUE) is SlaState.NOT_APPLICABLE


def test_the_ticket_view_shows_the_state_of_each_target(session: Session, requester: User,
                                                        manager: User) -> None:
    ticket = service.create_ticket(session, actor=requester, now=CREATED, data=TicketCreate(
        title="Database is down", description="No connections.", priority="P1"))
    service.change_status(session, actor=manager, ticket_id=ticket.public_id, status="OPEN")
    ticket.resolved_at = CREATED + timedelta(hours=3)

    read = ticket_read(ticket, now=CREATED + timedelta(hours=2))

    assert read.sla.response.state is SlaState.BREACHED  # nobody answered within the hour
    assert read.sla.resolution.state is SlaState.MET
    assert read.sla.resolution.due_at == CREATED + timedelta(hours=4)


# --------------------------------------------------------------------------- first response


def reply(session: Session, actor: User, ticket: Ticket, *, internal: bool = False) -> None:
    add_comment(session, actor=actor, ticket_id=ticket.public_id,
                data=CommentCreate(content="Looking into it.", is_internal=internal))


def test_the_first_public_agent_comment_is_the_first_response(session: Session,
                                                                requester: User,
                                                                engineer: User) -> None:
    ticket = make_ticket(session, requester, priority="P1")

    before = utcnow()
    reply(session, engineer, ticket)

    assert ticket.first_response_at is not None
    assert before <= ticket.first_response_at <= utcnow()
    assert target_state(ticket.response_due_at, ticket.first_response_at,
                        utcnow()) is SlaState.MET


def test_later_comments_do_not_move_the_first_response(session: Session, requester: User,
                                                       engineer: User,
                                                       other_engineer: User) -> None:
    ticket = make_ticket(session, requester)
    reply(session, engineer, ticket)
    first = ticket.first_response_at

    reply(session, other_engineer, ticket)

    assert ticket.first_response_at == first


def test_an_internal_note_is_not_a_response(session: Session, requester: User,
                                            engineer: User) -> None:
    ticket = make_ticket(session, requester)

    reply(session, engineer, ticket, internal=True)

    assert ticket.first_response_at is None


def test_the_requesters_own_comment_is_not_a_response(session: Session, requester: User) -> None:
    ticket = make_ticket(session, requester)

    reply(session, requester, ticket)

    assert ticket.first_response_at is None


def test_an_agent_commenting_on_their_own_ticket_is_not_a_response(session: Session,
                                                                   engineer: User) -> None:
    ticket = make_ticket(session, engineer)

    reply(session, engineer, ticket)

    assert ticket.first_response_at is None
