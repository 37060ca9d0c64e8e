"""The ceiling of the benchmark suite: the same get/list/create as Ticketry, without a framework.

A bare ASGI callable over the raw driver (sqlite3, or asyncpg) and orjson, served by uvicorn
(httptools, uvloop). It still does the work every honest ticket API must do on each request:
authenticate the bearer token (one indexed lookup of its SHA-256 in `tokens`, agents only),
parse and validate the JSON body, run parameterised SQL over indexes, and answer JSON with the
requester and assignee nested. What it leaves out is the framework, the ORM, the permission
model and history: the gap to Ticketry is their cost.

Configuration (read once per worker process, at lifespan startup):

- CEILING_DATABASE: `sqlite:///<path>` or `postgresql://user@host:port/db` (required).
- CEILING_SQLITE_CALLS: `direct` (default: sqlite3 on the event loop) or `thread` (one
  dedicated thread per worker, one hop per request). Measured (1 worker, 32 connections):
  direct is faster, get ~37 vs ~65-85 CPU µs per request and twice the requests/s, create
  ~56 vs ~80 µs; the list over 100 000 tickets (a COUNT of ~0.7 ms) is even on requests/s but
  has a longer p99 on the loop, which serves no one else while SQLite counts.
- CEILING_PG_POOL: asyncpg connections per worker (default 16: with fewer, commits queue
  for a connection instead of sharing a WAL flush; 2, 4, 8, 16, 32 were measured).

Routes: GET /tickets/{id}, GET /tickets?status=&sort=[-]created_at&page=&size=, POST /tickets.
The contender that seeds the schema is `contenders/ceiling.py`.

    CEILING_DATABASE=sqlite:///var/ceiling.sqlite3 .venv/bin/python -m uvicorn ceiling_app:app \
        --app-dir bench/suite --loop uvloop --http httptools --no-access-log --workers 1
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import orjson

STATUSES = frozenset({"open", "in_progress", "resolved"})
PRIORITIES = frozenset({"low", "normal", "high", "urgent"})
MAX_TITLE = 500
MAX_DESCRIPTION = 100_000
MAX_BODY = 1 << 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000

T = TypeVar("T")
Row = Sequence[Any]

# One statement per question; the columns are in the order `ticket_json` reads them.
COLUMNS = """t.id, t.title, t.description, t.status, t.priority, t.created_at, t.updated_at,
    r.id, r.username, r.full_name, r.email, a.id, a.username, a.full_name, a.email"""
FROM = """tickets t JOIN users r ON r.id = t.requester_id
    LEFT JOIN users a ON a.id = t.assignee_id"""


class Problem(Exception):
    """An answer other than success: its status and what went wrong."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _person(row: Row, at: int) -> dict[str, Any] | None:
    if row[at] is None:
        return None
    return {"id": row[at], "username": row[at + 1], "full_name": row[at + 2],
            "email": row[at + 3]}


def ticket_json(row: Row) -> dict[str, Any]:
    return {"id": row[0], "title": row[1], "description": row[2], "status": row[3],
            "priority": row[4], "created_at": row[5], "updated_at": row[6],
            "requester": _person(row, 7), "assignee": _person(row, 11)}


def _checked_actor(actor: Row | None) -> Row:
    """(id, role, username, full_name, email) of an active agent's unexpired token, or a 401/403."""
    if actor is None:
        raise Problem(401, "the bearer token is unknown or expired")
    if actor[1] != "agent":
        raise Problem(403, "only agents may use this API")
    return actor


