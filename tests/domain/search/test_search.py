"""Ranked full-text search over titles, descriptions and comments, within permissions."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domain.search.results import comment, found
from tests.factories import make_ticket
from ticketry.domain.errors import ValidationFailed
from ticketry.domain.search.index import parse_query, ranked_matches
from ticketry.domain.search.schemas import SortKey, TicketSearch
from ticketry.domain.search.service import search_tickets
from ticketry.domain.tickets.schemas import TicketFilters
from ticketry.domain.tickets.service import delete_ticket, list_tickets
from ticketry.domain.users.models import User


def test_a_word_that_appears_only_in_a_comment_finds_its_ticket(
        session: Session, requester: User, engineer: User) -> None:
    ticket = make_ticket(session, requester, title="VPN drops", description="Every hour.")
    make_ticket(session, requester, title="Printer jam", description="Tray two.")
    comment(session, engineer, ticket, "The concentrator logs show a zeroconf storm.")

    assert found(session, engineer, "zeroconf") == ["VPN drops"]
    assert found(session, requester, "zeroconf") == ["VPN drops"]


def test_a_title_match_ranks_above_a_description_match_above_a_comment_match(
        session: Session, requester: User, engineer: User) -> None:
    in_comment = make_ticket(session, requester, title="Slow builds", description="Since Monday.")
    comment(session, engineer, in_comment, "Probably the kafka consumer again.")
    make_ticket(session, requester, title="Lag everywhere", description="The kafka topic is backed up.")
    make_ticket(session, requester, title="Kafka consumer lag", description="Growing.")
    make_ticket(session, requester, title="Printer jam", description="Tray two.")

    assert found(session, engineer, "kafka") == ["Kafka consumer lag", "Lag everywhere",
                                                 "Slow builds"]


def test_every_word_must_match_in_any_of_the_fields(
        session: Session, requester: User, engineer: User) -> None:
    both = make_ticket(session, requester, title="Database outage", description="Down.")
    comment(session, engineer, both, "Failover to the replica worked.")
    make_ticket(session, requester, title="Database slow", description="Queries crawl.")

    assert found(session, engineer, "database replica") == ["Database outage"]
    assert found(session, engineer, "database") == ["Database slow", "Database outage"]


def test_the_last_word_also_matches_as_a_prefix_unless_it_is_finished(
        session: Session, requester: User) -> None:
    make_ticket(session, requester, title="Database outage", description="Down.")

    assert found(session, requester, "datab") == ["Database outage"]
    assert found(session, requester, "outage datab") == ["Database outage"]
    assert found(session, requester, "datab outage") == []
    assert found(session, requester, "datab ") == []


def test_english_words_match_in_their_other_forms_and_any_case(
        session: Session, requester: User) -> None:
    make_ticket(session, requester, title="Deploys crashed twice", description="On Friday.")

    assert found(session, requester, "CRASHING deploy ") == ["Deploys crashed twice"]


def test_words_split_at_punctuation_as_they_do_in_the_text(
        session: Session, requester: User) -> None:
    make_ticket(session, requester, title="Cannot reach host",
                description="db01.example.com refuses alice@example.org since v1.2.3")

    for query in ("db01.example.com", "example", "db01", "alice@example.org", "alice"):
        assert found(session, requester, query) == ["Cannot reach host"], query


def test_internal_comments_are_found_by_agents_only(
        session: Session, requester: User, engineer: User) -> None:
    ticket = make_ticket(session, requester, title="Laptop stolen", description="At the airport.")
    comment(session, engineer, ticket, "Suspect the contractor quixotically.", internal=True)
    comment(session, engineer, ticket, "We ordered a replacement.")

    assert found(session, engineer, "quixotically") == ["Laptop stolen"]
    assert found(session, engineer, "replacement quixotically") == ["Laptop stolen"]
    assert found(session, requester, "quixotically") == []
    assert found(session, requester, "replacement quixotically") == []
    assert found(session, requester, "quixot") == []
    assert found(session, requester, "replacement") == ["Laptop stolen"]


def test_a_requesters_ranking_does_not_depend_on_internal_comments(
        session: Session, requester: User, engineer: User) -> None:
    plain = make_ticket(session, requester, title="Printer jam", description="Tray two.")
    noted = make_ticket(session, requester, title="Printer jam", description="Tray two.")
    comment(session, engineer, noted, "printer " * 50 + "internal notes about the printer",
            internal=True)
    matches = ranked_matches(session, text="printer", agent=False)
    assert matches is not None

    relevance = dict(session.execute(select(matches.c.ticket_id, matches.c.relevance)).tuples().all())

    assert relevance[plain.id] == relevance[noted.id]


def test_end_users_find_only_their_own_tickets(
        session: Session, requester: User, other_end_user: User, engineer: User) -> None:
    make_ticket(session, requester, title="Mine: keyboard sticky", description="Coffee.")
    make_ticket(session, other_end_user, title="Theirs: keyboard sticky", description="Tea.")

    assert found(session, requester, "keyboard") == ["Mine: keyboard sticky"]
    assert sorted(found(session, engineer, "keyboard")) == ["Mine: keyboard sticky",
                                                            "Theirs: keyboard sticky"]


def test_deleted_tickets_never_match_even_for_administrators_listing_deleted_ones(
        session: Session, requester: User, admin: User) -> None:
    ticket = make_ticket(session, requester, title="Obsolete monitor", description="Old.")
    delete_ticket(session, actor=admin, ticket_id=ticket.public_id)

    assert found(session, admin, "monitor") == []
    assert found(session, admin, "monitor", include_deleted=True) == []
    assert found(session, admin, None, include_deleted=True) == ["Obsolete monitor"]


def test_filters_and_several_sort_keys_apply_to_the_matches(
        session: Session, requester: User, engineer: User) -> None:
    make_ticket(session, requester, title="Backup failed A", description="x", priority="P3")
    make_ticket(session, requester, title="Backup failed B", description="x", priority="P1")
    make_ticket(session, requester, title="Backup failed C", description="x", priority="P3",
                tags=["nightly"])
    make_ticket(session, requester, title="Backup failed D", description="x", priority="P4")

    assert found(session, engineer, "backup", sort=[("priority", "asc"), ("created_at", "asc")]) \
        == ["Backup failed B", "Backup failed A", "Backup failed C", "Backup failed D"]
    assert found(session, engineer, "backup", priority=["P3"],
                 sort=[("created_at", "desc")]) == ["Backup failed C", "Backup failed A"]
    assert found(session, engineer, "backup", tags=["nightly"]) == ["Backup failed C"]


def test_total_counts_every_match_and_pages_split_them(
        session: Session, requester: User, engineer: User) -> None:
    for n in range(5):
        make_ticket(session, requester, title=f"Certificate expiry {n}", description="Renew.")
    make_ticket(session, requester, title="Printer jam", description="Tray two.")

    page = search_tickets(session, actor=engineer, search=TicketSearch(
        query="certificate", sort=[SortKey(field="title", order="asc")], page=2, size=2))

    assert (page.total, page.pages) == (5, 3)
    assert [t.title for t in page.items] == ["Certificate expiry 2", "Certificate expiry 3"]


def test_without_a_query_the_newest_come_first_and_relevance_cannot_be_asked_for(
        session: Session, requester: User) -> None:
    make_ticket(session, requester, title="First", description="x")
    make_ticket(session, requester, title="Second", description="x")

    assert found(session, requester, None) == ["Second", "First"]
    with pytest.raises(ValidationFailed, match="relevance"):
        found(session, requester, None, sort=[("relevance", "desc")])


def test_the_lists_search_filter_uses_the_same_index(
        session: Session, requester: User, engineer: User) -> None:
    ticket = make_ticket(session, requester, title="VPN drops", description="Every hour.")
    comment(session, engineer, ticket, "Concentrator firmware 4.2 is the culprit.")
    comment(session, engineer, ticket, "Escalated to the vendor sasquatch.", internal=True)

    def listed(actor: User, text: str) -> list[str]:
        page = list_tickets(session, actor=actor, filters=TicketFilters(search=text))
        return [t.title for t in page.items]

    assert listed(requester, "firmware") == ["VPN drops"]
    assert listed(engineer, "sasquatch") == ["VPN drops"]
    assert listed(requester, "sasquatch") == []
    assert found(session, engineer, None, search="firmware") == ["VPN drops"]


ODD_QUERIES = [
    "!!!", "   ", '"', '""', "'", "*", "a*", "-", "^", ":", "{title}: x", "NEAR(a b)",
    "AND", "OR NOT", "a & b | !c", "x <-> y", "foo:*", "foo:A", "(", ")", "\\", "%_%",
    "SELECT * FROM tickets; --", "é", "日本語", "🙂", "x" * 500, "word " * 40,
]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_no_input_is_query_syntax_and_none_is_an_error(
        session: Session, requester: User, engineer: User, query: str) -> None:
    make_ticket(session, requester, title="Ordinary ticket", description="Nothing special.")

    for actor in (requester, engineer):
        found(session, actor, query)
        found(session, actor, None, search=query)


def test_text_of_punctuation_alone_matches_nothing(session: Session, requester: User) -> None:
    make_ticket(session, requester, title="Ordinary ticket", description="Nothing special!!!")

    assert found(session, requester, "!!!") == []
    assert found(session, requester, None, search="?!") == []


def test_queries_become_quoted_words() -> None:
    query = parse_query('Disk "full" -ALERT: db01.example.com')

    assert query.terms == ("disk", "full", "alert", "db01", "example", "com")
    assert query.prefix
    assert query.fts5(agent=True) == '"disk" "full" "alert" "db01" "example" "com"*'
    assert query.tsquery(agent=False) == ("'disk':ABC & 'full':ABC & 'alert':ABC & 'db01':ABC & "
                                          "'example':ABC & 'com':*ABC")
    assert parse_query("disk full.").prefix is False
    assert parse_query("disk fu").prefix is False  # too short to be a useful prefix
    assert parse_query("?!").terms == ()
