"""Attachment bytes on the local filesystem, written through a staging file while streaming."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ticketry.domain.attachments.errors import FileTooLarge
from ticketry.domain.attachments.filetypes import SNIFF_BYTES
from ticketry.domain.attachments.scanning import Scanner


class StagedUpload:
    """An upload being received: hashed and size-checked chunk by chunk, never held in memory."""

    def __init__(self, directory: Path, max_size: int, *, abort_on_overflow: bool = True) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="upload-", dir=directory)
        self.path = Path(name)
        self._file: BinaryIO = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.max_size = max_size
        # Off: an oversized file is skipped (and reported) while the rest of the form goes on.
        self.abort_on_overflow = abort_on_overflow
        self.too_large = False
        self.size = 0
        self.head = b""
        self.filename: str | None = None
        self.declared_content_type: str | None = None
        # Set once the file has been through the storage's scanner (see scan_upload).
        self.scan_status: str | None = None

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.too_large:
            return
        if self.size > self.max_size:
            self.discard()
            self.too_large = True
            if self.abort_on_overflow:
                raise self.overflow_error()
            return
        if len(self.head) < SNIFF_BYTES:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
        self._hash.update(chunk)
        self._file.write(chunk)

    def overflow_error(self) -> FileTooLarge:
        return FileTooLarge(f"file exceeds the maximum size of {self.max_size} bytes",
                            max_size=self.max_size)

    def finish(self) -> None:
        if self.too_large:
            return
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)


class LocalStorage:
    """Where attachment bytes live; `scanner` (if any) checks every file before it is kept."""

    def __init__(self, root: Path, *, scanner: Scanner | None = None) -> None:
        self.root = root
        self.scanner = scanner

    def stage(self, max_size: int, *, abort_on_overflow: bool = True) -> StagedUpload:
        return StagedUpload(self.root / ".staging", max_size, abort_on_overflow=abort_on_overflow)

    def keep(self, staged: StagedUpload, key: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged.finish()
        os.replace(staged.path, target)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def iter_chunks(self, key: str, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
        with self.open(key) as handle:
            while chunk := handle.read(chunk_size):
                yield chunk

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("storage key escapes the storage root")
        return path
