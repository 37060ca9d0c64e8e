"""A stand-in for clamd on a unix socket, speaking its documented protocol (clamd(8)): commands
prefixed `z` (NUL-terminated) or `n` (newline-terminated); PING, VERSION and INSTREAM (chunks of
<4-byte big-endian length><data>, ended by a zero length). A stream holding the EICAR test
signature is reported FOUND, anything else OK."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@dataclass
class FakeClamd:
    path: str
    scanned: list[bytes] = field(default_factory=list)


def _read_exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


def _read_command(conn: socket.socket) -> tuple[str, bytes]:
    first = _read_exact(conn, 1)
    end = b"\0" if first == b"z" else b"\n"
    raw = b"" if first in (b"z", b"n") else first
    while True:
        c = _read_exact(conn, 1)
        if c == end or (first not in (b"z", b"n") and c == b"\n"):
            break
        raw += c
    return raw.decode(), (end if first in (b"z", b"n") else b"\n")


def _serve(conn: socket.socket, clamd: FakeClamd) -> None:
    with conn:
        try:
            command, end = _read_command(conn)
            if command == "PING":
                conn.sendall(b"PONG" + end)
            elif command == "VERSION":
                conn.sendall(b"ClamAV 1.0.0/27000/Mon Jan  1 00:00:00 2024" + end)
            elif command == "INSTREAM":
                data = b""
                while True:
                    (size,) = struct.unpack("!L", _read_exact(conn, 4))
                    if size == 0:
                        break
                    data += _read_exact(conn, size)
                clamd.scanned.append(data)
                verdict = (b"stream: Eicar-Signature FOUND" if b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE" in data
                           else b"stream: OK")
                conn.sendall(verdict + end)
            else:
                conn.sendall(b"UNKNOWN COMMAND" + end)
        except (ConnectionError, OSError):
            pass


@contextmanager
def fake_clamd() -> Iterator[FakeClamd]:
    # A short directory: unix socket paths are limited to about 100 bytes.
    directory = tempfile.mkdtemp(prefix="clamd-")
    path = os.path.join(directory, "clamd.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    server.settimeout(0.1)
    clamd = FakeClamd(path)
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(10)
            threading.Thread(target=_serve, args=(conn, clamd), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield clamd
    finally:
        stopping.set()
        thread.join(5)
        server.close()
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def closed_socket() -> Iterator[str]:
    """The path of a unix socket nobody listens on (clamd is down)."""
    directory = tempfile.mkdtemp(prefix="clamd-")
    path = os.path.join(directory, "clamd.sock")
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)
    dead.close()
    try:
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)
