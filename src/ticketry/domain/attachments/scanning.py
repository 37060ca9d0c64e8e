"""Virus scanning of uploads, through ClamAV's daemon (clamd) when one is configured.

`settings.clamav_socket` names clamd: a unix socket path (`/run/clamav/clamd.ctl`, or
`unix:///run/...`) or `tcp://host:port`. Unset, nothing scans and every file says so
(`virus_scan_status = "not_scanned"`).

We fail closed: a file that could not be checked (clamd unreachable, too slow, or answering an
error, its stream size limit included) is refused with `ScannerUnavailable`, never stored as if
it were clean. An operator who configured a scanner asked for every file to be checked; a
scanner outage then delays uploads rather than letting unchecked files in.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from ticketry.domain.attachments.errors import ScannerUnavailable

# Attachment.virus_scan_status values.
CLEAN = "clean"
NOT_SCANNED = "not_scanned"

# clamd answers within its own limits for a file of our maximum size; past this we give up.
DEFAULT_TIMEOUT = 30.0
# The size of each INSTREAM chunk (clamd reads at most StreamMaxLength in total, 25 MB by
# default; the chunk size only bounds our memory).
CHUNK_SIZE = 64 * 1024
_MAX_REPLY = 4096


@dataclass(frozen=True, slots=True)
class ScanVerdict:
    """What a scanner found: nothing (`signature` None) or the name of what it found."""

    signature: str | None = None

    @property
    def infected(self) -> bool:
        return self.signature is not None


class Scanner(Protocol):
    """Checks a file given as a stream of byte chunks; raises `ScannerUnavailable` when it
    cannot tell."""

    def scan(self, chunks: Iterable[bytes]) -> ScanVerdict: ...


def file_chunks(path: Path, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            yield chunk


class ClamdScanner:
    """clamd's INSTREAM command: `zINSTREAM\\0`, then chunks each prefixed by its length as a
    4-byte big-endian integer, then a zero length; clamd answers `stream: OK`,
    `stream: <signature> FOUND` or `<reason> ERROR`."""

    def __init__(self, address: str, *, timeout: float = DEFAULT_TIMEOUT,
                 chunk_size: int = CHUNK_SIZE) -> None:
        self.address = address
        self.timeout = timeout
        self.chunk_size = chunk_size
        self._target = _parse_address(address)

    def _connect(self) -> socket.socket:
        if isinstance(self._target, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            try:
                sock.connect(self._target)
            except BaseException:
                sock.close()
                raise
            return sock
        return socket.create_connection(self._target, timeout=self.timeout)

    def scan(self, chunks: Iterable[bytes]) -> ScanVerdict:
        try:
            with self._connect() as sock:
                try:
                    sock.sendall(b"zINSTREAM\0")
                    for chunk in chunks:
                        for start in range(0, len(chunk), self.chunk_size):
                            piece = chunk[start:start + self.chunk_size]
                            sock.sendall(struct.pack(">I", len(piece)) + piece)
                    sock.sendall(struct.pack(">I", 0))
                except (BrokenPipeError, ConnectionResetError):
                    # clamd stops reading when the stream passes its size limit, after saying
                    # why: the reply below tells.
                    pass
                reply = _read_reply(sock)
        except TimeoutError as exc:
            raise ScannerUnavailable(
                f"the virus scanner did not answer within {self.timeout:g} s") from exc
        except OSError as exc:
            raise ScannerUnavailable(f"the virus scanner is unreachable: {exc}") from exc
        return _verdict(reply)


def _parse_address(address: str) -> str | tuple[str, int]:
    """A unix socket path, or (host, port)."""
    if address.startswith("tcp://"):
        parts = urlsplit(address)
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None:
            raise ValueError(f"clamd address {address!r}: use tcp://host:port")
        return parts.hostname, port
    path = address.removeprefix("unix://")
    if not path:
        raise ValueError("clamd address is empty: give a socket path or tcp://host:port")
    return path


def _read_reply(sock: socket.socket) -> bytes:
    reply = b""
    while b"\0" not in reply and len(reply) < _MAX_REPLY:
        data = sock.recv(_MAX_REPLY)
        if not data:
            break
        reply += data
    return reply.split(b"\0", 1)[0].strip()


def _verdict(reply: bytes) -> ScanVerdict:
    text = reply.decode("utf-8", "replace")
    if not text:
        raise ScannerUnavailable("the virus scanner closed the connection without an answer")
    if text == "stream: OK":
        return ScanVerdict()
    if text.startswith("stream: ") and text.endswith(" FOUND"):
        return ScanVerdict(text.removeprefix("stream: ").removesuffix(" FOUND").strip()
                           or "unknown")
    raise ScannerUnavailable(f"the virus scanner could not check the file: {text[:200]}")


def configured_scanner(clamav_socket: str | None) -> Scanner | None:
    """The scanner `TICKETRY_CLAMAV_SOCKET` names, or None when nothing is to scan."""
    if not clamav_socket or not clamav_socket.strip():
        return None
    return ClamdScanner(clamav_socket.strip())
