"""enterprise-api.md, "Reports and Analytics": dashboard metrics (with trends against the
previous period and top categories), performance reports, and the export of tickets."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conformance.enterprise.support import (
    DASHBOARD_FIELDS,
    EP,
    EXPORT_QUERY,
    METRIC_FIELDS,
    TREND,
    TREND_FIELDS,
    Actor,
    assert_error,
    assert_success,
    create_ticket,
    update_ticket,
)
from tests.domain.reports.spreadsheets import read_sheets
from tests.factories import make_team, make_ticket
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Team

_CATEGORY = {"open": "new", "in_progress": "open", "pending_approval": "pending",
             "resolved": "solved", "closed": "closed"}


def _ticket(session: Session, actor: Actor, team: Team, *, created: datetime, status: str = "open",
            ticket_type: str = "incident", **row: Any) -> Ticket:
    """A ticket of the enterprise desk, put where the figures need it."""
    ticket = make_ticket(session, actor.user, queue="enterprise", ticket_type=ticket_type,
                         team_id=team.public_id, title=f"{status} {ticket_type}")
    ticket.created_at = created
    ticket.status, ticket.status_category = status, _CATEGORY[status]
    for name, value in row.items():
        setattr(ticket, name, value)
    session.flush()
    return ticket


@pytest.fixture
def facilities(session: Session, admin: Actor) -> Team:
    team = make_team(session, admin.user, key="facilities")
    team.code = 2
    session.commit()
    return team


@pytest.fixture
def desk(session: Session, manager: Actor, it_department: Team, facilities: Team) -> None:
    """This period (the last 30 days) in department 1: two open tickets, one in progress (a
    problem), two resolved (in 2 and 4 hours, rated 4 and 5, one within its target and one
    not), one closed; one ticket in department 2. The period before: one open, one resolved
    in 4 hours rated 3."""
    now = datetime.now(UTC)
    day = timedelta(days=1)
    it = it_department
    _ticket(session, manager, it, created=now - 1 * day)
    _ticket(session, manager, it, created=now - 2 * day)
    _ticket(session, manager, it, created=now - 3 * day, status="in_progress", ticket_type="problem")
    _ticket(session, manager, it, created=now - 10 * day, status="resolved",
            resolved_at=now - 9 * day, resolution_minutes=120, satisfaction_rating=4,
            resolution_due_at=now - 8 * day)
    _ticket(session, manager, it, created=now - 12 * day, status="resolved",
            resolved_at=now - 11 * day, resolution_minutes=240, satisfaction_rating=5,
            resolution_due_at=now - 12 * day + timedelta(hours=1))
    _ticket(session, manager, it, created=now - 20 * day, status="closed",
            closed_at=now - 19 * day)
    _ticket(session, manager, facilities, created=now - 1 * day)
    _ticket(session, manager, it, created=now - 40 * day)
    _ticket(session, manager, it, created=now - 45 * day, status="resolved",
            resolved_at=now - 44 * day, resolution_minutes=240, satisfaction_rating=3)
    session.commit()


# ---------------------------------------------------------------------------- dashboard


@pytest.mark.usefixtures("desk")
def test_dashboard_metrics_as_documented(client: TestClient, manager: Actor) -> None:
    """GET /reports/dashboard?period=30d&department_id=1 -> {"metrics": {total_tickets,
    open_tickets, in_progress_tickets, resolved_tickets, closed_tickets, avg_resolution_time,
    sla_compliance, customer_satisfaction}, "trends": {ticket_volume_trend: "+12%",
    resolution_time_trend, satisfaction_trend}, "top_categories": [{"name", "count"}]}."""
    data = assert_success(client.get(f"{EP}/reports/dashboard", headers=manager.headers,
                                     params={"period": "30d", "department_id": 1}))

    assert set(data) >= DASHBOARD_FIELDS, data
    metrics, trends = data["metrics"], data["trends"]
    assert set(metrics) >= METRIC_FIELDS, metrics
    assert {k: metrics[k] for k in METRIC_FIELDS} == {
        "total_tickets": 6, "open_tickets": 2, "in_progress_tickets": 1, "resolved_tickets": 2,
        "closed_tickets": 1,
        # Hours: (2 + 4) / 2.
        "avg_resolution_time": 3.0,
        # One of the two resolved tickets with a target met it.
        "sla_compliance": 50.0,
        "customer_satisfaction": 4.5,
    }
    # As in the example (89 + 45 + 1100 + 16 = 1250), the statuses add up to the total.
    assert metrics["open_tickets"] + metrics["in_progress_tickets"] + \
        metrics["resolved_tickets"] + metrics["closed_tickets"] == metrics["total_tickets"]
    assert set(trends) >= TREND_FIELDS, trends
    assert all(TREND.match(trends[k]) for k in TREND_FIELDS), trends
    assert {k: trends[k] for k in TREND_FIELDS} == {
        # 6 tickets against 2; 3 hours against 4; 4.5 against 3.
        "ticket_volume_trend": "+200%", "resolution_time_trend": "-25%",
        "satisfaction_trend": "+50%",
    }
    # The desk has no categories: its ticket types stand in.
    assert data["top_categories"] == [{"name": "Incident", "count": 5},
                                      {"name": "Problem", "count": 1}]


@pytest.mark.usefixtures("desk")
def test_dashboard_of_every_department_and_of_another_period(client: TestClient,
                                                            manager: Actor) -> None:
    everything = assert_success(client.get(f"{EP}/reports/dashboard", headers=manager.headers))
    assert everything["metrics"]["total_tickets"] == 7
    assert everything["metrics"]["open_tickets"] == 3
    week = assert_success(client.get(f"{EP}/reports/dashboard", headers=manager.headers,
                                      params={"period": "7d", "department_id": 1}))
    assert week["metrics"]["total_tickets"] == 3
    other = assert_success(client.get(f"{EP}/reports/dashboard", headers=manager.headers,
                                      params={"period": "30d", "department_id": 2}))
    assert other["metrics"]["total_tickets"] == 1


def test_a_dashboard_with_nothing_to_compare(client: TestClient, manager: Actor) -> None:
    data = assert_success(client.get(f"{EP}/reports/dashboard", headers=manager.headers,
                                     params={"period": "30d"}))
    assert data["metrics"]["total_tickets"] == 0
    assert data["top_categories"] == []
    for name in TREND_FIELDS:
        assert data["trends"][name] is None or TREND.match(data["trends"][name])


@pytest.mark.parametrize("params", [{"period": "thirty"}, {"period": "0d"},
                                    {"department_id": "IT"}])
def test_invalid_dashboard_parameters(client: TestClient, manager: Actor,
                                      params: dict[str, Any]) -> None:
    error = assert_error(client.get(f"{EP}/reports/dashboard", headers=manager.headers,
                                    params=params), 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == next(iter(params))


def test_reports_are_for_staff(client: TestClient, user: Actor) -> None:
    for path in ("/reports/dashboard", "/reports/performance?start_date=2023-11-01&end_date=2023-12-01",
                 f"/reports/export?{EXPORT_QUERY}"):
        assert_error(client.get(f"{EP}{path}", headers=user.headers), 403, "PERMISSION_DENIED")


# ---------------------------------------------------------------------------- performance


def test_performance_report_as_documented(client: TestClient, session: Session, user: Actor,
                                          manager: Actor, agent: Actor) -> None:
    """GET /reports/performance?start_date=2023-11-01&end_date=2023-12-01&format=json: per agent
    and per team, over the range."""
    first = create_ticket(client, user, title="VPN drops")["id"]
    second = create_ticket(client, user, title="Mail bounces")["id"]
    for ticket_id in (first, second):
        update_ticket(client, manager, ticket_id, assigned_to_id=agent.id)
    update_ticket(client, manager, first, status="resolved")
    for row in session.query(Ticket).filter(Ticket.id.in_([first, second])):
        row.created_at = datetime(2023, 11, 20, 9, 0, tzinfo=UTC)
        if row.id == first:
            row.resolved_at = datetime(2023, 11, 20, 11, 0, tzinfo=UTC)
            row.resolution_minutes = 120
            row.satisfaction_rating = 5
    session.commit()

    data = assert_success(client.get(
        f"{EP}/reports/performance?start_date=2023-11-01&end_date=2023-12-01&format=json",
        headers=manager.headers))

    assert (data["start_date"], data["end_date"]) == ("2023-11-01", "2023-12-01")
    [figures] = [a for a in data["agents"] if a["user"]["id"] == agent.id]
    assert (figures["assigned"], figures["resolved"]) == (2, 1)
    assert figures["avg_resolution_time"] == 2.0
    assert figures["customer_satisfaction"] == 5.0
    [team] = data["departments"]
    assert team["department"] == {"id": 1, "name": "IT Department"}
    assert (team["assigned"], team["resolved"]) == (2, 1)
    # Outside the range, nothing.
    empty = assert_success(client.get(f"{EP}/reports/performance", headers=manager.headers,
                                      params={"start_date": "2022-01-01", "end_date": "2022-01-31"}))
    assert empty["agents"] == []
    assert empty["departments"] == []


@pytest.mark.parametrize("params", [
    {"start_date": "2023-12-01", "end_date": "2023-11-01"}, {"start_date": "November"},
    {"start_date": "2023-11-01", "end_date": "2023-12-01", "format": "pdf"},
])
def test_invalid_performance_parameters(client: TestClient, manager: Actor,
                                        params: dict[str, str]) -> None:
    assert_error(client.get(f"{EP}/reports/performance", headers=manager.headers, params=params),
                 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------------------- export


FORMULA = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def exported(client: TestClient, session: Session, user: Actor, manager: Actor) -> None:
    """Resolved since November (one with a title a spreadsheet would run), resolved in October,
    and open."""
    ids = {title: create_ticket(client, user, title=title)["id"]
           for title in ("Server Performance Issue", FORMULA, "Old resolved issue", "Still open")}
    for title in ("Server Performance Issue", FORMULA, "Old resolved issue"):
        update_ticket(client, manager, ids[title], status="resolved")
    row = session.get(Ticket, ids["Old resolved issue"])
    assert row is not None
    row.created_at = datetime(2023, 10, 15, tzinfo=UTC)
    session.commit()


@pytest.mark.usefixtures("exported")
def test_export_as_the_document_writes_it(client: TestClient, manager: Actor) -> None:
    """GET /reports/export?type=tickets&format=csv&filters={"status":"resolved",
    "created_after":"2023-11-01"}: a CSV file of the resolved tickets created since."""
    response = client.get(f"{EP}/reports/export?{EXPORT_QUERY}", headers=manager.headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert ".csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    # Spreadsheet formula injection is neutralised: the formula is text.
    assert sorted(r["title"] for r in rows) == sorted(["Server Performance Issue", "'" + FORMULA])
    assert {r["status"] for r in rows} == {"resolved"}


@pytest.mark.usefixtures("exported")
def test_export_as_json_and_xlsx(client: TestClient, manager: Actor) -> None:
    filters = json.dumps({"status": "resolved", "created_after": "2023-11-01"})
    response = client.get(f"{EP}/reports/export", headers=manager.headers,
                          params={"type": "tickets", "format": "json", "filters": filters})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert sorted(t["title"] for t in response.json()) == \
        sorted(["Server Performance Issue", FORMULA])

    response = client.get(f"{EP}/reports/export", headers=manager.headers,
                          params={"type": "tickets", "format": "xlsx", "filters": filters})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    [sheet] = read_sheets(response.content).values()
    header, *rows = sheet
    column = [c.text for c in header].index("title")
    titles = {row[column].text: row[column] for row in rows}
    assert set(titles) == {"Server Performance Issue", FORMULA}
    assert not titles[FORMULA].formula
    assert titles[FORMULA].quote_prefix


@pytest.mark.parametrize("query", [
    "type=users&format=csv", "type=tickets&format=pdf", "type=tickets&format=csv&filters={oops",
    'type=tickets&format=csv&filters={"colour":"blue"}',
    'type=tickets&format=csv&filters={"status":"lost"}',
])
def test_invalid_exports(client: TestClient, manager: Actor, query: str) -> None:
    assert_error(client.get(f"{EP}/reports/export?{query}", headers=manager.headers), 400,
                 "VALIDATION_ERROR")
