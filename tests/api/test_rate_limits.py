"""Rate limits: per user and category, headers on every limited answer, 429 in the API's own
shape, login attempts per username plus a wider per-address cap, and what happens without Redis.

The shared app of the other tests has limits off; each test here builds an app with them on and
budgets small enough to spend (the memory counters belong to that app alone)."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from limits import parse
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from structlog.testing import capture_logs

from tests.api.conftest import assert_problem
from tests.conftest import BoundDatabase
from tests.factories import PASSWORD, make_ticket, make_user
from tests.live_server import free_port
from tests.redis_keys import REDIS_URL, own_key_prefix
from ticketry.api.app import create_app
from ticketry.api.middleware import RequestContextMiddleware, WriteGate
from ticketry.api.rate_limits import (
    Count,
    MemoryCounters,
    RateLimiter,
    RateLimitMiddleware,
    RateLimitSettingsError,
    SharedCounters,
)
from ticketry.config import Settings
from ticketry.domain.api_tokens.service import create_api_token_for
from ticketry.domain.users.models import Role, User

API = "/api/v1"
LIMITS = {
    "rate_limit_enabled": True,
    "rate_limit_general": "5/minute",
    "rate_limit_search": "2/minute",
    "rate_limit_file_upload": "2/minute",
    "rate_limit_reports": "3/minute",
    "rate_limit_authentication": "3/minute",
    "rate_limit_authentication_per_address": "20/minute",
    "redis_url": None,
}


def limited_settings(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update={**LIMITS, **overrides})


@pytest.fixture
def limited(settings: Settings, db: BoundDatabase) -> Iterator[TestClient]:
    """A client of an app with small budgets in its own memory."""
    with TestClient(create_app(limited_settings(settings), db), base_url="http://127.0.0.1") as c:
        yield c


def bearer(client: TestClient, user: User) -> dict[str, str]:
    response = client.post(f"{API}/auth/login",
                           json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def budget(response: Any) -> tuple[int, int]:
    return int(response.headers["x-ratelimit-limit"]), int(response.headers["x-ratelimit-remaining"])


def spend(client: TestClient, times: int, method: str, url: str, **kwargs: Any) -> list[Any]:
    return [client.request(method, url, **kwargs) for _ in range(times)]


def login_attempt(client: TestClient, username: str, password: str = "wrong-password") -> Any:
    return client.post(f"{API}/auth/login", json={"username": username, "password": password})


# --------------------------------------------------------------------------- headers and 429

def test_every_canonical_answer_carries_its_budget(limited: TestClient, session: Session) -> None:
    user = make_user(session)
    ticket = make_ticket(session, user)
    headers = bearer(limited, user)

    before = time.time()
    ok = limited.get(f"{API}/tickets/{ticket.public_id}", headers=headers)
    missing = limited.get(f"{API}/tickets/{uuid.uuid4()}", headers=headers)
    invalid = limited.post(f"{API}/tickets", json={"title": ""}, headers=headers)

    assert (ok.status_code, missing.status_code, invalid.status_code) == (200, 404, 422)
    assert [budget(r) for r in (ok, missing, invalid)] == [(5, 4), (5, 3), (5, 2)]
    # The moving window frees its oldest request a minute after it was made (epoch seconds).
    reset = int(ok.headers["x-ratelimit-reset"])
    assert before + 60 <= reset <= time.time() + 61
    assert "retry-after" not in ok.headers


def test_a_spent_budget_is_refused_with_retry_after_and_a_problem(
        limited: TestClient, session: Session) -> None:
    user = make_user(session)
    headers = bearer(limited, user)
    answers = spend(limited, 6, "GET", f"{API}/tickets", headers=headers)

    assert [r.status_code for r in answers] == [200] * 5 + [429]
    refused = answers[-1]
    body = assert_problem(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert "5 per 1 minute" in body["detail"]
    assert body["instance"] == f"{API}/tickets"
    assert budget(refused) == (5, 0)
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert int(refused.headers["x-ratelimit-reset"]) >= time.time()
    # Refused requests do not prolong the wait.
    again = limited.get(f"{API}/tickets", headers=headers)
    assert again.status_code == 429
    assert again.headers["x-ratelimit-reset"] == refused.headers["x-ratelimit-reset"]


def test_each_category_has_a_budget_of_its_own(limited: TestClient, session: Session) -> None:
    user = make_user(session)
    ticket = make_ticket(session, user)
    headers = bearer(limited, user)
    upload = f"{API}/tickets/{ticket.public_id}/attachments"

    general = spend(limited, 6, "GET", f"{API}/tickets", headers=headers)
    assert general[-1].status_code == 429

    searches = spend(limited, 3, "GET", f"{API}/tickets", params={"search": "disk"},
                     headers=headers)
    assert [budget(r) for r in searches[:2]] == [(2, 1), (2, 0)]
    assert searches[-1].status_code == 429
    posted_search = limited.post(f"{API}/tickets/search", json={"query": "disk"}, headers=headers)
    assert posted_search.status_code == 429
    assert budget(posted_search) == (2, 0)

    uploaded = limited.post(upload, files={"file": ("df.txt", b"/dev/sda1 100%\n", "text/plain")},
                            headers=headers)
    assert uploaded.status_code == 201, uploaded.text
    assert budget(uploaded) == (2, 1)
    imported = limited.post(f"{API}/tickets/import", files={"file": ("t.csv", b"title\n")},
                            headers=headers)
    assert budget(imported) == (2, 0)

    report = limited.get(f"{API}/reports/dashboard", headers=headers)
    assert budget(report) == (3, 2)
    # Listing attachments is no upload, and an empty search is a plain list.
    assert limited.get(upload, headers=headers).status_code == 429
    assert limited.get(f"{API}/tickets", params={"search": " "}, headers=headers).status_code == 429


def test_users_do_not_share_a_budget(limited: TestClient, session: Session) -> None:
    alice, bob = make_user(session), make_user(session)
    alice_headers, bob_headers = bearer(limited, alice), bearer(limited, bob)
    assert spend(limited, 6, "GET", f"{API}/users/me", headers=alice_headers)[-1].status_code == 429

    answer = limited.get(f"{API}/users/me", headers=bob_headers)
    assert answer.status_code == 200
    assert budget(answer) == (5, 4)


def test_requests_without_credentials_or_with_a_forged_token_spend_the_address_budget(
        limited: TestClient, session: Session) -> None:
    user = make_user(session)
    forged = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"}
    answers = [limited.get(f"{API}/tickets"), limited.get(f"{API}/tickets", headers=forged)]
    answers += spend(limited, 4, "GET", f"{API}/tickets")

    assert [r.status_code for r in answers] == [401] * 5 + [429]
    assert [budget(r)[1] for r in answers] == [4, 3, 2, 1, 0, 0]
    # A genuine user from the same address is unaffected.
    assert limited.get(f"{API}/tickets", headers=bearer(limited, user)).status_code == 200


def test_api_tokens_spend_a_budget_per_token(limited: TestClient, session: Session) -> None:
    user = make_user(session, Role.DEVOPS_ENGINEER)
    first = create_api_token_for(session, username=user.username, name="ci", expires_days=None)
    second = create_api_token_for(session, username=user.username, name="cd", expires_days=None)
    session.commit()

    by_header = spend(limited, 3, "GET", f"{API}/tickets", headers={"X-API-Token": first.secret})
    as_bearer = spend(limited, 3, "GET", f"{API}/tickets",
                      headers={"Authorization": f"Bearer {first.secret}"})
    assert [r.status_code for r in by_header + as_bearer] == [200] * 5 + [429]

    other = limited.get(f"{API}/tickets", headers={"X-API-Token": second.secret})
    assert other.status_code == 200
    assert budget(other) == (5, 4)
    assert limited.get(f"{API}/tickets", headers=bearer(limited, user)).status_code == 200
    # Requests without credentials from the same address spend a budget of their own.
    assert spend(limited, 6, "GET", f"{API}/tickets")[-1].status_code == 429
    assert limited.get(f"{API}/tickets", headers={"X-API-Token": second.secret}).status_code == 200


def test_made_up_api_tokens_spend_their_address_budget(limited: TestClient) -> None:
    """Each made-up token would otherwise bring a budget of its own."""
    answers = [limited.get(f"{API}/tickets", headers={"X-API-Token": f"tkr_{uuid.uuid4().hex}"})
               for _ in range(6)]

    assert [r.status_code for r in answers] == [401] * 5 + [429]
    body = assert_problem(answers[-1], 429, "RATE_LIMIT_EXCEEDED")
    assert "from this address" in body["detail"]
    assert budget(answers[-1]) == (5, 0)
    # Requests without credentials are another budget.
    assert limited.get(f"{API}/tickets").status_code == 401


# --------------------------------------------------------------------------- authentication

def test_an_attacked_account_does_not_lock_out_the_others(limited: TestClient,
                                                          session: Session) -> None:
    alice, bob = make_user(session), make_user(session)
    attempts = [login_attempt(limited, alice.username) for _ in range(3)]
    assert [r.status_code for r in attempts] == [401] * 3
    assert [budget(r) for r in attempts] == [(3, 2), (3, 1), (3, 0)]

    # Alice's budget is spent, even with the right password, in any spelling or form.
    assert login_attempt(limited, alice.username, PASSWORD).status_code == 429
    assert login_attempt(limited, f" {alice.username.upper()} ", PASSWORD).status_code == 429
    form = limited.post(f"{API}/auth/token",
                        data={"username": alice.username, "password": PASSWORD})
    assert_problem(form, 429, "RATE_LIMIT_EXCEEDED")

    welcome = login_attempt(limited, bob.username, PASSWORD)
    assert welcome.status_code == 200, welcome.text
    assert budget(welcome) == (3, 2)


def test_password_spraying_meets_the_per_address_cap(settings: Settings, db: BoundDatabase,
                                                     session: Session) -> None:
    users = [make_user(session) for _ in range(8)]
    app = create_app(limited_settings(settings, rate_limit_authentication_per_address="7/minute"),
                     db)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        attempts = [login_attempt(client, user.username) for user in users]

    assert [r.status_code for r in attempts] == [401] * 7 + [429]
    # The scarcer budget is the one reported: the address's, once it runs lower.
    assert budget(attempts[0]) == (3, 2)
    assert budget(attempts[5]) == (7, 1)
    body = assert_problem(attempts[-1], 429, "RATE_LIMIT_EXCEEDED")
    assert "from this address" in body["detail"]
    assert budget(attempts[-1]) == (7, 0)


def test_login_bodies_reach_the_app_intact_however_they_arrive(limited: TestClient,
                                                               session: Session) -> None:
    user = make_user(session)

    def chunks() -> Iterator[bytes]:  # sent without Content-Length
        yield b'{"username": "' + user.username.encode()
        yield b'", "password": "' + PASSWORD.encode() + b'"}'

    chunked = limited.post(f"{API}/auth/login", content=chunks(),
                           headers={"Content-Type": "application/json"})
    form = limited.post(f"{API}/auth/token", data={"username": user.username, "password": PASSWORD})
    assert (chunked.status_code, form.status_code) == (200, 200), (chunked.text, form.text)
    assert budget(form) == (3, 1)


def test_unreadable_login_attempts_share_one_budget(limited: TestClient, session: Session) -> None:
    user = make_user(session)
    multipart = [limited.post(f"{API}/auth/token", files={"username": (None, f"user{i}"),
                                                          "password": (None, "x")})
                 for i in range(4)]
    assert [r.status_code for r in multipart] == [401, 401, 401, 429]
    assert login_attempt(limited, user.username, PASSWORD).status_code == 200


def test_refresh_is_counted_for_the_token_owner(limited: TestClient, session: Session) -> None:
    alice, bob = make_user(session), make_user(session)
    tokens = limited.post(f"{API}/auth/login",
                          json={"username": alice.username, "password": PASSWORD}).json()
    refreshed = limited.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    assert budget(refreshed) == (3, 2)  # alice's first refresh; the login is a username's budget
    for _ in range(2):
        refreshed = limited.post(f"{API}/auth/refresh",
                                 json={"refresh_token": refreshed.json()["refresh_token"]})
    assert budget(refreshed) == (3, 0)
    assert limited.post(f"{API}/auth/refresh", json={"refresh_token": "forged"}).status_code == 401
    assert login_attempt(limited, bob.username, PASSWORD).status_code == 200


# --------------------------------------------------------------------------- scope and settings

def test_documentation_health_and_other_dialects_are_never_limited(
        limited: TestClient, session: Session) -> None:
    spend(limited, 5, "GET", f"{API}/tickets")
    assert limited.get(f"{API}/tickets").status_code == 429

    for url in ("/health", "/docs", "/openapi.json", "/healthcare/tickets/",
                "/support/api/tickets", "/api/tickets"):
        answers = spend(limited, 6, "GET", url)
        assert all(r.status_code != 429 for r in answers), url
        assert "x-ratelimit-limit" not in answers[-1].headers, url


@pytest.mark.parametrize(("method", "path", "query", "category"), [
    ("POST", "/api/v1/auth/login", b"", "authentication"),
    ("POST", "/api/v1/auth/token", b"", "authentication"),
    ("POST", "/api/v1/auth/refresh/", b"", "authentication"),
    ("POST", "/api/v1/auth/logout", b"", "general"),
    ("POST", "/api/v1/tickets/9b2d/attachments", b"", "file_upload"),
    ("GET", "/api/v1/tickets/9b2d/attachments", b"", "general"),
    ("POST", "/api/v1/tickets/import", b"", "file_upload"),
    ("POST", "/api/v1/tickets/search", b"", "search"),
    ("GET", "/api/v1/tickets", b"status=open&search=disk", "search"),
    ("GET", "/api/v1/tickets", b"search=", "general"),
    ("GET", "/api/v1/tickets/export/incremental", b"search=x", "general"),
    ("GET", "/api/v1/reports/export", b"format=csv", "reports"),
    ("GET", "/api/v1/reports/dashboard", b"", "reports"),
    ("GET", "/api/v1", b"", "general"),
    ("POST", "/enterprise/auth/login", b"", "authentication"),
    ("POST", "/enterprise/auth/refresh", b"", "authentication"),
    ("POST", "/enterprise/auth/token", b"", "general"),
    ("POST", "/enterprise/attachments/ticket/12/upload", b"", "file_upload"),
    ("POST", "/enterprise/tickets/search", b"", "search"),
    ("GET", "/enterprise/tickets", b"search=vpn&page=2", "search"),
    ("GET", "/enterprise/reports/dashboard", b"", "reports"),
    ("POST", "/enterprise/approvals/bulk-action", b"", "general"),
    ("GET", "/enterprise/health", b"", None),
    ("GET", "/enterprise/openapi.json", b"", None),
    ("GET", "/enterprises/tickets", b"", None),
    ("POST", "/healthcare/token", b"", None),
    ("POST", "/support/api/tickets", b"", None),
    ("GET", "/health", b"", None),
])
def test_requests_fall_into_the_documented_categories(
        settings: Settings, method: str, path: str, query: bytes, category: str | None) -> None:
    limiter = RateLimiter(limited_settings(settings, enterprise_api_enabled=True,
                                           enterprise_api_prefix="/enterprise"))
    assert limiter.category_of(method, path, query) == category


def test_the_enterprise_mount_can_be_moved_or_switched_off(settings: Settings) -> None:
    moved = RateLimiter(limited_settings(settings, enterprise_api_prefix="/desk/"))
    assert moved.category_of("POST", "/desk/auth/login", b"") == "authentication"
    assert moved.category_of("POST", "/enterprise/auth/login", b"") is None
    off = RateLimiter(limited_settings(settings, enterprise_api_enabled=False))
    assert off.category_of("GET", "/enterprise/tickets", b"") is None


def test_switched_off_nothing_is_counted(settings: Settings, db: BoundDatabase) -> None:
    app = create_app(limited_settings(settings, rate_limit_enabled=False), db)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        answers = spend(client, 7, "GET", f"{API}/tickets")
    assert [r.status_code for r in answers] == [401] * 7
    assert "x-ratelimit-limit" not in answers[-1].headers


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("rate_limit_search", "200/fortnight", "TICKETRY_RATE_LIMIT_SEARCH='200/fortnight' is not"),
    ("rate_limit_general", "lots", "TICKETRY_RATE_LIMIT_GENERAL='lots' is not a rate limit"),
    ("rate_limit_reports", "5/minute;50/hour", "one amount per window"),
    ("rate_limit_authentication", "0/minute", "TICKETRY_RATE_LIMIT_ENABLED=false"),
    ("redis_url", "http://127.0.0.1:6379", "TICKETRY_REDIS_URL='http://127.0.0.1:6379'"),
])
def test_unusable_settings_stop_the_app_from_being_built(
        settings: Settings, db: BoundDatabase, setting: str, value: str, message: str) -> None:
    with pytest.raises(RateLimitSettingsError, match=re.escape(message)):
        create_app(limited_settings(settings, **{setting: value}), db)


# --------------------------------------------------------------------------- other APIs' words

def test_a_refusal_speaks_the_language_of_the_api_at_its_prefix(settings: Settings) -> None:
    """The enterprise mount registers its `raw_error_body`; a refusal under it uses it."""

    def enterprise_error(status: int, code: str, detail: str) -> tuple[bytes, str]:
        return f'{{"success": false, "code": "{code}", "status": {status}}}'.encode(), \
            "application/json"

    async def ok(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    limiter = RateLimiter(limited_settings(settings, rate_limit_general="1/minute"))
    app: Any = Starlette(routes=[Route("/enterprise/tickets", ok),
                                 Route("/api/v1/tickets", ok)])
    app = RateLimitMiddleware(app, limiter=limiter,
                              error_bodies=[("/enterprise", enterprise_error)])
    app = RequestContextMiddleware(app, max_body_size=1024, write_gate=WriteGate(False))
    with TestClient(app) as client:
        assert client.get("/enterprise/tickets").status_code == 200
        refused = client.get("/enterprise/tickets")
        canonical = client.get("/api/v1/tickets")

    assert refused.status_code == 429
    assert refused.json() == {"success": False, "code": "rate_limit_exceeded", "status": 429}
    assert budget(refused) == (1, 0)
    assert "retry-after" in refused.headers
    assert "x-request-id" in refused.headers
    # One budget per user and category, whichever API the request went through.
    assert_problem(canonical, 429, "RATE_LIMIT_EXCEEDED")


# --------------------------------------------------------------------------- Redis

@pytest.fixture
def redis_prefix() -> Iterator[str]:
    with own_key_prefix() as prefix:
        yield prefix


def test_two_apps_on_one_redis_spend_one_budget(settings: Settings, db: BoundDatabase,
                                                session: Session, redis_prefix: str) -> None:
    user = make_user(session)
    shared = limited_settings(settings, redis_url=REDIS_URL, rate_limit_key_prefix=redis_prefix)
    with TestClient(create_app(shared, db), base_url="http://127.0.0.1") as one, \
            TestClient(create_app(shared, db), base_url="http://127.0.0.1") as two:
        headers = bearer(one, user)
        answers = [(one if i % 2 else two).get(f"{API}/tickets", headers=headers)
                   for i in range(6)]
        assert [r.status_code for r in answers] == [200] * 5 + [429]
        assert [budget(r)[1] for r in answers] == [4, 3, 2, 1, 0, 0]
        # The login spent one username's budget, in Redis too.
        assert budget(login_attempt(two, user.username)) == (3, 1)


def test_without_redis_each_process_limits_on_its_own_and_says_so_once(
        settings: Settings, db: BoundDatabase, session: Session) -> None:
    """Fail open to memory counters: answers keep coming, still limited, one log line."""
    user = make_user(session)
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(limited_settings(settings, redis_url=unreachable), db)
    with capture_logs() as logs, \
            TestClient(app, base_url="http://127.0.0.1") as client:
        headers = bearer(client, user)
        answers = spend(client, 6, "GET", f"{API}/tickets", headers=headers)

    assert [r.status_code for r in answers] == [200] * 5 + [429]
    assert [budget(r)[1] for r in answers] == [4, 3, 2, 1, 0, 0]
    outages = [e for e in logs if e["event"] == "rate_limit_storage_unreachable"]
    assert len(outages) == 1
    assert outages[0]["log_level"] == "error"
    assert outages[0]["fallback"] == "per-process memory counters"


class FlakyRedis:
    """Stands in for Redis: down for the first `failures` calls, then up."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.memory = MemoryCounters()
        self.calls = 0

    async def hit(self, item: Any, *identifiers: str) -> Count:
        self.calls += 1
        if self.calls <= self.failures:
            raise RedisConnectionError("Connection refused")
        return await self.memory.hit(item, *identifiers)

    async def peek(self, item: Any, *identifiers: str) -> Count:
        return await self.memory.peek(item, *identifiers)

    async def close(self) -> None:
        pass


