"""Indexes of ticket columns most tickets leave empty hold only the tickets with a value, and
the list's filters on those columns still search them (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from tests.factories import make_ticket
from ticketry.domain.tickets.models import SPARSE_INDEXED_COLUMNS, Ticket
from ticketry.domain.tickets.schemas import TicketFilters
from ticketry.domain.tickets.service import filtered_tickets
from ticketry.domain.users.models import Team, User


def _definition(connection: Connection, name: str) -> str:
    if connection.dialect.name == "sqlite":
        sql = connection.scalar(text("SELECT sql FROM sqlite_master WHERE type = 'index' "
                                     "AND name = :name"), {"name": name})
    else:
        sql = connection.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                                {"name": name})
    assert sql is not None, f"index {name} is missing"
    # One spelling for both backends: no quotes, casts, schema, access method or parentheses.
    sql = re.sub(r"::\w+|public\.|USING btree", "", sql)
    sql = re.sub(r"[\"()]", " ", sql)
    return " ".join(sql.split())


@pytest.mark.parametrize("column", SPARSE_INDEXED_COLUMNS)
def test_a_sparse_column_is_indexed_only_where_it_has_a_value(connection: Connection,
                                                              column: str) -> None:
    definition = _definition(connection, f"ix_tickets_{column}")
    assert definition == (f"CREATE INDEX ix_tickets_{column} ON tickets {column} "
                          f"WHERE {column} IS NOT NULL")


def test_the_customer_email_is_indexed_as_the_filter_compares_it(connection: Connection) -> None:
    definition = _definition(connection, "ix_tickets_customer_email")
    assert definition == ("CREATE INDEX ix_tickets_customer_email ON tickets "
                          "lower customer_email WHERE customer_email IS NOT NULL")


def _plan(session: Session, admin: User, filters: TicketFilters) -> str:
    """The list's statement for an administrator, deleted tickets included: without the
    `deleted_at IS NULL` term, the indexes on non-deleted tickets are no alternative, so on a
    test database's few rows the plan shows whether the filter can search its column's index."""
    filters = filters.model_copy(update={"include_deleted": True})
    stmt = filtered_tickets(session, admin, filters).with_only_columns(Ticket.id)
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
        return "\n".join(str(row[-1]) for row in rows)
    # A test database is tiny: make the planner show whether it can use an index at all.
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}"))


@pytest.mark.parametrize(("filters", "index"), [
    ({"environment": ["PRODUCTION", "STAGING"]}, "ix_tickets_environment"),
    ({"tool": ["jenkins"]}, "ix_tickets_tool"),
    ({"location": ["ward-3", "ward-4"]}, "ix_tickets_location"),
    ({"customer_email": "Pat@Example.com"}, "ix_tickets_customer_email"),
])
def test_the_list_filters_on_sparse_columns_search_their_indexes(
        session: Session, admin: User, filters: dict[str, object], index: str) -> None:
    make_ticket(session, admin, environment="PRODUCTION")
    assert index in _plan(session, admin, TicketFilters.model_validate(filters))


def test_the_team_filter_searches_its_index(session: Session, admin: User, team: Team) -> None:
    make_ticket(session, admin, team_id=team.public_id)
    plan = _plan(session, admin, TicketFilters(team_id=team.public_id))
    assert "ix_tickets_team_id" in plan


def test_tickets_without_a_value_are_found_as_before(session: Session, admin: User) -> None:
    plain = make_ticket(session, admin)
    production = make_ticket(session, admin, environment="PRODUCTION")
    found = session.scalars(filtered_tickets(session, admin, TicketFilters(
        environment=["PRODUCTION"]))).all()
    assert [t.id for t in found] == [production.id]
    everything = session.scalars(filtered_tickets(session, admin, TicketFilters())).all()
    assert {plain.id, production.id} <= {t.id for t in everything}
