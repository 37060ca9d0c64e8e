"""A small clamd for tests: the real INSTREAM protocol over a unix socket and a TCP port on
127.0.0.1, reporting the EICAR test string as found.

`mode` chooses how it behaves: "scan" (the real thing), "error" (answers every scan with an
ERROR, as clamd does when it cannot scan), "hangup" (closes the connection without a word),
"silent" (reads the stream and never answers).
"""

from __future__ import annotations

import socket
import socketserver
import struct
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

# The EICAR anti-virus test file, in two halves so no scanner flags this source file itself.
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
SIGNATURE = "Win.Test.EICAR_HDB-1"
# clamd's StreamMaxLength (25 MB by default); small here so a test can pass it.
STREAM_MAX_LENGTH = 1024 * 1024


@dataclass
class ClamdState:
    mode: str = "scan"
    # Per scan: the chunk sizes received, in order (the zero-length terminator excluded).
    scans: list[list[int]] = field(default_factory=list)
    # Per completed scan: the bytes received.
    scanned: list[bytes] = field(default_factory=list)


def _read_exact(rfile: BinaryIO, size: int) -> bytes:
    data = rfile.read(size)
    if len(data) != size:
        raise ConnectionError("stream ended early")
    return bytes(data)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        state = self.server.state
        command = b""
        while not command.endswith((b"\0", b"\n")):
            byte = self.rfile.read(1)
            if not byte:
                return
            command += byte
        if state.mode == "hangup":
            return
        if state.mode == "silent":
            while self.rfile.read(65536):
                pass
            return
        name = command[:-1].lstrip(b"zn")
        if name == b"PING":
            self.wfile.write(b"PONG\0")
            return
        if name != b"INSTREAM":
            self.wfile.write(b"UNKNOWN COMMAND\0")
            return
        sizes: list[int] = []
        state.scans.append(sizes)
        found = False
        tail = b""
        total = 0
        received = bytearray()
        while True:
            (length,) = struct.unpack(">I", _read_exact(self.rfile, 4))
            if length == 0:
                break
            total += length
            if total > STREAM_MAX_LENGTH:
                self.wfile.write(b"INSTREAM size limit exceeded. ERROR\0")
                return
            chunk = _read_exact(self.rfile, length)
            sizes.append(length)
            received += chunk
            # Keep the end of the previous chunk: the string may straddle two chunks.
            found = found or EICAR in tail + chunk
            tail = (tail + chunk)[-len(EICAR):]
        state.scanned.append(bytes(received))
        if state.mode == "error":
            self.wfile.write(b"stream: Can't allocate memory ERROR\0")
        elif found:
            self.wfile.write(f"stream: {SIGNATURE} FOUND\0".encode())
        else:
            self.wfile.write(b"stream: OK\0")


class _Server(socketserver.ThreadingMixIn, socketserver.BaseServer):
    daemon_threads = True
    state: ClamdState


class _UnixServer(_Server, socketserver.UnixStreamServer):
    pass


class _TCPServer(_Server, socketserver.TCPServer):
    allow_reuse_address = True


@dataclass
class FakeClamd:
    state: ClamdState
    unix_address: str
    tcp_address: str

    @property
    def scanned(self) -> list[bytes]:
        return self.state.scanned

    def address(self, backend: str) -> str:
        return self.unix_address if backend == "unix" else self.tcp_address


@contextmanager
def fake_clamd(mode: str = "scan") -> Iterator[FakeClamd]:
    state = ClamdState(mode=mode)
    with tempfile.TemporaryDirectory(prefix="clamd-") as directory:
        path = str(Path(directory) / "clamd.sock")
        servers: list[_Server] = [_UnixServer(path, _Handler), _TCPServer(("127.0.0.1", 0),
                                                                            _Handler)]
        threads = []
        for server in servers:
            server.state = state
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      daemon=True)
            thread.start()
            threads.append(thread)
        port = servers[1].server_address[1]  # type: ignore[index]
        try:
            yield FakeClamd(state, path, f"tcp://127.0.0.1:{port}")
        finally:
            for server in servers:
                server.shutdown()
                server.server_close()
            for thread in threads:
                thread.join()


def unused_address(backend: str) -> str:
    """An address where no clamd listens."""
    if backend == "unix":
        return str(Path(tempfile.gettempdir()) / "no-clamd-here" / "clamd.sock")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"tcp://127.0.0.1:{port}"
