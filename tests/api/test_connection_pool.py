"""More concurrent requests than database connections wait their turn: none fails.

A request that waits for a pooled connection must not wait on the event loop, or the requests
holding the connections could never commit (their commits run there) until the pool's timeout
ends the wait with an error. A server with one connection and many concurrent clients shows it.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx

from tests.databases import fresh_database_url
from tests.live_server import live_server

CLIENTS = 12


async def _concurrently(base_url: str, headers: dict[str, str]) -> list[int]:
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as client:
        async def one(n: int) -> int:
            if n % 2:
                response = await client.get("/api/v1/tickets")
            else:
                response = await client.post("/api/v1/tickets", json={
                    "title": f"Concurrent {n}", "description": "Many clients, one connection."})
            return response.status_code

        return list(await asyncio.gather(*(one(n) for n in range(CLIENTS))))


def test_requests_beyond_the_pool_wait_for_a_connection_and_succeed(tmp_path: Path) -> None:
    with fresh_database_url(os.environ.get("TICKETRY_DATABASE_URL", ""),
                            sqlite_file=tmp_path / "pool.db", prefix="ticketry_pool") as url, \
            live_server(tmp_path, env={"TICKETRY_DATABASE_URL": url, "TICKETRY_DB_POOL_SIZE": "1",
                                       "TICKETRY_DB_MAX_OVERFLOW": "0"}) as live:
        token = httpx.post(f"{live.base_url}/api/v1/auth/login", json={
            "username": "admin", "password": "first-admin-password"}).json()["access_token"]
        statuses = asyncio.run(_concurrently(live.base_url, {"Authorization": f"Bearer {token}"}))
    assert statuses.count(201) == CLIENTS // 2, statuses
    assert statuses.count(200) == CLIENTS // 2, statuses
