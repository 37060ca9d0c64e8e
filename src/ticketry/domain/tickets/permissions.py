"""Who may see and change which ticket: the document's Permission Model, in one place."""

from __future__ import annotations

from sqlalchemy import ColumnElement, true

from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.views import TicketView
from ticketry.domain.users.models import Role, User


def visible_tickets(actor: User) -> ColumnElement[bool]:
    """SQL filter: agents see every ticket, end users only those they requested."""
    if actor.is_agent:
        return true()
    return Ticket.requester_id == actor.id


def can_view(actor: User, ticket: Ticket | TicketView) -> bool:
    return actor.is_agent or ticket.requester_id == actor.id


def _in_team(actor: User, ticket: Ticket) -> bool:
    if actor.team_id is None:
        return False
    if ticket.team_id == actor.team_id:
        return True
    assignee = ticket.assignee
    return assignee is not None and assignee.team_id == actor.team_id


def can_edit(actor: User, ticket: Ticket) -> bool:
    """Engineers edit what is assigned to them, leads their team's, managers and admins all."""
    role = actor.role_enum
    if role.at_least(Role.MANAGER):
        return True
    if role is Role.TEAM_LEAD and _in_team(actor, ticket):
        return True
    return role.at_least(Role.DEVOPS_ENGINEER) and ticket.assignee_id == actor.id


def can_assign(actor: User, ticket: Ticket, assignee: User | None) -> bool:
    role = actor.role_enum
    if role.at_least(Role.MANAGER):
        return True
    if role is Role.TEAM_LEAD and (ticket.assignee_id is None or _in_team(actor, ticket)):
        return assignee is None or assignee.id == actor.id or (
            actor.team_id is not None and assignee.team_id == actor.team_id
        )
    if role is Role.DEVOPS_ENGINEER:
        # Engineers take unassigned tickets for themselves, or let go of their own.
        if assignee is not None:
            return assignee.id == actor.id and ticket.assignee_id in (None, actor.id)
        return ticket.assignee_id == actor.id
    return False


def can_reopen(actor: User, ticket: Ticket) -> bool:
    return ticket.requester_id == actor.id or can_edit(actor, ticket)


def can_delete(actor: User) -> bool:
    return actor.role_enum is Role.ADMIN
