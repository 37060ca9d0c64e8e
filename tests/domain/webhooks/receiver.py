"""A real HTTP receiver on 127.0.0.1 for webhook tests, and the Standard Webhooks check a
receiver would make (written from the specification, not from Ticketry's code)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ticketry.config import Settings
from ticketry.db import Database
from ticketry.worker.runner import Worker


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    # Hold the answer until the test releases it (to make the sender time out).
    hold: bool = False


class Receiver:
    """Answers each POST with the next scripted reply (then `default`), recording requests."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.replies: list[Reply] = []
        self.default = Reply()
        self.release = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    reply = receiver.replies.pop(0) if receiver.replies else receiver.default
                if reply.hold:
                    receiver.release.wait(10)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


def verify_standard_webhook(secret: str, headers: dict[str, str], body: bytes) -> None:
    """What a receiver does (standardwebhooks.com): HMAC-SHA256 over
    `{webhook-id}.{webhook-timestamp}.{body}`, keyed by the base64 key after `whsec_` (or the
    secret's bytes), compared with each `v1,` signature in the space-separated header."""
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    assert timestamp.isdigit()
    key = (base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_")
           else secret.encode("utf-8"))
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body,
                                         hashlib.sha256).digest()).decode()
    signatures = headers["webhook-signature"].split(" ")
    assert any(hmac.compare_digest(s, f"v1,{expected}") for s in signatures), \
        "no webhook-signature matches"


def drain(db: Database, settings: Settings) -> int:
    """Run the worker until idle: fan out the events, run every due delivery."""
    return asyncio.run(Worker(db, settings).drain())
