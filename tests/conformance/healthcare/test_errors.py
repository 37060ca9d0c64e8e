"""healthcare-api.md, "Error Handling": every error under /healthcare is {"detail": "..."}, also
the ones raised before a request reaches the dialect."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conformance.healthcare.support import EXAMPLE_TICKET, HC, Actor, assert_error, list_tickets


def test_an_oversized_json_body(client: TestClient, admin: Actor) -> None:
    response = client.post(f"{HC}/tickets/", headers=admin.headers,
                           json={**EXAMPLE_TICKET, "description": "d" * 2_000_000})
    assert response.status_code in (400, 413), response.text
    assert_error(response, response.status_code)
    assert list_tickets(client, admin)["total"] == 0


def test_a_nul_character_in_the_url(client: TestClient, admin: Actor) -> None:
    assert_error(client.get(f"{HC}/tickets/INC%00", headers=admin.headers), 400)


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/no-such-endpoint", 404), ("PATCH", "/tickets/INC000001", 405),
    ("DELETE", "/status/", 405), ("POST", "/users/me", 405),
])
def test_routing_errors(client: TestClient, admin: Actor, method: str, path: str, status: int) -> None:
    assert_error(client.request(method, f"{HC}{path}", headers=admin.headers), status)
