"""/api/v1/reports: the dashboard, performance and exports over HTTP, and their refusals."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.conftest import API, assert_problem, failing_fields
from tests.domain.reports.spreadsheets import read_sheets
from tests.domain.reports.tickets_at import team_with_code, ticket_at
from tests.factories import login, make_ticket, make_user
from ticketry.domain.users.models import Role, Team, User

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def agent(session: Session) -> User:
    return make_user(session, Role.DEVOPS_ENGINEER)


@pytest.fixture
def customer(session: Session) -> User:
    return make_user(session, Role.END_USER)


@pytest.fixture
def recent(session: Session, customer: User, agent: User) -> Team:
    """Three tickets of the last week, one resolved in four hours; one from two months ago."""
    admin = make_user(session, Role.ADMIN)
    team = team_with_code(session, admin, 71)
    now = datetime.now(UTC)
    ticket_at(session, customer, now - timedelta(days=1), category="INCIDENT", assignee=agent,
              team=team)
    ticket_at(session, customer, now - timedelta(days=2), category="INCIDENT",
              title="=HYPERLINK(\"http://evil.example\")", description="@SUM(A1)")
    ticket_at(session, customer, now - timedelta(days=3), category="SECURITY", assignee=agent,
              resolved_hours=4, due_hours=8, rating=4, team=team, first_response_hours=1)
    ticket_at(session, customer, now - timedelta(days=60), category="QUESTION")
    session.commit()
    return team


@pytest.mark.usefixtures("recent")
def test_dashboard(client: TestClient, agent: User) -> None:
    response = client.get(f"{API}/reports/dashboard", params={"period": "7d", "queue": "devops"},
                          headers=login(client, agent))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period_days"] == 7
    assert body["total_tickets"] == 3
    assert body["by_status"]["NEW"] == 2
    assert body["by_status"]["RESOLVED"] == 1
    assert body["by_status_category"] == {"new": 2, "open": 0, "pending": 0, "solved": 1,
                                          "closed": 0}
    assert (body["resolved_tickets"], body["avg_resolution_hours"], body["sla_compliance"],
            body["avg_satisfaction"]) == (1, 4.0, 100.0, 4.0)
    assert body["trends"] == {"ticket_volume": None, "resolution_time": None,
                              "satisfaction": None}
    assert body["top_categories"] == [{"name": "Incident", "count": 2},
                                      {"name": "Security", "count": 1}]
    assert body["previous_period"]["total_tickets"] == 0


def test_dashboard_by_team(client: TestClient, agent: User, recent: Team) -> None:
    headers = login(client, agent)

    def total(**params: object) -> int:
        response = client.get(f"{API}/reports/dashboard", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return int(response.json()["total_tickets"])

    assert total(team_code=71) == total(team_id=str(recent.public_id)) == 2
    assert total(team_code=[71, 72]) == 2
    assert total(team_code=72) == 0
    assert total() == 3


@pytest.mark.parametrize("period", ["30", "0d", "x", "99y"])
def test_a_bad_period_is_a_problem_naming_it(client: TestClient, agent: User,
                                             period: str) -> None:
    body = assert_problem(client.get(f"{API}/reports/dashboard", params={"period": period},
                                     headers=login(client, agent)), 422, "VALIDATION_ERROR")
    assert failing_fields(body) == {"period"}


def test_an_unknown_queue_is_a_problem_naming_it(client: TestClient, agent: User) -> None:
    body = assert_problem(client.get(f"{API}/reports/dashboard", params={"queue": "nope"},
                                     headers=login(client, agent)), 422)
    assert failing_fields(body) == {"queue"}


@pytest.mark.parametrize("path", ["/reports/dashboard", "/reports/performance"])
def test_reports_are_for_agents(client: TestClient, customer: User, path: str) -> None:
    assert_problem(client.get(API + path), 401)
    assert_problem(client.get(API + path, headers=login(client, customer)), 403,
                   "PERMISSION_DENIED")


@pytest.mark.usefixtures("recent")
def test_performance(client: TestClient, agent: User) -> None:
    today = datetime.now(UTC).date()
    response = client.get(f"{API}/reports/performance", headers=login(client, agent), params={
        "start_date": str(today - timedelta(days=6)), "end_date": str(today)})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["start_date"] == str(today - timedelta(days=6))
    [row] = body["agents"]
    assert row["agent"]["username"] == agent.username
    assert row["agent"]["id"] == str(agent.public_id)
    assert "user_id" not in row
    assert {k: row[k] for k in ("assigned", "resolved", "avg_resolution_hours",
                                "avg_first_response_hours", "sla_compliance",
                                "avg_satisfaction")} == {
        "assigned": 2, "resolved": 1, "avg_resolution_hours": 4.0,
        "avg_first_response_hours": 1.0, "sla_compliance": 100.0, "avg_satisfaction": 4.0}
    [team] = body["teams"]
    assert (team["team"]["code"], team["assigned"]) == (71, 2)
    # Without dates: the last 30 days.
    default = client.get(f"{API}/reports/performance", headers=login(client, agent)).json()
    assert default["end_date"] == str(today)
    assert default["start_date"] == str(today - timedelta(days=29))


def test_performance_refuses_a_reversed_or_malformed_range(client: TestClient,
                                                           agent: User) -> None:
    headers = login(client, agent)
    reversed_ = assert_problem(client.get(f"{API}/reports/performance", headers=headers, params={
        "start_date": "2025-06-02", "end_date": "2025-06-01"}), 422)
    assert failing_fields(reversed_) == {"end_date"}
    malformed = assert_problem(client.get(f"{API}/reports/performance", headers=headers,
                                          params={"start_date": "June"}), 422)
    assert failing_fields(malformed) == {"query.start_date"}


# --------------------------------------------------------------------------- exports


def export(client: TestClient, user: User, **params: str) -> tuple[int, dict[str, str], bytes]:
    response = client.get(f"{API}/reports/export", params=params, headers=login(client, user))
    return response.status_code, dict(response.headers), response.content


@pytest.mark.usefixtures("recent")
def test_csv_export_is_an_attachment_with_formulas_neutralised(client: TestClient,
                                                               agent: User) -> None:
    status, headers, content = export(client, agent, type="tickets", format="csv")

    assert status == 200
    assert headers["content-type"] == "text/csv; charset=utf-8"
    assert headers["content-disposition"].startswith('attachment; filename="tickets-')
    assert headers["content-disposition"].split(";")[1].strip().endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert len(rows) == 4
    evil = next(r for r in rows if "HYPERLINK" in r["title"])
    assert evil["title"] == "'=HYPERLINK(\"http://evil.example\")"
    assert evil["description"] == "'@SUM(A1)"
    # Ids as canonical UUID text on every backend (the database formats them).
    assert all(r["id"] == str(uuid.UUID(r["id"])) for r in rows)
    assert all(r["created_at"].endswith("Z") for r in rows)


@pytest.mark.usefixtures("recent")
def test_json_export_with_documented_filters(client: TestClient, agent: User) -> None:
    since = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    status, headers, content = export(
        client, agent, format="json",
        filters=json.dumps({"status": "NEW", "created_after": since, "queue": "devops"}))

    assert status == 200
    assert headers["content-type"] == "application/json"
    items = json.loads(content)
    assert [item["status"] for item in items] == ["NEW", "NEW"]
    # JSON carries the text as it is.
    assert any(item["title"].startswith("=HYPERLINK") for item in items)


@pytest.mark.usefixtures("recent")
def test_xlsx_export(client: TestClient, agent: User) -> None:
    status, headers, content = export(client, agent, format="xlsx", columns="key,title")

    assert status == 200
    assert headers["content-type"] == XLSX
    assert headers["content-disposition"].split(";")[1].strip().endswith('.xlsx"')
    rows = read_sheets(content)["Tickets"]
    assert [cell.text for cell in rows[0]] == ["key", "title"]
    assert len(rows) == 5
    evil = next(row[1] for row in rows[1:] if "HYPERLINK" in (row[1].text or ""))
    assert evil.text == "=HYPERLINK(\"http://evil.example\")"
    assert (evil.kind, evil.formula, evil.quote_prefix) == ("inlineStr", False, True)


def test_an_end_user_exports_only_their_own_tickets(client: TestClient, session: Session,
                                                     customer: User) -> None:
    mine = make_ticket(session, customer, title="Mine")
    make_ticket(session, make_user(session), title="Not mine")
    session.commit()

    status, _, content = export(client, customer, format="json")

    assert status == 200
    assert [item["key"] for item in json.loads(content)] == [mine.key]


@pytest.mark.parametrize(("params", "field"), [
    ({"filters": "{not json"}, "filters"),
    ({"filters": "[1, 2]"}, "filters"),
    ({"filters": json.dumps({"status": "NEW", "colour": "red"})}, "filters.colour"),
    ({"filters": json.dumps({"created_after": "yesterday"})}, "filters.created_after"),
    ({"filters": json.dumps({"queue": "nope"})}, "queue"),
    ({"type": "users"}, "query.type"),
    ({"format": "pdf"}, "query.format"),
    ({"columns": "key,secret"}, "columns"),
])
def test_export_refusals_name_the_parameter(client: TestClient, agent: User,
                                            params: dict[str, str], field: str) -> None:
    response = client.get(f"{API}/reports/export", params=params, headers=login(client, agent))
    body = assert_problem(response, 422)
    assert field in failing_fields(body)
