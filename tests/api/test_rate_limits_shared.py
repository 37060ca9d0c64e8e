"""Two `ticketry serve` processes on one database and one Redis spend one rate-limit budget:
requests split across both servers exhaust it, and then both refuse."""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_database_url
from tests.live_server import live_server
from tests.redis_keys import REDIS_URL, own_key_prefix

GENERAL = 12
AUTHENTICATION = 4


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    with own_key_prefix() as prefix, \
            fresh_database_url(os.environ.get("TICKETRY_DATABASE_URL", ""),
                               sqlite_file=tmp_path / "shared.db",
                               prefix="ticketry_rate_limits") as database_url:
        env = {
            "TICKETRY_DATABASE_URL": database_url,
            "TICKETRY_RATE_LIMIT_ENABLED": "true",
            "TICKETRY_REDIS_URL": REDIS_URL,
            "TICKETRY_RATE_LIMIT_KEY_PREFIX": prefix,
            "TICKETRY_RATE_LIMIT_GENERAL": f"{GENERAL}/hour",
            "TICKETRY_RATE_LIMIT_AUTHENTICATION": f"{AUTHENTICATION}/minute",
        }
        (tmp_path / "one").mkdir()
        (tmp_path / "two").mkdir()
        # One after the other: the first migrates the database the second then finds ready.
        with live_server(tmp_path / "one", env=env) as one, \
                live_server(tmp_path / "two", env=env) as two, \
                httpx.Client(base_url=one.base_url, timeout=30) as first, \
                httpx.Client(base_url=two.base_url, timeout=30) as second:
            yield first, second


def remaining(response: httpx.Response) -> int:
    return int(response.headers["x-ratelimit-remaining"])


def test_requests_split_across_two_servers_spend_one_budget(
        servers: tuple[httpx.Client, httpx.Client]) -> None:
    first, second = servers
    login = first.post("/api/v1/auth/login",
                       json={"username": "admin", "password": "first-admin-password"})
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    alternating = cycle([first, second])
    answers = [next(alternating).get("/api/v1/tickets", headers=headers)
               for _ in range(GENERAL)]
    assert [r.status_code for r in answers] == [200] * GENERAL
    assert [remaining(r) for r in answers] == list(range(GENERAL - 1, -1, -1))
    assert {r.headers["x-ratelimit-limit"] for r in answers} == {str(GENERAL)}

    for server in (first, second):
        refused = server.get("/api/v1/tickets", headers=headers)
        assert refused.status_code == 429
        assert refused.json()["error_code"] == "RATE_LIMIT_EXCEEDED"
        assert int(refused.headers["retry-after"]) >= 1


def test_login_attempts_on_one_account_are_counted_across_servers(
        servers: tuple[httpx.Client, httpx.Client]) -> None:
    first, second = servers
    alternating = cycle([first, second])
    attempts = [next(alternating).post("/api/v1/auth/login",
                                       json={"username": "admin", "password": "guess"})
                for _ in range(AUTHENTICATION + 2)]

    assert [r.status_code for r in attempts] == [401] * AUTHENTICATION + [429, 429]
    assert [remaining(r) for r in attempts] == [3, 2, 1, 0, 0, 0]
    # Even the right password waits now, on either server: the budget is the account's.
    right = second.post("/api/v1/auth/login",
                        json={"username": "admin", "password": "first-admin-password"})
    assert right.status_code == 429
