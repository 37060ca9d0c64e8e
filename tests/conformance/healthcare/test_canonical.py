"""A ticket filed at /healthcare is a core ticket: the canonical /api/v1 shows it in the
healthcare queue, with the same history."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conformance.healthcare.support import (
    CENTERS,
    HC,
    TITLE_CHANGED_CA,
    TOOLS,
    Actor,
    create_ticket,
    list_tickets,
    modifications,
    update_ticket,
)
from tests.factories import login


def test_a_healthcare_ticket_through_the_canonical_api(client: TestClient, admin: Actor) -> None:
    ticket = create_ticket(client, admin)
    update_ticket(client, admin, ticket["id"], title="New title", status_id=4)
    v1 = login(client, admin.user)

    page = client.get("/api/v1/tickets", headers=v1, params={"queue": "healthcare"})
    assert page.status_code == 200, page.text
    [item] = page.json()["items"]
    assert item["key"] == ticket["id"]
    assert item["queue"] == "healthcare"
    assert item["ticket_type"] == "incidence"
    assert item["title"] == "New title"
    assert item["description"] == ticket["description"]
    assert item["status"] == "resolving"
    assert item["priority"] == "high"
    assert item["people"] == ticket["people"]
    assert item["notifier"] == ticket["notifier"]
    assert item["url"] == ticket["url"]
    assert item["requester"]["username"] == admin.username
    assert client.get("/api/v1/tickets", headers=v1, params={"queue": "devops"}).json()["items"] == []

    history = client.get(f"/api/v1/tickets/{item['id']}/history", headers=v1)
    assert history.status_code == 200, history.text
    titles = [e for e in history.json() if e["field"] == "title"]
    assert [(e["old_value"], e["new_value"]) for e in titles] == [(ticket["title"], "New title")]
    statuses = [e for e in history.json() if e["field"] == "status"]
    assert [e["new_value"] for e in statuses] == ["resolving"]

    body = modifications(client, admin, ticket["id"])
    assert [c for m in body["modifications"] for c in m["changes"]
            if c == TITLE_CHANGED_CA.format("New title")]


def test_a_change_through_the_canonical_api_is_a_healthcare_modification(client: TestClient,
                                                                        admin: Actor) -> None:
    ticket = create_ticket(client, admin)
    v1 = login(client, admin.user)
    [item] = client.get("/api/v1/tickets", headers=v1, params={"queue": "healthcare"}).json()["items"]
    patched = client.patch(f"/api/v1/tickets/{item['id']}", headers=v1, json={"title": "From v1"})
    assert patched.status_code == 200, patched.text
    body = modifications(client, admin, ticket["id"])
    assert any(TITLE_CHANGED_CA.format("From v1") in m["changes"] for m in body["modifications"])
    detail = client.get(f"{HC}/tickets/{ticket['id']}", headers=admin.headers).json()
    assert detail["title"] == "From v1"
    assert detail["modify_date"] is not None


def test_a_deleted_ticket_leaves_the_canonical_listing_too(client: TestClient, admin: Actor) -> None:
    ticket = create_ticket(client, admin)
    assert client.delete(f"{HC}/tickets/{ticket['id']}", headers=admin.headers).status_code == 200
    v1 = login(client, admin.user)
    assert client.get("/api/v1/tickets", headers=v1, params={"queue": "healthcare"}).json()["items"] == []
    assert list_tickets(client, admin)["total"] == 0


def test_centers_and_tools_added_by_an_admin_through_the_canonical_api(client: TestClient,
                                                                      admin: Actor) -> None:
    v1 = login(client, admin.user)
    added = client.post("/api/v1/queues/healthcare/reference-lists/center", headers=v1,
                        json={"key": "310", "label": "EAP Canet de Mar", "code": 4})
    assert added.status_code == 201, added.text
    added = client.post("/api/v1/queues/healthcare/reference-lists/tool", headers=v1,
                        json={"key": "LAB", "label": "Laboratori", "code": 9})
    assert added.status_code == 201, added.text

    centers = client.get(f"{HC}/center/", headers=admin.headers).json()
    assert centers[:3] == CENTERS
    assert centers[3:] == [{"id": 4, "value": "310", "desc": "EAP Canet de Mar"}]
    tools = client.get(f"{HC}/tool/", headers=admin.headers).json()
    assert tools[:8] == TOOLS
    assert tools[8:] == [{"id": 9, "value": "LAB", "desc": "Laboratori"}]

    ticket = create_ticket(client, admin, center_id=4, tool_id=9)
    assert ticket["center_id"] == 310
    detail = client.get(f"{HC}/tickets/{ticket['id']}", headers=admin.headers).json()
    assert detail["center"] == {"id": 310, "value": "310", "desc": "EAP Canet de Mar"}
    assert detail["tool"] == {"id": 9, "value": "LAB", "desc": "Laboratori"}


def test_only_admins_extend_the_reference_lists(client: TestClient, agent: Actor) -> None:
    response = client.post("/api/v1/queues/healthcare/reference-lists/center",
                           headers=login(client, agent.user),
                           json={"key": "310", "label": "EAP Canet de Mar", "code": 4})
    assert response.status_code == 403, response.text
    assert client.get(f"{HC}/center/", headers=agent.headers).json() == CENTERS
