"""Rate limits per user and category (the enterprise document's table), as pure ASGI middleware.

Which requests: the canonical API and the enterprise mount (the other dialects' documents
promise no limits). Whose budget: the user of a genuine access token (its signature is checked,
no database query), an API token (by its hash; tokens the app refuses are also charged to their
address, or made-up tokens would each bring a fresh budget), or else the client address. Login
attempts are counted per username attempted, so an attack on one account does not lock out the
others, and per address, more widely, against password spraying; every attempt spends both.

Counters live in process memory, or in Redis when `TICKETRY_REDIS_URL` is set, so that every
process spends one budget. When Redis cannot be reached the limits fail open to each process's
own memory counters: the service stays up and still limited (per process, so a budget is at most
multiplied by the number of processes), rather than refusing everyone or limiting nobody. The
outage is logged once, when it begins, and again when Redis answers; meanwhile Redis is tried
again every few seconds, not on every request.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Literal, Protocol
from urllib.parse import parse_qsl

import redis.asyncio
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketry.api.middleware import ErrorBody
from ticketry.api.problems import problem_response
from ticketry.config import Settings
from ticketry.domain.api_tokens.service import hash_token, looks_like_api_token
from ticketry.domain.auth.service import token_subject
from ticketry.log import get_logger

log = get_logger("ticketry.rate_limits")

Category = Literal["authentication", "general", "file_upload", "search", "reports"]
CATEGORIES: tuple[Category, ...] = ("authentication", "general", "file_upload", "search",
                                    "reports")
# The wider authentication budget of one client address, whatever usernames it tries.
AUTHENTICATION_PER_ADDRESS = "authentication_per_address"

CANONICAL_PREFIX = "/api/v1"
# Served by the app or a mount, never limited: monitoring and documentation.
_UNLIMITED_SUFFIXES = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/redoc",
                                 "/openapi.json"})
# While Redis is unreachable, how long to count in memory before trying it again.
REDIS_RETRY_SECONDS = 5.0
# A Redis that does not answer quickly is treated as down (the request must not wait on it).
REDIS_TIMEOUT_SECONDS = 0.5


class RateLimitSettingsError(ValueError):
    """A rate-limit setting that cannot be used; raised when the app is built."""


@dataclass(frozen=True, slots=True)
class Count:
    """One budget after a request: whether it was admitted and what is left."""

    allowed: bool
    limit: int
    remaining: int
    reset: float  # epoch seconds when the next request will fit again
    item: RateLimitItem
    per_address: bool = False


@dataclass(frozen=True, slots=True)
class Charge:
    """A budget a request draws on: a limit (category) and whose budget it is."""

    limit: str
    key: str
    per_address: bool = False
    # Only looked at, not spent (the address's refused API tokens, spent after a 401).
    spend: bool = True


class Counters(Protocol):
    async def hit(self, item: RateLimitItem, *identifiers: str) -> Count: ...

    async def peek(self, item: RateLimitItem, *identifiers: str) -> Count: ...

    async def close(self) -> None: ...


class MemoryCounters:
    """This process's counters. Pure memory, no I/O, so called straight from the event loop."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def hit(self, item: RateLimitItem, *identifiers: str) -> Count:
        allowed = self._limiter.hit(item, *identifiers)
        reset, remaining = self._limiter.get_window_stats(item, *identifiers)
        return Count(allowed, item.amount, max(remaining, 0), reset, item)

    async def peek(self, item: RateLimitItem, *identifiers: str) -> Count:
        reset, remaining = self._limiter.get_window_stats(item, *identifiers)
        return Count(remaining > 0, item.amount, max(remaining, 0), reset, item)

    async def close(self) -> None:
        pass


