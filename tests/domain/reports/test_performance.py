"""Performance per agent and per team over a range of days: exact figures on hand-built data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from tests.conftest import StatementCounter
from tests.domain.reports.tickets_at import team_with_code, ticket_at
from ticketry.domain.errors import PermissionDenied, ValidationFailed
from ticketry.domain.reports.schemas import PerformanceFigures
from ticketry.domain.reports.service import performance_report
from ticketry.domain.users.models import User

JUNE = (date(2025, 6, 1), date(2025, 6, 30))


def at(day: int, hour: int = 10, minute: int = 0, month: int = 6) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def figures(**values: object) -> PerformanceFigures:
    defaults: dict[str, object] = {"avg_resolution_hours": None, "avg_first_response_hours": None,
                                   "sla_compliance": None, "avg_satisfaction": None}
    return PerformanceFigures.model_validate(defaults | values)


@pytest.fixture
def june(session: Session, requester: User, engineer: User, other_engineer: User,
         admin: User) -> None:
    first, second = team_with_code(session, admin, 71), team_with_code(session, admin, 72)
    ticket_at(session, requester, at(2), assignee=engineer, team=first, first_response_hours=2,
              resolved_hours=4, due_hours=8, rating=5)
    ticket_at(session, requester, at(10), assignee=engineer, team=first, first_response_hours=1,
              resolved_hours=10, due_hours=8, breached=True, rating=3)
    ticket_at(session, requester, at(20), assignee=engineer, team=second)
    # Created in May, resolved on June 1st: resolved in the range, not assigned in it.
    ticket_at(session, requester, at(25, month=5), assignee=engineer, first_response_hours=1,
              resolved_hours=7 * 24, rating=4)
    ticket_at(session, requester, at(15), assignee=other_engineer, team=second,
              first_response_hours=3, resolved_hours=2, due_hours=8)
    # The last minute of the range counts; the first of July does not.
    ticket_at(session, requester, at(30, 23, 59), assignee=other_engineer)
    ticket_at(session, requester, at(1, 0, 0, month=7), assignee=other_engineer)
    # Nobody's yet, but the first team's.
    ticket_at(session, requester, at(12), team=first)


@pytest.mark.usefixtures("june")
def test_per_agent(session: Session, manager: User, engineer: User,
                   other_engineer: User) -> None:
    report = performance_report(session, actor=manager, start=JUNE[0], end=JUNE[1])

    by_agent = {row.agent.username: row for row in report.agents}
    assert set(by_agent) == {engineer.username, other_engineer.username}
    assert PerformanceFigures.model_validate(by_agent[engineer.username].model_dump()) == figures(
        assigned=3, resolved=3,
        avg_resolution_hours=60.67,  # (4 + 10 + 168) / 3
        avg_first_response_hours=1.5,  # of the tickets created in June
        sla_compliance=50.0, avg_satisfaction=4.0)
    assert PerformanceFigures.model_validate(
        by_agent[other_engineer.username].model_dump()) == figures(
        assigned=2, resolved=1, avg_resolution_hours=2.0, avg_first_response_hours=3.0,
        sla_compliance=100.0)
    assert by_agent[engineer.username].user_id == engineer.id
    assert by_agent[engineer.username].agent.id == engineer.public_id
    assert "user_id" not in by_agent[engineer.username].model_dump()


@pytest.mark.usefixtures("june")
def test_per_team(session: Session, manager: User) -> None:
    report = performance_report(session, actor=manager, start=JUNE[0], end=JUNE[1])

    by_code = {row.team.code: row for row in report.teams}
    assert set(by_code) == {71, 72}
    assert PerformanceFigures.model_validate(by_code[71].model_dump()) == figures(
        assigned=3, resolved=2, avg_resolution_hours=7.0, avg_first_response_hours=1.5,
        sla_compliance=50.0, avg_satisfaction=4.0)
    assert PerformanceFigures.model_validate(by_code[72].model_dump()) == figures(
        assigned=2, resolved=1, avg_resolution_hours=2.0, avg_first_response_hours=3.0,
        sla_compliance=100.0)


@pytest.mark.usefixtures("june")
def test_team_codes_and_one_day_ranges(session: Session, manager: User,
                                       engineer: User) -> None:
    second_only = performance_report(session, actor=manager, start=JUNE[0], end=JUNE[1],
                                     team_codes=[72])
    assert [row.team.code for row in second_only.teams] == [72]
    assert sorted(row.assigned for row in second_only.agents) == [1, 1]

    one_day = performance_report(session, actor=manager, start=date(2025, 6, 10),
                                 end=date(2025, 6, 10))
    assert [(row.agent.username, row.assigned, row.resolved) for row in one_day.agents] == [
        (engineer.username, 1, 1)]


@pytest.mark.usefixtures("june")
def test_a_queue_counts_only_its_own_tickets(session: Session, requester: User, manager: User,
                                             engineer: User, other_engineer: User) -> None:
    ticket_at(session, requester, at(3), queue="enterprise", ticket_type="problem",
              assignee=engineer, first_response_hours=5, resolved_hours=6, rating=1)

    enterprise = performance_report(session, actor=manager, start=JUNE[0], end=JUNE[1],
                                     queue="enterprise")
    [row] = enterprise.agents
    assert row.user_id == engineer.id
    assert PerformanceFigures.model_validate(row.model_dump()) == figures(
        assigned=1, resolved=1, avg_resolution_hours=6.0, avg_first_response_hours=5.0,
        avg_satisfaction=1.0)
    assert enterprise.teams == []
    # The June tickets are the default queue's: the same figures as in test_per_agent.
    devops = performance_report(session, actor=manager, start=JUNE[0], end=JUNE[1],
                                queue="devops")
    assert {(row.user_id, row.assigned, row.resolved) for row in devops.agents} == {
        (engineer.id, 3, 3), (other_engineer.id, 2, 1)}


def test_an_empty_range_has_no_rows(session: Session, manager: User) -> None:
    report = performance_report(session, actor=manager, start=date(2020, 1, 1),
                                end=date(2020, 1, 31))
    assert (report.agents, report.teams) == ([], [])
    assert (report.start_date, report.end_date) == (date(2020, 1, 1), date(2020, 1, 31))


def test_an_end_before_the_start_is_refused_naming_end_date(session: Session,
                                                            manager: User) -> None:
    with pytest.raises(ValidationFailed) as refused:
        performance_report(session, actor=manager, start=date(2025, 6, 2), end=date(2025, 6, 1))
    assert refused.value.context["field"] == "end_date"
    with pytest.raises(ValidationFailed):
        performance_report(session, actor=manager, start=date(2000, 1, 1), end=date(2025, 1, 1))


def test_end_users_may_not_read_performance(session: Session, requester: User) -> None:
    with pytest.raises(PermissionDenied):
        performance_report(session, actor=requester, start=JUNE[0], end=JUNE[1])


@pytest.mark.usefixtures("june")
def test_two_statements_however_many_agents(session: Session, manager: User,
                                            statements: StatementCounter) -> None:
    with statements.counting() as counter:
        performance_report(session, actor=manager, start=JUNE[0], end=JUNE[1])
    assert counter.count == 2
