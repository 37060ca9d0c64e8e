"""enterprise-api.md, "Authentication": login, using the token, token refresh; and
AUTHENTICATION_REQUIRED (401) for a missing, invalid or expired token."""

from __future__ import annotations

import time

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conformance.enterprise.conftest import ActorFactory
from tests.conformance.enterprise.support import (
    EP,
    LOGIN_FIELDS,
    LOGIN_USER_FIELDS,
    USER_PERMISSIONS,
    Actor,
    assert_error,
    assert_success,
    login_response,
)
from tests.factories import PASSWORD
from ticketry.config import Settings
from ticketry.domain.users.models import Role


def test_login_answers_the_documented_response(client: TestClient, make_actor: ActorFactory) -> None:
    """POST /auth/login {"username", "password"} -> {"success": true, "data": {"access_token",
    "refresh_token", "token_type": "bearer", "expires_in", "user": {id, username, email,
    first_name, last_name, role, permissions}}, "message": "Login successful", "timestamp"}."""
    john = make_actor(Role.END_USER, username="john.doe", email="john.doe@company.com",
                      given_name="John", family_name="Doe")

    response = login_response(client, "john.doe", PASSWORD)

    data = assert_success(response)
    assert response.json()["message"] == "Login successful"
    assert set(data) == LOGIN_FIELDS
    assert data["token_type"] == "bearer"
    assert data["access_token"]
    assert data["refresh_token"]
    assert data["access_token"] != data["refresh_token"]
    claims = jwt.decode(data["access_token"], options={"verify_signature": False})
    assert data["expires_in"] == claims["exp"] - claims["iat"]
    assert set(data["user"]) == LOGIN_USER_FIELDS
    assert data["user"] == {
        "id": john.id, "username": "john.doe", "email": "john.doe@company.com",
        "first_name": "John", "last_name": "Doe", "role": "user",
        "permissions": ["view_tickets", "create_tickets", "comment_tickets"],
    }


@pytest.mark.parametrize(("role", "document_role"), [
    (Role.END_USER, "user"), (Role.MANAGER, "manager"), (Role.ADMIN, "admin"),
])
def test_login_names_the_documents_role_and_a_permissions_list(
        client: TestClient, make_actor: ActorFactory, role: Role, document_role: str) -> None:
    """"role": "enum (user, manager, admin, super_admin)", "permissions": "array of strings"."""
    actor = make_actor(role)
    user = actor.login["user"]
    assert user["role"] == document_role
    assert isinstance(user["id"], int)
    assert all(isinstance(p, str) for p in user["permissions"])
    # Whatever a user may do, a manager and an admin may do too.
    assert set(USER_PERMISSIONS) <= set(user["permissions"])


def test_the_access_token_is_sent_as_a_bearer_header(client: TestClient, user: Actor) -> None:
    """"Include the JWT token in the Authorization header: Authorization: Bearer eyJ..."."""
    assert_success(client.get(f"{EP}/tickets", headers=user.headers))
    assert_success(client.get(f"{EP}/tickets",
                              headers={"Authorization": f"bearer {user.token}"}))


def test_refresh_with_the_refresh_token_as_bearer(client: TestClient, user: Actor) -> None:
    """POST /auth/refresh, Authorization: Bearer your_refresh_token -> a new access token."""
    response = client.post(f"{EP}/auth/refresh",
                           headers={"Authorization": f"Bearer {user.login['refresh_token']}"})

    data = assert_success(response)
    assert data["token_type"] == "bearer"
    assert data["access_token"]
    assert data["access_token"] != user.token
    claims = jwt.decode(data["access_token"], options={"verify_signature": False})
    assert data["expires_in"] == claims["exp"] - claims["iat"]
    fresh = {"Authorization": f"Bearer {data['access_token']}"}
    assert_success(client.get(f"{EP}/tickets", headers=fresh))


