"""Queue configuration through the canonical API; admins extend reference lists."""

from __future__ import annotations

from tests.factories import login, make_user
from ticketry.domain.users.models import Role


def test_every_preset_queue_is_described(client, session) -> None:  # type: ignore[no-untyped-def]
    agent = make_user(session, Role.DEVOPS_ENGINEER)
    session.commit()
    queues = client.get("/api/v1/queues", headers=login(client, agent)).json()
    assert {q["key"] for q in queues} == {"devops", "healthcare", "enterprise", "support"}
    devops = next(q for q in queues if q["key"] == "devops")
    assert devops["is_default"] is True
    assert [p["key"] for p in devops["priorities"]] == ["P1", "P2", "P3", "P4"]
    new = next(s for s in devops["statuses"] if s["key"] == "NEW")
    assert new["transitions"] == ["OPEN", "IN_PROGRESS", "CLOSED"]


def test_an_admin_adds_a_center_that_tickets_can_then_use(client, session) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(session, Role.ADMIN)
    session.commit()
    h = login(client, admin)
    created = client.post("/api/v1/queues/healthcare/reference-lists/center", headers=h, json={
        "key": "999", "label": "EAP Nova", "labels": {"ca": "EAP Nova"}, "code": 9})
    assert created.status_code == 201, created.text
    centers = created.json()["reference_lists"]["center"]
    assert centers[-1] == {"key": "999", "label": "EAP Nova", "labels": {"ca": "EAP Nova"},
                           "code": 9}
    ticket = client.post("/api/v1/tickets", headers=h, json={
        "queue": "healthcare", "title": "Printer", "description": "Jammed", "location": "999"})
    assert ticket.status_code == 201, ticket.text
    again = client.post("/api/v1/queues/healthcare/reference-lists/center", headers=h,
                        json={"key": "999", "label": "Duplicate"})
    assert again.status_code == 409


def test_only_admins_change_queue_configuration(client, session) -> None:  # type: ignore[no-untyped-def]
    manager = make_user(session, Role.MANAGER)
    session.commit()
    response = client.post("/api/v1/queues/healthcare/reference-lists/tool",
                           headers=login(client, manager), json={"key": "X", "label": "X"})
    assert response.status_code == 403
