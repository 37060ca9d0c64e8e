"""Pure ASGI middleware: request ids, body limits and raw-input checks, cheap on every request."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import anyio
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketry.log import get_logger

log = get_logger("ticketry.http")

# (status, error code, detail) -> (body, content type): how an API words a refusal.
ErrorBody = Callable[[int, str, str], tuple[bytes, str]]

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# The request being handled: for refusals worded outside a request object (`ErrorBody`
# renderers, whose documents put the request id in the body).
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


class WriteGate:
    """Admits one writing request at a time into the thread pool on SQLite.

    SQLite has a single writer. Without this, writers waiting in `BEGIN IMMEDIATE` can occupy
    every worker thread while the writer holding the lock waits for a thread to finish: a
    deadlock broken only by lock timeouts. Waiting here costs no thread. On PostgreSQL it is open.
    """

    def __init__(self, enabled: bool) -> None:
        self._lock = anyio.Lock() if enabled else None
        # Re-entrant per task: a route may take the gate its request already holds.
        self._owner: int | None = None
        self._depth = 0

    async def __aenter__(self) -> None:
        if self._lock is None:
            return
        me = anyio.get_current_task().id
        if self._owner == me:
            self._depth += 1
            return
        await self._lock.acquire()
        self._owner, self._depth = me, 1

    async def __aexit__(self, *exc: object) -> None:
        if self._lock is None:
            return
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()


class DatabaseSlots:
    """Admits at most `limit` requests of one worker into the database at once; the rest wait
    here, on the event loop, costing neither a thread nor a connection.

    With the pool larger than the limit, a request's first statement never waits for a
    connection, so it may run on the event loop (authentication does). And a few busy threads
    beat many: each extra thread contending for the GIL costs every request CPU time."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the database concurrency limit must be at least 1")
        self.limit = limit
        self._semaphore = anyio.Semaphore(limit)

    @classmethod
    def for_pool(cls, *, wanted: int, pool: int, sqlite: bool) -> DatabaseSlots:
        """As many slots as asked for, while the pool can always serve them. Each slot holder may
        hold a second connection (an upload's write, an export); on SQLite writers hold the
        write gate instead of a slot, so that one writer (and its second connection) comes on
        top of the slots."""
        fits = pool - 2 if sqlite else pool // 2
        if fits < 1:
            raise ValueError(f"a database pool of {pool} connections is too small: "
                             f"TICKETRY_DB_POOL_SIZE + TICKETRY_DB_MAX_OVERFLOW must be at least "
                             f"{3 if sqlite else 2}")
        return cls(min(wanted, fits))

    async def __aenter__(self) -> None:
        await self._semaphore.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self._semaphore.release()


class RequestContextMiddleware:
    """Echo or assign `X-Request-ID`, refuse NUL bytes in the URL and oversized JSON bodies."""

    def __init__(self, app: ASGIApp, *, max_body_size: int, write_gate: WriteGate,
                 error_bodies: list[tuple[str, ErrorBody]] | None = None) -> None:
        self.app = app
        self.max_body_size = max_body_size
        self.write_gate = write_gate
        # Refusals made here speak the language of the API mounted at each prefix.
        self.error_bodies = sorted(error_bodies or [], key=lambda item: -len(item[0]))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        content_length = None
        content_type = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if _SAFE_REQUEST_ID.match(candidate):
                    request_id = candidate
            elif name == b"content-length":
                content_length = value
            elif name == b"content-type":
                content_type = value
        request_id = request_id or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)
        header = (b"x-request-id", request_id.encode())
        started = time.perf_counter()
        status_code = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self._handle(scope, receive, send_with_id, request_id, content_length,
                               content_type)
        finally:
            current_request_id.reset(token)
            log.info("http_request", method=scope["method"], path=scope["path"],
                     status=status_code, request_id=request_id,
                     duration_ms=round((time.perf_counter() - started) * 1000, 2))

    async def _handle(self, scope: Scope, receive: Receive, send_with_id: Send, request_id: str,
                      content_length: bytes | None, content_type: bytes) -> None:

        path = scope.get("raw_path") or scope["path"].encode()
        if b"%00" in scope.get("query_string", b"") or b"%00" in path or "\x00" in scope["path"]:
            await self._refuse(send_with_id, scope, request_id, 400, "BAD_REQUEST",
                               "the URL must not contain NUL characters")
            return
        # Uploads stream through their own size check; everything else is a small document.
        if not content_type.startswith(b"multipart/form-data"):
            if content_length is not None:
                try:
                    too_big = int(content_length) > self.max_body_size
                except ValueError:
                    too_big = False
                if too_big:
                    await self._refuse(send_with_id, scope, request_id, 413,
                                       "PAYLOAD_TOO_LARGE",
                                       f"request body exceeds {self.max_body_size} bytes")
                    return
            elif scope["method"] in ("POST", "PUT", "PATCH"):
                # No declared length (chunked): read up to the limit before the app sees it.
                body, complete = await _read_up_to(receive, self.max_body_size)
                if not complete:
                    await self._refuse(send_with_id, scope, request_id, 413,
                                       "PAYLOAD_TOO_LARGE",
                                       f"request body exceeds {self.max_body_size} bytes")
                    return
                receive = _replay(body, receive)
            if scope["method"] not in _READ_METHODS:
                async with self.write_gate:
                    await self.app(scope, receive, send_with_id)
                return
        await self.app(scope, receive, send_with_id)


    async def _refuse(self, send: Send, scope: Scope, request_id: str, status: int, code: str,
                      detail: str) -> None:
        path: str = scope["path"]
        for prefix, render in self.error_bodies:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                payload, content_type = render(status, code, detail)
                await _send(send, status, payload, content_type)
                return
        await _problem(send, scope, request_id, status, code, detail)


async def _send(send: Send, status: int, payload: bytes, content_type: str) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(payload)).encode()),
    ]})
    await send({"type": "http.response.body", "body": payload})


async def _read_up_to(receive: Receive, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", False
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _problem(send: Send, scope: Scope, request_id: str, status: int, code: str,
                   detail: str) -> None:
    from http import HTTPStatus

    body: dict[str, Any] = {
        "type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
        "detail": detail, "error_code": code, "instance": scope["path"],
        "request_id": request_id,
    }
    payload = orjson.dumps(body)
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(payload)).encode()),
    ]})
    await send({"type": "http.response.body", "body": payload})
