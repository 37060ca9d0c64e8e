"""Ticket links: relates to, duplicates, parent/child.

One row per link, read from either end (`duplicates` seen from the other ticket is
`duplicated_by`, `parent_of` is `child_of`). Linking and unlinking write history and a
`ticket.updated` event on both tickets in the caller's transaction; callers commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, Select, and_, case, literal, or_, select
from sqlalchemy.orm import Session, joinedload

from ticketry.db import utcnow
from ticketry.domain.errors import PermissionDenied
from ticketry.domain.events.service import EventType, emit_ticket_event
from ticketry.domain.history.models import ChangeType
from ticketry.domain.history.service import record_change
from ticketry.domain.links.errors import (
    InvalidTicketLink,
    TicketLinkExists,
    TicketLinkNotAllowed,
    TicketLinkNotFound,
)
from ticketry.domain.links.models import LinkKind, TicketLink
from ticketry.domain.links.schemas import SEEN_KINDS, TicketLinkCreate
from ticketry.domain.tickets import permissions
from ticketry.domain.tickets.errors import TicketNotFound
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.service import get_ticket, get_ticket_by_key
from ticketry.domain.users.models import User

# A stored kind as the link's target sees it.
_INVERSE = {LinkKind.RELATES_TO: "relates_to", LinkKind.DUPLICATES: "duplicated_by",
            LinkKind.PARENT_OF: "child_of"}
# A kind as given from one ticket -> the stored kind, and whether that ticket is the source.
_STORED = {"relates_to": (LinkKind.RELATES_TO, True), "duplicates": (LinkKind.DUPLICATES, True),
           "duplicated_by": (LinkKind.DUPLICATES, False), "parent_of": (LinkKind.PARENT_OF, True),
           "child_of": (LinkKind.PARENT_OF, False)}

_ALREADY = {LinkKind.RELATES_TO: "is already linked to",
            LinkKind.DUPLICATES: "is already marked as a duplicate of",
            LinkKind.PARENT_OF: "is already the parent of"}


@dataclass(frozen=True, slots=True)
class TicketLinkView:
    """A link seen from one ticket: `kind` reads from that ticket, `ticket` is the other one
    (loaded with its requester, assignee, team and queue)."""

    id: int
    kind: str
    ticket: Ticket
    created_by: User | None
    created_at: datetime


def seen_kind(link: TicketLink, ticket_id: int) -> str:
    return str(link.kind) if link.source_id == ticket_id else _INVERSE[LinkKind(link.kind)]


def _other_id(link: TicketLink, ticket_id: int) -> int:
    return link.target_id if link.source_id == ticket_id else link.source_id


def _require_edit(actor: User, ticket: Ticket) -> None:
    if ticket.deleted_at is not None or not permissions.can_view(actor, ticket):
        raise TicketNotFound(f"ticket {ticket.public_id} not found")
    if not permissions.can_edit(actor, ticket):
        raise PermissionDenied("you may only link tickets you may change")


def _links_with_other(actor: User, ticket_id: int) -> Select[tuple[TicketLink, Ticket]]:
    """The ticket's links, each with the ticket at its other end, if the actor may see it."""
    other_id = case((TicketLink.source_id == ticket_id, TicketLink.target_id),
                    else_=TicketLink.source_id)
    return (select(TicketLink, Ticket)
            .join(Ticket, Ticket.id == other_id)
            .where(or_(TicketLink.source_id == ticket_id, TicketLink.target_id == ticket_id),
                   Ticket.deleted_at.is_(None), permissions.visible_tickets(actor))
            .options(joinedload(TicketLink.created_by), joinedload(Ticket.requester),
                     joinedload(Ticket.assignee), joinedload(Ticket.team),
                     joinedload(Ticket.queue)))


