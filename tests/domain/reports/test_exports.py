"""Ticket exports: CSV, JSON and XLSX read back; spreadsheet formulas never run; only what the
reader may see; filters; everything checked before the first byte; batches of bounded size."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.conftest import StatementCounter
from tests.domain.reports.spreadsheets import read_sheets
from tests.domain.reports.tickets_at import NOW, days_ago, team_with_code, ticket_at
from tests.factories import make_ticket
from ticketry.domain.errors import ValidationFailed
from ticketry.domain.queues.errors import QueueNotFound
from ticketry.domain.reports.service import EXPORT_COLUMNS, export_tickets
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketFilters
from ticketry.domain.users.models import User

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A2)",
            "\tTAB", "\rCR"]


def export_bytes(session: Session, actor: User, fmt: str, **kw: object) -> bytes:
    filters = kw.pop("filters", TicketFilters())
    export = export_tickets(session, actor=actor, filters=filters, format=fmt,  # type: ignore[arg-type]
                            **kw)  # type: ignore[arg-type]
    return b"".join(export.chunks)


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.fixture
def resolved(session: Session, requester: User, engineer: User, admin: User) -> Ticket:
    team = team_with_code(session, admin, 71)
    return ticket_at(session, requester, datetime(2025, 6, 2, 10, tzinfo=UTC),
                     title="Printer on fire", tags=["printer", "fire"], category="INCIDENT",
                     assignee=engineer, team=team, resolved_hours=4, due_hours=8, rating=5,
                     first_response_hours=1)


def test_csv_has_a_header_and_one_row_per_ticket(session: Session, engineer: User,
                                                 requester: User, resolved: Ticket) -> None:
    export = export_tickets(session, actor=engineer, filters=TicketFilters(), format="csv",
                            now=NOW)
    assert export.media_type == "text/csv; charset=utf-8"
    assert export.filename == "tickets-20250630-120000.csv"

    rows = csv_rows(b"".join(export.chunks))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    row = next(r for r in rows if r["key"] == resolved.key)
    assert row["id"] == str(resolved.public_id)
    assert row | {"id": "", "description": ""} == {
        "key": resolved.key, "id": "", "queue": "devops", "title": "Printer on fire",
        "description": "", "status": "RESOLVED", "status_category": "solved",
        "priority": "P3", "ticket_type": "", "category": "INCIDENT", "tags": "printer;fire",
        "requester": requester.username, "assignee": engineer.username,
        "team": resolved.team_id and row["team"], "customer_name": "", "customer_email": "",
        "created_at": "2025-06-02T10:00:00.000Z", "updated_at": "2025-06-02T10:00:00.000Z",
        "first_response_at": "2025-06-02T11:00:00.000Z", "resolved_at": "2025-06-02T14:00:00.000Z",
        "closed_at": "", "due_at": "", "response_due_at": "",
        "resolution_due_at": "2025-06-02T18:00:00.000Z", "response_breached_at": "",
        "resolution_breached_at": "", "resolution_minutes": "240", "satisfaction_rating": "5"}
    assert row["team"].startswith("team")


def test_csv_cells_that_look_like_formulas_are_text(session: Session, requester: User,
                                                     engineer: User) -> None:
    for text in FORMULAS:
        make_ticket(session, requester, title=f"x{text}", description=text, tags=[text.strip()])
    make_ticket(session, requester, title="Plain title", description="a - b = c")

    rows = csv_rows(export_bytes(session, engineer, "csv"))

    assert [r["description"] for r in rows] == [f"'{text}" for text in FORMULAS] + ["a - b = c"]
    # A cell is judged by how it begins: text inside it is left alone.
    assert [r["title"] for r in rows][:2] == [f"x{FORMULAS[0]}", f"x{FORMULAS[1]}"]
    assert rows[0]["tags"] == "'" + FORMULAS[0]


def test_json_is_one_array_of_objects(session: Session, engineer: User, requester: User,
                                      resolved: Ticket) -> None:
    make_ticket(session, requester, title="=1+1")
    export = export_tickets(session, actor=engineer, filters=TicketFilters(), format="json")
    assert export.media_type == "application/json"

    items = json.loads(b"".join(export.chunks))

    assert [item["key"] for item in items][-2] == resolved.key
    item = items[-2]
    assert list(item) == list(EXPORT_COLUMNS)
    assert item["tags"] == ["printer", "fire"]
    assert item["resolved_at"] == "2025-06-02T14:00:00.000Z"
    assert (item["resolution_minutes"], item["satisfaction_rating"]) == (240, 5)
    assert item["closed_at"] is None
    # JSON is data, not a spreadsheet: text stays exactly as it is.
    assert items[-1]["title"] == "=1+1"


def test_an_empty_json_export_is_an_empty_array(session: Session, engineer: User) -> None:
    data = export_bytes(session, engineer, "json", filters=TicketFilters(status=["CLOSED"]))
    assert json.loads(data) == []


def test_xlsx_reads_back_with_formulas_as_quoted_text(session: Session, engineer: User,
                                                      requester: User, resolved: Ticket) -> None:
    for text in FORMULAS:
        make_ticket(session, requester, description=text)
    export = export_tickets(session, actor=engineer, filters=TicketFilters(), format="xlsx")
    assert export.media_type == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    sheets = read_sheets(b"".join(export.chunks))

    rows = sheets["Tickets"]
    header = [cell.text for cell in rows[0]]
    assert header == list(EXPORT_COLUMNS)
    assert not any(cell.formula for row in rows for cell in row)
    by_key = {row[0].text: row for row in rows[1:]}
    printer = dict(zip(header, by_key[resolved.key], strict=False))
    assert printer["title"].text == "Printer on fire"
    assert not printer["title"].quote_prefix
    assert printer["tags"].text == "printer;fire"
    assert (printer["resolution_minutes"].kind, printer["resolution_minutes"].text) == ("n", "240")
    # Timestamps are spreadsheet dates (days since 1899-12-30), in UTC.
    assert printer["resolved_at"].kind == "n"
    assert float(printer["resolved_at"].text) == pytest.approx(45810 + 14 / 24)

    texts = [row[header.index("description")] for row in rows[1:] if row[0].text != resolved.key]
    assert [cell.text for cell in texts] == FORMULAS
    assert all(cell.kind == "inlineStr" and cell.quote_prefix for cell in texts)


def test_the_xlsx_work_file_is_removed_when_done_or_abandoned(
        session: Session, engineer: User, requester: User, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    make_ticket(session, requester)

    def work_files() -> list[Path]:
        return list(tmp_path.glob("ticketry-export-*"))

    export_bytes(session, engineer, "xlsx")
    assert work_files() == []

    abandoned = export_tickets(session, actor=engineer, filters=TicketFilters(), format="xlsx")
    assert next(abandoned.chunks).startswith(b"PK")
    assert len(work_files()) == 1
    abandoned.chunks.close()  # type: ignore[attr-defined]
    assert work_files() == []


def test_an_end_user_exports_only_their_own_tickets(session: Session, requester: User,
                                                     other_end_user: User,
                                                     engineer: User) -> None:
    mine = make_ticket(session, requester, title="Mine")
    make_ticket(session, other_end_user, title="Someone else's")

    assert [r["key"] for r in csv_rows(export_bytes(session, requester, "csv"))] == [mine.key]
    assert len(csv_rows(export_bytes(session, engineer, "csv"))) == 2


def test_filters_choose_the_tickets_and_deleted_ones_never_appear(
        session: Session, requester: User, engineer: User, admin: User) -> None:
    new = ticket_at(session, requester, days_ago(3), category="INCIDENT",
                    title="Kerberos tickets expire early")
    done = ticket_at(session, requester, days_ago(2), resolved_hours=1, category="INCIDENT")
    ticket_at(session, requester, days_ago(1), resolved_hours=1, category="INCIDENT",
              deleted=True)
    support = ticket_at(session, requester, days_ago(1), queue="support")
    team = team_with_code(session, admin, 71)
    ticket_at(session, requester, days_ago(1), category="SECURITY", team=team)

    def keys(**filters: object) -> list[str]:
        data = export_bytes(session, engineer, "json",
                            filters=TicketFilters.model_validate(filters))
        return [item["key"] for item in json.loads(data)]

    assert keys(status=["RESOLVED"]) == [done.key]
    assert keys(queue="support") == [support.key]
    assert keys(queue="devops", category=["INCIDENT"]) == [new.key, done.key]
    assert len(keys(team_codes=[71])) == 1
    assert keys(created_after=days_ago(2.5), created_before=days_ago(1.5)) == [done.key]
    assert keys(search="kerberos") == [new.key]


def test_chosen_columns_in_the_chosen_order(session: Session, requester: User,
                                            engineer: User) -> None:
    ticket = make_ticket(session, requester, title="Only two")
    data = export_bytes(session, engineer, "csv", columns=["title", "key"])
    assert csv_rows(data) == [{"title": "Only two", "key": ticket.key}]


@pytest.mark.parametrize(("kw", "field"), [
    ({"format": "pdf"}, "format"),
    ({"format": "csv", "columns": ["key", "password_hash"]}, "columns"),
])
def test_bad_requests_are_refused_before_anything_is_read(
        session: Session, engineer: User, kw: dict[str, object], field: str,
        statements: StatementCounter) -> None:
    with statements.counting() as counter, pytest.raises(ValidationFailed) as refused:
        export_tickets(session, actor=engineer, filters=TicketFilters(), **kw)  # type: ignore[arg-type]
    assert refused.value.context["field"] == field
    assert counter.count == 0


def test_an_unknown_queue_is_refused_when_the_export_is_asked_for(session: Session,
                                                                  engineer: User) -> None:
    with pytest.raises(QueueNotFound):
        export_tickets(session, actor=engineer, filters=TicketFilters(queue="nope"),
                       format="csv")


def test_rows_stream_from_one_query_a_batch_at_a_time(session: Session, requester: User,
                                                       engineer: User,
                                                       statements: StatementCounter) -> None:
    for n in range(5):
        make_ticket(session, requester, title=f"Ticket {n}")
    whole = export_bytes(session, engineer, "csv")

    with statements.counting() as counter:
        export = export_tickets(session, actor=engineer, filters=TicketFilters(), format="csv",
                                batch_size=2)
        chunks = list(export.chunks)

    assert b"".join(chunks) == whole
    assert [chunk.count(b"\r\n") for chunk in chunks] == [1, 2, 2, 1]  # header, 1-2, 3-4, 5
    assert counter.count == 1


def test_timestamps_are_utc_with_milliseconds_in_text_formats(session: Session, requester: User,
                                                              engineer: User) -> None:
    lisbon_summer = timezone(timedelta(hours=1))
    ticket_at(session, requester, datetime(2025, 6, 2, 11, 0, 0, 123456, tzinfo=lisbon_summer))

    [row] = csv_rows(export_bytes(session, engineer, "csv", columns=["created_at"]))
    [item] = json.loads(export_bytes(session, engineer, "json", columns=["created_at"]))

    assert row["created_at"] == item["created_at"] == "2025-06-02T10:00:00.123Z"
