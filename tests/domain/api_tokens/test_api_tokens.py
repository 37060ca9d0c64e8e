"""API tokens in the core: secrets, hashing, expiry, deactivation in every API, visibility,
`last_used`, and the canonical `/api/v1/tokens` endpoints."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from tests.factories import login, make_ticket, make_user
from ticketry.db import utcnow
from ticketry.domain.api_tokens.errors import InvalidApiToken
from ticketry.domain.api_tokens.models import ApiToken
from ticketry.domain.api_tokens.schemas import ApiTokenCreate
from ticketry.domain.api_tokens.service import (
    IssuedApiToken,
    authenticate_api_token,
    create_api_token,
    create_api_token_for,
    find_api_token,
    hash_token,
    record_api_token_use,
    set_api_token_active,
)
from ticketry.domain.auth.service import authenticate_request
from ticketry.domain.errors import PermissionDenied
from ticketry.domain.users.models import Role, User

SECRET = re.compile(r"^tkr_[A-Za-z0-9_-]{43}$")
TOKENS = "/api/v1/tokens"
TOKEN_FIELDS = {"id", "number", "name", "user", "token_prefix", "is_active", "created_at",
                "expires_at", "last_used_at"}


def issue(session: Session, user: User, name: str = "Integration Name",
          expires_days: int | None = None) -> IssuedApiToken:
    issued = create_api_token(session, actor=user,
                              data=ApiTokenCreate(name=name, expires_days=expires_days))
    session.commit()
    return issued


def row_of(session: Session, issued: IssuedApiToken) -> ApiToken:
    session.expire_all()
    return session.scalars(select(ApiToken).where(ApiToken.id == issued.token.id)).one()


def assert_problem_401(response: Response) -> dict[str, Any]:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"] == "Bearer"
    body: dict[str, Any] = response.json()
    assert body["status"] == 401
    assert body["detail"]
    assert body["error_code"]
    return body


@pytest.fixture
def committed(session: Session) -> Callable[..., User]:
    def make(role: Role = Role.END_USER, **extra: Any) -> User:
        user = make_user(session, role, **extra)
        session.commit()
        return user

    return make


# --------------------------------------------------------------------------- the secret


def test_tokens_start_with_tkr_and_are_unguessable(session: Session, requester: User) -> None:
    secrets = {issue(session, requester, f"token {n}").secret for n in range(5)}
    assert len(secrets) == 5
    for secret in secrets:
        assert SECRET.match(secret), secret


def test_the_cli_path_makes_the_same_kind_of_token(session: Session, requester: User) -> None:
    issued = create_api_token_for(session, username=requester.username, name="From the CLI",
                                  expires_days=None)
    assert SECRET.match(issued.secret)
    assert issued.token.user_id == requester.id
    assert issued.token.created_by_id is None


def test_only_the_sha256_is_stored(session: Session, requester: User) -> None:
    issued = issue(session, requester)
    stored = row_of(session, issued)
    assert stored.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert stored.token_hash == hash_token(issued.secret)
    # The raw row, every column: the secret is nowhere in it.
    raw = session.execute(text("SELECT * FROM api_tokens WHERE id = :id"),
                          {"id": issued.token.id}).mappings().one()
    for column, value in raw.items():
        assert issued.secret not in str(value), column
    # Only a short prefix, to tell tokens apart.
    assert issued.secret.startswith(stored.token_prefix)
    assert len(stored.token_prefix) <= 12
    assert stored.token_prefix.startswith("tkr_")


def test_a_token_is_found_by_its_value_through_the_hash(session: Session, requester: User) -> None:
    issued = issue(session, requester)
    assert find_api_token(session, actor=None, ref=issued.secret).id == issued.token.id
    assert find_api_token(session, actor=None, ref=str(issued.token.id)).id == issued.token.id
    assert find_api_token(session, actor=None, ref=issued.token.public_id).id == issued.token.id


def test_authentication_needs_the_exact_secret(session: Session, requester: User) -> None:
    issued = issue(session, requester)
    assert authenticate_api_token(session, secret=issued.secret).user.id == requester.id
    for wrong in (issued.secret[:-1], issued.secret + "A", issued.secret.swapcase(),
                  hash_token(issued.secret), "tkr_", ""):
        with pytest.raises(InvalidApiToken):
            authenticate_api_token(session, secret=wrong)


# --------------------------------------------------------------------------- expiry


def test_expiry(session: Session, requester: User) -> None:
    issued = issue(session, requester, expires_days=30)
    token = row_of(session, issued)
    assert token.expires_at is not None
    assert token.expires_at - token.created_at == timedelta(days=30)

    authenticate_api_token(session, secret=issued.secret, now=token.expires_at - timedelta(seconds=1))
    for later in (token.expires_at, token.expires_at + timedelta(days=1)):
        with pytest.raises(InvalidApiToken, match="expired"):
            authenticate_api_token(session, secret=issued.secret, now=later)


def test_a_token_without_expiry_does_not_expire(session: Session, requester: User) -> None:
    issued = issue(session, requester)
    assert row_of(session, issued).expires_at is None
    authenticate_api_token(session, secret=issued.secret, now=utcnow() + timedelta(days=3650))


def test_an_expired_token_is_401_in_every_api(client: TestClient, session: Session,
                                              requester: User) -> None:
    issued = issue(session, requester, expires_days=1)
    assert client.get("/api/v1/tickets", headers={"X-API-Token": issued.secret}).status_code == 200
    session.execute(update(ApiToken).where(ApiToken.id == issued.token.id)
                    .values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert "expired" in assert_problem_401(
        client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {issued.secret}"}))["detail"]
    assert_problem_401(client.get("/api/v1/tickets", headers={"X-API-Token": issued.secret}))
    assert client.get("/api/tickets/", headers={"X-API-Token": issued.secret}).status_code == 401


# --------------------------------------------------------------------------- deactivation


def _works_everywhere(client: TestClient, secret: str) -> None:
    for headers in ({"Authorization": f"Bearer {secret}"}, {"X-API-Token": secret}):
        assert client.get("/api/v1/tickets", headers=headers).status_code == 200
        assert client.get("/api/v1/users/me", headers=headers).status_code == 200
        assert client.get("/api/tickets/", headers=headers).status_code == 200
    assert client.get(f"/api/tickets/?token={secret}").status_code == 200


def _refused_everywhere(client: TestClient, secret: str) -> None:
    for headers in ({"Authorization": f"Bearer {secret}"}, {"X-API-Token": secret}):
        body = assert_problem_401(client.get("/api/v1/tickets", headers=headers))
        assert "deactivated" in body["detail"]
        assert_problem_401(client.get("/api/v1/users/me", headers=headers))
        assert_problem_401(client.post("/api/v1/tickets", headers=headers,
                                       json={"title": "t", "description": "d"}))
        dialect = client.get("/api/tickets/", headers=headers)
        assert dialect.status_code == 401
        assert dialect.json()["success"] is False
    assert client.get(f"/api/tickets/?token={secret}").status_code == 401


def test_deactivation_takes_effect_at_once_in_every_api(client: TestClient, session: Session,
                                                        requester: User) -> None:
    issued = issue(session, requester)
    other = issue(session, requester, "another")
    _works_everywhere(client, issued.secret)

    set_api_token_active(session, actor=None, ref=issued.secret, active=False)
    session.commit()
    _refused_everywhere(client, issued.secret)
    _works_everywhere(client, other.secret)

    set_api_token_active(session, actor=None, ref=str(issued.token.id), active=True)
    session.commit()
    _works_everywhere(client, issued.secret)


def test_a_deactivated_token_is_refused_by_authenticate_request(
        session: Session, settings: Any, requester: User) -> None:
    issued = issue(session, requester)
    assert authenticate_request(session, settings=settings, bearer=issued.secret).user.id == requester.id
    assert authenticate_request(session, settings=settings, bearer=None,
                                api_token=issued.secret).api_token_id == issued.token.id
    set_api_token_active(session, actor=None, ref=issued.token.id, active=False)
    session.flush()
    with pytest.raises(InvalidApiToken, match="deactivated"):
        authenticate_request(session, settings=settings, bearer=issued.secret)
    with pytest.raises(InvalidApiToken, match="deactivated"):
        authenticate_request(session, settings=settings, bearer=None, api_token=issued.secret)


def test_a_deactivated_users_tokens_stop_working(client: TestClient, session: Session,
                                                 committed: Callable[..., User]) -> None:
    user = committed(Role.DEVOPS_ENGINEER)
    issued = issue(session, user)
    _works_everywhere(client, issued.secret)
    user.is_active = False
    session.commit()
    assert_problem_401(client.get("/api/v1/tickets", headers={"X-API-Token": issued.secret}))
    assert client.get("/api/tickets/", headers={"X-API-Token": issued.secret}).status_code == 401


# --------------------------------------------------------------------------- visibility


def test_an_end_users_token_lists_only_that_users_tickets(
        client: TestClient, session: Session, committed: Callable[..., User]) -> None:
    alice, bob = committed(Role.END_USER), committed(Role.END_USER)
    agent = committed(Role.DEVOPS_ENGINEER)
    alices = {make_ticket(session, alice, title="Alice 1").key,
              make_ticket(session, alice, title="Alice 2").key,
              make_ticket(session, agent, title="For Alice", requester_id=alice.public_id).key}
    bobs = make_ticket(session, bob, title="Bob 1")
    make_ticket(session, agent, title="Agent's own")
    session.commit()
    token = issue(session, alice).secret

    integration = client.get("/api/tickets/", headers={"Authorization": f"Bearer {token}"}).json()
    assert integration["count"] == 3
    assert {t["ticket_number"] for t in integration["tickets"]} == alices

    for headers in ({"Authorization": f"Bearer {token}"}, {"X-API-Token": token}):
        canonical = client.get("/api/v1/tickets", headers=headers, params={"size": 100})
        assert canonical.status_code == 200, canonical.text
        assert canonical.json()["total"] == 3
        assert {t["key"] for t in canonical.json()["items"]} == alices
        assert client.get(f"/api/v1/tickets/{bobs.public_id}", headers=headers).status_code == 404
    assert client.get(f"/api/tickets/{bobs.key}/", headers={"X-API-Token": token}).status_code == 404

    # An agent's token sees everything.
    everything = client.get("/api/tickets/", headers={"X-API-Token": issue(session, agent).secret})
    assert everything.json()["count"] == 5


def test_a_token_acts_with_its_users_role(client: TestClient, session: Session,
                                          committed: Callable[..., User]) -> None:
    user = committed(Role.END_USER)
    token = issue(session, user).secret
    denied = client.post("/api/v1/users", headers={"X-API-Token": token}, json={
        "username": "newbie", "email": "newbie@example.com", "password": "long-enough-pw"})
    assert denied.status_code == 403


# --------------------------------------------------------------------------- last_used


def test_last_used_is_set_on_first_use_then_at_most_once_a_minute(session: Session,
                                                                  requester: User) -> None:
    issued = issue(session, requester)
    t0 = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert row_of(session, issued).last_used_at is None

    first = authenticate_api_token(session, secret=issued.secret, now=t0)
    assert first.stale_last_used is True
    record_api_token_use(session, token_id=issued.token.id, now=t0)
    assert row_of(session, issued).last_used_at == t0

    for seconds in (1, 30, 59):
        later = t0 + timedelta(seconds=seconds)
        assert authenticate_api_token(session, secret=issued.secret, now=later).stale_last_used is False
        record_api_token_use(session, token_id=issued.token.id, now=later)
        assert row_of(session, issued).last_used_at == t0

    t1 = t0 + timedelta(seconds=61)
    assert authenticate_api_token(session, secret=issued.secret, now=t1).stale_last_used is True
    record_api_token_use(session, token_id=issued.token.id, now=t1)
    assert row_of(session, issued).last_used_at == t1
    # Never backwards, whatever a late writer says.
    record_api_token_use(session, token_id=issued.token.id, now=t0 + timedelta(seconds=62))
    assert row_of(session, issued).last_used_at == t1


def test_requests_record_last_used_without_a_write_per_request(
        client: TestClient, session: Session, requester: User) -> None:
    issued = issue(session, requester)
    before = utcnow()
    assert client.get("/api/tickets/", headers={"X-API-Token": issued.secret}).status_code == 200
    first = row_of(session, issued).last_used_at
    assert first is not None
    assert first >= before - timedelta(seconds=1)

    # Used again within the minute: not rewritten.
    recent = utcnow() - timedelta(seconds=10)
    session.execute(update(ApiToken).where(ApiToken.id == issued.token.id).values(last_used_at=recent))
    session.commit()
    assert client.get("/api/v1/tickets", headers={"X-API-Token": issued.secret}).status_code == 200
    assert client.get("/api/tickets/", headers={"X-API-Token": issued.secret}).status_code == 200
    assert row_of(session, issued).last_used_at == recent

    # Used after more than a minute: advanced, through the canonical API as well.
    old = utcnow() - timedelta(minutes=5)
    session.execute(update(ApiToken).where(ApiToken.id == issued.token.id).values(last_used_at=old))
    session.commit()
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {issued.secret}"}
                      ).status_code == 200
    assert row_of(session, issued).last_used_at > old + timedelta(minutes=4)


# --------------------------------------------------------------------------- /api/v1/tokens


def test_any_user_creates_and_lists_their_own_tokens(client: TestClient, session: Session,
                                                     committed: Callable[..., User]) -> None:
    user, other = committed(Role.END_USER), committed(Role.END_USER)
    issue(session, other, "someone else's")
    headers = login(client, user)
    created = client.post(TOKENS, headers=headers, json={"name": "My laptop script",
                                                         "expires_days": 7})
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == TOKEN_FIELDS | {"token"}
    assert SECRET.match(body["token"])
    assert body["name"] == "My laptop script"
    assert body["user"] == user.username
    assert body["is_active"] is True
    assert body["token"].startswith(body["token_prefix"])
    assert body["last_used_at"] is None
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires - datetime.fromisoformat(body["created_at"]) == timedelta(days=7)

    listed = client.get(TOKENS, headers=headers)
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()] == [body["id"]]
    assert "token" not in listed.json()[0]
    assert body["token"] not in listed.text

    # The new token works, and as its user.
    me = client.get("/api/v1/users/me", headers={"X-API-Token": body["token"]})
    assert me.json()["username"] == user.username


def test_an_admin_sees_every_token(client: TestClient, session: Session,
                                   committed: Callable[..., User]) -> None:
    admin, user = committed(Role.ADMIN), committed(Role.END_USER)
    mine, theirs = issue(session, admin, "admin's"), issue(session, user, "user's")
    listed = client.get(TOKENS, headers=login(client, admin))
    assert listed.status_code == 200
    assert {t["number"] for t in listed.json()} == {mine.token.id, theirs.token.id}
    assert {t["user"] for t in listed.json()} == {admin.username, user.username}
    for t in listed.json():
        assert set(t) == TOKEN_FIELDS
    assert mine.secret not in listed.text
    assert theirs.secret not in listed.text
    # A manager is not an administrator.
    manager = committed(Role.MANAGER)
    assert client.get(TOKENS, headers=login(client, manager)).json() == []


def test_only_an_admin_creates_tokens_for_someone_else(client: TestClient, session: Session,
                                                       committed: Callable[..., User]) -> None:
    admin, user, other = committed(Role.ADMIN), committed(Role.END_USER), committed(Role.END_USER)
    refused = client.post(TOKENS, headers=login(client, user),
                          json={"name": "for other", "user_id": str(other.public_id)})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert session.scalars(select(ApiToken).where(ApiToken.user_id == other.id)).all() == []
    # For oneself, naming oneself, is fine.
    own = client.post(TOKENS, headers=login(client, user),
                      json={"name": "mine", "user_id": str(user.public_id)})
    assert own.status_code == 201

    made = client.post(TOKENS, headers=login(client, admin),
                       json={"name": "for other", "user_id": str(other.public_id)})
    assert made.status_code == 201, made.text
    assert made.json()["user"] == other.username
    me = client.get("/api/v1/users/me", headers={"X-API-Token": made.json()["token"]})
    assert me.json()["username"] == other.username

    with pytest.raises(PermissionDenied):
        create_api_token(session, actor=user, data=ApiTokenCreate(name="x", user_id=other.public_id))


def test_a_user_cannot_see_or_change_someone_elses_token(client: TestClient, session: Session,
                                                         committed: Callable[..., User]) -> None:
    user, other = committed(Role.END_USER), committed(Role.END_USER)
    theirs = issue(session, other)
    headers = login(client, user)
    path = f"{TOKENS}/{theirs.token.public_id}"
    assert client.get(path, headers=headers).status_code == 404
    assert client.patch(path, headers=headers, json={"is_active": False}).status_code == 404
    assert client.delete(path, headers=headers).status_code == 404
    assert row_of(session, theirs).is_active is True


def test_patch_is_active_deactivates_and_reactivates(client: TestClient, session: Session,
                                                     committed: Callable[..., User]) -> None:
    user = committed(Role.DEVOPS_ENGINEER)
    issued = issue(session, user)
    headers = login(client, user)
    path = f"{TOKENS}/{issued.token.public_id}"

    off = client.patch(path, headers=headers, json={"is_active": False})
    assert off.status_code == 200, off.text
    assert off.json()["is_active"] is False
    assert set(off.json()) == TOKEN_FIELDS
    _refused_everywhere(client, issued.secret)

    on = client.patch(path, headers=headers, json={"is_active": True, "name": "Renamed"})
    assert on.json()["is_active"] is True
    assert on.json()["name"] == "Renamed"
    _works_everywhere(client, issued.secret)

    read = client.get(path, headers=headers)
    assert read.status_code == 200
    assert set(read.json()) == TOKEN_FIELDS
    assert issued.secret not in read.text


def test_delete_deactivates_and_keeps_the_record(client: TestClient, session: Session,
                                                 committed: Callable[..., User]) -> None:
    admin, user = committed(Role.ADMIN), committed(Role.END_USER)
    issued = issue(session, user)
    path = f"{TOKENS}/{issued.token.public_id}"
    deleted = client.delete(path, headers=login(client, admin))
    assert deleted.status_code == 204
    assert deleted.content == b""
    _refused_everywhere(client, issued.secret)
    kept = client.get(path, headers=login(client, user))
    assert kept.status_code == 200
    assert kept.json()["is_active"] is False


def test_a_token_may_manage_its_users_tokens(client: TestClient, session: Session,
                                             requester: User) -> None:
    issued = issue(session, requester)
    listed = client.get(TOKENS, headers={"X-API-Token": issued.secret})
    assert listed.status_code == 200
    assert [t["number"] for t in listed.json()] == [issued.token.id]


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "x", "expires_days": 0}, {},
                                  {"name": "x", "token": "tkr_chosen_by_me"}])
def test_bad_token_requests_are_422(client: TestClient, session: Session,
                                    committed: Callable[..., User], body: dict[str, Any]) -> None:
    user = committed(Role.END_USER)
    response = client.post(TOKENS, headers=login(client, user), json=body)
    assert response.status_code == 422, response.text
    assert session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


def test_the_tokens_endpoints_need_authentication(client: TestClient) -> None:
    assert_problem_401(client.get(TOKENS))
    assert_problem_401(client.post(TOKENS, json={"name": "x"}))
    assert_problem_401(client.get(TOKENS, headers={"X-API-Token": "tkr_" + "x" * 43}))
