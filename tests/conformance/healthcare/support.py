"""Helpers and the document's literal values for the healthcare-api.md conformance suite."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from ticketry.domain.users.models import User

HC = "/healthcare"

# "Create Ticket", request body, verbatim.
EXAMPLE_TICKET: dict[str, Any] = {
    "type": "incidence",
    "title": "System Error in ECAP",
    "description": "Users cannot access the patient records module",
    "status_id": 1,
    "crit_id": 3,
    "tool_id": 1,
    "center_id": 305,
    "people": ["Dr. Smith", "Nurse Johnson"],
    "pathway": "web",
    "notifier": "Dr. Smith",
    "url": "https://example.com/issue-details",
}

REQUIRED_FIELDS = ("type", "title", "description", "status_id", "crit_id", "tool_id", "people",
                   "pathway")

# "Create Ticket", response: exactly these fields.
CREATE_RESPONSE_FIELDS = frozenset({
    "id", "type", "title", "description", "status_id", "crit_id", "tool_id", "center_id", "people",
    "pathway", "notifier", "url", "creator", "creation_date", "supports", "attached",
})
# "Get Ticket", response: the create fields, the three dates and the nested objects.
DETAIL_FIELDS = CREATE_RESPONSE_FIELDS | {
    "modify_date", "resolution_date", "delete_date", "created_by_user", "status", "crit", "center",
    "tool",
}
USER_FIELDS = frozenset({"id", "username", "email", "permission_level", "is_active"})

# "Reference Data", verbatim.
STATUSES = [
    {"id": 1, "value": "created", "desc": "Creada"},
    {"id": 2, "value": "reviewed", "desc": "Revisada"},
    {"id": 3, "value": "discarted", "desc": "Descartada"},
    {"id": 4, "value": "resolving", "desc": "En resolució"},
    {"id": 5, "value": "notified", "desc": "Notificada"},
    {"id": 6, "value": "solved", "desc": "Resolta"},
    {"id": 7, "value": "closed", "desc": "Tancada"},
    {"id": 8, "value": "deleted", "desc": "Eliminada"},
]
CRITS = [
    {"id": 1, "value": "low", "desc": "Baixa"},
    {"id": 2, "value": "mid", "desc": "Mitja"},
    {"id": 3, "value": "high", "desc": "Alta"},
    {"id": 4, "value": "critical", "desc": "Crítica"},
]
TOOLS = [
    {"id": 1, "value": "ECAP", "desc": "ECAP"},
    {"id": 2, "value": "PXM", "desc": "Programació per motius - HES"},
    {"id": 3, "value": "AIN", "desc": "Alertes i Notificacions - HES"},
    {"id": 4, "value": "CAM", "desc": "Centre d'Ajuda - HES"},
    {"id": 5, "value": "AXIA", "desc": "Axia | Suport clínic - HES"},
    {"id": 6, "value": "LAND_MED", "desc": "Pàgina d'inici Medicina"},
    {"id": 7, "value": "LAND_INF", "desc": "Pàgina d'inici Infermeria"},
    {"id": 8, "value": "LAND_GIS", "desc": "Pàgina d'inici Administratiu"},
]
CENTERS = [
    {"id": 1, "value": "305", "desc": "EAP St. Andreu de Llavaneres"},
    {"id": 2, "value": "273", "desc": "EAP Arenys de Mar"},
    {"id": 3, "value": "302", "desc": "EAP Mataró- 3 (Perú)"},
]
PATHWAYS = ("web", "mobile", "email", "phone", "in_person")

# The document's timestamps: "2025-01-15T14:30:22".
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
INCIDENCE_ID = re.compile(r"^INC\d{6}$")
TITLE_CHANGED_CA = 'El títol s\'ha canviat per "{}"'


@dataclass
class Actor:
    """A user of the healthcare API with the Authorization header of a token from POST /token."""

    user: User
    headers: dict[str, str]

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def username(self) -> str:
        return self.user.username


def today_candidates() -> set[str]:
    """Today's date, in UTC and in local time (they differ only around midnight)."""
    return {datetime.now(UTC).date().isoformat(), date.today().isoformat()}


def assert_error(response: Response, status: int) -> str:
    """The document's "Error Response Format": {"detail": "Error description message"}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"detail"}, body
    assert isinstance(body["detail"], str), body
    assert body["detail"]
    return body["detail"]


def token_for(client: TestClient, username: str, password: str) -> Response:
    return client.post(f"{HC}/token", data={"username": username, "password": password})


def create_ticket(client: TestClient, actor: Actor, **fields: Any) -> dict[str, Any]:
    body = {**EXAMPLE_TICKET, **fields}
    body = {k: v for k, v in body.items() if v is not ...}
    response = client.post(f"{HC}/tickets/", headers=actor.headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def get_ticket(client: TestClient, actor: Actor, ticket_id: str) -> dict[str, Any]:
    response = client.get(f"{HC}/tickets/{ticket_id}", headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def update_ticket(client: TestClient, actor: Actor, ticket_id: str, **fields: Any) -> dict[str, Any]:
    response = client.put(f"{HC}/tickets/{ticket_id}", headers=actor.headers, json=fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def list_tickets(client: TestClient, actor: Actor, **params: Any) -> dict[str, Any]:
    response = client.get(f"{HC}/tickets/", headers=actor.headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"tickets", "total", "page", "size"}, body
    return body


def modifications(client: TestClient, actor: Actor, ticket_id: str,
                  language: str | None = None) -> dict[str, Any]:
    headers = dict(actor.headers)
    if language is not None:
        headers["Accept-Language"] = language
    response = client.get(f"{HC}/tickets/{ticket_id}/modifications", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"modifications", "total"}, body
    return body
