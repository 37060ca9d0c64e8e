"""How the enterprise dialect maps the document onto the core, where the document leaves a
choice: ids and numbers, notes and ratings, announced and attached files, roles and
permissions, refusals outside the routes, export filters by the document's names."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, make_ticket, make_user
from ticketry.api.dialects.enterprise import raw_error_body
from ticketry.domain.queues.service import install_presets
from ticketry.domain.users.models import Role, Team, User
from ticketry.domain.users.service import get_team_by_code

EP = "/enterprise"


def login(client: TestClient, user: User) -> dict[str, Any]:
    response = client.post(f"{EP}/auth/login",
                           json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def headers(client: TestClient, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, user)['access_token']}"}


def data_of(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code, body
    assert body["request_id"] == response.headers["x-request-id"]
    error: dict[str, Any] = body["error"]
    return error


@pytest.fixture
def department(session: Session) -> Team:
    return get_team_by_code(session, 1)


@pytest.fixture
def people(session: Session, department: Team) -> dict[str, User]:
    made = {"requester": make_user(session, Role.END_USER),
            "stranger": make_user(session, Role.END_USER),
            "engineer": make_user(session, Role.DEVOPS_ENGINEER, team=department,
                                  given_name="Ada", family_name="Lovelace"),
            "manager": make_user(session, Role.MANAGER, team=department),
            "admin": make_user(session, Role.ADMIN)}
    session.commit()
    return made


def create(client: TestClient, who: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"title": "VPN drops", "description": "Every hour", "department_id": 1, **fields}
    created: dict[str, Any] = data_of(client.post(f"{EP}/tickets", headers=who, json=body), 201)
    return created


# ------------------------------------------------------------------ people and permissions


def test_roles_and_permissions_come_from_the_queue(client: TestClient,
                                                   people: dict[str, User]) -> None:
    engineer = login(client, people["engineer"])["user"]
    manager = login(client, people["manager"])["user"]
    requester = login(client, people["requester"])["user"]

    assert (requester["role"], requester["permissions"]) == (
        "user", ["view_tickets", "create_tickets", "comment_tickets"])
    assert manager["role"] == "manager"
    assert "approve_requests" in manager["permissions"]
    # Shown as the document's `user`, with what an engineer may do.
    assert engineer["role"] == "user"
    assert "update_assigned_tickets" in engineer["permissions"]
    assert (engineer["id"], engineer["first_name"], engineer["last_name"]) == (
        people["engineer"].id, "Ada", "Lovelace")


def test_the_preset_department_is_installed_once(session: Session, department: Team) -> None:
    install_presets(session)
    install_presets(session)
    assert get_team_by_code(session, 1).id == department.id
    assert department.name == "IT Department"


# ------------------------------------------------------------------ tickets


def test_a_ticket_is_found_by_id_or_number_and_only_on_this_desk(
        client: TestClient, session: Session, people: dict[str, User]) -> None:
    who = headers(client, people["requester"])
    created = create(client, who)
    by_number = data_of(client.get(f"{EP}/tickets/{created['ticket_number']}", headers=who))
    assert by_number["id"] == created["id"]

    elsewhere = make_ticket(session, people["requester"])  # the default (devops) queue
    session.commit()
    error_of(client.get(f"{EP}/tickets/{elsewhere.id}", headers=who), 404, "RESOURCE_NOT_FOUND")
    error_of(client.get(f"{EP}/tickets/{elsewhere.key}", headers=who), 404,
             "RESOURCE_NOT_FOUND")
    error_of(client.get(f"{EP}/tickets/99999999999999", headers=who), 404,
             "RESOURCE_NOT_FOUND")


def test_announced_attachments_are_kept_as_names(client: TestClient,
                                                 people: dict[str, User]) -> None:
    who = headers(client, people["requester"])
    created = create(client, who, attachments=["file1.pdf", "screenshot.png"])
    details = data_of(client.get(f"{EP}/tickets/{created['id']}", headers=who))
    assert details["announced_attachments"] == ["file1.pdf", "screenshot.png"]
    assert details["attachments"] == []


def test_internal_notes_are_for_agents_in_the_ticket_and_its_timeline(
        client: TestClient, people: dict[str, User]) -> None:
    requester, manager = headers(client, people["requester"]), headers(client, people["manager"])
    created = create(client, requester)
    updated = data_of(client.patch(f"{EP}/tickets/{created['id']}", headers=manager, json={
        "internal_notes": "Suspect the firewall", "public_notes": "We are on it"}))
    assert updated["internal_notes"] == "Suspect the firewall"

    theirs = data_of(client.get(f"{EP}/tickets/{created['id']}", headers=requester))
    assert (theirs["internal_notes"], theirs["public_notes"]) == (None, "We are on it")
    assert "internal_notes" not in {e["field"] for e in theirs["activity_timeline"]}
    staff = data_of(client.get(f"{EP}/tickets/{created['id']}", headers=manager))
    assert "internal_notes" in {e["field"] for e in staff["activity_timeline"]}


def test_the_requester_rates_their_ticket(client: TestClient, people: dict[str, User]) -> None:
    requester = headers(client, people["requester"])
    created = create(client, requester)
    url = f"{EP}/tickets/{created['id']}"
    rated = data_of(client.patch(url, headers=requester,
                                 json={"customer_satisfaction_rating": 4}))
    assert rated["customer_satisfaction_rating"] == 4
    # Nothing else is theirs to change.
    error_of(client.patch(url, headers=requester, json={"priority": "low"}), 403,
             "PERMISSION_DENIED")
    error = error_of(client.patch(url, headers=requester,
                                  json={"customer_satisfaction_rating": 6}),
                     400, "VALIDATION_ERROR")
    assert (error["details"]["field"], error["details"]["provided_value"]) == (
        "customer_satisfaction_rating", 6)
    error_of(client.patch(url, headers=headers(client, people["stranger"]),
                          json={"customer_satisfaction_rating": 1}), 404, "RESOURCE_NOT_FOUND")


# ------------------------------------------------------------------ comments and files


def _upload(client: TestClient, who: dict[str, str], ticket_id: int, name: str) -> int:
    data = data_of(client.post(f"{EP}/attachments/ticket/{ticket_id}/upload", headers=who,
                               files={"file": (name, b"trace\n", "text/plain")}), 201)
    assert data["upload_url"].endswith(f"{EP}/attachments/{data['id']}/download")
    upload_id: int = data["id"]
    return upload_id


def test_a_comment_carries_only_its_authors_unattached_files(
        client: TestClient, people: dict[str, User]) -> None:
    requester, manager = headers(client, people["requester"]), headers(client, people["manager"])
    ticket = create(client, requester)["id"]
    theirs = _upload(client, requester, ticket, "theirs.txt")
    mine = _upload(client, manager, ticket, "mine.txt")
    url = f"{EP}/comments/ticket/{ticket}"

    error = error_of(client.post(url, headers=manager, json={
        "content": "See the trace", "attachments": ["theirs.txt"]}), 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "attachments"
    comment = data_of(client.post(url, headers=manager, json={
        "content": "See the trace", "attachments": ["mine.txt"]}), 201)
    assert comment["attachments"] == [mine] != [theirs]
    # A file is on one comment at most.
    error_of(client.post(url, headers=manager, json={
        "content": "Again", "attachments": ["mine.txt"]}), 400, "VALIDATION_ERROR")


def test_files_download_by_integer_id(client: TestClient, people: dict[str, User]) -> None:
    requester = headers(client, people["requester"])
    ticket = create(client, requester)["id"]
    file_id = _upload(client, requester, ticket, "trace.txt")
    response = client.get(f"{EP}/attachments/{file_id}/download", headers=requester)
    assert response.status_code == 200
    assert response.content == b"trace\n"
    error_of(client.get(f"{EP}/attachments/{file_id}/download",
                        headers=headers(client, people["stranger"])), 404, "RESOURCE_NOT_FOUND")
    error_of(client.get(f"{EP}/attachments/not-a-number/download", headers=requester), 404,
             "RESOURCE_NOT_FOUND")


# ------------------------------------------------------------------ approvals


def test_delegating_names_the_delegate_by_id(client: TestClient, people: dict[str, User]) -> None:
    requester, manager = headers(client, people["requester"]), headers(client, people["manager"])
    ticket = create(client, requester, ticket_type="change")
    assert ticket["status"] == "pending_approval"
    [approval] = data_of(client.get(f"{EP}/approvals/pending", headers=manager))["items"]
    url = f"{EP}/approvals/{approval['id']}/action"

    error = error_of(client.post(url, headers=manager, json={
        "action": "delegate", "delegate_to_id": 99999999}), 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "delegate_to_id"
    done = data_of(client.post(url, headers=manager, json={
        "action": "delegate", "delegate_to_id": people["admin"].id}))
    assert done["status"] == "delegated"
    assert [a["approver"]["id"] for a in done["activated"]] == [people["admin"].id]


# ------------------------------------------------------------------ reports


def test_exports_take_the_documents_filter_names(client: TestClient, session: Session,
                                                 people: dict[str, User]) -> None:
    requester, manager = headers(client, people["requester"]), headers(client, people["manager"])
    create(client, requester, title="In IT")
    create(client, requester, title="Nowhere", department_id=None)
    response = client.get(f"{EP}/reports/export", headers=manager, params={
        "type": "tickets", "format": "csv",
        "filters": json.dumps({"department_id": 1, "created_by_id": people["requester"].id})})
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["title"] for r in rows] == ["In IT"]
    # Staff only, as the queue's permissions say.
    error_of(client.get(f"{EP}/reports/export", headers=requester), 403, "PERMISSION_DENIED")


# ------------------------------------------------------------------ refusals outside routes


def test_a_method_the_path_does_not_take_is_answered_in_the_envelope(
        client: TestClient, people: dict[str, User]) -> None:
    who = headers(client, people["requester"])
    ticket = create(client, who)["id"]
    error = error_of(client.put(f"{EP}/tickets/{ticket}", headers=who, json={}), 405,
                     "RESOURCE_NOT_FOUND")
    assert "PUT" in error["message"]


def test_raw_refusals_have_the_documents_codes() -> None:
    body, media_type = raw_error_body(429, "rate_limit_exceeded", "too many requests")
    refusal = json.loads(body)
    assert media_type == "application/json"
    assert refusal["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    # Outside a request there is no request id to give.
    assert refusal["request_id"] is None
    internal = json.loads(raw_error_body(500, "INTERNAL", "Traceback: secret")[0])
    assert internal["error"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret" not in json.dumps(internal)
