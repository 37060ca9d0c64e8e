"""Uploads through `/api/v1` with `TICKETRY_CLAMAV_SOCKET` set: scanned by clamd (unix socket or
TCP), infected files refused with nothing kept, every file refused while the scanner is down;
without a scanner, `virus_scan_status` says nothing scanned the file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from tests.api.conftest import API, assert_problem
from tests.conftest import BoundDatabase
from tests.factories import login, make_ticket, make_user
from tests.fake_clamd import EICAR, SIGNATURE, FakeClamd, fake_clamd, unused_address
from ticketry.api.app import create_app
from ticketry.config import Settings
from ticketry.domain.users.models import Role, User

BACKENDS = ("unix", "tcp")


@pytest.fixture(scope="module")
def clamd() -> Iterator[FakeClamd]:
    with fake_clamd() as server:
        yield server


@pytest.fixture
def app_with_scanner(settings: Settings, db: BoundDatabase, tmp_path: Path
                     ) -> Iterator[Callable[[str | None], TestClient]]:
    """A client of an app whose uploads go through the clamd at `address` (None: no scanner),
    storing files under its own directory."""
    clients: list[TestClient] = []

    def build(address: str | None) -> TestClient:
        configured = settings.model_copy(update={"clamav_socket": address,
                                                 "storage_path": tmp_path / "files"})
        app: FastAPI = create_app(configured, db)
        client = TestClient(app, base_url="http://127.0.0.1")
        clients.append(client.__enter__())
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


def upload(client: TestClient, headers: dict[str, str], ticket: str, name: str,
           content: bytes) -> Any:
    return client.post(f"{API}/tickets/{ticket}/attachments", headers=headers,
                       files={"file": (name, content, "text/plain")})


def rows(connection: Connection) -> dict[str, int]:
    return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("attachments", "events", "ticket_history")}


def stored(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def uploader(session: Session) -> tuple[User, str]:
    """A requester and their ticket."""
    user = make_user(session, Role.END_USER)
    ticket = make_ticket(session, user)
    session.commit()
    return user, str(ticket.public_id)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_clean_file_is_stored_and_shown_as_clean(
        app_with_scanner: Callable[[str | None], TestClient], clamd: FakeClamd, backend: str,
        uploader: tuple[User, str]) -> None:
    client = app_with_scanner(clamd.address(backend))
    headers = login(client, uploader[0])

    made = upload(client, headers, uploader[1], "df.txt", b"/dev/sda1 100%\n")

    assert made.status_code == 201, made.text
    assert made.json()["virus_scan_status"] == "clean"
    [listed] = client.get(f"{API}/tickets/{uploader[1]}/attachments", headers=headers).json()
    assert listed["virus_scan_status"] == "clean"
    download = client.get(f"{API}/attachments/{listed['id']}", headers=headers)
    assert download.content == b"/dev/sda1 100%\n"


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_infected_file_is_refused_and_nothing_is_kept(
        app_with_scanner: Callable[[str | None], TestClient], clamd: FakeClamd, backend: str,
        uploader: tuple[User, str], connection: Connection, tmp_path: Path) -> None:
    client = app_with_scanner(clamd.address(backend))
    headers = login(client, uploader[0])
    before = rows(connection)

    refused = upload(client, headers, uploader[1], "invoice.txt", b"Pay now\n" + EICAR)

    body = assert_problem(refused, 422, "ATTACHMENT_INFECTED")
    assert SIGNATURE in body["detail"]
    assert body["errors"] == [{"field": "file", "message": body["detail"]}]
    assert rows(connection) == before
    assert stored(tmp_path / "files") == []
    assert client.get(f"{API}/tickets/{uploader[1]}/attachments", headers=headers).json() == []


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("failure", ["unreachable", "error", "hangup"])
def test_while_the_scanner_cannot_check_files_uploads_are_refused(
        app_with_scanner: Callable[[str | None], TestClient], backend: str, failure: str,
        uploader: tuple[User, str], connection: Connection, tmp_path: Path) -> None:
    before = rows(connection)
    with fake_clamd(failure if failure != "unreachable" else "scan") as failing:
        address = unused_address(backend) if failure == "unreachable" else \
            failing.address(backend)
        client = app_with_scanner(address)
        headers = login(client, uploader[0])

        refused = upload(client, headers, uploader[1], "df.txt", b"/dev/sda1 100%\n")

    assert_problem(refused, 503, "EXTERNAL_SERVICE_ERROR")
    assert rows(connection) == before
    assert stored(tmp_path / "files") == []


def test_without_a_scanner_the_file_says_nothing_scanned_it(
        app_with_scanner: Callable[[str | None], TestClient],
        uploader: tuple[User, str]) -> None:
    client = app_with_scanner(None)
    headers = login(client, uploader[0])

    made = upload(client, headers, uploader[1], "eicar.txt", EICAR)

    assert made.status_code == 201, made.text
    assert made.json()["virus_scan_status"] == "not_scanned"
