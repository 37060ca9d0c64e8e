"""The ticket lifecycle of the devops queue, as `devops-service.md` describes it.

"Valid Status Transitions", resolution, closing, reopening within the reopen window, soft delete,
the history entry types of each step, versions, and per-queue ticket keys.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_ticket
from ticketry.config import Settings
from ticketry.db import utcnow
from ticketry.domain.errors import ValidationFailed
from ticketry.domain.history.models import TicketHistory
from ticketry.domain.history.service import list_ticket_history
from ticketry.domain.tickets import service
from ticketry.domain.tickets.errors import InvalidTransition, ReopenWindowExpired, TicketNotFound
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketCreate, TicketFilters, TicketPatch
from ticketry.domain.users.models import User

# The document's "Valid Status Transitions", verbatim.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "NEW": ("OPEN", "IN_PROGRESS", "CLOSED"),
    "OPEN": ("IN_PROGRESS", "PENDING_INFO", "RESOLVED", "CLOSED"),
    "IN_PROGRESS": ("PENDING_INFO", "RESOLVED", "ESCALATED", "OPEN"),
    "PENDING_INFO": ("IN_PROGRESS", "OPEN", "CLOSED"),
    "RESOLVED": ("CLOSED", "REOPENED"),
    "CLOSED": ("REOPENED",),
    "REOPENED": ("OPEN", "IN_PROGRESS", "RESOLVED"),
    "ESCALATED": ("IN_PROGRESS", "RESOLVED", "CLOSED"),
}
CATEGORY = {"NEW": "new", "OPEN": "open", "IN_PROGRESS": "open", "PENDING_INFO": "pending",
            "RESOLVED": "solved", "CLOSED": "closed", "REOPENED": "open", "ESCALATED": "open"}
NOTES = "Restarted the service and cleared the connection pool."


def put_in_status(session: Session, ticket: Ticket, status: str) -> Ticket:
    """Arrange: place the ticket in `status` directly, as if it had walked there."""
    ticket.status = status
    ticket.status_category = CATEGORY[status]
    if status in ("RESOLVED", "CLOSED"):
        ticket.resolved_at = utcnow()
        ticket.resolution_notes = NOTES
    if status == "CLOSED":
        ticket.closed_at = utcnow()
    session.flush()
    return ticket


def history_types(session: Session, ticket: Ticket) -> list[str]:
    return [h.change_type for h in list_ticket_history(session, ticket_id=ticket.id,
                                                       include_internal=True)]


def walk(session: Session, actor: User, ticket: Ticket, *statuses: str) -> Ticket:
    for status in statuses:
        ticket = service.change_status(session, actor=actor, ticket_id=ticket.public_id,
                                       status=status, resolution_notes=NOTES)
    return ticket


# --------------------------------------------------------------------------- transitions

ALL_PAIRS = [(a, b) for a in TRANSITIONS for b in TRANSITIONS]


@pytest.mark.parametrize(("current", "target"),
                         [p for p in ALL_PAIRS if p[1] in TRANSITIONS[p[0]]])
def test_every_documented_transition_is_allowed(session: Session, manager: User, current: str,
                                                target: str) -> None:
    ticket = put_in_status(session, make_ticket(session, manager), current)

    moved = service.change_status(session, actor=manager, ticket_id=ticket.public_id,
                                  status=target, resolution_notes=NOTES)

    assert moved.status == target
    assert moved.status_category == CATEGORY[target]


@pytest.mark.parametrize(("current", "target"),
                         [p for p in ALL_PAIRS if p[1] not in TRANSITIONS[p[0]]])
def test_every_other_transition_is_refused_naming_the_allowed_ones(
        session: Session, manager: User, current: str, target: str) -> None:
    ticket = put_in_status(session, make_ticket(session, manager), current)
    version = ticket.version

    with pytest.raises(InvalidTransition) as refused:
        service.change_status(session, actor=manager, ticket_id=ticket.public_id,
                              status=target, resolution_notes=NOTES)

    assert list(refused.value.context["allowed"]) == list(TRANSITIONS[current])
    assert refused.value.context["current"] == current
    assert refused.value.context["requested"] == target
    assert ticket.status == current
    assert ticket.version == version


def test_a_status_the_queue_does_not_have_is_a_validation_error(session: Session,
                                                                manager: User) -> None:
    ticket = make_ticket(session, manager)

    with pytest.raises(ValidationFailed) as refused:
        service.change_status(session, actor=manager, ticket_id=ticket.public_id, status="FOO")

    assert refused.value.context["field"] == "status"


def test_a_new_ticket_starts_in_new_at_version_1_with_a_created_entry(session: Session,
                                                                     requester: User) -> None:
    ticket = make_ticket(session, requester)

    assert ticket.status == "NEW"
    assert ticket.status_category == "new"
    assert ticket.version == 1
    assert ticket.requester_id == requester.id
    assert ticket.priority == "P3"  # the document's default ("Medium")
    assert history_types(session, ticket) == ["CREATED"]


# --------------------------------------------------------------------------- resolve / close / reopen


def test_resolving_requires_resolution_notes(session: Session, engineer: User) -> None:
    ticket = make_ticket(session, engineer)
    service.assign_ticket(session, actor=engineer, ticket_id=ticket.public_id,
                          assignee_id=engineer.public_id)
    walk(session, engineer, ticket, "OPEN")

    for notes in ("", "   "):
        with pytest.raises(ValidationFailed) as refused:
            service.resolve_ticket(session, actor=engineer, ticket_id=ticket.public_id,
                                   resolution_notes=notes)
        assert refused.value.context["field"] == "resolution_notes"
    with pytest.raises(ValidationFailed):
        service.change_status(session, actor=engineer, ticket_id=ticket.public_id,
                              status="RESOLVED")

    assert ticket.status == "OPEN"
    assert ticket.resolved_at is None


def test_resolving_records_notes_time_and_minutes_taken(session: Session, manager: User) -> None:
    created = utcnow() - timedelta(minutes=90)
    ticket = service.create_ticket(session, actor=manager, now=created, data=TicketCreate(
        title="Deploy pipeline stuck", description="Stage 3 never finishes."))
    walk(session, manager, ticket, "IN_PROGRESS")

    before = utcnow()
    resolved = service.resolve_ticket(session, actor=manager, ticket_id=ticket.public_id,
                                      resolution_notes=f"  {NOTES}  ")

    assert resolved.status == "RESOLVED"
    assert resolved.resolution_notes == NOTES
    assert resolved.resolved_at is not None
    assert before <= resolved.resolved_at <= utcnow()
    assert resolved.resolution_minutes == 90
    assert resolved.closed_at is None
    assert history_types(session, ticket)[-1] == "RESOLVED"


def test_closing_sets_closed_at_and_writes_a_closed_entry(session: Session,
                                                          manager: User) -> None:
    ticket = make_ticket(session, manager)
    walk(session, manager, ticket, "OPEN", "RESOLVED")

    before = utcnow()
    closed = service.close_ticket(session, actor=manager, ticket_id=ticket.public_id,
                                  notes="Verified by the requester")

    assert closed.status == "CLOSED"
    assert closed.closed_at is not None
    assert before <= closed.closed_at <= utcnow()
    assert history_types(session, ticket)[-1] == "CLOSED"


def test_a_new_ticket_may_be_closed_straight_away(session: Session, manager: User) -> None:
    ticket = make_ticket(session, manager)

    closed = service.close_ticket(session, actor=manager, ticket_id=ticket.public_id)

    assert closed.status == "CLOSED"


def test_closing_a_closed_ticket_is_an_invalid_transition(session: Session,
                                                          manager: User) -> None:
    ticket = put_in_status(session, make_ticket(session, manager), "CLOSED")

    with pytest.raises(InvalidTransition) as refused:
        service.close_ticket(session, actor=manager, ticket_id=ticket.public_id)

    assert list(refused.value.context["allowed"]) == ["REOPENED"]


def test_reopening_clears_the_resolution_and_writes_a_reopened_entry(
        session: Session, manager: User) -> None:
    ticket = make_ticket(session, manager)
    walk(session, manager, ticket, "OPEN", "RESOLVED", "CLOSED")

    reopened = service.reopen_ticket(session, actor=manager, ticket_id=ticket.public_id,
                                     reason="The disk filled up again")

    assert reopened.status == "REOPENED"
    assert reopened.status_category == "open"
    assert reopened.resolved_at is None
    assert reopened.closed_at is None
    assert reopened.resolution_minutes is None
    assert history_types(session, ticket)[-1] == "REOPENED"


def test_a_reopened_ticket_goes_back_to_open(session: Session, manager: User) -> None:
    ticket = make_ticket(session, manager)
    walk(session, manager, ticket, "CLOSED", "REOPENED", "OPEN")

    assert ticket.status == "OPEN"


def test_a_ticket_that_is_not_resolved_or_closed_cannot_be_reopened(session: Session,
                                                                    manager: User) -> None:
    ticket = make_ticket(session, manager)

    with pytest.raises(InvalidTransition):
        service.reopen_ticket(session, actor=manager, ticket_id=ticket.public_id)

    assert ticket.status == "NEW"


def test_a_closed_ticket_can_be_reopened_within_the_window(session: Session,
                                                           manager: User) -> None:
    ticket = make_ticket(session, manager)
    walk(session, manager, ticket, "CLOSED")
    ticket.closed_at = utcnow() - timedelta(days=6, hours=23)
    session.flush()

    assert service.reopen_ticket(session, actor=manager,
                                 ticket_id=ticket.public_id).status == "REOPENED"


def test_a_ticket_closed_longer_than_the_window_cannot_be_reopened(session: Session,
                                                                   manager: User) -> None:
    ticket = make_ticket(session, manager)
    walk(session, manager, ticket, "CLOSED")
    ticket.closed_at = utcnow() - timedelta(days=7, minutes=1)
    session.flush()

    with pytest.raises(ReopenWindowExpired):
        service.reopen_ticket(session, actor=manager, ticket_id=ticket.public_id)
    with pytest.raises(ReopenWindowExpired):
        service.change_status(session, actor=manager, ticket_id=ticket.public_id,
                              status="REOPENED")

    assert ticket.status == "CLOSED"


def test_the_reopen_window_follows_the_setting(session: Session, manager: User,
                                               settings: Settings) -> None:
    ticket = make_ticket(session, manager)
    walk(session, manager, ticket, "CLOSED")
    ticket.closed_at = utcnow() - timedelta(days=8)
    session.flush()
    longer = settings.model_copy(update={"ticket_reopen_window_days": 30})

    reopened = service.reopen_ticket(session, actor=manager, ticket_id=ticket.public_id,
                                     settings=longer)

    assert reopened.status == "REOPENED"


# --------------------------------------------------------------------------- history types


def test_each_lifecycle_step_writes_its_own_history_type(session: Session,
                                                         manager: User) -> None:
    ticket = make_ticket(session, manager)

    walk(session, manager, ticket, "IN_PROGRESS", "ESCALATED", "RESOLVED", "CLOSED",
         "REOPENED", "OPEN")

    assert history_types(session, ticket) == [
        "CREATED", "STATUS_CHANGE", "ESCALATED", "RESOLVED", "CLOSED", "REOPENED",
        "STATUS_CHANGE",
    ]


def test_status_entries_name_the_old_and_new_status(session: Session, manager: User) -> None:
    ticket = make_ticket(session, manager)

    walk(session, manager, ticket, "IN_PROGRESS", "ESCALATED")

    entry = list_ticket_history(session, ticket_id=ticket.id, include_internal=True)[-1]
    assert (entry.change_type, entry.field, entry.old_value, entry.new_value) == (
        "ESCALATED", "status", "IN_PROGRESS", "ESCALATED")


# --------------------------------------------------------------------------- versions


def test_every_change_increments_the_version(session: Session, manager: User,
                                             engineer: User) -> None:
    ticket = make_ticket(session, manager)
    assert ticket.version == 1

    service.update_ticket(session, actor=manager, ticket_id=ticket.public_id,
                          data=TicketPatch(title="Disk full on build agent 3"))
    assert ticket.version == 2
    service.assign_ticket(session, actor=manager, ticket_id=ticket.public_id,
                          assignee_id=engineer.public_id)
    assert ticket.version == 3
    walk(session, manager, ticket, "OPEN")
    assert ticket.version == 4
    service.resolve_ticket(session, actor=manager, ticket_id=ticket.public_id,
                           resolution_notes=NOTES)
    assert ticket.version == 5


def test_a_change_that_changes_nothing_keeps_the_version(session: Session,
                                                         manager: User) -> None:
    ticket = make_ticket(session, manager)

    service.update_ticket(session, actor=manager, ticket_id=ticket.public_id,
                          data=TicketPatch(title=ticket.title))

    assert ticket.version == 1
    assert history_types(session, ticket) == ["CREATED"]


# --------------------------------------------------------------------------- soft delete


def test_deleting_hides_the_ticket_but_keeps_its_row_and_history(session: Session,
                                                                 admin: User) -> None:
    ticket = make_ticket(session, admin)
    walk(session, admin, ticket, "OPEN")

    service.delete_ticket(session, actor=admin, ticket_id=ticket.public_id)

    with pytest.raises(TicketNotFound):
        service.get_ticket(session, actor=admin, ticket_id=ticket.public_id)
    with pytest.raises(TicketNotFound):
        service.get_ticket_by_key(session, actor=admin, key=ticket.key)
    listed = service.list_tickets(session, actor=admin, filters=TicketFilters())
    assert ticket.public_id not in [t.public_id for t in listed.items]
    assert listed.total == 0

    session.expire_all()
    row = session.scalars(select(Ticket).where(Ticket.id == ticket.id)).one()
    assert row.deleted_at is not None
    assert row.title == "Disk full on build agent"
    assert history_types(session, row) == ["CREATED", "STATUS_CHANGE", "DELETED"]


def test_a_deleted_ticket_cannot_be_changed_any_more(session: Session, admin: User) -> None:
    ticket = make_ticket(session, admin)
    service.delete_ticket(session, actor=admin, ticket_id=ticket.public_id)

    with pytest.raises(TicketNotFound):
        service.update_ticket(session, actor=admin, ticket_id=ticket.public_id,
                              data=TicketPatch(title="Edited after deletion"))
    with pytest.raises(TicketNotFound):
        service.delete_ticket(session, actor=admin, ticket_id=ticket.public_id)

    count = session.scalar(select(func.count()).select_from(TicketHistory)
                           .where(TicketHistory.ticket_id == ticket.id))
    assert count == 2  # CREATED, DELETED


def test_administrators_can_list_deleted_tickets_on_request(session: Session,
                                                            admin: User) -> None:
    ticket = make_ticket(session, admin)
    service.delete_ticket(session, actor=admin, ticket_id=ticket.public_id)

    listed = service.list_tickets(session, actor=admin,
                                  filters=TicketFilters(include_deleted=True))

    assert [t.public_id for t in listed.items] == [ticket.public_id]


# --------------------------------------------------------------------------- keys


def test_devops_tickets_are_numbered_ops_1_ops_2_in_order(session: Session,
                                                         requester: User) -> None:
    keys = [make_ticket(session, requester).key for _ in range(3)]

    assert keys == ["OPS-1", "OPS-2", "OPS-3"]


def test_each_queue_keeps_its_own_numbering(session: Session, requester: User) -> None:
    first = make_ticket(session, requester)
    healthcare = make_ticket(session, requester, queue="healthcare")
    second = make_ticket(session, requester, queue="devops")

    assert (first.key, healthcare.key, second.key) == ("OPS-1", "INC000001", "OPS-2")
    assert (first.number, healthcare.number, second.number) == (1, 1, 2)
