"""healthcare-api.md, "Authentication": POST /token (OAuth2 password form) and bearer tokens;
"Error Handling": {"detail": "..."} with 400/401."""

from __future__ import annotations

import time

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conformance.healthcare.support import HC, Actor, assert_error, token_for
from tests.factories import PASSWORD, make_user
from ticketry.config import Settings
from ticketry.domain.users.models import Role


def test_token_from_the_form_is_a_bearer_token(client: TestClient, session: Session) -> None:
    user = make_user(session, Role.END_USER)
    session.commit()
    # The document's request: Content-Type: application/x-www-form-urlencoded.
    response = client.post(f"{HC}/token", content=f"username={user.username}&password={PASSWORD}",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type"}
    assert body["token_type"] == "bearer"
    assert isinstance(body["access_token"], str)
    assert body["access_token"]
    me = client.get(f"{HC}/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json()["username"] == user.username


def test_a_wrong_password_is_401(client: TestClient, session: Session) -> None:
    user = make_user(session, Role.END_USER)
    session.commit()
    assert_error(token_for(client, user.username, "not-the-password"), 401)
    assert_error(token_for(client, "nobody-by-that-name", PASSWORD), 401)


@pytest.mark.parametrize("form", [{"username": "someone"}, {"password": "secret"}, {}])
def test_a_token_request_without_credentials_is_400(client: TestClient, form: dict[str, str]) -> None:
    assert_error(client.post(f"{HC}/token", data=form), 400)


# Every endpoint the document shows with `Authorization: Bearer {access_token}`.
PROTECTED = [
    ("POST", "/tickets/"), ("GET", "/tickets/"), ("GET", "/tickets/INC000001"),
    ("PUT", "/tickets/INC000001"), ("DELETE", "/tickets/INC000001"),
    ("POST", "/tickets/INC000001/upload"), ("POST", "/tickets/INC000001/upload-single"),
    ("GET", "/tickets/INC000001/attachments"),
    ("DELETE", "/tickets/INC000001/attachments/document.pdf"),
    ("GET", "/users/me"), ("POST", "/users/"), ("PUT", "/users/1"),
    ("POST", "/modifications/"), ("GET", "/tickets/INC000001/modifications"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_endpoint_without_a_token_is_401(client: TestClient, method: str, path: str) -> None:
    assert_error(client.request(method, f"{HC}{path}"), 401)


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_endpoint_with_a_bad_token_is_401(client: TestClient, method: str, path: str) -> None:
    for token in ("not-a-token", "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.e30.invalid-signature"):
        response = client.request(method, f"{HC}{path}", headers={"Authorization": f"Bearer {token}"})
        assert_error(response, 401)


def test_a_token_of_a_deactivated_user_is_401(client: TestClient, admin: Actor,
                                              end_user: Actor) -> None:
    off = client.put(f"{HC}/users/{end_user.id}", headers=admin.headers, json={"is_active": False})
    assert off.status_code == 200, off.text
    assert_error(client.get(f"{HC}/users/me", headers=end_user.headers), 401)
    assert token_for(client, end_user.username, PASSWORD).status_code in (400, 401)


@pytest.mark.parametrize("path", ["/status/", "/crit/", "/tool/", "/center/"])
def test_reference_data_answers_an_authenticated_client(client: TestClient, end_user: Actor,
                                                        path: str) -> None:
    assert client.get(f"{HC}{path}", headers=end_user.headers).status_code == 200


def test_an_expired_token_is_401(client: TestClient, end_user: Actor, settings: Settings) -> None:
    token = end_user.headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 60
    expired = jwt.encode(claims, settings.secret_key, algorithm=jwt.get_unverified_header(token)["alg"])
    assert_error(client.get(f"{HC}/users/me", headers={"Authorization": f"Bearer {expired}"}), 401)


def test_a_json_token_request_is_400(client: TestClient, end_user: Actor) -> None:
    """The document's request is a form, not JSON."""
    response = client.post(f"{HC}/token", json={"username": end_user.username, "password": PASSWORD})
    assert_error(response, 400)


def test_no_rate_limiting(client: TestClient, end_user: Actor) -> None:
    """"Rate Limits": currently, no rate limiting is implemented."""
    for _ in range(10):
        assert_error(token_for(client, end_user.username, "wrong-password"), 401)
    assert token_for(client, end_user.username, PASSWORD).status_code == 200
    for _ in range(40):
        assert client.get(f"{HC}/status/", headers=end_user.headers).status_code == 200
