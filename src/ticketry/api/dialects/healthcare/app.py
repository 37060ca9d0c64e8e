"""Sub-application for `healthcare-api.md`; every rule lives in the core services."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

import orjson
from fastapi import BackgroundTasks, FastAPI, Form, Header, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ticketry.api.deps import ActorDep, SessionDep, SettingsDep, get_database
from ticketry.api.dialect_app import dialect_app
from ticketry.api.dialects.healthcare import mapping
from ticketry.api.dialects.healthcare.schemas import (
    AttachmentDeletedOut,
    AttachmentListOut,
    AttachmentOut,
    FailedUpload,
    MessageOut,
    ModificationIn,
    ModificationListOut,
    ModificationOut,
    ModificationUser,
    RefItem,
    TicketDetailOut,
    TicketIn,
    TicketListOut,
    TicketOut,
    TicketUpdateIn,
    TokenOut,
    UploadOut,
    UserDetailOut,
    UserIn,
    UserUpdateIn,
)
from ticketry.api.middleware import DatabaseSlots, WriteGate
from ticketry.api.uploads import receive_form
from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.attachments import service as attachments
from ticketry.domain.attachments.errors import FileTooLarge
from ticketry.domain.attachments.storage import LocalStorage
from ticketry.domain.auth import service as auth
from ticketry.domain.errors import (
    AuthenticationFailed,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from ticketry.domain.history.messages import negotiate_language
from ticketry.domain.history.service import ChangeGroup
from ticketry.domain.queues.config import QueueConfig
from ticketry.domain.queues.service import find_queue_config
from ticketry.domain.tickets import service as tickets
from ticketry.domain.tickets.errors import TicketNotFound
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketCreate, TicketFilters, TicketPatch
from ticketry.domain.users import service as users
from ticketry.domain.users.models import User
from ticketry.domain.users.schemas import UserCreate, UserUpdate
from ticketry.log import get_logger

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = get_logger("ticketry.healthcare")

SortBy = Literal["creation_date", "title", "ticket_num", "status", "priority"]
_SORT = {"creation_date": "created_at", "title": "title", "ticket_num": "number",
         "status": "status", "priority": "priority"}
_MULTIPART_OVERHEAD = 64 * 1024


def _config(request: Request, session: Session) -> QueueConfig:
    return find_queue_config(session, request.app.state.queue_key)


def _ticket(session: Session, config: QueueConfig, actor: User, ticket_id: str) -> Ticket:
    ticket = tickets.get_ticket_by_key(session, actor=actor, key=ticket_id)
    if ticket.queue_id != config.id:
        raise TicketNotFound(f"ticket {ticket_id} not found")
    return ticket


def _detail(session: Session, config: QueueConfig, ticket: Ticket) -> TicketDetailOut:
    names = attachments.attachment_names(session, [ticket.id])[ticket.id]
    return mapping.ticket_detail_out(config, ticket, names)


def _group_out(group: ChangeGroup) -> ModificationOut:
    user = group.actor
    return ModificationOut(
        id=group.id, user_id=user.id if user else None, date=mapping.stamp(group.at) or "",
        user=ModificationUser(id=user.id, username=user.username, email=user.email)
        if user else None,
        changes=group.sentences, total_changes=len(group.sentences))


def raw_error_body(status_code: int, code: str, detail: str) -> tuple[bytes, str]:
    """A refusal made before the request reaches this app (body too large, bad URL)."""
    return orjson.dumps({"detail": detail}), "application/json"


def _error(status_code: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)


def create_healthcare_app(settings: Settings, database: Database, storage: LocalStorage,
                          write_gate: WriteGate, db_slots: DatabaseSlots,
        queue_key: str = "healthcare") -> FastAPI:
    app = dialect_app(title="Ticketry healthcare desk", version="1.0.0",
                      description="The healthcare incident desk API (healthcare-api.md).",
                      settings=settings, database=database, storage=storage,
                      write_gate=write_gate, db_slots=db_slots,
                      queue_key=queue_key)

    @app.post("/token", response_model=TokenOut)
    def token(username: Annotated[str, Form(max_length=150)],
              password: Annotated[str, Form(max_length=256)],
              session: SessionDep, settings: SettingsDep) -> TokenOut:
        issued = auth.login(session, settings=settings, username=username, password=password)
        return TokenOut(access_token=issued.access_token)

    # ------------------------------------------------------------------ tickets

    @app.post("/tickets/", response_model=TicketOut, status_code=status.HTTP_201_CREATED)
    def create_ticket(body: TicketIn, request: Request, actor: ActorDep,
                      session: SessionDep, settings: SettingsDep) -> TicketOut:
        config = _config(request, session)
        data = TicketCreate(
            queue=config.key, ticket_type=body.type, title=body.title,
            description=body.description, status=mapping.status_key(config, body.status_id),
            priority=mapping.priority_key(config, body.crit_id),
            tool=mapping.tool_key(config, body.tool_id),
            location=mapping.center_key(config, body.center_id)
            if body.center_id is not None else None,
            people=body.people, channel=body.pathway, notifier=body.notifier, url=body.url,
            key=body.ticket_num,
        )
        ticket = tickets.create_ticket(session, actor=actor, data=data, settings=settings)
        return mapping.ticket_out(config, ticket, [])

    @app.get("/tickets/", response_model=TicketListOut)
    def list_tickets(
        request: Request, actor: ActorDep, session: SessionDep,
        skip: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        status_id: int | None = None,
        type: Literal["incidence", "suggestion"] | None = None,
        crit_id: int | None = None, tool_id: int | None = None, center_id: int | None = None,
        date_from: datetime | None = None, date_to: datetime | None = None,
        sort_by: SortBy = "creation_date",
        sort_order: Literal["asc", "desc"] = "desc",
    ) -> TicketListOut:
        config = _config(request, session)
        filters = TicketFilters(
            queue=config.key,
            status=[mapping.status_key(config, status_id)] if status_id is not None else [],
            ticket_type=[type] if type else [],
            priority=[mapping.priority_key(config, crit_id)] if crit_id is not None else [],
            tool=[mapping.tool_key(config, tool_id)] if tool_id is not None else [],
            location=[mapping.center_key(config, center_id)] if center_id is not None else [],
            created_after=date_from, created_before=_day_end(date_to),
        )
        order = sort_order
        if sort_by == "priority":
            # crit ids grow with urgency; the core ranks 1 = most urgent.
            order = "desc" if sort_order == "asc" else "asc"
        page = tickets.list_tickets(session, actor=actor, filters=filters,
                                    page=skip // limit + 1, size=limit,
                                    sort_by=_SORT[sort_by], order=order, offset=skip)
        names = attachments.attachment_names(session, [t.id for t in page.items])
        return TicketListOut(
            tickets=[mapping.ticket_detail_out(config, t, names[t.id]) for t in page.items],
            total=page.total, page=skip // limit + 1, size=limit)

    @app.get("/tickets/{ticket_id}", response_model=TicketDetailOut)
    def read_ticket(ticket_id: str, request: Request, actor: ActorDep,
                    session: SessionDep) -> TicketDetailOut:
        config = _config(request, session)
        return _detail(session, config, _ticket(session, config, actor, ticket_id))

    @app.put("/tickets/{ticket_id}", response_model=TicketDetailOut)
    def update_ticket(ticket_id: str, body: TicketUpdateIn, request: Request, actor: ActorDep,
                      session: SessionDep, settings: SettingsDep) -> TicketDetailOut:
        config = _config(request, session)
        ticket = _ticket(session, config, actor, ticket_id)
        given = body.model_dump(exclude_unset=True)
        changes: dict[str, Any] = {}
        for doc_field, core_field in (("title", "title"), ("description", "description"),
                                      ("type", "ticket_type"), ("people", "people"),
                                      ("pathway", "channel"), ("notifier", "notifier"),
                                      ("url", "url")):
            if doc_field in given:
                changes[core_field] = given[doc_field]
        if given.get("status_id") is not None:
            changes["status"] = mapping.status_key(config, given["status_id"])
        if given.get("crit_id") is not None:
            changes["priority"] = mapping.priority_key(config, given["crit_id"])
        if given.get("tool_id") is not None:
            changes["tool"] = mapping.tool_key(config, given["tool_id"])
        if "center_id" in given:
            center = given["center_id"]
            changes["location"] = mapping.center_key(config, center) if center is not None else None
        updated = tickets.update_ticket(session, actor=actor, ticket_id=ticket.public_id,
                                        data=TicketPatch(**changes), settings=settings)
        return _detail(session, config, updated)

    @app.delete("/tickets/{ticket_id}", response_model=MessageOut)
    def delete_ticket(ticket_id: str, request: Request, actor: ActorDep,
                      session: SessionDep) -> MessageOut:
        """Soft delete: the ticket leaves listings; it stays in the database and history."""
        config = _config(request, session)
        ticket = _ticket(session, config, actor, ticket_id)
        tickets.delete_ticket(session, actor=actor, ticket_id=ticket.public_id)
        return MessageOut(message="Ticket deleted successfully")

    # ------------------------------------------------------------------ attachments

    async def _upload(ticket_id: str, request: Request, actor: User, session: Session,
                      settings: Settings, fields: tuple[str, ...]) -> UploadOut:
        config = await run_in_threadpool(_config, request, session)
        ticket = await run_in_threadpool(_ticket, session, config, actor, ticket_id)
        ticket_uuid, ticket_key = ticket.public_id, ticket.key
        # End the read transaction so no lock is held while the body streams in.
        await run_in_threadpool(session.commit)
        storage: LocalStorage = request.app.state.storage
        form = await receive_form(request, storage, max_file_size=settings.upload_max_file_size,
                                  file_fields=fields, abort_on_overflow=False)
        try:
            staged = [f for name in fields for f in form.files.get(name, [])]
            if not staged:
                raise ValidationFailed(f"no file received: send it in the {fields[0]!r} field")
            database = get_database(request)

            def store() -> tuple[list[AttachmentOut], list[FailedUpload]]:
                with database.unit_of_work(write=True) as writing:
                    outcomes = attachments.add_attachments_each(
                        writing, actor=writing.merge(actor, load=False), ticket_id=ticket_uuid,
                        staged_files=staged,
                        storage=storage)
                    return ([mapping.attachment_out(o.attachment, ticket_key)
                             for o in outcomes if o.attachment is not None],
                            [FailedUpload(filename=o.staged.filename or "", error=o.error.message)
                             for o in outcomes if o.error is not None])

            async with request.app.state.write_gate:
                uploaded, failed = await run_in_threadpool(store)
        finally:
            form.discard()
        return UploadOut(
            message=f"Upload completed. {len(uploaded)} files uploaded successfully.",
            uploaded_files=uploaded, failed_uploads=failed,
            total_uploaded=len(uploaded), total_failed=len(failed))

    @app.post("/tickets/{ticket_id}/upload", response_model=UploadOut)
    async def upload_files(ticket_id: str, request: Request, actor: ActorDep,
                           session: SessionDep, settings: SettingsDep) -> UploadOut:
        """Several files in `files`; each is validated on its own."""
        return await _upload(ticket_id, request, actor, session, settings, ("files",))

    @app.post("/tickets/{ticket_id}/upload-single", response_model=UploadOut)
    async def upload_single(ticket_id: str, request: Request, actor: ActorDep,
                            session: SessionDep, settings: SettingsDep) -> UploadOut:
        """One file (`file`, or `files` as the multiple upload takes it); a refused file is a
        400, as there is nothing else to report."""
        result = await _upload(ticket_id, request, actor, session, settings, ("file", "files"))
        if result.failed_uploads and not result.uploaded_files:
            raise ValidationFailed(result.failed_uploads[0].error)
        return result

    @app.get("/tickets/{ticket_id}/attachments", response_model=AttachmentListOut)
    def list_attachments(ticket_id: str, request: Request, actor: ActorDep,
                         session: SessionDep) -> AttachmentListOut:
        config = _config(request, session)
        ticket = _ticket(session, config, actor, ticket_id)
        files, _ = attachments.list_attachments(session, actor=actor, ticket_id=ticket.public_id)
        return AttachmentListOut(
            ticket_id=ticket.key, total_attachments=len(files),
            total_size=sum(f.size for f in files),
            attachments=[mapping.attachment_out(f, ticket.key) for f in files],
            directory_structure=mapping.directory_structure([f.storage_key for f in files]))

    @app.delete("/tickets/{ticket_id}/attachments/{filename:path}",
                response_model=AttachmentDeletedOut)
    def delete_attachment(ticket_id: str, filename: str, request: Request, actor: ActorDep,
                          session: SessionDep, background: BackgroundTasks,
                          ) -> AttachmentDeletedOut:
        """By stored path, stored name or original name (URL-encoded)."""
        config = _config(request, session)
        ticket = _ticket(session, config, actor, ticket_id)
        files, _ = attachments.list_attachments(session, actor=actor, ticket_id=ticket.public_id)
        match = next((f for f in files if filename in (
            f.storage_key, f.storage_key.rsplit("/", 1)[-1])), None) or next(
            (f for f in files if f.filename == filename), None)
        if match is None:
            raise NotFound(f"attachment {filename!r} not found on ticket {ticket.key}")
        key = attachments.delete_attachment(session, actor=actor, attachment_id=match.public_id)
        # The bytes go once the row's deletion is committed.
        background.add_task(request.app.state.storage.delete, key)
        return AttachmentDeletedOut(message="Attachment deleted successfully",
                                    deleted_file=match.filename,
                                    remaining_attachments=len(files) - 1)

    # ------------------------------------------------------------------ modifications

    @app.get("/tickets/{ticket_id}/modifications", response_model=ModificationListOut)
    def list_modifications(
        ticket_id: str, request: Request, actor: ActorDep, session: SessionDep,
        accept_language: Annotated[str | None, Header()] = None,
    ) -> ModificationListOut:
        config = _config(request, session)
        ticket = _ticket(session, config, actor, ticket_id)
        language = negotiate_language(accept_language, config.default_language)
        # The document counts changes made to a ticket; its creation is not one of them.
        groups = tickets.list_change_groups(session, actor=actor, ticket=ticket,
                                            language=language, include_creation=False)
        return ModificationListOut(modifications=[_group_out(g) for g in groups],
                                   total=len(groups))

    @app.post("/modifications/", response_model=ModificationOut,
              status_code=status.HTTP_201_CREATED)
    def create_modification(body: ModificationIn, request: Request, actor: ActorDep,
                            session: SessionDep) -> ModificationOut:
        config = _config(request, session)
        ticket = _ticket(session, config, actor, body.ticket_id)
        group = tickets.record_modification(
            session, actor=actor, ticket=ticket, field=body.field_name, old=body.old_value,
            new=body.new_value, reason=body.reason)
        return _group_out(group)

    # ------------------------------------------------------------------ users

    @app.get("/users/me", response_model=UserDetailOut)
    def read_me(request: Request, actor: ActorDep, session: SessionDep) -> UserDetailOut:
        return mapping.user_detail_out(_config(request, session), actor)

    @app.post("/users/", response_model=UserDetailOut, status_code=status.HTTP_201_CREATED)
    def create_user(body: UserIn, request: Request, actor: ActorDep,
                    session: SessionDep) -> UserDetailOut:
        config = _config(request, session)
        user = users.create_user(session, actor=actor, data=UserCreate(
            username=body.username, email=body.email, password=body.password,
            role=mapping.role_for_level(config, body.permission_level),
            given_name=body.name, family_name=body.surnames,
            default_location=mapping.center_key(config, body.default_center_id)
            if body.default_center_id is not None else None))
        return mapping.user_detail_out(config, user)

    @app.put("/users/{user_id}", response_model=UserDetailOut)
    def update_user(user_id: int, body: UserUpdateIn, request: Request, actor: ActorDep,
                    session: SessionDep) -> UserDetailOut:
        config = _config(request, session)
        given = body.model_dump(exclude_unset=True)
        changes: dict[str, Any] = {k: given[k] for k in ("email", "password", "is_active")
                                   if k in given}
        if "name" in given:
            changes["given_name"] = given["name"]
        if "surnames" in given:
            changes["family_name"] = given["surnames"]
        if given.get("permission_level") is not None:
            changes["role"] = mapping.role_for_level(config, given["permission_level"])
        if "default_center_id" in given:
            center = given["default_center_id"]
            changes["default_location"] = (mapping.center_key(config, center)
                                           if center is not None else None)
        user = users.update_user(session, actor=actor, user_id=user_id,
                                 data=UserUpdate(**changes))
        return mapping.user_detail_out(config, user)

    # ------------------------------------------------------------------ reference data

    @app.get("/status/", response_model=list[RefItem])
    def statuses(request: Request, actor: ActorDep, session: SessionDep) -> list[RefItem]:
        return mapping.ref_items(_config(request, session).statuses)

    @app.get("/crit/", response_model=list[RefItem])
    def priorities(request: Request, actor: ActorDep, session: SessionDep) -> list[RefItem]:
        return mapping.ref_items(_config(request, session).priorities)

    @app.get("/tool/", response_model=list[RefItem])
    def tools(request: Request, actor: ActorDep, session: SessionDep) -> list[RefItem]:
        return mapping.ref_items(_config(request, session).reference_lists.get("tool", {}))

    @app.get("/center/", response_model=list[RefItem])
    def centers(request: Request, actor: ActorDep, session: SessionDep) -> list[RefItem]:
        return mapping.ref_items(_config(request, session).reference_lists.get("center", {}))

    # ------------------------------------------------------------------ errors

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, AuthenticationFailed):
            return _error(401, exc.message, {"WWW-Authenticate": "Bearer"})
        if isinstance(exc, PermissionDenied):
            return _error(403, exc.message)
        if isinstance(exc, NotFound) and "field" not in exc.context:
            return _error(404, exc.message)
        if isinstance(exc, FileTooLarge):
            return _error(400, exc.message)
        details = "; ".join(f"{d.get('field')}: {d.get('message')}" for d in exc.details)
        return _error(400, f"{exc.message} ({details})" if details else exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return _error(400, "; ".join(problems) or "invalid request")

    @app.exception_handler(ValidationError)
    async def _model_validation(request: Request, exc: ValidationError) -> Response:
        return await _validation(request, RequestValidationError(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(exc.status_code, str(exc.detail),
                      dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled error", path=request.url.path, exc_info=exc)
        return _error(500, "Internal server error")

    return app


def _day_end(value: datetime | None) -> datetime | None:
    """`date_to=2025-01-15` includes the whole of that day (zone-less values are UTC: see
    TicketFilters)."""
    if value is not None and value.tzinfo is None and value.time() == time(0):
        return value + timedelta(days=1) - timedelta(microseconds=1)
    return value