class RedisCounters:
    """Counters every process shares; raises `RedisError`/`OSError` when Redis cannot answer."""

    def __init__(self, url: str, *, key_prefix: str) -> None:
        try:
            # Our own pool: no retries with back-off (redis-py's default) and short timeouts,
            # so an outage costs a request at most one quick failure.
            self._pool = redis.asyncio.ConnectionPool.from_url(
                url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS)
        except ValueError as exc:
            raise RateLimitSettingsError(
                f"TICKETRY_REDIS_URL={url!r} is not a Redis URL (redis://host:port/db, "
                f"rediss://… or unix:///path): {exc}") from exc
        scheme, _, rest = url.partition("://")
        uri = f"async+{'redis+unix' if scheme == 'unix' else scheme}://{rest}"
        storage = RedisStorage(uri, implementation="redispy", key_prefix=key_prefix,
                               wrap_exceptions=True,
                               # limits passes the pool to redis-py; its option types are narrow.
                               connection_pool=self._pool)  # type: ignore[arg-type]
        self._limiter = AsyncMovingWindow(storage)

    async def hit(self, item: RateLimitItem, *identifiers: str) -> Count:
        allowed = await self._limiter.hit(item, *identifiers)
        reset, remaining = await self._limiter.get_window_stats(item, *identifiers)
        return Count(allowed, item.amount, max(remaining, 0), reset, item)

    async def peek(self, item: RateLimitItem, *identifiers: str) -> Count:
        reset, remaining = await self._limiter.get_window_stats(item, *identifiers)
        return Count(remaining > 0, item.amount, max(remaining, 0), reset, item)

    async def close(self) -> None:
        await self._pool.disconnect()


class SharedCounters:
    """Redis while it answers; this process's memory while it does not (see the module note)."""

    def __init__(self, shared: Counters, fallback: Counters, *,
                 retry_seconds: float = REDIS_RETRY_SECONDS) -> None:
        self.shared = shared
        self.fallback = fallback
        self.retry_seconds = retry_seconds
        self.outage_began: float | None = None
        self._retry_at = 0.0

    async def hit(self, item: RateLimitItem, *identifiers: str) -> Count:
        return await self._count(self.shared.hit, self.fallback.hit, item, identifiers)

    async def peek(self, item: RateLimitItem, *identifiers: str) -> Count:
        return await self._count(self.shared.peek, self.fallback.peek, item, identifiers)

    async def _count(self, shared: Callable[..., Awaitable[Count]],
                     fallback: Callable[..., Awaitable[Count]], item: RateLimitItem,
                     identifiers: tuple[str, ...]) -> Count:
        now = time.monotonic()
        if self.outage_began is None or now >= self._retry_at:
            try:
                count = await shared(item, *identifiers)
            except (RedisError, StorageError, OSError) as exc:
                if self.outage_began is None:
                    self.outage_began = now
                    log.error("rate_limit_storage_unreachable", error=str(exc),
                              fallback="per-process memory counters",
                              retry_seconds=self.retry_seconds)
                self._retry_at = now + self.retry_seconds
            else:
                if self.outage_began is not None:
                    log.warning("rate_limit_storage_reachable_again",
                                outage_seconds=round(now - self.outage_began, 1))
                    self.outage_began = None
                return count
        return await fallback(item, *identifiers)

    async def close(self) -> None:
        await self.shared.close()
        await self.fallback.close()


def _limit(settings: Settings, name: str) -> RateLimitItem:
    value = getattr(settings, f"rate_limit_{name}")
    variable = f"TICKETRY_RATE_LIMIT_{name.upper()}"
    try:
        items = parse_many(value)
    except ValueError:
        items = []
    if len(items) != 1:
        raise RateLimitSettingsError(
            f"{variable}={value!r} is not a rate limit: write one amount per window, "
            "such as '200/hour', '10/minute' or '50 per 2 hours'")
    if items[0].amount < 1:
        raise RateLimitSettingsError(
            f"{variable}={value!r} admits nothing; to switch rate limits off set "
            "TICKETRY_RATE_LIMIT_ENABLED=false")
    return items[0]


