"""The index follows every write, in the writer's transaction: tickets created, edited and
deleted (softly and for good), comments added, edited, made internal and deleted, and bulk
imports."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.domain.search.results import comment, found
from tests.factories import make_ticket
from ticketry.domain.comments.schemas import CommentUpdate
from ticketry.domain.comments.service import delete_comment, update_comment
from ticketry.domain.imports.parsers import iter_rows
from ticketry.domain.imports.service import import_tickets
from ticketry.domain.tickets.schemas import TicketPatch, TicketReplace
from ticketry.domain.tickets.service import change_status, delete_ticket, update_ticket
from ticketry.domain.users.models import User


def test_a_new_ticket_is_found_at_once(session: Session, requester: User) -> None:
    make_ticket(session, requester, title="Projector flickers", description="Room 4.")

    assert found(session, requester, "projector") == ["Projector flickers"]
    assert found(session, requester, "room") == ["Projector flickers"]


def test_an_edited_title_or_description_is_found_by_its_new_words_only(
        session: Session, requester: User, admin: User) -> None:
    ticket = make_ticket(session, requester, title="Projector flickers", description="Room 4.")

    update_ticket(session, actor=admin, ticket_id=ticket.public_id,
                  data=TicketPatch(title="Beamer flickers"))
    assert found(session, requester, "projector") == []
    assert found(session, requester, "beamer") == ["Beamer flickers"]

    update_ticket(session, actor=admin, ticket_id=ticket.public_id,
                  data=TicketReplace(title="Beamer flickers", description="Auditorium."))
    assert found(session, requester, "room") == []
    assert found(session, requester, "auditorium") == ["Beamer flickers"]


def test_a_change_that_leaves_the_text_alone_keeps_the_ticket_findable(
        session: Session, requester: User, admin: User) -> None:
    ticket = make_ticket(session, requester, title="Projector flickers", description="Room 4.")
    comment(session, admin, ticket, "Ordered a new lamp.")

    change_status(session, actor=admin, ticket_id=ticket.public_id, status="IN_PROGRESS")
    update_ticket(session, actor=admin, ticket_id=ticket.public_id,
                  data=TicketPatch(priority="P1", tags=["av"]))

    assert found(session, requester, "lamp") == ["Projector flickers"]


def test_a_deleted_ticket_is_no_longer_found(session: Session, requester: User,
                                             admin: User) -> None:
    ticket = make_ticket(session, requester, title="Projector flickers", description="Room 4.")
    comment(session, admin, ticket, "Ordered a new lamp.")

    delete_ticket(session, actor=admin, ticket_id=ticket.public_id)

    assert found(session, admin, "projector") == []
    assert found(session, admin, "lamp") == []


def test_a_ticket_deleted_for_good_leaves_the_index_with_its_comments(
        session: Session, requester: User, admin: User) -> None:
    ticket = make_ticket(session, requester, queue="support", title="Refund request",
                         description="Charged twice for the annual plan.")
    comment(session, admin, ticket, "Refund issued through the gateway.")

    delete_ticket(session, actor=admin, ticket_id=ticket.public_id)

    assert found(session, admin, "refund") == []
    assert found(session, admin, "gateway") == []


def test_comments_are_found_once_added_by_their_new_text_once_edited_and_not_once_deleted(
        session: Session, requester: User, engineer: User) -> None:
    ticket = make_ticket(session, requester, title="Wifi weak", description="Third floor.")

    note = comment(session, engineer, ticket, "Moved the access point.")
    assert found(session, requester, "access point") == ["Wifi weak"]

    update_comment(session, actor=engineer, comment_id=note.public_id,
                   data=CommentUpdate(content="Added a repeater."))
    assert found(session, requester, "access point") == []
    assert found(session, requester, "repeater") == ["Wifi weak"]

    delete_comment(session, actor=engineer, comment_id=note.public_id)
    assert found(session, requester, "repeater") == []
    assert found(session, requester, "wifi") == ["Wifi weak"]


def test_a_comment_made_internal_stops_matching_for_the_requester_and_back(
        session: Session, requester: User, engineer: User) -> None:
    ticket = make_ticket(session, requester, title="Wifi weak", description="Third floor.")
    note = comment(session, engineer, ticket, "The landlord owns the router.")

    update_comment(session, actor=engineer, comment_id=note.public_id,
                   data=CommentUpdate(content="The landlord owns the router.", is_internal=True))
    assert found(session, requester, "landlord") == []
    assert found(session, engineer, "landlord") == ["Wifi weak"]

    update_comment(session, actor=engineer, comment_id=note.public_id,
                   data=CommentUpdate(content="The landlord owns the router.", is_internal=False))
    assert found(session, requester, "landlord") == ["Wifi weak"]


def test_deleting_the_only_internal_comment_leaves_the_public_text_findable(
        session: Session, requester: User, engineer: User) -> None:
    ticket = make_ticket(session, requester, title="Wifi weak", description="Third floor.")
    comment(session, engineer, ticket, "Public reply about channels.")
    note = comment(session, engineer, ticket, "Internal: landlord dispute.", internal=True)

    delete_comment(session, actor=engineer, comment_id=note.public_id)

    assert found(session, engineer, "landlord") == []
    assert found(session, engineer, "channels") == ["Wifi weak"]
    assert found(session, requester, "channels") == ["Wifi weak"]


def test_bulk_imported_tickets_are_found(session: Session, engineer: User) -> None:
    rows = ("customer_id,customer_email,customer_name,subject,description,category,priority,status\n"
            "C1,c1@example.com,Ann,Invoice missing,The March invoice never arrived,billing_question,low,new\n"
            "C2,c2@example.com,Bob,Login loop,Redirected back to the login page,bug_report,high,new\n")

    report = import_tickets(session, actor=engineer, queue_key="support",
                            rows=iter_rows(io.BytesIO(rows.encode()), "csv"),
                            checkpoint=session.flush)

    assert report.successful == 2
    assert found(session, engineer, "invoice") == ["Invoice missing"]
    assert found(session, engineer, "redirected") == ["Login loop"]


def test_a_rolled_back_write_leaves_no_trace_in_the_index(session: Session,
                                                          requester: User) -> None:
    savepoint = session.begin_nested()
    make_ticket(session, requester, title="Phantom ticket", description="Never committed.")
    savepoint.rollback()

    assert found(session, requester, "phantom") == []


def test_the_postgresql_index_refresh_is_planned_for_each_call(session: Session) -> None:
    """A cached generic plan scanned the whole tickets table on every write (migration 0017)."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache; SQLite plans trigger statements each time")
    config = session.execute(text(
        "SELECT proconfig FROM pg_proc WHERE proname = 'ticket_search_refresh'")).scalar_one()
    assert "plan_cache_mode=force_custom_plan" in config