def _page_json(rows: list[Row], total: int, page: int, size: int) -> dict[str, Any]:
    return {"items": [ticket_json(row) for row in rows], "total": total, "page": page,
            "size": size, "pages": -(-total // size)}


def _created_json(ticket_id: int, fields: tuple[str, str, str], actor: Row,
                  now: object) -> dict[str, Any]:
    title, description, priority = fields
    return {"id": ticket_id, "title": title, "description": description, "status": "open",
            "priority": priority, "created_at": now, "updated_at": now,
            "requester": {"id": actor[0], "username": actor[2], "full_name": actor[3],
                          "email": actor[4]},
            "assignee": None}


class SqliteStore:
    """One sqlite3 connection per worker process, in WAL mode with Ticketry's pragmas."""

    AUTH = ("SELECT u.id, u.role, u.username, u.full_name, u.email FROM tokens k "
            "JOIN users u ON u.id = k.user_id "
            "WHERE k.token_hash = ? AND k.expires_at > ? AND u.is_active")
    GET = f"SELECT {COLUMNS} FROM {FROM} WHERE t.id = ?"
    PAGE = {descending: f"SELECT {COLUMNS} FROM {FROM} WHERE t.status = ? "
                        f"ORDER BY t.created_at {order}, t.id {order} LIMIT ? OFFSET ?"
            for descending, order in ((True, "DESC"), (False, "ASC"))}
    COUNT = "SELECT count(*) FROM tickets WHERE status = ?"
    INSERT = ("INSERT INTO tickets (title, description, status, priority, requester_id, "
              "assignee_id, created_at, updated_at) VALUES (?, ?, 'open', ?, ?, NULL, ?, ?) "
              "RETURNING id")

    def __init__(self, path: str, *, threaded: bool) -> None:
        self._executor = ThreadPoolExecutor(1, "sqlite") if threaded else None
        self._path = path
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        self._conn = await self._call(self._connect)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000",
                       "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    async def close(self) -> None:
        if self._conn is not None:
            await self._call(self._conn.close)
        if self._executor is not None:
            self._executor.shutdown()

    async def _call(self, work: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            return work(*args)
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)

    def _actor(self, conn: sqlite3.Connection, token_hash: str, now: str) -> Row:
        return _checked_actor(conn.execute(self.AUTH, (token_hash, now)).fetchone())

    # Each operation is one call (one thread hop when threaded): authenticate, then the work.
    def _get(self, token_hash: str, ticket_id: int) -> dict[str, Any]:
        conn = self._conn
        assert conn is not None
        self._actor(conn, token_hash, _utcnow().isoformat(timespec="microseconds"))
        row = conn.execute(self.GET, (ticket_id,)).fetchone()
        if row is None:
            raise Problem(404, f"no ticket {ticket_id}")
        return ticket_json(row)

    def _page(self, token_hash: str, status: str, descending: bool, page: int,
              size: int) -> dict[str, Any]:
        conn = self._conn
        assert conn is not None
        self._actor(conn, token_hash, _utcnow().isoformat(timespec="microseconds"))
        rows = conn.execute(self.PAGE[descending], (status, size, (page - 1) * size)).fetchall()
        total = conn.execute(self.COUNT, (status,)).fetchone()[0]
        return _page_json(rows, total, page, size)

    def _create(self, token_hash: str, fields: tuple[str, str, str]) -> dict[str, Any]:
        conn = self._conn
        assert conn is not None
        now = _utcnow().isoformat(timespec="microseconds")
        actor = self._actor(conn, token_hash, now)
        title, description, priority = fields
        # One statement in autocommit mode: its own transaction.
        ticket_id = conn.execute(self.INSERT, (title, description, priority, actor[0], now,
                                               now)).fetchone()[0]
        return _created_json(ticket_id, fields, actor, now)

    async def get(self, token_hash: str, ticket_id: int) -> dict[str, Any]:
        return await self._call(self._get, token_hash, ticket_id)

    async def page(self, token_hash: str, status: str, descending: bool, page: int,
                   size: int) -> dict[str, Any]:
        return await self._call(self._page, token_hash, status, descending, page, size)

    async def create(self, token_hash: str, fields: tuple[str, str, str]) -> dict[str, Any]:
        return await self._call(self._create, token_hash, fields)


async def _keep_session(conn: Any) -> None:
    """What the pool runs on a connection it takes back, after rolling back any transaction.
    Its default (RESET ALL, CLOSE ALL, UNLISTEN *, unlock advisory locks) costs a round trip per
    request and undoes nothing here: these statements never change the session's state."""


class PostgresStore:
    """A small asyncpg pool per worker process; asyncpg prepares and caches each statement."""

    AUTH = ("SELECT u.id, u.role, u.username, u.full_name, u.email FROM tokens k "
            "JOIN users u ON u.id = k.user_id "
            "WHERE k.token_hash = $1 AND k.expires_at > now() AND u.is_active")
    GET = f"SELECT {COLUMNS} FROM {FROM} WHERE t.id = $1"
    # The count rides along as an uncorrelated subquery (computed once): one round trip.
    PAGE = {descending: f"SELECT {COLUMNS}, (SELECT count(*) FROM tickets WHERE status = $1) "
                        f"FROM {FROM} WHERE t.status = $1 "
                        f"ORDER BY t.created_at {order}, t.id {order} LIMIT $2 OFFSET $3"
            for descending, order in ((True, "DESC"), (False, "ASC"))}
    COUNT = "SELECT count(*) FROM tickets WHERE status = $1"
    INSERT = ("INSERT INTO tickets (title, description, status, priority, requester_id, "
              "assignee_id, created_at, updated_at) VALUES ($1, $2, 'open', $3, $4, NULL, $5, $5) "
              "RETURNING id")

    def __init__(self, url: str, *, pool_size: int) -> None:
        self._url = url
        self._pool_size = pool_size
        self._pool: Any = None

    async def open(self) -> None:
        import asyncpg  # a bench-only dependency: `pip install -e '.[bench]'`

        self._pool = await asyncpg.create_pool(self._url, min_size=self._pool_size,
                                               max_size=self._pool_size, reset=_keep_session)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def _actor(self, conn: Any, token_hash: str) -> Row:
        return _checked_actor(await conn.fetchrow(self.AUTH, token_hash))

    async def get(self, token_hash: str, ticket_id: int) -> dict[str, Any]:
        async with self._pool.acquire() as conn:
            await self._actor(conn, token_hash)
            row = await conn.fetchrow(self.GET, ticket_id)
        if row is None:
            raise Problem(404, f"no ticket {ticket_id}")
        return ticket_json(row)

    async def page(self, token_hash: str, status: str, descending: bool, page: int,
                   size: int) -> dict[str, Any]:
        async with self._pool.acquire() as conn:
            await self._actor(conn, token_hash)
            rows = await conn.fetch(self.PAGE[descending], status, size, (page - 1) * size)
            total = rows[0][15] if rows else await conn.fetchval(self.COUNT, status)
        return _page_json(rows, total, page, size)

    async def create(self, token_hash: str, fields: tuple[str, str, str]) -> dict[str, Any]:
        title, description, priority = fields
        now = _utcnow()
        async with self._pool.acquire() as conn:
            actor = await self._actor(conn, token_hash)
            ticket_id = await conn.fetchval(self.INSERT, title, description, priority,
                                            actor[0], now)
        return _created_json(ticket_id, fields, actor, now)


Store = SqliteStore | PostgresStore


def store_from_environment() -> Store:
    url = os.environ["CEILING_DATABASE"]
    if url.startswith("sqlite:///"):
        calls = os.environ.get("CEILING_SQLITE_CALLS", "direct")
        if calls not in ("direct", "thread"):
            raise ValueError(f"CEILING_SQLITE_CALLS must be direct or thread, not {calls!r}")
        return SqliteStore(url.removeprefix("sqlite:///"), threaded=calls == "thread")
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url, pool_size=int(os.environ.get("CEILING_PG_POOL", "16")))
    raise ValueError(f"CEILING_DATABASE must be sqlite:///... or postgresql://..., not {url!r}")


def _token_hash(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            token = token.strip()
            if scheme.lower() == b"bearer" and token:
                return hashlib.sha256(token).hexdigest()
            break
    raise Problem(401, "send Authorization: Bearer <token>")


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Problem(422, f"{name}: an integer from {low} to {high}")
    return int(raw)


def _list_query(query_string: bytes) -> tuple[str, bool, int, int]:
    params = dict(parse_qsl(query_string.decode("latin-1")))
    status = params.get("status", "open")
    if status not in STATUSES:
        raise Problem(422, f"status: one of {', '.join(sorted(STATUSES))}")
    sort = params.get("sort", "-created_at")
    if sort not in ("created_at", "-created_at"):
        raise Problem(422, "sort: created_at or -created_at")
    page = _int_param(params, "page", 1, 1, MAX_PAGE)
    size = _int_param(params, "size", 20, 1, MAX_PAGE_SIZE)
    return status, sort.startswith("-"), page, size


def _text(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    if isinstance(value, str):
        value = value.strip()
        if value and len(value) <= limit and "\x00" not in value:
            return value
    raise Problem(422, f"{name}: a non-empty string of at most {limit} characters")


def _new_ticket(body: bytes) -> tuple[str, str, str]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Problem(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise Problem(422, "the body must be a JSON object")
    priority = data.get("priority", "normal")
    if priority not in PRIORITIES:
        raise Problem(422, f"priority: one of {', '.join(sorted(PRIORITIES))}")
    return _text(data, "title", MAX_TITLE), _text(data, "description", MAX_DESCRIPTION), priority


async def _read_body(receive: Callable[[], Awaitable[dict[str, Any]]]) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Problem(400, "the client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise Problem(413, f"the body exceeds {MAX_BODY} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


JSON_HEADERS = [(b"content-type", b"application/json")]


async def _respond(send: Callable[[dict[str, Any]], Awaitable[None]], status: int,
                   payload: object, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = orjson.dumps(payload)
    headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _route(store: Store, scope: dict[str, Any],
                 receive: Callable[[], Awaitable[dict[str, Any]]],
                 send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    path: str = scope["path"]
    method: str = scope["method"]
    if path == "/tickets":
        if method == "GET":
            token_hash = _token_hash(scope["headers"])
            status, descending, page, size = _list_query(scope["query_string"])
            await _respond(send, 200, await store.page(token_hash, status, descending, page, size))
            return
        if method == "POST":
            token_hash = _token_hash(scope["headers"])
            fields = _new_ticket(await _read_body(receive))
            ticket = await store.create(token_hash, fields)
            await _respond(send, 201, ticket,
                           [(b"location", f"/tickets/{ticket['id']}".encode())])
            return
        raise Problem(405, f"{method} is not allowed on /tickets")
    if path.startswith("/tickets/"):
        raw_id = path[len("/tickets/"):]
        if method != "GET":
            raise Problem(405, f"{method} is not allowed on a ticket")
        token_hash = _token_hash(scope["headers"])
        if not raw_id.isdigit() or len(raw_id) > 18:
            raise Problem(404, f"no ticket {raw_id}")
        await _respond(send, 200, await store.get(token_hash, int(raw_id)))
        return
    raise Problem(404, f"no route {path}")


async def _lifespan(state: dict[str, Store], receive: Callable[[], Awaitable[dict[str, Any]]],
                    send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                store = store_from_environment()
                await store.open()
            except Exception as error:  # told to the server, which exits
                await send({"type": "lifespan.startup.failed", "message": repr(error)})
                return
            state["store"] = store
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await state["store"].close()
            await send({"type": "lifespan.shutdown.complete"})
            return


# The store of this worker process, opened at lifespan startup.
_state: dict[str, Store] = {}


async def app(scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
              send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    if scope["type"] == "http":
        try:
            await _route(_state["store"], scope, receive, send)
        except Problem as problem:
            extra = [(b"www-authenticate", b"Bearer")] if problem.status == 401 else None
            await _respond(send, problem.status, {"detail": problem.detail}, extra)
    elif scope["type"] == "lifespan":
        await _lifespan(_state, receive, send)