class RateLimiter:
    """One installation's budgets: the limit of each category, where they apply, the counters.

    Built with the app, so that a setting it cannot use stops the start with a clear message."""

    def __init__(self, settings: Settings, counters: Counters | None = None) -> None:
        self.settings = settings
        self.limits: dict[str, RateLimitItem] = {
            name: _limit(settings, name) for name in (*CATEGORIES, AUTHENTICATION_PER_ADDRESS)}
        self.prefixes = [CANONICAL_PREFIX]
        if settings.enterprise_api_enabled:
            self.prefixes.append(settings.enterprise_api_prefix.rstrip("/") or "/enterprise")
        if counters is None:
            counters = MemoryCounters()
            if settings.redis_url:
                counters = SharedCounters(
                    RedisCounters(settings.redis_url, key_prefix=settings.rate_limit_key_prefix),
                    counters)
        self.counters = counters

    def category_of(self, method: str, path: str, query_string: bytes) -> Category | None:
        """The category a request spends, or None for requests that are not limited."""
        for prefix in self.prefixes:
            if path.startswith(prefix + "/") or path == prefix:
                rest = path[len(prefix):].rstrip("/")
                canonical = prefix == CANONICAL_PREFIX
                break
        else:
            return None
        if rest in _UNLIMITED_SUFFIXES:
            return None
        parts = rest.split("/")[1:]
        if rest in ("/auth/login", "/auth/refresh") or (canonical and rest == "/auth/token"):
            return "authentication"
        if parts[:1] == ["reports"]:
            return "reports"
        if method == "POST":
            if canonical and (rest == "/tickets/import"
                              or (len(parts) == 3 and parts[0] == "tickets"
                                  and parts[2] == "attachments")):
                return "file_upload"
            if (not canonical and len(parts) == 4 and parts[:2] == ["attachments", "ticket"]
                    and parts[3] == "upload"):
                return "file_upload"
            if rest == "/tickets/search":
                return "search"
        if method in ("GET", "HEAD") and rest == "/tickets" and _has_search(query_string):
            return "search"
        return "general"

    async def spend(self, charges: Iterable[Charge]) -> list[tuple[Charge, Count]]:
        """Spend one request from each budget charged (or look at it, when not to be spent)."""
        counted = []
        for charge in charges:
            item = self.limits[charge.limit]
            count = await (self.counters.hit if charge.spend else self.counters.peek)(
                item, charge.limit, charge.key)
            if charge.per_address:
                count = Count(count.allowed, count.limit, count.remaining, count.reset, item,
                              per_address=True)
            counted.append((charge, count))
        return counted


def _has_search(query_string: bytes) -> bool:
    return any(name == "search" and value.strip()
               for name, value in parse_qsl(query_string.decode("latin-1")))


def _binding(counted: list[tuple[Charge, Count]]) -> Count:
    """The budget a response reports: the refusing one that frees last, else the scarcest of
    those spent."""
    refused = [count for _, count in counted if not count.allowed]
    if refused:
        return max(refused, key=lambda c: c.reset)
    return min((count for charge, count in counted if charge.spend),
               key=lambda c: (c.remaining, c.limit))


def _headers(count: Count, now: float) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-ratelimit-limit", str(count.limit).encode()),
        (b"x-ratelimit-remaining", str(count.remaining if count.allowed else 0).encode()),
        (b"x-ratelimit-reset", str(math.ceil(count.reset)).encode()),
    ]
    if not count.allowed:
        headers.append((b"retry-after", str(max(1, math.ceil(count.reset - now))).encode()))
    return headers


def _hashed(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}"


