"""Ticket links: relates to (symmetric), duplicates / duplicated by, parent / child; one row
per link, seen from both ends, with history and an event on both tickets."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_ticket
from ticketry.domain.errors import PermissionDenied
from ticketry.domain.events.models import Event
from ticketry.domain.history.messages import describe_change
from ticketry.domain.history.models import TicketHistory
from ticketry.domain.links.errors import (
    InvalidTicketLink,
    TicketLinkExists,
    TicketLinkNotAllowed,
    TicketLinkNotFound,
)
from ticketry.domain.links.models import TicketLink
from ticketry.domain.links.service import (
    TicketLinkView,
    link_tickets,
    list_ticket_links,
    unlink_tickets,
)
from ticketry.domain.tickets.errors import TicketNotFound
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.service import assign_ticket, delete_ticket
from ticketry.domain.users.models import User


def seen(session: Session, actor: User, ticket: Ticket) -> list[tuple[str, str]]:
    """The ticket's links as (kind seen from it, other ticket's key)."""
    return [(view.kind, view.ticket.key)
            for view in list_ticket_links(session, actor=actor, ticket=ticket)]


def link_rows(session: Session) -> list[tuple[int, int, str]]:
    return [tuple(row) for row in session.execute(  # type: ignore[misc]
        select(TicketLink.source_id, TicketLink.target_id, TicketLink.kind))]


def link_history(session: Session, ticket: Ticket) -> list[tuple[str, str | None, str | None,
                                                                 str | None]]:
    return [(h.change_type, h.field, h.old_value, h.new_value) for h in session.scalars(
        select(TicketHistory).where(TicketHistory.ticket_id == ticket.id,
                                    TicketHistory.change_type.like("LINK_%"))
        .order_by(TicketHistory.id))]


def link_events(session: Session, ticket: Ticket) -> list[dict[str, object]]:
    return [event.data["link"] for event in session.scalars(
        select(Event).where(Event.ticket_id == ticket.id, Event.type == "ticket.updated")
        .order_by(Event.id)) if "link" in event.data]


@pytest.fixture
def tickets(session: Session, requester: User) -> tuple[Ticket, Ticket, Ticket]:
    return (make_ticket(session, requester, title="Checkout fails"),
            make_ticket(session, requester, title="Payment page 500"),
            make_ticket(session, requester, title="Card declined"))


# --------------------------------------------------------------------------- kinds


def test_relates_to_is_one_link_seen_the_same_from_both_ends(
        session: Session, manager: User, tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    a, b, _ = tickets
    view = link_tickets(session, actor=manager, ticket=b, target=a, kind="relates_to")

    assert isinstance(view, TicketLinkView)
    assert (view.kind, view.ticket.key, view.created_by) == ("relates_to", a.key, manager)
    assert seen(session, manager, a) == [("relates_to", b.key)]
    assert seen(session, manager, b) == [("relates_to", a.key)]
    assert link_rows(session) == [(a.id, b.id, "relates_to")]
    with pytest.raises(TicketLinkExists):
        link_tickets(session, actor=manager, ticket=a, target=b, kind="relates_to")


def test_duplicates_is_seen_as_duplicated_by_from_the_original(
        session: Session, manager: User, tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    original, copy, _ = tickets
    link_tickets(session, actor=manager, ticket=copy, target=original, kind="duplicates")

    assert seen(session, manager, copy) == [("duplicates", original.key)]
    assert seen(session, manager, original) == [("duplicated_by", copy.key)]
    with pytest.raises(TicketLinkExists):
        link_tickets(session, actor=manager, ticket=original, target=copy, kind="duplicated_by")
    with pytest.raises(TicketLinkNotAllowed, match="already marked as a duplicate"):
        link_tickets(session, actor=manager, ticket=original, target=copy, kind="duplicates")


def test_a_child_can_be_linked_from_either_end(
        session: Session, manager: User, tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    parent, child, other_child = tickets
    link_tickets(session, actor=manager, ticket=parent, target=child, kind="parent_of")
    link_tickets(session, actor=manager, ticket=other_child, target=parent, kind="child_of")

    assert seen(session, manager, parent) == [("parent_of", child.key),
                                              ("parent_of", other_child.key)]
    assert seen(session, manager, child) == [("child_of", parent.key)]
    assert seen(session, manager, other_child) == [("child_of", parent.key)]
    assert sorted(link_rows(session)) == sorted([(parent.id, child.id, "parent_of"),
                                                 (parent.id, other_child.id, "parent_of")])


def test_different_kinds_between_the_same_tickets_are_different_links(
        session: Session, manager: User, tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    a, b, _ = tickets
    link_tickets(session, actor=manager, ticket=a, target=b, kind="relates_to")
    link_tickets(session, actor=manager, ticket=a, target=b, kind="parent_of")

    assert seen(session, manager, b) == [("relates_to", a.key), ("child_of", a.key)]


# --------------------------------------------------------------------------- rules


def test_a_ticket_has_at_most_one_parent(
        session: Session, manager: User, tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    parent, child, other_parent = tickets
    link_tickets(session, actor=manager, ticket=child, target=parent, kind="child_of")

    with pytest.raises(TicketLinkNotAllowed, match="already has a parent"):
        link_tickets(session, actor=manager, ticket=other_parent, target=child,
                     kind="parent_of")
    assert seen(session, manager, child) == [("child_of", parent.key)]


def test_parent_links_never_close_a_cycle(
        session: Session, manager: User, tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    top, middle, bottom = tickets
    link_tickets(session, actor=manager, ticket=top, target=middle, kind="parent_of")
    link_tickets(session, actor=manager, ticket=middle, target=bottom, kind="parent_of")

    for parent, child in ((middle, top), (bottom, top)):
        with pytest.raises(TicketLinkNotAllowed, match="cycle"):
            link_tickets(session, actor=manager, ticket=parent, target=child, kind="parent_of")
    assert len(link_rows(session)) == 2


def test_a_ticket_is_never_linked_to_itself(
        session: Session, manager: User, tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    a, _, _ = tickets
    for kind in ("relates_to", "duplicates", "parent_of", "child_of"):
        with pytest.raises(InvalidTicketLink, match="itself"):
            link_tickets(session, actor=manager, ticket=a, target=a, kind=kind)


def test_an_unknown_kind_is_named(session: Session, manager: User,
                                  tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    a, b, _ = tickets
    with pytest.raises(InvalidTicketLink, match="'blocks'") as refused:
        link_tickets(session, actor=manager, ticket=a, target=b, kind="blocks")
    assert refused.value.context["field"] == "kind"


# --------------------------------------------------------------------------- who may


def test_linking_needs_the_right_to_change_the_ticket(
        session: Session, requester: User, engineer: User, other_engineer: User,
        manager: User, tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    mine, other, _ = tickets
    assign_ticket(session, actor=manager, ticket_id=mine.public_id,
                  assignee_id=engineer.public_id)

    for actor in (requester, other_engineer):
        with pytest.raises(PermissionDenied):
            link_tickets(session, actor=actor, ticket=mine, target=other, kind="relates_to")
    # The target only has to be visible: the engineer links their ticket to anyone's.
    link_tickets(session, actor=engineer, ticket=mine, target=other, kind="relates_to")
    assert seen(session, engineer, other) == [("relates_to", mine.key)]


def test_listings_show_only_linked_tickets_the_actor_may_see(
        session: Session, manager: User, requester: User, other_end_user: User) -> None:
    own = make_ticket(session, requester)
    strangers = make_ticket(session, other_end_user)
    link_tickets(session, actor=manager, ticket=own, target=strangers, kind="relates_to")

    assert seen(session, manager, own) == [("relates_to", strangers.key)]
    assert seen(session, requester, own) == []
    assert seen(session, other_end_user, strangers) == []
    with pytest.raises(TicketNotFound):
        list_ticket_links(session, actor=other_end_user, ticket=own)


def test_soft_deleted_tickets_drop_out_of_links_and_cannot_be_linked(
        session: Session, admin: User, manager: User,
        tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    a, b, c = tickets
    view = link_tickets(session, actor=manager, ticket=a, target=b, kind="relates_to")
    delete_ticket(session, actor=admin, ticket_id=b.public_id)

    assert seen(session, manager, a) == []
    with pytest.raises(TicketLinkNotFound):
        unlink_tickets(session, actor=manager, ticket=a, link_id=view.id)
    with pytest.raises(TicketNotFound):
        link_tickets(session, actor=manager, ticket=c, target=b, kind="relates_to")
    # Kept, as the soft-deleted ticket itself is.
    assert len(link_rows(session)) == 1


def test_hard_deleting_a_ticket_removes_its_links(session: Session, admin: User,
                                                  requester: User) -> None:
    kept = make_ticket(session, requester, queue="support")
    purged = make_ticket(session, requester, queue="support")
    link_tickets(session, actor=admin, ticket=kept, target=purged, kind="parent_of")

    delete_ticket(session, actor=admin, ticket_id=purged.public_id)

    assert link_rows(session) == []
    assert seen(session, admin, kept) == []


# --------------------------------------------------------------------------- unlink


def test_a_link_is_removed_from_either_end(
        session: Session, manager: User, tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    parent, child, unrelated = tickets
    view = link_tickets(session, actor=manager, ticket=parent, target=child, kind="parent_of")

    with pytest.raises(TicketLinkNotFound):
        unlink_tickets(session, actor=manager, ticket=unrelated, link_id=view.id)
    unlink_tickets(session, actor=manager, ticket=child, link_id=view.id)

    assert link_rows(session) == []
    with pytest.raises(TicketLinkNotFound):
        unlink_tickets(session, actor=manager, ticket=parent, link_id=view.id)
    # Unlinked, the child may take a new parent.
    link_tickets(session, actor=manager, ticket=child, target=unrelated, kind="child_of")


def test_unlinking_needs_the_right_to_change_the_ticket(
        session: Session, manager: User, engineer: User,
        tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    a, b, _ = tickets
    view = link_tickets(session, actor=manager, ticket=a, target=b, kind="relates_to")
    with pytest.raises(PermissionDenied):
        unlink_tickets(session, actor=engineer, ticket=a, link_id=view.id)
    assert len(link_rows(session)) == 1


# --------------------------------------------------------------------------- history, events


def test_linking_and_unlinking_are_recorded_on_both_tickets(
        session: Session, manager: User, tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    copy, original, _ = tickets
    view = link_tickets(session, actor=manager, ticket=copy, target=original, kind="duplicates")
    unlink_tickets(session, actor=manager, ticket=original, link_id=view.id)

    assert link_history(session, copy) == [
        ("LINK_ADDED", "duplicates", None, original.key),
        ("LINK_REMOVED", "duplicates", original.key, None)]
    assert link_history(session, original) == [
        ("LINK_ADDED", "duplicated_by", None, copy.key),
        ("LINK_REMOVED", "duplicated_by", copy.key, None)]
    assert [(e["action"], e["kind"], e["id"]) for e in link_events(session, copy)] == [
        ("added", "duplicates", view.id), ("removed", "duplicates", view.id)]
    assert [(e["action"], e["kind"]) for e in link_events(session, original)] == [
        ("added", "duplicated_by"), ("removed", "duplicated_by")]
    [added, _removed] = link_events(session, original)
    assert added["ticket"] == {"id": copy.id, "public_id": str(copy.public_id),
                               "ticket_number": copy.key}


def test_a_refused_link_writes_nothing(
        session: Session, manager: User, tickets: tuple[Ticket, Ticket, Ticket]) -> None:
    a, b, _ = tickets
    link_tickets(session, actor=manager, ticket=a, target=b, kind="parent_of")
    counts = (session.scalar(select(func.count()).select_from(TicketHistory)),
              session.scalar(select(func.count()).select_from(Event)))

    with pytest.raises(TicketLinkNotAllowed):
        link_tickets(session, actor=manager, ticket=b, target=a, kind="parent_of")

    assert (session.scalar(select(func.count()).select_from(TicketHistory)),
            session.scalar(select(func.count()).select_from(Event))) == counts


@pytest.mark.parametrize(("change", "kind", "language", "sentence"), [
    ("LINK_ADDED", "relates_to", "en", "Linked to OPS-7 as related"),
    ("LINK_ADDED", "duplicated_by", "en", "OPS-7 was marked as a duplicate of this ticket"),
    ("LINK_ADDED", "child_of", "es", "Este ticket ha pasado a ser hijo de OPS-7"),
    ("LINK_REMOVED", "parent_of", "ca", "OPS-7 ja no és fill d'aquest tiquet"),
])
def test_link_history_reads_as_a_sentence(change: str, kind: str, language: str,
                                          sentence: str) -> None:
    key = "OPS-7"
    added = change == "LINK_ADDED"
    assert describe_change(change_type=change, field=kind, old=None if added else key,
                           new=key if added else None, reason=None, language=language,
                           value_label=lambda field, value: value) == sentence


# --------------------------------------------------------------------------- listing cost


def test_listing_costs_one_statement_however_many_links(
        session: Session, manager: User, requester: User, statements) -> None:  # type: ignore[no-untyped-def]
    hub = make_ticket(session, requester)
    for kind in ("relates_to", "duplicated_by", "parent_of", "child_of", "duplicates"):
        link_tickets(session, actor=manager, ticket=hub, target=make_ticket(session, requester),
                     kind=kind)
    session.expire_all()
    hub, manager = session.get_one(Ticket, hub.id), session.get_one(User, manager.id)

    with statements.counting() as counted:
        views = list_ticket_links(session, actor=manager, ticket=hub)
        # Everything a dialect shows of the other ticket is loaded already.
        people = [(v.ticket.requester, v.ticket.assignee, v.ticket.team, v.ticket.queue,
                   v.created_by) for v in views]

    assert len(views) == len(people) == 5
    assert counted.count == 1, counted.statements
