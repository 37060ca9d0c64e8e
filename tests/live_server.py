"""A real `ticketry serve` in a child process, on a database of its own, always terminated:
for the tests that run a document's examples as a client would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

TICKETRY = str(Path(sys.executable).parent / "ticketry")


@dataclass
class LiveServer:
    base_url: str
    env: dict[str, str]
    log: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`ticketry ...` against the same database."""
        return subprocess.run([TICKETRY, *args], env=self.env, capture_output=True, text=True,
                              timeout=30, check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def live_server(tmp_path: Path, *, env: dict[str, str] | None = None,
                startup_seconds: float = 30, worker: bool = False) -> Iterator[LiveServer]:
    port = free_port()
    server_env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    server_env.update({
        "TICKETRY_VAR_DIR": str(tmp_path / "var"),
        "TICKETRY_DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}",
        "TICKETRY_STORAGE_PATH": str(tmp_path / "attachments"),
        "TICKETRY_ADMIN_PASSWORD": "first-admin-password",
        "TICKETRY_ENVIRONMENT": "development",
        **(env or {}),
    })
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen([TICKETRY, "serve", *([] if worker else ["--no-worker"]),
                                    "--port", str(port)],
                                   env=server_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + startup_seconds
        while True:
            assert process.poll() is None, f"the server exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"the server did not start:\n{log.read_text()}"
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield LiveServer(base_url, server_env, log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
