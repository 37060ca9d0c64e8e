"""enterprise-api.md, "Rate Limiting": limits per user and endpoint category (Authentication
10/minute, General API 1000/hour, File Upload 100/hour, Search 200/hour, Reports 50/hour), the
X-RateLimit-Limit/-Remaining/-Reset headers, and 429 RATE_LIMIT_EXCEEDED.

The shared test app has limiting off; these tests build apps of their own with it on, with the
document's limits or with small ones."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.conformance.enterprise.support import (
    EP,
    Actor,
    assert_error,
    assert_success,
    create_ticket,
    login_response,
)
from tests.factories import PASSWORD

ClientFactory = Callable[..., TestClient]


def _limits(response: Response) -> tuple[int, int, int]:
    return (int(response.headers["x-ratelimit-limit"]),
            int(response.headers["x-ratelimit-remaining"]),
            int(response.headers["x-ratelimit-reset"]))


def test_the_documents_headers_on_a_general_call(make_client: ClientFactory, user: Actor) -> None:
    """X-RateLimit-Limit: 1000, X-RateLimit-Remaining: 999, X-RateLimit-Reset: 1638360000."""
    api = make_client(rate_limit_enabled=True)
    before = int(time.time())

    first = api.get(f"{EP}/tickets", headers=user.headers)
    second = api.get(f"{EP}/tickets", headers=user.headers)

    assert_success(first)
    limit, remaining, reset = _limits(first)
    assert (limit, remaining) == (1000, 999)
    # An epoch second, within the hour's window.
    assert before < reset <= before + 3600 + 1
    assert _limits(second)[:2] == (1000, 998)


def test_each_category_has_the_documents_limit(make_client: ClientFactory, user: Actor) -> None:
    api = make_client(rate_limit_enabled=True)
    ticket = create_ticket(api, user)

    login = login_response(api, user.username, PASSWORD)
    assert_success(login)
    assert _limits(login)[0] == 10
    search = api.post(f"{EP}/tickets/search", headers=user.headers, json={"query": "server"})
    assert_success(search)
    assert _limits(search)[0] == 200
    listing = api.get(f"{EP}/tickets", headers=user.headers, params={"search": "server"})
    assert _limits(listing)[0] == 200
    upload = api.post(f"{EP}/attachments/ticket/{ticket['id']}/upload", headers=user.headers,
                      files={"file": ("log.txt", b"disk full\n", "text/plain")})
    assert_success(upload, 201)
    assert _limits(upload)[0] == 100
    report = api.get(f"{EP}/reports/dashboard", headers=user.headers)
    assert report.status_code == 403  # a user may not read reports, but spent the budget
    assert _limits(report)[0] == 50
    assert _limits(api.get(f"{EP}/tickets/{ticket['id']}", headers=user.headers))[0] == 1000


def test_over_the_limit_is_429_rate_limit_exceeded(make_client: ClientFactory, user: Actor,
                                                   other_user: Actor) -> None:
    """429 "Too Many Requests (rate limit exceeded)", RATE_LIMIT_EXCEEDED, with Retry-After."""
    api = make_client(rate_limit_enabled=True, rate_limit_general="3/minute")
    for remaining in (2, 1, 0):
        response = api.get(f"{EP}/tickets", headers=user.headers)
        assert_success(response)
        assert _limits(response)[:2] == (3, remaining)

    refused = api.get(f"{EP}/tickets", headers=user.headers)

    assert_error(refused, 429, "RATE_LIMIT_EXCEEDED")
    limit, remaining, reset = _limits(refused)
    assert (limit, remaining) == (3, 0)
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert reset >= int(time.time())
    # Per user: another user has a budget of their own.
    assert_success(api.get(f"{EP}/tickets", headers=other_user.headers))


def test_categories_are_counted_apart(make_client: ClientFactory, user: Actor) -> None:
    api = make_client(rate_limit_enabled=True, rate_limit_search="2/minute")
    for _ in range(2):
        assert_success(api.post(f"{EP}/tickets/search", headers=user.headers, json={"query": "x"}))
    assert_error(api.post(f"{EP}/tickets/search", headers=user.headers, json={"query": "x"}),
                 429, "RATE_LIMIT_EXCEEDED")
    assert_success(api.get(f"{EP}/tickets", headers=user.headers))


@pytest.mark.parametrize("category", ["reports", "file_upload"])
def test_reports_and_uploads_are_limited_too(make_client: ClientFactory, manager: Actor,
                                             category: str) -> None:
    api = make_client(rate_limit_enabled=True, **{f"rate_limit_{category}": "1/minute"})
    ticket = create_ticket(api, manager)

    def call() -> Response:
        if category == "reports":
            return api.get(f"{EP}/reports/dashboard", headers=manager.headers)
        return api.post(f"{EP}/attachments/ticket/{ticket['id']}/upload", headers=manager.headers,
                        files={"file": ("log.txt", b"disk full\n", "text/plain")})

    assert call().status_code in (200, 201)
    assert_error(call(), 429, "RATE_LIMIT_EXCEEDED")


def test_login_attempts_are_limited_per_username(make_client: ClientFactory, user: Actor,
                                                 other_user: Actor) -> None:
    """Authentication: one attacked account does not lock out the others."""
    api = make_client(rate_limit_enabled=True, rate_limit_authentication="3/minute")
    for _ in range(3):
        assert_error(login_response(api, user.username, "wrong-password"), 401,
                     "AUTHENTICATION_REQUIRED")

    assert_error(login_response(api, user.username, PASSWORD), 429, "RATE_LIMIT_EXCEEDED")
    assert_success(login_response(api, other_user.username, PASSWORD))
