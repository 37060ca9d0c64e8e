"""enterprise-api.md, "File Attachments": upload (multipart `file`, `description`,
`is_internal`) answering {id, filename, size, content_type, upload_url, virus_scan_status}, and
download. Virus scanning: without a scanner the status says nothing scanned the file; with
clamd (a stand-in speaking its protocol) a clean file is "clean", an infected one is refused, and
a scanner that cannot be reached is EXTERNAL_SERVICE_ERROR."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conformance.enterprise.support import (
    DETAIL_SECTIONS,
    EP,
    UPLOAD_FIELDS,
    Actor,
    assert_error,
    assert_success,
    create_ticket,
    get_ticket,
)
from tests.fake_clamd import EICAR, SIGNATURE, fake_clamd, unused_address

# "error_log.txt", 2048 bytes of text/plain, as in the example's answer.
ERROR_LOG = b"".join(f"2023-12-01T10:00:{n % 60:02d}Z ERROR db timeout\n".encode()
                     for n in range(64))[:2048]


def _upload(client: TestClient, actor: Actor, ticket_id: int, *, name: str = "error_log.txt",
            content: bytes = ERROR_LOG, content_type: str = "text/plain",
            **form: str) -> Any:
    return client.post(f"{EP}/attachments/ticket/{ticket_id}/upload", headers=actor.headers,
                       files={"file": (name, content, content_type)}, data=form)


def test_upload_the_documents_example(client: TestClient, user: Actor) -> None:
    """file: <binary_data>, description: "Error log file", is_internal: false ->
    {"id": 789, "filename": "error_log.txt", "size": 2048, "content_type": "text/plain",
    "upload_url": ".../789/error_log.txt", "virus_scan_status": ...}."""
    assert len(ERROR_LOG) == 2048
    ticket = create_ticket(client, user)

    data = assert_success(_upload(client, user, ticket["id"], description="Error log file",
                                  is_internal="false"), 201)

    assert set(data) == UPLOAD_FIELDS
    assert isinstance(data["id"], int)
    assert (data["filename"], data["size"], data["content_type"]) == \
        ("error_log.txt", 2048, "text/plain")
    # No scanner is configured: the status says so rather than "clean".
    assert data["virus_scan_status"] == "not_scanned"
    downloaded = client.get(data["upload_url"], headers=user.headers)
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == ERROR_LOG
    [listed] = get_ticket(client, user, ticket["id"])[DETAIL_SECTIONS["attachments"]]
    assert listed["id"] == data["id"]
    assert listed["description"] == "Error log file"
    assert listed["is_internal"] is False


def test_download_a_file(client: TestClient, user: Actor, manager: Actor) -> None:
    """GET /attachments/789/download: the bytes, their type and name."""
    ticket = create_ticket(client, user)
    uploaded = assert_success(_upload(client, user, ticket["id"]), 201)

    for actor in (user, manager):
        response = client.get(f"{EP}/attachments/{uploaded['id']}/download", headers=actor.headers)
        assert response.status_code == 200, response.text
        assert response.content == ERROR_LOG
        assert response.headers["content-type"].startswith("text/plain")
        assert "error_log.txt" in response.headers["content-disposition"]


def test_an_internal_file_is_for_staff(client: TestClient, user: Actor, manager: Actor) -> None:
    """is_internal: true."""
    ticket = create_ticket(client, user)
    internal = assert_success(_upload(client, manager, ticket["id"], name="raid.txt",
                                      description="Controller log", is_internal="true"), 201)
    assert client.get(f"{EP}/attachments/{internal['id']}/download",
                      headers=manager.headers).content == ERROR_LOG
    assert_error(client.get(f"{EP}/attachments/{internal['id']}/download", headers=user.headers),
                 404, "RESOURCE_NOT_FOUND")
    assert get_ticket(client, user, ticket["id"])[DETAIL_SECTIONS["attachments"]] == []
    assert [a["is_internal"] for a in
            get_ticket(client, manager, ticket["id"])[DETAIL_SECTIONS["attachments"]]] == [True]


def test_files_of_tickets_one_may_not_see(client: TestClient, user: Actor, other_user: Actor) -> None:
    ticket = create_ticket(client, other_user)
    uploaded = assert_success(_upload(client, other_user, ticket["id"]), 201)
    assert_error(_upload(client, user, ticket["id"]), 404, "RESOURCE_NOT_FOUND")
    assert_error(client.get(f"{EP}/attachments/{uploaded['id']}/download", headers=user.headers),
                 404, "RESOURCE_NOT_FOUND")


@pytest.mark.parametrize(("files", "form"), [
    (None, {"description": "No file"}),
    ({"file": ("tool.exe", b"MZ\x90\x00", "application/octet-stream")}, {}),
    ({"file": ("log.txt", b"text", "text/plain")}, {"is_internal": "perhaps"}),
    ({"file": ("log.txt", b"text", "text/plain")}, {"description": "d" * 5000}),
], ids=["no-file", "executable", "bad-is_internal", "long-description"])
def test_invalid_uploads_are_validation_errors(client: TestClient, user: Actor,
                                               files: dict[str, Any] | None,
                                               form: dict[str, str]) -> None:
    ticket = create_ticket(client, user)
    response = client.post(f"{EP}/attachments/ticket/{ticket['id']}/upload", headers=user.headers,
                           files=files, data=form)
    assert_error(response, 400, "VALIDATION_ERROR")
    assert get_ticket(client, user, ticket["id"])[DETAIL_SECTIONS["attachments"]] == []


def test_a_file_over_the_size_limit(make_client: Callable[..., TestClient], user: Actor) -> None:
    api = make_client(upload_max_file_size=1024)
    ticket = create_ticket(api, user)
    assert_error(_upload(api, user, ticket["id"]), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------------------- virus scanning


def test_a_scanned_clean_file_is_clean(make_client: Callable[..., TestClient], user: Actor) -> None:
    """"virus_scan_status": "clean", as the example shows, once a scanner has looked."""
    with fake_clamd() as clamd:
        api = make_client(clamav_socket=clamd.address("unix"))
        ticket = create_ticket(api, user)
        data = assert_success(_upload(api, user, ticket["id"], description="Error log file"), 201)
    assert data["virus_scan_status"] == "clean"
    assert clamd.scanned == [ERROR_LOG]
    assert api.get(data["upload_url"], headers=user.headers).content == ERROR_LOG


def test_an_infected_file_is_refused_and_not_stored(make_client: Callable[..., TestClient],
                                                    user: Actor) -> None:
    with fake_clamd() as clamd:
        api = make_client(clamav_socket=clamd.address("unix"))
        ticket = create_ticket(api, user)
        error = assert_error(_upload(api, user, ticket["id"], name="eicar.txt", content=EICAR),
                             400, "VALIDATION_ERROR")
    assert clamd.scanned == [EICAR]
    assert SIGNATURE in error["message"] + str(error["details"])
    assert get_ticket(api, user, ticket["id"])[DETAIL_SECTIONS["attachments"]] == []


def test_an_unreachable_scanner_is_an_external_service_error(
        make_client: Callable[..., TestClient], user: Actor) -> None:
    """EXTERNAL_SERVICE_ERROR, "External service unavailable": clamd is configured but down;
    nothing is stored unscanned."""
    api = make_client(clamav_socket=unused_address("unix"))
    ticket = create_ticket(api, user)
    assert_error(_upload(api, user, ticket["id"]), 503, "EXTERNAL_SERVICE_ERROR")
    assert get_ticket(api, user, ticket["id"])[DETAIL_SECTIONS["attachments"]] == []