class RateLimitMiddleware:
    """Spend the request's budget before the app sees it; answer 429 when it is spent.

    Every limited answer, successful or not, carries `X-RateLimit-Limit`, `-Remaining` and
    `-Reset`; a 429 adds `Retry-After` and speaks the language of the API at its prefix."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter,
                 error_bodies: list[tuple[str, ErrorBody]] | None = None) -> None:
        self.app = app
        self.limiter = limiter
        # The same list the app gives RequestContextMiddleware; read per refusal, so a mount
        # registered after this middleware was added still words its own refusals.
        self.error_bodies = error_bodies if error_bodies is not None else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._closing_at_shutdown(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        category = self.limiter.category_of(scope["method"], scope["path"],
                                            scope.get("query_string", b""))
        if category is None:
            await self.app(scope, receive, send)
            return
        headers = dict(reversed(scope["headers"]))  # a repeated header: the first counts, as in the app
        address = _client_address(scope)
        refused_tokens: Charge | None = None
        if category == "authentication":
            attempted, receive = await self._attempted_identity(scope, headers, receive, address)
            charges = [Charge("authentication", attempted),
                       Charge(AUTHENTICATION_PER_ADDRESS, address, per_address=True)]
        else:
            requester = self._requester(headers, address)
            charges = [Charge(category, requester)]
            if requester.startswith("token:"):
                # Anyone can make up API tokens, each with a fresh budget: the ones the app
                # refuses are charged to their address, which must have room left for more.
                refused_tokens = Charge(category, f"refused-tokens:{address}", per_address=True,
                                        spend=False)
                charges.append(refused_tokens)
        count = _binding(await self.limiter.spend(charges))
        extra = _headers(count, time.time())
        if not count.allowed:
            await self._refuse(scope, receive, send, category, count, extra)
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
                if refused_tokens is not None and message["status"] == 401:
                    await self.limiter.spend([replace(refused_tokens, spend=True)])
            await send(message)

        await self.app(scope, receive, send_with_limits)

    def _requester(self, headers: dict[bytes, bytes], address: str) -> str:
        """Whose budget: mirrors `authenticate_request`'s reading of the credentials."""
        bearer = _bearer(headers)
        api_token = headers.get(b"x-api-token", b"").decode("latin-1")
        secret = api_token or (bearer if bearer and looks_like_api_token(bearer) else None)
        if secret:
            return f"token:{hash_token(secret)}"
        if bearer:
            subject = token_subject(self.limiter.settings, bearer, token_type="access")
            if subject is not None:
                return f"user:{subject}"
        return f"address:{address}"

    async def _attempted_identity(self, scope: Scope, headers: dict[bytes, bytes],
                                  receive: Receive, address: str) -> tuple[str, Receive]:
        """The account an authentication request tries: the username sent to a login, the
        subject of a genuine refresh token (as bearer or in the body), else the address."""
        refresh = scope["path"].rstrip("/").endswith("/refresh")
        if refresh:
            bearer = _bearer(headers)
            if bearer:
                subject = token_subject(self.limiter.settings, bearer, token_type="refresh")
                if subject is not None:
                    return f"user:{subject}", receive
        content_type = headers.get(b"content-type", b"").lower()
        if scope["method"] != "POST" or content_type.startswith(b"multipart/"):
            # Unread (multipart is not capped in size before this point): every such login
            # attempt shares one budget, so it cannot be a way around the per-username one.
            return ("address:" + address if refresh else "username:unread"), receive
        # RequestContextMiddleware has refused bodies above its size limit by now.
        body, receive = await _buffered(receive)
        fields = _form_or_json(body, content_type)
        if refresh:
            token = fields.get("refresh_token")
            subject = (token_subject(self.limiter.settings, token, token_type="refresh")
                       if isinstance(token, str) else None)
            return (f"user:{subject}" if subject else f"address:{address}"), receive
        username = fields.get("username")
        if not isinstance(username, str):
            return "username:unread", receive
        # Usernames are matched case-insensitively, after trimming, when logging in.
        return _hashed("username", username.strip().lower()), receive

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, category: str,
                      count: Count, headers: list[tuple[bytes, bytes]]) -> None:
        header_map = {name.decode(): value.decode() for name, value in headers}
        who = "from this address" if count.per_address else "for this client"
        detail = (f"rate limit exceeded: {count.item} for {category.replace('_', ' ')} "
                  f"requests {who}; retry after {header_map['retry-after']} seconds")
        path: str = scope["path"]
        for prefix, render in sorted(self.error_bodies, key=lambda item: -len(item[0])):
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                payload, content_type = render(429, "rate_limit_exceeded", detail)
                response = Response(payload, status_code=429, media_type=content_type,
                                    headers=header_map)
                break
        else:
            response = problem_response(Request(scope), 429, detail, "RATE_LIMIT_EXCEEDED",
                                        headers=header_map)
        await response(scope, receive, send)

    def _closing_at_shutdown(self, send: Send) -> Send:
        async def send_after_closing(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.limiter.counters.close()
            await send(message)

        return send_after_closing


def _client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _bearer(headers: dict[bytes, bytes]) -> str | None:
    scheme, _, credentials = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def _form_or_json(body: bytes, content_type: bytes) -> dict[str, object]:
    """The fields as the app will read them: a form when sent as one, else JSON (the app
    parses JSON with the standard library; a repeated field's last value wins in both)."""
    try:
        if content_type.startswith(b"application/x-www-form-urlencoded"):
            return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body, and a `receive` that gives it to the app once more."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
