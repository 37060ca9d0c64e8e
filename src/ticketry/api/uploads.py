"""Streaming multipart/form-data: file parts go to staging files chunk by chunk, with the size
limit enforced as the bytes arrive (never a whole file in memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ticketry.domain.attachments.storage import LocalStorage, StagedUpload
from ticketry.domain.errors import ValidationFailed

MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 32


class ReceivedForm:
    def __init__(self) -> None:
        self.files: dict[str, list[StagedUpload]] = {}
        self.fields: dict[str, str] = {}
        # File parts under a name the endpoint does not take (their bytes are skipped).
        self.unexpected_files: list[str] = []

    def all_files(self) -> list[StagedUpload]:
        return [f for files in self.files.values() for f in files]

    def discard(self) -> None:
        for staged in self.all_files():
            staged.discard()


async def receive_form(request: Request, storage: LocalStorage, *, max_file_size: int,
                       file_fields: tuple[str, ...],
                       abort_on_overflow: bool = True) -> ReceivedForm:
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ValidationFailed("send the file as multipart/form-data", field="file")
    return await parse_form(request.stream(), boundary, storage, max_file_size=max_file_size,
                            file_fields=file_fields, abort_on_overflow=abort_on_overflow)


async def parse_form(chunks: AsyncIterator[bytes], boundary: bytes, storage: LocalStorage, *,
                     max_file_size: int, file_fields: tuple[str, ...],
                     abort_on_overflow: bool = True) -> ReceivedForm:
    form = ReceivedForm()
    state: dict[str, object] = {}
    header_field = bytearray()
    header_value = bytearray()
    headers: dict[bytes, bytes] = {}
    parts = 0

    def on_part_begin() -> None:
        nonlocal parts
        parts += 1
        if parts > MAX_PARTS:
            raise ValidationFailed(f"at most {MAX_PARTS} form parts are accepted")
        headers.clear()
        state.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(headers.get(b"content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        filename = disposition.get(b"filename")
        state["name"] = name
        if filename is not None and name in file_fields:
            staged = storage.stage(max_file_size, abort_on_overflow=abort_on_overflow)
            staged.filename = filename.decode("utf-8", "replace")
            staged.declared_content_type = headers.get(b"content-type", b"").decode(
                "latin-1") or None
            form.files.setdefault(name, []).append(staged)
            state["file"] = staged
        elif filename is None:
            state["value"] = bytearray()
        else:
            form.unexpected_files.append(name)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        staged = state.get("file")
        if isinstance(staged, StagedUpload):
            staged.write(data[start:end])
            return
        value = state.get("value")
        if isinstance(value, bytearray):
            value.extend(data[start:end])
            if len(value) > MAX_FIELD_BYTES:
                raise ValidationFailed(f"form field {state.get('name')!r} is too long")

    def on_part_end() -> None:
        staged = state.get("file")
        if isinstance(staged, StagedUpload):
            staged.finish()
        value = state.get("value")
        if isinstance(value, bytearray):
            form.fields[str(state.get("name"))] = value.decode("utf-8", "replace")

    callbacks: dict[str, Callable[..., None]] = {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        form.discard()
        raise ValidationFailed("the multipart/form-data body is malformed") from exc
    except BaseException:
        form.discard()
        raise
    return form
