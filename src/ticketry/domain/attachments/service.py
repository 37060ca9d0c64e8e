"""Attachments: validated against the queue's allowed types, stored, listed, downloaded, deleted."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ticketry.db import utcnow
from ticketry.domain.attachments.errors import (
    AttachmentInfected,
    AttachmentNotFound,
    ContentMismatch,
    FileTooLarge,
    UnsupportedFileType,
)
from ticketry.domain.attachments.filetypes import (
    DEFAULT_ALLOWED,
    FILE_TYPES,
    content_matches,
    extension_of,
)
from ticketry.domain.attachments.models import Attachment
from ticketry.domain.attachments.scanning import CLEAN, NOT_SCANNED, Scanner, file_chunks
from ticketry.domain.attachments.storage import LocalStorage, StagedUpload
from ticketry.domain.comments.models import Comment
from ticketry.domain.errors import DomainError, PermissionDenied, ValidationFailed
from ticketry.domain.events.service import EventType, emit_ticket_event, user_ref
from ticketry.domain.history.models import ChangeType
from ticketry.domain.history.service import record_change
from ticketry.domain.queues.service import get_queue_config
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.service import get_ticket
from ticketry.domain.users.models import Role, User
from ticketry.log import get_logger

log = get_logger("ticketry.attachments")


def clean_filename(raw: str | None) -> str:
    """The client's name reduced to a safe display name (never used as a path)."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    if not name:
        raise ValidationFailed("the file has no usable name", field="file")
    return name[:255]


DEFAULT_PATH_PATTERN = "tickets/{ticket_uuid}/{attachment_uuid}"


def storage_key(pattern: str | None, ticket: Ticket, attachment: Attachment, ext: str,
                now: datetime) -> str:
    """Where the bytes live: the queue's layout (the healthcare document prescribes one),
    built only from server-chosen parts, never from the client's file name."""
    return (pattern or DEFAULT_PATH_PATTERN).format(
        ticket_id=ticket.key, ticket_uuid=ticket.public_id, attachment_uuid=attachment.public_id,
        yyyy=f"{now:%Y}", mm=f"{now:%m}", yyyymmdd=f"{now:%Y%m%d}", hhmmss=f"{now:%H%M%S}",
        hash8=attachment.public_id.hex[:8], ext=f".{ext}" if ext else "",
    )


def ticket_for_upload(session: Session, *, actor: User, ticket_id: uuid.UUID) -> Ticket:
    """Check the actor may attach to this ticket before a single byte is received."""
    return get_ticket(session, actor=actor, ticket_id=ticket_id)


def scan_upload(staged: StagedUpload, *, scanner: Scanner | None) -> str:
    """Scan a received file, once; returns its `virus_scan_status`. An infected file is refused
    with `AttachmentInfected` and its bytes deleted at once; a scanner that cannot tell raises
    `ScannerUnavailable` (see `scanning`: we fail closed).

    `add_attachment` calls this for every file; an upload route may call it first, outside its
    write transaction, so no database lock is held while the scanner reads the file."""
    if staged.scan_status is not None:
        return staged.scan_status
    if scanner is None:
        staged.scan_status = NOT_SCANNED
        return NOT_SCANNED
    staged.finish()
    verdict = scanner.scan(file_chunks(staged.path))
    if verdict.infected:
        staged.discard()
        log.warning("attachment_infected", filename=staged.filename, size=staged.size,
                    sha256=staged.sha256, signature=verdict.signature)
        raise AttachmentInfected(
            f"the file {staged.filename or ''} was refused: the virus scanner found "
            f"{verdict.signature} in it", field="file", signature=verdict.signature)
    staged.scan_status = CLEAN
    return CLEAN


