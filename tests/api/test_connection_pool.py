"""More concurrent requests than database connections wait their turn: none fails.

Requests take one of the worker's database slots (`DatabaseSlots`, as many as the pool can always
serve) before their session opens, so no statement ever waits for a pooled connection on the event
loop, where the requests holding the connections commit. A server with the smallest pool and many
concurrent clients shows it. On SQLite a writer's first statement may wait for another process's write lock:
that wait happens in a worker thread, and reads go on meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from pathlib import Path

import anyio
import httpx
import pytest

from tests.databases import fresh_database_url
from tests.live_server import live_server
from ticketry.api.middleware import DatabaseSlots

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
            live_server(tmp_path, env={"TICKETRY_DATABASE_URL": url, "TICKETRY_DB_POOL_SIZE": "3",
                                       "TICKETRY_DB_MAX_OVERFLOW": "0"}) as live:
        token = httpx.post(f"{live.base_url}/api/v1/auth/login", json={
            "username": "admin", "password": "first-admin-password"}).json()["access_token"]
        statuses = asyncio.run(_concurrently(live.base_url, {"Authorization": f"Bearer {token}"}))
    assert statuses.count(201) == CLIENTS // 2, statuses
    assert statuses.count(200) == CLIENTS // 2, statuses


def _login(base_url: str) -> dict[str, str]:
    token = httpx.post(f"{base_url}/api/v1/auth/login", json={
        "username": "admin", "password": "first-admin-password"}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_reads_go_on_while_a_writer_waits_for_a_sqlite_lock_held_by_another_process(
        tmp_path: Path) -> None:
    """SQLite specifically (its single write lock): the embedded default, on every CI pass."""
    path = tmp_path / "locked.db"
    with live_server(tmp_path, env={"TICKETRY_DATABASE_URL": f"sqlite:///{path}"}) as live:
        headers = _login(live.base_url)
        other_process = sqlite3.connect(path, isolation_level=None)
        other_process.execute("BEGIN IMMEDIATE")  # the job worker in the middle of a write
        created: list[int] = []
        writer = threading.Thread(target=lambda: created.append(httpx.post(
            f"{live.base_url}/api/v1/tickets", headers=headers, timeout=60,
            json={"title": "Waits for the lock", "description": "Held elsewhere."}).status_code))
        writer.start()
        try:
            writer.join(0.5)
            assert writer.is_alive(), "the write should be waiting for the lock"
            # Were the writer's wait on the event loop, these would hang until the lock goes.
            reads = [httpx.get(f"{live.base_url}/api/v1/tickets", headers=headers, timeout=10)
                     for _ in range(5)]
            assert [r.status_code for r in reads] == [200] * 5
            assert writer.is_alive(), "the lock is still held: the write cannot have finished"
        finally:
            other_process.execute("ROLLBACK")
            other_process.close()
            writer.join(60)
    assert created == [201]


@pytest.mark.parametrize("limit", [1, 3])
def test_database_slots_admit_at_most_their_limit(limit: int) -> None:
    slots = DatabaseSlots(limit)
    inside = 0
    most = 0

    async def request() -> None:
        nonlocal inside, most
        async with slots:
            inside += 1
            most = max(most, inside)
            await anyio.sleep(0.01)
            inside -= 1

    async def many() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(request)

    anyio.run(many)
    assert most == limit
    assert inside == 0


def test_database_slots_refuse_a_limit_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        DatabaseSlots(0)


@pytest.mark.parametrize(("wanted", "pool", "sqlite", "granted"), [
    (8, 40, False, 8), (8, 40, True, 8),
    (8, 6, False, 3),  # each slot holder may need a second connection
    (8, 6, True, 4),   # SQLite's one writer (and its second connection) come on top
    (8, 3, True, 1), (8, 2, False, 1),
])
def test_database_slots_fit_the_pool(wanted: int, pool: int, sqlite: bool, granted: int) -> None:
    assert DatabaseSlots.for_pool(wanted=wanted, pool=pool, sqlite=sqlite).limit == granted


@pytest.mark.parametrize(("pool", "sqlite", "message"), [(2, True, "at least 3"),
                                                   (1, False, "at least 2")])
def test_a_pool_too_small_to_serve_one_slot_is_refused(pool: int, sqlite: bool,
                                                       message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DatabaseSlots.for_pool(wanted=8, pool=pool, sqlite=sqlite)
