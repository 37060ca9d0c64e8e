"""File attachments: streamed upload (with description and `is_internal`), streamed download."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ticketry.api.deps import ActorDep, SessionDep, SettingsDep, get_database
from ticketry.api.dialects.enterprise import mapping
from ticketry.api.dialects.enterprise.envelopes import ok
from ticketry.api.dialects.enterprise.lookups import number, ticket_of
from ticketry.api.uploads import receive_form
from ticketry.api.v1.attachments import content_disposition
from ticketry.domain.attachments import service as attachments
from ticketry.domain.attachments.errors import FileTooLarge
from ticketry.domain.attachments.storage import LocalStorage
from ticketry.domain.errors import ValidationFailed

router = APIRouter(tags=["attachments"])

# Room for the multipart framing around one file.
_MULTIPART_OVERHEAD = 64 * 1024
_FORM_FIELDS = frozenset({"description", "is_internal"})
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no", "")


def download_url(request: Request, attachment_id: int) -> str:
    """Absolute, under this app's mount (`request.url_for` would name the root app's routes)."""
    url = request.url
    return (f"{url.scheme}://{url.netloc}{request.scope.get('root_path', '')}"
            f"/attachments/{attachment_id}/download")


def _form_problems(form: Any) -> list[dict[str, str]]:
    bad: list[dict[str, str]] = []
    if len(form.files.get("file", [])) != 1:
        bad.append({"field": "file", "message": "send exactly one file in the `file` form field"})
    bad += [{"field": name, "message": "unknown field"}
            for name in sorted(set(form.fields) - _FORM_FIELDS)]
    bad += [{"field": name, "message": "unknown file field; send the file as `file`"}
            for name in sorted(set(form.unexpected_files))]
    if form.fields.get("is_internal", "false").strip().lower() not in _TRUE + _FALSE:
        bad.append({"field": "is_internal", "message": "must be true or false"})
    if "\x00" in (form.fields.get("description") or ""):
        bad.append({"field": "description", "message": "must not contain NUL characters"})
    if len(form.fields.get("description") or "") > 2000:
        bad.append({"field": "description", "message": "at most 2000 characters"})
    return bad


@router.post("/attachments/ticket/{ticket_id}/upload", status_code=status.HTTP_201_CREATED,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                                    "properties": {
                     "file": {"type": "string", "format": "binary"},
                     "description": {"type": "string"},
                     "is_internal": {"type": "boolean"}}}}}}})
async def upload(ticket_id: str, request: Request, actor: ActorDep, session: SessionDep,
                 settings: SettingsDep) -> Response:
    """One file in `file`, streamed to storage (size limit enforced as the bytes arrive, the
    content must match the extension); `virus_scan_status` says whether a scanner checked it."""
    ticket = await run_in_threadpool(ticket_of, request, session, actor, ticket_id)
    ticket_uuid = ticket.public_id
    # End the read transaction so no lock is held while the body streams in.
    await run_in_threadpool(session.commit)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > (
            settings.upload_max_file_size + _MULTIPART_OVERHEAD):
        raise FileTooLarge(f"file exceeds the maximum size of {settings.upload_max_file_size} "
                           "bytes", field="file")
    storage: LocalStorage = request.app.state.storage
    form = await receive_form(request, storage, max_file_size=settings.upload_max_file_size,
                              file_fields=("file",))
    try:
        bad = _form_problems(form)
        if bad:
            raise ValidationFailed(bad[0]["message"] if len(bad) == 1 else
                                   f"{len(bad)} form fields are invalid", details=bad)
        is_internal = form.fields.get("is_internal", "false").strip().lower() in _TRUE
        description = (form.fields.get("description") or "").strip() or None
        # Scanned before the write transaction: no lock is held while the scanner reads.
        await run_in_threadpool(attachments.scan_upload, form.files["file"][0],
                                scanner=storage.scanner)
        database = get_database(request)

        def store() -> dict[str, Any]:
            with database.unit_of_work(write=True) as writing:
                attachment, _ = attachments.add_attachment(
                    writing, actor=writing.merge(actor, load=False), ticket_id=ticket_uuid,
                    staged=form.files["file"][0], storage=storage, description=description,
                    is_internal=is_internal)
                return mapping.attachment_uploaded(attachment,
                                                   download_url(request, attachment.id))

        async with request.app.state.write_gate:
            data = await run_in_threadpool(store)
    finally:
        form.discard()
    return ok(request, data, "File uploaded successfully", status.HTTP_201_CREATED)


@router.get("/attachments/{attachment_id}/download", name="download_attachment",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "The file"}})
def download(attachment_id: str, request: Request, actor: ActorDep,
             session: SessionDep) -> StreamingResponse:
    """The file's bytes, streamed (internal files only for agents)."""
    attachment, _ = attachments.get_attachment(session, actor=actor,
                                               attachment_id=number(attachment_id, "attachment"))
    storage: LocalStorage = request.app.state.storage
    return StreamingResponse(
        storage.iter_chunks(attachment.storage_key), media_type=attachment.content_type,
        headers={"Content-Disposition": content_disposition(attachment.filename),
                 "Content-Length": str(attachment.size), "X-Content-Type-Options": "nosniff",
                 "ETag": f'"{attachment.sha256}"'})
