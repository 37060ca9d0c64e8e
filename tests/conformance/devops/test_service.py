"""devops-service.md, "Health Check", "Error Handling" and "Access API documentation"."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conformance.devops.support import API, Actor, assert_problem, create_ticket, ticket_url
from tests.conformance.devops.test_endpoints import DOCUMENTED_ENDPOINTS
from ticketry.api.app import create_app


def test_health_check_returns_the_documented_body(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "healthy",
        "service": "ticket-service",
        "version": "1.0.0",
        "environment": "development",
    }


def test_health_check_needs_no_authentication(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/health", headers={"Authorization": "Bearer junk"}).status_code == 200


def test_health_reports_the_configured_environment(settings, db) -> None:  # type: ignore[no-untyped-def]
    from ticketry.api.app import create_app

    app = create_app(settings.model_copy(update={"environment": "production"}), db)
    with TestClient(app, base_url="http://127.0.0.1") as api:
        assert api.get("/health").json()["environment"] == "production"


# ------------------------------------------------------------------ Error Handling

def test_400_bad_request_has_detail_and_error_code(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"{API}/tickets", content=b"not json",
                           headers={**end_user.headers, "Content-Type": "application/json"})
    assert_problem(response, 400)


def test_401_unauthorized_has_detail_and_error_code(client) -> None:  # type: ignore[no-untyped-def]
    assert_problem(client.get(f"{API}/tickets"), 401)


def test_403_forbidden_has_detail_and_error_code(client, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, engineer)
    assert_problem(client.delete(ticket_url(ticket["id"]), headers=engineer.headers), 403)


def test_404_not_found_has_detail_and_error_code(client, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    body = assert_problem(
        client.get(ticket_url("00000000-0000-0000-0000-000000000000"), headers=engineer.headers),
        404)
    assert body["error_code"] == "TICKET_NOT_FOUND"
    assert_problem(client.get(f"{API}/no-such-thing", headers=engineer.headers), 404)


def test_500_internal_server_error_has_detail_and_error_code(settings, db) -> None:  # type: ignore[no-untyped-def]
    def explode() -> None:
        raise RuntimeError("boom")

    app = create_app(settings, db)  # an app of its own: the route below must not outlive the test
    app.add_api_route("/__explode", explode)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as api:
        body = assert_problem(api.get("/__explode"), 500)
    assert "boom" not in body["detail"]


def test_successful_responses_use_the_documented_codes(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    created = client.post(f"{API}/tickets", headers=admin.headers,
                          json={"title": "t", "description": "d"})
    assert created.status_code == 201
    assert client.get(ticket_url(created.json()["id"]), headers=admin.headers).status_code == 200
    assert client.delete(ticket_url(created.json()["id"]),
                         headers=admin.headers).status_code == 204


# ------------------------------------------------------------------ API documentation

def test_swagger_ui_is_served_at_docs(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


def test_redoc_is_served_at_redoc(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/redoc")
    assert response.status_code == 200
    assert "redoc" in response.text.lower()


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


def test_openapi_lists_every_documented_path_and_method(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    served = {(method.upper(), _normalise(path))
              for path, operations in spec["paths"].items() for method in operations}
    missing = [e for e in [*DOCUMENTED_ENDPOINTS, ("GET", "/health")] if e not in served]
    assert missing == []


def test_api_documentation_can_be_disabled_for_production(settings, db) -> None:  # type: ignore[no-untyped-def]
    from ticketry.api.app import create_app

    app = create_app(settings.model_copy(update={"docs_enabled": False}), db)
    with TestClient(app, base_url="http://127.0.0.1") as api:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert api.get(path).status_code == 404
