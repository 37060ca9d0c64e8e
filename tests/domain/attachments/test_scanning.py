"""Virus scanning: clamd's INSTREAM protocol over a unix socket or TCP, infected files refused
and never kept, an unreachable or failing scanner refusing every file (fail closed), and
without a scanner an honest `not_scanned`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_ticket, stage_file
from tests.fake_clamd import EICAR, SIGNATURE, STREAM_MAX_LENGTH, FakeClamd, fake_clamd, unused_address
from ticketry.domain.attachments.errors import AttachmentInfected, ScannerUnavailable
from ticketry.domain.attachments.models import Attachment
from ticketry.domain.attachments.scanning import (
    ClamdScanner,
    ScanVerdict,
    configured_scanner,
    file_chunks,
)
from ticketry.domain.attachments.service import add_attachment, add_attachments_each
from ticketry.domain.attachments.storage import LocalStorage
from ticketry.domain.events.models import Event
from ticketry.domain.history.models import TicketHistory
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import User

BACKENDS = ("unix", "tcp")


@pytest.fixture(scope="module")
def clamd() -> Iterator[FakeClamd]:
    with fake_clamd() as server:
        yield server


def scanner(clamd: FakeClamd, backend: str, **options: float) -> ClamdScanner:
    return ClamdScanner(clamd.address(backend), **options)  # type: ignore[arg-type]


def counts(session: Session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[return-value]
                 for model in (Attachment, Event, TicketHistory))


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


# --------------------------------------------------------------------------- the protocol


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_clean_stream_is_ok_and_eicar_is_found(clamd: FakeClamd, backend: str) -> None:
    assert scanner(clamd, backend).scan([b"disk usage report\n"]) == ScanVerdict()
    found = scanner(clamd, backend).scan([b"log line\n", EICAR, b"\n"])
    assert found.infected
    assert found.signature == SIGNATURE


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_file_goes_in_bounded_chunks_and_is_found_across_them(
        clamd: FakeClamd, backend: str, tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"x" * 100_000 + EICAR + b"y" * 100_000)
    before = len(clamd.state.scans)

    verdict = scanner(clamd, backend, chunk_size=4096).scan(file_chunks(path, 10_000))

    assert verdict.signature == SIGNATURE
    [sizes] = clamd.state.scans[before:]
    assert sum(sizes) == path.stat().st_size
    assert max(sizes) <= 4096


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mode", ["error", "hangup"])
def test_a_scanner_that_cannot_tell_raises(backend: str, mode: str) -> None:
    with fake_clamd(mode) as failing, pytest.raises(ScannerUnavailable) as refused:
        scanner(failing, backend).scan([b"hello\n"])
    assert refused.value.code == "EXTERNAL_SERVICE_ERROR"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_scanner_that_never_answers_is_given_up(backend: str) -> None:
    with fake_clamd("silent") as silent, pytest.raises(ScannerUnavailable, match="did not answer"):
        scanner(silent, backend, timeout=0.3).scan([b"hello\n"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unreachable_scanner_raises(backend: str) -> None:
    with pytest.raises(ScannerUnavailable, match="unreachable"):
        ClamdScanner(unused_address(backend)).scan([b"hello\n"])


def test_a_stream_past_clamds_size_limit_is_not_taken_for_clean(clamd: FakeClamd) -> None:
    with pytest.raises(ScannerUnavailable):
        scanner(clamd, "tcp").scan(b"z" * 65536 for _ in range(STREAM_MAX_LENGTH // 65536 + 2))


def test_the_setting_names_a_socket_path_or_a_tcp_address() -> None:
    assert configured_scanner(None) is None
    assert configured_scanner("  ") is None
    unix = configured_scanner("/run/clamav/clamd.ctl")
    assert isinstance(unix, ClamdScanner)
    assert unix.address == "/run/clamav/clamd.ctl"
    assert isinstance(configured_scanner("tcp://clamav:3310"), ClamdScanner)
    for bad in ("tcp://clamav", "tcp://:3310", "tcp://clamav:port"):
        with pytest.raises(ValueError, match="tcp://host:port"):
            configured_scanner(bad)


# --------------------------------------------------------------------------- uploads


@pytest.fixture
def ticket(session: Session, requester: User) -> Ticket:
    return make_ticket(session, requester)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_scanned_file_is_stored_as_clean(session: Session, requester: User, ticket: Ticket,
                                           clamd: FakeClamd, backend: str,
                                           tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, scanner=scanner(clamd, backend))
    staged = stage_file(storage, "df.txt", b"/dev/sda1 100%\n")

    attachment, _ = add_attachment(session, actor=requester, ticket_id=ticket.public_id,
                                   staged=staged, storage=storage)

    assert attachment.virus_scan_status == "clean"
    assert storage.exists(attachment.storage_key)
    event = session.scalars(select(Event).where(Event.type == "file.uploaded")).one()
    assert event.data["file"]["virus_scan_status"] == "clean"


def test_without_a_scanner_the_file_says_it_was_not_scanned(
        session: Session, requester: User, ticket: Ticket, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    attachment, _ = add_attachment(session, actor=requester, ticket_id=ticket.public_id,
                                   staged=stage_file(storage, "df.txt", b"ok\n"),
                                   storage=storage)
    assert attachment.virus_scan_status == "not_scanned"


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_infected_file_leaves_no_row_no_event_and_no_bytes(
        session: Session, requester: User, ticket: Ticket, clamd: FakeClamd, backend: str,
        tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, scanner=scanner(clamd, backend))
    staged = stage_file(storage, "invoice.txt", b"Please pay: " + EICAR)
    before = counts(session)

    with pytest.raises(AttachmentInfected) as refused:
        add_attachment(session, actor=requester, ticket_id=ticket.public_id, staged=staged,
                       storage=storage)

    assert refused.value.code == "ATTACHMENT_INFECTED"
    assert SIGNATURE in refused.value.message
    assert refused.value.context["field"] == "file"
    assert counts(session) == before
    assert stored_files(tmp_path) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_while_the_scanner_is_down_files_are_refused(
        session: Session, requester: User, ticket: Ticket, backend: str,
        tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, scanner=ClamdScanner(unused_address(backend)))
    staged = stage_file(storage, "df.txt", b"ok\n")
    before = counts(session)

    with pytest.raises(ScannerUnavailable):
        add_attachment(session, actor=requester, ticket_id=ticket.public_id, staged=staged,
                       storage=storage)

    assert counts(session) == before
    assert [path.parent.name for path in stored_files(tmp_path)] == [".staging"]


def test_of_several_files_only_the_infected_one_is_refused(
        session: Session, requester: User, ticket: Ticket, clamd: FakeClamd,
        tmp_path: Path) -> None:
    """The healthcare dialect's multi-file upload: each file judged on its own."""
    storage = LocalStorage(tmp_path, scanner=scanner(clamd, "unix"))
    files = [stage_file(storage, "a.txt", b"fine\n"), stage_file(storage, "b.txt", EICAR),
             stage_file(storage, "c.log", b"also fine\n")]

    outcomes = add_attachments_each(session, actor=requester, ticket_id=ticket.public_id,
                                    staged_files=files, storage=storage)

    assert [(o.staged.filename, o.attachment.virus_scan_status if o.attachment else None,
             o.error.code if o.error else None) for o in outcomes] == [
        ("a.txt", "clean", None), ("b.txt", None, "ATTACHMENT_INFECTED"), ("c.log", "clean", None)]
    assert session.scalars(select(Attachment.filename).order_by(Attachment.id)).all() == [
        "a.txt", "c.log"]
    assert not files[1].path.exists()