def _ancestors(session: Session, ticket_id: int) -> set[int]:
    """The ticket and every ticket above it (parent, grandparent, ...), in one statement."""
    chain = select(literal(ticket_id, Integer).label("id")).cte("chain", recursive=True)
    chain = chain.union(select(TicketLink.source_id)
                        .join(chain, TicketLink.target_id == chain.c.id)
                        .where(TicketLink.kind == LinkKind.PARENT_OF))
    return set(session.scalars(select(chain.c.id)))


def _lock(session: Session, ticket_ids: Iterable[int]) -> None:
    # In id order, so two writers locking overlapping tickets cannot deadlock (PostgreSQL;
    # SQLite has one writer at a time anyway).
    session.execute(select(Ticket.id).where(Ticket.id.in_(sorted(set(ticket_ids))))
                    .order_by(Ticket.id).with_for_update())


def _check_new_link(session: Session, source: Ticket, target: Ticket, kind: LinkKind) -> None:
    pair = or_(and_(TicketLink.source_id == source.id, TicketLink.target_id == target.id),
               and_(TicketLink.source_id == target.id, TicketLink.target_id == source.id))
    if kind is LinkKind.PARENT_OF:
        # The child's tree hangs under the parent's: locking the parent's whole chain and the
        # child (the root of its own tree) serialises every pair of links that could together
        # close a cycle; the chain is read again under the locks.
        _lock(session, [*_ancestors(session, source.id), target.id])
        pair = or_(pair, and_(TicketLink.target_id == target.id,
                              TicketLink.kind == LinkKind.PARENT_OF))
    else:
        _lock(session, [source.id, target.id])
    for link in session.scalars(select(TicketLink).where(pair)):
        if (link.source_id, link.target_id, link.kind) == (source.id, target.id, kind):
            raise TicketLinkExists(f"{source.key} {_ALREADY[kind]} {target.key}")
        if kind is LinkKind.DUPLICATES and link.kind == LinkKind.DUPLICATES:
            raise TicketLinkNotAllowed(
                f"{target.key} is already marked as a duplicate of {source.key}")
        if kind is LinkKind.PARENT_OF and link.kind == LinkKind.PARENT_OF \
                and link.target_id == target.id:
            raise TicketLinkNotAllowed(f"{target.key} already has a parent; unlink it first")
    if kind is LinkKind.PARENT_OF and target.id in _ancestors(session, source.id):
        raise TicketLinkNotAllowed(
            f"{target.key} is above {source.key}: making it a child would close a cycle")


def _record(session: Session, *, actor: User, link: TicketLink, tickets: tuple[Ticket, Ticket],
            added: bool, now: datetime) -> None:
    """History and a `ticket.updated` event on both tickets."""
    for this, other in (tickets, tickets[::-1]):
        kind = seen_kind(link, this.id)
        shown = f"{kind} {other.key}"
        record_change(session, ticket_id=this.id, actor=actor,
                      change_type=ChangeType.LINK_ADDED if added else ChangeType.LINK_REMOVED,
                      at=now, field=kind, old=None if added else other.key,
                      new=other.key if added else None,
                      details={"link_id": link.id, "ticket_id": str(other.public_id)})
        this.updated_at = now
        emit_ticket_event(session, type=EventType.TICKET_UPDATED, actor=actor, ticket=this,
                          at=now, extra={
                              "changes": {"links": {"old": None if added else shown,
                                                    "new": shown if added else None}},
                              "link": {"action": "added" if added else "removed",
                                       "id": link.id, "kind": kind,
                                       "ticket": {"id": other.id,
                                                  "public_id": str(other.public_id),
                                                  "ticket_number": other.key}}})


