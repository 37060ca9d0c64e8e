"""Dashboard metrics: counts of the period's tickets, resolution figures of the tickets resolved
in it, trends against the period before, top categories -- exact numbers on hand-built data."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.conftest import StatementCounter
from tests.domain.reports.tickets_at import NOW, days_ago, team_with_code, ticket_at
from tests.factories import make_user
from ticketry.domain.errors import PermissionDenied, ValidationFailed
from ticketry.domain.queues.errors import QueueNotFound
from ticketry.domain.reports.schemas import CategoryCount, parse_period
from ticketry.domain.reports.service import dashboard_metrics, signed_percentage
from ticketry.domain.users.models import Role, User


@pytest.fixture
def desk(session: Session, requester: User, engineer: User, admin: User) -> None:
    """The devops desk over two months, seen on NOW with a 30-day period."""
    team = team_with_code(session, admin, 71)
    # This period: five tickets (one more created and deleted).
    ticket_at(session, requester, days_ago(1), category="INCIDENT", team=team)
    ticket_at(session, requester, days_ago(2), status="IN_PROGRESS", category="INCIDENT")
    ticket_at(session, requester, days_ago(5), resolved_hours=4, due_hours=8, rating=5,
              category="SECURITY", team=team)
    ticket_at(session, requester, days_ago(10), resolved_hours=10, due_hours=8, breached=True,
              rating=3, category="INCIDENT")
    ticket_at(session, requester, days_ago(20), resolved_hours=6, category="QUESTION")
    ticket_at(session, requester, days_ago(3), category="INCIDENT", deleted=True)
    # The period before: two.
    ticket_at(session, requester, days_ago(40), resolved_hours=8, due_hours=8, rating=4,
              category="PROBLEM")
    ticket_at(session, requester, days_ago(45), category="PROBLEM")
    # Older than both.
    ticket_at(session, requester, days_ago(70), category="PROBLEM")


@pytest.mark.usefixtures("desk")
def test_counts_the_periods_tickets_by_status_and_status_category(
        session: Session, engineer: User) -> None:
    metrics = dashboard_metrics(session, actor=engineer, period_days=30, queue="devops", now=NOW)

    assert metrics.total_tickets == 5
    assert metrics.by_status == {"NEW": 1, "OPEN": 0, "IN_PROGRESS": 1, "PENDING_INFO": 0,
                                 "RESOLVED": 3, "CLOSED": 0, "REOPENED": 0, "ESCALATED": 0}
    assert metrics.by_status_category == {"new": 1, "open": 1, "pending": 0, "solved": 3,
                                          "closed": 0}
    assert metrics.period_start == days_ago(30)
    assert metrics.period_end == NOW


@pytest.mark.usefixtures("desk")
def test_resolution_time_sla_compliance_and_satisfaction_of_the_tickets_resolved_in_the_period(
        session: Session, engineer: User) -> None:
    metrics = dashboard_metrics(session, actor=engineer, period_days=30, queue="devops", now=NOW)

    assert metrics.resolved_tickets == 3
    assert metrics.avg_resolution_hours == 6.67  # (4 + 10 + 6) / 3
    assert metrics.sla_compliance == 50.0  # two had a target; the breached one missed it
    assert metrics.avg_satisfaction == 4.0  # (5 + 3) / 2, the unrated one left out

    before = metrics.previous_period
    assert (before.total_tickets, before.resolved_tickets) == (2, 1)
    assert before.avg_resolution_hours == 8.0
    assert before.sla_compliance == 100.0  # resolved exactly at its due time
    assert before.avg_satisfaction == 4.0
    assert (before.start, before.end) == (days_ago(60), days_ago(30))


@pytest.mark.usefixtures("desk")
def test_trends_against_the_previous_period_of_the_same_length(
        session: Session, engineer: User) -> None:
    trends = dashboard_metrics(session, actor=engineer, period_days=30, queue="devops",
                               now=NOW).trends

    assert trends.ticket_volume == "+150%"  # 5 against 2
    assert trends.resolution_time == "-17%"  # 6.67 h against 8 h
    assert trends.satisfaction == "0%"  # 4.0 against 4.0


def test_trends_without_a_baseline_are_null(session: Session, requester: User,
                                            engineer: User) -> None:
    ticket_at(session, requester, days_ago(1), resolved_hours=2, rating=5, category="INCIDENT")

    trends = dashboard_metrics(session, actor=engineer, period_days=7, queue="devops",
                               now=NOW).trends

    assert trends.ticket_volume is None
    assert trends.resolution_time is None
    assert trends.satisfaction is None


@pytest.mark.parametrize(("current", "previous", "trend"), [
    (112, 100, "+12%"), (92, 100, "-8%"), (100, 100, "0%"), (1, 3, "-67%"), (2, 3, "-33%"),
    (201, 200, "+1%"), (1001, 1000, "0%"), (3, 2, "+50%"), (0, 4, "-100%"),
    (5, 0, None), (None, 3, None), (3, None, None),
])
def test_signed_percentages(current: float | None, previous: float | None,
                            trend: str | None) -> None:
    assert signed_percentage(current, previous) == trend


@pytest.mark.usefixtures("desk")
def test_top_categories_by_their_labels(session: Session, engineer: User) -> None:
    metrics = dashboard_metrics(session, actor=engineer, period_days=30, queue="devops", now=NOW)

    assert metrics.top_categories == [CategoryCount(name="Incident", count=3),
                                      CategoryCount(name="Question", count=1),
                                      CategoryCount(name="Security", count=1)]
    assert dashboard_metrics(session, actor=engineer, period_days=30, queue="devops", now=NOW,
                             top=1).top_categories == [CategoryCount(name="Incident", count=3)]


def test_a_queue_without_categories_is_counted_by_ticket_type(
        session: Session, requester: User, engineer: User) -> None:
    for ticket_type in ("incident", "incident", "problem"):
        ticket_at(session, requester, days_ago(2), queue="enterprise", ticket_type=ticket_type)

    metrics = dashboard_metrics(session, actor=engineer, queue="enterprise", now=NOW)

    assert metrics.top_categories == [CategoryCount(name="Incident", count=2),
                                      CategoryCount(name="Problem", count=1)]
    assert metrics.by_status == {"open": 3, "in_progress": 0, "pending_approval": 0,
                                 "resolved": 0, "closed": 0}


@pytest.mark.usefixtures("desk")
def test_without_a_queue_every_queue_counts(session: Session, requester: User,
                                            engineer: User) -> None:
    ticket_at(session, requester, days_ago(2), queue="enterprise", ticket_type="problem")

    metrics = dashboard_metrics(session, actor=engineer, period_days=30, now=NOW)

    assert metrics.total_tickets == 6
    assert metrics.by_status == {"NEW": 1, "IN_PROGRESS": 1, "RESOLVED": 3, "open": 1}
    assert CategoryCount(name="Problem", count=1) in metrics.top_categories


@pytest.mark.usefixtures("desk")
def test_team_codes_narrow_the_dashboard_to_those_departments(
        session: Session, engineer: User, admin: User) -> None:
    team_with_code(session, admin, 72)

    mine = dashboard_metrics(session, actor=engineer, queue="devops", team_codes=[71], now=NOW)
    empty = dashboard_metrics(session, actor=engineer, queue="devops", team_codes=[72], now=NOW)

    assert (mine.total_tickets, mine.resolved_tickets, mine.avg_resolution_hours) == (2, 1, 4.0)
    assert mine.by_status_category["new"] == 1
    assert (empty.total_tickets, empty.resolved_tickets, empty.avg_resolution_hours) == (0, 0, None)
    assert empty.sla_compliance is None
    assert empty.top_categories == []


def test_resolution_time_without_a_stored_duration_comes_from_the_timestamps(
        session: Session, requester: User, engineer: User) -> None:
    # Imported tickets have `resolved_at` but no `resolution_minutes`.
    ticket_at(session, requester, days_ago(3), resolved_hours=3, resolution_minutes=None,
              category="INCIDENT")
    ticket_at(session, requester, days_ago(2), resolved_hours=1.5, resolution_minutes=None,
              category="INCIDENT")

    metrics = dashboard_metrics(session, actor=engineer, period_days=7, queue="devops", now=NOW)

    assert metrics.avg_resolution_hours == 2.25


@pytest.mark.usefixtures("desk")
def test_every_agent_role_may_read_the_dashboard_and_end_users_may_not(
        session: Session, requester: User) -> None:
    for role in (Role.DEVOPS_ENGINEER, Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN):
        agent = make_user(session, role)
        assert dashboard_metrics(session, actor=agent, queue="devops",
                                 now=NOW).total_tickets == 5
    with pytest.raises(PermissionDenied):
        dashboard_metrics(session, actor=requester, now=NOW)


def test_an_unknown_queue_or_period_is_refused_naming_it(session: Session,
                                                         engineer: User) -> None:
    with pytest.raises(QueueNotFound) as queue:
        dashboard_metrics(session, actor=engineer, queue="nope", now=NOW)
    assert queue.value.context["field"] == "queue"
    with pytest.raises(ValidationFailed) as period:
        dashboard_metrics(session, actor=engineer, period_days=0, now=NOW)
    assert period.value.context["field"] == "period"


def test_the_number_of_statements_does_not_grow_with_the_tickets(
        session: Session, requester: User, engineer: User, statements: StatementCounter) -> None:
    def count() -> int:
        dashboard_metrics(session, actor=engineer, now=NOW)  # queue labels cached
        with statements.counting() as counter:
            dashboard_metrics(session, actor=engineer, now=NOW)
        return counter.count

    ticket_at(session, requester, days_ago(1), resolved_hours=1, category="INCIDENT")
    few = count()
    for n in range(12):
        ticket_at(session, requester, days_ago(n + 1), resolved_hours=n,
                  category=("INCIDENT", "SECURITY", "QUESTION")[n % 3])
        ticket_at(session, requester, days_ago(n + 1), queue="enterprise", ticket_type="problem")
    many = count()

    assert few == many == 2


@pytest.mark.parametrize(("text", "days"), [
    ("7d", 7), ("30d", 30), ("90d", 90), ("1y", 365), ("2w", 14), ("6m", 180), (" 30D ", 30),
    ("3650d", 3650),
])
def test_periods_are_read_as_days(text: str, days: int) -> None:
    assert parse_period(text) == days


@pytest.mark.parametrize("text", ["", "30", "d", "0d", "-7d", "7x", "1.5d", "11y", "7 d", "7days",
                                  "3651d"])
def test_bad_periods_are_refused_naming_the_parameter(text: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_period(text)
    assert refused.value.context["field"] == "period"
    assert repr(text) in refused.value.message
