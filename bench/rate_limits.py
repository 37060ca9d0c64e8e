"""Rate limiting: what the middleware adds to a request, in memory and through Redis.

    .venv/bin/python bench/rate_limits.py [--requests 20000] [--users 1000] [--redis redis://127.0.0.1:6379/0]

Calls the middleware in front of an app that answers at once (no HTTP, no database), so the
numbers are the middleware's own: keying the request (verifying the access token's signature,
memoised per token as in the app), spending the budget and adding the headers. Requests carry
one of USERS access tokens in turn, under the default limits (1000/hour, so none is refused).
Reports microseconds per request, median and p99, for: no middleware, memory counters, Redis
counters (skipped when Redis does not answer); and for JSON logins (the body is read and
replayed, two budgets spent).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from typing import Any

import jwt
import orjson
import redis

from ticketry.api.rate_limits import RateLimiter, RateLimitMiddleware
from ticketry.config import Settings
from ticketry.domain.auth.service import ALGORITHM

SECRET = "bench-secret-key-that-is-long-enough-0123456789"


async def answer(scope: Any, receive: Any, send: Any) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def access_token(subject: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": subject, "type": "access", "exp": now + 3600, "iat": now,
                       "jti": uuid.uuid4().hex, "sid": str(uuid.uuid4())}, SECRET,
                      algorithm=ALGORITHM)


def scope_for(path: str, headers: list[tuple[bytes, bytes]], method: str = "GET") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "raw_path": path.encode(),
            "query_string": b"", "headers": headers, "client": ("10.0.0.7", 50000),
            "state": {"request_id": "bench"}}


async def run(app: Any, scopes: list[dict[str, Any]], bodies: list[bytes]) -> list[float]:
    timings = []
    for scope, body in zip(scopes, bodies, strict=True):
        async def receive(body: bytes = body) -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            pass

        started = time.perf_counter()
        await app(scope, receive, send)
        timings.append((time.perf_counter() - started) * 1e6)
    return timings


def report(name: str, timings: list[float]) -> None:
    timings = sorted(timings)
    print(f"{name:<32} median {statistics.median(timings):7.1f} µs   "
          f"p99 {timings[int(len(timings) * 0.99)]:7.1f} µs")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    tokens = [access_token(str(uuid.uuid4())) for _ in range(args.users)]
    scopes = [scope_for("/api/v1/tickets", [(b"authorization", f"Bearer {tokens[i % args.users]}"
                                             .encode())]) for i in range(args.requests)]
    empty = [b""] * args.requests
    logins = [scope_for("/api/v1/auth/login", [(b"content-type", b"application/json")], "POST")
              for _ in range(args.requests)]
    login_bodies = [orjson.dumps({"username": f"user{i % args.users}", "password": "x"})
                    for i in range(args.requests)]
    base = Settings(secret_key=SECRET, database_url="sqlite://", rate_limit_enabled=True,
                    rate_limit_authentication="1000000/hour",
                    rate_limit_authentication_per_address="1000000/hour")
    backends: list[tuple[str, Settings]] = [("memory", base)]
    prefix = f"ticketry-bench-{uuid.uuid4().hex}"
    try:
        redis.Redis.from_url(args.redis).ping()
        backends.append(("redis", base.model_copy(update={"redis_url": args.redis,
                                                           "rate_limit_key_prefix": prefix})))
    except redis.RedisError:
        print(f"(Redis at {args.redis} does not answer: its rows are skipped)")

    await run(answer, scopes[:1000], empty[:1000])  # warm up
    report("no middleware", await run(answer, scopes, empty))
    for name, settings in backends:
        for kind, kind_scopes, bodies in (("access token", scopes, empty),
                                          ("JSON login", logins, login_bodies)):
            limiter = RateLimiter(settings)
            app = RateLimitMiddleware(answer, limiter=limiter)
            report(f"{name}: {kind}", await run(app, kind_scopes, bodies))
            await limiter.counters.close()
    with redis.Redis.from_url(args.redis) as client:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)


if __name__ == "__main__":
    asyncio.run(main())
