"""devops-service.md, "Integration with Auth Service" and "JWT Token Structure"."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest

from tests.conformance.devops.support import API, Actor, assert_problem
from tests.factories import PASSWORD, login, make_user
from ticketry.domain.users.models import Role

DOCUMENTED_CLAIMS = {"sub", "username", "email", "role", "type", "exp", "iat", "jti"}


def _token(actor: Actor) -> str:
    return actor.headers["Authorization"].removeprefix("Bearer ")


@pytest.mark.parametrize("role", list(Role))
def test_access_token_carries_the_documented_claims(client, session, role: Role) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, role, username=f"john.doe.{role.value.lower()}",
                     email=f"john.{role.value.lower()}@example.com")
    session.commit()
    before = int(datetime.now(UTC).timestamp())
    token = login(client, user)["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) >= DOCUMENTED_CLAIMS
    assert claims["sub"] == str(user.public_id)
    assert claims["username"] == user.username
    assert claims["email"] == user.email
    assert claims["role"] == role.value
    assert claims["type"] == "access"
    assert isinstance(claims["exp"], int)
    assert isinstance(claims["iat"], int)
    assert before - 1 <= claims["iat"] <= int(datetime.now(UTC).timestamp()) + 1
    assert claims["exp"] > claims["iat"]
    assert isinstance(claims["jti"], str)
    assert claims["jti"]


def test_every_token_has_a_unique_jti(client, session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, Role.END_USER)
    session.commit()
    tokens = [login(client, user)["Authorization"].removeprefix("Bearer ") for _ in range(3)]
    jtis = {jwt.decode(t, options={"verify_signature": False})["jti"] for t in tokens}
    assert len(jtis) == 3


def test_login_returns_a_bearer_access_token(client, session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, Role.DEVOPS_ENGINEER)
    session.commit()
    response = client.post(f"{API}/auth/login",
                           json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["access_token"]
    assert response.json()["token_type"].lower() == "bearer"


def test_the_service_takes_user_and_role_from_the_jwt(client, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    me = client.get(f"{API}/users/me", headers=engineer.headers)
    assert me.status_code == 200
    claims = jwt.decode(_token(engineer), options={"verify_signature": False})
    assert me.json()["id"] == claims["sub"]
    assert me.json()["role"] == claims["role"]


def test_a_token_signed_with_another_key_is_401(client, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    claims = jwt.decode(_token(engineer), options={"verify_signature": False})
    forged = jwt.encode(claims, "another-secret-key-that-is-long-enough-123456", algorithm="HS256")
    assert_problem(client.get(f"{API}/tickets", headers={"Authorization": f"Bearer {forged}"}), 401)


def test_an_expired_token_is_401(client, settings, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    claims = jwt.decode(_token(engineer), options={"verify_signature": False})
    claims["exp"] = claims["iat"] - 60
    expired = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    body = assert_problem(client.get(f"{API}/tickets",
                                     headers={"Authorization": f"Bearer {expired}"}), 401)
    assert "expired" in body["detail"]


def test_a_refresh_token_is_not_accepted_as_an_access_token(client, session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, Role.END_USER)
    session.commit()
    tokens = client.post(f"{API}/auth/login",
                         json={"username": user.username, "password": PASSWORD}).json()
    assert jwt.decode(tokens["refresh_token"], options={"verify_signature": False})["type"] != "access"
    assert_problem(client.get(f"{API}/tickets",
                              headers={"Authorization": f"Bearer {tokens['refresh_token']}"}), 401)
