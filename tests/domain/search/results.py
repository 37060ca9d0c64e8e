"""Helpers for reading search results as a specification reads: by ticket title."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ticketry.domain.comments.models import Comment
from ticketry.domain.comments.schemas import CommentCreate
from ticketry.domain.comments.service import add_comment
from ticketry.domain.search.schemas import SortKey, TicketSearch
from ticketry.domain.search.service import search_tickets
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketFilters
from ticketry.domain.users.models import User


def found(session: Session, actor: User, query: str | None, *,
          sort: list[tuple[str, str]] | None = None, **filters: Any) -> list[str]:
    """Titles of the tickets `actor` finds with `query`, in result order."""
    search = TicketSearch(query=query, filters=TicketFilters(**filters),
                          sort=[SortKey(field=f, order=o) for f, o in sort or []],  # type: ignore[arg-type]
                          size=100)
    return [t.title for t in search_tickets(session, actor=actor, search=search).items]


def comment(session: Session, actor: User, ticket: Ticket, content: str, *,
            internal: bool = False) -> Comment:
    made, _ = add_comment(session, actor=actor, ticket_id=ticket.public_id,
                          data=CommentCreate(content=content, is_internal=internal))
    return made
