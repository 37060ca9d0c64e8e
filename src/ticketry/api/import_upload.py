"""An import file received as multipart/form-data (`file`), streamed to disk, then imported."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from ticketry.api.deps import get_database
from ticketry.api.uploads import receive_form
from ticketry.domain.attachments.storage import LocalStorage
from ticketry.domain.errors import ValidationFailed
from ticketry.domain.imports.parsers import detect_format, iter_rows
from ticketry.domain.imports.service import import_tickets
from ticketry.domain.users.models import User

# Import files are bigger than attachments; they are never held in memory.
MAX_IMPORT_FILE_SIZE = 1024 * 1024 * 1024


async def import_from_request(request: Request, *, actor: User, queue_key: str | None,
                              fmt: str | None) -> dict[str, Any]:
    storage: LocalStorage = request.app.state.storage
    form = await receive_form(request, storage, max_file_size=MAX_IMPORT_FILE_SIZE,
                              file_fields=("file",))
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
