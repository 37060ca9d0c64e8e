"""The four shipped queue presets: installed once, each with its document's statuses, priorities
and ticket key format, and each able to take tickets."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_ticket
from ticketry.domain.errors import ValidationFailed
from ticketry.domain.queues.errors import QueueNotFound
from ticketry.domain.queues.models import Queue
from ticketry.domain.queues.service import find_queue_config, install_presets
from ticketry.domain.tickets.schemas import TicketCreate
from ticketry.domain.tickets.service import create_ticket
from ticketry.domain.users.models import User

STATUSES = {
    "devops": ["NEW", "OPEN", "IN_PROGRESS", "PENDING_INFO", "RESOLVED", "CLOSED", "REOPENED",
               "ESCALATED"],
    "healthcare": ["created", "reviewed", "discarted", "resolving", "notified", "solved",
                   "closed", "deleted"],
    "enterprise": ["open", "in_progress", "pending_approval", "resolved", "closed"],
    "support": ["new", "in_progress", "waiting_customer", "resolved", "closed"],
}
# Most urgent first.
RANKED = {
    "devops": ["P1", "P2", "P3", "P4"],
    "healthcare": ["critical", "high", "mid", "low"],
    "enterprise": ["critical", "high", "medium", "low"],
    "support": ["urgent", "high", "medium", "low"],
}
INITIAL = {"devops": "NEW", "healthcare": "created", "enterprise": "open", "support": "new"}
PRIORITIES = {
    "devops": ["P1", "P2", "P3", "P4"],
    "healthcare": ["low", "mid", "high", "critical"],
    "enterprise": ["critical", "high", "medium", "low"],
    "support": ["urgent", "high", "medium", "low"],
}


def test_installing_the_presets_again_installs_nothing(session: Session) -> None:
    assert install_presets(session) == []
    assert set(session.scalars(select(Queue.key))) == set(STATUSES)


def test_devops_is_the_one_default_queue(session: Session) -> None:
    assert find_queue_config(session, None).key == "devops"
    assert session.scalar(select(func.count()).select_from(Queue)
                          .where(Queue.is_default.is_(True))) == 1


def test_an_unknown_queue_is_refused(session: Session, requester: User) -> None:
    with pytest.raises(QueueNotFound):
        make_ticket(session, requester, queue="nope")


@pytest.mark.parametrize("queue", list(STATUSES))
def test_each_preset_installs_its_documents_statuses(session: Session, queue: str) -> None:
    config = find_queue_config(session, queue)

    assert list(config.statuses) == STATUSES[queue]
    assert config.initial_status.key == INITIAL[queue]


@pytest.mark.parametrize("queue", list(PRIORITIES))
def test_each_preset_installs_its_documents_priorities(session: Session, queue: str) -> None:
    config = find_queue_config(session, queue)

    assert set(config.priorities) == set(PRIORITIES[queue])
    assert sorted(config.priorities, key=lambda k: config.priorities[k].rank) == \
        RANKED[queue]


def test_healthcare_statuses_carry_their_catalan_labels_and_ids(session: Session) -> None:
    config = find_queue_config(session, "healthcare")

    assert [(s.code, s.key, s.label) for s in config.statuses.values()] == [
        (1, "created", "Creada"), (2, "reviewed", "Revisada"), (3, "discarted", "Descartada"),
        (4, "resolving", "En resolució"), (5, "notified", "Notificada"), (6, "solved", "Resolta"),
        (7, "closed", "Tancada"), (8, "deleted", "Eliminada"),
    ]
    assert sorted((p.code, p.key, p.label) for p in config.priorities.values()) == [
        (1, "low", "Baixa"), (2, "mid", "Mitja"), (3, "high", "Alta"), (4, "critical", "Crítica"),
    ]


def test_devops_priorities_carry_the_documents_sla_targets(session: Session) -> None:
    config = find_queue_config(session, "devops")

    assert {k: (p.response_minutes, p.resolution_minutes) for k, p in config.priorities.items()} \
        == {"P1": (60, 240), "P2": (240, 1440), "P3": (480, 4320), "P4": (1440, 10080)}


# --------------------------------------------------------------------------- tickets in each queue


def test_a_devops_ticket_is_keyed_ops_n(session: Session, requester: User) -> None:
    ticket = make_ticket(session, requester, queue="devops", priority="P1")

    assert ticket.key == "OPS-1"
    assert (ticket.status, ticket.priority) == ("NEW", "P1")


def test_a_healthcare_ticket_is_keyed_inc_and_six_digits(session: Session,
                                                        requester: User) -> None:
    first = make_ticket(session, requester, queue="healthcare", priority="critical")
    second = make_ticket(session, requester, queue="healthcare")

    assert (first.key, second.key) == ("INC000001", "INC000002")
    assert (first.status, first.priority) == ("created", "critical")
    assert second.priority == "mid"  # the preset's default


def test_healthcare_incidences_share_one_sequence_with_or_without_the_type(
        session: Session, requester: User) -> None:
    untyped = make_ticket(session, requester, queue="healthcare")
    typed = make_ticket(session, requester, queue="healthcare", ticket_type="incidence")
    suggestion = make_ticket(session, requester, queue="healthcare", ticket_type="suggestion")

    assert (untyped.key, typed.key, suggestion.key) == ("INC000001", "INC000002", "SUG000001")


def test_an_enterprise_ticket_is_keyed_by_date_and_daily_number(session: Session,
                                                               requester: User) -> None:
    day = datetime(2023, 12, 1, 9, 30, tzinfo=UTC)
    next_day = datetime(2023, 12, 2, 9, 30, tzinfo=UTC)

    def create(at: datetime) -> str:
        return create_ticket(session, actor=requester, now=at, data=TicketCreate(
            queue="enterprise", title="VPN drops", description="Every ten minutes.",
            priority="high")).key

    assert [create(day), create(day), create(next_day)] == [
        "TKT-20231201-001", "TKT-20231201-002", "TKT-20231202-001"]


def test_an_enterprise_ticket_today_carries_todays_date(session: Session,
                                                        requester: User) -> None:
    ticket = make_ticket(session, requester, queue="enterprise")

    assert re.fullmatch(r"TKT-\d{8}-001", ticket.key)
    assert ticket.key[4:12] == ticket.created_at.strftime("%Y%m%d")
    assert (ticket.status, ticket.priority) == ("open", "medium")


def test_a_support_ticket_is_keyed_by_a_uuid(session: Session, requester: User) -> None:
    first = make_ticket(session, requester, queue="support", priority="urgent")
    second = make_ticket(session, requester, queue="support", priority="low")

    assert str(uuid.UUID(first.key)) == first.key
    assert first.key != second.key
    assert (first.status, first.priority) == ("new", "urgent")


@pytest.mark.parametrize(("queue", "foreign_priority"),
                         [("devops", "urgent"), ("healthcare", "P1"), ("enterprise", "mid"),
                          ("support", "critical")])
def test_a_priority_of_another_queue_is_refused(session: Session, requester: User, queue: str,
                                                foreign_priority: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        make_ticket(session, requester, queue=queue, priority=foreign_priority)

    assert [d["field"] for d in refused.value.details] == ["priority"]


def test_enterprise_tickets_of_any_type_share_the_daily_sequence(session: Session,
                                                                 requester: User) -> None:
    day = datetime(2023, 12, 1, 9, 30, tzinfo=UTC)
    keys = [create_ticket(session, actor=requester, now=day, data=TicketCreate(
        queue="enterprise", title="Laptop request", description="New starter on Monday.",
        **({"ticket_type": t} if t else {}))).key for t in (None, "incident", "request")]

    assert keys == ["TKT-20231201-001", "TKT-20231201-002", "TKT-20231201-003"]
