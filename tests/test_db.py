"""Bulk writes: rows written by `insert_rows` read back exactly as rows the ORM wrote; UTC
timestamps read back aware whatever form SQLite holds them in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.factories import make_ticket, make_user
from ticketry.db import UTCDateTime, insert_rows, reserve_ids, utcnow
from ticketry.domain.history.models import ChangeType, TicketHistory
from ticketry.domain.tickets.models import Ticket, TicketTag
from ticketry.domain.users.models import Role, User


def _ticket_values(agent: User, model: Ticket, n: int, at: datetime) -> dict[str, object]:
    return {
        "public_id": uuid.uuid4(), "key": f"BULK-{n}", "number": 0, "queue_id": model.queue_id,
        "title": f"Bulk {n}", "description": f"Row {n} ünïcode", "status": model.status,
        "status_category": model.status_category, "priority": None, "requester_id": agent.id,
        "customer_email": f"c{n}@example.com", "tags": ["x", f"t{n}"],
        "extra": {"n": n, "nested": {"ok": True}}, "response_due_at": at + timedelta(hours=n),
        "created_at": at, "updated_at": at,
    }


def test_bulk_rows_read_back_like_orm_rows(session: Session) -> None:
    agent = make_user(session, Role.DEVOPS_ENGINEER)
    model = make_ticket(session, agent)
    at = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    ids = reserve_ids(session, Ticket, 3)
    assert len(set(ids)) == 3
    assert min(ids) > model.id
    rows = [{"id": ticket_id, **_ticket_values(agent, model, n, at)}
            for n, ticket_id in enumerate(ids)]
    insert_rows(session, Ticket, rows)
    session.expire_all()
    for row in rows:
        ticket = session.get_one(Ticket, row["id"])
        assert ticket.public_id == row["public_id"]
        assert ticket.created_at == at
        assert ticket.created_at.tzinfo is not None
        assert ticket.response_due_at == row["response_due_at"]
        assert ticket.tags == row["tags"]
        assert ticket.extra == row["extra"]
        assert ticket.description == row["description"]
        # Left out, so given the column defaults, as the ORM would.
        assert ticket.version == 1
        assert ticket.people == []
        assert ticket.support_votes == 0
        assert ticket.manual_override is False


def test_many_rows_span_several_statements_and_keep_their_values(session: Session) -> None:
    agent = make_user(session, Role.DEVOPS_ENGINEER)
    model = make_ticket(session, agent)
    ids = reserve_ids(session, Ticket, 1_200)
    now = utcnow()
    insert_rows(session, Ticket, [{"id": ticket_id, **_ticket_values(agent, model, n, now)}
                                  for n, ticket_id in enumerate(ids)])
    insert_rows(session, TicketTag, [{"ticket_id": ticket_id, "tag": f"tag{n}"}
                                     for n, ticket_id in enumerate(ids)])
    pairs = session.execute(select(Ticket.title, TicketTag.tag)
                            .join(TicketTag, TicketTag.ticket_id == Ticket.id)
                            .where(Ticket.id.in_(ids))).all()
    assert len(pairs) == 1_200
    assert all(title.removeprefix("Bulk ") == tag.removeprefix("tag") for title, tag in pairs)


def test_reserved_ids_never_collide_with_later_orm_inserts(session: Session) -> None:
    agent = make_user(session, Role.DEVOPS_ENGINEER)
    model = make_ticket(session, agent)
    ids = reserve_ids(session, Ticket, 5)
    insert_rows(session, Ticket, [{"id": ticket_id, **_ticket_values(agent, model, n, utcnow())}
                                  for n, ticket_id in enumerate(ids)])
    later = make_ticket(session, agent)
    assert later.id not in ids
    assert session.scalar(select(func.count()).select_from(Ticket)
                          .where(Ticket.id.in_([*ids, later.id]))) == 6


def test_columns_given_by_attribute_name_and_defaults_filled(session: Session) -> None:
    agent = make_user(session, Role.DEVOPS_ENGINEER)
    ticket = make_ticket(session, agent)
    # `details` is the attribute of the `metadata` column, `created_at` is left to its default.
    insert_rows(session, TicketHistory, [
        {"ticket_id": ticket.id, "actor_id": agent.id, "change_type": ChangeType.COMMENT_ADDED.value,
         "field": None, "old_value": None, "new_value": None, "details": {"n": n}}
        for n in range(3)])
    entries = session.scalars(select(TicketHistory).where(
        TicketHistory.ticket_id == ticket.id,
        TicketHistory.change_type == ChangeType.COMMENT_ADDED.value).order_by(TicketHistory.id)).all()
    assert [entry.details for entry in entries] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert all(entry.created_at.tzinfo is not None for entry in entries)


def test_a_failing_row_raises_the_usual_integrity_error(session: Session) -> None:
    agent = make_user(session, Role.DEVOPS_ENGINEER)
    ticket = make_ticket(session, agent)
    with pytest.raises(IntegrityError):
        insert_rows(session, TicketTag, [{"ticket_id": ticket.id, "tag": "same"},
                                         {"ticket_id": ticket.id, "tag": "same"}])


def test_nothing_to_insert_or_reserve_is_no_statement(session: Session) -> None:
    insert_rows(session, TicketTag, [])
    assert reserve_ids(session, Ticket, 0) == []


@pytest.mark.parametrize(("stored", "read"), [
    ("2026-03-04 05:06:07.891011", datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)),
    ("2026-03-04 05:06:07", datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)),
    ("2026-03-04T05:06:07.5", datetime(2026, 3, 4, 5, 6, 7, 500000, tzinfo=UTC)),
    ("2026-03-04 05:06", datetime(2026, 3, 4, 5, 6, tzinfo=UTC)),
    (None, None),
])
def test_sqlite_timestamp_text_reads_as_an_aware_utc_datetime(stored: str | None,
                                                              read: datetime | None) -> None:
    # SQLite hands back the stored text, in whatever form it was written (by this service, by
    # SQL functions, by hand); PostgreSQL returns timestamps, so only SQLite's path parses.
    dialect = sqlite.dialect()
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    value = process(stored)
    assert value == read
    assert value is None or value.tzinfo is UTC


def test_timestamps_read_back_aware_in_utc_on_every_backend(session: Session) -> None:
    ticket = make_ticket(session, make_user(session, Role.DEVOPS_ENGINEER))
    session.expire(ticket)
    created = session.scalar(select(Ticket.created_at).where(Ticket.id == ticket.id))
    assert created is not None
    assert created.tzinfo is UTC


def test_a_postgresql_timestamp_in_another_zone_is_converted_to_utc() -> None:
    # Our PostgreSQL sessions run in UTC; a connection in another zone still reads UTC.
    dialect = postgresql.dialect()
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    paris = timezone(timedelta(hours=1))
    value = process(datetime(2026, 3, 4, 6, 6, 7, tzinfo=paris))
    assert value == datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert value.tzinfo is UTC
    assert process(None) is None