def test_an_outage_is_logged_when_it_begins_and_when_it_ends() -> None:
    shared, fallback = FlakyRedis(failures=3), MemoryCounters()
    counters = SharedCounters(shared, fallback, retry_seconds=0)
    item = parse("10/minute")

    async def five_requests() -> list[Count]:
        return [await counters.hit(item, "general", "user:a") for _ in range(5)]

    with capture_logs() as logs:
        counts = asyncio.run(five_requests())

    assert shared.calls == 5  # tried again each time (retry_seconds=0), answered from the 4th
    assert [c.remaining for c in counts] == [9, 8, 7, 9, 8]  # memory, memory, memory, Redis…
    assert [e["event"] for e in logs] == ["rate_limit_storage_unreachable",
                                          "rate_limit_storage_reachable_again"]
    assert counters.outage_began is None


def test_during_an_outage_redis_is_not_asked_on_every_request() -> None:
    shared = FlakyRedis(failures=100)
    counters = SharedCounters(shared, MemoryCounters(), retry_seconds=3600)
    item = parse("10/minute")

    async def five_requests() -> list[Count]:
        return [await counters.hit(item, "general", "user:a") for _ in range(5)]

    assert [c.remaining for c in asyncio.run(five_requests())] == [9, 8, 7, 6, 5]
    assert shared.calls == 1