def _index_rows(session: Session, ticket_id: int) -> list[tuple[object, ...]]:
    if session.get_bind().dialect.name == "postgresql":
        return [tuple(row) for row in session.execute(text(
            "SELECT ticket_id, document::text FROM ticket_search WHERE ticket_id = :id"),
            {"id": ticket_id})]
    return [tuple(row) for row in session.execute(text(
        "SELECT rowid, audience, title, description, comments, internal_comments "
        "FROM ticket_search WHERE rowid IN (2 * :id, 2 * :id + 1) ORDER BY rowid"),
        {"id": ticket_id})]


def _rebuild_index_rows(session: Session, ticket_id: int) -> None:
    """What any other write does to a ticket's rows: rebuild them from the tables."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT ticket_search_refresh(ARRAY[:id])"), {"id": ticket_id})
    else:
        # An update of the text fires the full rebuild (migration 0011's trigger).
        session.execute(text("UPDATE tickets SET title = title || ' ' WHERE id = :id"),
                        {"id": ticket_id})
        session.execute(text("UPDATE tickets SET title = rtrim(title) WHERE id = :id"),
                        {"id": ticket_id})


def test_a_new_ticket_is_indexed_as_a_full_rebuild_would_index_it(
        session: Session, requester: User, engineer: User) -> None:
    """Inserts index a ticket from its own row (migration 0019): the same rows, word for word,
    as the rebuild every other write runs."""
    created = make_ticket(session, requester, title="Printer on 3rd floor: jams (tray #2)",
                          description="Since Monday, e-mail db01.example.com & /var/log.")
    rows = ("customer_id,customer_email,customer_name,subject,description,category,priority,status\n"
            "C1,c1@example.com,Ann,Invoice missing,The March invoice never arrived,"
            "billing_question,low,new\n")
    import_tickets(session, actor=engineer, queue_key="support",
                   rows=iter_rows(io.BytesIO(rows.encode()), "csv"), checkpoint=session.flush)
    imported = session.execute(text("SELECT max(id) FROM tickets")).scalar_one()

    for ticket_id in (created.id, imported):
        on_insert = _index_rows(session, ticket_id)
        _rebuild_index_rows(session, ticket_id)
        assert on_insert
        assert on_insert == _index_rows(session, ticket_id)
