"""A real HTTP endpoint on 127.0.0.1 that records every webhook delivery it receives."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    received_at: float

    @property
    def payload(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.body)
        return result


@dataclass
class Receiver:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    # Decides each answer's status code from the delivery (default: 200).
    answer: Callable[[Delivery], int] = lambda _delivery: 200
    delay_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[str]:
        with self.lock:
            return [d.headers["webhook-id"] for d in self.deliveries]

    def wait_for(self, predicate: Callable[[Receiver], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.05)
        return predicate(self)


@contextmanager
def webhook_receiver(path: str = "/hooks") -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if len(body) < length:
                return  # the sender died mid-request (the SIGKILL test): nothing was delivered
            delivery = Delivery({k.lower(): v for k, v in self.headers.items()}, body,
                                time.monotonic())
            if receiver.delay_seconds:
                time.sleep(receiver.delay_seconds)
            status = receiver.answer(delivery)
            with receiver.lock:
                receiver.deliveries.append(delivery)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender died mid-delivery (the SIGKILL test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
