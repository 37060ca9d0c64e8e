"""Search, cursor paging, the incremental export, reports and streamed exports through the SDK."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_ticket
from ticketry.db import utcnow
from ticketry.domain.tickets.schemas import TicketCreate
from ticketry.domain.tickets.service import create_ticket
from ticketry.domain.users.models import Team, User
from ticketry.sdk import (
    PermissionDeniedError,
    TicketSystemClient,
    UnprocessableEntityError,
)
from ticketry.sdk.models import Dashboard, Ticket, TicketChanges

Connect = Callable[..., TicketSystemClient]


# ------------------------------------------------------------------------------ search


def test_search_finds_words_in_titles_descriptions_and_comments(sdk: TicketSystemClient) -> None:
    nightly = sdk.tickets.create(title="Backup job failed", description="Nightly run",
                                 priority="P1", tags=["backup"])
    slow = sdk.tickets.create(title="Slow backup", description="Takes hours", priority="P3")
    vendor = sdk.tickets.create(title="Tape library", description="Robot arm stuck")
    sdk.comments.create(vendor.id, "Vendor case opened about the wobbegong firmware")

    found = sdk.tickets.search("backup")
    assert {t.id for t in found} == {nightly.id, slow.id}
    assert [t.id for t in sdk.tickets.search("wobbegong")] == [vendor.id]
    assert [t.id for t in sdk.tickets.search("backup", filters={"priority": "P1"})] == [
        nightly.id]
    assert [t.title for t in sdk.tickets.search("backup", sort=[("title", "desc")])] == [
        "Slow backup", "Backup job failed"]
    assert [t.title for t in sdk.tickets.search(sort=["title"])] == [
        "Backup job failed", "Slow backup", "Tape library"]

    first = sdk.tickets.search("backup", sort="title", size=1)
    assert (first.total, first.pages, first.has_next) == (2, 2, True)
    second = sdk.tickets.search("backup", sort="title", page=2, size=1)
    assert ([t.title for t in second], second.has_next) == (["Slow backup"], False)

    with pytest.raises(UnprocessableEntityError):
        sdk.tickets.search("backup", filters={"colour": "red"})


def test_search_by_department_in_the_enterprise_queue(connect: Connect, session: Session,
                                                      admin: User, it_department: Team) -> None:
    make_ticket(session, admin, title="Server outage in the devops queue")
    sdk = connect(admin, queue="enterprise")
    it = sdk.tickets.create(title="Server outage", description="Rack 4", priority="high",
                            department_id=1)
    sdk.tickets.create(title="Server room too warm", description="No department",
                       priority="critical")

    result = sdk.tickets.search("server", filters={
        "status": ["open", "in_progress"], "priority": ["high", "critical"],
        "created_after": "2023-11-01", "departments": [1]},
        sort=[{"field": "priority", "order": "desc"}, {"field": "created_at", "order": "desc"}])
    assert [t.id for t in result] == [it.id]
    assert {t.queue for t in sdk.tickets.search("server")} == {"enterprise"}


# ------------------------------------------------------------------------------ paging by cursor


def test_iteration_follows_cursors_so_new_tickets_do_not_repeat_rows(
        sdk: TicketSystemClient, session: Session, admin: User) -> None:
    before = [make_ticket(session, admin, title=f"Old {n}").public_id for n in range(5)]

    first_page = sdk.tickets.list(size=2)
    assert first_page.next_cursor is not None
    seen = []
    for n, ticket in enumerate(sdk.tickets.iterate(size=2)):
        seen.append(ticket.id)
        if n == 0:
            sdk.tickets.create(title="Created meanwhile", description="Newest of all")

    assert seen == list(reversed(before))
    following = sdk.tickets.list(size=2, cursor=first_page.next_cursor)
    assert following.page is None
    assert [t.id for t in following] == list(reversed(before))[2:4]


def test_the_incremental_export_walks_every_change(sdk: TicketSystemClient, session: Session,
                                                   admin: User) -> None:
    for n in range(3):
        create_ticket(session, actor=admin, now=utcnow() - timedelta(minutes=30 - n),
                      data=TicketCreate(title=f"Ticket {n}", description="From a while ago"))

    step = sdk.tickets.changes(size=2)
    assert isinstance(step, TicketChanges)
    titles = [t.title for t in step.items]
    while not step.end_of_stream:
        step = sdk.tickets.changes(step.next_cursor, size=2)
        titles += [t.title for t in step.items]
    assert titles == ["Ticket 0", "Ticket 1", "Ticket 2"]
    assert sdk.tickets.changes(step.next_cursor).items == []


# ------------------------------------------------------------------------------ reports


def test_dashboard_and_performance(connect: Connect, admin: User, engineer: User,
                                   requester: User, it_department: Team) -> None:
    sdk = connect(admin, queue="enterprise")
    first = sdk.tickets.create(title="Printer", description="Jammed", department_id=1)
    sdk.tickets.create(title="Badge reader", description="Broken", department_id=1)
    sdk.tickets.create(title="Chair", description="Wobbly")
    sdk.tickets.assign(first.id, engineer.public_id)
    sdk.tickets.change_status(first.id, "resolved")

    dashboard = sdk.reports.dashboard(period="30d", department_id=1)
    assert isinstance(dashboard, Dashboard)
    assert (dashboard.period_days, dashboard.total_tickets) == (30, 2)
    assert {k: n for k, n in dashboard.by_status.items() if n} == {"open": 1, "resolved": 1}
    assert dashboard.resolved_tickets == 1
    assert sdk.reports.dashboard(7).total_tickets == 3

    report = sdk.reports.performance()
    assert report.end_date - report.start_date == timedelta(days=29)
    by_agent = {a.agent.username: a for a in report.agents}
    assert (by_agent[engineer.username].assigned, by_agent[engineer.username].resolved) == (1, 1)

    with pytest.raises(PermissionDeniedError):
        connect(requester, queue="enterprise").reports.dashboard()
    with pytest.raises(UnprocessableEntityError) as bad_period:
        sdk.reports.dashboard(period="a fortnight")
    assert bad_period.value.errors[0]["field"] == "period"


def test_exports_stream_into_files(connect: Connect, admin: User, it_department: Team,
                                   tmp_path: Path) -> None:
    sdk = connect(admin, queue="enterprise")
    sdk.tickets.create(title="=HYPERLINK(\"http://evil\")", description="Formula", priority="low")
    sdk.tickets.create(title="Open ticket", description="Stays open", priority="low")
    closed = sdk.tickets.create(title="Closed ticket", description="Done", priority="low")
    sdk.tickets.close(closed.id)

    into = io.BytesIO()
    exported = sdk.reports.export(into, format="csv", filters={"status": "open"},
                                  columns=["key", "title", "status"])
    assert exported.content_type == "text/csv"
    assert exported.filename is not None
    assert exported.filename.endswith(".csv")
    assert exported.size == len(into.getvalue())
    rows = list(csv.DictReader(io.StringIO(into.getvalue().decode("utf-8-sig"))))
    assert sorted(r["title"] for r in rows) == ["'=HYPERLINK(\"http://evil\")", "Open ticket"]
    assert {r["status"] for r in rows} == {"open"}

    as_json = sdk.reports.export(tmp_path / "tickets.json", format="json")
    assert as_json.content_type == "application/json"
    assert len(json.loads((tmp_path / "tickets.json").read_bytes())) == 3

    workbook = tmp_path / "tickets.xlsx"
    sdk.reports.export(workbook, format="xlsx", filters={"department_id": 1})
    assert workbook.read_bytes()[:2] == b"PK"

    refused = tmp_path / "refused.csv"
    with pytest.raises(UnprocessableEntityError):
        sdk.reports.export(refused, filters={"colour": "red"})
    assert not refused.exists()


def test_async_search_reports_and_export(async_connect: Callable[..., Any], admin: User,
                                         it_department: Team) -> None:
    async def scenario() -> None:
        async with async_connect(admin, queue="enterprise") as sdk:
            ticket = await sdk.tickets.create(title="Disk array degraded",
                                              description="One disk failed", department_id=1)
            found = await sdk.tickets.search("disk", filters={"departments": [1]})
            assert [t.id for t in found] == [ticket.id]
            assert isinstance(found.items[0], Ticket)
            assert (await sdk.reports.dashboard(department_id=1)).total_tickets == 1
            into = io.BytesIO()
            exported = await sdk.reports.export(into, format="json")
            assert [t["title"] for t in json.loads(into.getvalue())] == ["Disk array degraded"]
            assert exported.size == len(into.getvalue())
            walked = [t.id async for t in sdk.tickets.iterate(size=1)]
            assert walked == [ticket.id]

    asyncio.run(scenario())
