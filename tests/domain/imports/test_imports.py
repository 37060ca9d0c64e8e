"""Import files: formats, per-row validation, batches that commit whole tickets only."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_user
from ticketry.domain.events.models import Event
from ticketry.domain.history.models import TicketHistory
from ticketry.domain.imports.errors import MalformedImportFile, UnsupportedImportFormat
from ticketry.domain.imports.parsers import detect_format, iter_rows
from ticketry.domain.imports.service import import_tickets
from ticketry.domain.tickets.models import Ticket, TicketTag
from ticketry.domain.users.models import Role

HEADER = "customer_id,customer_email,customer_name,subject,description,category,priority,status,tags\n"
ROW = "C{n},c{n}@example.com,Customer {n},Subject {n},A long enough description {n},other,low,new,a;b\n"


def test_the_format_comes_from_the_parameter_then_the_name_then_the_type() -> None:
    assert detect_format("JSON", "x.csv", "text/xml") == "json"
    assert detect_format(None, "tickets.csv", "text/xml") == "csv"
    assert detect_format(None, "upload", "text/xml; charset=utf-8") == "xml"
    with pytest.raises(UnsupportedImportFormat):
        detect_format(None, "tickets.txt", "text/plain")
    with pytest.raises(UnsupportedImportFormat):
        detect_format("yaml", "tickets.csv", None)


def test_tags_split_on_semicolons_in_csv_and_commas_in_xml() -> None:
    csv_rows = list(iter_rows(io.BytesIO((HEADER + ROW.format(n=1)).encode()), "csv"))
    assert csv_rows[0][1]["tags"] == ["a", "b"]
    xml = b"<tickets><ticket><subject>S</subject><tags>x, y</tags></ticket></tickets>"
    assert list(iter_rows(io.BytesIO(xml), "xml")) == [(1, {"subject": "S", "tags": ["x", "y"]})]
    data = json.dumps([{"subject": "S", "tags": ["t"]}, 5]).encode()
    assert list(iter_rows(io.BytesIO(data), "json")) == [(1, {"subject": "S", "tags": ["t"]}),
                                                         (2, {"__invalid__": 5})]


def test_entity_expansion_and_external_entities_are_refused_at_once() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
            + b"".join(f'<!ENTITY a{i} "{"&a;" * 10}">'.encode() for i in range(1, 10))
            + b"]><tickets><ticket><subject>&a9;</subject></ticket></tickets>")
    external = (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                b"<tickets><ticket><subject>&e;</subject></ticket></tickets>")
    for document in (bomb, external):
        with pytest.raises(MalformedImportFile):
            list(iter_rows(io.BytesIO(document), "xml"))


def test_invalid_rows_are_reported_and_valid_rows_stored(session: Session) -> None:
    agent = make_user(session, Role.MANAGER)
    text = HEADER + ROW.format(n=1) + "C2,not-an-email,X,,short,nope,low,new,\n" + ROW.format(n=3)
    report = import_tickets(session, actor=agent, queue_key="support",
                            rows=iter_rows(io.BytesIO(text.encode()), "csv"),
                            checkpoint=session.flush)
    assert (report.total, report.successful, report.failed) == (3, 2, 1)
    assert report.errors == [{"row": 2, "errors": [
        "subject is required", "Invalid email format: not-an-email",
        "description must be between 10 and 2000 characters",
        "category must be one of: account_access, technical_issue, billing_question, "
        "feature_request, bug_report, other"]}]
    stored = session.scalars(select(Ticket.title).where(Ticket.customer_id.in_(["C1", "C3"])))
    assert sorted(stored) == ["Subject 1", "Subject 3"]


def test_a_crash_half_way_leaves_only_whole_tickets(session: Session) -> None:
    agent = make_user(session, Role.MANAGER)
    text = HEADER + "".join(ROW.format(n=n) for n in range(1, 6))
    checkpoints = []

    def checkpoint() -> None:
        checkpoints.append(1)
        if len(checkpoints) == 2:
            raise RuntimeError("the machine died")
        session.commit()

    before = session.scalar(select(func.count()).select_from(Ticket))
    with pytest.raises(RuntimeError):
        import_tickets(session, actor=agent, queue_key="support", batch_size=2,
                       rows=iter_rows(io.BytesIO(text.encode()), "csv"), checkpoint=checkpoint)
    session.rollback()
    after = session.scalar(select(func.count()).select_from(Ticket))
    assert after - before == 2  # the first batch, whole
    for ticket in session.scalars(select(Ticket).where(Ticket.customer_id.in_(["C1", "C2"]))):
        assert session.scalar(select(func.count()).select_from(TicketTag)
                              .where(TicketTag.ticket_id == ticket.id)) == 2
        assert session.scalar(select(func.count()).select_from(TicketHistory)
                              .where(TicketHistory.ticket_id == ticket.id)) == 1
    assert session.scalar(select(func.count()).select_from(Ticket)
                          .where(Ticket.customer_id.in_(["C3", "C4", "C5"]))) == 0


def test_a_file_malformed_part_way_keeps_the_whole_batches_before_it(session: Session) -> None:
    """An error in the file stops the import: every whole batch before it is stored, nothing
    after it."""
    agent = make_user(session, Role.MANAGER)
    items = [{"customer_id": f"M{n}", "customer_email": f"m{n}@example.com",
              "customer_name": f"M {n}", "subject": f"Subject {n}",
              "description": f"A long enough description {n}", "category": "other",
              "priority": "low", "status": "new"} for n in range(1, 4)]
    text = json.dumps(items)[:-1] + ', {"subject": '
    before = session.scalar(select(func.count()).select_from(Ticket))

    with pytest.raises(MalformedImportFile):
        import_tickets(session, actor=agent, queue_key="support", batch_size=2,
                       rows=iter_rows(io.BytesIO(text.encode()), "json"),
                       checkpoint=session.flush)

    stored = session.scalars(select(Ticket.customer_id).where(Ticket.customer_id.like("M%")))
    assert sorted(stored) == ["M1", "M2"]
    assert session.scalar(select(func.count()).select_from(Ticket)) == before + 2


def test_progress_is_told_each_batch_once_it_is_committed(session: Session) -> None:
    agent = make_user(session, Role.MANAGER)
    text = HEADER + "".join(ROW.format(n=n) for n in range(1, 8))
    log: list[str] = []

    def checkpoint() -> None:
        log.append("commit")
        session.flush()

    report = import_tickets(session, actor=agent, queue_key="support", batch_size=3,
                            rows=iter_rows(io.BytesIO(text.encode()), "csv"),
                            checkpoint=checkpoint, progress=lambda rows: log.append(str(rows)))

    assert report.successful == 7
    assert log == ["commit", "3", "commit", "3", "commit", "1"]


def test_each_rows_tags_history_and_event_belong_to_its_own_ticket(session: Session) -> None:
    agent = make_user(session, Role.MANAGER)
    rows = "".join(ROW.format(n=n).replace(",a;b\n", f",row{n};shared\n") for n in range(1, 41))
    report = import_tickets(session, actor=agent, queue_key="support", batch_size=25,
                            rows=iter_rows(io.BytesIO((HEADER + rows).encode()), "csv"),
                            checkpoint=session.flush)
    assert report.successful == 40
    for ticket in session.scalars(select(Ticket).where(Ticket.customer_id.like("C%"))):
        n = ticket.customer_id.removeprefix("C")
        tags = set(session.scalars(select(TicketTag.tag).where(TicketTag.ticket_id == ticket.id)))
        assert tags == {f"row{n}", "shared"}
        history = session.scalars(select(TicketHistory)
                                  .where(TicketHistory.ticket_id == ticket.id)).one()
        assert history.details["key"] == ticket.key
        event = session.scalars(select(Event).where(Event.ticket_id == ticket.id)).one()
        assert event.data["ticket"]["public_id"] == str(ticket.public_id)
        assert event.data["ticket"]["title"] == f"Subject {n}"
