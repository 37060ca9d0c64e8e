"""Tickets built by hand for reports: created through the ticket service, then placed in time
(created, resolved, due, breached, rated) as a report would find them months later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tests.factories import make_team, make_ticket
from ticketry.domain.queues.service import find_queue_config
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Team, User

# "Now" of every report in these tests: a fixed moment, far from the real clock.
NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


def days_ago(days: float, now: datetime = NOW) -> datetime:
    return now - timedelta(days=days)


def ticket_at(session: Session, requester: User, created: datetime, *, status: str | None = None,
              resolved_hours: float | None = None, resolution_minutes: Any = "computed",
              due_hours: float | None = None, breached: bool = False,
              first_response_hours: float | None = None, rating: int | None = None,
              assignee: User | None = None, team: Team | None = None, deleted: bool = False,
              **fields: Any) -> Ticket:
    """A ticket created at `created`; `resolved_hours` after creation it was resolved (status
    defaults to the queue's first solved status), its resolution target `due_hours` after
    creation, `breached` as the SLA worker marks it."""
    ticket = make_ticket(session, requester, **fields)
    config = find_queue_config(session, fields.get("queue"))
    if status is None:
        status = (config.status_in_category("solved") if resolved_hours is not None
                  else config.initial_status).key  # type: ignore[union-attr]
    ticket.status = status
    ticket.status_category = config.statuses[status].category
    ticket.created_at = ticket.updated_at = created
    ticket.response_due_at = None
    ticket.resolution_due_at = created + timedelta(hours=due_hours) if due_hours is not None \
        else None
    if resolved_hours is not None:
        ticket.resolved_at = created + timedelta(hours=resolved_hours)
        ticket.resolution_minutes = (int(resolved_hours * 60) if resolution_minutes == "computed"
                                     else resolution_minutes)
    if breached:
        ticket.resolution_breached_at = ticket.resolution_due_at
    if first_response_hours is not None:
        ticket.first_response_at = created + timedelta(hours=first_response_hours)
    ticket.satisfaction_rating = rating
    ticket.assignee_id = assignee.id if assignee else None
    ticket.team_id = team.id if team else None
    if deleted:
        ticket.deleted_at = created
    session.flush()
    return ticket


def team_with_code(session: Session, admin: User, code: int) -> Team:
    team = make_team(session, admin)
    team.code = code
    session.flush()
    return team
