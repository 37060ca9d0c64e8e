"""devops-service.md, "File Attachments": supported types, upload limits, integrity hash."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zipfile
import zlib

import pytest

from tests.conformance.devops.support import (
    API,
    Actor,
    assert_problem,
    create_ticket,
    ticket_url,
    upload,
)
from tests.factories import login, make_user
from ticketry.domain.users.models import Role


def _png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte + one red pixel
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _ole2() -> bytes:
    """The 512-byte header of an OLE2 compound file (the container of .doc and .xls)."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[24:26] = struct.pack("<H", 0x3E)      # minor version
    header[26:28] = struct.pack("<H", 3)         # major version 3
    header[28:30] = struct.pack("<H", 0xFFFE)    # little-endian byte order
    header[30:32] = struct.pack("<H", 9)         # 512-byte sectors
    header[32:34] = struct.pack("<H", 6)         # 64-byte mini sectors
    header[48:52] = struct.pack("<I", 0xFFFFFFFE)
    header[56:60] = struct.pack("<I", 4096)
    header[60:64] = struct.pack("<I", 0xFFFFFFFE)
    header[68:72] = struct.pack("<I", 0xFFFFFFFE)
    header[76:512] = b"\xff" * 436
    return bytes(header)


_CONTENT_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                  'package/2006/content-types"/>')

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////"
    "////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQAB"
    "PxA=")
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

# One real, minimal file of every supported type, with the content type it is stored under.
SUPPORTED = {
    # Documents
    "report.pdf": (PDF, "application/pdf"),
    "report.doc": (_ole2(), "application/msword"),
    "report.docx": (_zip({"[Content_Types].xml": _CONTENT_TYPES,
                          "word/document.xml": "<w:document/>"}),
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "notes.txt": (b"Steps to reproduce:\n1. deploy\n2. watch it burn\n", "text/plain"),
    # Images
    "screenshot.png": (_png_1x1(), "image/png"),
    "photo.jpg": (JPEG, "image/jpeg"),
    "photo.jpeg": (JPEG, "image/jpeg"),
    "spinner.gif": (GIF, "image/gif"),
    # Spreadsheets
    "metrics.xls": (_ole2(), "application/vnd.ms-excel"),
    "metrics.xlsx": (_zip({"[Content_Types].xml": _CONTENT_TYPES,
                           "xl/workbook.xml": "<workbook/>"}),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "metrics.csv": (b"host,cpu\nweb-1,97\nweb-2,12\n", "text/csv"),
    # Archives
    "logs.zip": (_zip({"app.log": "ERROR boom\n"}), "application/zip"),
    # Logs
    "error.log": (b"2024-01-15T14:30:00Z ERROR connection refused\n", "text/plain"),
    "config.json": (b'{"replicas": 3, "image": "api:2.3.1"}', "application/json"),
    "pom.xml": (b'<?xml version="1.0"?><project><version>2.3.1</version></project>',
                "application/xml"),
}


def test_the_supported_list_is_the_documents_list() -> None:
    extensions = {name.rsplit(".", 1)[1].upper() for name in SUPPORTED}
    assert extensions == {"PDF", "DOC", "DOCX", "TXT", "PNG", "JPG", "JPEG", "GIF", "XLS", "XLSX",
                          "CSV", "ZIP", "LOG", "JSON", "XML"}


@pytest.mark.parametrize("filename", list(SUPPORTED))
def test_supported_file_type_is_accepted_stored_and_downloaded(  # type: ignore[no-untyped-def]
        client, end_user: Actor, filename: str) -> None:
    content, content_type = SUPPORTED[filename]
    ticket = create_ticket(client, end_user)
    response = upload(client, end_user, ticket["id"], filename, content)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["filename"] == filename
    assert body["content_type"] == content_type
    assert body["size"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()

    download = client.get(f"{API}/attachments/{body['id']}", headers=end_user.headers)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"].split(";")[0].strip() == content_type
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment")
    assert f'filename="{filename}"' in disposition


def test_file_types_are_recognised_whatever_the_case_of_the_extension(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    response = upload(client, end_user, ticket["id"], "SCREENSHOT.PNG", _png_1x1())
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == "image/png"


@pytest.mark.parametrize(("filename", "content"), [
    ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"),
    ("script.sh", b"#!/bin/sh\nrm -rf /\n"),
    ("README", b"no extension\n"),
])
def test_unsupported_file_type_is_refused_415(client, end_user: Actor, filename: str,  # type: ignore[no-untyped-def]
                                              content: bytes) -> None:
    ticket = create_ticket(client, end_user)
    response = upload(client, end_user, ticket["id"], filename, content)
    assert_problem(response, 415, "UNSUPPORTED_FILE_TYPE")
    assert client.get(ticket_url(ticket["id"], "/attachments"), headers=end_user.headers).json() == []


@pytest.mark.parametrize(("filename", "content"), [
    ("screenshot.png", b"this is not a png\n"),
    ("report.pdf", b"MZ\x90\x00 an executable renamed to .pdf"),
    ("logs.zip", b"plain text, not a zip archive\n"),
    ("photo.jpg", _png_1x1()),
    ("error.log", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00binary"),
    ("config.json", b"<not>json</not>"),
])
def test_content_that_does_not_match_the_extension_is_refused_422(  # type: ignore[no-untyped-def]
        client, end_user: Actor, filename: str, content: bytes) -> None:
    ticket = create_ticket(client, end_user)
    response = upload(client, end_user, ticket["id"], filename, content)
    assert_problem(response, 422, "FILE_CONTENT_MISMATCH")
    assert client.get(ticket_url(ticket["id"], "/attachments"), headers=end_user.headers).json() == []


def test_the_maximum_file_size_defaults_to_50mb(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.upload_max_file_size == 52_428_800


def test_a_file_over_the_size_limit_is_refused_413(small_upload_client, session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, Role.END_USER)
    session.commit()
    headers = login(small_upload_client, user)
    ticket = small_upload_client.post(f"{API}/tickets", headers=headers,
                                      json={"title": "x", "description": "y"}).json()
    response = small_upload_client.post(
        ticket_url(ticket["id"], "/attachments"), headers=headers,
        files={"file": ("big.log", b"x" * 1025, "text/plain")})
    assert_problem(response, 413)
    at_limit = small_upload_client.post(
        ticket_url(ticket["id"], "/attachments"), headers=headers,
        files={"file": ("ok.log", b"x" * 1024, "text/plain")})
    assert at_limit.status_code == 201, at_limit.text
    listed = small_upload_client.get(ticket_url(ticket["id"], "/attachments"), headers=headers)
    assert [a["filename"] for a in listed.json()] == ["ok.log"]


def test_the_file_hash_is_recorded_for_integrity(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    content = b"2024-01-15 ERROR checksum me\n" * 100
    ticket = create_ticket(client, end_user)
    uploaded = upload(client, end_user, ticket["id"], "error.log", content).json()
    listed = client.get(ticket_url(ticket["id"], "/attachments"), headers=end_user.headers).json()
    assert listed[0]["sha256"] == hashlib.sha256(content).hexdigest() == uploaded["sha256"]


def test_an_upload_without_a_file_is_refused(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    response = client.post(ticket_url(ticket["id"], "/attachments"), headers=end_user.headers,
                           files={"other": ("a.txt", b"a")})
    assert_problem(response, 422)
