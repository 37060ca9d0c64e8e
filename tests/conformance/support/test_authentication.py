"""The document has no authentication ("Authentication: None"). Ticketry accepts anonymous calls
on the desk only with TICKETRY_SUPPORT_ALLOW_ANONYMOUS=true; otherwise the same tokens as the
rest of the service (a login token or an API token)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conformance.support.support import (
    CSV_EXAMPLE,
    DOC_ID,
    EXAMPLE_TICKET,
    SP,
    assert_json,
    assert_ticket,
)
from tests.factories import login, make_user
from ticketry.api.app import create_app
from ticketry.config import Settings, get_settings
from ticketry.db import Database
from ticketry.domain.api_tokens.service import create_api_token_for
from ticketry.domain.queues.service import install_presets
from ticketry.domain.users.models import Role
from ticketry.migrations import upgrade_to_head

# Every endpoint of the document.
ENDPOINTS = [
    ("POST", "/tickets"), ("GET", "/tickets"), ("GET", "/tickets?status=new&priority=high"),
    ("GET", f"/tickets/{DOC_ID}"), ("PUT", f"/tickets/{DOC_ID}"), ("DELETE", f"/tickets/{DOC_ID}"),
    ("POST", "/tickets/import?format=csv"), ("POST", f"/tickets/{DOC_ID}/auto-classify"),
]


def test_anonymous_access_is_off_by_default(settings: Settings) -> None:
    assert settings.support_allow_anonymous is False


def test_the_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETRY_SUPPORT_ALLOW_ANONYMOUS", "true")
    get_settings.cache_clear()
    try:
        assert get_settings().support_allow_anonymous is True
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def _call(client: TestClient, method: str, path: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    if method == "POST" and path.startswith("/tickets/import"):
        return client.post(f"{SP}{path}", headers=headers,
                           files={"file": ("tickets.csv", CSV_EXAMPLE.encode(), "text/csv")})
    body = EXAMPLE_TICKET if method == "POST" and path == "/tickets" else (
        {"priority": "urgent"} if method == "PUT" else None)
    return client.request(method, f"{SP}{path}", json=body, headers=headers)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_without_credentials_is_401(client: TestClient, method: str, path: str) -> None:
    response = _call(client, method, path)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response.json()["error"], str)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_a_bad_token_is_401(client: TestClient, method: str, path: str) -> None:
    for headers in ({"Authorization": "Bearer not-a-token"}, {"X-API-Token": "tkr_" + "x" * 43}):
        response = _call(client, method, path, headers)
        assert response.status_code == 401, response.text


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_when_allowed(api: TestClient, method: str, path: str) -> None:
    response = _call(api, method, path)
    assert response.status_code not in (401, 403), response.text
    assert response.status_code < 500, response.text


def _walk(client: TestClient, headers: dict[str, str], *, admin: bool = True) -> None:
    """Create, read, list, update, classify, import and delete with these credentials."""
    created = assert_json(client.post(f"{SP}/tickets", json=EXAMPLE_TICKET, headers=headers), 201)
    assert_ticket(created)
    ticket_id = created["id"]
    assert assert_json(client.get(f"{SP}/tickets/{ticket_id}", headers=headers), 200) == created
    listed = assert_json(client.get(f"{SP}/tickets", headers=headers), 200)
    assert [t["id"] for t in listed["tickets"]] == [ticket_id]
    updated = assert_json(client.put(f"{SP}/tickets/{ticket_id}", headers=headers,
                                     json={"status": "in_progress", "assigned_to": "agent-456"}), 200)
    assert updated["assigned_to"] == "agent-456"
    classified = assert_json(client.post(f"{SP}/tickets/{ticket_id}/auto-classify", headers=headers), 200)
    assert classified["classification"]["category"] == "account_access"
    imported = assert_json(client.post(f"{SP}/tickets/import", headers=headers,
                                       files={"file": ("tickets.csv", CSV_EXAMPLE.encode())}), 200)
    assert imported["successful"] == 2
    if not admin:
        # Deleting is the administrators' (the core's rule), in the document's error shape.
        refused = client.delete(f"{SP}/tickets/{ticket_id}", headers=headers)
        assert refused.status_code == 403, refused.text
        assert isinstance(refused.json()["error"], str)
        return
    deleted = assert_json(client.delete(f"{SP}/tickets/{ticket_id}", headers=headers), 200)
    assert deleted == {"message": "Ticket deleted successfully", "id": ticket_id}
    listed = assert_json(client.get(f"{SP}/tickets", headers=headers), 200)
    assert listed["pagination"]["total"] == 2


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_a_login_token_works(client: TestClient, session: Session, role: Role) -> None:
    user = make_user(session, role)
    session.commit()
    _walk(client, login(client, user), admin=role == Role.ADMIN)


@pytest.mark.parametrize("header", ["Authorization", "X-API-Token"])
def test_an_api_token_works(client: TestClient, session: Session, header: str) -> None:
    user = make_user(session, Role.ADMIN)
    session.commit()
    issued = create_api_token_for(session, username=user.username, name="Support desk", expires_days=None)
    session.commit()
    value = f"Bearer {issued.secret}" if header == "Authorization" else issued.secret
    _walk(client, {header: value})


def test_the_first_anonymous_call_on_a_fresh_database(tmp_path: Path, anonymous_settings: Settings) -> None:
    """Nothing but the migrations and presets: the very first call, with no credentials, works.
    (A first call that writes is `ticketry serve`'s first cURL example, in test_examples.)"""
    database = Database(f"sqlite:///{tmp_path / 'fresh.db'}", pool_size=2, max_overflow=2)
    try:
        upgrade_to_head(database.engine)
        with database.unit_of_work() as session:
            install_presets(session)
        with TestClient(create_app(anonymous_settings, database), base_url="http://127.0.0.1") as fresh:
            response = fresh.get(f"{SP}/tickets")
            assert response.status_code == 200, response.text
            assert response.json()["tickets"] == []
    finally:
        database.dispose()
