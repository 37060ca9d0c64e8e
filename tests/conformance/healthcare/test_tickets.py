"""healthcare-api.md, "Tickets": create, get, update and (soft) delete."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conformance.healthcare.support import (
    CREATE_RESPONSE_FIELDS,
    DETAIL_FIELDS,
    EXAMPLE_TICKET,
    HC,
    INCIDENCE_ID,
    REQUIRED_FIELDS,
    USER_FIELDS,
    Actor,
    assert_error,
    create_ticket,
    get_ticket,
    list_tickets,
    today_candidates,
    update_ticket,
)
from ticketry.domain.history.models import TicketHistory
from ticketry.domain.tickets.models import Ticket

# ------------------------------------------------------------------------------------ create


def test_create_the_documents_example(client: TestClient, admin: Actor) -> None:
    response = client.post(f"{HC}/tickets/", headers=admin.headers, json=EXAMPLE_TICKET)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == CREATE_RESPONSE_FIELDS
    assert INCIDENCE_ID.match(body["id"]), body["id"]
    for field, value in EXAMPLE_TICKET.items():
        assert body[field] == value, field
    assert body["creator"] == admin.id
    assert isinstance(body["creator"], int)
    assert body["creation_date"] in today_candidates()
    assert body["supports"] == 0
    assert body["attached"] == []


def test_ids_are_distinct_and_a_suggestion_has_another_prefix(client: TestClient,
                                                              end_user: Actor) -> None:
    first = create_ticket(client, end_user)
    second = create_ticket(client, end_user)
    suggestion = create_ticket(client, end_user, type="suggestion", title="Add a dark mode")
    assert INCIDENCE_ID.match(first["id"])
    assert INCIDENCE_ID.match(second["id"])
    assert first["id"] != second["id"]
    assert suggestion["type"] == "suggestion"
    match = re.fullmatch(r"([A-Z]+)(\d{6})", suggestion["id"])
    assert match, suggestion["id"]
    assert match.group(1) != "INC"
    assert get_ticket(client, end_user, suggestion["id"])["type"] == "suggestion"


def test_only_the_required_fields(client: TestClient, end_user: Actor) -> None:
    body = {field: EXAMPLE_TICKET[field] for field in REQUIRED_FIELDS}
    response = client.post(f"{HC}/tickets/", headers=end_user.headers, json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == CREATE_RESPONSE_FIELDS
    assert created["center_id"] is None
    assert created["notifier"] is None
    assert created["url"] is None
    assert created["creator"] == end_user.id
    detail = get_ticket(client, end_user, created["id"])
    assert detail["center"] is None
    assert detail["center_id"] is None


@pytest.mark.parametrize("field", REQUIRED_FIELDS)
def test_a_missing_required_field_is_400(client: TestClient, end_user: Actor, field: str) -> None:
    body = {k: v for k, v in EXAMPLE_TICKET.items() if k != field}
    assert_error(client.post(f"{HC}/tickets/", headers=end_user.headers, json=body), 400)
    assert list_tickets(client, end_user)["total"] == 0


@pytest.mark.parametrize(("field", "value"), [
    ("type", "complaint"), ("status_id", 9), ("status_id", 0), ("crit_id", 5), ("crit_id", 0),
    ("tool_id", 9), ("tool_id", 0), ("pathway", "fax"), ("people", "Dr. Smith"),
    ("center_id", 999), ("title", ""), ("status_id", "one"),
])
def test_an_invalid_value_is_400(client: TestClient, end_user: Actor, field: str, value: Any) -> None:
    body = {**EXAMPLE_TICKET, field: value}
    assert_error(client.post(f"{HC}/tickets/", headers=end_user.headers, json=body), 400)


def test_a_body_that_is_not_json_is_400(client: TestClient, end_user: Actor) -> None:
    response = client.post(f"{HC}/tickets/", headers={**end_user.headers,
                                                      "Content-Type": "application/json"},
                           content=b"{not json")
    assert_error(response, 400)


@pytest.mark.parametrize("pathway", ["web", "mobile", "email", "phone", "in_person"])
def test_every_pathway(client: TestClient, end_user: Actor, pathway: str) -> None:
    assert create_ticket(client, end_user, pathway=pathway)["pathway"] == pathway


@pytest.mark.parametrize(("status_id", "crit_id", "tool_id"), [(s, (s % 4) + 1, 9 - s) for s in range(1, 8)])
def test_every_status_crit_and_tool_id(client: TestClient, end_user: Actor, status_id: int,
                                       crit_id: int, tool_id: int) -> None:
    created = create_ticket(client, end_user, status_id=status_id, crit_id=crit_id, tool_id=tool_id)
    assert (created["status_id"], created["crit_id"], created["tool_id"]) == (status_id, crit_id, tool_id)
    detail = get_ticket(client, end_user, created["id"])
    nested = (detail["status"]["id"], detail["crit"]["id"], detail["tool"]["id"])
    assert nested == (status_id, crit_id, tool_id)
    assert detail["modify_date"] is None  # created so, never changed


def test_a_custom_ticket_num(client: TestClient, end_user: Actor) -> None:
    created = create_ticket(client, end_user, ticket_num="654321")
    assert created["id"] in {"654321", "INC654321"}
    assert get_ticket(client, end_user, created["id"])["title"] == EXAMPLE_TICKET["title"]
    again = client.post(f"{HC}/tickets/", headers=end_user.headers,
                        json={**EXAMPLE_TICKET, "ticket_num": "654321"})
    assert_error(again, 400)
    assert list_tickets(client, end_user)["total"] == 1


def test_a_custom_ticket_num_in_the_automatic_format_does_not_block_automatic_ids(
        client: TestClient, end_user: Actor) -> None:
    custom = create_ticket(client, end_user, ticket_num="INC000002")
    assert custom["id"] == "INC000002"
    made = [create_ticket(client, end_user, title=f"Auto {n}")["id"] for n in range(3)]
    assert all(INCIDENCE_ID.match(i) for i in made), made
    assert len({*made, custom["id"]}) == 4
    assert list_tickets(client, end_user)["total"] == 4


@pytest.mark.parametrize("ticket_num", ["../evil", "a/b", "INC 12", "", ".", ".."])
def test_a_ticket_num_that_cannot_be_a_url_path_segment_is_400(client: TestClient, end_user: Actor,
                                                             ticket_num: str) -> None:
    response = client.post(f"{HC}/tickets/", headers=end_user.headers,
                           json={**EXAMPLE_TICKET, "ticket_num": ticket_num})
    assert_error(response, 400)
    assert list_tickets(client, end_user)["total"] == 0


def test_the_webhook_examples_ticket_without_notifier(client: TestClient, end_user: Actor) -> None:
    """"Webhook Integration" sends `notifier` as null when the payload has no reporter."""
    response = client.post(f"{HC}/tickets/", headers=end_user.headers,
                           json={**EXAMPLE_TICKET, "notifier": None, "people": []})
    assert response.status_code == 201, response.text
    assert response.json()["notifier"] is None


# The document's /center/ lists "EAP St. Andreu de Llavaneres" as {"id": 1, "value": "305"} while
# tickets carry center_id 305 and nest {"id": 305, "value": "305"}: both forms are accepted.
@pytest.mark.parametrize(("given", "number", "desc"), [
    (305, 305, "EAP St. Andreu de Llavaneres"), (1, 305, "EAP St. Andreu de Llavaneres"),
    (273, 273, "EAP Arenys de Mar"), (2, 273, "EAP Arenys de Mar"),
    (302, 302, "EAP Mataró- 3 (Perú)"), (3, 302, "EAP Mataró- 3 (Perú)"),
])
def test_center_id_as_the_center_number_or_the_reference_id(client: TestClient, end_user: Actor,
                                                            given: int, number: int, desc: str) -> None:
    created = create_ticket(client, end_user, center_id=given)
    assert created["center_id"] == number
    detail = get_ticket(client, end_user, created["id"])
    assert detail["center_id"] == number
    assert detail["center"] == {"id": number, "value": str(number), "desc": desc}


# --------------------------------------------------------------------------------------- get


def test_get_ticket_as_documented(client: TestClient, admin: Actor) -> None:
    created = create_ticket(client, admin)
    detail = get_ticket(client, admin, created["id"])
    assert set(detail) == DETAIL_FIELDS
    for field in CREATE_RESPONSE_FIELDS:
        assert detail[field] == created[field], field
    assert detail["modify_date"] is None
    assert detail["resolution_date"] is None
    assert detail["delete_date"] is None
    assert detail["created_by_user"] == {
        "id": admin.id, "username": admin.username, "email": admin.user.email,
        "permission_level": 1, "is_active": True}
    assert detail["status"] == {"id": 1, "value": "created", "desc": "Creada"}
    assert detail["crit"] == {"id": 3, "value": "high", "desc": "Alta"}
    assert detail["center"] == {"id": 305, "value": "305", "desc": "EAP St. Andreu de Llavaneres"}
    assert detail["tool"] == {"id": 1, "value": "ECAP", "desc": "ECAP"}


@pytest.mark.parametrize(("role_fixture", "level"), [("admin", 1), ("agent", 2), ("end_user", 3)])
def test_created_by_user_shows_the_permission_level(client: TestClient, request: pytest.FixtureRequest,
                                                    role_fixture: str, level: int) -> None:
    actor: Actor = request.getfixturevalue(role_fixture)
    created = create_ticket(client, actor)
    user = get_ticket(client, actor, created["id"])["created_by_user"]
    assert set(user) == USER_FIELDS
    assert user["permission_level"] == level
    assert user["id"] == actor.id


def test_an_unknown_ticket_is_404(client: TestClient, admin: Actor) -> None:
    assert_error(client.get(f"{HC}/tickets/INC999999", headers=admin.headers), 404)
    assert_error(client.put(f"{HC}/tickets/INC999999", headers=admin.headers,
                            json={"status_id": 2}), 404)
    assert_error(client.delete(f"{HC}/tickets/INC999999", headers=admin.headers), 404)


# ------------------------------------------------------------------------------------ update

UPDATE_EXAMPLE = {
    "status_id": 4,
    "description": "Updated description with additional context",
    "crit_id": 4,
    "people": ["Dr. Smith", "Nurse Johnson", "IT Support"],
}


def test_update_the_documents_example_changes_only_the_given_fields(client: TestClient,
                                                                    admin: Actor) -> None:
    created = create_ticket(client, admin)
    before = get_ticket(client, admin, created["id"])
    updated = update_ticket(client, admin, created["id"], **UPDATE_EXAMPLE)
    assert set(updated) == DETAIL_FIELDS  # "Updated ticket object"
    after = get_ticket(client, admin, created["id"])
    assert updated == after
    for field, value in UPDATE_EXAMPLE.items():
        assert after[field] == value, field
    unchanged = CREATE_RESPONSE_FIELDS - set(UPDATE_EXAMPLE)
    for field in unchanged:
        assert after[field] == before[field], field
    assert after["status"] == {"id": 4, "value": "resolving", "desc": "En resolució"}
    assert after["crit"] == {"id": 4, "value": "critical", "desc": "Crítica"}
    assert after["tool"] == before["tool"]
    assert after["center"] == before["center"]
    assert after["created_by_user"] == before["created_by_user"]
    assert after["modify_date"] is not None
    datetime.fromisoformat(after["modify_date"])
    assert after["resolution_date"] is None
    assert after["delete_date"] is None


@pytest.mark.parametrize(("field", "value"), [
    ("title", "Printer jammed"), ("type", "suggestion"), ("tool_id", 5), ("center_id", 273),
    ("pathway", "phone"), ("notifier", "Nurse Johnson"), ("url", "https://example.com/other"),
    ("people", []), ("status_id", 2), ("crit_id", 1),
])
def test_each_field_can_be_updated_alone(client: TestClient, admin: Actor, field: str,
                                         value: Any) -> None:
    created = create_ticket(client, admin)
    updated = update_ticket(client, admin, created["id"], **{field: value})
    assert updated[field] == value
    for other in CREATE_RESPONSE_FIELDS - {field, "id"}:
        assert updated[other] == created[other], other
    assert updated["modify_date"] is not None


def test_center_id_null_clears_the_center(client: TestClient, admin: Actor) -> None:
    created = create_ticket(client, admin)
    updated = update_ticket(client, admin, created["id"], center_id=None)
    assert updated["center_id"] is None
    assert updated["center"] is None
    assert update_ticket(client, admin, created["id"], center_id=2)["center"] == {
        "id": 273, "value": "273", "desc": "EAP Arenys de Mar"}


def test_modify_date_is_set_on_every_change(client: TestClient, admin: Actor) -> None:
    created = create_ticket(client, admin)
    first = update_ticket(client, admin, created["id"], title="First")["modify_date"]
    second = update_ticket(client, admin, created["id"], title="Second")["modify_date"]
    assert first is not None
    assert second is not None
    assert datetime.fromisoformat(second) >= datetime.fromisoformat(first)


def test_resolution_date_is_set_when_the_status_becomes_solved(client: TestClient, admin: Actor) -> None:
    created = create_ticket(client, admin)
    assert update_ticket(client, admin, created["id"], status_id=5)["resolution_date"] is None
    solved = update_ticket(client, admin, created["id"], status_id=6)
    assert solved["status"] == {"id": 6, "value": "solved", "desc": "Resolta"}
    assert solved["resolution_date"] is not None
    datetime.fromisoformat(solved["resolution_date"])
    assert get_ticket(client, admin, created["id"])["resolution_date"] == solved["resolution_date"]


def test_delete_date_is_set_when_the_status_becomes_deleted(client: TestClient, admin: Actor) -> None:
    created = create_ticket(client, admin)
    deleted = update_ticket(client, admin, created["id"], status_id=8)
    assert deleted["status_id"] == 8
    assert deleted["status"] == {"id": 8, "value": "deleted", "desc": "Eliminada"}
    assert deleted["delete_date"] is not None
    datetime.fromisoformat(deleted["delete_date"])


@pytest.mark.parametrize(("field", "value"), [
    ("status_id", 9), ("crit_id", 7), ("tool_id", 0), ("type", "complaint"), ("pathway", "fax"),
    ("center_id", 999), ("people", "nobody"), ("status_id", "four"),
    ("title", None), ("description", None), ("type", None), ("status_id", None), ("crit_id", None),
    ("tool_id", None), ("people", None), ("pathway", None),
])
def test_an_invalid_update_is_400_and_changes_nothing(client: TestClient, admin: Actor, field: str,
                                                      value: Any) -> None:
    created = create_ticket(client, admin)
    before = get_ticket(client, admin, created["id"])
    response = client.put(f"{HC}/tickets/{created['id']}", headers=admin.headers,
                          json={"title": "Should not stick", field: value})
    assert_error(response, 400)
    assert get_ticket(client, admin, created["id"]) == before


# ------------------------------------------------------------------------------------ delete


def test_delete_is_a_soft_delete(client: TestClient, admin: Actor, session: Session) -> None:
    kept = create_ticket(client, admin, title="Kept")
    gone = create_ticket(client, admin, title="Gone")
    update_ticket(client, admin, gone["id"], title="Gone soon")
    response = client.delete(f"{HC}/tickets/{gone['id']}", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Ticket deleted successfully"}

    assert_error(client.get(f"{HC}/tickets/{gone['id']}", headers=admin.headers), 404)
    listing = list_tickets(client, admin)
    assert [t["id"] for t in listing["tickets"]] == [kept["id"]]
    assert listing["total"] == 1
    assert_error(client.delete(f"{HC}/tickets/{gone['id']}", headers=admin.headers), 404)
    assert_error(client.put(f"{HC}/tickets/{gone['id']}", headers=admin.headers,
                            json={"title": "Back?"}), 404)
    assert_error(client.post(f"{HC}/tickets/{gone['id']}/upload", headers=admin.headers,
                             files=[("files", ("a.txt", b"text", "text/plain"))]), 404)
    assert list_tickets(client, admin, status_id=8)["total"] == 0

    # It stays in the database, with its delete date and its history.
    session.expire_all()
    row = session.scalars(select(Ticket).where(Ticket.key == gone["id"])).one()
    assert row.status == "deleted"
    assert row.deleted_at is not None
    history = session.scalars(select(TicketHistory).where(TicketHistory.ticket_id == row.id)).all()
    assert any(h.field == "title" and h.new_value == "Gone soon" for h in history)
    assert any(h.change_type == "DELETED" for h in history)


# ------------------------------------------------------------------ odd input is a 400, never a 500


@pytest.mark.parametrize("title", ["   ", "\t\n"])
def test_a_blank_title_is_400(client: TestClient, admin: Actor, title: str) -> None:
    assert_error(client.post(f"{HC}/tickets/", headers=admin.headers,
                             json={**EXAMPLE_TICKET, "title": title}), 400)
    created = create_ticket(client, admin)
    assert_error(client.put(f"{HC}/tickets/{created['id']}", headers=admin.headers,
                            json={"title": title}), 400)
    assert get_ticket(client, admin, created["id"])["title"] == EXAMPLE_TICKET["title"]


@pytest.mark.parametrize("people", [["p" * 300], ["Dr. Smith", "x" * 1000]])
def test_a_long_name_among_people_is_stored_or_refused_with_400(client: TestClient, admin: Actor,
                                                                people: list[str]) -> None:
    response = client.post(f"{HC}/tickets/", headers=admin.headers,
                           json={**EXAMPLE_TICKET, "people": people})
    if response.status_code == 201:
        assert response.json()["people"] == people
    else:
        assert_error(response, 400)
    created = create_ticket(client, admin)
    response = client.put(f"{HC}/tickets/{created['id']}", headers=admin.headers,
                          json={"people": people})
    if response.status_code == 200:
        assert response.json()["people"] == people
    else:
        assert_error(response, 400)
