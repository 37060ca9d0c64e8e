"""Business hours through the API: administrators set (PUT), read (GET) and remove (DELETE) a
queue's hours; bad input is refused naming the problem; tickets created afterwards get due times
in working time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.conftest import API, assert_problem, failing_fields
from tests.factories import login, make_user
from ticketry.domain.queues.service import find_queue_config
from ticketry.domain.sla.schemas import BusinessHours
from ticketry.domain.users.models import Role, User

URL = f"{API}/queues/devops/business-hours"
OFFICE = {"timezone": "Europe/Madrid", "days": ["mon", "tue", "wed", "thu", "fri"],
          "start": "09:00", "end": "17:00", "hours": {"fri": {"start": "09:00", "end": "14:00"}},
          "holidays": ["2026-12-25", "2027-01-01"]}


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    users = {"admin": make_user(session, Role.ADMIN), "manager": make_user(session, Role.MANAGER),
             "engineer": make_user(session, Role.DEVOPS_ENGINEER),
             "requester": make_user(session, Role.END_USER)}
    session.commit()
    return users


@pytest.fixture
def as_(client: TestClient, people: dict[str, User]) -> dict[str, dict[str, str]]:
    return {name: login(client, user) for name, user in people.items()}


def test_an_admin_sets_reads_and_removes_business_hours(client: TestClient, session: Session,
                                                       as_: dict[str, dict[str, str]]) -> None:
    version = find_queue_config(session, "devops").version

    saved = client.put(URL, headers=as_["admin"], json=OFFICE)

    assert saved.status_code == 200, saved.text
    assert saved.json() == {"queue": "devops", "always_open": False, "business_hours": OFFICE}
    assert client.get(URL, headers=as_["engineer"]).json() == saved.json()
    assert find_queue_config(session, "devops").version == version + 1

    removed = client.delete(URL, headers=as_["admin"])

    assert removed.status_code == 204
    assert client.get(URL, headers=as_["requester"]).json() == \
        {"queue": "devops", "always_open": True, "business_hours": None}


def test_defaults_fill_in_what_is_not_given(client: TestClient,
                                            as_: dict[str, dict[str, str]]) -> None:
    saved = client.put(URL, headers=as_["admin"], json={"timezone": "America/New_York",
                                                        "holidays": ["2026-07-04", "2026-07-04"]})

    assert saved.status_code == 200, saved.text
    assert saved.json()["business_hours"] == {
        "timezone": "America/New_York", "days": ["mon", "tue", "wed", "thu", "fri"],
        "start": "09:00", "end": "17:00", "hours": {}, "holidays": ["2026-07-04"]}


@pytest.mark.parametrize(("change", "field", "says"), [
    ({"timezone": "Mars/Olympus_Mons"}, "timezone", "not a known time zone"),
    ({"timezone": "../../etc/passwd"}, "timezone", "not a known time zone"),
    ({"start": "9am"}, "start", "HH:MM"),
    ({"end": "17:60"}, "end", "HH:MM"),
    ({"start": "18:00", "end": "09:00"}, "end", "must be after start"),
    ({"start": "09:00", "end": "09:00"}, "end", "must be after start"),
    ({"days": ["monday"]}, "days", "unknown weekday"),
    ({"days": []}, "days", "at least one working day"),
    ({"holidays": ["25/12/2026"]}, "holidays", "YYYY-MM-DD"),
    ({"holidays": ["2026-02-30"]}, "holidays", "YYYY-MM-DD"),
    ({"hours": {"sat": {"start": "10:00", "end": "12:00"}}}, "hours", "not among the working"),
    ({"hours": {"someday": {"start": "10:00", "end": "12:00"}}}, "hours", "unknown weekday"),
    ({"hours": {"fri": {"start": "14:00", "end": "09:00"}}}, "hours.fri.end", "after start"),
    ({"lunch": "13:00"}, "lunch", "unknown field"),
], ids=["unknown-zone", "path-as-zone", "not-hh-mm", "minute-60", "end-before-start",
        "empty-day", "weekday-name", "no-days", "not-iso-date", "no-such-date",
        "hours-of-a-day-off", "hours-of-no-weekday", "day-end-before-start", "unknown-field"])
def test_bad_business_hours_are_refused_naming_the_problem(
        client: TestClient, session: Session, as_: dict[str, dict[str, str]],
        change: dict[str, Any], field: str, says: str) -> None:
    response = client.put(URL, headers=as_["admin"], json={**OFFICE, **change})

    body = assert_problem(response, 422, "VALIDATION_ERROR")
    assert failing_fields(body) == {field}
    assert says in body["errors"][0]["message"]
    assert "business_hours" not in find_queue_config(session, "devops").settings


def test_a_timezone_is_required(client: TestClient, as_: dict[str, dict[str, str]]) -> None:
    body = assert_problem(client.put(URL, headers=as_["admin"], json={"days": ["mon"]}), 422)

    assert failing_fields(body) == {"timezone"}


@pytest.mark.parametrize("who", ["manager", "engineer", "requester"])
def test_only_administrators_change_business_hours(client: TestClient, session: Session,
                                                   as_: dict[str, dict[str, str]],
                                                   who: str) -> None:
    assert_problem(client.put(URL, headers=as_[who], json=OFFICE), 403)
    assert_problem(client.delete(URL, headers=as_[who]), 403)

    assert "business_hours" not in find_queue_config(session, "devops").settings


def test_business_hours_need_a_signed_in_user(client: TestClient) -> None:
    assert_problem(client.get(URL), 401)
    assert_problem(client.put(URL, json=OFFICE), 401)
    assert_problem(client.delete(URL), 401)


def test_an_unknown_queue_is_not_found(client: TestClient,
                                       as_: dict[str, dict[str, str]]) -> None:
    assert_problem(client.get(f"{API}/queues/nope/business-hours", headers=as_["admin"]), 404)
    assert_problem(client.put(f"{API}/queues/nope/business-hours", headers=as_["admin"],
                              json=OFFICE), 404)


def test_a_ticket_created_after_gets_due_times_in_working_time(
        client: TestClient, as_: dict[str, dict[str, str]]) -> None:
    """Half an hour a week, Mondays 09:00-09:30 in Madrid: whenever this runs, a P1's one-hour
    response target lies more than a week away, exactly where the calendar puts it."""
    half_hour = {"timezone": "Europe/Madrid", "days": ["mon"], "start": "09:00", "end": "09:30"}
    assert client.put(URL, headers=as_["admin"], json=half_hour).status_code == 200

    created = client.post(f"{API}/tickets", headers=as_["requester"], json={
        "queue": "devops", "title": "Database is down", "description": "No connections.",
        "priority": "P1"})

    assert created.status_code == 201, created.text
    ticket = created.json()
    calendar = BusinessHours.model_validate(half_hour).calendar()
    created_at = datetime.fromisoformat(ticket["created_at"])
    response_due = datetime.fromisoformat(ticket["response_due_at"])
    assert response_due == calendar.add_business_minutes(created_at, 60)
    assert response_due - created_at > timedelta(days=7)
    assert datetime.fromisoformat(ticket["resolution_due_at"]) == \
        calendar.add_business_minutes(created_at, 240)
    assert ticket["sla"]["response"] == {"due_at": ticket["response_due_at"], "state": "pending"}
