"""The ticket as the canonical API shows it, read with Core instead of the ORM.

The two hottest reads -- one ticket, a page of the list -- show a ticket with its requester,
assignee, team and queue. Loading those as five ORM entities per ticket cost about three times
the query itself (identity map, instance state, eager-load bookkeeping); these reads select
just the columns shown, in one statement, into plain objects that `ticket_read` turns into
`TicketRead` exactly as it does a loaded `Ticket` (tests compare the two).

Reads only: anything that changes a ticket loads the `Ticket` entity.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Label, inspect
from sqlalchemy.sql import FromClause

from ticketry.domain.queues.models import Queue
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Team, User


@dataclass(frozen=True, slots=True)
class PersonView:
    public_id: uuid.UUID
    username: str
    full_name: str | None
    email: str


@dataclass(frozen=True, slots=True)
class TeamView:
    public_id: uuid.UUID
    key: str
    name: str
    code: int | None


@dataclass(frozen=True, slots=True)
class QueueView:
    key: str


class TicketView:
    """Every column of a ticket, by attribute name (as on `Ticket`), and its shown relations.
    The typed attributes are those code outside `ticket_read` reads."""

    id: int
    public_id: uuid.UUID
    version: int
    requester_id: int
    assignee_id: int | None
    team_id: int | None
    requester: PersonView | None
    assignee: PersonView | None
    team: TeamView | None
    queue: QueueView

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


_TICKETS = Ticket.__table__
_REQUESTERS = User.__table__.alias("view_requester")
_ASSIGNEES = User.__table__.alias("view_assignee")
_TEAMS = Team.__table__
_QUEUES = Queue.__table__

# Ticket attribute names, in the order of the first columns of `VIEW_COLUMNS`. From the
# mapper's columns, which exist before mappers are configured: importing this module must not
# configure every mapper (models imported later would be missed).
_TICKET_COLUMNS = inspect(Ticket).columns
_TICKET_KEYS = tuple(_TICKET_COLUMNS.keys())
_PERSON = ("public_id", "username", "full_name", "email")
_TEAM = ("public_id", "key", "name", "code")

# Table columns, not ORM attributes: a statement naming ORM attributes takes the ORM's compile
# and loading path. Labels keep the names unique (users appear twice).
VIEW_COLUMNS: tuple[Label[Any], ...] = (
    *(_TICKET_COLUMNS[key].label(f"t_{key}") for key in _TICKET_KEYS),
    *(_REQUESTERS.c[name].label(f"r_{name}") for name in _PERSON),
    *(_ASSIGNEES.c[name].label(f"a_{name}") for name in _PERSON),
    *(_TEAMS.c[name].label(f"g_{name}") for name in _TEAM),
    _QUEUES.c.key.label("q_key"),
)
_N = len(_TICKET_KEYS)


# The FROM of a view query: the ticket, its queue, and whichever people and team it has.
VIEW_FROM: FromClause = (
    _TICKETS
    .join(_QUEUES, _QUEUES.c.id == _TICKETS.c.queue_id)
    .join(_REQUESTERS, _REQUESTERS.c.id == _TICKETS.c.requester_id, isouter=True)
    .join(_ASSIGNEES, _ASSIGNEES.c.id == _TICKETS.c.assignee_id, isouter=True)
    .join(_TEAMS, _TEAMS.c.id == _TICKETS.c.team_id, isouter=True)
)


def ticket_view(row: Sequence[Any]) -> TicketView:
    """A view from a row whose first columns are `VIEW_COLUMNS`."""
    view = TicketView(dict(zip(_TICKET_KEYS, row[:_N], strict=True)))
    at = _N
    view.requester = None if row[at] is None else PersonView(*row[at:at + 4])
    at += 4
    view.assignee = None if row[at] is None else PersonView(*row[at:at + 4])
    at += 4
    view.team = None if row[at] is None else TeamView(*row[at:at + 4])
    view.queue = QueueView(row[at + 4])
    return view


def live_ticket() -> ColumnElement[bool]:
    return _TICKETS.c.deleted_at.is_(None)
