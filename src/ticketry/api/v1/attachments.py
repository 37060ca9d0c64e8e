from __future__ import annotations

import uuid
from urllib.parse import quote

from fastapi import BackgroundTasks, Request, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ticketry.api.deps import ActorDep, SessionDep, SettingsDep, get_database
from ticketry.api.routing import SegmentRouter
from ticketry.api.uploads import receive_form
from ticketry.api.v1.responses import problems
from ticketry.domain.attachments import service
from ticketry.domain.attachments.errors import FileTooLarge
from ticketry.domain.attachments.models import Attachment
from ticketry.domain.attachments.schemas import AttachmentRead
from ticketry.domain.attachments.storage import LocalStorage
from ticketry.domain.errors import ValidationFailed
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.schemas import UserSummary

router = SegmentRouter(tags=["attachments"])

# Room for the multipart framing around one file.
_MULTIPART_OVERHEAD = 64 * 1024


def storage_of(request: Request) -> LocalStorage:
    storage: LocalStorage = request.app.state.storage
    return storage


def attachment_read(attachment: Attachment, ticket: Ticket) -> AttachmentRead:
    uploader = attachment.uploader
    return AttachmentRead(
        id=attachment.public_id, ticket_id=ticket.public_id,
        comment_id=attachment.comment.public_id if attachment.comment else None,
        filename=attachment.filename,
        content_type=attachment.content_type, size=attachment.size, sha256=attachment.sha256,
        description=attachment.description, is_internal=attachment.is_internal,
        virus_scan_status=attachment.virus_scan_status,
        uploaded_by=UserSummary(id=uploader.public_id, username=uploader.username,
                                full_name=uploader.full_name, email=uploader.email)
        if uploader else None,
        created_at=attachment.created_at,
    )


_FORM_FIELDS = frozenset({"description", "is_internal", "comment_id"})


def _uuid_field(value: str | None, name: str) -> uuid.UUID | None:
    if value is None or not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise ValidationFailed(f"{name} must be a UUID", field=name) from None


def content_disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@router.get("/tickets/{ticket_id}/attachments", response_model=list[AttachmentRead],
            responses=problems(401, 404))
def list_attachments(ticket_id: uuid.UUID, actor: ActorDep,
                     session: SessionDep) -> list[AttachmentRead]:
    attachments, ticket = service.list_attachments(session, actor=actor, ticket_id=ticket_id)
    return [attachment_read(a, ticket) for a in attachments]


@router.post(
    "/tickets/{ticket_id}/attachments", response_model=AttachmentRead,
    status_code=status.HTTP_201_CREATED,
    responses=problems(401, 403, 404, 413, 415, 422, 503),
    openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary"},
            "description": {"type": "string"},
            "is_internal": {"type": "boolean"},
            "comment_id": {"type": "string", "format": "uuid",
                           "description": "attach the file to one of your comments"},
        }}}}}},
)
async def upload_attachment(ticket_id: uuid.UUID, request: Request, actor: ActorDep,
                            session: SessionDep, settings: SettingsDep) -> AttachmentRead:
    """Upload one file (`file` form field), streamed to storage; the size limit is enforced as
    the bytes arrive and the content must match the extension. With a virus scanner configured
    the file is scanned (`virus_scan_status` `clean`); an infected file is refused (422
    `ATTACHMENT_INFECTED`), and so is every file while the scanner is unreachable (503
    `EXTERNAL_SERVICE_ERROR`). Without one, `virus_scan_status` is `not_scanned`."""
    await run_in_threadpool(service.ticket_for_upload, session, actor=actor, ticket_id=ticket_id)
    # End the read transaction so no lock is held while the body streams in.
    await run_in_threadpool(session.commit)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > (
            settings.upload_max_file_size + _MULTIPART_OVERHEAD):
        raise FileTooLarge(f"file exceeds the maximum size of {settings.upload_max_file_size} "
                           "bytes", max_size=settings.upload_max_file_size)
    storage = storage_of(request)
    form = await receive_form(request, storage, max_file_size=settings.upload_max_file_size,
                              file_fields=("file",))
    try:
        # Every bad form field is reported at once, as for JSON bodies.
        bad: list[dict[str, str]] = []
        files = form.files.get("file", [])
        if len(files) != 1:
            bad.append({"field": "file",
                        "message": "send exactly one file in the `file` form field"})
        bad += [{"field": name, "message": "unknown field"}
                for name in sorted(set(form.fields) - _FORM_FIELDS)]
        bad += [{"field": name, "message": "unknown file field; send the file as `file`"}
                for name in sorted(set(form.unexpected_files))]
        flag = form.fields.get("is_internal", "false").strip().lower()
        if flag not in ("true", "1", "yes", "false", "0", "no", ""):
            bad.append({"field": "is_internal", "message": "must be true or false"})
        is_internal = flag in ("true", "1", "yes")
        description = form.fields.get("description")
        if description is not None and "\x00" in description:
            bad.append({"field": "description",
                        "message": "description must not contain NUL characters"})
        comment_id = None
        try:
            comment_id = _uuid_field(form.fields.get("comment_id"), "comment_id")
        except ValidationFailed as exc:
            bad.append({"field": "comment_id", "message": exc.message})
        if bad:
            raise ValidationFailed(bad[0]["message"] if len(bad) == 1 else
                                   f"{len(bad)} form fields are invalid", details=bad)
        # Scanned before the write transaction, so no lock waits on the scanner.
        await run_in_threadpool(service.scan_upload, files[0], scanner=storage.scanner)
        database = get_database(request)

        def store() -> AttachmentRead:
            with database.unit_of_work(write=True) as writing:
                attachment, ticket = service.add_attachment(
                    writing, actor=writing.merge(actor, load=False), ticket_id=ticket_id,
                    staged=files[0], storage=storage,
                    description=description, is_internal=is_internal, comment_id=comment_id)
                return attachment_read(attachment, ticket)

        async with request.app.state.write_gate:
            return await run_in_threadpool(store)
    finally:
        form.discard()


@router.get("/attachments/{attachment_id}", response_class=StreamingResponse,
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "The file, as an attachment"},
                       **problems(401, 404)})
def download_attachment(attachment_id: uuid.UUID, request: Request, actor: ActorDep,
                        session: SessionDep) -> StreamingResponse:
    attachment, _ticket = service.get_attachment(session, actor=actor,
                                                 attachment_id=attachment_id)
    storage = storage_of(request)
    return StreamingResponse(
        storage.iter_chunks(attachment.storage_key),
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": content_disposition(attachment.filename),
            "Content-Length": str(attachment.size),
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{attachment.sha256}"',
        },
    )


@router.delete("/attachments/{attachment_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(401, 403, 404))
def delete_attachment(attachment_id: uuid.UUID, request: Request, actor: ActorDep,
                      session: SessionDep, background: BackgroundTasks) -> None:
    """Delete an attachment (its uploader or an administrator); the bytes go after commit."""
    key = service.delete_attachment(session, actor=actor, attachment_id=attachment_id)
    background.add_task(storage_of(request).delete, key)
