"""Reports: dashboard metrics, performance per agent and team, ticket exports.

The dashboard and the performance report are for agents (403 for end users); an export holds
the tickets its caller may see, streamed as it is read."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import Query, Request
from fastapi.responses import StreamingResponse

from ticketry.api.deps import ActorDep, SessionDep, get_database
from ticketry.api.routing import SegmentRouter
from ticketry.api.v1.attachments import content_disposition
from ticketry.api.v1.responses import problems
from ticketry.db import utcnow
from ticketry.domain.reports import service
from ticketry.domain.reports.schemas import (
    DashboardMetrics,
    PerformanceReport,
    parse_export_filters,
    parse_period,
)

router = SegmentRouter(prefix="/reports", tags=["reports"])

TeamCodes = Annotated[list[int] | None, Query(
    description="Team codes (the enterprise document's department ids); repeat for several")]


@router.get("/dashboard", response_model=DashboardMetrics, responses=problems(401, 403, 422))
def dashboard(
    actor: ActorDep, session: SessionDep,
    period: Annotated[str, Query(max_length=16, description="7d, 30d, 90d, 12w, 6m, 1y, ...")]
    = "30d",
    queue: Annotated[str | None, Query(max_length=64)] = None,
    team_id: uuid.UUID | None = None,
    team_code: TeamCodes = None,
) -> DashboardMetrics:
    """Tickets created in the period by status and status category, resolution time, SLA
    compliance and satisfaction of the tickets resolved in it, trends against the period
    before (null without a baseline), and the top categories."""
    return service.dashboard_metrics(session, actor=actor, period_days=parse_period(period),
                                     queue=queue, team_id=team_id, team_codes=team_code)


@router.get("/performance", response_model=PerformanceReport, responses=problems(401, 403, 422))
def performance(
    actor: ActorDep, session: SessionDep,
    start_date: Annotated[date | None, Query(description="First day (UTC); default: 29 days "
                                                         "before end_date")] = None,
    end_date: Annotated[date | None, Query(description="Last day, included (UTC); default: "
                                                       "today")] = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    team_id: uuid.UUID | None = None,
    team_code: TeamCodes = None,
) -> PerformanceReport:
    """Per agent and per team: tickets assigned (created in the range), resolved, average
    resolution and first-response hours, SLA compliance and satisfaction."""
    end = end_date or utcnow().date()
    start = start_date or end - timedelta(days=29)
    return service.performance_report(session, actor=actor, start=start, end=end, queue=queue,
                                      team_id=team_id, team_codes=team_code)


@router.get(
    "/export", response_class=StreamingResponse,
    responses={200: {"description": "The tickets, as a file", "content": {
        "text/csv": {}, "application/json": {},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
        **problems(401, 422)})
def export(
    request: Request, actor: ActorDep,
    type_: Annotated[Literal["tickets"], Query(alias="type")] = "tickets",
    format_: Annotated[Literal["csv", "json", "xlsx"], Query(alias="format")] = "csv",
    filters: Annotated[str | None, Query(
        max_length=10_000, description='A JSON object of ticket filters, e.g. '
        '{"status": "resolved", "created_after": "2023-11-01"}')] = None,
    columns: Annotated[list[str] | None, Query(
        description="Columns, in order (default: all); repeat or separate with commas")] = None,
) -> StreamingResponse:
    """The tickets matching `filters` that the caller may see, oldest first, streamed as CSV,
    JSON (one array) or XLSX. Cells that a spreadsheet would run as formulas are text."""
    chosen = [name.strip() for value in columns or [] for name in value.split(",") if name.strip()]
    # The rows are read while the response streams, after the request's own unit of work has
    # ended: the export reads through a session of its own, closed when the stream ends.
    resources = ExitStack()
    session = resources.enter_context(get_database(request).unit_of_work(write=False))
    try:
        result = service.export_tickets(session, actor=actor, filters=parse_export_filters(filters),
                                        format=format_, columns=chosen or None)
    except BaseException:
        resources.close()
        raise
    return StreamingResponse(
        _closing(result.chunks, resources), media_type=result.media_type,
        headers={"Content-Disposition": content_disposition(result.filename),
                 "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


def _closing(chunks: Iterator[bytes], resources: ExitStack) -> Iterator[bytes]:
    with resources:
        yield from chunks
