from __future__ import annotations

from tests.factories import login, make_user
from ticketry.domain.users.models import Role


def test_engineer_creates_and_reads_a_ticket(client, session) -> None:  # type: ignore[no-untyped-def]
    engineer = make_user(session, Role.DEVOPS_ENGINEER)
    session.commit()
    headers = login(client, engineer)
    created = client.post("/api/v1/tickets", headers=headers, json={
        "title": "Production database is down",
        "description": "The production PostgreSQL database is not responding.",
        "category": "INCIDENT", "priority": "P1", "environment": "PRODUCTION",
        "affected_service": "PostgreSQL Database", "impact_level": "CRITICAL",
        "tags": ["database", "production", "outage"],
    })
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"].startswith("OPS-")
    assert body["status"] == "NEW"
    fetched = client.get(f"/api/v1/tickets/{body['id']}", headers=headers)
    assert fetched.status_code == 200
    assert fetched.json()["title"] == "Production database is down"
