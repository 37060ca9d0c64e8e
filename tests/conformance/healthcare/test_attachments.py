"""healthcare-api.md, "File Attachments": multi-file upload, single upload, listing, delete."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.conformance.healthcare.files import ALLOWED, PDF, png
from tests.conformance.healthcare.support import (
    HC,
    TIMESTAMP,
    Actor,
    assert_error,
    create_ticket,
    get_ticket,
)
from ticketry.config import Settings

UPLOAD_RESPONSE_FIELDS = {"message", "uploaded_files", "failed_uploads", "total_uploaded",
                          "total_failed"}
FILE_FIELDS = {"filename", "original_name", "path", "size", "hash", "uploaded_by", "uploaded_at",
               "file_type", "content_type", "ticket_id"}
LISTING_FIELDS = {"ticket_id", "total_attachments", "total_size", "attachments",
                  "directory_structure"}
MAX_SIZE = 50 * 1024 * 1024
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"

Files = list[tuple[str, tuple[str, bytes, str]]]


def upload(client: TestClient, actor: Actor, ticket_id: str, files: Files) -> Response:
    return client.post(f"{HC}/tickets/{ticket_id}/upload", headers=actor.headers, files=files)


def upload_ok(client: TestClient, actor: Actor, ticket_id: str, *named: tuple[str, bytes]) -> dict[str, Any]:
    response = upload(client, actor, ticket_id,
                      [("files", (name, content, "application/octet-stream")) for name, content in named])
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def attachments(client: TestClient, actor: Actor, ticket_id: str) -> dict[str, Any]:
    response = client.get(f"{HC}/tickets/{ticket_id}/attachments", headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == LISTING_FIELDS, body
    return body


def path_pattern(ticket_id: str, ext: str) -> re.Pattern[str]:
    """tickets/INC123456/attachments/2025/01/20250115_143022_a1b2c3d4.pdf"""
    return re.compile(rf"^tickets/{ticket_id}/attachments/(\d{{4}})/(\d{{2}})/"
                      rf"((\d{{4}})(\d{{2}})\d{{2}}_\d{{6}}_[0-9a-z]{{8}}{re.escape(ext)})$")


def assert_stored_file(item: dict[str, Any], *, ticket_id: str, name: str, content: bytes,
                       actor: Actor) -> None:
    assert set(item) == FILE_FIELDS, item
    ext = "." + name.rsplit(".", 1)[1].lower()
    assert item["filename"] == name
    assert item["original_name"] == name
    match = path_pattern(ticket_id, ext).match(item["path"])
    assert match, item["path"]
    assert match.group(1) == match.group(4)
    assert match.group(2) == match.group(5)
    assert item["size"] == len(content)
    assert item["hash"] == hashlib.sha256(content).hexdigest()
    assert item["uploaded_by"] == actor.username
    assert TIMESTAMP.match(item["uploaded_at"]), item["uploaded_at"]
    uploaded_at = datetime.fromisoformat(item["uploaded_at"])
    stamp = match.group(3)[:15]  # YYYYMMDD_HHMMSS
    assert stamp == uploaded_at.strftime("%Y%m%d_%H%M%S")
    now = datetime.now(UTC).replace(tzinfo=None)
    local = datetime.now()
    assert min(abs(now - uploaded_at), abs(local - uploaded_at)) < timedelta(minutes=2)
    assert item["file_type"] == ext
    assert isinstance(item["content_type"], str)
    assert item["content_type"]
    assert item["ticket_id"] == ticket_id


def test_the_documents_example_two_files(client: TestClient, end_user: Actor,
                                         settings: Settings) -> None:
    ticket = create_ticket(client, end_user)
    screenshot = png()
    response = upload(client, end_user, ticket["id"], [
        ("files", ("document.pdf", PDF, "application/pdf")),
        ("files", ("screenshot.png", screenshot, "image/png")),
    ])
    assert response.status_code in (200, 201), response.text
    body = response.json()
    assert set(body) == UPLOAD_RESPONSE_FIELDS
    assert body["message"] == "Upload completed. 2 files uploaded successfully."
    assert body["failed_uploads"] == []
    assert body["total_uploaded"] == 2
    assert body["total_failed"] == 0
    pdf, image = body["uploaded_files"]
    assert_stored_file(pdf, ticket_id=ticket["id"], name="document.pdf", content=PDF, actor=end_user)
    assert pdf["content_type"] == "application/pdf"
    assert pdf["file_type"] == ".pdf"
    assert_stored_file(image, ticket_id=ticket["id"], name="screenshot.png", content=screenshot,
                       actor=end_user)
    assert image["content_type"] == "image/png"
    assert len(get_ticket(client, end_user, ticket["id"])["attached"]) == 2
    # The documented path is where the bytes are, under the storage root.
    assert (settings.storage_path / pdf["path"]).read_bytes() == PDF
    assert (settings.storage_path / image["path"]).read_bytes() == screenshot


def test_a_file_name_cannot_escape_the_ticket_directory(client: TestClient, end_user: Actor,
                                                        settings: Settings) -> None:
    ticket = create_ticket(client, end_user)
    body = upload_ok(client, end_user, ticket["id"], ("../../../escape.pdf", PDF))
    assert body["total_uploaded"] == 1, body
    [stored] = body["uploaded_files"]
    assert path_pattern(ticket["id"], ".pdf").match(stored["path"]), stored["path"]
    assert ".." not in stored["path"]
    assert (settings.storage_path / stored["path"]).read_bytes() == PDF


@pytest.mark.parametrize("name", list(ALLOWED))
def test_every_allowed_extension(client: TestClient, end_user: Actor, name: str) -> None:
    ticket = create_ticket(client, end_user)
    body = upload_ok(client, end_user, ticket["id"], (name, ALLOWED[name]))
    assert body["total_uploaded"] == 1, body
    assert body["total_failed"] == 0
    assert body["message"] == "Upload completed. 1 files uploaded successfully."
    assert_stored_file(body["uploaded_files"][0], ticket_id=ticket["id"], name=name,
                       content=ALLOWED[name], actor=end_user)


def test_the_extension_is_checked_whatever_its_case(client: TestClient, end_user: Actor) -> None:
    ticket = create_ticket(client, end_user)
    body = upload_ok(client, end_user, ticket["id"], ("SCAN.PDF", PDF))
    assert body["total_uploaded"] == 1, body
    assert body["uploaded_files"][0]["file_type"] == ".pdf"


@pytest.mark.parametrize(("name", "content"), [
    ("setup.exe", EXE),                       # not an allowed extension
    ("script.sh", b"#!/bin/sh\necho hi\n"),   # not an allowed extension
    ("README", b"no extension at all\n"),     # no extension
    ("report.pdf", EXE),                      # content does not match the extension
    ("screenshot.png", b"this is not a png\n"),
    ("logs.zip", b"plain text, not an archive\n"),
])
def test_one_bad_file_fails_and_the_others_are_stored(client: TestClient, end_user: Actor, name: str,
                                                      content: bytes) -> None:
    ticket = create_ticket(client, end_user)
    body = upload_ok(client, end_user, ticket["id"], ("first.pdf", PDF), (name, content),
                     ("notes.txt", b"Some notes.\n"))
    assert body["message"] == "Upload completed. 2 files uploaded successfully."
    assert body["total_uploaded"] == 2
    assert body["total_failed"] == 1
    assert [f["original_name"] for f in body["uploaded_files"]] == ["first.pdf", "notes.txt"]
    [failed] = body["failed_uploads"]
    assert name in str(failed)
    listing = attachments(client, end_user, ticket["id"])
    assert sorted(a["original_name"] for a in listing["attachments"]) == ["first.pdf", "notes.txt"]


def test_the_size_limit_is_50mb_per_file(client: TestClient, end_user: Actor) -> None:
    ticket = create_ticket(client, end_user)
    body = upload_ok(client, end_user, ticket["id"], ("at-limit.txt", b"a" * MAX_SIZE),
                     ("over-limit.txt", b"a" * (MAX_SIZE + 1)))
    assert body["total_uploaded"] == 1
    assert body["total_failed"] == 1
    assert body["uploaded_files"][0]["size"] == MAX_SIZE
    assert "over-limit.txt" in str(body["failed_uploads"][0])


def test_only_bad_files(client: TestClient, end_user: Actor) -> None:
    ticket = create_ticket(client, end_user)
    response = upload(client, end_user, ticket["id"],
                      [("files", ("setup.exe", EXE, "application/x-msdownload"))])
    if response.status_code in (200, 201):
        body = response.json()
        assert body["total_uploaded"] == 0
        assert body["total_failed"] == 1
        assert body["message"] == "Upload completed. 0 files uploaded successfully."
    else:
        assert_error(response, 400)
    assert attachments(client, end_user, ticket["id"])["total_attachments"] == 0


def test_an_upload_without_files_is_400(client: TestClient, end_user: Actor) -> None:
    ticket = create_ticket(client, end_user)
    response = client.post(f"{HC}/tickets/{ticket['id']}/upload", headers=end_user.headers,
                           data={"note": "nothing attached"})
    assert_error(response, 400)
    # A file under another field name than the document's `files` is not silently dropped.
    response = client.post(f"{HC}/tickets/{ticket['id']}/upload", headers=end_user.headers,
                           files=[("attachment", ("document.pdf", PDF, "application/pdf"))])
    if response.status_code in (200, 201):
        assert response.json()["total_uploaded"] + response.json()["total_failed"] == 1
    else:
        assert_error(response, 400)


def test_an_upload_to_an_unknown_ticket_is_404(client: TestClient, end_user: Actor) -> None:
    assert_error(upload(client, end_user, "INC999999", [("files", ("a.pdf", PDF, "application/pdf"))]), 404)
    assert_error(client.get(f"{HC}/tickets/INC999999/attachments", headers=end_user.headers), 404)


@pytest.mark.parametrize("field", ["file", "files"])
def test_upload_single(client: TestClient, end_user: Actor, field: str) -> None:
    ticket = create_ticket(client, end_user)
    response = client.post(f"{HC}/tickets/{ticket['id']}/upload-single", headers=end_user.headers,
                           files=[(field, ("document.pdf", PDF, "application/pdf"))])
    assert response.status_code in (200, 201), response.text
    assert "tickets/" + ticket["id"] + "/attachments/" in response.text
    [stored] = attachments(client, end_user, ticket["id"])["attachments"]
    assert_stored_file(stored, ticket_id=ticket["id"], name="document.pdf", content=PDF, actor=end_user)


def test_upload_single_refuses_a_bad_file_with_400(client: TestClient, end_user: Actor) -> None:
    ticket = create_ticket(client, end_user)
    response = client.post(f"{HC}/tickets/{ticket['id']}/upload-single", headers=end_user.headers,
                           files=[("file", ("setup.exe", EXE, "application/octet-stream"))])
    assert_error(response, 400)
    assert attachments(client, end_user, ticket["id"])["total_attachments"] == 0


def test_get_attachments(client: TestClient, end_user: Actor) -> None:
    ticket = create_ticket(client, end_user)
    screenshot = png()
    uploaded = upload_ok(client, end_user, ticket["id"], ("document.pdf", PDF),
                         ("screenshot.png", screenshot))["uploaded_files"]
    listing = attachments(client, end_user, ticket["id"])
    assert listing["ticket_id"] == ticket["id"]
    assert listing["total_attachments"] == 2
    assert listing["total_size"] == len(PDF) + len(screenshot)
    by_path = sorted(listing["attachments"], key=lambda a: a["path"])
    assert by_path == sorted(uploaded, key=lambda a: a["path"])
    structure: dict[str, dict[str, list[str]]] = {}
    for item in uploaded:
        _tickets, _id, _attachments, year, month, name = item["path"].split("/")
        structure.setdefault(year, {}).setdefault(month, []).append(name)
    assert {y: {m: sorted(n) for m, n in ms.items()}
            for y, ms in listing["directory_structure"].items()} == {
        y: {m: sorted(n) for m, n in ms.items()} for y, ms in structure.items()}


def test_an_empty_listing(client: TestClient, end_user: Actor) -> None:
    ticket = create_ticket(client, end_user)
    assert attachments(client, end_user, ticket["id"]) == {
        "ticket_id": ticket["id"], "total_attachments": 0, "total_size": 0, "attachments": [],
        "directory_structure": {}}


@pytest.mark.parametrize("by", ["path", "original_name"])
def test_delete_an_attachment_by_its_url_encoded_name(client: TestClient, admin: Actor, by: str,
                                                      settings: Settings) -> None:
    ticket = create_ticket(client, admin)
    first, second = upload_ok(client, admin, ticket["id"], ("informe mèdic.pdf", PDF),
                              ("screenshot.png", png()))["uploaded_files"]
    response = client.delete(f"{HC}/tickets/{ticket['id']}/attachments/{quote(first[by], safe='')}",
                             headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Attachment deleted successfully",
                               "deleted_file": "informe mèdic.pdf", "remaining_attachments": 1}
    listing = attachments(client, admin, ticket["id"])
    assert listing["attachments"] == [second]
    assert listing["total_attachments"] == 1
    assert listing["total_size"] == second["size"]
    assert first["path"].rsplit("/", 1)[1] not in str(listing["directory_structure"])
    assert len(get_ticket(client, admin, ticket["id"])["attached"]) == 1
    assert not (settings.storage_path / first["path"]).exists()
    assert (settings.storage_path / second["path"]).exists()


def test_deleting_an_unknown_attachment_is_404(client: TestClient, admin: Actor) -> None:
    ticket = create_ticket(client, admin)
    upload_ok(client, admin, ticket["id"], ("document.pdf", PDF))
    response = client.delete(f"{HC}/tickets/{ticket['id']}/attachments/{quote('nothing.pdf')}",
                             headers=admin.headers)
    assert_error(response, 404)
    assert attachments(client, admin, ticket["id"])["total_attachments"] == 1
