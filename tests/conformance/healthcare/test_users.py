"""healthcare-api.md, "Users": /users/me, create and update (permission level 1 only)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conformance.healthcare.support import HC, USER_FIELDS, Actor, assert_error, token_for
from tests.factories import PASSWORD

# "Create User", request body, verbatim.
NEW_USER = {
    "username": "newuser",
    "email": "user@example.com",
    "password": "securepassword",
    "permission_level": 3,
    "name": "John",
    "surnames": "Doe",
    "default_center_id": 305,
}


def me(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(f"{HC}/users/me", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(client: TestClient, username: str, password: str) -> dict[str, str]:
    response = token_for(client, username, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.mark.parametrize(("role_fixture", "level"), [("admin", 1), ("agent", 2), ("end_user", 3)])
def test_users_me(client: TestClient, request: pytest.FixtureRequest, role_fixture: str,
                  level: int) -> None:
    actor: Actor = request.getfixturevalue(role_fixture)
    body = me(client, actor.headers)
    assert set(body) >= USER_FIELDS
    assert body["id"] == actor.id
    assert body["username"] == actor.username
    assert body["email"] == actor.user.email
    assert body["permission_level"] == level
    assert body["is_active"] is True
    assert "password" not in body
    assert not any("hash" in key for key in body)


def test_create_the_documents_user(client: TestClient, admin: Actor) -> None:
    response = client.post(f"{HC}/users/", headers=admin.headers, json=NEW_USER)
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) >= USER_FIELDS
    assert isinstance(created["id"], int)
    assert created["username"] == "newuser"
    assert created["email"] == "user@example.com"
    assert created["permission_level"] == 3
    assert created["is_active"] is True
    assert "password" not in created
    for field in ("name", "surnames", "default_center_id"):
        assert created[field] == NEW_USER[field], field

    headers = bearer(client, "newuser", "securepassword")
    mine = me(client, headers)
    assert mine["id"] == created["id"]
    assert mine["permission_level"] == 3
    # A level-3 user files tickets, and is shown as their creator.
    ticket = client.post(f"{HC}/tickets/", headers=headers, json={
        "type": "incidence", "title": "t", "description": "d", "status_id": 1, "crit_id": 2,
        "tool_id": 1, "people": [], "pathway": "web"})
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["creator"] == created["id"]


@pytest.mark.parametrize("level", [1, 2, 3])
def test_create_a_user_of_each_level(client: TestClient, admin: Actor, level: int) -> None:
    response = client.post(f"{HC}/users/", headers=admin.headers,
                           json={**NEW_USER, "permission_level": level})
    assert response.status_code == 201, response.text
    assert response.json()["permission_level"] == level
    assert me(client, bearer(client, "newuser", "securepassword"))["permission_level"] == level


@pytest.mark.parametrize("role_fixture", ["agent", "end_user"])
def test_only_level_1_creates_users(client: TestClient, request: pytest.FixtureRequest,
                                    role_fixture: str, admin: Actor) -> None:
    actor: Actor = request.getfixturevalue(role_fixture)
    assert_error(client.post(f"{HC}/users/", headers=actor.headers, json=NEW_USER), 403)
    assert token_for(client, "newuser", "securepassword").status_code == 401


@pytest.mark.parametrize("change", [
    {"username": None}, {"email": "not-an-email"}, {"password": None}, {"permission_level": 4},
    {"permission_level": 0}, {"default_center_id": 999},
])
def test_an_invalid_new_user_is_400(client: TestClient, admin: Actor, change: dict[str, Any]) -> None:
    body = {k: v for k, v in {**NEW_USER, **change}.items() if v is not None}
    assert_error(client.post(f"{HC}/users/", headers=admin.headers, json=body), 400)


def test_default_center_id_in_either_form(client: TestClient, admin: Actor) -> None:
    response = client.post(f"{HC}/users/", headers=admin.headers,
                           json={**NEW_USER, "default_center_id": 2})
    assert response.status_code == 201, response.text
    assert response.json()["default_center_id"] == 273


def test_a_taken_username_is_400(client: TestClient, admin: Actor) -> None:
    assert client.post(f"{HC}/users/", headers=admin.headers, json=NEW_USER).status_code == 201
    again = client.post(f"{HC}/users/", headers=admin.headers,
                        json={**NEW_USER, "email": "other@example.com"})
    assert_error(again, 400)


def test_update_a_user(client: TestClient, admin: Actor, end_user: Actor) -> None:
    response = client.put(f"{HC}/users/{end_user.id}", headers=admin.headers, json={
        "email": "renamed@example.com", "permission_level": 2, "name": "Jane", "surnames": "Roe",
        "default_center_id": 273})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["id"] == end_user.id
    assert updated["email"] == "renamed@example.com"
    assert updated["permission_level"] == 2
    assert updated["username"] == end_user.username
    mine = me(client, end_user.headers)
    assert mine["email"] == "renamed@example.com"
    assert mine["permission_level"] == 2


def test_only_given_fields_of_a_user_change(client: TestClient, admin: Actor, end_user: Actor) -> None:
    before = me(client, end_user.headers)
    response = client.put(f"{HC}/users/{end_user.id}", headers=admin.headers,
                          json={"email": "only-this@example.com"})
    assert response.status_code == 200, response.text
    after = me(client, end_user.headers)
    assert after == {**before, "email": "only-this@example.com"}


def test_a_promoted_user_may_create_users(client: TestClient, admin: Actor, end_user: Actor) -> None:
    assert client.put(f"{HC}/users/{end_user.id}", headers=admin.headers,
                      json={"permission_level": 1}).status_code == 200
    headers = bearer(client, end_user.username, PASSWORD)
    assert client.post(f"{HC}/users/", headers=headers, json=NEW_USER).status_code == 201


def test_a_password_can_be_changed(client: TestClient, admin: Actor, end_user: Actor) -> None:
    response = client.put(f"{HC}/users/{end_user.id}", headers=admin.headers,
                          json={"password": "a-brand-new-password"})
    assert response.status_code == 200, response.text
    assert "password" not in response.json()
    assert token_for(client, end_user.username, PASSWORD).status_code == 401
    bearer(client, end_user.username, "a-brand-new-password")


@pytest.mark.parametrize("role_fixture", ["agent", "end_user"])
def test_only_level_1_updates_users(client: TestClient, request: pytest.FixtureRequest,
                                    role_fixture: str) -> None:
    actor: Actor = request.getfixturevalue(role_fixture)
    for target in (actor.id, actor.id + 1000):
        response = client.put(f"{HC}/users/{target}", headers=actor.headers,
                              json={"permission_level": 1})
        assert_error(response, 403)
    assert me(client, actor.headers)["permission_level"] != 1


def test_updating_an_unknown_user_is_404(client: TestClient, admin: Actor) -> None:
    assert_error(client.put(f"{HC}/users/987654", headers=admin.headers, json={"name": "x"}), 404)


def test_an_invalid_user_update_is_400(client: TestClient, admin: Actor, end_user: Actor) -> None:
    assert_error(client.put(f"{HC}/users/{end_user.id}", headers=admin.headers,
                            json={"permission_level": 9}), 400)
    assert_error(client.put(f"{HC}/users/{end_user.id}", headers=admin.headers,
                            json={"email": "nope"}), 400)