def add_attachment(
    session: Session, *, actor: User, ticket_id: uuid.UUID, staged: StagedUpload,
    storage: LocalStorage, description: str | None = None, is_internal: bool = False,
    comment_id: uuid.UUID | None = None,
) -> tuple[Attachment, Ticket]:
    if staged.too_large:
        raise staged.overflow_error()
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id, for_update=True)
    comment = None
    if comment_id is not None:
        comment = session.scalars(select(Comment).where(
            Comment.public_id == comment_id, Comment.ticket_id == ticket.id)).one_or_none()
        if comment is None or (comment.is_internal and not actor.is_agent):
            raise ValidationFailed(f"comment {comment_id} is not a comment of this ticket",
                                   field="comment_id")
        if comment.author_id != actor.id:
            raise PermissionDenied("only a comment's author may attach files to it")
        # A file on an internal note is as internal as the note.
        is_internal = is_internal or comment.is_internal
    if is_internal and not actor.is_agent:
        raise PermissionDenied("only agents may add internal attachments")
    filename = clean_filename(staged.filename)
    if staged.size == 0:
        raise ValidationFailed(f"the file {filename} is empty", field="file")
    config = get_queue_config(session, ticket.queue_id)
    rules = config.settings.get("attachments") or {}
    allowed = tuple(e.lstrip(".").lower() for e in rules.get("allowed_extensions", ())) \
        or DEFAULT_ALLOWED
    ext = extension_of(filename)
    if ext not in allowed or ext not in FILE_TYPES:
        raise UnsupportedFileType(
            f"files of type {'.' + ext if ext else '(no extension)'} are not accepted; "
            f"allowed: {', '.join(allowed)}", field="file")
    file_type = FILE_TYPES[ext]
    if not content_matches(file_type, staged.head):
        raise ContentMismatch(f"the file's content is not a valid .{ext} file", field="file")
    # Before anything is written: a refused file leaves no row, no event and no bytes.
    scan_status = scan_upload(staged, scanner=storage.scanner)
    now = utcnow()
    attachment = Attachment(
        public_id=uuid.uuid4(), ticket_id=ticket.id, uploader_id=actor.id, filename=filename,
        comment_id=comment.id if comment else None,
        content_type=file_type.content_type, size=staged.size, sha256=staged.sha256,
        storage_key="", description=description, is_internal=is_internal,
        virus_scan_status=scan_status, created_at=now,
    )
    attachment.storage_key = storage_key(rules.get("path_pattern"), ticket, attachment, ext, now)
    session.add(attachment)
    session.flush()
    attachment.uploader = actor
    attachment.comment = comment
    record_change(session, ticket_id=ticket.id, actor=actor,
                  change_type=ChangeType.ATTACHMENT_ADDED, at=now, field="attachment",
                  new=filename, details={"attachment_id": str(attachment.public_id),
                                         "size": staged.size, "sha256": staged.sha256,
                                         "internal": is_internal})
    ticket.updated_at = now
    emit_ticket_event(session, type=EventType.FILE_UPLOADED, actor=actor, ticket=ticket, at=now,
                      extra={"file": {"id": attachment.id, "public_id": str(attachment.public_id),
                                      "filename": filename, "content_type": file_type.content_type,
                                      "size": staged.size, "sha256": staged.sha256,
                                      "is_internal": is_internal,
                                      "virus_scan_status": scan_status,
                                      "comment_id": str(comment.public_id) if comment else None,
                                      "uploaded_by": user_ref(actor)}})
    session.flush()
    storage.keep(staged, attachment.storage_key)
    return attachment, ticket


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    staged: StagedUpload
    attachment: Attachment | None
    error: DomainError | None


def add_attachments_each(
    session: Session, *, actor: User, ticket_id: uuid.UUID, staged_files: Sequence[StagedUpload],
    storage: LocalStorage,
) -> list[UploadOutcome]:
    """Several files, each judged on its own: a refused file is reported and the others kept.
    Each file gets a savepoint, so a refusal leaves nothing of it behind."""
    outcomes = []
    for staged in staged_files:
        try:
            with session.begin_nested():
                attachment, _ticket = add_attachment(session, actor=actor, ticket_id=ticket_id,
                                                     staged=staged, storage=storage)
        except (ValidationFailed, FileTooLarge) as exc:
            outcomes.append(UploadOutcome(staged, None, exc))
        else:
            outcomes.append(UploadOutcome(staged, attachment, None))
    return outcomes


def attachment_names(session: Session, ticket_ids: Sequence[int]) -> dict[int, list[str]]:
    """File names per ticket, for many tickets in one query (listings show them)."""
    names: dict[int, list[str]] = {ticket_id: [] for ticket_id in ticket_ids}
    if ticket_ids:
        rows = session.execute(select(Attachment.ticket_id, Attachment.filename)
                               .where(Attachment.ticket_id.in_(ticket_ids))
                               .order_by(Attachment.id))
        for ticket_id, filename in rows:
            names[ticket_id].append(filename)
    return names


def list_attachments(session: Session, *, actor: User, ticket_id: uuid.UUID) -> tuple[
        Sequence[Attachment], Ticket]:
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id)
    stmt = (select(Attachment).where(Attachment.ticket_id == ticket.id)
            .options(joinedload(Attachment.uploader), joinedload(Attachment.comment))
            .order_by(Attachment.created_at, Attachment.id))
    if not actor.is_agent:
        stmt = stmt.where(Attachment.is_internal.is_(False))
    return session.scalars(stmt).all(), ticket


def get_attachment(session: Session, *, actor: User, attachment_id: uuid.UUID | int) -> tuple[
        Attachment, Ticket]:
    """By public id, or by the integer id documents that number files show (enterprise)."""
    where = (Attachment.public_id == attachment_id if isinstance(attachment_id, uuid.UUID)
             else Attachment.id == attachment_id)
    row = session.execute(
        select(Attachment, Ticket)
        .join(Ticket, Ticket.id == Attachment.ticket_id)
        .where(where, Ticket.deleted_at.is_(None))
        .options(joinedload(Attachment.uploader), joinedload(Attachment.comment))
    ).one_or_none()
    if row is None:
        raise AttachmentNotFound(f"attachment {attachment_id} not found")
    attachment, ticket = row
    visible = actor.is_agent or (ticket.requester_id == actor.id and not attachment.is_internal)
    if not visible:
        raise AttachmentNotFound(f"attachment {attachment_id} not found")
    return attachment, ticket


def delete_attachment(session: Session, *, actor: User, attachment_id: uuid.UUID) -> str:
    """Remove the row (the caller deletes the bytes after commit); returns the storage key."""
    attachment, ticket = get_attachment(session, actor=actor, attachment_id=attachment_id)
    if attachment.uploader_id != actor.id and actor.role_enum is not Role.ADMIN:
        raise PermissionDenied("only the uploader or an administrator may delete an attachment")
    record_change(session, ticket_id=ticket.id, actor=actor,
                  change_type=ChangeType.ATTACHMENT_DELETED, at=utcnow(), field="attachment",
                  old=attachment.filename,
                  details={"attachment_id": str(attachment.public_id),
                           "internal": attachment.is_internal})
    key = attachment.storage_key
    session.delete(attachment)
    session.flush()
    return key
