"""An import file received as multipart/form-data (`file`), streamed to disk, then imported."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from python_multipart.multipart import parse_options_header
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ticketry.api.deps import get_database
from ticketry.api.uploads import ReceivedForm, parse_form, receive_form
from ticketry.domain.attachments.storage import LocalStorage
from ticketry.domain.errors import ValidationFailed
from ticketry.domain.imports.parsers import detect_format, iter_rows
from ticketry.domain.imports.service import import_tickets
from ticketry.domain.users.models import User

# Import files are bigger than attachments; they are never held in memory.
MAX_IMPORT_FILE_SIZE = 1024 * 1024 * 1024


async def import_from_request(request: Request, session: Session, *, actor: User,
                              queue_key: str | None, fmt: str | None) -> dict[str, Any]:
    # The import writes in its own unit of work: end the request's transaction first, so it
    # holds no lock (a client that labels the multipart body as JSON gets a writing session).
    await run_in_threadpool(session.commit)
    storage: LocalStorage = request.app.state.storage
    form = await _receive_import_file(request, storage)
    try:
        files = form.files.get("file", [])
        if len(files) != 1:
            raise ValidationFailed("send exactly one file in the `file` form field",
                                   field="file")
        staged = files[0]
        part_type = staged.declared_content_type
        if part_type in (None, "", "application/octet-stream"):
            part_type = request.headers.get("content-type") if not request.headers.get(
                "content-type", "").startswith("multipart/") else None
        file_format = detect_format(fmt, staged.filename, part_type)
        database = get_database(request)

        def run() -> dict[str, Any]:
            with database.unit_of_work(write=True) as session, staged.path.open("rb") as stream:
                report = import_tickets(
                    session, actor=session.merge(actor, load=False), queue_key=queue_key,
                    rows=iter_rows(stream, file_format), checkpoint=session.commit)
                return report.as_dict()

        async with request.app.state.write_gate:
            return await run_in_threadpool(run)
    finally:
        form.discard()


async def _receive_import_file(request: Request, storage: LocalStorage) -> ReceivedForm:
    """The file as a multipart `file` field -- also when a client replaced the multipart
    Content-Type with the file's own (as the document's curl examples do with -H and -F:
    the boundary is then read from the body) -- or, failing that, as the raw body."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type == b"multipart/form-data" and params.get(b"boundary"):
        return await receive_form(request, storage, max_file_size=MAX_IMPORT_FILE_SIZE,
                                  file_fields=("file",))
    stream = request.stream()
    first = b""
    async for chunk in stream:
        first += chunk
        if len(first) >= 256 or b"\r\n" in first:
            break

    async def rest() -> AsyncIterator[bytes]:
        yield first
        async for chunk in stream:
            yield chunk

    line = first.split(b"\r\n", 1)[0]
    if line.startswith(b"--") and 2 < len(line) <= 72:
        return await parse_form(rest(), line[2:], storage, max_file_size=MAX_IMPORT_FILE_SIZE,
                                file_fields=("file",))
    form = ReceivedForm()
    staged = storage.stage(MAX_IMPORT_FILE_SIZE)
    form.files["file"] = [staged]
    try:
        async for chunk in rest():
            staged.write(chunk)
        staged.finish()
    except BaseException:
        form.discard()
        raise
    return form