def test_refresh_needs_the_refresh_token(client: TestClient, user: Actor) -> None:
    assert_error(client.post(f"{EP}/auth/refresh"), 401, "AUTHENTICATION_REQUIRED")
    assert_error(client.post(f"{EP}/auth/refresh", headers=user.headers), 401,
                 "AUTHENTICATION_REQUIRED")
    assert_error(client.post(f"{EP}/auth/refresh", headers={"Authorization": "Bearer nonsense"}),
                 401, "AUTHENTICATION_REQUIRED")


def test_a_refresh_token_is_not_an_access_token(client: TestClient, user: Actor) -> None:
    refresh = {"Authorization": f"Bearer {user.login['refresh_token']}"}
    assert_error(client.get(f"{EP}/tickets", headers=refresh), 401, "AUTHENTICATION_REQUIRED")


def test_wrong_credentials_are_refused_alike(client: TestClient, user: Actor) -> None:
    wrong_password = assert_error(login_response(client, user.username, "not-the-password"),
                                  401, "AUTHENTICATION_REQUIRED")
    unknown_user = assert_error(login_response(client, "nobody.here", "not-the-password"),
                                401, "AUTHENTICATION_REQUIRED")
    assert wrong_password["message"] == unknown_user["message"]


@pytest.mark.parametrize("body", [
    {"username": "john.doe"}, {"password": "password123"}, {}, {"username": 5, "password": []},
])
def test_an_incomplete_login_is_a_validation_error(client: TestClient, body: dict[str, object]) -> None:
    assert_error(client.post(f"{EP}/auth/login", json=body), 400, "VALIDATION_ERROR")


def test_a_login_body_that_is_not_json(client: TestClient) -> None:
    response = client.post(f"{EP}/auth/login", content=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer"}, {"Authorization": "Bearer not.a.jwt"},
    {"Authorization": "Basic am9objpwYXNzd29yZA=="},
], ids=["none", "empty", "garbage", "basic"])
def test_calls_without_a_valid_token_are_refused(client: TestClient, headers: dict[str, str]) -> None:
    """401: "Unauthorized (invalid/expired token)", AUTHENTICATION_REQUIRED: "Valid token
    required"."""
    for method, path in (("GET", "/tickets"), ("POST", "/tickets"), ("GET", "/tickets/1"),
                         ("GET", "/approvals/pending"), ("GET", "/reports/dashboard"),
                         ("POST", "/tickets/search"), ("POST", "/webhooks")):
        assert_error(client.request(method, f"{EP}{path}", headers=headers), 401,
                     "AUTHENTICATION_REQUIRED")


def test_an_expired_token_is_refused(client: TestClient, user: Actor, settings: Settings) -> None:
    claims = jwt.decode(user.token, options={"verify_signature": False})
    now = int(time.time())
    claims.update(iat=now - 7200, exp=now - 3600)
    expired = jwt.encode(claims, settings.secret_key, algorithm="HS256")

    assert_error(client.get(f"{EP}/tickets", headers={"Authorization": f"Bearer {expired}"}),
                 401, "AUTHENTICATION_REQUIRED")


def test_a_token_signed_with_another_key_is_refused(client: TestClient, user: Actor) -> None:
    claims = jwt.decode(user.token, options={"verify_signature": False})
    forged = jwt.encode(claims, "another-key-that-is-also-long-enough-0123456789", algorithm="HS256")
    assert_error(client.get(f"{EP}/tickets", headers={"Authorization": f"Bearer {forged}"}),
                 401, "AUTHENTICATION_REQUIRED")


def test_a_deactivated_user_can_no_longer_log_in(client: TestClient, make_actor: ActorFactory,
                                                 session: Session) -> None:
    actor = make_actor(Role.END_USER)
    actor.user.is_active = False
    session.commit()
    assert_error(login_response(client, actor.username, PASSWORD), 401, "AUTHENTICATION_REQUIRED")