def link_tickets(session: Session, *, actor: User, ticket: Ticket, target: Ticket,
                 kind: str) -> TicketLinkView:
    """Link `ticket` to `target`; `kind` reads from `ticket` (`child_of` makes `target` its
    parent). The actor must be allowed to change `ticket` and to see `target`."""
    _require_edit(actor, ticket)
    if target.deleted_at is not None or not permissions.can_view(actor, target):
        raise TicketNotFound(f"ticket {target.public_id} not found", field="target")
    if kind not in _STORED:
        raise InvalidTicketLink(f"unknown link kind {kind!r}; use one of "
                                f"{', '.join(SEEN_KINDS)}", field="kind")
    if target.id == ticket.id:
        raise InvalidTicketLink("a ticket cannot be linked to itself", field="target")
    stored, from_source = _STORED[kind]
    source, dest = (ticket, target) if from_source else (target, ticket)
    if stored is LinkKind.RELATES_TO and source.id > dest.id:
        # Symmetric: stored once, from the lower id, so either end finds the same row.
        source, dest = dest, source
    _check_new_link(session, source, dest, stored)
    now = utcnow()
    link = TicketLink(source_id=source.id, target_id=dest.id, kind=stored,
                      created_by_id=actor.id, created_at=now)
    session.add(link)
    session.flush()
    _record(session, actor=actor, link=link, tickets=(ticket, target), added=True, now=now)
    session.flush()
    return TicketLinkView(id=link.id, kind=seen_kind(link, ticket.id), ticket=target,
                          created_by=actor, created_at=now)


def unlink_tickets(session: Session, *, actor: User, ticket: Ticket, link_id: int) -> None:
    """Remove one of `ticket`'s links (whichever end it is); the actor must be allowed to
    change `ticket`. Links to tickets the actor cannot see are not found."""
    _require_edit(actor, ticket)
    row = session.execute(_links_with_other(actor, ticket.id)
                          .where(TicketLink.id == link_id)).unique().one_or_none()
    if row is None:
        raise TicketLinkNotFound(f"ticket {ticket.key} has no link {link_id}")
    link, other = row
    _record(session, actor=actor, link=link, tickets=(ticket, other), added=False,
            now=utcnow())
    session.delete(link)
    session.flush()


def list_ticket_links(session: Session, *, actor: User, ticket: Ticket) -> list[TicketLinkView]:
    """The ticket's links, oldest first, to tickets the actor may see (one statement)."""
    if ticket.deleted_at is not None or not permissions.can_view(actor, ticket):
        raise TicketNotFound(f"ticket {ticket.public_id} not found")
    rows = session.execute(_links_with_other(actor, ticket.id)
                           .order_by(TicketLink.created_at, TicketLink.id)).unique().all()
    return [TicketLinkView(id=link.id, kind=seen_kind(link, ticket.id), ticket=other,
                           created_by=link.created_by, created_at=link.created_at)
            for link, other in rows]


# --------------------------------------------------------------------------- by reference


def _target(session: Session, actor: User, data: TicketLinkCreate) -> Ticket:
    try:
        if data.target_id is not None:
            return get_ticket(session, actor=actor, ticket_id=data.target_id)
        return get_ticket_by_key(session, actor=actor, key=str(data.target_key))
    except TicketNotFound as exc:
        # A reference in the body to a missing ticket is bad input, not a missing resource.
        field = "target_id" if data.target_id is not None else "target_key"
        raise TicketNotFound(exc.message, field=field) from None


def add_ticket_link(session: Session, *, actor: User, ticket_id: uuid.UUID,
                    data: TicketLinkCreate) -> TicketLinkView:
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id)
    _require_edit(actor, ticket)  # before the target is looked up: a 403 tells nothing of it
    return link_tickets(session, actor=actor, ticket=ticket, target=_target(session, actor, data),
                        kind=data.kind)


def remove_ticket_link(session: Session, *, actor: User, ticket_id: uuid.UUID,
                       link_id: int) -> None:
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id)
    unlink_tickets(session, actor=actor, ticket=ticket, link_id=link_id)


def get_ticket_links(session: Session, *, actor: User,
                     ticket_id: uuid.UUID) -> list[TicketLinkView]:
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id)
    return list_ticket_links(session, actor=actor, ticket=ticket)
