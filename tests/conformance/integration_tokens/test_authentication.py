"""## Authentication: "All API requests must include a valid API token", in one of three ways."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.conformance.integration_tokens.conftest import IssueToken
from tests.conformance.integration_tokens.support import (
    LIST,
    assert_error,
    bearer,
    detail_path,
)
from tests.factories import login, make_user
from ticketry.db import utcnow
from ticketry.domain.api_tokens.models import ApiToken
from ticketry.domain.api_tokens.service import hash_token, set_api_token_active
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Role, User

Way = Callable[[TestClient, str, str], Response]


def _authorization_header(client: TestClient, path: str, token: str) -> Response:
    # 1. curl -H "Authorization: Bearer YOUR_TOKEN_HERE" http://127.0.0.1:8000/api/tickets/
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def _x_api_token_header(client: TestClient, path: str, token: str) -> Response:
    # 2. curl -H "X-API-Token: YOUR_TOKEN_HERE" http://127.0.0.1:8000/api/tickets/
    return client.get(path, headers={"X-API-Token": token})


def _query_parameter(client: TestClient, path: str, token: str) -> Response:
    # 3. curl "http://127.0.0.1:8000/api/tickets/?token=YOUR_TOKEN_HERE"
    return client.get(f"{path}?token={token}")


WAYS = pytest.mark.parametrize("way", [_authorization_header, _x_api_token_header, _query_parameter],
                               ids=["authorization-bearer", "x-api-token", "query-token"])
ENDPOINTS = pytest.mark.parametrize("endpoint", ["list", "detail"])


def _path(endpoint: str, ticket: Ticket) -> str:
    return LIST if endpoint == "list" else detail_path(ticket.key)


@WAYS
@ENDPOINTS
def test_each_documented_way_of_passing_the_token_works(
        client: TestClient, admin_token: str, ticket: Ticket, way: Way, endpoint: str) -> None:
    response = way(client, _path(endpoint, ticket), admin_token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    if endpoint == "list":
        assert [t["ticket_number"] for t in body["tickets"]] == [ticket.key]
    else:
        assert body["ticket"]["ticket_number"] == ticket.key


@ENDPOINTS
def test_a_missing_token_is_401(client: TestClient, ticket: Ticket, endpoint: str) -> None:
    assert_error(client.get(_path(endpoint, ticket)), 401)
    # A header with nothing in it is no token either.
    assert_error(client.get(_path(endpoint, ticket), headers={"X-API-Token": ""}), 401)
    assert_error(client.get(_path(endpoint, ticket) + "?token="), 401)


@WAYS
@ENDPOINTS
@pytest.mark.parametrize("token", ["tkr_" + "x" * 43, "YOUR_TOKEN_HERE", "not a token"])
def test_an_invalid_token_is_401(client: TestClient, ticket: Ticket, way: Way, endpoint: str,
                                 token: str) -> None:
    body = assert_error(way(client, _path(endpoint, ticket), token), 401)
    assert "tickets" not in body
    assert "ticket" not in body


def test_the_401_says_which_scheme_to_use(client: TestClient) -> None:
    response = client.get(LIST)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_token_that_is_almost_right_is_refused(client: TestClient, admin_token: str) -> None:
    assert client.get(LIST, headers=bearer(admin_token)).status_code == 200
    assert_error(client.get(LIST, headers=bearer(admin_token[:-1])), 401)
    assert_error(client.get(LIST, headers=bearer(admin_token + "x")), 401)
    assert_error(client.get(LIST, headers=bearer(admin_token.upper())), 401)


@WAYS
@ENDPOINTS
def test_a_deactivated_token_is_401_at_once(client: TestClient, session: Session, admin_token: str,
                                           ticket: Ticket, way: Way, endpoint: str) -> None:
    path = _path(endpoint, ticket)
    assert way(client, path, admin_token).status_code == 200
    set_api_token_active(session, actor=None, ref=admin_token, active=False)
    session.commit()
    body = assert_error(way(client, path, admin_token), 401)
    assert "deactivated" in (body["detail"] or body["error"])

    set_api_token_active(session, actor=None, ref=admin_token, active=True)
    session.commit()
    assert way(client, path, admin_token).status_code == 200


@WAYS
@ENDPOINTS
def test_an_expired_token_is_401(client: TestClient, session: Session, issue_token: IssueToken,
                                 admin: User, ticket: Ticket, way: Way, endpoint: str) -> None:
    # "Consider setting expiration dates for tokens used in temporary integrations"
    token = issue_token(admin, name="Temporary integration", expires_days=1)
    path = _path(endpoint, ticket)
    assert way(client, path, token).status_code == 200
    session.execute(update(ApiToken).where(ApiToken.token_hash == hash_token(token))
                    .values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    body = assert_error(way(client, path, token), 401)
    assert "expired" in (body["detail"] or body["error"])


def test_the_token_of_a_deactivated_user_is_401(client: TestClient, session: Session,
                                                issue_token: IssueToken) -> None:
    user = make_user(session, Role.DEVOPS_ENGINEER)
    token = issue_token(user)
    assert client.get(LIST, headers=bearer(token)).status_code == 200
    user.is_active = False
    session.commit()
    assert_error(client.get(LIST, headers=bearer(token)), 401)


def test_a_login_access_token_is_not_an_api_token(client: TestClient, admin: User) -> None:
    """"All API endpoints require authentication via API tokens"."""
    headers = login(client, admin)
    assert_error(client.get(LIST, headers=headers), 401)


def test_the_token_acts_as_its_user_and_sees_what_that_user_may_see(
        client: TestClient, session: Session, issue_token: IssueToken, admin: User,
        new_ticket: Callable[..., Ticket]) -> None:
    alice = make_user(session, Role.END_USER, full_name="Alice Requester")
    bob = make_user(session, Role.END_USER, full_name="Bob Requester")
    agent = make_user(session, Role.DEVOPS_ENGINEER)
    alices = [new_ticket(alice, title="Alice's laptop"), new_ticket(alice, title="Alice's VPN")]
    bobs = new_ticket(bob, title="Bob's printer")
    for_alice = new_ticket(agent, title="Filed for Alice", requester_id=alice.public_id)
    alice_token, agent_token = issue_token(alice), issue_token(agent)

    mine = client.get(LIST, headers=bearer(alice_token)).json()
    assert mine["count"] == 3
    assert {t["ticket_number"] for t in mine["tickets"]} == {t.key for t in [*alices, for_alice]}
    assert {t["created_by"] for t in mine["tickets"]} == {"Alice Requester"}
    assert_error(client.get(detail_path(bobs.key), headers=bearer(alice_token)), 404)
    assert client.get(detail_path(alices[0].key), headers=bearer(alice_token)).status_code == 200

    everything = client.get(LIST, headers=bearer(agent_token)).json()
    assert everything["count"] == 4
    assert client.get(detail_path(bobs.key), headers=bearer(agent_token)).status_code == 200


def test_the_token_follows_its_users_role(client: TestClient, session: Session,
                                          issue_token: IssueToken, admin: User,
                                          new_ticket: Callable[..., Ticket]) -> None:
    user = make_user(session, Role.END_USER)
    new_ticket(admin, title="Someone else's ticket")
    token = issue_token(user)
    assert client.get(LIST, headers=bearer(token)).json()["count"] == 0
    user.role = Role.DEVOPS_ENGINEER.value
    session.commit()
    assert client.get(LIST, headers=bearer(token)).json()["count"] == 1

